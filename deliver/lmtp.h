/*
 * lmtp.h: the LMTP backend of mdrop-deliver (RFC 2033), usually talking
 * to Dovecot. The protocol's pure parts are common/lmtp.h.
 */
#ifndef MDROP_DELIVER_LMTP_H
#define MDROP_DELIVER_LMTP_H

#include <stddef.h>

#include "common/status.h"
#include "deliver/deliver.h"

struct lmtp_opts {
	const char *const *endpoints;	/* "unix:/path", "host:port", "[v6]:port" */
	size_t nendpoints;
	const char *lhlo;		/* LHLO name; NULL: the host name */
	int group_rcpts;		/* 1: all recipients of a message in one
					 * transaction (Dovecot then adds no
					 * Delivered-To); 0: one transaction each */
	int timeout;			/* seconds (> 0): connect and each reply */
	int data_timeout;		/* seconds (> 0): replies after the "." */
};
struct lmtp_client;

/* A client; connects lazily on the first delivery. NULL on ENOMEM. */
struct lmtp_client *lmtp_client_new(const struct lmtp_opts *opts);

/*
 * Deliver msg to each recipient whose result is DL_PENDING and set its
 * result and detail (2xx -> OK, 4xx or no reply -> DEFER, 5xx -> FAIL).
 * Tries the endpoints in order when one is unreachable or drops the
 * session. Returns ST_OK, or ST_TEMPFAIL when some recipient was deferred
 * because no endpoint could be reached.
 */
enum status lmtp_client_deliver(struct lmtp_client *c, struct dl_msg *msg);

/* Send QUIT and close the session (idle); the next delivery reconnects. */
void lmtp_client_quit(struct lmtp_client *c);
void lmtp_client_free(struct lmtp_client *c);

#endif
