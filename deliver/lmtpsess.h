/*
 * lmtpsess.h: the LMTP session layer of mdrop-deliver, shared by
 * lmtpsess.c (connecting, LHLO, reading replies, writing, closing) and
 * lmtp.c (the transactions). Nothing else sees it.
 */
#ifndef MDROP_DELIVER_LMTPSESS_H
#define MDROP_DELIVER_LMTPSESS_H

#include <stddef.h>

#include "common/lmtp.h"
#include "deliver/lmtp.h"

#define FILE_CHUNK	65536
#define OUT_SIZE	(LMTP_DOT_OUT(FILE_CHUNK) + LMTP_DOT_FINISH_MAX)
#define CMD_MAX		1100	/* one command: RCPT TO:<addr> + params */
#define PIPE_WINDOW	64	/* commands written before reading replies */

/* Outcome of a session step. */
enum sx {
	SX_OK = 0,
	SX_DROP,	/* EOF, timeout, I/O error or 421: session closed,
			 * recipients without a final reply stay pending */
	SX_GARBLED,	/* protocol error or out of step: session closed,
			 * recipients without a 2xx are deferred */
	SX_SENDER	/* txn only: a 5xx to MAIL FROM with a non-null
			 * sender; nothing was set, the session is usable */
};

_Static_assert(CMD_MAX >= LMTP_ADDR_MAX + 80,
    "CMD_MAX holds MAIL FROM:<address> with all its parameters");

struct lmtp_client {
	struct lmtp_opts opts;
	int fd;			/* -1: no session */
	size_t ep;		/* endpoint of the session / last used */
	int reused;		/* the session carried a transaction already */
	int dirty;		/* a transaction is open: RSET first */
	int body_started;	/* message bytes went out in this transaction */
	int txn_reused;		/* this transaction began on a reused session */
	unsigned caps;
	struct lmtp_parser parser;
	char rbuf[4096];
	size_t rstart, rend;
	char err[300];		/* why the last step failed */
	char lhlo[256];
	char *in;		/* FILE_CHUNK bytes */
	char *out;		/* OUT_SIZE bytes */
	const struct dl_rcpt *redirected;	/* the transaction carries this
					 * recipient alone, redirected: its
					 * header line goes before the message */
};

/* The name of endpoint ep ("unix:/path", "host:port"). */
const char *ep_name(const struct lmtp_client *c, size_t ep);

/* Say why the last step failed (c->err, printf). */
void seterr(struct lmtp_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Close the session (a transaction in flight is abandoned). */
void sess_close(struct lmtp_client *c);

/* Close the session after a failure: SX_DROP. */
enum sx drop(struct lmtp_client *c);

/* Write n bytes within the timeout; SX_OK or SX_DROP (session closed). */
enum sx sock_write(struct lmtp_client *c, const char *buf, size_t n);

/* Read one whole reply within timeout seconds: SX_OK, SX_DROP (EOF,
 * timeout, 421: closed) or SX_GARBLED (closed). */
enum sx read_reply(struct lmtp_client *c, int timeout, struct lmtp_reply *rep);

/* Connect to endpoint ep and speak LHLO: 0, or -1 with c->err set. */
int sess_open(struct lmtp_client *c, size_t ep);

/* 1 when the idle session is still open (the server did not close it). */
int sess_alive(struct lmtp_client *c);

#endif
