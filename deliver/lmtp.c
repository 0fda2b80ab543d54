/*
 * lmtp.c: the LMTP backend of mdrop-deliver (RFC 2033), usually talking to
 * Dovecot's LMTP server. The pure parts (reply parser, DATA encoder,
 * commands, endpoint syntax) live in common/lmtp.c, the sessions
 * (sockets, LHLO, timeouts) in lmtpsess.c; this file does the
 * transactions and the bookkeeping of who got which reply.
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
 *    through one fixed buffer, encoded by lmtp_dot_encode().
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

/* 1 when the file holds a byte >= 0x80, 0 if not, -1 on a read error. */
static int
scan_8bit(struct lmtp_client *c, const struct dl_msg *msg)
{
	off_t off = 0;

	for (;;) {
		ssize_t r = pread(msg->fd, c->in, FILE_CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (lmtp_has_8bit(c->in, (size_t)r))
			return 1;
		off += r;
	}
}

static int
has_8bit_str(const char *s)
{
	return lmtp_has_8bit(s, strlen(s));
}

/* Stream the message, encoded, then ".". An enum sx, or -1 on a local
 * read error (session closed without the ".": nothing delivered). */
static int
send_body(struct lmtp_client *c, const struct dl_msg *msg)
{
	struct lmtp_dot d;
	off_t off = 0;
	size_t o;
	enum sx sx;
	int n;

	lmtp_dot_init(&d);
	c->body_started = 1;
	if (c->redirected != NULL) {	/* the header line of --unknown-to */
		n = snprintf(c->in, FILE_CHUNK, "%s: <%s>\n",
		    DL_REDIRECT_HEADER, c->redirected->addr);
		o = lmtp_dot_encode(&d, c->in, (size_t)n, c->out);
		if ((sx = sock_write(c, c->out, o)) != SX_OK)
			return (int)sx;
	}
	for (;;) {
		ssize_t r = pread(msg->fd, c->in, FILE_CHUNK, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			seterr(c, "cannot read %s: %s", msg->path,
			    strerror(errno));
			sess_close(c);	/* no "." sent: nothing delivered */
			return -1;
		}
		if (r == 0)
			break;
		off += r;
		o = lmtp_dot_encode(&d, c->in, (size_t)r, c->out);
		if ((sx = sock_write(c, c->out, o)) != SX_OK)
			return (int)sx;
	}
	o = lmtp_dot_finish(&d, c->out);
	return (int)sock_write(c, c->out, o);
}

/* What the commands of one transaction brought back. */
struct envelope {
	size_t na;			/* accepted recipients, in acc[] */
	int go_data;			/* DATA got 354 */
	int mail_failed;		/* MAIL got no 2xx: mail_rep */
	struct lmtp_reply mail_rep;
};

/* The address a recipient's RCPT TO names: its own, or its redirect. */
static const char *
rcpt_addr(const struct dl_rcpt *r)
{
	return r->redirect != NULL ? r->redirect : r->addr;
}

/* Command number cmd of a transaction (0 MAIL, 1..k RCPT, k+1 DATA) into
 * buf; its length, or -1 when it does not fit (run_txns checked every
 * address, so it always does). */
static int
txn_cmd(const struct lmtp_client *c, const struct dl_msg *msg,
    const char *sender, const size_t *idx, size_t k, size_t cmd, int has8bit,
    int utf8, char *buf)
{
	if (cmd == 0)
		return lmtp_cmd_mail(buf, CMD_MAX, sender, has8bit > 0 &&
		    (c->caps & LMTP_CAP_8BITMIME), (c->caps & LMTP_CAP_SIZE) ?
		    msg->size : 0, utf8 && (c->caps & LMTP_CAP_SMTPUTF8));
	if (cmd <= k)
		return lmtp_cmd_rcpt(buf, CMD_MAX, rcpt_addr(&msg->rcpt[idx[cmd -
		    1]]));
	return snprintf(buf, CMD_MAX, "DATA\r\n");
}

/*
 * RSET when needed, then MAIL, the RCPTs and DATA, written in windows of
 * PIPE_WINDOW (1 without PIPELINING), each window's replies read before
 * the next is written. Refused recipients get their result; accepted ones
 * go to acc[]. An enum sx; e says what happened.
 */
static enum sx
txn_envelope(struct lmtp_client *c, struct dl_msg *msg, const char *sender,
    const size_t *idx, size_t k, size_t *acc, int has8bit, struct envelope *e)
{
	struct lmtp_reply rep;
	size_t ncmd = k + 2, sent = 0, got, i, o;
	int utf8 = has_8bit_str(sender);
	enum sx sx;

	memset(e, 0, sizeof(*e));
	if (c->dirty) {
		if ((sx = sock_write(c, "RSET\r\n", 6)) != SX_OK)
			return sx;
		if ((sx = read_reply(c, c->opts.timeout, &rep)) != SX_OK)
			return sx;
		if (rep.code != 250) {
			seterr(c, "%s refuses RSET: %d %s", ep_name(c, c->ep),
			    rep.code, rep.text);
			return drop(c);	/* nothing sent yet: retry elsewhere */
		}
		c->dirty = 0;
	}
	for (i = 0; i < k; i++)
		utf8 |= has_8bit_str(rcpt_addr(&msg->rcpt[idx[i]]));
	c->reused = 1;
	while (sent < ncmd && !e->mail_failed) {
		size_t win = (c->caps & LMTP_CAP_PIPELINING) ? PIPE_WINDOW : 1;
		size_t first = sent;

		if (sent == k + 1 && e->na == 0)
			break;		/* no accepted RCPT: no DATA */
		for (o = 0; sent < ncmd && sent - first < win; sent++) {
			int n = txn_cmd(c, msg, sender, idx, k, sent, has8bit,
			    utf8, c->out + o);

			if (n < 0) {
				seterr(c, "command too long for %s",
				    ep_name(c, c->ep));
				return drop(c);	/* no message data sent */
			}
			o += (size_t)n;
		}
		c->dirty = 1;
		if ((sx = sock_write(c, c->out, o)) != SX_OK)
			return sx;
		for (got = first; got < sent; got++) {
			if ((sx = read_reply(c, c->opts.timeout, &rep)) != SX_OK)
				return sx;
			if (got == 0) {
				e->mail_failed = rep.code >= 300;
				e->mail_rep = rep;
			} else if (got <= k) {
				if (e->mail_failed)
					continue;	/* MAIL's reply decides */
				if (rep.code < 300)
					acc[e->na++] = idx[got - 1];
				else
					reply_result(&msg->rcpt[idx[got - 1]],
					    &rep);
			} else if (rep.code == 354) {
				e->go_data = 1;
			} else if (e->na > 0 && !e->mail_failed) {
				for (i = 0; i < e->na; i++)
					reply_result(&msg->rcpt[acc[i]], &rep);
			}
		}
	}
	return SX_OK;
}

/*
 * One transaction for the recipients idx[0..k) of msg. Recipients that get
 * a final answer have their result set; the others stay DL_PENDING with
 * c->err saying why. SX_OK: the session is still usable. SX_DROP: closed;
 * the pending ones may be tried elsewhere. SX_GARBLED: closed; nothing is
 * left pending. SX_SENDER: a 5xx to MAIL FROM with a non-null sender (the
 * reply in c->err), no result set: the caller may try again with <>.
 */
static enum sx
txn(struct lmtp_client *c, struct dl_msg *msg, const char *sender,
    const size_t *idx, size_t k, size_t *acc, int has8bit)
{
	struct lmtp_reply rep;
	struct envelope e;
	size_t i;
	enum sx sx;

	c->body_started = 0;
	c->txn_reused = c->reused;
	if ((sx = txn_envelope(c, msg, sender, idx, k, acc, has8bit, &e)) !=
	    SX_OK)
		return sx;
	if (e.go_data && (e.na == 0 || e.mail_failed)) {
		/* 354 though nothing was accepted: out of step. */
		seterr(c, "out of step: %s accepts DATA without recipients",
		    ep_name(c, c->ep));
		sess_close(c);
		return SX_GARBLED;
	}
	if (e.mail_failed) {
		if (e.mail_rep.code >= 500 && *sender != '\0') {
			seterr(c, "%d %s", e.mail_rep.code, e.mail_rep.text);
			return SX_SENDER;	/* dirty: RSET first */
		}
		for (i = 0; i < k; i++)	/* every RCPT shares its answer */
			reply_result(&msg->rcpt[idx[i]], &e.mail_rep);
	}
	if (!e.go_data)
		return SX_OK;	/* dirty: RSET before the next one */
	switch (send_body(c, msg)) {
	case SX_OK:
		break;
	case SX_DROP:
		return SX_DROP;
	default:	/* out of step, or the spool file cannot be read */
		for (i = 0; i < e.na; i++)
			dl_set(&msg->rcpt[acc[i]], DL_DEFER, "%s", c->err);
		return SX_GARBLED;
	}
	c->dirty = 0;
	/* One reply per accepted RCPT, in order. */
	for (i = 0; i < e.na; i++) {
		sx = read_reply(c, c->opts.data_timeout, &rep);
		if (sx == SX_DROP)
			return sx;
		if (sx == SX_GARBLED) {
			for (; i < e.na; i++)
				dl_set(&msg->rcpt[acc[i]], DL_DEFER, "%s",
				    c->err);
			return sx;
		}
		reply_result(&msg->rcpt[acc[i]], &rep);
	}
	if (c->rstart < c->rend) {
		seterr(c, "out of step: more replies than recipients from %s",
		    ep_name(c, c->ep));
		char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX];

		log_warn("lmtp-out-of-step", "endpoint=%s path=%s",
		    log_quote(q1, sizeof(q1), ep_name(c, c->ep)),
		    log_quote(q2, sizeof(q2), msg->path));
		sess_close(c);
	}
	return SX_OK;
}


