/*
 * session.h: what the two halves of a POP3 session share. session.c runs
 * the protocol in order (greeting, login, listings, the plan, the
 * pipeline, QUIT); retr.c reads the replies that carry messages (RETR
 * into the spool with its group commit, TOP n 0 to confirm a noted
 * message). Only these two include it.
 */
#ifndef MDROP_FETCH_SESSION_H
#define MDROP_FETCH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/ident.h"
#include "common/log.h"
#include "common/md.h"
#include "common/pop3.h"
#include "common/status.h"
#include "fetch/conn.h"
#include "fetch/fetch.h"

#define WINDOW		8	/* commands in flight with PIPELINING */
#define BATCH_MAX	64	/* messages per group commit */
#define BATCH_BYTES	(64ull << 20)
#define BATCH_MS	1000	/* a batch older than this is committed */
#define WBUF		(128u << 10)	/* spool file writes, per call */

struct msg {
	uint64_t size;			/* LIST size: advisory only */
	uint64_t measured;		/* its RETR's bytes, when over size */
	char uid[POP3_UID_MAX + 1];
	unsigned char has_uidl, has_list, uid_ok, deleted, again;
};

struct pending {
	uint32_t n;
	uint64_t bytes;
	struct md_tmp t;		/* written, open, not yet fsynced */
	char name[MD_NAME_MAX];
	char ident[IDENT_HEX_LEN + 1];	/* common/ident; "" none */
};

struct session {
	struct conn conn;
	const struct fetch_opts *o;
	struct spool *sp;
	struct fetch_stats *stats;
	struct notes notes;
	int have_uidl;
	unsigned caps, sasl;		/* POP3_CAP_*, SASL_MECH_* */
	char *secret;			/* from --password-command; wiped */
	uint32_t count;
	struct msg *msgs;		/* [count + 1], by message number */
	uint32_t *retr, *dele, *top;	/* queues of message numbers */
	size_t nretr, next_retr, ndele, next_dele, ntop, next_top;
	struct { char kind; uint32_t n; } fly[WINDOW];
	size_t fly_head, fly_count;
	struct pending batch[BATCH_MAX];
	size_t nbatch;
	uint64_t batch_bytes;
	long long batch_t0;		/* when the batch's first file came */
	size_t wlen;
	char wbuf[WBUF];		/* spool file bytes not yet written */
	enum status soft;		/* deferred problems: exit 75 later */
	int commit_failed;		/* never retry a failed fsync */
	long long t0, last_progress;
	int progress;
};

/* ---- retr.c ---- */

/* Queue RETR n, unless --max-messages is reached (then it waits). */
void retr_queue(struct session *s, uint32_t n);

/* Read the reply to RETR n into a new tmp file, left open for
 * retr_commit(); an -ERR skips the message (exit 75 later). */
enum status retr_one(struct session *s, uint32_t n);

/* Read the reply to TOP n 0 and decide on the noted message n: DELE it
 * when it is the spooled one, else RETR it again. */
enum status retr_top(struct session *s, uint32_t n);

/*
 * Group commit: fsync the batch's files in tmp/, note their UIDs (one
 * fsync), rename them into new/ (one directory fsync), print them, queue
 * their DELEs. On failure the files stay in tmp/ (the notes decide at the
 * next start) and no commit is tried again.
 */
enum status retr_commit(struct session *s);

/* Close the batch's files still open, without fsync. */
void retr_close(struct session *s);

/* The progress meter on a terminal (final: its last line). */
void retr_progress(struct session *s, int final);

/* A write to the spool's file dir/name failed with errno e: said at
 * level lv. */
void write_failed(enum log_level lv, const char *dir, const char *name,
    int e);

#endif
