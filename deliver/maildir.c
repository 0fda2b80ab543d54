/*
 * maildir.c: delivery into Maildirs (see maildir.h for the naming scheme
 * that makes it exactly-once, mdrop-deliver(1) for the whole story).
 *
 * Per recipient: expand the template (common/tmpl.c refuses hostile
 * parts), find the Maildir (below), copy prepended header lines + the
 * spool file through a fixed buffer into tmp/ and start its writeback
 * (sync_file_range, asynchronous). When there is nothing to prepend (the
 * ISP's block already has our Return-Path: and Delivered-To: lines, as in
 * a multidrop box) and the message has one recipient, tmp/ gets a hard
 * link to the spool file instead (may_link): no byte is written twice.
 * The copies are made durable and published in maildir_commit, once per batch (group commit): fsync and
 * close each copy (their writeback already done, the first fsync commits
 * the file system journal for most of them), the caller's prelink hook
 * (the spool's "delivery begun" notes made durable), then link(2) of each
 * copy to new/BASE,S=SIZE, then one fsync per distinct new/ directory.
 *
 * Finding the Maildir: the first time, open the template's fixed root and
 * walk the per-recipient tail with openat(O_NOFOLLOW|O_DIRECTORY),
 * creating missing directories 0700. The open Maildir, tmp/, new/ and
 * cur/ are kept in a small LRU cache (CACHE_MAX Maildirs). Within one
 * batch a cached entry is used as is; in a later batch it is first
 * re-validated: the path, resolved from a freshly opened root with no
 * symlink anywhere (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH), must
 * still name the very directory we hold, and its tmp/, new/, cur/ the
 * ones we hold; else the entry is dropped and the walk done again. An
 * entry whose new/ failed to fsync is dropped (never fsync that fd again).
 *
 * Started as root (deliver/priv.h), the Maildir is written by its owner:
 * as root, only lookups (O_PATH, O_NOFOLLOW) find the deepest directory
 * of the path that exists (find_owner); its owner, never root, is who
 * walks again from the same root fd, creating what is missing, after
 * checking that every directory from the root down is writable by no one
 * but root and that owner; and every later step on that Maildir (copies
 * in tmp/, links into new/, removals, directory reads) is done as that
 * owner, root resting in between. A cached entry remembers its owner.
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
#include "common/rec.h"
#include "common/tmpl.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"

#define COPY_BUF (64 * 1024)
#define HEAD_SCAN COPY_BUF	/* header bytes searched for Return-Path: */
#define PENDING_MAX 128		/* copies (open fds) awaiting the commit */
#define CACHE_MAX 32		/* open Maildirs kept (4 fds each) */

struct mcache {
	char path[PATH_MAX];	/* the expanded Maildir path; "" = free slot */
	int md, tmp, new, cur;	/* owned */
	dev_t dev[4];		/* of md, tmp, new, cur */
	ino_t ino[4];
	unsigned long gen;	/* batch in which it was last (re)validated */
	unsigned long used;	/* LRU stamp */
	uid_t uid;		/* who writes it: its owner as root, else we */
	gid_t gid;
	int refs;		/* pending copies using it */
	int dirty;		/* new/ changed or relied on: fsync at commit */
	int bad;		/* fsync of new/ failed: drop after the commit */
	int sync_err;		/* errno of that fsync */
};

struct pending {
	struct mcache *c;
	struct md_tmp t;	/* the copy in tmp/, fd open until the commit */
	char name[MD_NAME_MAX];	/* its name in new/; "": a copy found there */
	struct dl_msg *msg;	/* the recipient msg->rcpt[idx] rides on it */
	size_t idx;
};

struct maildir {
	struct maildir_opts o;
	int (*prelink)(void *);
	void *prelink_arg;
	struct pending pend[PENDING_MAX];
	size_t npend;
	struct mcache cache[CACHE_MAX];
	unsigned long gen, clock;
	uid_t euid;		/* who we are (when not switching per owner) */
	char buf[COPY_BUF];
};

static void
cache_drop(struct mcache *c)
{
	if (c->path[0] == '\0')
		return;
	close(c->md);
	close(c->tmp);
	close(c->new);
	close(c->cur);
	memset(c, 0, sizeof *c);
}

