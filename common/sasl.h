/*
 * sasl: the client side of the SASL mechanisms mdrop-fetch speaks over
 * POP3 AUTH (RFC 5034), as pure functions: no sockets, no files, no logs.
 * OpenSSL does the cryptography and the base64.
 *
 *   - base64 (RFC 4648) with strict decoding: canonical only.
 *   - SCRAM (RFC 5802) with SHA-256 (RFC 7677) or SHA-1; for the -PLUS
 *     variant the caller names the channel binding type and hands its
 *     data (tls-unique, RFC 5929; tls-exporter, RFC 9266: common/tls).
 *   - PLAIN (RFC 4616), OAUTHBEARER (RFC 7628), XOAUTH2 message builders.
 *   - The JSON error challenge of a failed OAuth exchange, read without a
 *     JSON library, for one log line.
 *   - The choice of a mechanism from a CAPA "SASL ..." line.
 *
 * Messages handed in and out here are the raw SASL messages; base64 on
 * the wire is the caller's job (sasl_b64_encode/decode), except for the
 * OAuth error challenge, which is parsed from its base64 form.
 *
 * Every function returns SASL_OK or the reason it refused (enum sasl_err,
 * sasl_error_name() gives a word for the log). Output goes into buffers
 * the caller owns, always NUL-terminated; *outlen excludes the NUL.
 * Buffers that held secrets are wiped with OPENSSL_cleanse here; the
 * caller wipes its own copies (the PLAIN/OAuth/SCRAM client-final output
 * holds the password, a proof or the token).
 */
#ifndef MDROP_SASL_H
#define MDROP_SASL_H

#include <stddef.h>

#define SASL_USER_MAX	255	/* login name, bytes */
#define SASL_SECRET_MAX	8192	/* password or bearer token, bytes */
#define SASL_NONCE_MAX	256	/* our nonce; the server's may be 2x */
#define SASL_MSG_MAX	2048	/* a SCRAM message either way */
#define SASL_SALT_MAX	128	/* decoded salt */
#define SASL_ITER_MAX	1000000	/* PBKDF2 rounds we are willing to do */
#define SASL_CBIND_MAX	64	/* channel binding data */
#define SASL_CBNAME_MAX	24	/* channel binding type name */
#define SASL_HASH_MAX	32	/* largest digest used (SHA-256) */
#define SASL_REASON_MAX	128	/* server error text kept, bytes */
#define SASL_CHALLENGE_MAX 4096	/* base64 OAuth error challenge */

/* Length of the base64 form of n bytes (no NUL), and the buffer a
 * decode of n base64 characters needs. */
#define SASL_B64_ENCLEN(n)	((((n) + 2) / 3) * 4)
#define SASL_B64_DECLEN(n)	(((n) / 4) * 3)

enum sasl_err {
	SASL_OK = 0,
	SASL_E_BASE64,		/* not canonical base64 */
	SASL_E_SYNTAX,		/* malformed server message */
	SASL_E_NONCE,		/* server nonce does not extend ours */
	SASL_E_SALT,		/* salt empty or too long */
	SASL_E_ITER,		/* iteration count 0, junk, or > SASL_ITER_MAX */
	SASL_E_EXTENSION,	/* mandatory extension (m=) we do not know */
	SASL_E_SERVER,		/* the server said e=...: see reason */
	SASL_E_VERIFY,		/* v= does not prove the server knows us */
	SASL_E_USER,		/* user name empty, too long, control char */
	SASL_E_SECRET,		/* password/token empty, too long, bad char */
	SASL_E_CBIND,		/* channel binding data missing or too long */
	SASL_E_SPACE,		/* the output buffer is too small */
	SASL_E_STATE,		/* SCRAM call out of order, or after a failure */
	SASL_E_CRYPTO		/* OpenSSL failed (no entropy, no digest) */
};

/* A short word for an error ("nonce", "server", ...). */
const char *sasl_error_name(enum sasl_err e);

/*
 * Base64-encode in[0..len) into out (size n, NUL added). Returns the
 * length, or -1 when n < SASL_B64_ENCLEN(len) + 1 or len > 1 MiB.
 */
int sasl_b64_encode(char *out, size_t n, const unsigned char *in,
    size_t len);

