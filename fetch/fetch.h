/*
 * fetch.h: what the parts of mdrop-fetch share (options, session state,
 * the UID notes and the stdout queue). Only fetch/ includes it.
 */
#ifndef MDROP_FETCH_H
#define MDROP_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/ident.h"
#include "common/md.h"
#include "common/pop3.h"
#include "common/spool.h"
#include "common/status.h"
#include "common/tls.h"

enum tls_mode { TLSM_IMPLICIT, TLSM_STARTTLS, TLSM_NONE };
enum auth_mech { AUTH_AUTO, AUTH_PLAIN, AUTH_USER, AUTH_APOP,
	AUTH_SCRAM_SHA_256, AUTH_SCRAM_SHA_256_PLUS, AUTH_OAUTHBEARER,
	AUTH_XOAUTH2 };

struct fetch_opts {
	const char *host, *port, *user, *cafile, *spool;
	char *password;			/* owned; wiped at exit */
	const char *pwcmd;		/* --password-command: run per session */
	unsigned char pin[TLS_PIN_LEN];
	int have_pin, keep, timeout;
	enum tls_mode tls;
	enum auth_mech auth;
	uint64_t max_size;		/* 0: no limit */
	uint64_t max_messages;		/* 0: no limit */
	long interval;			/* 0: one session */
};

struct fetch_stats {
	uint64_t fetched, bytes, deleted, kept;
};

/* ---- out.c: spool paths for stdout, printed only when the pipe can
 * take them, so a slow reader never stalls a POP3 session. */
int out_push(const char *spool, const char *name);	/* 0 or -1 ENOMEM */
/* Write what fits without blocking (block != 0: everything). Returns 0,
 * or -1 with errno (EPIPE: the reader is gone; stop fetching), logged
 * once (tool_stdout_error). */
int out_flush(int block);
int out_broken(void);		/* 1 after EPIPE or another write error */

/* ---- uidnotes.c: SPOOL/uidl.ACCOUNT, which UIDs are safe in the spool.
 *
 * Lines "S SIZE UID NAME [IDENT]" (spooled: tmp/NAME,F was written and
 * fsynced, then this line fsynced, then tmp/NAME,F renamed to new/NAME;
 * IDENT is the message's identity, common/ident) and "B SIZE UID -" (too
 * big, already logged), as common/uidnote writes them. UIDs are
 * %XX-encoded, never used in a path. Only an S line sets the identity: a
 * note is confirmed only by what was really spooled. Loading completes interrupted renames (tmp/NAME,F still
 * there) and removes other tmp/ *,F files (partial messages). A last
 * line without LF is ignored (crash during an append).
 */
#define NOTE_SPOOLED	1
#define NOTE_TOOBIG	2
#define NOTE_SEEN	4	/* listed by the server in this session */
#define NOTE_GONE	8	/* deleted by this session's QUIT */

struct note {
	char *uid;
	uint64_t size;
	unsigned flags;
	char ident[IDENT_HEX_LEN + 1];	/* of the spooled message; "" none */
	struct note *next;	/* hash chain */
};

struct notes {
	int dirfd, tmpfd, newfd;	/* spool dirs, not owned */
	const char *spool;		/* spool path, for printing recovered names */
	char file[64];
	int fd;				/* O_APPEND, -1 when closed */
	struct note **tab;
	size_t tabsize, count;
	char *pend;			/* lines not yet written */
	size_t pendlen, pendcap;
};

int notes_open(struct notes *n, const struct spool *sp, const char *user,
    const char *host, const char *port);
struct note *notes_find(struct notes *n, const char *uid);
/* Queue a line; durable only after notes_sync(). ident (NULL: none) is
 * kept only with NOTE_SPOOLED. */
int notes_add(struct notes *n, unsigned flag, const char *uid, uint64_t size,
    const char *name, const char *ident);
int notes_sync(struct notes *n);
/* Rewrite durably with only the notes marked SEEN and not GONE. */
int notes_rewrite(struct notes *n);
void notes_close(struct notes *n);

/* ---- session.c */
/* One POP3 session: log in, spool, delete, QUIT. A stop signal
 * (tool_stopping) cuts it at once: the messages complete in hand are
 * spooled, nothing more is sent (no DELE, no QUIT). */
enum status fetch_session(const struct fetch_opts *o, struct spool *sp,
    struct fetch_stats *stats);

/* ---- secret.c: where the password or token comes from. */
/*
 * --password-file FILE (its first line, read within o->timeout seconds),
 * else $MDROP_PASSWORD, into o->password (malloc'd). Not called with
 * --password-command. ST_OK or ST_CONFIG (logged, naming the file): a
 * first line over SASL_SECRET_MAX bytes or holding a NUL is refused, not
 * cut.
 */
enum status secret_load(struct fetch_opts *o, const char *file);
/*
 * Run --password-command: /bin/sh -c CMD with a minimal environment,
 * stdin /dev/null; it must print and exit within timeout_s seconds, else
 * its process group is killed. The first line of its stdout (without
 * CR/LF) goes to *out (malloc'd; the caller wipes and frees it). Exit
 * status not 0, a signal, a timeout, no output, an empty, over-long or
 * NUL-holding first line: ST_CONFIG; a stop signal: ST_TEMPFAIL; logged
 * naming the command, never its output.
 */
enum status secret_command(const char *cmd, int timeout_s, char **out);
/* Wipe and free a secret; NULL is fine. */
void secret_free(char *s);

#endif
