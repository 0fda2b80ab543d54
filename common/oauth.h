/*
 * oauth: the client side of OAuth 2.0 bearer-token SASL, OAUTHBEARER
 * (RFC 7628) and XOAUTH2 (Google, Microsoft), as pure functions over
 * caller-owned buffers (common/sasl.h says how errors and output work),
 * and the JSON error challenge a server sends when it refuses the token,
 * read without a JSON library for one log line.
 */
#ifndef MDROP_OAUTH_H
#define MDROP_OAUTH_H

#include <stddef.h>

#include "common/sasl.h"

#define SASL_CHALLENGE_MAX 4096	/* base64 OAuth error challenge */

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

#endif
