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
 * session DELE (not re-fetch) what is already safe in the spool. The
 * connection is fetch/conn; the replies that carry messages, and the
 * group commit, are fetch/retr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/tool.h"
#include "fetch/auth.h"
#include "fetch/session.h"

#define CAPA_LINES_MAX	100

static const char *
q(char *buf, const char *s, size_t len)
{
	return log_quote_mem(buf, LOG_QUOTE_MAX, s, len);
}

/* A write to the UID notes failed (errno says why). */
static void
notes_failed(const struct session *s, enum log_level lv)
{
	write_failed(lv, s->sp->path, s->notes.file, errno);
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
	/* each message may be asked for twice (retr.c, over_size) */
	s->retr = calloc(2 * (size_t)s->count + 1, sizeof *s->retr);
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

/*
 * Decide per message: RETR, leave, or (a noted one) ask TOP n 0 first.
 * A noted message is DELEd only once its identity is confirmed (retr_top):
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
		retr_queue(s, i);
	}
	if (s->have_uidl && notes_rewrite(&s->notes) < 0) {
		notes_failed(s, LOG_ERROR);
		return ST_TEMPFAIL;
	}
	return ST_OK;
}

/* ---- the pipeline ---- */

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
			if ((r = retr_top(s, s->fly[i].n)) != ST_OK)
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
		    (r = retr_commit(s)) != ST_OK)
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
		    "deleted; the next session deletes what TOP n 0 shows to be the "
		    "spooled message, and fetches again what it cannot tell\"",
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

/* The end of a session whatever happened (r): complete messages of a
 * cut one spooled, files closed, the session line logged, the notes
 * written. The session's status. */
static enum status
finish(struct session *s, enum status r)
{
	struct fetch_stats *st = s->stats;

	if (r != ST_OK && s->nbatch > 0 && !s->commit_failed) {
		/* Complete messages of an aborted session: spool them (their
		 * DELE waits for the next session). */
		s->ndele = s->next_dele;
		if (retr_commit(s) != ST_OK)
			log_warn("batch-abandoned", "files=%zu", s->nbatch);
	}
	retr_close(s);
	retr_progress(s, 1);
	conn_close(&s->conn);
	st->kept = s->count >= st->deleted ? s->count - st->deleted : 0;
	log_info("session", "host=%s fetched=%llu bytes=%llu deleted=%llu "
	    "kept=%llu seconds=%lld", s->conn.host,
	    (unsigned long long)st->fetched, (unsigned long long)st->bytes,
	    (unsigned long long)st->deleted, (unsigned long long)st->kept,
	    (io_now_ms() - s->t0) / 1000);
	/* A too-big note is queued without a commit to carry it: write it
	 * now, or the message would be downloaded and logged every time
	 * (not after a failed commit: a failed write is never retried). */
	if (!s->commit_failed && notes_sync(&s->notes) < 0)
		notes_failed(s, LOG_WARN);
	notes_close(&s->notes);
	return status_worse(r, s->soft);
}

enum status
fetch_session(const struct fetch_opts *o, struct spool *sp,
    struct fetch_stats *stats)
{
	struct session *s = calloc(1, sizeof *s);
	char qf[LOG_QUOTE_MAX];
	enum status r;

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
		    log_quote_path(qf, sizeof qf, sp->path, "uidl"),
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
	r = finish(s, r);
	secret_free(s->secret);
	free(s->msgs);
	free(s->retr);
	free(s->dele);
	free(s->top);
	free(s);
	return r;
}
