/*
 * session: one POP3 session of mdrop-fetch, in the order the protocol
 * demands and the durability rules allow:
 *
 *   connect, TLS (implicit or STLS, verified before any credential),
 *   CAPA, login, STAT/UIDL/LIST (cross-checked, else abort), DELE of
 *   messages an earlier session spooled, RETR of the rest through a
 *   window (PIPELINING), group commit, DELE of the batch, QUIT.
 *
 * Any protocol, network or local failure drops the connection without
 * QUIT: POP3 then deletes nothing, and the UID notes make the next
 * session DELE (not re-fetch) what is already safe in the spool.
 */
#define _GNU_SOURCE		/* sync_file_range(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/tool.h"
#include "fetch/auth.h"
#include "fetch/conn.h"
#include "fetch/fetch.h"

#define WINDOW		8	/* commands in flight with PIPELINING */
#define BATCH_MAX	64	/* messages per group commit */
#define BATCH_BYTES	(64ull << 20)
#define BATCH_MS	1000	/* a batch older than this is committed */
#define WBUF		(128u << 10)	/* spool file writes, per call */
#define CAPA_LINES_MAX	100

struct msg {
	uint64_t size;			/* LIST size: advisory only */
	char uid[POP3_UID_MAX + 1];
	unsigned char has_uidl, has_list, uid_ok, deleted, retr;
};

struct pending {
	uint32_t n;
	uint64_t bytes;
	struct md_tmp t;		/* written, open, not yet fsynced */
	char name[MD_NAME_MAX];
	char ident[IDENT_HEX_LEN + 1];	/* common/ident; "" none */
};

struct session {
	struct conn conn;
	const struct fetch_opts *o;
	struct spool *sp;
	struct fetch_stats *stats;
	struct notes notes;
	int have_notes, have_uidl;
	unsigned caps, sasl;		/* POP3_CAP_*, SASL_MECH_* */
	char *secret;			/* from --password-command; wiped */
	uint32_t count;
	struct msg *msgs;		/* [count + 1], by message number */
	uint32_t *retr, *dele, *top;	/* queues of message numbers */
	size_t nretr, next_retr, ndele, next_dele, ntop, next_top;
	struct { char kind; uint32_t n; } fly[WINDOW];
	size_t fly_head, fly_count;
	struct pending batch[BATCH_MAX];
	size_t nbatch;
	uint64_t batch_bytes;
	long long batch_t0;		/* when the batch's first file came */
	size_t wlen;
	char wbuf[WBUF];		/* spool file bytes not yet written */
	enum status soft;		/* deferred problems: exit 75 later */
	int commit_failed;		/* never retry a failed fsync */
	long long t0, last_progress;
	int progress;
};


static const char *
q(char *buf, const char *s, size_t len)
{
	return log_quote_mem(buf, LOG_QUOTE_MAX, s, len);
}

/* A write to the spool's file dir/name failed with errno e: said at
 * level lv. */
static void
write_failed(enum log_level lv, const char *dir, const char *name, int e)
{
	char qf[LOG_QUOTE_MAX];

	log_event(lv, "write-failed", "file=%s error=\"%s\"",
	    log_quote_path(qf, sizeof qf, dir, name), strerror(e));
}

/* A write to the UID notes failed (errno says why). */
static void
notes_failed(const struct session *s, enum log_level lv)
{
	write_failed(lv, s->sp->path, s->notes.file, errno);
}

/* A write to the tmp/ file name failed (errno says why). */
static void
tmp_failed(const struct session *s, const char *name)
{
	char tmp[MD_NAME_MAX + 4];

	snprintf(tmp, sizeof tmp, "tmp/%s", name);
	write_failed(LOG_ERROR, s->sp->path, tmp, errno);
}

/* ---- greeting, TLS, capabilities ---- */

static enum status
capa_cb(void *arg, const char *line, size_t len)
{
	struct session *s = arg;
	pop3_capa_line(line, len, &s->caps);
	sasl_capa_line(line, len, &s->sasl);
	return ST_OK;
}

