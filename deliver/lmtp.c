/*
 * lmtp.c: the LMTP backend of mdrop-deliver (RFC 2033), usually talking to
 * Dovecot's LMTP server. The pure parts (reply parser, DATA encoder,
 * commands, endpoint syntax) live in common/lmtp.c, the sessions
 * (sockets, LHLO, timeouts) in lmtpsess.c, several of them side by side
 * and the failover across endpoints in lmtppool.c; this file does the
 * transactions and the bookkeeping of who got which reply. A transaction
 * runs up to its final "." and returns SX_WAIT; its replies are then
 * taken as they come (lmtp_finals) while other sessions work.
 *
 * The rules that matter (DESIGN.md "Delivery guarantees"):
 *  - A recipient is OK only after its own 2xx reply to the end of DATA;
 *    replies after DATA are counted, one per accepted RCPT, in order.
 *  - A recipient without a final reply (connect failure, 421, dropped or
 *    stalled session) stays pending and is tried on the next endpoint;
 *    each endpoint is tried at most once per message, so nothing is sent
 *    twice to one endpoint. A session that fails before any message byte
 *    was sent cannot have delivered anything: when it was a reused idle
 *    session we reconnect to the same endpoint once, transparently.
 *  - Out of step (garbled, extra or unexpected replies): close the
 *    session; every recipient without a 2xx is deferred, never retried
 *    elsewhere in this run, since the server may have acted on it.
 *  - Bounded memory: the message streams from msg->fd with pread(2)
 *    through one fixed buffer, encoded by lmtp_dot_encode(); one buffer
 *    for all sessions, since only one writes at a time.
 *  - CHUNKING (RFC 3030) with PIPELINING: "BDAT n LAST" and the message
 *    go right behind the RCPTs, saving the round trip to DATA's 354. n
 *    comes from a first read of the file (lmtp_scan); the send never goes
 *    past it and holds back its last piece until the file has ended where
 *    that read saw it end, so a changed file is cut short (the server
 *    waits for the rest, the session is closed: nothing delivered), never
 *    delivered truncated or followed by octets read as commands.
 *  - Addresses go out as RFC 5321 allows (lmtp_addr_check): a quoted
 *    local part as it came, UTF-8 only to a server that announces
 *    SMTPUTF8. A recipient no command can carry here fails; a sender
 *    that cannot go out, or that the server refuses with a 5xx, is
 *    replaced by <> (logged): delivery matters more than the bounce
 *    address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/lmtp.h"
#include "common/log.h"
#include "deliver/lmtpsess.h"

static void log_null_sender(const struct lmtp_sess *s,
    const struct dl_msg *msg, const char *why);

/* detail for a result line: no TAB, CR, LF or other control byte. */
static void
reply_result(struct dl_rcpt *r, const struct lmtp_reply *rep)
{
	enum dl_result res = rep->code < 400 ? DL_OK :
	    rep->code < 500 ? DL_DEFER : DL_FAIL;

	dl_set(r, res, "%d %s", rep->code, rep->text);
	/* "no such user": 550, and 5.1.1 where the server says which */
	r->unknown = rep->code == 550 && (rep->enh[0] == '\0' ||
	    strcmp(rep->enh, "5.1.1") == 0);
}