/*
 * Decode in[0..len) into out (size n >= SASL_B64_DECLEN(len)). Only the
 * canonical form is accepted: len a multiple of 4, alphabet A-Z a-z 0-9
 * + /, '=' only as one or two final pad characters, unused bits zero, no
 * white space. An empty input decodes to 0 bytes. Returns the decoded
 * length, or -1 (not canonical, n too small, len > 1 MiB).
 */
int sasl_b64_decode(unsigned char *out, size_t n, const char *in,
    size_t len);

/* ---- SCRAM (RFC 5802, 7677) ---- */

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

/* ---- PLAIN, OAUTHBEARER, XOAUTH2 ---- */

/*
 * PLAIN (RFC 4616): "\0USER\0PASS", the authorization identity empty.
 * user and pass are byte strings of the given lengths; a NUL in either,
 * or an empty one, is refused (SASL_E_USER / SASL_E_SECRET).
 */
enum sasl_err sasl_plain(char *out, size_t n, size_t *outlen,
    const char *user, size_t userlen, const char *pass, size_t passlen);

/*
 * OAUTHBEARER (RFC 7628): "n,a=USER,\1auth=Bearer TOKEN\1\1", USER
 * escaped as in SCRAM. TOKEN must be an RFC 6750 b64token (letters,
 * digits, - . _ ~ + /, then '=' only at the end): SASL_E_SECRET else,
 * which also catches a helper that printed JSON or a line with spaces.
 */
enum sasl_err sasl_oauthbearer(char *out, size_t n, size_t *outlen,
    const char *user, const char *token);

/* XOAUTH2 (Google, Microsoft): "user=USER\1auth=Bearer TOKEN\1\1". */
enum sasl_err sasl_xoauth2(char *out, size_t n, size_t *outlen,
    const char *user, const char *token);

/*
 * The error challenge of a failed OAUTHBEARER/XOAUTH2 exchange: base64 of
 * a JSON object such as {"status":"invalid_token","scope":"...",
 * "schemes":"Bearer"}. Top-level string (or number) members status, scope
 * and schemes are copied, cut to SASL_OAUTH_FIELD_MAX bytes; JSON escapes
 * are undone (\uXXXX above 0x7f and \u0000 become '?'). Members not
 * found are "". Bounded: input over SASL_CHALLENGE_MAX, nesting over 16.
 * Returns SASL_OK, SASL_E_BASE64, or SASL_E_SYNTAX (not one JSON object;
 * members read before the fault are kept).
 */
#define SASL_OAUTH_FIELD_MAX 128
struct sasl_oauth_error {
	char status[SASL_OAUTH_FIELD_MAX + 1];
	char scope[SASL_OAUTH_FIELD_MAX + 1];
	char schemes[SASL_OAUTH_FIELD_MAX + 1];
};
enum sasl_err sasl_oauth_error_parse(const char *b64, size_t len,
    struct sasl_oauth_error *e);

/* ---- choosing a mechanism ---- */

/* Mechanisms, also used as bits of a set. */
enum sasl_mech {
	SASL_MECH_NONE = 0,		/* no SASL: USER/PASS */
	SASL_MECH_PLAIN = 0x01,
	SASL_MECH_SCRAM_SHA_256 = 0x02,
	SASL_MECH_SCRAM_SHA_256_PLUS = 0x04,
	SASL_MECH_OAUTHBEARER = 0x08,
	SASL_MECH_XOAUTH2 = 0x10
};

/*
 * OR the mechanisms a CAPA line names into *set, when the line is
 * "SASL MECH MECH ..." (case-insensitive; unknown names ignored; other
 * lines leave *set alone).
 */
void sasl_capa_line(const char *line, size_t len, unsigned *set);

/*
 * The automatic choice from the offered set: SCRAM-SHA-256-PLUS (when
 * tls and cbind: a binding that every -PLUS server supports is at hand)
 * > SCRAM-SHA-256 > PLAIN (only when tls) > SASL_MECH_NONE. OAUTHBEARER
 * and XOAUTH2 are never chosen: they need a token, which only --auth
 * asks for.
 */
enum sasl_mech sasl_choose(unsigned offered, int tls, int cbind);

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