static enum status
capa(struct session *s)
{
	struct pop3_status st;
	enum status r;

	s->caps = 0;
	s->sasl = 0;
	if ((r = conn_send(&s->conn, "CAPA", "CAPA")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "CAPA")) != ST_OK)
		return r;
	if (st.kind != POP3_OK)
		return ST_OK;	/* no CAPA: no extensions */
	return conn_lines(&s->conn, "CAPA", CAPA_LINES_MAX, capa_cb, s);
}

static enum status
tls_up(struct session *s)
{
	struct tls_opts to = { s->o->host, s->o->cafile,
	    s->o->have_pin ? s->o->pin : NULL };

	return conn_tls(&s->conn, &to);
}

/*
 * RFC 6856: a server that announces UTF8 may down-convert, or replace,
 * messages with raw UTF-8 in their header for clients that do not say
 * UTF8 (Courier wraps them in a "Cannot display Unicode content" notice
 * without the envelope header). Say it, before logging in, as the RFC
 * asks; mdrop stores any byte, so UTF-8 mode changes nothing else. A
 * refusal is logged and the session goes on.
 */
static enum status
utf8(struct session *s)
{
	struct pop3_status st;
	enum status r;

	if ((s->caps & POP3_CAP_UTF8) == 0)
		return ST_OK;
	if ((r = conn_send(&s->conn, "UTF8", "UTF8")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "UTF8")) != ST_OK)
		return r;
	if (st.kind != POP3_OK)
		log_warn("utf8-refused", "host=%s reply=%s result=\"messages "
		    "with UTF-8 headers may come down-converted\"", s->conn.host,
		    q((char[LOG_QUOTE_MAX]){0}, st.text, st.textlen));
	return ST_OK;
}

static enum status
greet_and_login(struct session *s)
{
	char stamp[POP3_STAMP_MAX + 1], qt[LOG_QUOTE_MAX];
	struct auth_in in;
	struct pop3_status st;
	enum status r;
	int have_stamp;

	if ((r = conn_connect(&s->conn, s->o->host, s->o->port)) != ST_OK)
		return r;
	if (s->o->tls == TLSM_IMPLICIT && (r = tls_up(s)) != ST_OK)
		return r;
	if ((r = conn_status(&s->conn, &st, "greeting")) != ST_OK)
		return r;
	if (st.kind != POP3_OK) {
		log_error("greeting-refused", "host=%s reply=%s", s->conn.host,
		    q(qt, st.text, st.textlen));
		return st.code == POP3_CODE_NONE ? ST_TEMPFAIL
		    : conn_err_status(&st);
	}
	have_stamp = pop3_apop_stamp(st.text, st.textlen, stamp) == 0;
	if ((r = capa(s)) != ST_OK)
		return r;
	if (s->o->tls == TLSM_STARTTLS) {
		if ((s->caps & POP3_CAP_STLS) == 0) {
			log_error("no-stls", "host=%s reason=\"server does not "
			    "offer STLS; refusing to log in without TLS\"",
			    s->conn.host);
			return ST_UNAVAILABLE;
		}
		if ((r = conn_send(&s->conn, "STLS", "STLS")) != ST_OK ||
		    (r = conn_status(&s->conn, &st, "STLS")) != ST_OK)
			return r;
		if (st.kind != POP3_OK) {
			log_error("stls-refused", "host=%s reply=%s",
			    s->conn.host, q(qt, st.text, st.textlen));
			return ST_UNAVAILABLE;
		}
		if (conn_pending(&s->conn)) {
			log_error("protocol-error", "host=%s reason=\"plaintext "
			    "bytes after STLS +OK\"", s->conn.host);
			return ST_PROTOCOL;
		}
		if ((r = tls_up(s)) != ST_OK || (r = capa(s)) != ST_OK)
			return r;
		have_stamp = 0;	/* the greeting came over plaintext */
	} else if (s->o->tls == TLSM_NONE)
		log_warn("no-tls", "host=%s reason=\"--tls=none: password and "
		    "mail cross the network in clear text\"", s->conn.host);
	if ((r = utf8(s)) != ST_OK)
		return r;
	in.secret = s->secret != NULL ? s->secret : s->o->password;
	in.caps = s->caps;
	in.sasl = s->sasl;
	in.apop_stamp = have_stamp ? stamp : NULL;
	return auth_login(&s->conn, s->o, &in);
}

