/*
 * maildir.c: delivery into Maildirs (see maildir.h for the naming scheme
 * that makes it exactly-once, mdrop-deliver(1) for the whole story).
 *
 * Per recipient: expand the template (common/tmpl.c refuses hostile
 * parts), open the fixed root, walk the per-recipient tail with
 * openat(O_NOFOLLOW|O_DIRECTORY) creating missing directories 0700, copy
 * prepended header lines + the spool file through a fixed buffer into
 * tmp/, fsync, close, link(2) to new/BASE,S=SIZE. The new/ directories
 * are fsynced once per batch in maildir_commit (group commit).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/md.h"
#include "common/rec.h"
#include "common/tmpl.h"
#include "deliver/maildir.h"

#define COPY_BUF (64 * 1024)
#define HEAD_SCAN COPY_BUF	/* header bytes searched for Return-Path: */
#define PENDING_MAX 256		/* new/ dirs awaiting fsync before a forced commit */

struct pending {
	int dirfd;		/* a new/ directory (owned) */
	struct dl_msg *msg;	/* the recipient msg->rcpt[idx] rides on it */
	size_t idx;
};

struct maildir {
	struct maildir_opts o;
	struct pending pend[PENDING_MAX];
	size_t npend;
	char buf[COPY_BUF];
};

struct maildir *
maildir_new(const struct maildir_opts *opts)
{
	struct maildir *m = calloc(1, sizeof *m);

	if (m != NULL)
		m->o = *opts;
	return m;
}

void
maildir_free(struct maildir *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->npend; i++)
		close(m->pend[i].dirfd);
	free(m);
}

static uint64_t
fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
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
		    (unsigned long long)fnv1a64(name),
		    (unsigned long long)fnv1a64(rcpt));
	else
		r = snprintf(buf, n, "%s.%016llx", name,
		    (unsigned long long)fnv1a64(rcpt));
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

