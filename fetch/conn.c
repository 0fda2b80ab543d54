#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/io.h"
#include "fetch/conn.h"

void
conn_init(struct conn *c, const char *host, int timeout_s,
    int (*cancel)(void))
{
	memset(c, 0, sizeof *c);
	log_quote(c->host, sizeof c->host, host);
	tls_init(&c->tc, timeout_s);
	c->tc.cancel = cancel;
	pop3_parser_init(&c->p);
}

enum status
conn_connect(struct conn *c, const char *host, const char *port)
{
	char qp[LOG_QUOTE_MAX], qe[LOG_QUOTE_MAX];

	if (tls_connect(&c->tc, host, port) == 0)
		return ST_OK;
	log_error("connect-failed", "host=%s port=%s error=%s", c->host,
	    log_quote(qp, sizeof qp, port),
	    log_quote(qe, sizeof qe, c->tc.err));
	return ST_TEMPFAIL;
}

enum status
conn_tls(struct conn *c, const struct tls_opts *o)
{
	char qe[LOG_QUOTE_MAX];

	if (tls_start(&c->tc, o) < 0) {
		log_error("tls-failed", "host=%s error=%s", c->host,
		    log_quote(qe, sizeof qe, c->tc.err));
		return errno == EPERM ? ST_UNAVAILABLE : ST_TEMPFAIL;
	}
	log_debug("tls", "host=%s cipher=%s", c->host, tls_describe(&c->tc));
	return ST_OK;
}

int
conn_pending(const struct conn *c)
{
	return c->start != c->end;
}

void
conn_close(struct conn *c)
{
	tls_close(&c->tc);
}

enum status
conn_write(struct conn *c, const void *buf, size_t len, const char *cmd)
{
	char qe[LOG_QUOTE_MAX];

	if (tls_write_all(&c->tc, buf, len) == 0)
		return ST_OK;
	log_error("send-failed", "host=%s%s%s error=%s", c->host,
	    cmd != NULL ? " command=" : "", cmd != NULL ? cmd : "",
	    log_quote(qe, sizeof qe, c->tc.err));
	return ST_TEMPFAIL;
}

enum status
conn_send(struct conn *c, const char *cmd, const char *logname)
{
	char buf[2100];
	int len = snprintf(buf, sizeof buf, "%s\r\n", cmd);

	if (len < 0 || (size_t)len >= sizeof buf)
		return ST_SOFTWARE;
	return conn_write(c, buf, (size_t)len, logname);
}

enum status
conn_send_secret(struct conn *c, const char *a, const char *b,
    const char *verb)
{
	size_t la = strlen(a), lb = b != NULL ? strlen(b) + 1 : 0;
	size_t n = la + lb + 2;
	char *line = malloc(n);
	enum status r;

	if (line == NULL)
		return ST_SOFTWARE;
	memcpy(line, a, la);
	if (b != NULL) {
		line[la] = ' ';
		memcpy(line + la + 1, b, lb - 1);
	}
	memcpy(line + la + lb, "\r\n", 2);
	r = conn_write(c, line, n, verb);
	OPENSSL_cleanse(line, n);
	free(line);
	return r;
}

/* Account one read that waited ms for n bytes; 1 when the server has
 * sent under CONN_MIN_BYTES_PER_TIMEOUT in a --timeout worth of waiting
 * within one reply (the window restarts with each status line and at the
 * end of each multi-line reply). */
static int
too_slow(struct conn *c, long long ms, size_t n)
{
	c->waited_ms += ms;
	c->window_bytes += n;
	if (c->waited_ms < c->tc.timeout_ms)
		return 0;
	if (c->window_bytes < CONN_MIN_BYTES_PER_TIMEOUT)
		return 1;
	c->waited_ms = 0;
	c->window_bytes = 0;
	return 0;
}

