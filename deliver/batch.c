/*
 * batch.c: records in: the record groups of mdrop-deliver (see batch.h,
 * group.h); commit.c makes them durable and acknowledges them.
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
 *
 * Step 1 of the durable order is spoolfile.c's (the spool file opened,
 * locked, its done note opened), commit.c has the rest; a group's
 * recipients and records are kept by rcpts.c. Each record is delivered
 * as soon as it arrives (Maildir: the copy written in tmp/; LMTP: handed
 * to a free session, its 250s noted as they come back, landed() below).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ascii.h"
#include "common/io.h"
#include "common/log.h"
#include "common/rec.h"
#include "common/spool.h"
#include "common/tool.h"
#include "deliver/batch.h"
#include "deliver/group.h"
#include "deliver/lmtp.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"
#include "deliver/seen.h"

static lmtp_done_fn landed;

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
		maildir_set_prelink(md, batch_prelink, b);
	if (lmtp != NULL)
		lmtp_client_on_done(lmtp, landed, b);
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


void
group_free(struct batch *b, struct group *g)
{
	size_t i;

	if (g->have_note)
		note_close(&g->note);
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
	free(g->slots);
	free(g->recs);
	free(g->path);
	free(g->sender);
	free(g->why);
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
	if ((g->sr = spool_locate(b, g->path, &g->msg.name, g)) != NULL) {
		g->sr->refs++;
		group_open(g, b->lmtp == NULL);
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
		if (sr == NULL && (sr = spool_ref(b, dir)) == NULL)
			return NULL;
		if (g->sr == sr)
			return g;
	}
	return NULL;
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
			dl_set(r, DL_OK, "already delivered: %s", detail);
			return ST_OK;
		case DL_FAIL:
			dl_set(r, DL_FAIL, "failed earlier: %s", detail);
			return ST_NOUSER;
		case DL_PENDING:
			dl_set(r, DL_FAIL, "this message was finished without "
			    "this recipient; spool file gone");
			return ST_DATAERR;
		case DL_DEFER:
			break;	/* not finished by this process */
		}
		snprintf(note, sizeof note, "%s.done", g->msg.name);
		if (!g->have_note && priv_enter(g->sr->sp.dirfd) == 0 &&
		    fstatat(g->sr->sp.dirfd, note, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 &&
		    note_open(&g->note, g->sr->sp.dirfd, g->msg.name, 0) == 0)
			g->have_note = 1;
		priv_back();
		if (g->have_note && note_get(&g->note, r->addr, detail,
		    sizeof detail) == DONENOTE_OK) {
			dl_set(r, DL_OK, "already delivered: %s", detail);
			return ST_OK;
		}
	}
	if (b->md != NULL && g->sr != NULL) {
		has = maildir_has(b->md, g->msg.name, r->addr);
		if (has == 1) {
			dl_set(r, DL_OK, "already delivered (spool file gone)");
			return ST_OK;
		}
		if (has < 0) {
			dl_set(r, DL_DEFER, "spool file gone; cannot check the "
			    "Maildir: %s", strerror(errno));
			return ST_TEMPFAIL;
		}
	}
	if (g->sr != NULL && fstatat(g->sr->sp.failedfd, g->msg.name, &st,
	    AT_SYMLINK_NOFOLLOW) == 0) {
		/* its .why says who was delivered before it went there */
		if (!g->why_read) {
			g->why_read = 1;
			if (priv_enter(g->sr->sp.dirfd) < 0 ||
			    note_why_read(g->sr->sp.failedfd, g->msg.name,
			    &g->why, &g->whylen) < 0)
				g->whylen = 0;
			priv_back();
		}
		switch (g->why == NULL ? DONENOTE_NONE : donenote_why_find(
		    g->why, g->whylen, r->addr, detail, sizeof detail)) {
		case DONENOTE_OK:
			dl_set(r, DL_OK, "already delivered: %s", detail);
			return ST_OK;
		case DONENOTE_FAIL:
			dl_set(r, DL_FAIL, "failed earlier (message in failed/, "
			    "see its .why): %s", detail);
			return ST_NOUSER;
		case DONENOTE_NONE:
			break;
		}
		dl_set(r, DL_FAIL, "message is in failed/ (see its .why) and "
		    "this recipient not delivered");
		return ST_DATAERR;
	}
	dl_set(r, DL_FAIL, "spool file gone and this recipient not delivered");
	return ST_DATAERR;
}

/* Append this group's fresh ok results, and with fails its fresh fail
 * results, to its note. 0, or -1 with errno. */