int
lmtp_scan(struct lmtp_sess *s, const struct dl_msg *msg)
{
	struct lmtp_dot d;
	unsigned long long len = 0;
	off_t off = 0;
	int has8bit = 0;

	lmtp_crlf_init(&d);
	for (;;) {
		ssize_t r = pread(msg->fd, s->cl->in, FILE_CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (!has8bit)
			has8bit = lmtp_has_8bit(s->cl->in, (size_t)r);
		len += lmtp_dot_encode(&d, s->cl->in, (size_t)r, NULL);
		off += r;
	}
	s->has8bit = has8bit;
	s->body_len = len + lmtp_dot_finish(&d, NULL);
	s->file_len = off;
	return 0;
}

static int
has_8bit_str(const char *s)
{
	return lmtp_has_8bit(s, strlen(s));
}

/* The header line of --unknown-to in s->cl->in: its length. */
static size_t
redirect_line(struct lmtp_sess *s, const struct dl_msg *msg)
{
	int n = snprintf(s->cl->in, FILE_CHUNK, "%s: <%s>\n",
	    DL_REDIRECT_HEADER, msg->rcpt[s->redir].addr);

	return n > 0 ? (size_t)n : 0;
}

/* The encoding begun: DATA's or BDAT's. */
static void
body_init(const struct lmtp_sess *s, struct lmtp_dot *d)
{
	if (s->bdat)
		lmtp_crlf_init(d);
	else
		lmtp_dot_init(d);
}

/* The file is not what lmtp_scan read: BDAT would be cut or overrun. */
static int
body_changed(struct lmtp_sess *s, const struct dl_msg *msg)
{
	seterr(s, "%s changed while it was sent", msg->path);
	sess_close(s);	/* short of its BDAT size: nothing delivered */
	return -1;
}

/*
 * Stream the message, encoded, then its end ("." for DATA). An enum sx,
 * or -1 on a local read error (session closed short of the end: nothing
 * delivered). Each chunk goes out once the next read has shown it is not
 * the last, so that for BDAT the last octet is sent only when the file
 * ended where lmtp_scan saw it end, after exactly s->bdat_len octets.
 */
static int
send_body(struct lmtp_sess *s, const struct dl_msg *msg)
{
	unsigned long long sent = 0;
	struct lmtp_dot d;
	off_t off = 0;
	size_t o = 0;
	enum sx sx;

	body_init(s, &d);
	s->body_started = 1;
	if (s->redirected)	/* the header line of --unknown-to */
		o = lmtp_dot_encode(&d, s->cl->in, redirect_line(s, msg),
		    s->cl->out);
	for (;;) {
		ssize_t r = pread(msg->fd, s->cl->in, FILE_CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(s, "cannot read %s: %s", msg->path,
			    strerror(errno));
			sess_close(s);	/* no end sent: nothing delivered */
			return -1;
		}
		if (r == 0)
			break;
		if (s->bdat && (off + r > s->file_len ||
		    sent + o >= s->bdat_len))
			return body_changed(s, msg);
		if (o > 0 && (sx = sock_write(s, s->cl->out, o)) != SX_OK)
			return (int)sx;
		sent += o;
		off += r;
		o = lmtp_dot_encode(&d, s->cl->in, (size_t)r, s->cl->out);
	}
	o += lmtp_dot_finish(&d, s->cl->out + o);
	if (s->bdat && (off != s->file_len || sent + o != s->bdat_len))
		return body_changed(s, msg);
	return (int)sock_write(s, s->cl->out, o);
}

/* The address a recipient's RCPT TO names: its own, or its redirect. */
static const char *
rcpt_addr(const struct dl_rcpt *r)
{
	return r->redirect != NULL ? r->redirect : r->addr;
}

/* Command number cmd of the transaction (0 MAIL, 1..tk RCPT, tk+1 DATA)
 * into buf; its length, or -1 when it does not fit (lmtp_txns checked
 * every address, so it always does). */
static int
txn_cmd(const struct lmtp_sess *s, size_t cmd, char *buf)
{
	const struct dl_msg *msg = s->msg;

	if (cmd == 0)
		return lmtp_cmd_mail(buf, CMD_MAX, s->sender, s->has8bit > 0 &&
		    (s->caps & LMTP_CAP_8BITMIME), (s->caps & LMTP_CAP_SIZE) ?
		    msg->size : 0, s->utf8 && (s->caps & LMTP_CAP_SMTPUTF8));
	if (cmd <= s->tk)
		return lmtp_cmd_rcpt(buf, CMD_MAX,
		    rcpt_addr(&msg->rcpt[s->tidx[cmd - 1]]));
	if (s->bdat)
		return snprintf(buf, CMD_MAX, "BDAT %llu LAST\r\n", s->bdat_len);
	return snprintf(buf, CMD_MAX, "DATA\r\n");
}

/* The next reply is due within timeout seconds. */
static void
due(struct lmtp_sess *s, int timeout)
{
	s->deadline = io_now_ms() + (long long)timeout * 1000;
}

/* BDAT's octets, right after the command: SX_OK, SX_DROP, or
 * SX_GARBLED when the file could not be sent whole (every recipient of
 * the transaction deferred: their replies are not read yet). */
static enum sx
bdat_body(struct lmtp_sess *s)
{
	size_t i;

	switch (send_body(s, s->msg)) {
	case SX_OK:
		return SX_OK;
	case SX_DROP:
		return SX_DROP;
	default:
		for (i = 0; i < s->tk; i++)
			dl_set(&s->msg->rcpt[s->tidx[i]], DL_DEFER, "%s",
			    s->err);
		return SX_GARBLED;
	}
}

/*
 * Write the next window of MAIL, the RCPTs and DATA: PIPE_WINDOW commands
 * (1 without PIPELINING), whose replies are read before the next window.
 * SX_WAIT: written; SX_OK: nothing is left to send (all sent, MAIL
 * refused, or no RCPT accepted: no DATA); else the session failed.
 */
static enum sx
env_write(struct lmtp_sess *s)
{
	size_t win = (s->caps & LMTP_CAP_PIPELINING) ? PIPE_WINDOW : 1, o = 0;
	enum sx sx;

	if (s->sent == s->ncmd || s->env.mail_failed ||
	    (s->sent == s->tk + 1 && s->env.na == 0))
		return SX_OK;
	s->first = s->sent;
	for (; s->sent < s->ncmd && s->sent - s->first < win; s->sent++) {
		int n = txn_cmd(s, s->sent, s->cl->out + o);

		if (n < 0) {
			seterr(s, "command too long for %s", ep_name(s, s->ep));
			return drop(s);	/* no message data sent */
		}
		o += (size_t)n;
	}
	s->dirty = 1;
	if ((sx = sock_write(s, s->cl->out, o)) != SX_OK)
		return sx;
	if (s->bdat && s->sent == s->ncmd && (sx = bdat_body(s)) != SX_OK)
		return sx;
	s->phase = PH_ENV;
	due(s, s->cl->opts.timeout);
	return SX_WAIT;
}

/* The reply to the transaction's next command: refused recipients get
 * their result, accepted ones go to acc[]. */
static void
env_reply(struct lmtp_sess *s, const struct lmtp_reply *rep)
{
	struct dl_msg *msg = s->msg;
	struct envelope *e = &s->env;
	size_t got = s->answered++, i;

	if (got == 0) {
		e->mail_failed = rep->code >= 300;
		e->mail_rep = *rep;
	} else if (got <= s->tk) {
		if (e->mail_failed)
			return;	/* MAIL's reply decides */
		if (rep->code < 300)
			s->acc[e->na++] = s->tidx[got - 1];
		else
			reply_result(&msg->rcpt[s->tidx[got - 1]], rep);
	} else if (s->bdat) {
		/* no recipient: BDAT's one reply, which must refuse */
		e->go_data = rep->code < 300;
	} else if (rep->code == 354) {
		e->go_data = 1;
	} else if (e->na > 0 && !e->mail_failed) {
		for (i = 0; i < e->na; i++)
			reply_result(&msg->rcpt[s->acc[i]], rep);
	}
}

/* The message is out: one reply per accepted RCPT comes next. */
static void
finals_begin(struct lmtp_sess *s)
{
	s->dirty = 0;
	s->na = s->env.na;
	s->got = 0;
	s->phase = PH_FINALS;
	due(s, s->cl->opts.data_timeout);
}

/*
 * Every command answered: the message, when DATA got its 354, and then
 * SX_WAIT for the replies after it. Else, as a transaction ends: SX_OK
 * (the session is usable), SX_SENDER (a 5xx to MAIL FROM with a non-null
 * sender, in s->err: no result set, RSET due), SX_DROP or SX_GARBLED.
 */
static enum sx
env_done(struct lmtp_sess *s)
{
	struct dl_msg *msg = s->msg;
	struct envelope *e = &s->env;
	size_t i;

	if (e->go_data && (e->na == 0 || e->mail_failed)) {
		/* 354 (or BDAT's 2xx) though nothing was accepted: out of
		 * step. */
		seterr(s, "out of step: %s accepts DATA without recipients",
		    ep_name(s, s->ep));
		sess_close(s);
		return SX_GARBLED;
	}
	if (e->mail_failed) {
		if (e->mail_rep.code >= 500 && *s->sender != '\0') {
			seterr(s, "%d %s", e->mail_rep.code, e->mail_rep.text);
			return SX_SENDER;	/* dirty: RSET first */
		}
		for (i = 0; i < s->tk; i++)	/* every RCPT shares its answer */
			reply_result(&msg->rcpt[s->tidx[i]], &e->mail_rep);
	}
	if (!e->go_data || s->bdat)
		return SX_OK;	/* dirty: RSET before the next one */
	switch (send_body(s, msg)) {
	case SX_OK:
		break;
	case SX_DROP:
		return SX_DROP;
	default:	/* out of step, or the spool file cannot be read */
		for (i = 0; i < e->na; i++)
			dl_set(&msg->rcpt[s->acc[i]], DL_DEFER, "%s", s->err);
		return SX_GARBLED;
	}
	finals_begin(s);
	return SX_WAIT;
}

/* Every reply after the data is in: more would be out of step. */
static enum sx
finals_done(struct lmtp_sess *s)
{
	if (s->rstart < s->rend) {
		char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX];

		seterr(s, "out of step: more replies than recipients from %s",
		    ep_name(s, s->ep));
		log_warn("lmtp-out-of-step", "endpoint=%s path=%s",
		    log_quote(q1, sizeof(q1), ep_name(s, s->ep)),
		    log_quote(q2, sizeof(q2), s->msg->path));
		sess_close(s);
	}
	return SX_OK;
}