struct maildir *
maildir_new(const struct maildir_opts *opts)
{
	struct maildir *m = calloc(1, sizeof *m);

	if (m != NULL) {
		m->o = *opts;
		m->gen = 1;
		m->euid = geteuid();
	}
	return m;
}

void
maildir_set_prelink(struct maildir *m, int (*fn)(void *), void *arg)
{
	m->prelink = fn;
	m->prelink_arg = arg;
}

/* Remove a copy from tmp/ as its Maildir's owner; if we cannot be that
 * owner, leave it (a stray tmp/ file is harmless). */
static void
discard(struct pending *p)
{
	if (priv_become(p->c->uid, p->c->gid) == 0)
		md_tmp_discard(&p->t);
	else if (p->t.fd >= 0)
		close(p->t.fd);
	p->t.fd = -1;
	p->t.name[0] = '\0';
}

void
maildir_free(struct maildir *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npend; i++)	/* never published: remove */
		discard(&m->pend[i]);
	priv_back();
	for (i = 0; i < CACHE_MAX; i++)
		cache_drop(&m->cache[i]);
	free(m);
}

/* FNV-1a over s; fold: ASCII letters as lower case (for an address:
 * Bob@ and bob@ are one recipient and must get one Maildir name). */
static uint64_t
fnv1a64(const char *s, int fold)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		h ^= fold && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
maildir_base(char *buf, size_t n, const char *name, const char *rcpt)
{
	size_t i, len = strlen(name);
	int r;

	if (len > 200)	/* keep BASE,S=SIZE:2,FLAGS under NAME_MAX */
		r = snprintf(buf, n, "h%016llx.%016llx",
		    (unsigned long long)fnv1a64(name, 0),
		    (unsigned long long)fnv1a64(rcpt, 1));
	else
		r = snprintf(buf, n, "%s.%016llx", name,
		    (unsigned long long)fnv1a64(rcpt, 1));
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Dovecot reads ",S=" and ":2," after BASE: no ',' inside it. */
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == ',' || buf[i] == ':')
			buf[i] = '_';
	return 0;
}