/* ---- listings ---- */

static enum status
uidl_cb(void *arg, const char *line, size_t len)
{
	struct session *s = arg;
	char uid[POP3_UID_MAX + 1], qt[LOG_QUOTE_MAX];
	uint32_t n;
	int r = pop3_parse_uidl(line, len, &n, uid);

	if (r == -1 || n > s->count || s->msgs[n].has_uidl) {
		log_error("protocol-error", "host=%s during=UIDL reason=%s "
		    "line=%s", s->conn.host, r == -1 ? "malformed" :
		    n > s->count ? "out-of-range" : "listed-twice",
		    q(qt, line, len));
		return ST_PROTOCOL;
	}
	s->msgs[n].has_uidl = 1;
	if (r == -2) {
		log_warn("bad-uid", "host=%s msg=%u line=%s action=\"fetched, "
		    "never deleted\"", s->conn.host, n, q(qt, line, len));
		return ST_OK;
	}
	memcpy(s->msgs[n].uid, uid, sizeof uid);
	s->msgs[n].uid_ok = 1;
	return ST_OK;
}

static enum status
list_cb(void *arg, const char *line, size_t len)
{
	struct session *s = arg;
	char qt[LOG_QUOTE_MAX];
	uint64_t size;
	uint32_t n;

	if (pop3_parse_list(line, len, &n, &size) < 0 || n > s->count ||
	    s->msgs[n].has_list) {
		log_error("protocol-error", "host=%s during=LIST reason=bad-line "
		    "line=%s", s->conn.host, q(qt, line, len));
		return ST_PROTOCOL;
	}
	s->msgs[n].has_list = 1;
	s->msgs[n].size = size;
	return ST_OK;
}

static int
cmp_uid(const void *a, const void *b)
{
	const struct msg *x = *(const struct msg *const *)a;
	const struct msg *y = *(const struct msg *const *)b;

	return strcmp(x->uid, y->uid);
}

/* Duplicate UIDs: fetch both, delete neither. */
static enum status
mark_duplicates(struct session *s)
{
	struct msg **v = calloc(s->count + 1, sizeof *v);
	size_t k = 0, i;

	if (v == NULL)
		return ST_SOFTWARE;
	for (i = 1; i <= s->count; i++)
		if (s->msgs[i].uid_ok)
			v[k++] = &s->msgs[i];
	qsort(v, k, sizeof *v, cmp_uid);
	for (i = 0; i + 1 < k; i++) {
		if (strcmp(v[i]->uid, v[i + 1]->uid) != 0)
			continue;
		if (v[i]->uid_ok || v[i + 1]->uid_ok)
			log_warn("duplicate-uid", "host=%s msg=%ld action=\"fetched, "
			    "never deleted\"", s->conn.host,
			    (long)(v[i + 1] - s->msgs));
		v[i]->uid_ok = 0;
		v[i + 1]->uid_ok = 0;
	}
	free(v);
	return ST_OK;
}