/*
 * Begin the transaction for recipients s->tidx[0..s->tk) with MAIL FROM
 * s->sender: RSET when one was left open, else the first window of
 * commands. SX_WAIT, or the session failed.
 */
static enum sx
txn_start(struct lmtp_sess *s)
{
	size_t i;
	enum sx sx;

	s->body_started = 0;
	s->txn_reused = s->reused;
	memset(&s->env, 0, sizeof(s->env));
	s->ncmd = s->tk + 2;
	s->sent = s->answered = 0;
	s->utf8 = has_8bit_str(s->sender);
	/* CHUNKING saves the round trip DATA's 354 costs; it needs the
	 * octet count (lmtp_scan) and PIPELINING to send it all at once. */
	s->bdat = (s->caps & LMTP_CAP_CHUNKING) &&
	    (s->caps & LMTP_CAP_PIPELINING) && s->has8bit >= 0;
	if (s->bdat) {
		struct lmtp_dot d;

		lmtp_crlf_init(&d);
		s->bdat_len = s->body_len + (s->redirected ?
		    lmtp_dot_encode(&d, s->cl->in, redirect_line(s, s->msg),
		    NULL) : 0);
	}
	for (i = 0; i < s->tk; i++)
		s->utf8 |= has_8bit_str(rcpt_addr(&s->msg->rcpt[s->tidx[i]]));
	if (s->dirty) {
		if ((sx = sock_write(s, "RSET\r\n", 6)) != SX_OK)
			return sx;
		s->phase = PH_RSET;
		due(s, s->cl->opts.timeout);
		return SX_WAIT;
	}
	s->reused = 1;
	return env_write(s);
}

