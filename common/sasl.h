/*
 * sasl: the client side of the SASL mechanisms mdrop-fetch speaks over
 * POP3 AUTH (RFC 5034), as pure functions: no sockets, no files, no logs.
 * OpenSSL does the cryptography and the base64. This module holds what
 * the mechanisms share and the simple ones:
 *
 *   - the errors, and base64 (RFC 4648) with strict decoding: canonical
 *     only;
 *   - the bounded message builder the mechanisms write with, and the
 *     user-name check;
 *   - PLAIN (RFC 4616);
 *   - the mechanisms a CAPA "SASL ..." line offers, and the choice among
 *     them.
 *
 * SCRAM is common/scram.h; OAUTHBEARER and XOAUTH2, with the JSON error
 * challenge, common/oauth.h.
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

/* ---- building a message (PLAIN here, common/scram, common/oauth) ---- */

/* A message written into the caller's buffer p (size n), NUL-terminated
 * as it grows; once a piece does not fit, nothing more is written. */
struct sasl_out {
	char *p;
	size_t n, len;
	int over;
};

void sasl_out_init(struct sasl_out *b, char *p, size_t n);
void sasl_out_put(struct sasl_out *b, const void *s, size_t len);
void sasl_out_str(struct sasl_out *b, const char *s);
/* user[0..len) as an RFC 5802 saslname: ',' as =2C, '=' as =3D. */
void sasl_out_saslname(struct sasl_out *b, const char *user, size_t len);
/* SASL_OK with the length in *outlen, or SASL_E_SPACE when a piece did
 * not fit (what was written is wiped; *outlen 0). */
enum sasl_err sasl_out_done(struct sasl_out *b, size_t *outlen);

/* A user name of 1..SASL_USER_MAX bytes without control characters (below
 * 0x20, 0x7f): SASL_OK with its length in *len, else SASL_E_USER. */
enum sasl_err sasl_check_user(const char *user, size_t *len);

/* ---- PLAIN ---- */

/*
 * PLAIN (RFC 4616): "\0USER\0PASS", the authorization identity empty.
 * user and pass are byte strings of the given lengths; a NUL in either,
 * or an empty one, is refused (SASL_E_USER / SASL_E_SECRET).
 */
enum sasl_err sasl_plain(char *out, size_t n, size_t *outlen,
    const char *user, size_t userlen, const char *pass, size_t passlen);

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

#endif