static int
note_results(struct group *g, int fails)
{
	size_t i;

	if (g->early)	/* its file is gone: nothing left to retry */
		return 0;
	for (i = 0; i < g->msg.nrcpt; i++) {
		struct dl_rcpt *r = &g->msg.rcpt[i];

		if (g->fresh[i] != 1 || (r->result != DL_OK &&
		    (r->result != DL_FAIL || !fails)))
			continue;
		if (note_add(&g->note, r->result == DL_OK, r->addr,
		    r->detail) < 0)
			return -1;
		g->fresh[i] = 2;	/* noted */
	}
	return 0;
}

/* Append this group's fresh ok/fail results to its note (written at
 * once, durable after note_sync). 0, or -1 with errno. */
int
group_note(struct group *g)
{
	return note_results(g, 1);
}

/*
 * --unknown-to: the recipients that failed as unknown users go to that
 * address instead, once (a failure there is a plain failure: no loop).
 * 1 when some were turned back to pending.
 */
static int
redirect_unknown(const struct batch *b, struct group *g, size_t from)
{
	char qr[LOG_QUOTE_MAX], qd[LOG_QUOTE_MAX], qt[LOG_QUOTE_MAX];
	size_t i;
	int any = 0;

	for (i = from; b->unknown_to != NULL && i < g->msg.nrcpt; i++) {
		struct dl_rcpt *r = &g->msg.rcpt[i];

		if (r->result != DL_FAIL || !r->unknown || r->redirect != NULL ||
		    strcasecmp(r->addr, b->unknown_to) == 0)
			continue;
		log_info("unknown-redirected", "rcpt=%s to=%s reason=%s",
		    log_quote(qr, sizeof qr, r->addr),
		    log_quote(qt, sizeof qt, b->unknown_to),
		    log_quote(qd, sizeof qd, r->detail));
		r->redirect = b->unknown_to;
		r->result = DL_PENDING;
		r->unknown = 0;
		any = 1;
	}
	return any;
}

/* The recipients decided so far: a group of thousands stays linear. */
static void
advance(struct group *g)
{
	while (g->msg.from < g->msg.nrcpt &&
	    g->msg.rcpt[g->msg.from].result != DL_PENDING)
		g->msg.from++;
}

/*
 * LMTP: a complete group whose every recipient is now ok (in this run or,
 * by its note, an earlier one) leaves the spool at once, its spool file
 * unlinked here rather than at the commit: that records its 2xx replies
 * as surely as a note line would (a killed process keeps either), without
 * making a note file for it, which is what most messages (one recipient,
 * one transaction) would otherwise cost. SPOOL/new is fsynced at the
 * commit, as before. 1 when g is (now or already) gone so.
 */
static int
finish_now(const struct batch *b, struct group *g)
{
	size_t i;
	int r;

	if (g->early)
		return 1;
	if (!g->closed || g->tainted || b->taint_all || g->state != G_READY ||
	    note_any_fail(&g->note))
		return 0;
	for (i = 0; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result != DL_OK)
			return 0;
	r = priv_enter(g->sr->sp.dirfd) < 0 ? -1 :
	    unlinkat(g->sr->sp.newfd, g->msg.name, 0);
	priv_back();
	if (r < 0)
		return 0;	/* noted instead; the commit tries and says */
	g->early = 1;
	g->sr->dirty = 1;
	return 1;
}

/*
 * LMTP's done callback. After each transaction the 2xx results are noted
 * at once, before anything else is read from any session: a kill later
 * must not make a rerun send them again (the note survives a killed
 * process; the commit fsyncs it), so the window for a duplicate stays
 * one transaction per session. When they were the last the message
 * waited for, its spool file goes instead (finish_now). Failures are
 * noted only when g is back (done), after --unknown-to has had its say.
 * A failure to note is tried again, and reported, at the commit.
 */
static void
landed(void *arg, void *tag, struct dl_msg *msg, int done, enum status st)
{
	struct batch *b = arg;
	struct group *g = tag;

	(void)msg;
	(void)st;	/* counted per result at the commit */
	if (!done) {
		if (!finish_now(b, g))
			(void)note_results(g, 0);
		return;
	}
	g->inflight = 0;
	if (redirect_unknown(b, g, g->msg.from))
		g->again = 1;
	advance(g);
	if (!finish_now(b, g))
		(void)group_note(g);
}

/* Groups back from LMTP that must go again, handed over again. */
static void
settle(struct batch *b)
{
	struct group *g;
	int any = 1;

	if (b->settling)
		return;
	b->settling = 1;
	while (any) {
		any = 0;
		for (g = b->head; g != NULL; g = g->next) {
			if (!g->again || g->inflight)
				continue;
			g->again = 0;
			(void)group_deliver(b, g);
			any = 1;
		}
	}
	b->settling = 0;
}

