/*
 * commit.c: group commit and spool acknowledgement for mdrop-deliver
 * (batch.c takes the records in). The order of durable steps is what
 * makes delivery exactly-once (mdrop-deliver(1), EXACTLY ONCE):
 *
 *   1. open the spool file (O_NOFOLLOW), flock it, check it is still in
 *      new/; open or create its done note SPOOL/NAME.done (over LMTP
 *      the note is made by its first line, if one is ever needed);
 *   2. deliver (Maildir: the copy written and fsynced in tmp/; LMTP: 250
 *      received, on whichever session carried the message: the commit
 *      waits for every message in flight; a complete group whose replies
 *      are all 2xx has its spool file unlinked as they come, batch.c's
 *      finish_now, and step 4 only fsyncs SPOOL/new for it);
 *   3. commit (once per batch): Maildir: fsync SPOOL once if a note was
 *      created (so a later run knows to look for earlier copies, in cur/
 *      too, before it delivers), only then link the copies into new/ and
 *      fsync each new/ once (maildir_commit, via batch_prelink below);
 *      append "ok"/"fail" lines to the note and fsync it where they are
 *      needed (only when the message is kept: something deferred or
 *      failed, the group incomplete, or we are stopping; for Maildir the
 *      deterministic name already proves an "ok", for LMTP the unlink in
 *      step 4 of this same commit; see note_needed); print the result
 *      lines;
 *   4. complete groups: unlink the spool file (or move it to failed/),
 *      fsync SPOOL/new once per spool, then remove the notes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/md.h"
#include "common/rec.h"
#include "common/tool.h"
#include "deliver/batch.h"
#include "deliver/group.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"
#include "deliver/seen.h"

/* Maildir prelink hook: the notes created in this batch made durable. */
int
batch_prelink(void *arg)
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
	if (g->note.len > 0 && (md_tmp_write(&t, "done note:\n", 11) < 0 ||
	    md_tmp_write(&t, g->note.buf, g->note.len) < 0))
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
	return note_any_fail(&g->note);
}

/* Step 4 for one complete group: returns the status it adds. */
static enum status
finish(struct batch *b, struct group *g)
{
	char q[LOG_QUOTE_MAX];
	size_t i;

	log_quote(q, sizeof q, g->path);
	if (g->state == G_GONE && g->have_note) {
		/* a run died between the unlink and the note's removal */
		g->sr->dirty = 1;
		g->finished = 1;
		return ST_OK;
	}
	if (g->state != G_READY)
		return ST_OK;
	if (g->early) {		/* unlinked as its last 2xx came (batch.c) */
		g->finished = 1;
		log_debug("removed", "path=%s", q);
		return ST_OK;
	}
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
	char line[REC_LINE_MAX * 2 + 2 * DL_DETAIL_MAX];
	char detail[2 * DL_DETAIL_MAX];
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
			dl_set(r, DL_DEFER, "not delivered");
		k = r->result == DL_OK ? RESULT_OK :
		    r->result == DL_FAIL ? RESULT_FAIL : RESULT_DEFER;
		if (r->redirect != NULL)	/* name both */
			snprintf(detail, sizeof detail, "to %s (%s unknown): "
			    "%s", r->redirect, r->addr, r->detail);
		else
			snprintf(detail, sizeof detail, "%s", r->detail);
		len = result_format(line, sizeof line, path, addr, k, detail);
		if (len > 0 && fwrite(line, 1, (size_t)len, b->out) !=
		    (size_t)len)
			st = ST_IOERR;
		log_event(k == RESULT_OK ? LOG_INFO : k == RESULT_DEFER ?
		    LOG_WARN : LOG_ERROR, result_word(k),
		    "path=%s rcpt=%s detail=%s",
		    log_quote(qp, sizeof qp, path),
		    log_quote(qr, sizeof qr, addr),
		    log_quote(qd, sizeof qd, detail));
	}
	g->printed = g->nrecs;
	return st;
}

/*
 * Must this group's results be made durable in its note now? Only when
 * the message stays in the spool (something not ok, a broken record, or
 * we are stopping with it unfinished; over LMTP also a group still open,
 * since a 250 cannot be looked up later). Into Maildirs an ok copy is
 * found again by its name, because the note's existence makes a rerun
 * search new/ and cur/. Over LMTP a complete group whose recipients are
 * all ok leaves the spool in this very commit (step 4: unlink, fsync
 * SPOOL/new), which makes its 250s as durable as a synced note would:
 * until then a power loss repeats the batch either way (at least once),
 * and a killed process keeps the note's lines, written as the replies
 * came. That saves an fsync per message, the disk Dovecot needs too.
 */
static int
note_needed(const struct batch *b, const struct group *g)
{
	size_t i;

	if ((b->final && !g->closed) || (b->lmtp != NULL && !g->closed) ||
	    g->tainted || b->taint_all)
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
		if (priv_enter(g->sr->sp.dirfd) < 0 || group_note(g) < 0 ||
		    note_sync(&g->note) < 0) {
			log_warn("done-note", "path=%s error=\"%s\"",
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
		tool_stdout_error(errno);
		st = status_worse(st, ST_IOERR);
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
		if (g->finished && (!g->have_note ||
		    note_exists(&g->note)) && (priv_enter(g->sr->sp.dirfd) < 0 ||
		    note_remove(g->sr->sp.dirfd, g->msg.name) < 0))
			log_warn("done-note", "path=%s error=\"%s\"",
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
		group_deliver(b, g);	/* counted per result below */
	batch_drain(b);		/* every LMTP reply in: step 2 done */
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
