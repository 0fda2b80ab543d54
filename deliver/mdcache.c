/*
 * mdcache.c: finding a recipient's Maildir, and keeping it open (see
 * mdcache.h). maildir.c does the delivery protocol on what this finds.
 *
 * The first time, open the template's fixed root and walk the
 * per-recipient tail with openat(O_NOFOLLOW|O_DIRECTORY), creating
 * missing directories 0700. The open Maildir, tmp/, new/ and cur/ are kept
 * in a small LRU cache (MDCACHE_MAX Maildirs). Within one batch a cached
 * entry is used as is; in a later batch it is first re-validated: the
 * path, resolved from a freshly opened root with no symlink anywhere
 * (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH), must still name the very
 * directory we hold, and its tmp/, new/, cur/ the ones we hold; else the
 * entry is dropped and the walk done again.
 *
 * Started as root (deliver/priv.h), the Maildir is written by its owner:
 * as root, only lookups (O_PATH, O_NOFOLLOW) find the deepest directory
 * of the path that exists (find_owner); its owner, never root, is who
 * walks again from the same root fd, creating what is missing, after
 * checking that every directory from the root down is writable by no one
 * but root and that owner; and every later step on that Maildir is done
 * as that owner, root resting in between. A cached entry remembers its
 * owner.
 */
#define _GNU_SOURCE		/* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/md.h"
#include "deliver/mdcache.h"
#include "deliver/priv.h"

void
mdcache_init(struct mdcache *m)
{
	memset(m, 0, sizeof *m);
	m->gen = 1;
	m->euid = geteuid();
}

void
mdcache_next_batch(struct mdcache *m)
{
	m->gen++;
}

void
mdcache_free(struct mdcache *m)
{
	size_t i;

	for (i = 0; i < MDCACHE_MAX; i++)
		mdcache_drop(&m->cache[i]);
}

void
mdcache_drop(struct mcache *c)
{
	if (c->path[0] == '\0')
		return;
	close(c->md);
	close(c->tmp);
	close(c->new);
	close(c->cur);
	memset(c, 0, sizeof *c);
}

/* Set a recipient's result from errno: what is the step that failed. */
void
mdcache_error(struct dl_rcpt *r, const char *what, int e, int create)
{
	int permanent = e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG ||
	    (e == ENOENT && !create);

	enum dl_result res = permanent ? DL_FAIL : DL_DEFER;

	if (e == ENOENT && !create) {
		dl_set(r, res, "%s: no such Maildir (--no-create)", what);
		r->unknown = 1;
	}
	else if (e == ENOTDIR)
		dl_set(r, res, "%s: not a directory (a file or symlink is in "
		    "the way)", what);
	else
		dl_set(r, res, "%s: %s", what, strerror(e));
	if (e == EROFS) {
		char qw[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];

		log_error("read-only-filesystem", "step=%s rcpt=%s",
		    log_quote(qw, sizeof qw, what),
		    log_quote(qr, sizeof qr, r->addr));
	}
}

