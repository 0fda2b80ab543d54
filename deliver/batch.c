/*
 * batch.c: record groups, group commit and spool acknowledgement for
 * mdrop-deliver (see batch.h). The order of durable steps is what makes
 * delivery exactly-once (mdrop-deliver(1), EXACTLY ONCE):
 *
 *   1. open the spool file (O_NOFOLLOW), flock it, check it is still in
 *      new/; open or create its progress note SPOOL/NAME.done;
 *   2. deliver (Maildir: the copy written and fsynced in tmp/; LMTP: 250
 *      received);
 *   3. commit (once per batch): Maildir: fsync SPOOL once if a note was
 *      created (so a later run knows to look for earlier copies, in cur/
 *      too, before it delivers), only then link the copies into new/ and
 *      fsync each new/ once (maildir_commit, via spool_marks below);
 *      append "ok"/"fail" lines to the note and fsync it where they are
 *      needed (always for LMTP; for Maildir only when the message is
 *      kept: something deferred or failed, the group incomplete, or we
 *      are stopping, since the deterministic Maildir name already proves
 *      an "ok"); print the result lines;
 *   4. complete groups: unlink the spool file (or move it to failed/),
 *      fsync SPOOL/new once per spool, then remove the notes.
 *
 * A group is one spool file, known by its spool directory and name, not
 * by the PATH string: records for SPOOL//new/P join the group of
 * SPOOL/new/P, a recipient twice in a group is delivered once, and a file
 * this process already finished is looked up in deliver/seen.c. A group
 * is complete at its end line or when the writer moves on to another
 * file; only a complete, untainted group whose recipients are all done
 * loses its spool file. Anything that cannot be taken as it should (a
 * broken line, an allocation failure, the recipient cap) taints the group
 * in hand: its spool file stays for the next run.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/md.h"
#include "common/progress.h"
#include "common/rec.h"
#include "common/spool.h"
#include "deliver/batch.h"
#include "deliver/priv.h"
#include "deliver/seen.h"

#define GROUP_RCPTS 10000	/* distinct recipients of one message */
#define GROUP_RECORDS (4 * GROUP_RCPTS)	/* records, repeats included */
#define SPOOLS_KEPT 4		/* idle spools kept open */

enum gstate { G_READY, G_GONE, G_LOCKED, G_ERROR };

struct sref {
	struct sref *next;
	struct spool sp;
	dev_t dev;		/* the spool directory, which names it */
	ino_t ino;
	int refs;
	int dirty;		/* new/ changed: fsync before removing notes */
	int marks;		/* a note was created: fsync SPOOL before links */
};

/* One record of a group: its recipient, and its own spelling of PATH and
 * RECIPIENT when it differs from the group's (the result line echoes it). */
struct grec {
	size_t idx;		/* in msg.rcpt */
	char *path;		/* NULL: the group's */
	char *rcpt;		/* NULL: msg.rcpt[idx].addr */
};

struct group {
	struct group *next;
	char *path;		/* as first given */
	struct sref *sr;
	enum gstate state;
	enum dl_result eres;	/* G_ERROR, G_LOCKED: the result of every record */
	enum status est;	/* and its status */
	char edetail[DL_DETAIL_MAX];
	struct progress prog;
	int have_prog;
	struct dl_msg msg;	/* msg.rcpt: the distinct recipients */
	char *sender;
	unsigned char *fresh;	/* per rcpt: 1 = decided in this run, 2 noted */
	size_t cap;
	struct grec *recs;	/* the records, in order */
	size_t nrecs, caprecs, printed;
	int closed;		/* complete: end line, or the writer moved on */
	int tainted;		/* a record was refused or lost: keep the file */
	int finished;		/* its spool file left new/ in this commit */
};

struct batch {
	struct maildir *md;
	struct lmtp_client *lmtp;
	FILE *out;
	struct group *head, *tail;
	struct group *hand;	/* the group the writer is on, or NULL */
	size_t ngroups;
	struct sref *spools;
	struct seen *seen;
	char *taint;		/* PATH of the last broken record */
	int taint_all;		/* lost track of a record: keep every file */
	int final;		/* the last commit: note what stays unfinished */
	long long t0;		/* monotonic ms of the batch's first record */
	int out_failed;		/* stdout write error already logged */
};

