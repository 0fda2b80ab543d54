/*
 * scram: the client side of SCRAM (RFC 5802) with SHA-256 (RFC 7677) or
 * SHA-1, as pure functions over caller-owned buffers (common/sasl.h says
 * how errors and output work). For the -PLUS variant the caller names the
 * channel binding type and hands its data (tls-unique, RFC 5929;
 * tls-exporter, RFC 9266: common/tls). Server messages are parsed
 * strictly; the server must prove it knows the password (v=) before an
 * exchange counts as done.
 */
#ifndef MDROP_SCRAM_H
#define MDROP_SCRAM_H

#include <stddef.h>

#include "common/sasl.h"

#define SASL_NONCE_MAX	256	/* our nonce; the server's may be 2x */
#define SASL_MSG_MAX	2048	/* a SCRAM message either way */
#define SASL_SALT_MAX	128	/* decoded salt */
#define SASL_ITER_MAX	1000000	/* PBKDF2 rounds we are willing to do */
#define SASL_CBIND_MAX	64	/* channel binding data */
#define SASL_CBNAME_MAX	24	/* channel binding type name */
#define SASL_HASH_MAX	32	/* largest digest used (SHA-256) */
#define SASL_REASON_MAX	128	/* server error text kept, bytes */

enum sasl_hash { SASL_HASH_SHA256, SASL_HASH_SHA1 };

/* The gs2 channel binding flag we send. */
enum sasl_cb {
	SASL_CB_NONE,		/* "n,,": we do not bind */
	SASL_CB_SUPPORTED,	/* "y,,": we could, the server offers no -PLUS */
	SASL_CB_BIND		/* "p=TYPE,,": -PLUS, bound to the channel */
};

/* The server-first-message, parsed. */
struct sasl_server_first {
	const char *nonce;	/* r=, points into the message */
	size_t noncelen;
	unsigned char salt[SASL_SALT_MAX];
	size_t saltlen;
	unsigned long iter;
};

/* The server-final-message, parsed: v= or e=. */
struct sasl_server_final {
	int is_error;
	unsigned char verifier[SASL_HASH_MAX];
	size_t vlen;
	char reason[SASL_REASON_MAX + 1];	/* e= value, cut, NUL-ended */
};

/*
 * Parse a server-first-message (RFC 5802 section 7):
 *     [m=ext,]r=NONCE,s=SALT,i=COUNT[,x=ext...]
 * m= first: SASL_E_EXTENSION. NONCE printable without ','; SALT
 * canonical base64 of 1..SASL_SALT_MAX bytes; COUNT 1..SASL_ITER_MAX
 * without leading zeros. Does not compare nonces (the state machine does).
 */
enum sasl_err sasl_scram_parse_first(const char *msg, size_t len,
    struct sasl_server_first *f);

/*
 * Parse a server-final-message: "v=BASE64" or "e=REASON", then optional
 * ",x=ext" extensions. For e=, f->is_error is set, the reason copied and
 * SASL_OK returned (the state machine turns it into SASL_E_SERVER).
 */
enum sasl_err sasl_scram_parse_final(const char *msg, size_t len,
    struct sasl_server_final *f);

/* The client. Fixed size, no allocation; wipe with sasl_scram_wipe(). */
struct sasl_scram {
	int state;
	enum sasl_hash hash;
	enum sasl_cb cb;
	char gs2[SASL_CBNAME_MAX + 6];	/* "p=TYPE,," or "n,," or "y,," */
	unsigned char cbdata[SASL_CBIND_MAX];
	size_t cblen;
	char bare[SASL_MSG_MAX];	/* client-first-message-bare */
	size_t barelen;
	size_t nonceoff, noncelen;	/* our nonce inside bare */
	unsigned char server_sig[SASL_HASH_MAX];
	char reason[SASL_REASON_MAX + 1];	/* the server's e=, or "" */
};

/*
 * Start an exchange. cb == SASL_CB_BIND needs the channel binding type
 * cbname (RFC 5056: letters, digits, '.', '-'; at most SASL_CBNAME_MAX)
 * and its data cbdata[0..cblen) (1..SASL_CBIND_MAX bytes); otherwise
 * cbname must be NULL and cblen 0. Returns SASL_OK or SASL_E_CBIND.
 */
enum sasl_err sasl_scram_init(struct sasl_scram *s, enum sasl_hash hash,
    enum sasl_cb cb, const char *cbname, const unsigned char *cbdata,
    size_t cblen);

/*
 * The client-first-message "GS2HEADER n=USER,r=NONCE" into out (size n).
 * USER is escaped (',' as =2C, '=' as =3D); a control character (below
 * 0x20, 0x7f) or an empty/over-long name is SASL_E_USER. nonce NULL: 24
 * random bytes, base64 (tests pass a fixed one: printable, no ',', 1 to
 * SASL_NONCE_MAX bytes, else SASL_E_SYNTAX).
 */
enum sasl_err sasl_scram_client_first(struct sasl_scram *s, const char *user,
    const char *nonce, char *out, size_t n, size_t *outlen);

/*
 * Read the server-first-message msg[0..len) and write the
 * client-final-message "c=...,r=...,p=PROOF" into out (size n). The
 * server nonce must start with ours and be longer (SASL_E_NONCE).
 * password: the NUL-terminated password, 1..SASL_SECRET_MAX bytes, used
 * as given (no SASLprep normalisation).
 */
enum sasl_err sasl_scram_client_final(struct sasl_scram *s, const char *msg,
    size_t len, const char *password, char *out, size_t n, size_t *outlen);

/*
 * Check the server-final-message: SASL_OK only when v= equals the server
 * signature (constant-time compare). e=: SASL_E_SERVER, the reason in
 * sasl_scram_reason(s).
 */
enum sasl_err sasl_scram_verify(struct sasl_scram *s, const char *msg,
    size_t len);

/* The server's e= reason after SASL_E_SERVER ("" otherwise). */
const char *sasl_scram_reason(const struct sasl_scram *s);

void sasl_scram_wipe(struct sasl_scram *s);

/*
 * The channel binding flag for a SCRAM exchange. have: the connection has
 * a channel binding; works: one that every server listing -PLUS checks.
 * -PLUS offered: SASL_CB_BIND when have and works, else SASL_CB_NONE
 * ("y,," would be taken for a downgrade; doc/LENIENCY.md). No -PLUS:
 * SASL_CB_SUPPORTED when have (RFC 5802 section 6: a client that could
 * bind must not say "n"), else SASL_CB_NONE.
 */
enum sasl_cb sasl_scram_cb(unsigned offered, int have, int works);

#endif