static enum status
listings(struct session *s)
{
	struct pop3_status st;
	uint64_t count, total;
	enum status r;
	uint32_t i;

	if ((r = conn_send(&s->conn, "STAT", "STAT")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "STAT")) != ST_OK)
		return r;
	if (st.kind != POP3_OK ||
	    pop3_parse_stat(st.text, st.textlen, &count, &total) < 0) {
		log_error("protocol-error", "host=%s during=STAT reason=%s",
		    s->conn.host, st.kind != POP3_OK ? "refused" : "bad-count");
		return st.kind != POP3_OK ? ST_TEMPFAIL : ST_PROTOCOL;
	}
	s->count = (uint32_t)count;
	s->msgs = calloc(s->count + 1, sizeof *s->msgs);
	s->retr = calloc(s->count + 1, sizeof *s->retr);
	s->dele = calloc(s->count + 1, sizeof *s->dele);
	s->top = calloc(s->count + 1, sizeof *s->top);
	if (s->msgs == NULL || s->retr == NULL || s->dele == NULL ||
	    s->top == NULL)
		return ST_SOFTWARE;
	if (s->count == 0)
		return ST_OK;
	if ((r = conn_send(&s->conn, "UIDL", "UIDL")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "UIDL")) != ST_OK)
		return r;
	if (st.kind == POP3_OK) {
		if ((r = conn_lines(&s->conn, "UIDL", s->count, uidl_cb, s)) != ST_OK)
			return r;
		s->have_uidl = 1;
	} else if (s->o->keep) {
		log_error("no-uidl", "host=%s reason=\"the server has no UIDL; "
		    "--keep cannot work without it\"", s->conn.host);
		return ST_CONFIG;
	} else
		log_warn("no-uidl", "host=%s reason=\"the server has no UIDL: "
		    "a crash may spool a message twice\"", s->conn.host);
	if ((r = conn_send(&s->conn, "LIST", "LIST")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "LIST")) != ST_OK)
		return r;
	if (st.kind != POP3_OK) {
		log_error("protocol-error", "host=%s during=LIST reason=refused",
		    s->conn.host);
		return ST_PROTOCOL;
	}
	if ((r = conn_lines(&s->conn, "LIST", s->count, list_cb, s)) != ST_OK)
		return r;
	for (i = 1; i <= s->count; i++)
		if (!s->msgs[i].has_list || (s->have_uidl &&
		    !s->msgs[i].has_uidl)) {
			log_error("protocol-error", "host=%s reason=\"UIDL/LIST "
			    "do not match STAT\" msg=%u", s->conn.host, i);
			return ST_PROTOCOL;
		}
	return s->have_uidl ? mark_duplicates(s) : ST_OK;
}

/* ---- whole-reply bounds of RETR and TOP ---- */

/* Queue RETR n, unless --max-messages is reached (then it waits). */
static void
queue_retr(struct session *s, uint32_t n)
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

/* The next event of the body of a RETR or TOP reply for message n, of
 * which bytes came so far; a reply over its bound is cut here. */
static enum status
body_event(struct session *s, uint32_t n, const char *cmd, uint64_t bytes,
    enum pop3_ev *ev, struct pop3_event *e)
{
	s->conn.why = NULL;
	if (conn_event(&s->conn, ev, e, cmd) != ST_OK)
		return reply_cut(s, n, cmd, bytes);
	if (*ev == POP3_EV_DATA &&
	    e->len > conn_reply_bound(s->msgs[n].size) - bytes) {
		s->conn.why = "over-size";
		return reply_cut(s, n, cmd, bytes + e->len);
	}
	return ST_OK;
}

/*
 * Decide per message: RETR, leave, or (a noted one) ask TOP n 0 first.
 * A noted message is DELEd only once its identity is confirmed (top_done):
 * the server may have reused the UID after a lost QUIT reply. Under
 * --keep it is asked only when its size changed (an mbox server adds
 * Status: fields); with the same size it is taken as the noted message.
 */
