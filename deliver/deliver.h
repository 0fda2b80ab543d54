/*
 * deliver.h: what mdrop-deliver's main loop hands to a delivery backend
 * (maildir.c or lmtp.c), and what comes back. One dl_msg is one spool
 * message with the recipients of its record group that are still to do.
 */
#ifndef MDROP_DELIVER_H
#define MDROP_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/status.h"

enum dl_result { DL_PENDING, DL_OK, DL_DEFER, DL_FAIL };

#define DL_DETAIL_MAX 512

struct dl_rcpt {
	char *addr;			/* final recipient, local@domain */
	enum dl_result result;		/* backends set OK, DEFER or FAIL */
	char detail[DL_DETAIL_MAX];	/* file delivered, or the reason / server reply */
};

struct dl_msg {
	const char *path;	/* spool path as given in the record */
	const char *name;	/* spool file name (last component) */
	int fd;			/* spool file, read-only; backends use pread() */
	uint64_t size;		/* its size in bytes */
	uid_t uid;		/* its owner */
	dev_t dev;		/* its file system */
	const char *sender;	/* envelope sender, "" for the null sender */
	struct dl_rcpt *rcpt;
	size_t nrcpt;
};

/* LMTP backend (lmtp.c). */
struct lmtp_opts {
	const char *const *endpoints;	/* "unix:/path", "host:port", "[v6]:port" */
	size_t nendpoints;
	const char *lhlo;		/* LHLO name; NULL: the host name */
	int group_rcpts;		/* 1: all recipients of a message in one
					 * transaction (Dovecot then adds no
					 * Delivered-To); 0: one transaction each */
	int timeout;			/* seconds: connect and each reply */
	int data_timeout;		/* seconds: replies after the final "." */
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