/* Set a recipient's result from errno: what is the step that failed. */
static void
set_error(struct dl_rcpt *r, const char *what, int e, int create)
{
	int permanent = e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG ||
	    (e == ENOENT && !create);

	enum dl_result res = permanent ? DL_FAIL : DL_DEFER;

	if (e == ENOENT && !create)
		dl_set(r, res, "%s: no such Maildir (--no-create)", what);
	else if (e == ENOTDIR)
		dl_set(r, res, "%s: not a directory (a file or symlink is in "
		    "the way)", what);
	else
		dl_set(r, res, "%s: %s", what, strerror(e));
	if (e == EROFS)
		log_error("read-only-filesystem", "step=%s rcpt=%s", what,
		    r->addr);
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

/* A refusal of this Maildir as root: permanent; EINVAL when r is NULL. */
static void refuse(struct dl_rcpt *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
refuse(struct dl_rcpt *r, const char *fmt, ...)
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
			set_error(r, c->path, e, create);
		errno = e;
		return -1;
	}
	if (st.st_uid == 0) {
		refuse(r, "reason=would-write-as-root dir=%.*s",
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
open_maildir(struct maildir *m, struct mcache *c, size_t rootlen,
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
		refuse(r, "reason=unsafe-directory dir=%.*s",
		    dir_len(c->path, at), c->path);
		return -1;
	}
	if (rc < 0) {
		e = errno;
		if (r != NULL)
			set_error(r, c->path, e, create);
		errno = e;
		return -1;
	}
	return 0;
}

/*
 * The recipient's Maildir, from the cache or opened now; on success the
 * process acts as the entry's owner (the caller goes back with
 * priv_back). Returns the entry, or NULL with r's result and detail set
 * (or, when r is NULL, errno; ENOENT for "no Maildir", EINVAL for a
 * refused address or Maildir).
 */
static struct mcache *
mdir_get(struct maildir *m, const char *rcpt, int create, struct dl_rcpt *r)
{
	char path[PATH_MAX];
	struct mcache *c, *lru = NULL;
	size_t rootlen, i;
	enum tmpl_error te;

	te = tmpl_expand(m->o.tmpl, rcpt, path, sizeof path, &rootlen);
	if (te != TMPL_OK) {
		refuse(r, "address refused by the template: %s",
		    tmpl_error_name(te));
		return NULL;
	}
	for (i = 0; i < CACHE_MAX; i++) {
		c = &m->cache[i];
		if (c->path[0] == '\0' || strcmp(c->path, path) != 0)
			continue;
		if (c->gen != m->gen && !cache_valid(c, rootlen)) {
			cache_drop(c);	/* refs is 0 between batches */
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
	for (;;) {		/* a free slot, else the least recently used */
		for (i = 0; i < CACHE_MAX; i++) {
			c = &m->cache[i];
			if (c->refs == 0 && (lru == NULL || c->path[0] == '\0' ||
			    (lru->path[0] != '\0' && c->used < lru->used)))
				lru = c;
		}
		if (lru != NULL)
			break;
		maildir_commit(m);	/* all in use: publish, then reuse */
	}
	cache_drop(lru);
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
static int
find_base(int dirfd, const char *base, char *found, size_t n)
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

int
maildir_has(struct maildir *m, const char *name, const char *rcpt)
{
	char base[MD_NAME_MAX], found[MD_NAME_MAX];
	struct mcache *c;
	int r;

	if (maildir_base(base, sizeof base, name, rcpt) < 0)
		return -1;
	if ((c = mdir_get(m, rcpt, 0, NULL)) == NULL) {
		r = errno == ENOENT || errno == EINVAL ? 0 : -1;
		priv_back();
		return r;
	}
	r = find_base(c->new, base, found, sizeof found);
	if (r == 0)
		r = find_base(c->cur, base, found, sizeof found);
	priv_back();
	return r;
}

/*
 * Queue a copy for the commit: t (may be NULL: a copy found already
 * there, whose new/ is fsynced all the same) to be linked as name.
 */
static void
add_pending(struct maildir *m, struct mcache *c, const struct md_tmp *t,
    const char *name, struct dl_msg *msg, size_t idx)
{
	struct pending *p;

	if (m->npend == PENDING_MAX)
		maildir_commit(m);
	p = &m->pend[m->npend++];
	p->c = c;
	c->refs++;
	if (t != NULL) {
		p->t = *t;
		snprintf(p->name, sizeof p->name, "%s", name);
	} else {
		memset(&p->t, 0, sizeof p->t);
		p->t.fd = -1;
		p->name[0] = '\0';
	}
	p->msg = msg;
	p->idx = idx;
}

/* Is the n bytes at v the address addr, its domain compared without case? */
static int
same_address(const char *v, size_t n, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local = at != NULL ? (size_t)(at - addr) : strlen(addr);

	return n == strlen(addr) && memcmp(v, addr, local) == 0 &&
	    strncasecmp(v + local, addr + local, n - local) == 0;
}

/*
 * Is there a header line FIELD (with the colon) above the first
 * Received: (the ISP's final-delivery block), and when value is not NULL,
 * one whose value is exactly the address value (blanks around it aside;
 * case ignored in the domain only, as in the record)? buf holds the first
 * len bytes of the message; all when whole != 0. Only those bytes are
 * looked at: a header longer than the buffer counts as having none
 * beyond it.
 */
static int
isp_block_has(const char *buf, size_t len, int whole, const char *field,
    const char *value)
{
	size_t i = 0, flen = strlen(field);

	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - i;

		if (nl == NULL && !whole)
			return 0;	/* cut by the scan limit */
		if (llen == 0 || (llen >= 9 &&
		    strncasecmp(line, "Received:", 9) == 0))
			return 0;	/* end of header, or the ISP's hops */
		if (llen >= flen && strncasecmp(line, field, flen) == 0) {
			const char *v = line + flen, *end = line + llen;

			if (value == NULL)
				return 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && (end[-1] == ' ' || end[-1] == '\t' ||
			    end[-1] == '\r'))
				end--;
			if (same_address(v, (size_t)(end - v), value))
				return 1;
		}
		i += llen + 1;
	}
	return 0;
}

/*
 * Read the top of the message (at most HEAD_SCAN bytes) into m->buf and
 * build the lines to put above it into out (size n). Returns their
 * length, or -1; *got is how many bytes of the message m->buf now holds.
 */
static int
prepend_lines(struct maildir *m, const struct dl_msg *msg, const char *rcpt,
    char *out, size_t n, size_t *got)
{
	size_t have = 0;
	int len = 0, dtlen, whole;

	while (have < HEAD_SCAN) {
		ssize_t r = pread(msg->fd, m->buf + have, HEAD_SCAN - have,
		    (off_t)have);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		have += (size_t)r;
	}
	*got = have;
	whole = have < HEAD_SCAN;
	if (!isp_block_has(m->buf, have, whole, "Return-Path:", NULL))
		len = snprintf(out, n, "Return-Path: <%s>\n", msg->sender);
	if (len < 0 || (size_t)len >= n)
		goto toolong;
	/* the ISP's block already says whose copy this is: add nothing */
	if (isp_block_has(m->buf, have, whole, "Delivered-To:", rcpt))
		return len;
	dtlen = snprintf(out + len, n - (size_t)len, "Delivered-To: %s\n", rcpt);
	if (dtlen < 0 || (size_t)dtlen >= n - (size_t)len)
		goto toolong;
	return len + dtlen;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

/*
 * Write the copy into tmp/: head, the got bytes already in m->buf, the
 * rest of the spool file. Returns 0 or -1 (errno; EAGAIN: spool changed).
 */
static int
copy_message(struct maildir *m, const struct dl_msg *msg, struct md_tmp *t,
    const char *head, size_t headlen, size_t got)
{
	uint64_t off = got;

	if (md_tmp_write(t, head, headlen) < 0 ||
	    (got > 0 && md_tmp_write(t, m->buf, got) < 0))
		return -1;
	for (;;) {
		ssize_t r = pread(msg->fd, m->buf, sizeof m->buf, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (md_tmp_write(t, m->buf, (size_t)r) < 0)
			return -1;
		off += (uint64_t)r;
	}
	if (off != msg->size) {
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/*
 * May the Maildir file be the spool file itself (a hard link, no copy)?
 * Only when the message goes to this one recipient (so the inode is never
 * shared by a delivered copy and a spool file that stays behind, or by
 * two users' copies), the spool file is ours (the copy would otherwise
 * belong to the spool's owner) and on the Maildir's file system. As root,
 * "ours" is the Maildir owner's, who writes it.
 */
static int
may_link(const struct dl_msg *msg, const struct mcache *c)
{
	return msg->nrcpt == 1 && msg->uid == c->uid && msg->dev == c->dev[1];
}

static void
deliver_one(struct maildir *m, struct dl_msg *msg, size_t idx, int scan)
{
	struct dl_rcpt *r = &msg->rcpt[idx];
	char base[MD_NAME_MAX], name[MD_NAME_MAX], head[2 * REC_LINE_MAX + 64];
	struct mcache *c;
	struct md_tmp t;
	size_t got;
	int headlen, linked, inew = 0, icur = 0;

	if (maildir_base(base, sizeof base, msg->name, r->addr) < 0) {
		set_error(r, "name", errno, 1);
		return;
	}
	if ((c = mdir_get(m, r->addr, m->o.create, r)) == NULL)
		return;
	if (scan && ((inew = find_base(c->new, base, name, sizeof name)) < 0 ||
	    (inew == 0 &&
	    (icur = find_base(c->cur, base, name, sizeof name)) < 0))) {
		set_error(r, c->path, errno, 1);	/* never guess: retry */
		if (r->result == DL_FAIL)
			r->result = DL_DEFER;
		return;
	}
	if (inew == 1 || icur == 1) {
		dl_set(r, DL_OK, "already delivered: %s/%s/%s", c->path,
		    inew == 1 ? "new" : "cur", name);
		add_pending(m, c, NULL, NULL, msg, idx);
		return;
	}
	if ((headlen = prepend_lines(m, msg, r->addr, head, sizeof head,
	    &got)) < 0) {
		set_error(r, msg->path, errno, 1);
		return;
	}
	linked = headlen == 0 && may_link(msg, c) &&
	    md_tmp_link(&t, c->tmp, msg->fd, msg->size) == 0;
	if (!linked && md_tmp_open(&t, c->tmp) < 0) {
		set_error(r, c->path, errno, 1);
		return;
	}
	if (!linked && copy_message(m, msg, &t, head, (size_t)headlen,
	    got) < 0) {
		int e = errno;

		md_tmp_discard(&t);
		if (e == EAGAIN) {
			dl_set(r, DL_DEFER, "%s: spool file changed size while "
			    "being read", msg->path);
		} else {
			set_error(r, c->path, e, 1);
		}
		return;
	}
	if (snprintf(name, sizeof name, "%s,S=%llu", base,
	    (unsigned long long)t.size) >= (int)sizeof name) {
		md_tmp_discard(&t);
		set_error(r, c->path, ENAMETOOLONG, 1);
		return;
	}
	/* start writing a copy out now; maildir_commit fsyncs it */
	if (!linked)
		(void)syscall(SYS_sync_file_range, t.fd, (off_t)0, (off_t)0,
		    (unsigned int)SYNC_FILE_RANGE_WRITE);
	dl_set(r, DL_OK, "%s/new/%s", c->path, name);	/* once linked */
	add_pending(m, c, &t, name, msg, idx);
}

enum status
maildir_deliver(struct maildir *m, struct dl_msg *msg, int scan)
{
	enum status st = ST_OK;
	size_t i;

	for (i = 0; i < msg->nrcpt; i++) {
		if (msg->rcpt[i].result != DL_PENDING)
			continue;
		deliver_one(m, msg, i, scan);
		priv_back();	/* mdir_get made us the Maildir's owner */
		if (msg->rcpt[i].result == DL_DEFER)
			st = ST_TEMPFAIL;
	}
	return st;
}

enum status
maildir_commit(struct maildir *m)
{
	enum status st = ST_OK;
	int pre = 0;
	size_t i;

	if (m->npend == 0) {
		m->gen++;
		return ST_OK;
	}
	/* 1. the copies durable: fsync, check close (never fsync twice) */
	for (i = 0; i < m->npend; i++) {
		struct pending *p = &m->pend[i];

		if (p->t.name[0] != '\0' && md_tmp_sync(&p->t) < 0) {
			set_error(&p->msg->rcpt[p->idx], p->c->path, errno, 1);
			discard(p);
			st = ST_TEMPFAIL;
		}
	}
	priv_back();
	/* 2. the caller's marks: a copy may be seen once linked */
	if (m->prelink != NULL && m->prelink(m->prelink_arg) < 0)
		pre = errno != 0 ? errno : EIO;
	/* 3. publish */
	for (i = 0; i < m->npend; i++) {
		struct pending *p = &m->pend[i];
		struct dl_rcpt *r = &p->msg->rcpt[p->idx];

		if (p->name[0] == '\0') {
			p->c->dirty = 1;	/* found: make sure it stays */
			continue;
		}
		if (p->t.name[0] == '\0')
			continue;		/* its fsync failed: deferred */
		if (pre != 0) {
			discard(p);
			dl_set(r, DL_DEFER, "fsync of the spool's progress notes: "
			    "%s", strerror(pre));
			st = ST_TEMPFAIL;
			continue;
		}
		if (priv_become(p->c->uid, p->c->gid) < 0) {
			dl_set(r, DL_DEFER, "owner uid %ld of %s: %s",
			    (long)p->c->uid, p->c->path, strerror(errno));
			discard(p);
			st = ST_TEMPFAIL;
			continue;
		}
		if (md_tmp_commit(&p->t, p->c->new, p->name, MD_LINK) < 0) {
			if (errno != EEXIST) {
				set_error(r, p->c->path, errno, 1);
				st = ST_TEMPFAIL;
				continue;
			}
			dl_set(r, DL_OK, "already delivered: %s/new/%s",
			    p->c->path, p->name);
		}
		p->c->dirty = 1;
	}
	priv_back();
	/* 4. one fsync per new/ directory */
	for (i = 0; i < m->npend; i++) {
		struct mcache *c = m->pend[i].c;

		if (!c->dirty)
			continue;
		c->dirty = 0;
		if (md_fsync_dir(c->new) < 0) {
			c->sync_err = errno;
			c->bad = 1;
		}
	}
	for (i = 0; i < m->npend; i++) {
		struct pending *p = &m->pend[i];
		struct dl_rcpt *r = &p->msg->rcpt[p->idx];

		if (p->c->bad && r->result == DL_OK) {
			dl_set(r, DL_DEFER, "fsync of new/: %s",
			    strerror(p->c->sync_err));
			st = ST_TEMPFAIL;
		}
		p->c->refs--;
	}
	for (i = 0; i < m->npend; i++)
		if (m->pend[i].c->bad)
			cache_drop(m->pend[i].c);	/* never trust that fd again */
	m->npend = 0;
	m->gen++;
	return st;
}
