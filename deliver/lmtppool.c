/*
 * lmtppool.c: mdrop-deliver's LMTP sessions side by side (lmtp.h). A free
 * session takes the next message; whenever one of its transactions
 * (lmtp.c) waits for replies -- to RSET, to a window of MAIL, RCPT and
 * DATA, after the final "." -- it waits in one poll(2) over every busy
 * session, so that several messages are in the server's hands at once.
 * When a transaction has ended, the message goes on (its next
 * transaction, the next endpoint) or goes back through the done callback.
 *
 * Why it is this way: Dovecot's lmtp spends most of a delivery in its own
 * fsyncs and index updates, and runs one process per session; one session
 * at a time leaves the disk and the second core waiting on each other.
 * Only the waits overlap: the writes (commands and message) stay one
 * session at a time, through the client's one pair of buffers, so memory
 * stays what one session needs, and nothing about one transaction's
 * rules (lmtp.c) changes.
 *
 * Endpoints: a message tries each endpoint at most once, in turn from the
 * one its session starts at (failover as with one session). A session
 * without a connection starts at an endpoint of its own among those that
 * answered last (session i: the (i mod n)-th of the n healthy ones), so
 * sessions spread over a director/proxy pair or two backends; one that
 * refused a session is passed over for EP_REST_MS while others answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/tool.h"
#include "deliver/lmtpsess.h"

/* Recipients of s's message still without a result. */
static size_t
count_pending(const struct lmtp_sess *s)
{
	size_t i, n = 0;

	for (i = s->msg->from; i < s->limit; i++)
		n += s->msg->rcpt[i].result == DL_PENDING;
	return n;
}

/* The endpoint a session without a connection starts at. */
static size_t
start_ep(const struct lmtp_client *c, const struct lmtp_sess *s)
{
	size_t nep = c->opts.nendpoints, i, nh = 0, k;
	long long now = io_now_ms();

	if (s->fd >= 0)
		return s->ep;	/* stay where the session is */
	for (i = 0; i < nep; i++)
		nh += c->ep_rest[i] <= now;
	if (nh == 0)
		return s->id % nep;
	k = s->id % nh;
	for (i = 0; i < nep; i++)
		if (c->ep_rest[i] <= now && k-- == 0)
			break;
	return i;
}

/* The message is done: every recipient decided; back to the caller. */
static void
job_finish(struct lmtp_sess *s)
{
	struct lmtp_client *c = s->cl;
	struct dl_msg *msg = s->msg;
	enum status st = s->broken ? ST_TEMPFAIL : ST_OK;
	size_t i;

	for (i = msg->from; i < s->limit; i++) {
		if (msg->rcpt[i].result == DL_PENDING) {
			dl_set(&msg->rcpt[i], DL_DEFER, "%s", s->err);
			st = ST_TEMPFAIL;
		}
	}
	s->msg = NULL;
	c->landed = 1;
	c->done(c->done_arg, s->tag, msg, 1, st);
}

/* Start a pass over endpoint ep: the session open there and usable.
 * 0; -1: not reachable (try the next); -2: give up (s->err says why). */
static int
pass_begin(struct lmtp_sess *s, size_t ep)
{
	struct lmtp_client *c = s->cl;

	if (s->fd >= 0 && (s->ep != ep || !sess_alive(s)))
		sess_close(s);
	if (s->fd < 0 && sess_open(s, ep) < 0) {
		c->ep_rest[ep] = io_now_ms() + EP_REST_MS;
		return -1;
	}
	c->ep_rest[ep] = 0;
	if (s->has8bit < 0 && (s->caps & (LMTP_CAP_8BITMIME |
	    LMTP_CAP_CHUNKING)) && lmtp_scan(s, s->msg) < 0) {
		seterr(s, "cannot read %s: %s", s->msg->path, strerror(errno));
		return -2;
	}
	s->pos = s->msg->from;
	s->sender = lmtp_mail_sender(s, s->msg);
	return 0;
}

/*
 * Carry s's message on until it awaits replies or is done. resumed: the
 * transaction whose replies it awaited has ended with sx.
 */