/* Open (creating, with a durable entry in the parent) one directory. */
static int
walk_dir(int parent, const char *name, int create)
{
	int fd = md_open_dir(parent, name, 0);

	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if ((fd = md_open_dir(parent, name, 1)) < 0)
		return -1;
	if (md_fsync_dir(parent) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Open the template's fixed root (the admin's: symlinks followed). */
static int
open_root(const char *path, size_t rootlen)
{
	char root[PATH_MAX];

	snprintf(root, sizeof root, "%.*s", (int)rootlen, path);
	return open(rootlen > 0 ? root : ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
}

static int
same(int fd, dev_t dev, ino_t ino)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/*
 * Is the cached entry still what its path names, with no symlink on the
 * way, and (as root) still its owner's? 1 yes, 0 no (drop it and walk
 * again). Looks only (O_PATH), so it may run as root.
 */
static int
cache_valid(struct mcache *c, size_t rootlen)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	struct open_how how;
	const char *tail = c->path + rootlen;
	struct stat st;
	int root, fd, i;

	while (*tail == '/')
		tail++;
	if ((root = open_root(c->path, rootlen)) < 0)
		return 0;
	if (*tail == '\0') {
		fd = root;
	} else {
		memset(&how, 0, sizeof how);
		how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
		how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH;
		fd = (int)syscall(SYS_openat2, root, tail, &how, sizeof how);
		close(root);
		if (fd < 0)
			return 0;
	}
	i = same(fd, c->dev[0], c->ino[0]);
	close(fd);
	if (!i || (priv_switching() && (fstat(c->md, &st) < 0 ||
	    st.st_uid != c->uid)))
		return 0;
	for (i = 0; i < 3; i++)
		if (fstatat(c->md, sub[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_dev != c->dev[i + 1] || st.st_ino != c->ino[i + 1])
			return 0;
	return 1;
}

/* The length of the next component of path from *i on (0: none left),
 * *i moved past any '/' to its start ("//" in a template is one '/'). */
static size_t
next_part(const char *path, size_t *i)
{
	size_t j;

	while (path[*i] == '/')
		(*i)++;
	for (j = *i; path[j] != '\0' && path[j] != '/'; j++)
		;
	return j - *i;
}

/*
 * Open component path[i..i+n) under fd, cut out in place: walk_dir (open
 * or create) when create >= 0, a lookup only (O_PATH) when create < 0.
 * A symlink in the way is ENOTDIR.
 */
static int
walk_part(int fd, char *path, size_t i, size_t n, int create)
{
	char save = path[i + n];
	int r, e;

	path[i + n] = '\0';
	r = create >= 0 ? walk_dir(fd, path + i, create) : openat(fd, path + i,
	    O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	path[i + n] = save;
	errno = e == ELOOP ? ENOTDIR : e;
	return r;
}

/*
 * As root, before anything is made: the deepest directory of path that
 * exists, by lookups alone (O_PATH, O_NOFOLLOW) from root (an open fd,
 * not taken). Its stat into *st, the length of its path into *deep.
 * Returns 0, or -1 with errno (ENOTDIR: a file or symlink in the way).
 */
static int
find_owner(char *path, size_t rootlen, int root, struct stat *st,
    size_t *deep)
{
	int fd = root, next, r;
	size_t i = rootlen, n;

	*deep = rootlen;
	for (; (n = next_part(path, &i)) > 0; i += n) {
		next = walk_part(fd, path, i, n, -1);
		if (next < 0 && errno == ENOENT)
			break;
		if (fd != root)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
		*deep = i + n;
	}
	r = fstat(fd, st);
	if (fd != root)
		close(fd);
	return r;
}

/*
 * As root, by lookups alone: the first directory from root (an open fd,
 * not taken) down path that the owner uid may not rely on (writable by
 * another, priv_dir_safe). 1 with the length of its path in *at, else 0.
 * The owner's own walk checks again what it opens; this one also sees
 * the directories the owner cannot open (another user's 0700 home on
 * the way is unsafe, not a passing EACCES).
 */
static int
first_unsafe(char *path, size_t rootlen, int root, uid_t uid, size_t *at)
{
	int fd = root, next, bad = 0;
	size_t i = rootlen, n;
	struct stat st;

	*at = rootlen;
	for (;;) {
		if (fstat(fd, &st) == 0 && !priv_dir_safe(&st, uid)) {
			bad = 1;
			break;
		}
		if ((n = next_part(path, &i)) == 0)
			break;
		next = walk_part(fd, path, i, n, -1);
		if (fd != root)
			close(fd);
		if (next < 0)
			return 0;
		fd = next;
		*at = i += n;
	}
	if (fd != root)
		close(fd);
	return bad;
}

/* As root (switching): may c's owner rely on the directory open as fd? */
static int
dir_safe(const struct mcache *c, int fd)
{
	struct stat st;

	return !priv_switching() || (fstat(fd, &st) == 0 &&
	    priv_dir_safe(&st, c->uid));
}

/*
 * Walk from the root (fd, taken over) to the Maildir path into c, as c's
 * owner, each directory checked by dir_safe before anything is made in
 * it. Returns 0, -1 with errno (ENOENT: no Maildir and create == 0), or
 * -3 with *at the length of the path of an unsafe directory.
 */
static int
walk(struct mcache *c, int fd, size_t rootlen, int create, size_t *at)
{
	int fds[4] = { -1, -1, -1, -1 }, e, k, next;
	size_t i = rootlen, n;

	for (*at = rootlen;; *at = i += n) {
		if (!dir_safe(c, fd)) {
			close(fd);
			return -3;
		}
		if ((n = next_part(c->path, &i)) == 0)
			break;
		next = walk_part(fd, c->path, i, n, create);
		e = errno;
		close(fd);
		if (next < 0) {
			errno = e;
			return -1;
		}
		fd = next;
	}
	fds[0] = fd;
	if ((fds[1] = walk_dir(fd, "tmp", create)) < 0 ||
	    (fds[2] = walk_dir(fd, "new", create)) < 0 ||
	    (fds[3] = walk_dir(fd, "cur", create)) < 0)
		goto fail;
	for (k = 0; k < 4; k++) {
		struct stat st;

		if (fstat(fds[k], &st) < 0)
			goto fail;
		c->dev[k] = st.st_dev;
		c->ino[k] = st.st_ino;
	}
	c->md = fds[0];
	c->tmp = fds[1];
	c->new = fds[2];
	c->cur = fds[3];
	return 0;
fail:
	e = errno;
	for (k = 0; k < 4; k++)
		if (fds[k] >= 0)
			close(fds[k]);
	errno = e;
	return -1;
}

/* path[0..at) for a message: without its last '/', unless it is "/". */
static int
dir_len(const char *path, size_t at)
{
	return (int)(at > 1 && path[at - 1] == '/' ? at - 1 : at);
}

void
mdcache_refuse(struct dl_rcpt *r, const char *fmt, ...)
{
	va_list ap;

	if (r != NULL) {
		r->result = DL_FAIL;
		va_start(ap, fmt);
		vsnprintf(r->detail, DL_DETAIL_MAX, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
}

/*
 * As root (switching): who is to write the Maildir at c->path, found from
 * root (an open fd, not taken), into c->uid and c->gid; then become it.
 * Returns 0, or -1 with r set (when r is NULL, errno).
 */
static int
take_owner(struct mcache *c, size_t rootlen, int root, int create,
    struct dl_rcpt *r)
{
	struct stat st;
	size_t at;
	int e;

	if (find_owner(c->path, rootlen, root, &st, &at) < 0) {
		e = errno;
		if (r != NULL)
			mdcache_error(r, c->path, e, create);
		errno = e;
		return -1;
	}
	if (st.st_uid == 0) {
		mdcache_refuse(r, "reason=would-write-as-root dir=%.*s",
		    dir_len(c->path, at), c->path);
		return -1;
	}
	if (first_unsafe(c->path, rootlen, root, st.st_uid, &at)) {
		mdcache_refuse(r, "reason=unsafe-directory dir=%.*s",
		    dir_len(c->path, at), c->path);
		return -1;
	}
	if (priv_owner(&st, &c->uid, &c->gid) < 0 ||
	    priv_become(c->uid, c->gid) < 0) {
		e = errno;
		if (r != NULL)
			dl_set(r, DL_DEFER, "owner uid %ld of %.*s: %s",
			    (long)st.st_uid, dir_len(c->path, at), c->path,
			    e == ENOENT ? "no such user" : strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * Open the Maildir at c->path into c, as the one who is to write it: as
 * root its owner (take_owner), else ourselves. Returns 0, or -1 with r's
 * result set (when r is NULL, errno).
 */
static int
open_maildir(struct mdcache *m, struct mcache *c, size_t rootlen,
    int create, struct dl_rcpt *r)
{
	size_t at;
	int root, rc, e;

	if ((root = open_root(c->path, rootlen)) < 0) {
		e = errno;	/* the root is the admin's: never "fail" */
		if (r != NULL)
			dl_set(r, DL_DEFER, "mail root: %s", strerror(e));
		errno = e;
		return -1;
	}
	c->uid = m->euid;
	c->gid = getegid();
	if (priv_switching() && take_owner(c, rootlen, root, create, r) < 0) {
		e = errno;
		close(root);
		errno = e;
		return -1;
	}
	if ((rc = walk(c, root, rootlen, create, &at)) == -3) {
		mdcache_refuse(r, "reason=unsafe-directory dir=%.*s",
		    dir_len(c->path, at), c->path);
		return -1;
	}
	if (rc < 0) {
		e = errno;
		if (r != NULL)
			mdcache_error(r, c->path, e, create);
		errno = e;
		return -1;
	}
	return 0;
}

struct mcache *
mdcache_get(struct mdcache *m, const char *path, size_t rootlen, int create,
    struct dl_rcpt *r)
{
	struct mcache *c, *lru = NULL;
	size_t i;

	for (i = 0; i < MDCACHE_MAX; i++) {
		c = &m->cache[i];
		if (c->path[0] == '\0' || strcmp(c->path, path) != 0)
			continue;
		if (c->gen != m->gen && !cache_valid(c, rootlen)) {
			mdcache_drop(c);	/* refs is 0 between batches */
			break;
		}
		if (priv_become(c->uid, c->gid) < 0) {
			if (r != NULL)
				dl_set(r, DL_DEFER, "owner uid %ld of %s: %s",
				    (long)c->uid, c->path, strerror(errno));
			return NULL;
		}
		c->gen = m->gen;
		c->used = ++m->clock;
		return c;
	}
	for (i = 0; i < MDCACHE_MAX; i++) {	/* free, else least recently used */
		c = &m->cache[i];
		if (c->refs == 0 && (lru == NULL || c->path[0] == '\0' ||
		    (lru->path[0] != '\0' && c->used < lru->used)))
			lru = c;
	}
	if (lru == NULL) {
		errno = EBUSY;
		return NULL;
	}
	mdcache_drop(lru);
	c = lru;
	snprintf(c->path, sizeof c->path, "%s", path);
	if (open_maildir(m, c, rootlen, create, r) < 0) {
		c->path[0] = '\0';
		return NULL;
	}
	c->gen = m->gen;
	c->used = ++m->clock;
	return c;
}

/* Search dirfd for BASE followed by ',', ':' or the end. 1 found, 0 not, -1. */
int
mdcache_find_base(int dirfd, const char *base, char *found, size_t n)
{
	size_t blen = strlen(base);
	struct dirent *de;
	DIR *dir;
	int fd, hit = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		char c = de->d_name[blen];

		if (strncmp(de->d_name, base, blen) == 0 &&
		    (c == '\0' || c == ',' || c == ':')) {
			snprintf(found, n, "%s", de->d_name);
			hit = 1;
			break;
		}
	}
	closedir(dir);
	return hit;
}
