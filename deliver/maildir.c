/*
 * maildir.c: delivery into Maildirs (see maildir.h for the naming scheme
 * that makes it exactly-once, mdrop-deliver(1) for the whole story).
 *
 * Per recipient: expand the template (common/tmpl.c refuses hostile
 * parts), find the Maildir (mdcache.c), copy prepended header lines + the
 * spool file through a fixed buffer into tmp/ and start its writeback
 * (sync_file_range, asynchronous). When there is nothing to prepend (the
 * ISP's block already has our Return-Path: and Delivered-To: lines, as in
 * a multidrop box) and the message has one recipient, tmp/ gets a hard
 * link to the spool file instead (may_link): no byte is written twice.
 * The copies are made durable and published in maildir_commit, once per
 * batch (group commit): fsync and close each copy (their writeback already done, the first fsync commits
 * the file system journal for most of them), the caller's prelink hook
 * (the spool's "delivery begun" notes made durable), then link(2) of each
 * copy to new/BASE,S=SIZE, then one fsync per distinct new/ directory.
 *
 * Finding the Maildir, keeping it open and, as root, acting as its
 * owner: deliver/mdcache.c. Every step on a Maildir here is done as the
 * owner mdcache found, root resting in between.
 */
#define _GNU_SOURCE		/* SYNC_FILE_RANGE_WRITE */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/ascii.h"
#include "common/log.h"
#include "common/md.h"
#include "common/rec.h"
#include "common/tmpl.h"
#include "deliver/maildir.h"
#include "deliver/mdcache.h"
#include "deliver/priv.h"

#define COPY_BUF (64 * 1024)
#define HEAD_SCAN COPY_BUF	/* header bytes searched for Return-Path: */
#define PENDING_MAX 128		/* copies (open fds) awaiting the commit */


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
	struct mdcache mc;	/* the open Maildirs */
	char buf[COPY_BUF];
};


