/*
 * retr: the replies of a session that carry messages. RETR streams a
 * message into SPOOL/tmp through a write buffer, under the reply's
 * deadline and size bound (fetch/conn), and a batch of them is made
 * durable at once (group commit); TOP n 0 reads a noted message's header
 * to confirm it is the one spooled before it is DELEd.
 */
#define _GNU_SOURCE		/* sync_file_range(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "fetch/session.h"

void
write_failed(enum log_level lv, const char *dir, const char *name, int e)
{
	char qf[LOG_QUOTE_MAX];

	log_event(lv, "write-failed", "file=%s error=\"%s\"",
	    log_quote_path(qf, sizeof qf, dir, name), strerror(e));
}

/* A write to the tmp/ file name failed (errno says why). */
static void
tmp_failed(const struct session *s, const char *name)
{
	char tmp[MD_NAME_MAX + 4];

	snprintf(tmp, sizeof tmp, "tmp/%s", name);
	write_failed(LOG_ERROR, s->sp->path, tmp, errno);
}

/* ---- the reply of RETR or TOP ---- */

void
retr_queue(struct session *s, uint32_t n)
{
	if (s->o->max_messages == 0 || s->nretr < s->o->max_messages)
		s->retr[s->nretr++] = n;
}

/* The reply for message n is abandoned (conn.why says why): one line that
 * names the message, its size and the reason; the session ends. */
static enum status
reply_cut(struct session *s, uint32_t n, const char *cmd, uint64_t bytes)
{
	log_error(strcmp(cmd, "RETR") == 0 ? "retr-abandoned" : "top-abandoned",
	    "host=%s msg=%u size=%llu bytes=%llu reason=%s action=\"%s\"",
	    s->conn.host, n, (unsigned long long)s->msgs[n].size,
	    (unsigned long long)bytes, s->conn.why != NULL ? s->conn.why :
	    "unknown", "partial file removed; nothing deleted; session ends");
	conn_reply_end(&s->conn);
	return s->conn.why != NULL && strcmp(s->conn.why, "protocol-error") == 0
	    ? ST_PROTOCOL : ST_TEMPFAIL;
}

/* The size message n's replies are bounded by: its LIST size, or what a
 * RETR measured when LIST understated it. */
static uint64_t
msg_size(const struct msg *m)
{
	return m->measured > m->size ? m->measured : m->size;
}

/* Start reading the reply to cmd (RETR or TOP) for message n: ST_OK with
 * its status line in *st (an -ERR lifts the reply's deadline), or the
 * session is cut. */
static enum status
reply_status(struct session *s, uint32_t n, const char *cmd,
    struct pop3_status *st)
{
	conn_reply_start(&s->conn, msg_size(&s->msgs[n]));
	if (conn_status(&s->conn, st, cmd) != ST_OK)
		return reply_cut(s, n, cmd, 0);
	if (st->kind != POP3_OK)
		conn_reply_end(&s->conn);
	return ST_OK;
}

/* The next event of the body of a RETR or TOP reply for message n, of
 * which bytes came so far; a reply over limit bytes is cut here. */
static enum status
body_event(struct session *s, uint32_t n, const char *cmd, uint64_t bytes,
    uint64_t limit, enum pop3_ev *ev, struct pop3_event *e)
{
	s->conn.why = NULL;
	if (conn_event(&s->conn, ev, e, cmd) != ST_OK)
		return reply_cut(s, n, cmd, bytes);
	if (*ev == POP3_EV_DATA && e->len > limit - bytes) {
		s->conn.why = "over-size";
		return reply_cut(s, n, cmd, bytes + e->len);
	}
	return ST_OK;
}

/* ---- identity of noted messages (TOP n 0) ---- */

/*
 * The verdict on noted message n, whose header had identity ident ("" for
 * none, or TOP refused). Without --keep: the same message is DELEd; a
 * different one, or one that cannot be told (a doubt), is fetched again,
 * since a duplicate beats a loss. With --keep (its size changed): a size
 * change alone is never a new message: only a different identity is.
 */
