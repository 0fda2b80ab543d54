/*
 * lmtpsess.c: LMTP sessions for mdrop-deliver (lmtpsess.h): connect to an
 * endpoint (unix socket or TCP, with a deadline), LHLO and its
 * capabilities, write with send(MSG_NOSIGNAL) on a non-blocking socket,
 * read one reply at a time through the pure parser of common/lmtp.c,
 * every wait a poll(2) against a CLOCK_MONOTONIC deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/lmtp.h"
#include "common/log.h"
#include "deliver/lmtpsess.h"

const char *
ep_name(const struct lmtp_client *c, size_t ep)
{
	return c->opts.endpoints[ep];
}

void
seterr(struct lmtp_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

void
sess_close(struct lmtp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dirty = 0;
	c->reused = 0;
	c->caps = 0;
	c->rstart = c->rend = 0;
	lmtp_parser_init(&c->parser);
}

enum sx
drop(struct lmtp_client *c)
{
	sess_close(c);
	return SX_DROP;
}

enum sx
sock_write(struct lmtp_client *c, const char *buf, size_t n)
{
	long long deadline = io_now_ms() + (long long)c->opts.timeout * 1000;

	/* Bytes the server sent that nobody asked for: out of step. */
	if (c->rstart < c->rend) {
		seterr(c, "out of step: unexpected reply from %s",
		    ep_name(c, c->ep));
		sess_close(c);
		return SX_GARBLED;
	}
	while (n > 0) {
		ssize_t w = send(c->fd, buf, n, MSG_NOSIGNAL);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			deadline = io_now_ms() + (long long)c->opts.timeout * 1000;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    io_wait_fd(c->fd, POLLOUT, deadline) == 0)
			continue;
		seterr(c, "write to %s: %s", ep_name(c, c->ep),
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		return drop(c);
	}
	return SX_OK;
}

/*
 * Read one reply within timeout seconds. A 421 ends the session like EOF
 * (SX_DROP); every other reply is SX_OK and left for the caller.
 */
enum sx
read_reply(struct lmtp_client *c, int timeout, struct lmtp_reply *rep)
{
	long long deadline = io_now_ms() + (long long)timeout * 1000;

	for (;;) {
		if (c->rstart < c->rend) {
			size_t used;
			enum lmtp_ev ev = lmtp_parser_push(&c->parser,
			    c->rbuf + c->rstart, c->rend - c->rstart, &used);

			c->rstart += used;
			if (ev == LMTP_EV_ERROR) {
				seterr(c, "protocol error from %s: %s",
				    ep_name(c, c->ep), c->parser.error);
				sess_close(c);
				return SX_GARBLED;
			}
			if (ev == LMTP_EV_REPLY) {
				*rep = c->parser.reply;
				if (rep->code == 421) {
					seterr(c, "%s closes: 421 %s",
					    ep_name(c, c->ep), rep->text);
					return drop(c);
				}
				return SX_OK;
			}
		}
		c->rstart = c->rend = 0;
		if (io_wait_fd(c->fd, POLLIN, deadline) < 0) {
			seterr(c, "no reply from %s: %s", ep_name(c, c->ep),
			    errno == ETIMEDOUT ? "timeout" : strerror(errno));
			return drop(c);
		}
		{
			ssize_t r = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);

			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				seterr(c, "%s: %s", ep_name(c, c->ep), r == 0 ?
				    "connection closed" : strerror(errno));
				return drop(c);
			}
			c->rend = (size_t)r;
		}
	}
}

static int
connect_addr(int family, const struct sockaddr *sa, socklen_t len,
    long long deadline)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (fd < 0)
		return -1;
	if (connect(fd, sa, len) == 0)
		return fd;
	if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
		goto fail;
	if (io_wait_fd(fd, POLLOUT, deadline) < 0)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:
	soerr = errno;
	close(fd);
	errno = soerr;
	return -1;
}