struct maildir *
maildir_new(const struct maildir_opts *opts)
{
	struct maildir *m = calloc(1, sizeof *m);

	if (m != NULL) {
		m->o = *opts;
		mdcache_init(&m->mc);
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
	mdcache_free(&m->mc);
	free(m);
}

int
maildir_base(char *buf, size_t n, const char *name, const char *rcpt)
{
	size_t i, len = strlen(name);
	int r;

	/* Long names keep BASE,S=SIZE:2,FLAGS under NAME_MAX; names with
	 * a ',' (which becomes '_' below) are hashed whole, so that the copy
	 * of A,B is never taken for the copy of A_B. */
	if (len > 200 || strchr(name, ',') != NULL)
		r = snprintf(buf, n, "h%016llx.%016llx",
		    (unsigned long long)ascii_hash(name, strlen(name), 0),
		    (unsigned long long)ascii_hash(rcpt, strlen(rcpt), 1));
	else
		r = snprintf(buf, n, "%s.%016llx", name,
		    (unsigned long long)ascii_hash(rcpt, strlen(rcpt), 1));
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





/*
 * The recipient's Maildir (mdcache_get, which says what it returns), the
 * template expanded for rcpt first; when every cached Maildir carries a
 * copy in flight, the batch is published first to free them.
 */
static struct mcache *
mdir_get(struct maildir *m, const char *rcpt, int create, struct dl_rcpt *r,
    size_t *rootlen)
{
	char path[PATH_MAX];
	struct mcache *c;
	enum tmpl_error te;

	te = tmpl_expand(m->o.tmpl, rcpt, m->o.delimiters, path, sizeof path,
	    rootlen);
	if (te != TMPL_OK) {
		mdcache_refuse(r, "address refused by the template: %s",
		    tmpl_error_name(te));
		return NULL;
	}
	while ((c = mdcache_get(&m->mc, path, *rootlen, create, r)) == NULL &&
	    errno == EBUSY)
		maildir_commit(m);
	return c;
}

static struct mcache *detail_folder(struct maildir *m, struct mcache *c,
    const char *addr, size_t rootlen);

int
maildir_has(struct maildir *m, const char *name, const char *rcpt)
{
	char base[MD_NAME_MAX], found[MD_NAME_MAX];
	struct mcache *c, *f;
	size_t rootlen;
	int r;

	if (maildir_base(base, sizeof base, name, rcpt) < 0)
		return -1;
	if ((c = mdir_get(m, rcpt, 0, NULL, &rootlen)) == NULL) {
		r = errno == ENOENT || errno == EINVAL ? 0 : -1;
		priv_back();
		return r;
	}
	r = -1;
	if ((f = detail_folder(m, c, rcpt, rootlen)) != NULL &&
	    (r = mdcache_find_base(f->new, base, found, sizeof found)) == 0)
		r = mdcache_find_base(f->cur, base, found, sizeof found);
	if (r == 0 && f != c && priv_become(c->uid, c->gid) == 0 &&
	    (r = mdcache_find_base(c->new, base, found, sizeof found)) == 0)
		r = mdcache_find_base(c->cur, base, found, sizeof found);
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

/* Blanks around a header value, folded or not. */
static int
is_fold_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Is there a header line FIELD (with the colon) above the first
 * Received: (the ISP's final-delivery block), and when value is not NULL,
 * one whose value is exactly the address value (blanks around it, a
 * fold and one pair of angle brackets aside; case ignored in the domain
 * only, as in the record)? buf holds the first
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
			/* folded: the value goes on over the lines that
			 * begin with a blank */
			while (end < buf + len && end + 1 < buf + len &&
			    (end[1] == ' ' || end[1] == '\t') &&
			    (nl = memchr(end + 1, '\n', (size_t)(buf + len -
			    end - 1))) != NULL)
				end = nl;
			llen = (size_t)(end - line);
			while (v < end && is_fold_blank(*v))
				v++;
			while (end > v && is_fold_blank(end[-1]))
				end--;
			if (end - v >= 2 && *v == '<' && end[-1] == '>') {
				v++;
				end--;
			}
			if (same_address(v, (size_t)(end - v), value))
				return 1;
		}
		i += llen + 1;
	}
	return 0;
}

/*
 * Read the top of the message (at most HEAD_SCAN bytes) into m->buf and
 * build the lines to put above it into out (size n) for the copy of
 * recipient r delivered to addr (r->addr, or its redirect). Returns their
 * length, or -1; *got is how many bytes of the message m->buf now holds.
 */
static int
prepend_lines(struct maildir *m, const struct dl_msg *msg,
    const struct dl_rcpt *r, const char *addr, char *out, size_t n,
    size_t *got)
{
	size_t have = 0;
	int len = 0, more, whole;

	while (have < HEAD_SCAN) {
		ssize_t k = pread(msg->fd, m->buf + have, HEAD_SCAN - have,
		    (off_t)have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		have += (size_t)k;
	}
	*got = have;
	whole = have < HEAD_SCAN;
	if (!isp_block_has(m->buf, have, whole, "Return-Path:", NULL))
		len = snprintf(out, n, "Return-Path: <%s>\n", msg->sender);
	if (len < 0 || (size_t)len >= n)
		goto toolong;
	/* the ISP's block already says whose copy this is: add nothing */
	if (!isp_block_has(m->buf, have, whole, "Delivered-To:", addr)) {
		more = snprintf(out + len, n - (size_t)len,
		    "Delivered-To: %s\n", addr);
		if (more < 0 || (size_t)more >= n - (size_t)len)
			goto toolong;
		len += more;
	}
	if (r->redirect != NULL) {
		more = snprintf(out + len, n - (size_t)len, "%s: <%s>\n",
		    DL_REDIRECT_HEADER, r->addr);
		if (more < 0 || (size_t)more >= n - (size_t)len)
			goto toolong;
		len += more;
	}
	return len;
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

/*
 * Is the copy named base in c already (new/ or cur/)? 1 yes (r ok, the
 * copy queued so that its new/ is fsynced), 0 no, -1 cannot tell (r
 * deferred: never guess).
 */
static int
found_before(struct maildir *m, struct mcache *c, const char *base,
    struct dl_msg *msg, size_t idx)
{
	struct dl_rcpt *r = &msg->rcpt[idx];
	char name[MD_NAME_MAX];
	int inew, icur = 0;

	if ((inew = mdcache_find_base(c->new, base, name, sizeof name)) < 0 ||
	    (inew == 0 &&
	    (icur = mdcache_find_base(c->cur, base, name, sizeof name)) < 0)) {
		mdcache_error(r, c->path, errno, 1);
		if (r->result == DL_FAIL)
			r->result = DL_DEFER;
		return -1;
	}
	if (inew == 0 && icur == 0)
		return 0;
	dl_set(r, DL_OK, "already delivered: %s/%s/%s", c->path,
	    inew == 1 ? "new" : "cur", name);
	add_pending(m, c, NULL, NULL, msg, idx);
	return 1;
}

/* A detail that can name a Maildir++ folder: no '/', no leading '.', no
 * control character, not too long. */
static int
folder_ok(const char *d, size_t len)
{
	size_t i;

	if (len == 0 || len > TMPL_COMPONENT_MAX - 1 || d[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (d[i] == '/' || (unsigned char)d[i] < 0x20 || d[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * --detail-folder: the Maildir++ folder .DETAIL of c when addr has a
 * detail and that folder exists (never created), else c itself. As root
 * the process is the folder's owner afterwards, as for c.
 */
static struct mcache *
detail_folder(struct maildir *m, struct mcache *c, const char *addr,
    size_t rootlen)
{
	char path[PATH_MAX], q[LOG_QUOTE_MAX];
	struct tmpl_parts p;
	struct mcache *f;

	if (!m->o.detail_folder || tmpl_parts(addr, m->o.delimiters, &p) !=
	    TMPL_OK || p.detlen == 0)
		return c;
	if (!folder_ok(p.detail, p.detlen)) {
		log_info("detail-not-a-folder", "rcpt=%s", log_quote(q,
		    sizeof q, addr));
		return c;
	}
	if (snprintf(path, sizeof path, "%s/.%.*s", c->path, (int)p.detlen,
	    p.detail) >= (int)sizeof path)
		return c;
	c->refs++;		/* keep c while the cache looks up the folder */
	f = mdcache_get(&m->mc, path, rootlen, 0, NULL);
	c->refs--;
	if (f == NULL && priv_become(c->uid, c->gid) < 0)
		return NULL;
	return f != NULL ? f : c;
}

/* Write (or hard-link) the copy of msg for recipient idx into c's tmp/
 * and queue it for the commit as base,S=SIZE. */
static void
write_copy(struct maildir *m, struct mcache *c, const char *base,
    const char *addr, struct dl_msg *msg, size_t idx)
{
	struct dl_rcpt *r = &msg->rcpt[idx];
	char name[MD_NAME_MAX], head[3 * REC_LINE_MAX + 64];
	struct md_tmp t;
	size_t got;
	int headlen, linked;

	if ((headlen = prepend_lines(m, msg, r, addr, head, sizeof head,
	    &got)) < 0) {
		mdcache_error(r, msg->path, errno, 1);
		return;
	}
	linked = headlen == 0 && may_link(msg, c) &&
	    md_tmp_link(&t, c->tmp, msg->fd, msg->size) == 0;
	if (!linked && md_tmp_open(&t, c->tmp) < 0) {
		mdcache_error(r, c->path, errno, 1);
		return;
	}
	if (!linked && copy_message(m, msg, &t, head, (size_t)headlen,
	    got) < 0) {
		int e = errno;

		md_tmp_discard(&t);
		if (e == EAGAIN)
			dl_set(r, DL_DEFER, "%s: spool file changed size while "
			    "being read", msg->path);
		else
			mdcache_error(r, c->path, e, 1);
		return;
	}
	if (snprintf(name, sizeof name, "%s,S=%llu", base,
	    (unsigned long long)t.size) >= (int)sizeof name) {
		md_tmp_discard(&t);
		mdcache_error(r, c->path, ENAMETOOLONG, 1);
		return;
	}
	/* start writing a copy out now; maildir_commit fsyncs it */
	if (!linked)
		(void)syscall(SYS_sync_file_range, t.fd, (off_t)0, (off_t)0,
		    (unsigned int)SYNC_FILE_RANGE_WRITE);
	dl_set(r, DL_OK, "%s/new/%s", c->path, name);	/* once linked */
	add_pending(m, c, &t, name, msg, idx);
}

static void
deliver_one(struct maildir *m, struct dl_msg *msg, size_t idx, int scan)
{
	struct dl_rcpt *r = &msg->rcpt[idx];
	const char *addr = r->redirect != NULL ? r->redirect : r->addr;
	char base[MD_NAME_MAX];
	struct mcache *c, *f;
	size_t rootlen;

	/* the name comes from the original recipient: each redirected one
	 * gets its own copy, found again by a rerun */
	if (maildir_base(base, sizeof base, msg->name, r->addr) < 0) {
		mdcache_error(r, "name", errno, 1);
		return;
	}
	if ((c = mdir_get(m, addr, m->o.create, r, &rootlen)) == NULL)
		return;
	if ((f = detail_folder(m, c, addr, rootlen)) == NULL) {
		mdcache_error(r, c->path, errno, 1);
		return;
	}
	/* a rerun looks where this run would deliver, and in the Maildir
	 * itself: the folder may have come or gone in between */
	if (scan && (found_before(m, f, base, msg, idx) != 0 ||
	    (f != c && found_before(m, c, base, msg, idx) != 0)))
		return;
	write_copy(m, f, base, addr, msg, idx);
}

enum status
maildir_deliver(struct maildir *m, struct dl_msg *msg, int scan)
{
	enum status st = ST_OK;
	size_t i;

	for (i = msg->from; i < msg->nrcpt; i++) {
		if (msg->rcpt[i].result != DL_PENDING)
			continue;
		deliver_one(m, msg, i, scan);
		priv_back();	/* mdir_get made us the Maildir's owner */
		if (msg->rcpt[i].result == DL_DEFER)
			st = ST_TEMPFAIL;
	}
	return st;
}

/* Commit step 1: the copy durable (fsync, checked close; never fsync
 * twice); a failure defers its recipient. */
static enum status
sync_copy(struct pending *p)
{
	if (p->t.name[0] == '\0' || md_tmp_sync(&p->t) == 0)
		return ST_OK;
	mdcache_error(&p->msg->rcpt[p->idx], p->c->path, errno, 1);
	discard(p);
	return ST_TEMPFAIL;
}

/* Commit step 3 for one copy: linked into new/ as its Maildir's owner
 * (EEXIST: it was there already); pre: errno of the prelink hook. */
static enum status
publish(struct pending *p, int pre)
{
	struct dl_rcpt *r = &p->msg->rcpt[p->idx];

	if (p->name[0] == '\0') {
		p->c->dirty = 1;	/* found: make sure it stays */
		return ST_OK;
	}
	if (p->t.name[0] == '\0')
		return ST_OK;		/* its fsync failed: deferred */
	if (pre != 0) {
		discard(p);
		dl_set(r, DL_DEFER, "fsync of the spool's done notes: %s",
		    strerror(pre));
		return ST_TEMPFAIL;
	}
	if (priv_become(p->c->uid, p->c->gid) < 0) {
		dl_set(r, DL_DEFER, "owner uid %ld of %s: %s", (long)p->c->uid,
		    p->c->path, strerror(errno));
		discard(p);
		return ST_TEMPFAIL;
	}
	if (md_tmp_commit(&p->t, p->c->new, p->name, MD_LINK) < 0) {
		if (errno != EEXIST) {
			mdcache_error(r, p->c->path, errno, 1);
			return ST_TEMPFAIL;
		}
		dl_set(r, DL_OK, "already delivered: %s/new/%s", p->c->path,
		    p->name);
	}
	p->c->dirty = 1;
	return ST_OK;
}

/* Commit step 4: one fsync per new/ directory; a failed one defers its
 * copies and its cache entry is dropped (never trust that fd again). */
static enum status
sync_new_dirs(struct maildir *m)
{
	enum status st = ST_OK;
	size_t i;

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
			mdcache_drop(m->pend[i].c);
	return st;
}

enum status
maildir_commit(struct maildir *m)
{
	enum status st = ST_OK;
	int pre = 0;
	size_t i;

	if (m->npend == 0) {
		mdcache_next_batch(&m->mc);
		return ST_OK;
	}
	for (i = 0; i < m->npend; i++)
		st = status_worse(st, sync_copy(&m->pend[i]));
	priv_back();
	/* 2. the caller's marks: a copy may be seen once linked */
	if (m->prelink != NULL && m->prelink(m->prelink_arg) < 0)
		pre = errno != 0 ? errno : EIO;
	for (i = 0; i < m->npend; i++)
		st = status_worse(st, publish(&m->pend[i], pre));
	priv_back();
	st = status_worse(st, sync_new_dirs(m));
	m->npend = 0;
	mdcache_next_batch(&m->mc);
	return st;
}