static enum status
top_done(struct session *s, uint32_t n, const char *ident)
{
	struct msg *m = &s->msgs[n];
	struct note *nt = notes_find(&s->notes, m->uid);
	int known = ident[0] != '\0' && nt->ident[0] != '\0';
	int same = known && strcmp(ident, nt->ident) == 0;
	char qu[LOG_QUOTE_MAX];

	log_quote(qu, sizeof qu, m->uid);
	if (same || (s->o->keep && !known)) {
		if (!s->o->keep) {
			s->dele[s->ndele++] = n;
			return ST_OK;
		}
		log_info("size-changed", "host=%s msg=%u uid=%s size=%llu "
		    "noted=%llu action=kept reason=\"%s\"", s->conn.host, n, qu,
		    (unsigned long long)m->size, (unsigned long long)nt->size,
		    same ? "same Message-ID, Date and Received" :
		    "no identity to compare; a size change alone is not a "
		    "new message");
		return notes_add(&s->notes, NOTE_SPOOLED, m->uid, m->size, NULL,
		    nt->ident[0] != '\0' ? nt->ident : ident) < 0 ?
		    ST_IOERR : ST_OK;
	}
	log_warn(known ? "uid-reused" : "uid-unconfirmed", "host=%s msg=%u "
	    "uid=%s action=fetch reason=\"%s\"", s->conn.host, n, qu, known ?
	    "another message than the spooled one (Message-ID, Date or "
	    "Received differ)" : "cannot confirm it is the spooled message; "
	    "a duplicate beats a loss");
	nt->flags &= ~(unsigned)NOTE_SPOOLED;
	retr_queue(s, n);
	return ST_OK;
}

enum status
retr_top(struct session *s, uint32_t n)
{
	char hex[IDENT_HEX_LEN + 1] = "";
	struct pop3_status st;
	struct pop3_event e;
	enum pop3_ev ev;
	struct ident id;
	enum status r;
	uint64_t bytes = 0;

	if ((r = reply_status(s, n, "TOP", &st)) != ST_OK)
		return r;
	if (st.kind != POP3_OK)
		return top_done(s, n, "");
	if (ident_init(&id) < 0) {
		conn_reply_end(&s->conn);
		return ST_SOFTWARE;
	}
	pop3_expect(&s->conn.p, POP3_MULTI_DATA);
	while ((r = body_event(s, n, "TOP", bytes,
	    conn_reply_bound(msg_size(&s->msgs[n])), &ev, &e)) == ST_OK &&
	    ev != POP3_EV_END) {
		bytes += e.len;
		ident_push(&id, e.data, e.len);
	}
	ident_finish(&id, hex);
	ident_free(&id);
	conn_reply_end(&s->conn);
	return r != ST_OK ? r : top_done(s, n, hex);
}

/* ---- retrieval ---- */

void
retr_progress(struct session *s, int final)
{
	long long now = io_now_ms(), secs, eta;
	double rate;

	if (!s->progress || (!final && now - s->last_progress < 500))
		return;
	s->last_progress = now;
	secs = (now - s->t0) / 1000;
	rate = (double)s->stats->bytes / ((double)(now - s->t0) / 1000 + 0.001);
	/* ETA from the message rate so far: LIST sizes are only advisory */
	eta = s->stats->fetched == 0 || s->stats->fetched >= s->nretr ? 0 :
	    (long long)((double)(now - s->t0) / 1000 *
	    (double)(s->nretr - s->stats->fetched) / (double)s->stats->fetched);
	fprintf(stderr, "\rmdrop-fetch: %llu/%zu messages %llu bytes "
	    "%.0f KB/s %llds ETA %llds%s", (unsigned long long)s->stats->fetched,
	    s->nretr, (unsigned long long)s->stats->bytes, rate / 1024, secs,
	    eta, final ? "\n" : "");
}

/*
 * Append to the spool file through s->wbuf, so a message goes to the
 * disk in WBUF-sized writes rather than one per network read. n == 0:
 * write out what is buffered (end of message).
 */
static int
spool_write(struct session *s, struct md_tmp *t, const char *p, size_t n)
{
	if (n > 0 && s->wlen + n <= sizeof s->wbuf) {
		memcpy(s->wbuf + s->wlen, p, n);
		s->wlen += n;
		if (s->wlen < sizeof s->wbuf)
			return 0;
		n = 0;
	}
	if (s->wlen > 0 && md_tmp_write(t, s->wbuf, s->wlen) < 0)
		return -1;
	s->wlen = 0;
	if (n >= sizeof s->wbuf)
		return md_tmp_write(t, p, n);
	if (n > 0)
		memcpy(s->wbuf, p, n);
	s->wlen = n;
	return 0;
}

