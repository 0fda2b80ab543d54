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
 *      kept: something deferred or failed, or we are stopping, since
 *      the deterministic Maildir name already proves an "ok"); print the
 *      result lines;
 *   4. closed groups: unlink the spool file (or move it to failed/),
 *      fsync SPOOL/new once per spool, then remove the notes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/md.h"
#include "common/progress.h"
#include "common/rec.h"
#include "common/result.h"
#include "common/spool.h"
#include "deliver/batch.h"
#include "deliver/priv.h"

#define GROUP_RCPTS 10000	/* recipients of one message, at most */
#define SPOOLS_KEPT 4		/* idle spools kept open */

enum gstate { G_READY, G_GONE, G_LOCKED, G_ERROR };

struct sref {
	struct sref *next;
	struct spool sp;
	int refs;
	int dirty;		/* new/ changed: fsync before removing notes */
	int marks;		/* a note was created: fsync SPOOL before links */
};

struct group {
	struct group *next;
	char *path;
	struct sref *sr;
	enum gstate state;
	enum dl_result eres;	/* G_ERROR: the result for every record */
	enum status est;	/* G_ERROR: and its status */
	char edetail[DL_DETAIL_MAX];
	struct progress prog;
	int have_prog;
	struct dl_msg msg;
	char *sender;
	unsigned char *fresh;	/* per rcpt: 1 = decided in this run */
	size_t cap, printed;
	int closed, tainted, finished;
};

struct batch {
	struct maildir *md;
	struct lmtp_client *lmtp;
	FILE *out;
	struct group *head, *tail;	/* tail: the group in hand */
	size_t ngroups;
	struct sref *spools;
	char *taint;		/* PATH of the last broken record */
	int final;		/* the last commit: note what stays unfinished */
	long long t0;		/* monotonic ms of the batch's first record */
	int out_failed;		/* stdout write error already logged */
};