static void rset(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Maildir prelink hook: the notes created in this batch made durable. */
static int
spool_marks(void *arg)
{
	struct batch *b = arg;
	struct sref *s;
	char q[LOG_QUOTE_MAX];

	for (s = b->spools; s != NULL; s = s->next) {
		if (!s->marks)
			continue;
		if (md_fsync_dir(s->sp.dirfd) < 0) {
			int e = errno;

			log_error("fsync", "path=%s error=\"%s\"",
			    log_quote(q, sizeof q, s->sp.path), strerror(e));
			errno = e;
			return -1;
		}
		s->marks = 0;
	}
	return 0;
}

struct batch *
batch_new(struct maildir *md, struct lmtp_client *lmtp, FILE *out)
{
	struct batch *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	if ((b->seen = seen_new()) == NULL) {
		free(b);
		return NULL;
	}
	b->md = md;
	b->lmtp = lmtp;
	b->out = out;
	if (md != NULL)
		maildir_set_prelink(md, spool_marks, b);
	return b;
}

long long
batch_age(const struct batch *b)
{
	return b->t0 == 0 ? -1 : io_now_ms() - b->t0;
}

void
batch_final(struct batch *b)
{
	b->final = 1;
}

static void
gset(struct group *g, enum gstate s, enum dl_result res, enum status st,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void
gset(struct group *g, enum gstate s, enum dl_result res, enum status st,
    const char *fmt, ...)
{
	va_list ap;

	g->state = s;
	g->eres = res;
	g->est = st;
	va_start(ap, fmt);
	vsnprintf(g->edetail, sizeof g->edetail, fmt, ap);
	va_end(ap);
}

/* The spool of directory dir, by its string or else by its identity. */
static struct sref *
spool_get(struct batch *b, const char *dir)
{
	struct sref *s, *t;
	struct stat st;

	for (s = b->spools; s != NULL; s = s->next)
		if (strcmp(s->sp.path, dir) == 0)
			return s;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (spool_open(&s->sp, dir, 0) < 0 || fstat(s->sp.dirfd, &st) < 0) {
		int e = errno;

		spool_close(&s->sp);
		free(s);
		errno = e;
		return NULL;
	}
	for (t = b->spools; t != NULL; t = t->next) {
		if (t->dev == st.st_dev && t->ino == st.st_ino) {
			spool_close(&s->sp);	/* spelled differently */
			free(s);
			return t;
		}
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->next = b->spools;
	b->spools = s;
	return s;
}

/* Close idle spools beyond SPOOLS_KEPT. */
static void
spool_trim(struct batch *b)
{
	struct sref **pp = &b->spools, *s;
	size_t n = 0;

	while ((s = *pp) != NULL) {
		if (s->refs == 0 && ++n > SPOOLS_KEPT) {
			*pp = s->next;
			spool_close(&s->sp);
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

/*
 * Find the spool of path: *sr and *name (into path), or NULL with the
 * reason set in g (the group that will carry it).
 */
static struct sref *
locate(struct batch *b, const char *path, const char **name, struct group *g)
{
	char dir[PATH_MAX];
	struct sref *sr;
	int r;

	if (spool_split_path(path, dir, sizeof dir, name) < 0) {
		gset(g, G_ERROR, DL_FAIL, ST_DATAERR, "not a spool file "
		    "(PATH must be SPOOL/new/NAME)");
		return NULL;
	}
	/* as root, all that follows as the spool's owner (group_new goes
	 * back) */
	if ((r = priv_enter_path(dir)) == -2) {
		gset(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s belongs to "
		    "root: as root, mdrop-deliver needs --user", dir);
		return NULL;
	}
	if (r < 0 || (sr = spool_get(b, dir)) == NULL) {
		int e = errno;

		gset(g, G_ERROR, DL_DEFER, e == ENOENT || e == ENOTDIR ?
		    ST_NOINPUT : ST_TEMPFAIL, "cannot open spool %s: %s", dir,
		    strerror(e));
	}
	return sr;
}

/* Open the spool file of a new group: step 1 above. */
static void
group_open(struct group *g)
{
	const char *name = g->msg.name;
	struct stat st, st2;
	int fd, r;

	if ((r = priv_enter(g->sr->sp.dirfd)) == -2) {
		gset(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s belongs to "
		    "root: as root, mdrop-deliver needs --user", g->sr->sp.path);
		return;
	}
	if (r < 0) {
		gset(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "spool %s: cannot act "
		    "as its owner: %s", g->sr->sp.path, strerror(errno));
		return;
	}
	fd = openat(g->sr->sp.newfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			g->state = G_GONE;
		else
			gset(g, G_ERROR, DL_DEFER, errno == ELOOP ?
			    ST_DATAERR : ST_TEMPFAIL, "cannot open: %s",
			    errno == ELOOP ? "a symlink" : strerror(errno));
		return;
	}
	g->msg.fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		gset(g, G_ERROR, DL_DEFER, ST_DATAERR, "not a regular file");
		return;
	}
	if ((r = spool_lock_fd(fd)) < 0) {
		if (r == -2)
			gset(g, G_LOCKED, DL_DEFER, ST_TEMPFAIL, "locked");
		else
			gset(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "flock: %s",
			    strerror(errno));
		return;
	}
	/* Another deliver may have finished it while we waited. */
	if (fstatat(g->sr->sp.newfd, name, &st2, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		g->state = G_GONE;
		return;
	}
	g->msg.size = (uint64_t)st.st_size;
	g->msg.uid = st.st_uid;
	g->msg.dev = st.st_dev;
	if (progress_open(&g->prog, g->sr->sp.dirfd, name) < 0) {
		gset(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "progress note: %s",
		    strerror(errno));
		return;
	}
	g->have_prog = 1;
	if (!g->prog.existed)	/* made durable before any link: spool_marks */
		g->sr->marks = 1;
	g->state = G_READY;
}

static void
group_free(struct batch *b, struct group *g)
{
	size_t i;

	if (g->have_prog)
		progress_close(&g->prog);
	if (g->msg.fd >= 0)
		close(g->msg.fd);
	if (g->sr != NULL)
		g->sr->refs--;
	for (i = 0; i < g->msg.nrcpt; i++)
		free(g->msg.rcpt[i].addr);
	for (i = 0; i < g->nrecs; i++) {
		free(g->recs[i].path);
		free(g->recs[i].rcpt);
	}
	free(g->msg.rcpt);
	free(g->fresh);
	free(g->recs);
	free(g->path);
	free(g->sender);
	if (b->hand == g)
		b->hand = NULL;
	free(g);
	spool_trim(b);
}

void
batch_free(struct batch *b)
{
	struct sref *s;

	if (b == NULL)
		return;
	while (b->head != NULL) {
		struct group *g = b->head;

		b->head = g->next;
		group_free(b, g);
	}
	while ((s = b->spools) != NULL) {
		b->spools = s->next;
		spool_close(&s->sp);
		free(s);
	}
	seen_free(b->seen);
	free(b->taint);
	free(b);
}

size_t
batch_groups(const struct batch *b)
{
	return b->ngroups;
}

/* A new group for path, appended to the batch; NULL on ENOMEM. */
static struct group *
group_new(struct batch *b, const char *path, const char *sender)
{
	struct group *g = calloc(1, sizeof *g);

	if (g == NULL)
		return NULL;
	g->msg.fd = -1;
	g->path = strdup(path);
	g->sender = strdup(sender);
	if (g->path == NULL || g->sender == NULL) {
		free(g->path);
		free(g->sender);
		free(g);
		return NULL;
	}
	g->msg.path = g->path;
	g->msg.name = g->path;
	g->msg.sender = g->sender;
	g->tainted = b->taint != NULL && strcmp(b->taint, path) == 0;
	if (b->tail != NULL)
		b->tail->next = g;
	else
		b->head = g;
	b->tail = g;
	b->ngroups++;
	if ((g->sr = locate(b, g->path, &g->msg.name, g)) != NULL) {
		g->sr->refs++;
		group_open(g);
	}
	priv_back();
	return g;
}

/* The group in this batch for the file path names, if there is one. */
static struct group *
group_find(struct batch *b, const char *path)
{
	struct group *g;
	const char *name;
	char dir[PATH_MAX];
	struct sref *sr = NULL;

	for (g = b->head; g != NULL; g = g->next)
		if (strcmp(g->path, path) == 0)
			return g;
	if (spool_split_path(path, dir, sizeof dir, &name) < 0)
		return NULL;
	for (g = b->head; g != NULL; g = g->next) {
		if (g->sr == NULL || strcmp(g->msg.name, name) != 0)
			continue;
		if (sr == NULL && (sr = spool_get(b, dir)) == NULL)
			return NULL;
		if (g->sr == sr)
			return g;
	}
	return NULL;
}

static int
grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t ncap = *cap ? *cap : 8;
	void *np;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* A copy of s when it differs from same; 0, or -1 on ENOMEM. */
static int
spelling(char **out, const char *s, const char *same)
{
	*out = NULL;
	return strcmp(s, same) == 0 || (*out = strdup(s)) != NULL ? 0 : -1;
}

/*
 * Add a record (path, rcpt) to g: its recipient index (an earlier one
 * for a repeat, compared without case), or -1 with *why
 * ("out-of-memory", "too-many-recipients").
 */
static long
add_record(struct group *g, const char *path, const char *rcpt,
    const char **why)
{
	size_t i, ncap = g->cap;
	struct grec *rec;
	struct dl_rcpt *r;

	*why = "too-many-recipients";
	if (g->nrecs >= GROUP_RECORDS)
		return -1;
	for (i = 0; i < g->msg.nrcpt; i++)
		if (strcasecmp(g->msg.rcpt[i].addr, rcpt) == 0)
			break;
	*why = "out-of-memory";
	if (grow((void **)&g->recs, &g->caprecs, g->nrecs + 1,
	    sizeof *g->recs) < 0)
		return -1;
	if (i == g->msg.nrcpt) {
		*why = "too-many-recipients";
		if (g->msg.nrcpt >= GROUP_RCPTS)
			return -1;
		*why = "out-of-memory";
		if (grow((void **)&g->msg.rcpt, &ncap, i + 1,
		    sizeof *g->msg.rcpt) < 0 ||
		    grow((void **)&g->fresh, &g->cap, i + 1, 1) < 0)
			return -1;
		r = &g->msg.rcpt[i];
		memset(r, 0, sizeof *r);
		if ((r->addr = strdup(rcpt)) == NULL)
			return -1;
		g->fresh[i] = 0;
		g->msg.nrcpt++;
	}
	rec = &g->recs[g->nrecs];
	rec->idx = i;
	if (spelling(&rec->path, path, g->path) < 0)
		return -1;
	if (spelling(&rec->rcpt, rcpt, g->msg.rcpt[i].addr) < 0) {
		free(rec->path);
		return -1;
	}
	g->nrecs++;
	return (long)i;
}

static void
rset(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
{
	va_list ap;

	r->result = res;
	va_start(ap, fmt);
	vsnprintf(r->detail, DL_DETAIL_MAX, fmt, ap);
	va_end(ap);
}

/* The spool file is gone: fine only if this recipient was delivered. */
static enum status
gone(struct batch *b, struct group *g, struct dl_rcpt *r)
{
	char detail[DL_DETAIL_MAX], note[300];
	struct stat st;
	int has;

	if (g->sr != NULL) {
		switch (seen_lookup(b->seen, g->sr->dev, g->sr->ino,
		    g->msg.name, r->addr, detail, sizeof detail)) {
		case DL_OK:
			rset(r, DL_OK, "already delivered: %s", detail);
			return ST_OK;
		case DL_FAIL:
			rset(r, DL_FAIL, "failed earlier: %s", detail);
			return ST_NOUSER;
		case DL_PENDING:
			rset(r, DL_FAIL, "this message was finished without "
			    "this recipient; spool file gone");
			return ST_DATAERR;
		case DL_DEFER:
			break;	/* not finished by this process */
		}
		snprintf(note, sizeof note, "%s.done", g->msg.name);
		if (!g->have_prog && priv_enter(g->sr->sp.dirfd) == 0 &&
		    fstatat(g->sr->sp.dirfd, note, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    progress_open(&g->prog, g->sr->sp.dirfd, g->msg.name) == 0)
			g->have_prog = 1;
		priv_back();
		if (g->have_prog && progress_get(&g->prog, r->addr, detail,
		    sizeof detail) == PROGRESS_OK) {
			rset(r, DL_OK, "already delivered: %s", detail);
			return ST_OK;
		}
	}
	if (b->md != NULL && g->sr != NULL) {
		has = maildir_has(b->md, g->msg.name, r->addr);
		if (has == 1) {
			rset(r, DL_OK, "already delivered (spool file gone)");
			return ST_OK;
		}
		if (has < 0) {
			rset(r, DL_DEFER, "spool file gone; cannot check the "
			    "Maildir: %s", strerror(errno));
			return ST_TEMPFAIL;
		}
	}
	if (g->sr != NULL && fstatat(g->sr->sp.failedfd, g->msg.name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0) {
		rset(r, DL_FAIL, "message is in failed/ (see its .why)");
		return ST_NOUSER;
	}
	rset(r, DL_FAIL, "spool file gone and this recipient not delivered");
	return ST_DATAERR;
}

/* Append this group's fresh ok/fail results to its note (written at
 * once, durable after progress_sync). 0, or -1 with errno. */
static int
note_results(struct group *g)
{
	size_t i;

	for (i = 0; i < g->msg.nrcpt; i++) {
		struct dl_rcpt *r = &g->msg.rcpt[i];

		if (g->fresh[i] != 1 || (r->result != DL_OK &&
		    r->result != DL_FAIL))
			continue;
		if (progress_add(&g->prog, r->result == DL_OK, r->addr,
		    r->detail) < 0)
			return -1;
		g->fresh[i] = 2;	/* noted */
	}
	return 0;
}

static enum status
deliver_pending(struct batch *b, struct group *g)
{
	enum status st;
	size_t i;
	int any = 0;

	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result == DL_PENDING)
			any = g->fresh[i] = 1;
	if (!any || g->state != G_READY)
		return ST_OK;
	if (b->md != NULL)
		return maildir_deliver(b->md, &g->msg, g->prog.existed);
	st = lmtp_client_deliver(b->lmtp, &g->msg);
	/* Note each 250 at once, not at the batch's commit: a kill later in
	 * the batch must not make a rerun send this message again (the note
	 * survives a killed process; the commit fsyncs it). A failure here
	 * is tried again, and reported, at the commit. */
	(void)note_results(g);
	return st;
}

/* The writer left g: it is complete, and what it holds goes out now. */
static enum status
complete(struct batch *b, struct group *g)
{
	enum status st;

	if (g->closed)
		return ST_OK;
	g->closed = 1;
	st = deliver_pending(b, g);
	return st == ST_TEMPFAIL ? ST_OK : st;	/* counted at the commit */
}

/*
 * The group the record or end line for path belongs to, made the group
 * in hand: the one in hand (the same string, or the same file spelled
 * otherwise), else one in the batch, else a new one. The group left
 * behind is complete. NULL only when a new group could not be made.
 */
static struct group *
group_for(struct batch *b, const char *path, const char *sender,
    enum status *st)
{
	struct group *h = b->hand, *g;

	*st = ST_OK;
	if (h != NULL && strcmp(h->path, path) == 0)
		return h;
	g = group_find(b, path);
	if (h != NULL && g != h)
		*st = complete(b, h);
	if (g == NULL)
		g = group_new(b, path, sender);
	b->hand = g;
	return g;
}

/* A record that cannot be taken: its file must stay; say so on stdout. */
static enum status
refuse(struct batch *b, struct group *g, const char *path, const char *rcpt,
    const char *why)
{
	char line[REC_LINE_MAX + DL_DETAIL_MAX], qp[LOG_QUOTE_MAX];
	int len;

	if (g != NULL)
		g->tainted = 1;
	else
		b->taint_all = 1;	/* cannot even name it: keep them all */
	log_error(why, "path=%s", log_quote(qp, sizeof qp, path));
	len = result_format(line, sizeof line, path, rcpt, RESULT_DEFER, why);
	if (len > 0)
		(void)fwrite(line, 1, (size_t)len, b->out);
	return strcmp(why, "out-of-memory") == 0 ? ST_TEMPFAIL : ST_DATAERR;
}

enum status
batch_record(struct batch *b, const char *path, const char *rcpt,
    const char *sender, int more)
{
	char detail[DL_DETAIL_MAX];
	struct group *g;
	struct dl_rcpt *r;
	const char *why = "out-of-memory";
	enum status st;
	size_t before;
	long i;

	if (b->t0 == 0)
		b->t0 = io_now_ms();
	g = group_for(b, path, sender, &st);
	before = g != NULL ? g->msg.nrcpt : 0;
	if (g == NULL || (i = add_record(g, path, rcpt, &why)) < 0)
		return status_worse(st, refuse(b, g, path, rcpt, why));
	r = &g->msg.rcpt[i];
	if ((size_t)i < before)	/* a repeat: it shares the first's result */
		goto deliver;
	switch (g->state) {
	case G_GONE:
		return status_worse(st, gone(b, g, r));
	case G_LOCKED:
	case G_ERROR:
		rset(r, g->eres, "%s", g->edetail);
		return status_worse(st, g->est);
	case G_READY:
		break;
	}
	switch (progress_get(&g->prog, rcpt, detail, sizeof detail)) {
	case PROGRESS_OK:
		rset(r, DL_OK, "already delivered: %s", detail);
		return st;
	case PROGRESS_FAIL:
		rset(r, DL_FAIL, "failed earlier: %s", detail);
		return status_worse(st, ST_NOUSER);
	case PROGRESS_NONE:
		break;
	}
deliver:
	if (more && b->lmtp != NULL)
		return st;	/* one LMTP transaction with the next ones */
	return status_worse(st, deliver_pending(b, g));
}

enum status
batch_end(struct batch *b, const char *path)
{
	struct group *h = b->hand, *g = b->hand;
	enum status st = ST_OK;

	if (g == NULL || strcmp(g->path, path) != 0)
		g = group_find(b, path);
	if (h != NULL && h != g)
		st = complete(b, h);
	b->hand = NULL;
	if (g == NULL) {
		char q[LOG_QUOTE_MAX];

		/* a filter dropped every record: nothing to deliver */
		log_debug("end-without-records", "path=%s",
		    log_quote(q, sizeof q, path));
		return st;
	}
	return status_worse(st, complete(b, g));
}

void
batch_broken(struct batch *b, const char *path, size_t len)
{
	if (b->hand != NULL)
		b->hand->tainted = 1;
	if (len == 0)
		return;
	free(b->taint);
	if ((b->taint = strndup(path, len)) == NULL)
		b->taint_all = 1;
}

enum status
batch_input_end(struct batch *b)
{
	struct group *g = b->hand;
	char q[LOG_QUOTE_MAX];

	b->hand = NULL;
	if (g == NULL || g->closed || g->state == G_GONE)
		return ST_OK;
	/* the writer died or stopped inside this group: what was done is
	 * noted at the final commit, the file stays for the next run */
	log_warn("group-incomplete", "path=%s", log_quote(q, sizeof q,
	    g->path));
	return ST_TEMPFAIL;
}

/* Write SPOOL/failed/NAME.why, then move NAME there. */
static int
move_failed(struct group *g)
{
	struct spool *sp = &g->sr->sp;
	char why[MD_NAME_MAX + 8], line[2 * DL_DETAIL_MAX], stamp[64];
	struct md_tmp t;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;
	int len;

	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ",
	    gmtime_r(&now, &tm));
	snprintf(why, sizeof why, "%s.why", g->msg.name);
	if (md_tmp_open(&t, sp->tmpfd) < 0)
		return -1;
	len = snprintf(line, sizeof line, "time: %s\npath: %s\n", stamp,
	    g->path);
	if (md_tmp_write(&t, line, (size_t)len) < 0)
		goto fail;
	for (i = 0; i < g->msg.nrcpt; i++) {
		struct dl_rcpt *r = &g->msg.rcpt[i];

		len = snprintf(line, sizeof line, "%s\t%s\t%s\n", r->addr,
		    r->result == DL_OK ? "ok" : "fail", r->detail);
		if (len < 0 || (size_t)len >= sizeof line)
			len = (int)strlen(line);
		if (md_tmp_write(&t, line, (size_t)len) < 0)
			goto fail;
	}
	if (g->prog.len > 0 && (md_tmp_write(&t, "progress note:\n", 15) < 0 ||
	    md_tmp_write(&t, g->prog.buf, g->prog.len) < 0))
		goto fail;
	if (md_tmp_commit(&t, sp->failedfd, why, MD_RENAME) < 0)
		return -1;
	if (renameat(sp->newfd, g->msg.name, sp->failedfd, g->msg.name) < 0 ||
	    md_fsync_dir(sp->failedfd) < 0)
		return -1;
	g->sr->dirty = 1;
	return 0;
fail:
	md_tmp_discard(&t);
	return -1;
}

/* Did any recipient, in this run or an earlier one, fail for good? */
static int
any_failed(const struct group *g)
{
	size_t i;

	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result == DL_FAIL)
			return 1;
	return progress_any_fail(&g->prog);
}

/* Step 4 for one complete group: returns the status it adds. */
static enum status
finish(struct batch *b, struct group *g)
{
	char q[LOG_QUOTE_MAX];
	size_t i;

	log_quote(q, sizeof q, g->path);
	if (g->state == G_GONE && g->have_prog) {
		/* a run died between the unlink and the note's removal */
		g->sr->dirty = 1;
		g->finished = 1;
		return ST_OK;
	}
	if (g->state != G_READY)
		return ST_OK;
	for (i = 0; i < g->msg.nrcpt; i++) {
		if (g->msg.rcpt[i].result != DL_OK &&
		    g->msg.rcpt[i].result != DL_FAIL) {
			log_info("kept", "path=%s reason=deferred", q);
			return ST_OK;
		}
	}
	if (g->tainted || b->taint_all) {
		log_warn("kept", "path=%s reason=broken-record", q);
		return ST_OK;
	}
	if (priv_enter(g->sr->sp.dirfd) < 0) {	/* batch_commit goes back */
		log_error("cannot-act-as-owner", "path=%s error=\"%s\"", q,
		    strerror(errno));
		return ST_TEMPFAIL;
	}
	if (any_failed(g)) {
		if (move_failed(g) < 0) {
			log_error("cannot-move-to-failed", "path=%s error=\"%s\"",
			    q, strerror(errno));
			return ST_TEMPFAIL;
		}
		log_warn("failed", "path=%s", q);
	} else {
		if (unlinkat(g->sr->sp.newfd, g->msg.name, 0) < 0) {
			log_error("cannot-remove", "path=%s error=\"%s\"", q,
			    strerror(errno));
			return ST_TEMPFAIL;
		}
		g->sr->dirty = 1;
		log_debug("removed", "path=%s", q);
	}
	g->finished = 1;
	return ST_OK;
}

static enum status
print_results(struct batch *b, struct group *g)
{
	char line[REC_LINE_MAX * 2 + DL_DETAIL_MAX];
	char qp[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX], qd[LOG_QUOTE_MAX];
	enum status st = ST_OK;
	size_t i;

	for (i = g->printed; i < g->nrecs; i++) {
		const struct grec *rec = &g->recs[i];
		struct dl_rcpt *r = &g->msg.rcpt[rec->idx];
		const char *path = rec->path ? rec->path : g->path;
		const char *addr = rec->rcpt ? rec->rcpt : r->addr;
		enum result_kind k;
		int len;

		if (r->result == DL_PENDING)
			rset(r, DL_DEFER, "not delivered");
		k = r->result == DL_OK ? RESULT_OK :
		    r->result == DL_FAIL ? RESULT_FAIL : RESULT_DEFER;
		len = result_format(line, sizeof line, path, addr, k,
		    r->detail);
		if (len > 0 && fwrite(line, 1, (size_t)len, b->out) !=
		    (size_t)len)
			st = ST_IOERR;
		log_event(k == RESULT_OK ? LOG_INFO : k == RESULT_DEFER ?
		    LOG_WARN : LOG_ERROR, result_word(k),
		    "path=%s rcpt=%s detail=%s",
		    log_quote(qp, sizeof qp, path),
		    log_quote(qr, sizeof qr, addr),
		    log_quote(qd, sizeof qd, r->detail));
	}
	g->printed = g->nrecs;
	return st;
}

/*
 * Must this group's results go into its note now? Over LMTP always (a
 * 250 cannot be looked up later). Into Maildirs only when the message
 * stays in the spool (something not ok, a broken record, or we are
 * stopping with it unfinished): an ok copy is found again by its name,
 * because the note's existence makes a rerun search new/ and cur/.
 */
static int
note_needed(const struct batch *b, const struct group *g)
{
	size_t i;

	if (b->lmtp != NULL || (b->final && !g->closed) || g->tainted ||
	    b->taint_all)
		return 1;
	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result != DL_OK)
			return 1;
	return 0;
}

/* The status this commit adds for the results decided in this run. */
static enum status
fresh_status(const struct group *g)
{
	enum status st = ST_OK;
	size_t i;

	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->fresh[i])
			st = status_worse(st, g->msg.rcpt[i].result == DL_OK ?
			    ST_OK : g->msg.rcpt[i].result == DL_FAIL ?
			    ST_NOUSER : ST_TEMPFAIL);
	return st;
}

/* Step 3: the notes where needed, then the result lines. */
static enum status
note_and_print(struct batch *b)
{
	enum status st = ST_OK;
	char q[LOG_QUOTE_MAX];
	struct group *g;

	for (g = b->head; g != NULL; g = g->next) {
		if (g->state != G_READY || !note_needed(b, g))
			continue;
		if (priv_enter(g->sr->sp.dirfd) < 0 || note_results(g) < 0 ||
		    progress_sync(&g->prog) < 0) {
			log_warn("progress-note", "path=%s error=\"%s\"",
			    log_quote(q, sizeof q, g->path), strerror(errno));
			st = status_worse(st, ST_TEMPFAIL);
		}
	}
	priv_back();
	errno = 0;	/* so that a stdout error below is named rightly */
	for (g = b->head; g != NULL; g = g->next) {
		if (g->printed < g->nrecs)
			st = status_worse(st, fresh_status(g));
		st = status_worse(st, print_results(b, g));
	}
	if (fflush(b->out) != 0 || ferror(b->out)) {
		int e = errno;

		st = status_worse(st, ST_IOERR);
		if (!b->out_failed)	/* the reader is gone: say so once */
			log_error("write", "file=stdout error=\"%s\"",
			    strerror(e != 0 ? e : EIO));
		b->out_failed = 1;
	}
	return st;
}

/* Step 4 after the finish: the spool files gone for good, their notes
 * removed, the complete groups remembered and freed. */
static enum status
release(struct batch *b)
{
	enum status st = ST_OK;
	char q[LOG_QUOTE_MAX];
	struct group *g, **pp;
	struct sref *s;

	for (s = b->spools; s != NULL; s = s->next) {
		if (s->dirty && md_fsync_dir(s->sp.newfd) < 0) {
			log_error("fsync", "path=%s error=\"%s\"",
			    log_quote(q, sizeof q, s->sp.path),
			    strerror(errno));
			for (g = b->head; g != NULL; g = g->next)
				if (g->sr == s)
					g->finished = 0;
			st = status_worse(st, ST_TEMPFAIL);
		}
		s->dirty = 0;
	}
	for (pp = &b->head; (g = *pp) != NULL;) {
		if (!g->closed) {
			pp = &g->next;
			continue;
		}
		if (g->finished && g->state == G_READY)
			(void)seen_add(b->seen, g->sr->dev, g->sr->ino,
			    g->msg.name, &g->msg);
		if (g->finished && (priv_enter(g->sr->sp.dirfd) < 0 ||
		    progress_remove(g->sr->sp.dirfd, g->msg.name) < 0))
			log_warn("progress-note", "path=%s error=\"%s\"",
			    log_quote(q, sizeof q, g->path), strerror(errno));
		priv_back();
		*pp = g->next;
		b->ngroups--;
		group_free(b, g);
	}
	b->tail = NULL;
	for (g = b->head; g != NULL; g = g->next)
		b->tail = g;
	return st;
}

enum status
batch_commit(struct batch *b)
{
	enum status st = ST_OK;
	struct group *g;

	for (g = b->head; g != NULL; g = g->next)
		deliver_pending(b, g);	/* counted per result below */
	if (b->md != NULL)
		maildir_commit(b->md);
	b->t0 = 0;
	st = note_and_print(b);
	for (g = b->head; g != NULL; g = g->next)
		if (g->closed)
			st = status_worse(st, finish(b, g));
	priv_back();
	return status_worse(st, release(b));
}