/* Note a message measured over --max-size (logged once per UID). */
static enum status
too_big(struct session *s, uint32_t n, uint64_t bytes)
{
	struct msg *m = &s->msgs[n];
	struct note *nt = m->uid_ok ? notes_find(&s->notes, m->uid) : NULL;

	if (nt != NULL && (nt->flags & NOTE_TOOBIG))
		return ST_OK;
	log_info("too-big", "host=%s msg=%u size=%llu max-size=%llu "
	    "action=left-on-server", s->conn.host, n, (unsigned long long)bytes,
	    (unsigned long long)s->o->max_size);
	if (m->uid_ok && notes_add(&s->notes, NOTE_TOOBIG, m->uid, m->size,
	    NULL, NULL) < 0)
		return ST_IOERR;
	return ST_OK;
}

/*
 * RETR n ended, bytes long, past the bound of its LIST size (read on and
 * dropped): LIST understated it (HOSTILE.md 9). It is asked for once more
 * at the end of this session, bounded by the size it has; the rest of the
 * mailbox goes on meanwhile. Over it a second time: left for the next
 * session, which asks again (exit 75).
 */
static enum status
over_size(struct session *s, uint32_t n, uint64_t bytes)
{
	struct msg *m = &s->msgs[n];
	const char *action = m->again ? "left for the next session" :
	    "fetched again at the end of this session";

	log_warn("retr-over-size", "host=%s msg=%u size=%llu bytes=%llu "
	    "action=\"%s\"", s->conn.host, n, (unsigned long long)m->size,
	    (unsigned long long)bytes, action);
	if (m->again) {
		s->soft = status_worse(s->soft, ST_TEMPFAIL);
		return ST_OK;
	}
	m->again = 1;
	m->measured = bytes;
	s->retr[s->nretr++] = n;	/* room for it: session.c */
	return ST_OK;
}

/* Stream the body of RETR n into t (open: 1) through s->wbuf, and its
 * header through id; over --max-size, or over the bound of its LIST size
 * (*over: 1, read on to its end, up to CONN_OVER_READ more), the file is
 * dropped (open: 0). */
static enum status
retr_body(struct session *s, uint32_t n, struct md_tmp *t, int *open,
    struct ident *id, uint64_t *bytes, int *over)
{
	uint64_t bound = conn_reply_bound(msg_size(&s->msgs[n]));
	uint64_t limit = bound > UINT64_MAX - CONN_OVER_READ ? UINT64_MAX :
	    bound + CONN_OVER_READ;
	struct pop3_event e;
	enum pop3_ev ev;
	enum status r;

	s->wlen = 0;
	pop3_expect(&s->conn.p, POP3_MULTI_DATA);
	for (;;) {
		if ((r = body_event(s, n, "RETR", *bytes, limit, &ev, &e)) !=
		    ST_OK)
			return r;
		if (ev == POP3_EV_END)
			break;
		*bytes += e.len;
		ident_push(id, e.data, e.len);
		if (*bytes > bound)
			*over = 1;
		if (*open && (*over || (s->o->max_size > 0 &&
		    *bytes > s->o->max_size))) {
			md_tmp_discard(t);
			*open = 0;
		}
		if (*open && spool_write(s, t, e.data, e.len) < 0)
			return ST_IOERR;
		retr_progress(s, 0);
	}
	if (*open && spool_write(s, t, NULL, 0) < 0)
		return ST_IOERR;
	return ST_OK;
}

/* A new tmp/NAME,F for the batch's next message b: ST_OK (open), or why
 * not (logged). */
static enum status
tmp_open(struct session *s, struct pending *b)
{
	size_t len;

	if (md_uniq_name(b->name, sizeof b->name - 2) < 0)
		return ST_SOFTWARE;
	len = strlen(b->name);
	memcpy(b->name + len, ",F", 3);	/* marks fetch's own tmp files */
	if (md_tmp_open_named(&b->t, s->sp->tmpfd, b->name) == 0)
		return ST_OK;
	tmp_failed(s, b->name);
	return ST_TEMPFAIL;
}