void
batch_drain(struct batch *b)
{
	if (b->lmtp == NULL)
		return;
	do {
		lmtp_client_drain(b->lmtp);
		settle(b);
	} while (lmtp_client_busy(b->lmtp) > 0);
}

int
batch_wait_input(struct batch *b, int timeout_ms)
{
	long long deadline = io_now_ms() + timeout_ms;
	int r;

	if (b->lmtp == NULL)
		return tool_wait_input(0, timeout_ms);
	for (;;) {
		long long left = deadline - io_now_ms();

		r = lmtp_client_wait(b->lmtp, 0, timeout_ms < 0 ? -1 :
		    left > 0 ? (int)left : 0);
		settle(b);
		if (r != 0 || (timeout_ms >= 0 && io_now_ms() >= deadline))
			return r;
	}
}

enum status
group_deliver(struct batch *b, struct group *g)
{
	size_t i, from = g->msg.from;
	enum status st;
	int any = 0;

	for (i = from; i < g->msg.nrcpt; i++)
		if (g->msg.rcpt[i].result == DL_PENDING)
			any = g->fresh[i] = 1;
	if (!any || g->state != G_READY)
		return ST_OK;
	if (b->lmtp != NULL) {
		if (g->inflight) {
			g->again = 1;	/* the new ones when it is back */
			return ST_OK;
		}
		g->inflight = 1;
		lmtp_client_submit(b->lmtp, &g->msg, g);
		settle(b);
		return ST_OK;	/* counted per result at the commit */
	}
	st = maildir_deliver(b->md, &g->msg, g->note.existed);
	if (redirect_unknown(b, g, from))
		st = status_worse(st, maildir_deliver(b->md, &g->msg,
		    g->note.existed));
	advance(g);
	return st;
}

void
batch_unknown_to(struct batch *b, const char *addr)
{
	b->unknown_to = addr;
}

/* The writer left g: it is complete, and what it holds goes out now. */
static enum status
complete(struct batch *b, struct group *g)
{
	enum status st;

	if (g->closed)
		return ST_OK;
	g->closed = 1;
	st = group_deliver(b, g);
	return st == ST_TEMPFAIL ? ST_OK : st;	/* counted at the commit */
}

/*
 * The writer left the group in hand, h, for a line naming path. A path
 * that names no spool file is an invalid line (mdrop-deliver(1)), not
 * the writer moving on: h keeps its spool file for the next run, so that
 * a recipient of h's file that was refused for its spelling is not lost.
 */
static enum status
leave(struct batch *b, struct group *h, const char *path)
{
	char dir[PATH_MAX];
	const char *name;

	if (spool_split_path(path, dir, sizeof dir, &name) < 0)
		h->tainted = 1;
	return complete(b, h);
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
		*st = leave(b, h, path);
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
	if (g == NULL || (i = group_add_record(g, path, rcpt, &why)) < 0)
		return status_worse(st, refuse(b, g, path, rcpt, why));
	r = &g->msg.rcpt[i];
	if ((size_t)i < before)	/* a repeat: it shares the first's result */
		goto deliver;
	if (g->early)	/* a new recipient, its spool file already gone */
		return status_worse(st, gone(b, g, r));
	switch (g->state) {
	case G_GONE:
		return status_worse(st, gone(b, g, r));
	case G_LOCKED:
	case G_ERROR:
		dl_set(r, g->eres, "%s", g->edetail);
		return status_worse(st, g->est);
	case G_READY:
		break;
	}
	switch (note_get(&g->note, rcpt, detail, sizeof detail)) {
	case DONENOTE_OK:
		dl_set(r, DL_OK, "already delivered: %s", detail);
		return st;
	case DONENOTE_FAIL:
		dl_set(r, DL_FAIL, "failed earlier: %s", detail);
		return status_worse(st, ST_NOUSER);
	case DONENOTE_NONE:
		break;
	}
deliver:
	if (more && b->lmtp != NULL)
		return st;	/* one LMTP transaction with the next ones */
	return status_worse(st, group_deliver(b, g));
}

enum status
batch_end(struct batch *b, const char *path)
{
	struct group *h = b->hand, *g = b->hand;
	enum status st = ST_OK;

	if (g == NULL || strcmp(g->path, path) != 0)
		g = group_find(b, path);
	if (h != NULL && h != g)
		st = leave(b, h, path);
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