static void
job_step(struct lmtp_sess *s, int resumed, enum sx sx)
{
	size_t nep = s->cl->opts.nendpoints;
	char q1[LOG_QUOTE_MAX], q2[LOG_QUOTE_MAX];

	for (;;) {
		size_t ep = (s->start + s->tried) % nep;

		if (resumed && sx == SX_OK && s->fd >= 0) {
			sx = lmtp_txns(s);	/* the pass goes on */
		} else if (!resumed) {
			int r;

			if (s->tried >= nep || count_pending(s) == 0)
				break;
			if ((r = pass_begin(s, ep)) == -2)
				break;
			sx = r < 0 ? SX_DROP : lmtp_txns(s);
		}
		resumed = 0;
		if (sx == SX_WAIT)
			return;
		if (sx == SX_GARBLED) {
			s->broken = 1;	/* the rest: defer */
			break;
		}
		if (sx == SX_DROP && s->fd < 0 && s->txn_reused &&
		    !s->body_started && s->again) {
			s->again = 0;	/* a stale idle session: once more */
			s->txn_reused = 0;
			continue;
		}
		if (count_pending(s) > 0)
			log_warn("lmtp-endpoint-failed", "endpoint=%s reason=%s",
			    log_quote(q1, sizeof(q1), ep_name(s, ep)),
			    log_quote(q2, sizeof(q2), s->err));
		s->tried++;
		s->again = 1;
		s->txn_reused = 0;
	}
	job_finish(s);
}

size_t
lmtp_client_busy(const struct lmtp_client *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->nsess; i++)
		n += c->sess[i].msg != NULL;
	return n;
}

/*
 * One poll over the busy sessions (and fd, when >= 0) for at most
 * timeout_ms (-1: until a reply deadline), through tool_poll when
 * stoppable; what came is handled. 1 when fd is readable, 0 if not, -1
 * when a stop signal came.
 */
static int
pump(struct lmtp_client *c, int fd, int timeout_ms, int stoppable)
{
	struct pollfd pfd[LMTP_SESSIONS_MAX + 1];
	struct lmtp_sess *who[LMTP_SESSIONS_MAX];
	long long now = io_now_ms(), wait = timeout_ms;
	size_t i, n = 0;
	int r;

	for (i = 0; i < c->nsess; i++) {
		struct lmtp_sess *s = &c->sess[i];

		if (s->msg == NULL)
			continue;
		if (wait < 0 || s->deadline - now < wait)
			wait = s->deadline - now > 0 ? s->deadline - now : 0;
		pfd[n].fd = s->fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		who[n++] = s;
	}
	pfd[n].fd = fd;
	pfd[n].events = POLLIN;
	pfd[n].revents = 0;
	if (stoppable)
		r = tool_poll(pfd, n + (fd >= 0), (int)wait);
	else
		while ((r = poll(pfd, n + (fd >= 0), (int)wait)) < 0 &&
		    errno == EINTR)
			;
	if (r < 0 && stoppable)
		return -1;
	now = io_now_ms();
	for (i = 0; i < n; i++) {
		struct lmtp_sess *s = who[i];
		enum sx sx;

		if (r < 0 || (pfd[i].revents == 0 && now < s->deadline))
			continue;
		if ((sx = lmtp_step(s, now >= s->deadline)) == SX_WAIT)
			continue;
		/* its 2xx noted before anything else is read: the window
		 * for a duplicate stays one transaction per session */
		c->done(c->done_arg, s->tag, s->msg, 0, ST_OK);
		job_step(s, 1, sx);
	}
	return r > 0 && fd >= 0 && pfd[n].revents != 0;
}

/* A free session, one already connected first; NULL when all are busy. */
static struct lmtp_sess *
free_session(struct lmtp_client *c)
{
	struct lmtp_sess *idle = NULL;
	size_t i;

	for (i = 0; i < c->nsess; i++) {
		struct lmtp_sess *s = &c->sess[i];

		if (s->msg != NULL)
			continue;
		if (s->fd >= 0)
			return s;
		if (idle == NULL)
			idle = s;
	}
	return idle;
}