/* The transaction ended with sx; when the server refused the sender with
 * a 5xx, it begins once more with <>, which then serves the rest of the
 * message. */
static enum sx
txn_end(struct lmtp_sess *s, enum sx sx)
{
	s->phase = PH_NONE;
	if (sx == SX_SENDER) {
		log_null_sender(s, s->msg, s->err);
		s->sender = "";
		if ((sx = txn_start(s)) == SX_WAIT)
			return sx;
		s->phase = PH_NONE;
	}
	s->redirected = 0;
	return sx;
}

/* One transaction for recipients idx[0..k): SX_WAIT (lmtp_step takes
 * its replies), or how it ended at once. */
static enum sx
txn_begin(struct lmtp_sess *s, const size_t *idx, size_t k)
{
	enum sx sx;

	s->tidx = idx;
	s->tk = k;
	sx = txn_start(s);
	return sx == SX_WAIT ? sx : txn_end(s, sx);
}

enum sx
lmtp_step(struct lmtp_sess *s, int timed_out)
{
	struct dl_msg *msg = s->msg;
	struct lmtp_reply rep;
	enum sx sx;

	for (;;) {
		sx = try_reply(s, &rep);
		if (sx == SX_WAIT && !timed_out)
			return SX_WAIT;
		if (sx == SX_WAIT) {
			seterr(s, "no reply from %s: timeout",
			    ep_name(s, s->ep));
			sx = drop(s);
		}
		if (sx == SX_GARBLED && s->phase == PH_FINALS)
			for (; s->got < s->na; s->got++)
				dl_set(&msg->rcpt[s->acc[s->got]], DL_DEFER,
				    "%s", s->err);
		if (sx != SX_OK)
			return txn_end(s, sx);
		timed_out = 0;	/* a reply in hand: the next has its own */
		switch (s->phase) {
		case PH_RSET:
			if (rep.code != 250) {
				seterr(s, "%s refuses RSET: %d %s",
				    ep_name(s, s->ep), rep.code, rep.text);
				/* nothing sent yet: retry elsewhere */
				return txn_end(s, drop(s));
			}
			s->dirty = 0;
			s->reused = 1;
			sx = env_write(s);
			break;
		case PH_ENV:
			env_reply(s, &rep);
			if (s->bdat && s->sent == s->ncmd &&
			    s->answered == s->tk + 1 && s->env.na > 0 &&
			    !s->env.mail_failed) {
				/* BDAT went with the RCPTs: its replies are
				 * the recipients' */
				finals_begin(s);
				continue;
			}
			if (s->answered < s->sent) {
				due(s, s->cl->opts.timeout);
				continue;
			}
			if ((sx = env_write(s)) == SX_OK)
				sx = env_done(s);
			break;
		case PH_FINALS:
			/* one reply per accepted RCPT, in order */
			reply_result(&msg->rcpt[s->acc[s->got++]], &rep);
			if (s->got < s->na) {
				due(s, s->cl->opts.data_timeout);
				continue;
			}
			sx = finals_done(s);
			break;
		default:
			seterr(s, "out of step: unexpected reply from %s",
			    ep_name(s, s->ep));
			sess_close(s);
			sx = SX_GARBLED;
			break;
		}
		if (sx != SX_WAIT)
			return txn_end(s, sx);
	}
}

