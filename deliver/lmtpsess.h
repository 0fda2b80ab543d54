/*
 * lmtpsess.h: the LMTP session layer of mdrop-deliver, shared by
 * lmtpsess.c (connecting, LHLO, reading replies, writing, closing),
 * lmtp.c (the transactions) and lmtppool.c (the sessions in parallel,
 * each with the message it carries, across the endpoints). Nothing else
 * sees it.
 */
#ifndef MDROP_DELIVER_LMTPSESS_H
#define MDROP_DELIVER_LMTPSESS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/lmtp.h"
#include "deliver/lmtp.h"

#define FILE_CHUNK	65536
#define OUT_SIZE	(LMTP_DOT_OUT(FILE_CHUNK) + LMTP_DOT_FINISH_MAX)
#define CMD_MAX		1100	/* one command: RCPT TO:<addr> + params */
#define PIPE_WINDOW	64	/* commands written before reading replies */
#define EP_REST_MS	30000	/* an endpoint that refused a session is
				 * passed over this long while others answer */

/* Outcome of a session step. */
enum sx {
	SX_OK = 0,
	SX_DROP,	/* EOF, timeout, I/O error or 421: session closed,
			 * recipients without a final reply stay pending */
	SX_GARBLED,	/* protocol error or out of step: session closed,
			 * recipients without a 2xx are deferred */
	SX_SENDER,	/* txn only: a 5xx to MAIL FROM with a non-null
			 * sender; nothing was set, the session is usable */
	SX_WAIT		/* the message went out: its replies are awaited
			 * (lmtp_finals), the session is busy until then */
};

/* What a session's transaction waits for. */
enum phase {
	PH_NONE,	/* nothing: no transaction in flight */
	PH_RSET,	/* the reply to RSET */
	PH_ENV,		/* the replies to a window of MAIL, RCPT, DATA */
	PH_FINALS	/* one reply per accepted RCPT after the "." */
};

/* What the commands of one transaction brought back. */
struct envelope {
	size_t na;			/* accepted recipients, in acc[] */
	int go_data;			/* DATA got 354 */
	int mail_failed;		/* MAIL got no 2xx: mail_rep */
	struct lmtp_reply mail_rep;
};

_Static_assert(CMD_MAX >= LMTP_ADDR_MAX + 80,
    "CMD_MAX holds MAIL FROM:<address> with all its parameters");

struct lmtp_client;

/* One session, and the message (job) it carries. */
struct lmtp_sess {
	struct lmtp_client *cl;
	size_t id;		/* its index in cl->sess */
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
	int redirected;		/* the transaction carries msg->rcpt[redir]
				 * alone, redirected: its header line goes
				 * before the message */
	size_t redir;
	/* the job: NULL msg when the session is free */
	struct dl_msg *msg;
	void *tag;		/* handed back to the done callback */
	size_t limit;		/* msg->nrcpt when handed over: recipients
				 * the caller adds later wait for the next
				 * submission */
	size_t *idx, *acc;	/* msg->nrcpt each: the transaction's
				 * recipients, the accepted ones */
	size_t cap;		/* entries allocated in idx and acc */
	size_t one;		/* idx of a one-recipient transaction */
	size_t pos;		/* next recipient the transactions look at */
	const char *sender;	/* MAIL FROM for the rest of the message */
	int has8bit;		/* -1 not scanned yet */
	unsigned long long body_len;	/* scanned: the message in CR LF,
				 * its BDAT size without a header line */
	off_t file_len;		/* scanned: the bytes of the spool file */
	int broken;		/* out of step: the rest is deferred */
	size_t start, tried;	/* first endpoint, endpoints tried */
	int again;		/* a stale idle session may be reopened */
	int fresh;		/* the next step opens or checks the session */
	/* the transaction in flight */
	enum phase phase;
	const size_t *tidx;	/* its recipients: tidx[0..tk) */
	size_t tk;
	int utf8;		/* an address of it holds UTF-8 */
	int bdat;		/* the message goes as "BDAT n LAST" (RFC 3030)
				 * right after the RCPTs, not after DATA's 354 */
	unsigned long long bdat_len;	/* that n */
	size_t ncmd, sent, answered, first;	/* commands: all of them,
				 * written, answered; the window's first */
	struct envelope env;
	size_t na, got;		/* after the ".": replies due, read */
	long long deadline;	/* io_now_ms() limit for the next reply */
};

struct lmtp_client {
	struct lmtp_opts opts;
	char lhlo[256];
	char *in;		/* FILE_CHUNK bytes: one session writes at a time */
	char *out;		/* OUT_SIZE bytes */
	lmtp_done_fn *done;
	void *done_arg;
	long long *ep_rest;	/* per endpoint: io_now_ms() until which it
				 * is passed over (0: healthy) */
	size_t nsess;
	struct lmtp_sess *sess;
	int landed;		/* a job finished since lmtp_client_wait began */
};

/* The name of endpoint ep ("unix:/path", "host:port"). */
const char *ep_name(const struct lmtp_sess *s, size_t ep);

/* Say why the last step failed (s->err, printf). */
void seterr(struct lmtp_sess *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Close the session (a transaction in flight is abandoned). */
void sess_close(struct lmtp_sess *s);

/* Close the session after a failure: SX_DROP. */
enum sx drop(struct lmtp_sess *s);

/* Write n bytes within the timeout; SX_OK or SX_DROP (session closed). */
enum sx sock_write(struct lmtp_sess *s, const char *buf, size_t n);

/* Read one whole reply within timeout seconds: SX_OK, SX_DROP (EOF,
 * timeout, 421: closed) or SX_GARBLED (closed). */
enum sx read_reply(struct lmtp_sess *s, int timeout, struct lmtp_reply *rep);

/* Like read_reply, but never waits: SX_WAIT when no whole reply has
 * arrived yet (what did is kept). */
enum sx try_reply(struct lmtp_sess *s, struct lmtp_reply *rep);

/* Connect to endpoint ep and speak LHLO: 0, or -1 with s->err set. */
int sess_open(struct lmtp_sess *s, size_t ep);

/* 1 when the idle session is still open (the server did not close it). */
int sess_alive(struct lmtp_sess *s);

/* lmtp.c: the transactions of s's message on its open session, from
 * recipient s->pos on: SX_WAIT when one awaits replies (lmtp_step), else
 * how the last one ended: SX_OK (the session is usable; recipients
 * without a final answer stay pending), SX_DROP (closed; the pending
 * ones may be tried elsewhere) or SX_GARBLED (closed; nothing may be
 * tried elsewhere). */
enum sx lmtp_txns(struct lmtp_sess *s);

/* lmtp.c: the replies to the transaction in flight, as far as they have
 * come (timed_out: the next is overdue), the transaction carried on with
 * them (its next commands, its message): SX_WAIT for more, else how the
 * transaction ended, as lmtp_txns says. */
enum sx lmtp_step(struct lmtp_sess *s, int timed_out);

/* lmtp.c: read the message once: s->has8bit (1 when it holds a byte >=
 * 0x80), s->body_len and s->file_len. 0, or -1 on a read error. */
int lmtp_scan(struct lmtp_sess *s, const struct dl_msg *msg);

/* lmtp.c: the sender for MAIL FROM on this session (logged when it must
 * be <>). */
const char *lmtp_mail_sender(const struct lmtp_sess *s,
    const struct dl_msg *msg);

#endif