static int
sess_connect(struct lmtp_client *c, size_t ep)
{
	long long deadline = io_now_ms() + (long long)c->opts.timeout * 1000;
	struct lmtp_endpoint e;
	const char *why;

	if (lmtp_endpoint_parse(ep_name(c, ep), &e, &why) < 0) {
		seterr(c, "bad endpoint %s: %s", ep_name(c, ep), why);
		return -1;
	}
	if (e.kind == LMTP_EP_UNIX) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, e.path, strlen(e.path) + 1);
		c->fd = connect_addr(AF_UNIX, (struct sockaddr *)&sun,
		    sizeof(sun), deadline);
	} else {
		struct addrinfo hints, *res, *ai;
		int gai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		gai = getaddrinfo(e.host, e.port, &hints, &res);
		if (gai != 0) {
			seterr(c, "cannot resolve %s: %s", ep_name(c, ep),
			    gai_strerror(gai));
			return -1;
		}
		errno = EADDRNOTAVAIL;
		for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next)
			c->fd = connect_addr(ai->ai_family, ai->ai_addr,
			    ai->ai_addrlen, deadline);
		freeaddrinfo(res);
	}
	if (c->fd < 0) {
		seterr(c, "cannot connect to %s: %s", ep_name(c, ep),
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Connect, read the greeting, LHLO. 0, or -1 with c->err set. */
int
sess_open(struct lmtp_client *c, size_t ep)
{
	struct lmtp_reply rep;
	char cmd[300];
	int n;

	sess_close(c);
	c->ep = ep;
	if (sess_connect(c, ep) < 0)
		return -1;
	if (read_reply(c, c->opts.timeout, &rep) != SX_OK)
		return -1;
	if (rep.code != 220) {
		seterr(c, "%s greets with %d %s", ep_name(c, ep), rep.code,
		    rep.text);
		sess_close(c);
		return -1;
	}
	n = lmtp_cmd_lhlo(cmd, sizeof(cmd), c->lhlo);
	if (n < 0 || sock_write(c, cmd, (size_t)n) != SX_OK ||
	    read_reply(c, c->opts.timeout, &rep) != SX_OK) {
		if (n < 0)
			seterr(c, "bad LHLO name");
		sess_close(c);
		return -1;
	}
	if (rep.code != 250) {
		seterr(c, "%s refuses LHLO: %d %s", ep_name(c, ep), rep.code,
		    rep.text);
		sess_close(c);
		return -1;
	}
	c->caps = rep.caps;
	{
		char q[LOG_QUOTE_MAX];

		log_debug("lmtp-session", "endpoint=%s caps=0x%x",
		    log_quote(q, sizeof(q), ep_name(c, ep)), c->caps);
	}
	return 0;
}

/* A kept session is usable when the server has said nothing since. */
int
sess_alive(struct lmtp_client *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	if (c->rstart < c->rend)
		return 0;
	return poll(&pfd, 1, 0) == 0;
}


struct lmtp_client *
lmtp_client_new(const struct lmtp_opts *opts)
{
	struct lmtp_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->opts = *opts;	/* complete: main sets every timeout */
	c->fd = -1;
	c->in = malloc(FILE_CHUNK);
	c->out = malloc(OUT_SIZE);
	if (c->in == NULL || c->out == NULL) {
		lmtp_client_free(c);
		return NULL;
	}
	lmtp_parser_init(&c->parser);
	if (opts->lhlo != NULL)
		snprintf(c->lhlo, sizeof(c->lhlo), "%s", opts->lhlo);
	else if (gethostname(c->lhlo, sizeof(c->lhlo)) < 0 ||
	    lmtp_cmd_lhlo(c->out, 300, c->lhlo) < 0)
		snprintf(c->lhlo, sizeof(c->lhlo), "localhost");
	c->lhlo[sizeof(c->lhlo) - 1] = '\0';
	return c;
}

void
lmtp_client_quit(struct lmtp_client *c)
{
	struct lmtp_reply rep;

	if (c->fd < 0)
		return;
	if (sock_write(c, "QUIT\r\n", 6) == SX_OK)
		(void)read_reply(c, c->opts.timeout, &rep);
	sess_close(c);
}

void
lmtp_client_free(struct lmtp_client *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}
