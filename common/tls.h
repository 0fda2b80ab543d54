/*
 * tls: one connection to a server, plain TCP or TLS (OpenSSL), behind a
 * small interface. Every operation has an idle timeout measured with
 * CLOCK_MONOTONIC; the socket is non-blocking and waited on with poll(2).
 *
 * Verification is on by default: TLS 1.2 or newer, SNI, the chain
 * against --cafile or the system store (SSL_VERIFY_PEER), the host name
 * with SSL_set1_host (an IP literal is checked against IP SANs instead).
 * A SHA-256 fingerprint pin replaces the chain and name checks; it is
 * compared before any byte is sent over the TLS channel.
 *
 * Besides the idle timeout, a connection may carry an absolute deadline
 * (until_ms, CLOCK_MONOTONIC milliseconds) that bounds every wait, and a
 * cancel test (common/tool's tool_stopping: a stop signal came): every
 * wait asks it at least every TLS_CANCEL_MS, and reads and writes before
 * they start, at most every TLS_CANCEL_ASK_MS (asking costs a system call,
 * and a message arrives in dozens of reads).
 *
 * Functions return 0 (or a byte count) on success and -1 on failure
 * with errno set and a human-readable cause in c->err (for a log line).
 * errno: ETIMEDOUT (a timeout, or the deadline passed), ECONNRESET /
 * EPIPE (the peer went away), EPROTO (TLS failure, including EOF without
 * close_notify inside TLS), EPERM (certificate refused: chain, name, pin
 * or protocol version), ECANCELED (the cancel test said stop).
 */
#ifndef MDROP_TLS_H
#define MDROP_TLS_H

#include <stddef.h>
#include <sys/types.h>

#define TLS_PIN_LEN 32		/* SHA-256 */
#define TLS_CANCEL_MS 200	/* how long a wait may miss a stop */
#define TLS_CANCEL_ASK_MS 10	/* how long data flowing may miss it */

struct tls_conn {
	int fd;			/* -1 when closed */
	int timeout_ms;		/* idle timeout of each operation */
	long long until_ms;	/* absolute deadline of every wait; 0: none */
	int (*cancel)(void);	/* non-zero: stop; or NULL */
	long long cancel_next;	/* when cancel is asked next (monotonic ms) */
	void *ssl;		/* SSL * once TLS is up, else NULL */
	void *ctx;		/* SSL_CTX * */
	char err[256];		/* cause of the last failure */
};

struct tls_opts {
	const char *host;	/* name for SNI and verification */
	const char *cafile;	/* NULL: the system store */
	const unsigned char *pin;	/* TLS_PIN_LEN bytes, or NULL */
};

/* A closed connection with the given timeout (seconds). */
void tls_init(struct tls_conn *c, int timeout_s);

/*
 * Resolve host and connect over TCP (IPv4 or IPv6, each address in turn)
 * within the timeout. Returns 0 or -1.
 */
int tls_connect(struct tls_conn *c, const char *host, const char *port);

/*
 * Run the client handshake over the connected socket: right after
 * connect (implicit TLS) or after a STARTTLS "+OK" (the caller must have
 * checked that no plaintext bytes are buffered). Returns 0 or -1.
 */
int tls_start(struct tls_conn *c, const struct tls_opts *o);

/* Read up to n bytes: >0, 0 at a clean end (EOF, or close_notify), -1. */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t n);

/* Write all n bytes. Returns 0 or -1. */
int tls_write_all(struct tls_conn *c, const void *buf, size_t n);

/* Send close_notify (best effort, without waiting long) and close. */
void tls_close(struct tls_conn *c);

/* 1 when TLS is up. */
int tls_active(const struct tls_conn *c);

/*
 * Channel binding (RFC 5056) of this connection, of the type its TLS
 * version calls for:
 *   TLS_CB_EXPORTER  TLS 1.3: "tls-exporter" (RFC 9266), 32 bytes of
 *                    keying material, label "EXPORTER-Channel-Binding",
 *                    empty context;
 *   TLS_CB_UNIQUE    TLS 1.2: "tls-unique" (RFC 5929), the first Finished
 *                    message of the handshake (ours: no resumption), and
 *                    only with the extended master secret (RFC 7627),
 *                    without which it is open to the triple handshake;
 *   TLS_CB_NONE      no TLS, or TLS 1.2 without the extended master secret.
 * The data goes to out (size n, TLS_CB_MAX is enough). Returns its
 * length with *type set, or -1 (*type TLS_CB_NONE).
 */
#define TLS_CB_MAX 64
enum tls_cb { TLS_CB_NONE, TLS_CB_UNIQUE, TLS_CB_EXPORTER };
int tls_channel_binding(const struct tls_conn *c, enum tls_cb *type,
    unsigned char *out, size_t n);

/* "tls-unique", "tls-exporter" (the RFC 5056 names), or NULL. */
const char *tls_cb_name(enum tls_cb type);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384" for logs, or "plain". */
const char *tls_describe(const struct tls_conn *c);

/*
 * Parse a SHA-256 fingerprint: 64 hex digits, any case, colons allowed
 * between byte pairs. Returns 0, or -1 when malformed.
 */
int tls_parse_pin(const char *hex, unsigned char pin[TLS_PIN_LEN]);

/*
 * Can the file path serve as trust anchors (--cafile)? 0 yes; -1 it
 * cannot be read, -2 it holds no certificate; why (size n) says which.
 */
int tls_cafile_check(const char *path, char *why, size_t n);

#endif