static void
log_null_sender(const struct lmtp_client *c, const struct dl_msg *msg,
    const char *why)
{
	char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX], q3[LOG_QUOTE_MAX],
	    q4[LOG_QUOTE_MAX];

	log_warn("lmtp-null-sender", "endpoint=%s path=%s sender=%s reason=%s",
	    log_quote(q1, sizeof(q1), ep_name(c, c->ep)),
	    log_quote(q2, sizeof(q2), msg->path),
	    log_quote(q3, sizeof(q3), msg->sender),
	    log_quote(q4, sizeof(q4), why));
}

/* The sender for MAIL FROM on this session: as it came, or <> (logged)
 * when no command can carry it here. */
static const char *
mail_sender(const struct lmtp_client *c, const struct dl_msg *msg)
{
	const char *why;
	int k;

	if (msg->sender[0] == '\0')
		return "";
	k = lmtp_addr_check(msg->sender, &why);
	if (k >= 0 && (!(k & LMTP_ADDR_UTF8) || (c->caps & LMTP_CAP_SMTPUTF8)))
		return msg->sender;
	log_null_sender(c, msg, k < 0 ? why :
	    "UTF-8 address and the server lacks SMTPUTF8");
	return "";
}

/* 1 when r can go into RCPT TO on this session; else r fails (for good:
 * the address will not change, and the endpoints are one service). */