/* Read more into c->in: ST_OK, or why not (logged, c->why set). */
static enum status
fill(struct conn *c, const char *what)
{
	char qe[LOG_QUOTE_MAX];
	long long t0 = io_now_ms();
	ssize_t r = tls_read(&c->tc, c->in, sizeof c->in);

	if (r > 0 && too_slow(c, io_now_ms() - t0, (size_t)r)) {
		log_error("too-slow", "host=%s during=%s reason=\"under %d "
		    "bytes in %d s of waiting\"", c->host, what,
		    CONN_MIN_BYTES_PER_TIMEOUT, c->tc.timeout_ms / 1000);
		c->why = "too-slow";
		return ST_TEMPFAIL;
	}
	if (r == 0) {
		log_error("connection-closed", "host=%s during=%s", c->host,
		    what);
		c->why = "connection-closed";
		return ST_TEMPFAIL;
	}
	if (r < 0 && errno == ECANCELED) {
		log_warn("interrupted", "host=%s during=%s action=\"session "
		    "cut: nothing more sent, nothing of it deleted\"", c->host,
		    what);
		c->why = "signal";
		return ST_TEMPFAIL;
	}
	if (r < 0) {
		log_error("read-failed", "host=%s during=%s error=%s", c->host,
		    what, log_quote(qe, sizeof qe, c->tc.err));
		c->why = errno != ETIMEDOUT ? "read-failed" :
		    c->tc.until_ms > 0 && io_now_ms() >= c->tc.until_ms ?
		    "deadline" : "timeout";
		return ST_TEMPFAIL;
	}
	c->start = 0;
	c->end = (size_t)r;
	return ST_OK;
}

enum status
conn_event(struct conn *c, enum pop3_ev *ev, struct pop3_event *e,
    const char *what)
{
	char qe[LOG_QUOTE_MAX];
	enum status r;
	size_t used;

	for (;;) {
		if (c->start == c->end && (r = fill(c, what)) != ST_OK)
			return r;
		*ev = pop3_next(&c->p, c->in + c->start, c->end - c->start,
		    &used, e);
		c->start += used;
		if (*ev == POP3_EV_MORE)
			continue;
		if (*ev == POP3_EV_STATUS || *ev == POP3_EV_END)
			c->waited_ms = 0, c->window_bytes = 0; /* reply done */
		if (*ev == POP3_EV_ERROR) {
			log_error("protocol-error", "host=%s during=%s "
			    "reason=%s", c->host, what,
			    log_quote(qe, sizeof qe, e->error));
			c->why = "protocol-error";
			return ST_PROTOCOL;
		}
		return ST_OK;
	}
}

enum status
conn_status(struct conn *c, struct pop3_status *st, const char *cmd)
{
	char qr[LOG_QUOTE_MAX];
	struct pop3_event e;
	enum pop3_ev ev;
	enum status r;

	pop3_expect(&c->p, POP3_STATUS);
	if ((r = conn_event(c, &ev, &e, cmd)) != ST_OK)
		return r;
	*st = e.status;
	memcpy(c->text, st->text, st->textlen);
	c->textlen = st->textlen;
	st->text = c->text;
	if (st->kind == POP3_ERR)
		log_debug("server-err", "host=%s command=%s reply=%s", c->host,
		    cmd, log_quote_mem(qr, sizeof qr, c->text, c->textlen));
	return ST_OK;
}

enum status
conn_lines(struct conn *c, const char *cmd, size_t max,
    enum status (*line)(void *arg, const char *s, size_t len), void *arg)
{
	struct pop3_event e;
	enum pop3_ev ev;
	enum status r;
	size_t n = 0;

	pop3_expect(&c->p, POP3_MULTI_LINES);
	for (;;) {
		if ((r = conn_event(c, &ev, &e, cmd)) != ST_OK)
			return r;
		if (ev == POP3_EV_END)
			return ST_OK;
		if (++n > max) {
			log_error("protocol-error", "host=%s during=%s "
			    "reason=too-many-lines max=%zu", c->host, cmd, max);
			return ST_PROTOCOL;
		}
		if ((r = line(arg, e.data, e.len)) != ST_OK)
			return r;
	}
}

enum status
conn_err_status(const struct pop3_status *st)
{
	switch (st->code) {
	case POP3_CODE_IN_USE:
	case POP3_CODE_LOGIN_DELAY:
	case POP3_CODE_SYS_TEMP:
		return ST_TEMPFAIL;
	case POP3_CODE_SYS_PERM:
		return ST_UNAVAILABLE;
	default:
		return ST_NOPERM;
	}
}

void
conn_reply_start(struct conn *c, uint64_t size)
{
	uint64_t secs = size / CONN_MIN_RATE;

	if (secs > 30 * 86400)
		secs = 30 * 86400;
	c->tc.until_ms = io_now_ms() + (long long)CONN_DEADLINE_TIMEOUTS *
	    c->tc.timeout_ms + (long long)secs * 1000;
	c->why = NULL;
}

void
conn_reply_end(struct conn *c)
{
	c->tc.until_ms = 0;
}

uint64_t
conn_reply_bound(uint64_t size)
{
	uint64_t slack = size / 10 + CONN_SIZE_SLACK;

	return size > UINT64_MAX - slack ? UINT64_MAX : size + slack;
}