void
lmtp_client_submit(struct lmtp_client *c, struct dl_msg *msg, void *tag)
{
	struct lmtp_sess *s;

	(void)pump(c, -1, 0, 0);	/* replies already in: sessions free */
	while ((s = free_session(c)) == NULL)
		(void)pump(c, -1, -1, 0);
	s->msg = msg;
	s->tag = tag;
	s->limit = msg->nrcpt;
	s->has8bit = -1;
	s->broken = 0;
	s->tried = 0;
	s->again = 1;
	s->txn_reused = 0;
	s->body_started = 0;
	s->start = start_ep(c, s);
	seterr(s, "no LMTP endpoint");
	job_step(s, 0, SX_OK);
}

int
lmtp_client_wait(struct lmtp_client *c, int fd, int timeout_ms)
{
	long long deadline = io_now_ms() + timeout_ms;

	c->landed = 0;
	for (;;) {
		long long left = timeout_ms < 0 ? -1 : deadline - io_now_ms();
		int r;

		if (timeout_ms >= 0 && left < 0)
			left = 0;
		if (lmtp_client_busy(c) == 0)
			return fd >= 0 ? tool_wait_input(fd, (int)left) : 0;
		if ((r = pump(c, fd, (int)left, 1)) != 0)
			return r;
		if (c->landed || left == 0 || (timeout_ms >= 0 &&
		    io_now_ms() >= deadline))
			return 0;
	}
}

void
lmtp_client_drain(struct lmtp_client *c)
{
	while (lmtp_client_busy(c) > 0)
		(void)pump(c, -1, -1, 0);
}

struct lmtp_client *
lmtp_client_new(const struct lmtp_opts *opts)
{
	struct lmtp_client *c = calloc(1, sizeof(*c));
	size_t i;

	if (c == NULL)
		return NULL;
	c->opts = *opts;	/* complete: main sets every timeout */
	c->nsess = opts->sessions > 0 ? opts->sessions : 1;
	c->in = malloc(FILE_CHUNK);
	c->out = malloc(OUT_SIZE);
	c->sess = calloc(c->nsess, sizeof(*c->sess));
	c->ep_rest = calloc(opts->nendpoints + 1, sizeof(*c->ep_rest));
	if (c->in == NULL || c->out == NULL || c->sess == NULL ||
	    c->ep_rest == NULL) {
		lmtp_client_free(c);
		return NULL;
	}
	for (i = 0; i < c->nsess; i++) {
		c->sess[i].cl = c;
		c->sess[i].id = i;
		c->sess[i].fd = -1;
		lmtp_parser_init(&c->sess[i].parser);
	}
	if (opts->lhlo != NULL)
		snprintf(c->lhlo, sizeof(c->lhlo), "%s", opts->lhlo);
	else if (gethostname(c->lhlo, sizeof(c->lhlo)) < 0 ||
	    lmtp_cmd_lhlo(c->out, 300, c->lhlo) < 0)
		snprintf(c->lhlo, sizeof(c->lhlo), "localhost");
	c->lhlo[sizeof(c->lhlo) - 1] = '\0';
	return c;
}

void
lmtp_client_on_done(struct lmtp_client *c, lmtp_done_fn *fn, void *arg)
{
	c->done = fn;
	c->done_arg = arg;
}

void
lmtp_client_quit(struct lmtp_client *c)
{
	struct lmtp_reply rep;
	size_t i;

	for (i = 0; i < c->nsess; i++) {
		struct lmtp_sess *s = &c->sess[i];

		if (s->fd < 0 || s->msg != NULL)
			continue;
		if (sock_write(s, "QUIT\r\n", 6) == SX_OK)
			(void)read_reply(s, c->opts.timeout, &rep);
		sess_close(s);
	}
}

void
lmtp_client_free(struct lmtp_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; c->sess != NULL && i < c->nsess; i++) {
		if (c->sess[i].fd >= 0)
			close(c->sess[i].fd);
		free(c->sess[i].idx);
		free(c->sess[i].acc);
	}
	free(c->sess);
	free(c->ep_rest);
	free(c->in);
	free(c->out);
	free(c);
}