/* Message n, bytes long, complete in b's open file: into the batch. */
static void
batch_add(struct session *s, struct pending *b, uint32_t n, uint64_t bytes)
{
	/* Start the write-back now, while the next message arrives; the
	 * fsync at the commit then mostly waits for nothing. Advisory: the
	 * fsync is what counts, and it reports any error. */
	(void)sync_file_range(b->t.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (s->nbatch == 0)
		s->batch_t0 = io_now_ms();
	b->n = n;
	b->bytes = bytes;
	s->nbatch++;
	s->batch_bytes += bytes;
}

enum status
retr_one(struct session *s, uint32_t n)
{
	struct pending *b = &s->batch[s->nbatch];
	char qr[LOG_QUOTE_MAX];
	struct pop3_status st;
	struct ident id;
	enum status r;
	uint64_t bytes = 0;
	int open = 1, over = 0;

	if ((r = reply_status(s, n, "RETR", &st)) != ST_OK)
		return r;
	if (st.kind != POP3_OK) {
		log_warn("retr-failed", "host=%s msg=%u reply=%s action=skipped",
		    s->conn.host, n, log_quote_mem(qr, sizeof qr, st.text,
		    st.textlen));
		s->soft = status_worse(s->soft, ST_TEMPFAIL);
		return ST_OK;
	}
	if (ident_init(&id) < 0) {
		conn_reply_end(&s->conn);
		return ST_SOFTWARE;
	}
	if ((r = tmp_open(s, b)) != ST_OK) {
		ident_free(&id);
		conn_reply_end(&s->conn);
		return r;
	}
	r = retr_body(s, n, &b->t, &open, &id, &bytes, &over);
	conn_reply_end(&s->conn);
	ident_finish(&id, b->ident);
	ident_free(&id);
	if (r == ST_IOERR)
		tmp_failed(s, b->name);
	if (r != ST_OK && open)
		md_tmp_discard(&b->t);
	if (r != ST_OK)
		return r == ST_IOERR ? ST_TEMPFAIL : r;
	if (over && !(s->o->max_size > 0 && bytes > s->o->max_size))
		return over_size(s, n, bytes);
	if (!open)
		return too_big(s, n, bytes);
	batch_add(s, b, n, bytes);
	return ST_OK;
}

void
retr_close(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nbatch; i++)
		if (s->batch[i].t.fd >= 0) {
			close(s->batch[i].t.fd);
			s->batch[i].t.fd = -1;
		}
}

enum status
retr_commit(struct session *s)
{
	char q[LOG_QUOTE_MAX];
	size_t i;
	int e;

	for (i = 0; i < s->nbatch; i++)
		if (md_tmp_sync(&s->batch[i].t) < 0) {
			e = errno;
			tmp_failed(s, s->batch[i].name);
			errno = e;
			goto fail;
		}
	for (i = 0; i < s->nbatch; i++) {
		struct msg *m = &s->msgs[s->batch[i].n];

		char final[MD_NAME_MAX];
		size_t len = strlen(s->batch[i].name);

		memcpy(final, s->batch[i].name, len + 1);
		if (len > 2 && strcmp(final + len - 2, ",F") == 0)
			final[len - 2] = '\0';
		if (m->uid_ok && notes_add(&s->notes, NOTE_SPOOLED, m->uid,
		    m->size, final, s->batch[i].ident) < 0)
			goto fail;
	}
	if (notes_sync(&s->notes) < 0)
		goto fail;
	for (i = 0; i < s->nbatch; i++) {
		char *name = s->batch[i].name;
		size_t len = strlen(name);
		char tmpname[MD_NAME_MAX];

		/* tmp/NAME,F becomes new/NAME */
		memcpy(tmpname, name, len + 1);
		if (len > 2 && strcmp(name + len - 2, ",F") == 0)
			name[len - 2] = '\0';
		if (renameat(s->sp->tmpfd, tmpname, s->sp->newfd, name) < 0) {
			memcpy(name, tmpname, len + 1);
			goto fail;
		}
	}
	if (md_fsync_dir(s->sp->newfd) < 0)
		goto fail;
	for (i = 0; i < s->nbatch; i++) {
		struct msg *m = &s->msgs[s->batch[i].n];

		log_debug("spooled", "msg=%u file=%s bytes=%llu",
		    s->batch[i].n, log_quote_path(q, sizeof q, "new",
		    s->batch[i].name),
		    (unsigned long long)s->batch[i].bytes);
		if (out_push(s->sp->path, s->batch[i].name) < 0)
			return ST_SOFTWARE;
		s->stats->fetched++;
		s->stats->bytes += s->batch[i].bytes;
		if (!s->o->keep && (m->uid_ok || !s->have_uidl))
			s->dele[s->ndele++] = s->batch[i].n;
	}
	s->nbatch = 0;
	s->batch_bytes = 0;
	if (!out_broken() && out_flush(0) < 0)
		log_error("stdout-closed", "action=\"stop fetching; spooled "
		    "messages stay for the next run\"");
	return ST_OK;
fail:
	e = errno;
	retr_close(s);
	errno = e;
	s->commit_failed = 1;
	log_error("commit-failed", "spool=%s error=\"%s\"",
	    log_quote(q, sizeof q, s->sp->path), strerror(errno));
	return ST_TEMPFAIL;
}
