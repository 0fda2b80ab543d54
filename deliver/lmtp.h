/*
 * lmtp.h: the LMTP backend of mdrop-deliver (RFC 2033), usually talking
 * to Dovecot. The protocol's pure parts are common/lmtp.h.
 *
 * Up to opts.sessions sessions carry one message each at once: a message
 * is handed over with lmtp_client_submit() and comes back through the
 * done callback once each of its recipients has a result. While messages
 * are in flight the caller keeps them moving by waiting in
 * lmtp_client_wait() (which also watches its own input) or
 * lmtp_client_drain().
 */
#ifndef MDROP_DELIVER_LMTP_H
#define MDROP_DELIVER_LMTP_H

#include <stddef.h>

#include "common/status.h"
#include "deliver/deliver.h"

#define LMTP_SESSIONS_MAX 64

struct lmtp_opts {
	const char *const *endpoints;	/* "unix:/path", "host:port", "[v6]:port" */
	size_t nendpoints;
	size_t sessions;		/* 1..LMTP_SESSIONS_MAX at once */
	const char *lhlo;		/* LHLO name; NULL: the host name */
	int group_rcpts;		/* 1: all recipients of a message in one
					 * transaction (Dovecot then adds no
					 * Delivered-To); 0: one transaction each */
	int timeout;			/* seconds (> 0): connect and each reply */
	int data_timeout;		/* seconds (> 0): replies after the "." */
};
struct lmtp_client;

/*
 * The done callback. done != 0: every recipient of msg that was
 * DL_PENDING has its result (2xx -> OK, 4xx or no reply -> DEFER, 5xx ->
 * FAIL) and detail; st is ST_OK, or ST_TEMPFAIL when some recipient was
 * deferred because no endpoint could be reached or one fell out of step.
 * done == 0: one transaction's final replies are in, and the message
 * goes on (more transactions): the recipients they made OK may be noted
 * at once (st: ST_OK). It must not submit.
 */
typedef void lmtp_done_fn(void *arg, void *tag, struct dl_msg *msg,
    int done, enum status st);

/* A client; connects lazily. NULL on ENOMEM. */
struct lmtp_client *lmtp_client_new(const struct lmtp_opts *opts);

/* Where results go. */
void lmtp_client_on_done(struct lmtp_client *c, lmtp_done_fn *fn, void *arg);

/*
 * Deliver msg to each recipient whose result is DL_PENDING, on a free
 * session (waiting for one when all are busy). Tries the endpoints in
 * turn when one is unreachable or drops the session, each at most once
 * for this message; a session starts at an endpoint of its own among
 * those that answer. msg (and the memory of its recipients' results)
 * must stay until the callback, which may run before this returns; the
 * caller may append recipients meanwhile (rcpt may move: it is indexed
 * anew at every step), which this delivery may or may not take.
 */
void lmtp_client_submit(struct lmtp_client *c, struct dl_msg *msg, void *tag);

/* Messages in flight. */
size_t lmtp_client_busy(const struct lmtp_client *c);

/*
 * Keep the messages in flight moving until fd (>= 0; -1: none) is
 * readable, timeout_ms passes (-1: no limit) or a message came back.
 * Returns 1 when fd is readable, 0 otherwise, -1 when a stop signal came
 * (common/tool.h).
 */
int lmtp_client_wait(struct lmtp_client *c, int fd, int timeout_ms);

/* Wait until no message is in flight (a stop signal does not end it:
 * each wait is bounded by the timeouts). */
void lmtp_client_drain(struct lmtp_client *c);

/* Send QUIT and close the idle sessions; the next delivery reconnects. */
void lmtp_client_quit(struct lmtp_client *c);
void lmtp_client_free(struct lmtp_client *c);

#endif