/* Maildir prelink hook: the notes created in this batch made durable. */
static int
spool_marks(void *arg)
{
	struct batch *b = arg;
	struct sref *s;

	for (s = b->spools; s != NULL; s = s->next) {
		if (!s->marks)
			continue;
		if (md_fsync_dir(s->sp.dirfd) < 0) {
			int e = errno;

			log_error("fsync", "path=%s error=\"%s\"", s->sp.path,
			    strerror(e));
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

	if (b != NULL) {
		b->md = md;
		b->lmtp = lmtp;
		b->out = out;
		if (md != NULL)
			maildir_set_prelink(md, spool_marks, b);
	}
	return b;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
batch_age(const struct batch *b)
{
	return b->t0 == 0 ? -1 : now_ms() - b->t0;
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

static struct sref *
spool_get(struct batch *b, const char *dir)
{
	struct sref *s;

	for (s = b->spools; s != NULL; s = s->next)
		if (strcmp(s->sp.path, dir) == 0)
			return s;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (spool_open(&s->sp, dir, 0) < 0) {
		int e = errno;

		free(s);
		errno = e;
		return NULL;
	}
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

/* Open the spool file of a new group: step 1 above. */
static void
group_open(struct batch *b, struct group *g)
{
	char dir[PATH_MAX];
	const char *name;
	struct stat st, st2;
	int fd, r;

	g->msg.fd = -1;
	if (spool_split_path(g->path, dir, sizeof dir, &name) < 0) {
		gset(g, G_ERROR, DL_FAIL, ST_DATAERR, "not a spool file "
		    "(PATH must be SPOOL/new/NAME)");
		return;
	}
	g->msg.path = g->path;
	g->msg.name = name;
	/* as root, all that follows as the spool's owner */
	if ((r = priv_enter_path(dir)) == -2)
		goto root_owned;
	if (r < 0 || (g->sr = spool_get(b, dir)) == NULL) {
		int e = errno;

		gset(g, G_ERROR, DL_DEFER, e == ENOENT || e == ENOTDIR ?
		    ST_NOINPUT : ST_TEMPFAIL, "cannot open spool %s: %s", dir,
		    strerror(e));
		return;
	}
	g->sr->refs++;
	if ((r = priv_enter(g->sr->sp.dirfd)) == -2)
		goto root_owned;
	if (r < 0) {
		gset(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "spool %s: cannot act "
		    "as its owner: %s", dir, strerror(errno));
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
	return;
root_owned:
	gset(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s belongs to root: as "
	    "root, mdrop-deliver needs --user", dir);
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
	free(g->msg.rcpt);
	free(g->fresh);
	free(g->path);
	free(g->sender);
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
	free(b->taint);
	free(b);
}

void
batch_taint(struct batch *b, const char *path, size_t len)
{
	free(b->taint);
	b->taint = strndup(path, len);
	if (b->tail != NULL && !b->tail->closed && b->taint != NULL &&
	    strcmp(b->tail->path, b->taint) == 0)
		b->tail->tainted = 1;
}

void
batch_close(struct batch *b)
{
	if (b->tail != NULL)
		b->tail->closed = 1;
}

size_t
batch_groups(const struct batch *b)
{
	return b->ngroups;
}

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
	g->msg.sender = g->sender;
	g->tainted = b->taint != NULL && strcmp(b->taint, path) == 0;
	if (b->tail != NULL)
		b->tail->next = g;
	else
		b->head = g;
	b->tail = g;
	b->ngroups++;
	group_open(b, g);
	priv_back();
	return g;
}

/* Append a recipient; returns its index or -1 (ENOMEM, too many). */
static long
add_rcpt(struct group *g, const char *rcpt)
{
	struct dl_rcpt *r;

	if (g->msg.nrcpt == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 8;
		struct dl_rcpt *nr;
		unsigned char *nf;

		if (g->cap >= GROUP_RCPTS)
			return -1;
		if ((nr = realloc(g->msg.rcpt, ncap * sizeof *nr)) == NULL)
			return -1;
		g->msg.rcpt = nr;
		if ((nf = realloc(g->fresh, ncap)) == NULL)
			return -1;
		g->fresh = nf;
		g->cap = ncap;
	}
	r = &g->msg.rcpt[g->msg.nrcpt];
	memset(r, 0, sizeof *r);
	if ((r->addr = strdup(rcpt)) == NULL)
		return -1;
	g->fresh[g->msg.nrcpt] = 0;
	return (long)g->msg.nrcpt++;
}

static void
rset(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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
	if (b->md != NULL) {
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

enum status
batch_record(struct batch *b, const char *path, const char *rcpt,
    const char *sender, int more)
{
	struct group *g = b->tail;
	char detail[DL_DETAIL_MAX];
	struct dl_rcpt *r;
	long i;

	if (b->t0 == 0)
		b->t0 = now_ms();
	if (g != NULL && !g->closed && strcmp(g->path, path) != 0) {
		enum status st = deliver_pending(b, g);

		g->closed = 1;
		if (st != ST_OK && st != ST_TEMPFAIL)
			return st;
	}
	if (g == NULL || g->closed)
		g = group_new(b, path, sender);
	if (g == NULL || (i = add_rcpt(g, rcpt)) < 0) {
		log_error("out-of-memory", "path=%s", path);
		return ST_TEMPFAIL;
	}
	r = &g->msg.rcpt[i];
	switch (g->state) {
	case G_GONE:
		return gone(b, g, r);
	case G_LOCKED:
	case G_ERROR:
		rset(r, g->eres, "%s", g->edetail);
		return g->est;
	case G_READY:
		break;
	}
	switch (progress_get(&g->prog, rcpt, detail, sizeof detail)) {
	case PROGRESS_OK:
		rset(r, DL_OK, "already delivered: %s", detail);
		return ST_OK;
	case PROGRESS_FAIL:
		rset(r, DL_FAIL, "failed earlier: %s", detail);
		return ST_NOUSER;
	case PROGRESS_NONE:
		break;
	}
	if (more && b->lmtp != NULL)
		return ST_OK;	/* one LMTP transaction with the next ones */
	return deliver_pending(b, g);
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

/* Step 4 for one closed group: returns the status it adds. */
static enum status
finish(struct group *g)
{
	int deferred = 0, failed = 0;
	size_t i;

	if (g->state == G_GONE && g->have_prog) {
		/* a run died between the unlink and the note's removal */
		g->sr->dirty = 1;
		g->finished = 1;
		return ST_OK;
	}
	if (g->state != G_READY)
		return ST_OK;
	for (i = 0; i < g->msg.nrcpt; i++) {
		deferred |= g->msg.rcpt[i].result != DL_OK &&
		    g->msg.rcpt[i].result != DL_FAIL;
		failed |= g->msg.rcpt[i].result == DL_FAIL;
	}
	for (i = 0; i + 5 <= g->prog.len; i++)
		if ((i == 0 || g->prog.buf[i - 1] == '\n') &&
		    memcmp(g->prog.buf + i, "fail\t", 5) == 0)
			failed = 1;
	if (g->tainted) {
		log_warn("kept", "path=%s reason=broken-record", g->path);
		return ST_OK;
	}
	if (deferred) {
		log_info("kept", "path=%s reason=deferred", g->path);
		return ST_OK;
	}
	if (priv_enter(g->sr->sp.dirfd) < 0) {	/* batch_commit goes back */
		log_error("cannot-act-as-owner", "path=%s error=\"%s\"",
		    g->path, strerror(errno));
		return ST_TEMPFAIL;
	}
	if (failed) {
		if (move_failed(g) < 0) {
			log_error("cannot-move-to-failed", "path=%s error=\"%s\"",
			    g->path, strerror(errno));
			return ST_TEMPFAIL;
		}
		log_warn("failed", "path=%s", g->path);
	} else {
		if (unlinkat(g->sr->sp.newfd, g->msg.name, 0) < 0) {
			log_error("cannot-remove", "path=%s error=\"%s\"",
			    g->path, strerror(errno));
			return ST_TEMPFAIL;
		}
		g->sr->dirty = 1;
		log_debug("removed", "path=%s", g->path);
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

	for (i = g->printed; i < g->msg.nrcpt; i++) {
		struct dl_rcpt *r = &g->msg.rcpt[i];
		enum result_kind k = r->result == DL_OK ? RESULT_OK :
		    r->result == DL_FAIL ? RESULT_FAIL : RESULT_DEFER;
		int len;

		if (r->result == DL_PENDING)
			rset(r, DL_DEFER, "not delivered");
		len = result_format(line, sizeof line, g->path, r->addr, k,
		    r->detail);
		if (len > 0 && fwrite(line, 1, (size_t)len, b->out) !=
		    (size_t)len)
			st = ST_IOERR;
		log_event(k == RESULT_OK ? LOG_INFO : k == RESULT_DEFER ?
		    LOG_WARN : LOG_ERROR, result_word(k),
		    "path=%s rcpt=%s detail=%s",
		    log_quote(qp, sizeof qp, g->path),
		    log_quote(qr, sizeof qr, r->addr),
		    log_quote(qd, sizeof qd, r->detail));
	}
	g->printed = g->msg.nrcpt;
	return st;
}

/*
 * Must this group's results go into its note now? Over LMTP always (a
 * 250 cannot be looked up later). Into Maildirs only when the message
 * stays in the spool (something not ok, or we are stopping with it
 * unfinished): an ok copy is found again by its name, because the note's
 * existence makes a rerun search new/ and cur/.
 */
static int
note_needed(const struct batch *b, const struct group *g)
{
	size_t i;

	if (b->lmtp != NULL || (b->final && !g->closed) || g->tainted)
		return 1;
	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result != DL_OK)
			return 1;
	return 0;
}

enum status
batch_commit(struct batch *b)
{
	enum status st = ST_OK;
	struct group *g, **pp;
	struct sref *s;
	size_t i;

	for (g = b->head; g != NULL; g = g->next)
		deliver_pending(b, g);	/* counted per result below */
	if (b->md != NULL)
		maildir_commit(b->md);
	b->t0 = 0;
	for (g = b->head; g != NULL; g = g->next) {
		if (g->state != G_READY || !note_needed(b, g))
			continue;
		if (priv_enter(g->sr->sp.dirfd) < 0 || note_results(g) < 0 ||
		    progress_sync(&g->prog) < 0) {
			log_warn("progress-note", "path=%s error=\"%s\"",
			    g->path, strerror(errno));
			st = status_worse(st, ST_TEMPFAIL);
		}
	}
	priv_back();
	errno = 0;	/* so that a stdout error below is named rightly */
	for (g = b->head; g != NULL; g = g->next) {
		for (i = g->printed; i < g->msg.nrcpt; i++)
			if (g->fresh[i])
				st = status_worse(st, g->msg.rcpt[i].result ==
				    DL_OK ? ST_OK : g->msg.rcpt[i].result ==
				    DL_FAIL ? ST_NOUSER : ST_TEMPFAIL);
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
	for (g = b->head; g != NULL; g = g->next)
		if (g->closed)
			st = status_worse(st, finish(g));
	priv_back();
	/* The spool files must be gone for good before their notes go. */
	for (s = b->spools; s != NULL; s = s->next) {
		if (s->dirty && md_fsync_dir(s->sp.newfd) < 0) {
			log_error("fsync", "path=%s/new error=\"%s\"",
			    s->sp.path, strerror(errno));
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
		if (g->finished && (priv_enter(g->sr->sp.dirfd) < 0 ||
		    progress_remove(g->sr->sp.dirfd, g->msg.name) < 0))
			log_warn("progress-note", "path=%s error=\"%s\"",
			    g->path, strerror(errno));
		priv_back();
		*pp = g->next;
		if (b->tail == g)
			b->tail = NULL;
		b->ngroups--;
		group_free(b, g);
	}
	if (b->tail == NULL)
		for (g = b->head; g != NULL; g = g->next)
			b->tail = g;
	return st;
}
