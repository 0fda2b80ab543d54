/*
 * lmtpsess.c: LMTP sessions for mdrop-deliver (lmtpsess.h): connect to an
 * endpoint (unix socket or TCP, with a deadline), LHLO and its
 * capabilities, write with send(MSG_NOSIGNAL) on a non-blocking socket,
 * read one reply at a time through the pure parser of common/lmtp.c,
 * every wait a poll(2) against a CLOCK_MONOTONIC deadline, or no wait at
 * all (try_reply: the replies after DATA, while other sessions work).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
ep_name(const struct lmtp_sess *s, size_t ep)
{
	return s->cl->opts.endpoints[ep];
}

void
seterr(struct lmtp_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
}

void
sess_close(struct lmtp_sess *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->dirty = 0;
	s->reused = 0;
	s->caps = 0;
	s->rstart = s->rend = 0;
	lmtp_parser_init(&s->parser);
}

enum sx
drop(struct lmtp_sess *s)
{
	sess_close(s);
	return SX_DROP;
}

enum sx
sock_write(struct lmtp_sess *s, const char *buf, size_t n)
{
	long long deadline = io_now_ms() + (long long)s->cl->opts.timeout * 1000;

	/* Bytes the server sent that nobody asked for: out of step. */
	if (s->rstart < s->rend) {
		seterr(s, "out of step: unexpected reply from %s",
		    ep_name(s, s->ep));
		sess_close(s);
		return SX_GARBLED;
	}
	while (n > 0) {
		ssize_t w = send(s->fd, buf, n, MSG_NOSIGNAL);

		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			deadline = io_now_ms() + (long long)s->cl->opts.timeout * 1000;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    io_wait_fd(s->fd, POLLOUT, deadline) == 0)
			continue;
		seterr(s, "write to %s: %s", ep_name(s, s->ep),
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		return drop(s);
	}
	return SX_OK;
}

/*
 * One reply out of what has arrived, reading once more when wait (then
 * until the deadline). A 421 ends the session like EOF (SX_DROP); every
 * other reply is SX_OK and left for the caller; SX_WAIT: not yet whole.
 */
static enum sx
next_reply(struct lmtp_sess *s, int wait, long long deadline,
    struct lmtp_reply *rep)
{
	for (;;) {
		if (s->rstart < s->rend) {
			size_t used;
			enum lmtp_ev ev = lmtp_parser_push(&s->parser,
			    s->rbuf + s->rstart, s->rend - s->rstart, &used);

			s->rstart += used;
			if (ev == LMTP_EV_ERROR) {
				seterr(s, "protocol error from %s: %s",
				    ep_name(s, s->ep), s->parser.error);
				sess_close(s);
				return SX_GARBLED;
			}
			if (ev == LMTP_EV_REPLY) {
				*rep = s->parser.reply;
				if (rep->code == 421) {
					seterr(s, "%s closes: 421 %s",
					    ep_name(s, s->ep), rep->text);
					return drop(s);
				}
				return SX_OK;
			}
		}
		s->rstart = s->rend = 0;
		if (wait && io_wait_fd(s->fd, POLLIN, deadline) < 0) {
			seterr(s, "no reply from %s: %s", ep_name(s, s->ep),
			    errno == ETIMEDOUT ? "timeout" : strerror(errno));
			return drop(s);
		}
		{
			ssize_t r = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN) {
				if (wait)
					continue;
				return SX_WAIT;
			}
			if (r <= 0) {
				seterr(s, "%s: %s", ep_name(s, s->ep), r == 0 ?
				    "connection closed" : strerror(errno));
				return drop(s);
			}
			s->rend = (size_t)r;
		}
	}
}

enum sx
read_reply(struct lmtp_sess *s, int timeout, struct lmtp_reply *rep)
{
	return next_reply(s, 1, io_now_ms() + (long long)timeout * 1000, rep);
}

enum sx
try_reply(struct lmtp_sess *s, struct lmtp_reply *rep)
{
	return next_reply(s, 0, 0, rep);
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
	if (family != AF_UNIX) {
		/* Each write is a whole unit (commands, a piece of the
		 * message): Nagle would hold BDAT's message behind its
		 * commands until the server acknowledged them. */
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
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
sess_connect(struct lmtp_sess *s, size_t ep)
{
	long long deadline = io_now_ms() + (long long)s->cl->opts.timeout * 1000;
	struct lmtp_endpoint e;
	const char *why;

	if (lmtp_endpoint_parse(ep_name(s, ep), &e, &why) < 0) {
		seterr(s, "bad endpoint %s: %s", ep_name(s, ep), why);
		return -1;
	}
	if (e.kind == LMTP_EP_UNIX) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, e.path, strlen(e.path) + 1);
		s->fd = connect_addr(AF_UNIX, (struct sockaddr *)&sun,
		    sizeof(sun), deadline);
	} else {
		struct addrinfo hints, *res, *ai;
		int gai;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		gai = getaddrinfo(e.host, e.port, &hints, &res);
		if (gai != 0) {
			seterr(s, "cannot resolve %s: %s", ep_name(s, ep),
			    gai_strerror(gai));
			return -1;
		}
		errno = EADDRNOTAVAIL;
		for (ai = res; ai != NULL && s->fd < 0; ai = ai->ai_next)
			s->fd = connect_addr(ai->ai_family, ai->ai_addr,
			    ai->ai_addrlen, deadline);
		freeaddrinfo(res);
	}
	if (s->fd < 0) {
		seterr(s, "cannot connect to %s: %s", ep_name(s, ep),
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		return -1;
	}
	return 0;
}

/* Read the reply to the greeting or LHLO: 0 when it is code, else -1
 * with s->err set ("greets with", "refuses LHLO") and the session closed. */
static int
expect_reply(struct lmtp_sess *s, int code, const char *what,
    struct lmtp_reply *rep)
{
	if (read_reply(s, s->cl->opts.timeout, rep) != SX_OK) {
		sess_close(s);
		return -1;
	}
	if (rep->code != code) {
		seterr(s, "%s %s %d %s", ep_name(s, s->ep), what, rep->code,
		    rep->text);
		sess_close(s);
		return -1;
	}
	return 0;
}

/* Connect, read the greeting, LHLO. 0, or -1 with s->err set. */
int
sess_open(struct lmtp_sess *s, size_t ep)
{
	struct lmtp_reply rep;
	char cmd[300];
	int n;

	sess_close(s);
	s->ep = ep;
	if (sess_connect(s, ep) < 0 ||
	    expect_reply(s, 220, "greets with", &rep) < 0)
		return -1;
	if ((n = lmtp_cmd_lhlo(cmd, sizeof(cmd), s->cl->lhlo)) < 0) {
		seterr(s, "bad LHLO name");
		sess_close(s);
		return -1;
	}
	if (sock_write(s, cmd, (size_t)n) != SX_OK ||
	    expect_reply(s, 250, "refuses LHLO:", &rep) < 0) {
		sess_close(s);
		return -1;
	}
	s->caps = rep.caps;
	{
		char q[LOG_QUOTE_MAX];

		log_debug("lmtp-session", "endpoint=%s caps=0x%x",
		    log_quote(q, sizeof(q), ep_name(s, ep)), s->caps);
	}
	return 0;
}

/* A kept session is usable when the server has said nothing since. */
int
sess_alive(struct lmtp_sess *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

	if (s->rstart < s->rend)
		return 0;
	return poll(&pfd, 1, 0) == 0;
}