static enum status
plan(struct session *s)
{
	uint32_t i;

	for (i = 1; i <= s->count; i++) {
		struct msg *m = &s->msgs[i];
		struct note *nt = NULL;

		if (s->have_uidl && m->uid_ok) {
			nt = notes_find(&s->notes, m->uid);
			if (nt != NULL)
				nt->flags |= NOTE_SEEN;
		}
		if (nt != NULL && (nt->flags & NOTE_SPOOLED)) {
			if (!s->o->keep || nt->size != m->size)
				s->top[s->ntop++] = i;
			continue;
		}
		/* --max-size is decided on actual bytes (LIST may lie); a
		 * message measured too big before is not fetched again. */
		if (s->o->max_size > 0 && nt != NULL &&
		    (nt->flags & NOTE_TOOBIG) && nt->size == m->size)
			continue;
		queue_retr(s, i);
	}
	if (s->have_uidl && notes_rewrite(&s->notes) < 0) {
		notes_failed(s, LOG_ERROR);
		return ST_TEMPFAIL;
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
	queue_retr(s, n);
	return ST_OK;
}

/* Read the reply to TOP n 0 and decide (top_done). */
static enum status
top_one(struct session *s, uint32_t n)
{
	char hex[IDENT_HEX_LEN + 1] = "";
	struct pop3_status st;
	struct pop3_event e;
	enum pop3_ev ev;
	struct ident id;
	enum status r;
	uint64_t bytes = 0;

	conn_reply_start(&s->conn, s->msgs[n].size);
	if ((r = conn_status(&s->conn, &st, "TOP")) != ST_OK)
		return reply_cut(s, n, "TOP", 0);
	if (st.kind != POP3_OK) {
		conn_reply_end(&s->conn);
		return top_done(s, n, "");
	}
	if (ident_init(&id) < 0) {
		conn_reply_end(&s->conn);
		return ST_SOFTWARE;
	}
	pop3_expect(&s->conn.p, POP3_MULTI_DATA);
	while ((r = body_event(s, n, "TOP", bytes, &ev, &e)) == ST_OK &&
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

static void
progress(struct session *s, int final)
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

/* Stream the body of RETR n into t (open: 1) through s->wbuf, and its
 * header through id; over --max-size the file is dropped (open: 0). */
static enum status
retr_body(struct session *s, uint32_t n, struct md_tmp *t, int *open,
    struct ident *id, uint64_t *bytes)
{
	struct pop3_event e;
	enum pop3_ev ev;
	enum status r;

	s->wlen = 0;
	pop3_expect(&s->conn.p, POP3_MULTI_DATA);
	for (;;) {
		if ((r = body_event(s, n, "RETR", *bytes, &ev, &e)) != ST_OK)
			return r;
		if (ev == POP3_EV_END)
			break;
		*bytes += e.len;
		ident_push(id, e.data, e.len);
		if (*open && s->o->max_size > 0 && *bytes > s->o->max_size) {
			md_tmp_discard(t);
			*open = 0;
		}
		if (*open && spool_write(s, t, e.data, e.len) < 0)
			return ST_IOERR;
		progress(s, 0);
	}
	if (*open && spool_write(s, t, NULL, 0) < 0)
		return ST_IOERR;
	return ST_OK;
}

/* Read one RETR reply into a new tmp file, left open for commit(). */
static enum status
retr_one(struct session *s, uint32_t n)
{
	struct pending *b = &s->batch[s->nbatch];
	struct pop3_status st;
	struct ident id;
	enum status r;
	uint64_t bytes = 0;
	size_t len;
	int open = 1;

	conn_reply_start(&s->conn, s->msgs[n].size);
	if ((r = conn_status(&s->conn, &st, "RETR")) != ST_OK)
		return reply_cut(s, n, "RETR", 0);
	if (st.kind != POP3_OK) {
		conn_reply_end(&s->conn);
		log_warn("retr-failed", "host=%s msg=%u reply=%s action=skipped",
		    s->conn.host, n, q((char[LOG_QUOTE_MAX]){0}, st.text,
		    st.textlen));
		s->soft = status_worse(s->soft, ST_TEMPFAIL);
		return ST_OK;
	}
	if (md_uniq_name(b->name, sizeof b->name - 2) < 0 || ident_init(&id) < 0) {
		conn_reply_end(&s->conn);
		return ST_SOFTWARE;
	}
	len = strlen(b->name);
	memcpy(b->name + len, ",F", 3);	/* marks fetch's own tmp files */
	if (md_tmp_open_named(&b->t, s->sp->tmpfd, b->name) < 0) {
		tmp_failed(s, b->name);
		ident_free(&id);
		conn_reply_end(&s->conn);
		return ST_TEMPFAIL;
	}
	r = retr_body(s, n, &b->t, &open, &id, &bytes);
	conn_reply_end(&s->conn);
	ident_finish(&id, b->ident);
	ident_free(&id);
	if (r == ST_IOERR)
		tmp_failed(s, b->name);
	if (r != ST_OK) {
		if (open)
			md_tmp_discard(&b->t);
		return r == ST_IOERR ? ST_TEMPFAIL : r;
	}
	if (!open)
		return too_big(s, n, bytes);
	/* Start the write-back now, while the next message arrives; the
	 * fsync at commit() then mostly waits for nothing. Advisory: the
	 * fsync is what counts, and it reports any error. */
	(void)sync_file_range(b->t.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	if (s->nbatch == 0)
		s->batch_t0 = io_now_ms();
	b->n = n;
	b->bytes = bytes;
	s->nbatch++;
	s->batch_bytes += bytes;
	return ST_OK;
}

/* Close the batch's files that are still open, without fsync: after a
 * failure they stay in tmp/ and the notes decide at the next start. */
static void
batch_close(struct session *s)
{
	size_t i;

	for (i = 0; i < s->nbatch; i++)
		if (s->batch[i].t.fd >= 0) {
			close(s->batch[i].t.fd);
			s->batch[i].t.fd = -1;
		}
}

/*
 * Group commit: fsync the batch's files in tmp/ (their write-back was
 * started as each one was complete, so the first fsync's journal commit
 * covers most of the others). Note their UIDs (one fsync), rename them
 * into new/ (one directory fsync), print them, queue their DELEs. On
 * failure the files stay in tmp/: the notes decide at the next start
 * whether they are published or removed.
 */
static enum status
commit(struct session *s)
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
	batch_close(s);
	errno = e;
	s->commit_failed = 1;
	log_error("commit-failed", "spool=%s error=\"%s\"",
	    log_quote(q, sizeof q, s->sp->path), strerror(errno));
	return ST_TEMPFAIL;
}

static int
stopping(void)
{
	return tool_stopping() || out_broken();
}

static enum status
pipeline(struct session *s)
{
	size_t window = (s->caps & POP3_CAP_PIPELINING) ? WINDOW : 1;
	enum status r;

	for (;;) {
		char buf[WINDOW * 24];
		size_t len = 0, retr_in_flight = 0, i;

		while (s->fly_count < window) {
			char kind;
			uint32_t n;

			if (s->next_dele < s->ndele) {
				kind = 'D';
				n = s->dele[s->next_dele++];
			} else if (!stopping() && s->next_top < s->ntop) {
				kind = 'T';
				n = s->top[s->next_top++];
			} else if (!stopping() && s->next_retr < s->nretr) {
				kind = 'R';
				n = s->retr[s->next_retr++];
			} else
				break;
			len += (size_t)snprintf(buf + len, sizeof buf - len,
			    "%s %u%s\r\n", kind == 'D' ? "DELE" : kind == 'T' ?
			    "TOP" : "RETR", n, kind == 'T' ? " 0" : "");
			i = (s->fly_head + s->fly_count) % WINDOW;
			s->fly[i].kind = kind;
			s->fly[i].n = n;
			s->fly_count++;
		}
		if (len > 0 && (r = conn_write(&s->conn, buf, len, NULL)) !=
		    ST_OK)
			return r;
		if (s->fly_count == 0)
			break;
		i = s->fly_head;
		s->fly_head = (s->fly_head + 1) % WINDOW;
		s->fly_count--;
		if (s->fly[i].kind == 'R') {
			if ((r = retr_one(s, s->fly[i].n)) != ST_OK)
				return r;
		} else if (s->fly[i].kind == 'T') {
			if ((r = top_one(s, s->fly[i].n)) != ST_OK)
				return r;
		} else {
			struct pop3_status st;

			if ((r = conn_status(&s->conn, &st, "DELE")) != ST_OK)
				return r;
			if (st.kind == POP3_OK)
				s->msgs[s->fly[i].n].deleted = 1;
			else
				log_warn("dele-failed", "host=%s msg=%u",
				    s->conn.host, s->fly[i].n);
		}
		for (i = 0; i < s->fly_count; i++)
			if (s->fly[(s->fly_head + i) % WINDOW].kind == 'R')
				retr_in_flight++;
		if (s->nbatch > 0 && (s->nbatch >= BATCH_MAX ||
		    s->batch_bytes >= BATCH_BYTES || retr_in_flight == 0 ||
		    io_now_ms() - s->batch_t0 >= BATCH_MS) &&
		    (r = commit(s)) != ST_OK)
			return r;
	}
	return ST_OK;
}

static enum status
quit(struct session *s)
{
	struct pop3_status st;
	enum status r;
	uint32_t i;
	uint64_t deleted = 0;

	if ((r = conn_send(&s->conn, "QUIT", "QUIT")) != ST_OK ||
	    (r = conn_status(&s->conn, &st, "QUIT")) != ST_OK)
		return r;
	if (st.kind != POP3_OK) {
		log_error("quit-failed", "host=%s reply=%s result=\"nothing was "
		    "deleted; the next session deletes without re-fetching\"",
		    s->conn.host, q((char[LOG_QUOTE_MAX]){0}, st.text,
		    st.textlen));
		return ST_TEMPFAIL;
	}
	for (i = 1; i <= s->count; i++) {
		struct note *nt;

		if (!s->msgs[i].deleted)
			continue;
		deleted++;
		if (s->msgs[i].uid_ok &&
		    (nt = notes_find(&s->notes, s->msgs[i].uid)) != NULL)
			nt->flags |= NOTE_GONE;
	}
	s->stats->deleted += deleted;
	if (deleted > 0 && s->have_uidl && notes_rewrite(&s->notes) < 0)
		notes_failed(s, LOG_WARN);
	return ST_OK;
}

enum status
fetch_session(const struct fetch_opts *o, struct spool *sp,
    struct fetch_stats *stats)
{
	struct session *s = calloc(1, sizeof *s);
	char q[LOG_QUOTE_MAX];
	enum status r;
	uint64_t left;

	if (s == NULL)
		return ST_SOFTWARE;
	s->o = o;
	s->sp = sp;
	s->stats = stats;
	s->t0 = io_now_ms();
	s->progress = isatty(2) && log_get_level() < LOG_DEBUG;
	conn_init(&s->conn, o->host, o->timeout, tool_stopping);
	memset(stats, 0, sizeof *stats);
	if (notes_open(&s->notes, sp, o->user, o->host, o->port) < 0) {
		log_error("cannot-open", "file=%s error=\"%s\"",
		    log_quote_path(q, sizeof q, sp->path, "uidl"),
		    strerror(errno));
		free(s);
		return ST_IOERR;
	}
	/* The command runs before connecting: a broken helper costs no
	 * server connection, and a fresh token is used at once. */
	r = o->pwcmd != NULL ? secret_command(o->pwcmd, o->timeout,
	    &s->secret) : ST_OK;
	if (r == ST_OK)
		r = greet_and_login(s);
	if (r == ST_OK)
		r = listings(s);
	if (r == ST_OK)
		r = plan(s);
	if (r == ST_OK)
		r = pipeline(s);
	if (r == ST_OK)
		r = quit(s);
	if (r != ST_OK && s->nbatch > 0 && !s->commit_failed) {
		/* Complete messages of an aborted session: spool them (their
		 * DELE waits for the next session). */
		s->ndele = s->next_dele;
		if (commit(s) != ST_OK)
			log_warn("batch-abandoned", "files=%zu", s->nbatch);
	}
	batch_close(s);
	progress(s, 1);
	conn_close(&s->conn);
	left = s->count >= stats->deleted ? s->count - stats->deleted : 0;
	stats->kept = left;
	log_info("session", "host=%s fetched=%llu bytes=%llu deleted=%llu "
	    "kept=%llu seconds=%lld", s->conn.host,
	    (unsigned long long)stats->fetched,
	    (unsigned long long)stats->bytes,
	    (unsigned long long)stats->deleted, (unsigned long long)left,
	    (io_now_ms() - s->t0) / 1000);
	/* A too-big note is queued without a commit to carry it: write it
	 * now, or the message would be downloaded and logged every time
	 * (not after a failed commit: a failed write is never retried). */
	if (!s->commit_failed && notes_sync(&s->notes) < 0)
		notes_failed(s, LOG_WARN);
	notes_close(&s->notes);
	secret_free(s->secret);
	free(s->msgs);
	free(s->retr);
	free(s->dele);
	free(s->top);
	r = status_worse(r, s->soft);
	free(s);
	return r;
}