static int
rcpt_usable(const struct lmtp_client *c, struct dl_rcpt *r)
{
	const char *why;
	int k = lmtp_addr_check(rcpt_addr(r), &why);

	if (k < 0) {
		dl_set(r, DL_FAIL, "address not usable in LMTP: %s", why);
		return 0;
	}
	if ((k & LMTP_ADDR_UTF8) && !(c->caps & LMTP_CAP_SMTPUTF8)) {
		dl_set(r, DL_FAIL, "UTF-8 address and the LMTP server %s "
		    "lacks SMTPUTF8 (RFC 6531)", ep_name(c, c->ep));
		return 0;
	}
	return 1;
}

/* txn(); when the server refuses the sender with a 5xx, once more with
 * <>, which then serves the rest of the message. */
static enum sx
txn_sender(struct lmtp_client *c, struct dl_msg *msg, const char **sender,
    const size_t *idx, size_t k, size_t *acc, int has8bit)
{
	enum sx sx = txn(c, msg, *sender, idx, k, acc, has8bit);

	if (sx != SX_SENDER)
		return sx;
	log_null_sender(c, msg, c->err);
	*sender = "";
	return txn(c, msg, "", idx, k, acc, has8bit);
}

/* Run the transactions for the pending recipients on the open session. */
static enum sx
run_txns(struct lmtp_client *c, struct dl_msg *msg, size_t *idx,
    size_t *acc, int has8bit)
{
	const char *sender = mail_sender(c, msg);
	size_t i, k = 0;

	for (i = 0; i < msg->nrcpt; i++) {
		if (msg->rcpt[i].result != DL_PENDING ||
		    !rcpt_usable(c, &msg->rcpt[i]))
			continue;
		/* a redirected copy has a header of its own: alone */
		if (!c->opts.group_rcpts || msg->rcpt[i].redirect != NULL) {
			enum sx sx;

			c->redirected = msg->rcpt[i].redirect != NULL ?
			    &msg->rcpt[i] : NULL;
			sx = txn_sender(c, msg, &sender, &i, 1, acc, has8bit);
			c->redirected = NULL;
			if (sx != SX_OK)
				return sx;
			if (c->fd < 0)	/* closed after an extra reply */
				return SX_OK;
			continue;
		}
		idx[k++] = i;
	}
	return k > 0 ? txn_sender(c, msg, &sender, idx, k, acc, has8bit) :
	    SX_OK;
}