/* Set a recipient's result and detail (cut to fit). */
static void setr(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void
setr(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
{
	va_list ap;

	r->result = res;
	va_start(ap, fmt);
	vsnprintf(r->detail, DL_DETAIL_MAX, fmt, ap);
	va_end(ap);
}

/* Set a recipient's result from errno: what is the step that failed. */
static void
set_error(struct dl_rcpt *r, const char *what, int e, int create)
{
	int permanent = e == ENOTDIR || e == ELOOP || e == ENAMETOOLONG ||
	    (e == ENOENT && !create);

	enum dl_result res = permanent ? DL_FAIL : DL_DEFER;

	if (e == ENOENT && !create)
		setr(r, res, "%s: no such Maildir (--no-create)", what);
	else if (e == ENOTDIR)
		setr(r, res, "%s: not a directory (a file or symlink is in "
		    "the way)", what);
	else
		setr(r, res, "%s: %s", what, strerror(e));
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

struct mdir {
	int tmp, new, cur;
	char path[PATH_MAX];
};

static void
mdir_close(struct mdir *d)
{
	if (d->tmp >= 0)
		close(d->tmp);
	if (d->new >= 0)
		close(d->new);
	if (d->cur >= 0)
		close(d->cur);
	d->tmp = d->new = d->cur = -1;
}

/*
 * Open the recipient's Maildir. Returns 0, or -1 with r's result and
 * detail set (or, when r is NULL, errno; ENOENT for "no Maildir").
 */
static int
mdir_open(struct maildir *m, const char *rcpt, int create, struct mdir *d,
    struct dl_rcpt *r)
{
	size_t rootlen, i;
	enum tmpl_error te;
	int fd, e;
	char save;

	d->tmp = d->new = d->cur = -1;
	te = tmpl_expand(m->o.tmpl, rcpt, d->path, sizeof d->path, &rootlen);
	if (te != TMPL_OK) {
		if (r != NULL)
			setr(r, DL_FAIL, "address refused by the template: %s",
			    tmpl_error_name(te));
		errno = EINVAL;
		return -1;
	}
	save = d->path[rootlen];
	d->path[rootlen] = '\0';
	fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	e = errno;
	d->path[rootlen] = save;
	if (fd < 0) {
		if (r != NULL)	/* the root is the admin's: never "fail" */
			setr(r, DL_DEFER, "mail root: %s", strerror(e));
		errno = e;
		return -1;
	}
	for (i = rootlen; d->path[i] != '\0';) {
		size_t j = i;
		int next;

		while (d->path[j] != '\0' && d->path[j] != '/')
			j++;
		if (j == i) {		/* "//" in the template */
			i++;
			continue;
		}
		save = d->path[j];
		d->path[j] = '\0';
		next = walk_dir(fd, d->path + i, create);
		e = errno;
		d->path[j] = save;
		close(fd);
		if (next < 0)
			goto fail;
		fd = next;
		i = save == '\0' ? j : j + 1;
	}
	if ((d->tmp = walk_dir(fd, "tmp", create)) < 0 ||
	    (d->new = walk_dir(fd, "new", create)) < 0 ||
	    (d->cur = walk_dir(fd, "cur", create)) < 0) {
		e = errno;
		close(fd);
		mdir_close(d);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	if (r != NULL)
		set_error(r, d->path, e, create);
	errno = e;
	return -1;
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
	struct mdir d;
	int r;

	if (maildir_base(base, sizeof base, name, rcpt) < 0)
		return -1;
	if (mdir_open(m, rcpt, 0, &d, NULL) < 0)
		return errno == ENOENT || errno == EINVAL ? 0 : -1;
	r = find_base(d.new, base, found, sizeof found);
	if (r == 0)
		r = find_base(d.cur, base, found, sizeof found);
	mdir_close(&d);
	return r;
}

/* Keep d.new for the batch's directory fsync. Takes ownership of fd. */
static void
add_pending(struct maildir *m, int fd, struct dl_msg *msg, size_t idx)
{
	if (m->npend == PENDING_MAX)
		maildir_commit(m);
	m->pend[m->npend].dirfd = fd;
	m->pend[m->npend].msg = msg;
	m->pend[m->npend].idx = idx;
	m->npend++;
}

/*
 * Is there a Return-Path: header line above the first Received: (the
 * ISP's final-delivery block)? buf holds the first len bytes of the
 * message; all when whole != 0. Only those bytes are looked at: a
 * header longer than the buffer counts as having none beyond it.
 */
static int
has_return_path(const char *buf, size_t len, int whole)
{
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i, *nl = memchr(line, '\n', len - i);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - i;

		if (nl == NULL && !whole)
			return 0;	/* cut by the scan limit */
		if (llen == 0 || (llen >= 9 &&
		    strncasecmp(line, "Received:", 9) == 0))
			return 0;	/* end of header, or the ISP's hops */
		if (llen >= 12 && strncasecmp(line, "Return-Path:", 12) == 0)
			return 1;
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
	size_t linelen, have = 0;
	int len = 0, dtlen;
	char *nl;

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
	if (!has_return_path(m->buf, have, have < HEAD_SCAN))
		len = snprintf(out, n, "Return-Path: <%s>\n", msg->sender);
	if (len < 0 || (size_t)len >= n)
		goto toolong;
	dtlen = snprintf(out + len, n - (size_t)len, "Delivered-To: %s\n", rcpt);
	if (dtlen < 0 || (size_t)dtlen >= n - (size_t)len)
		goto toolong;
	/* the topmost line is already exactly ours: do not add a second */
	nl = memchr(m->buf, '\n', have);
	linelen = nl != NULL ? (size_t)(nl - m->buf) + 1 : have;
	if (linelen == (size_t)dtlen && memcmp(m->buf, out + len, linelen) == 0)
		dtlen = 0;
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

static void
deliver_one(struct maildir *m, struct dl_msg *msg, size_t idx, int scan)
{
	struct dl_rcpt *r = &msg->rcpt[idx];
	char base[MD_NAME_MAX], name[MD_NAME_MAX], head[2 * REC_LINE_MAX + 64];
	struct md_tmp t;
	struct mdir d;
	size_t got;
	int headlen;

	if (maildir_base(base, sizeof base, msg->name, r->addr) < 0) {
		set_error(r, "name", errno, 1);
		return;
	}
	if (mdir_open(m, r->addr, m->o.create, &d, r) < 0)
		return;
	if (scan && (find_base(d.new, base, name, sizeof name) < 0 ||
	    find_base(d.cur, base, name, sizeof name) < 0)) {
		set_error(r, d.path, errno, 1);	/* never guess: retry */
		if (r->result == DL_FAIL)
			r->result = DL_DEFER;
		goto out;
	}
	if (scan && find_base(d.new, base, name, sizeof name) == 1) {
		setr(r, DL_OK, "already delivered: %s/new/%s", d.path, name);
		goto keep;
	}
	if (scan && find_base(d.cur, base, name, sizeof name) == 1) {
		setr(r, DL_OK, "already delivered: %s/cur/%s", d.path, name);
		goto keep;
	}
	if ((headlen = prepend_lines(m, msg, r->addr, head, sizeof head,
	    &got)) < 0) {
		set_error(r, msg->path, errno, 1);
		goto out;
	}
	if (md_tmp_open(&t, d.tmp) < 0) {
		set_error(r, d.path, errno, 1);
		goto out;
	}
	if (copy_message(m, msg, &t, head, (size_t)headlen, got) < 0) {
		int e = errno;

		md_tmp_discard(&t);
		if (e == EAGAIN) {
			setr(r, DL_DEFER, "%s: spool file changed size while "
			    "being read", msg->path);
		} else {
			set_error(r, d.path, e, 1);
		}
		goto out;
	}
	if (snprintf(name, sizeof name, "%s,S=%llu", base,
	    (unsigned long long)t.size) >= (int)sizeof name) {
		md_tmp_discard(&t);
		set_error(r, d.path, ENAMETOOLONG, 1);
		goto out;
	}
	if (md_tmp_commit(&t, d.new, name, MD_LINK) < 0) {
		if (errno != EEXIST) {
			set_error(r, d.path, errno, 1);
			goto out;
		}
		setr(r, DL_OK, "already delivered: %s/new/%s", d.path, name);
		goto keep;
	}
	setr(r, DL_OK, "%s/new/%s", d.path, name);
keep:
	add_pending(m, d.new, msg, idx);
	d.new = -1;
out:
	mdir_close(&d);
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
		if (msg->rcpt[i].result == DL_DEFER)
			st = ST_TEMPFAIL;
	}
	return st;
}

enum status
maildir_commit(struct maildir *m)
{
	enum status st = ST_OK;
	struct stat sti, stj;
	size_t i, j;

	for (i = 0; i < m->npend; i++) {
		int done = 0, e = 0;

		/* one fsync per directory: an earlier entry may have it */
		if (fstat(m->pend[i].dirfd, &sti) == 0) {
			for (j = 0; j < i && !done; j++)
				if (m->pend[j].dirfd >= 0 &&
				    fstat(m->pend[j].dirfd, &stj) == 0 &&
				    sti.st_dev == stj.st_dev &&
				    sti.st_ino == stj.st_ino)
					done = 1;
		}
		if (!done && md_fsync_dir(m->pend[i].dirfd) < 0)
			e = errno;
		if (e != 0) {
			struct dl_rcpt *r = &m->pend[i].msg->rcpt[m->pend[i].idx];

			setr(r, DL_DEFER, "fsync of new/: %s", strerror(e));
			st = ST_TEMPFAIL;
		}
	}
	/* A failed fsync marks only the first user of that directory; mark
	 * the others too (same dev/ino). */
	for (i = 0; i < m->npend; i++) {
		struct dl_rcpt *ri = &m->pend[i].msg->rcpt[m->pend[i].idx];

		if (ri->result != DL_DEFER || fstat(m->pend[i].dirfd, &sti) < 0)
			continue;
		for (j = 0; j < m->npend; j++) {
			struct dl_rcpt *rj = &m->pend[j].msg->rcpt[m->pend[j].idx];

			if (rj->result == DL_OK &&
			    fstat(m->pend[j].dirfd, &stj) == 0 &&
			    sti.st_dev == stj.st_dev && sti.st_ino == stj.st_ino) {
				setr(rj, DL_DEFER, "%s", ri->detail);
			}
		}
	}
	for (i = 0; i < m->npend; i++)
		close(m->pend[i].dirfd);
	m->npend = 0;
	return st;
}
