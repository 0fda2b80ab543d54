/*
 * conn: one POP3 connection as the session (fetch/session.c) and the
 * login (fetch/auth.c) use it: connect, TLS, command lines out, parser
 * events in (common/pop3), each failure logged once with the host and
 * mapped to a status. It knows nothing of messages, the spool or
 * mechanisms; neither caller reaches the socket but through it.
 *
 * Every read is bounded three ways: the idle --timeout (common/tls), a
 * minimum rate within one reply (CONN_MIN_BYTES_PER_TIMEOUT), and for a
 * RETR or TOP reply a deadline and a size bound set by conn_reply_start()
 * (HOSTILE.md 1, 78).
 */
#ifndef MDROP_FETCH_CONN_H
#define MDROP_FETCH_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "common/pop3.h"
#include "common/status.h"
#include "common/tls.h"

/* Within one reply, a server must send at least this much per --timeout
 * spent waiting for it, or the session is cut: an idle timeout alone
 * never ends a reply that trickles a byte at a time (HOSTILE.md 1). */
#define CONN_MIN_BYTES_PER_TIMEOUT 1024

/*
 * And each RETR or TOP reply as a whole (HOSTILE.md 1, 78): it must end
 * within CONN_DEADLINE_TIMEOUTS x --timeout plus its LIST size at
 * CONN_MIN_RATE bytes a second, and may exceed its LIST size by at most
 * 10 % plus CONN_SIZE_SLACK (unstuffing and CRLF -> LF only shrink it),
 * else the session is cut: a reply that trickles just fast enough, or
 * streams without end, cannot hold the spool lock or fill the disk.
 * A RETR past that bound is read on, written nowhere, for at most
 * CONN_OVER_READ bytes more: when it ends there, LIST merely understated
 * it (HOSTILE.md 9), the session goes on and fetches it again with the
 * size it has (fetch/retr.c); else the session is cut.
 */
#define CONN_MIN_RATE		2048
#define CONN_DEADLINE_TIMEOUTS	2
#define CONN_SIZE_SLACK		(64u << 10)
#define CONN_OVER_READ		(1u << 20)

struct conn {
	struct tls_conn tc;
	struct pop3_parser p;
	char host[LOG_QUOTE_MAX];	/* the server, quoted for log lines */
	size_t start, end;		/* unparsed bytes: in[start..end) */
	char in[65536];		/* one read(2) or SSL_read's worth */
	char text[POP3_LINE_MAX];	/* text of the last status line */
	size_t textlen;
	long long waited_ms;	/* time blocked in reads, this rate window */
	size_t window_bytes;	/* bytes read in this rate window */
	const char *why;	/* why the last read failed: a log word */
};

/* A closed connection to host (named in log lines) with the idle
 * timeout timeout_s; a wait is cut once cancel() says so (common/tls). */
void conn_init(struct conn *c, const char *host, int timeout_s,
    int (*cancel)(void));

/* Connect over TCP: ST_OK, or ST_TEMPFAIL (logged). */
enum status conn_connect(struct conn *c, const char *host, const char *port);

/* The TLS handshake, verified as o says: ST_OK, ST_UNAVAILABLE (the
 * certificate refused) or ST_TEMPFAIL (logged). */
enum status conn_tls(struct conn *c, const struct tls_opts *o);

/* 1 when bytes the server sent are read but not yet parsed (after the
 * +OK to STLS: plaintext injected before the handshake). */
int conn_pending(const struct conn *c);

void conn_close(struct conn *c);

/* Write buf[0..len) (command lines, CRLF included); cmd names them in the
 * failure's log line (NULL: not named). ST_OK or ST_TEMPFAIL. */
enum status conn_write(struct conn *c, const void *buf, size_t len,
    const char *cmd);

/* Send one command line (CRLF added), logged as logname. */
enum status conn_send(struct conn *c, const char *cmd, const char *logname);

/* Send "a b" (b NULL: "a") that may hold a secret, of any length; the
 * copy is wiped, and only verb names it in a log line. */
enum status conn_send_secret(struct conn *c, const char *a, const char *b,
    const char *verb);

/* Read a status line; st->text points into c->text. */
enum status conn_status(struct conn *c, struct pop3_status *st,
    const char *cmd);

/* The next parser event other than MORE, reading as needed; what names
 * the command in log lines. */
enum status conn_event(struct conn *c, enum pop3_ev *ev, struct pop3_event *e,
    const char *what);

/* Read the lines of a listing after its +OK, at most max of them; line()
 * gets each one (its status other than ST_OK ends the listing). */
enum status conn_lines(struct conn *c, const char *cmd, size_t max,
    enum status (*line)(void *arg, const char *s, size_t len), void *arg);

/* The status an -ERR maps to when it ends a login or a greeting. */
enum status conn_err_status(const struct pop3_status *st);

/* A RETR or TOP reply for a message of LIST size size starts to be read:
 * its deadline is set (CONN_DEADLINE_TIMEOUTS, CONN_MIN_RATE) and c->why
 * cleared. conn_reply_end() lifts the deadline. */
void conn_reply_start(struct conn *c, uint64_t size);
void conn_reply_end(struct conn *c);

/* At most this many bytes of the reply for a message of LIST size size
 * (CONN_SIZE_SLACK). */
uint64_t conn_reply_bound(uint64_t size);

#endif