static size_t
count_pending(const struct dl_msg *msg)
{
	size_t i, n = 0;

	for (i = 0; i < msg->nrcpt; i++)
		n += msg->rcpt[i].result == DL_PENDING;
	return n;
}

enum status
lmtp_client_deliver(struct lmtp_client *c, struct dl_msg *msg)
{
	size_t *idx, *acc, t, nep = c->opts.nendpoints;
	size_t start = c->fd >= 0 ? c->ep : 0;
	int has8bit = -1, broken = 0;
	enum sx sx;
	char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX];

	if (count_pending(msg) == 0)
		return ST_OK;
	idx = calloc(msg->nrcpt, sizeof(*idx));
	acc = calloc(msg->nrcpt, sizeof(*acc));
	if (idx == NULL || acc == NULL) {
		free(idx);
		free(acc);
		for (t = 0; t < msg->nrcpt; t++)
			if (msg->rcpt[t].result == DL_PENDING)
				dl_set(&msg->rcpt[t], DL_DEFER,
				    "out of memory");
		return ST_TEMPFAIL;
	}
	seterr(c, "no LMTP endpoint");
	for (t = 0; t < nep && count_pending(msg) > 0; t++) {
		size_t ep = (start + t) % nep;
		int again = 1;

		for (;;) {
			if (c->fd >= 0 && (c->ep != ep || !sess_alive(c)))
				sess_close(c);
			if (c->fd < 0 && sess_open(c, ep) < 0)
				break;
			if (has8bit < 0 && (c->caps & LMTP_CAP_8BITMIME))
				has8bit = scan_8bit(c, msg);
			if (has8bit < 0 && (c->caps & LMTP_CAP_8BITMIME)) {
				seterr(c, "cannot read %s: %s", msg->path,
				    strerror(errno));
				goto out;
			}
			sx = run_txns(c, msg, idx, acc, has8bit);
			if (sx == SX_GARBLED) {
				broken = 1;
				goto out;	/* the rest: defer */
			}
			if (sx == SX_DROP && c->txn_reused && !c->body_started &&
			    again) {
				again = 0;	/* a stale idle session */
				continue;
			}
			break;
		}
		if (count_pending(msg) > 0)
			log_warn("lmtp-endpoint-failed", "endpoint=%s reason=%s",
			    log_quote(q1, sizeof(q1), ep_name(c, ep)),
			    log_quote(q2, sizeof(q2), c->err));
	}
out:
	free(idx);
	free(acc);
	if (count_pending(msg) == 0)
		return broken ? ST_TEMPFAIL : ST_OK;
	for (t = 0; t < msg->nrcpt; t++)
		if (msg->rcpt[t].result == DL_PENDING)
			dl_set(&msg->rcpt[t], DL_DEFER, "%s", c->err);
	return ST_TEMPFAIL;
}