static void
log_null_sender(const struct lmtp_sess *s, const struct dl_msg *msg,
    const char *why)
{
	char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX], q3[LOG_QUOTE_MAX],
	    q4[LOG_QUOTE_MAX];

	log_warn("lmtp-null-sender", "endpoint=%s path=%s sender=%s reason=%s",
	    log_quote(q1, sizeof(q1), ep_name(s, s->ep)),
	    log_quote(q2, sizeof(q2), msg->path),
	    log_quote(q3, sizeof(q3), msg->sender),
	    log_quote(q4, sizeof(q4), why));
}

/* The sender for MAIL FROM on this session: as it came, or <> (logged)
 * when no command can carry it here. */
const char *
lmtp_mail_sender(const struct lmtp_sess *s, const struct dl_msg *msg)
{
	const char *why;
	int k;

	if (msg->sender[0] == '\0')
		return "";
	k = lmtp_addr_check(msg->sender, &why);
	if (k >= 0 && (!(k & LMTP_ADDR_UTF8) || (s->caps & LMTP_CAP_SMTPUTF8)))
		return msg->sender;
	log_null_sender(s, msg, k < 0 ? why :
	    "UTF-8 address and the server lacks SMTPUTF8");
	return "";
}

/* 1 when r can go into RCPT TO on this session; else r fails (for good:
 * the address will not change, and the endpoints are one service). */
static int
rcpt_usable(const struct lmtp_sess *s, struct dl_rcpt *r)
{
	const char *why;
	int k = lmtp_addr_check(rcpt_addr(r), &why);

	if (k < 0) {
		dl_set(r, DL_FAIL, "address not usable in LMTP: %s", why);
		return 0;
	}
	if ((k & LMTP_ADDR_UTF8) && !(s->caps & LMTP_CAP_SMTPUTF8)) {
		dl_set(r, DL_FAIL, "UTF-8 address and the LMTP server %s "
		    "lacks SMTPUTF8 (RFC 6531)", ep_name(s, s->ep));
		return 0;
	}
	return 1;
}

/* Room for n recipients in s->idx and s->acc: 0, or -1. */
static int
room(struct lmtp_sess *s, size_t n)
{
	size_t *p;

	if (n <= s->cap)
		return 0;
	if ((p = realloc(s->idx, n * sizeof(*p))) == NULL)
		return -1;
	s->idx = p;
	if ((p = realloc(s->acc, n * sizeof(*p))) == NULL)
		return -1;
	s->acc = p;
	s->cap = n;
	return 0;
}

enum sx
lmtp_txns(struct lmtp_sess *s)
{
	struct dl_msg *msg = s->msg;
	size_t i, k = 0;

	if (room(s, s->limit) < 0) {
		seterr(s, "out of memory");
		return SX_GARBLED;	/* nothing sent: the rest deferred */
	}
	for (i = s->pos; i < s->limit; i++) {
		if (msg->rcpt[i].result != DL_PENDING ||
		    !rcpt_usable(s, &msg->rcpt[i]))
			continue;
		/* a redirected copy has a header of its own: alone */
		if (!s->cl->opts.group_rcpts || msg->rcpt[i].redirect != NULL) {
			enum sx sx;

			s->pos = i + 1;
			s->one = i;
			s->redirected = msg->rcpt[i].redirect != NULL;
			s->redir = i;
			sx = txn_begin(s, &s->one, 1);
			if (sx != SX_OK)
				return sx;	/* SX_WAIT: resumed at pos */
			if (s->fd < 0)	/* closed after an extra reply */
				return SX_OK;
			continue;
		}
		s->idx[k++] = i;
	}
	s->pos = s->limit;
	return k > 0 ? txn_begin(s, s->idx, k) : SX_OK;
}
