/*
 * libFuzzer harness for common/sasl, scram and oauth: what a hostile
 * server can send. The input, on an exactly-sized copy (so ASan sees any
 * overread), goes to the server-first and server-final parsers, the OAuth
 * error challenge parser (as given, and base64-encoded so the JSON reader
 * sees arbitrary bytes), strict base64 (what it accepts must re-encode to
 * the same text), the CAPA SASL reader and the mechanism choice. Then the
 * whole SCRAM client runs with the input cut at the first LF:
 * server-first before it, server-final after (iteration counts over 64
 * are skipped to keep the fuzzer fast; the parser already saw them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/oauth.h"
#include "common/sasl.h"
#include "common/scram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NONCE "fuzzNonce"

static char *
copy(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	return p;
}

static void
check_first(const char *m, size_t n)
{
	struct sasl_server_first f;
	size_t i;

	if (sasl_scram_parse_first(m, n, &f) != SASL_OK)
		return;
	if (f.noncelen == 0 || f.nonce < m || f.nonce + f.noncelen > m + n ||
	    f.saltlen == 0 || f.saltlen > SASL_SALT_MAX || f.iter == 0 ||
	    f.iter > SASL_ITER_MAX)
		abort();
	for (i = 0; i < f.noncelen; i++)
		if (f.nonce[i] == ',' || (unsigned char)f.nonce[i] < 0x21 ||
		    (unsigned char)f.nonce[i] > 0x7e)
			abort();
}

static void
check_final(const char *m, size_t n)
{
	struct sasl_server_final f;

	if (sasl_scram_parse_final(m, n, &f) != SASL_OK)
		return;
	if (f.is_error) {
		if (strlen(f.reason) == 0 || strlen(f.reason) > SASL_REASON_MAX ||
		    strchr(f.reason, '=') != NULL ||
		    strchr(f.reason, ',') != NULL)
			abort();
	} else if (f.vlen == 0 || f.vlen > SASL_HASH_MAX) {
		abort();
	}
}

static void
check_oauth(const char *m, size_t n)
{
	struct sasl_oauth_error e;
	char *b64;
	size_t bn;

	sasl_oauth_error_parse(m, n, &e);
	if (strlen(e.status) > SASL_OAUTH_FIELD_MAX ||
	    strlen(e.scope) > SASL_OAUTH_FIELD_MAX ||
	    strlen(e.schemes) > SASL_OAUTH_FIELD_MAX)
		abort();
	if (n > 3000)
		return;
	bn = SASL_B64_ENCLEN(n) + 1;
	if ((b64 = malloc(bn)) == NULL)
		abort();
	if (sasl_b64_encode(b64, bn, (const unsigned char *)m, n) < 0)
		abort();
	if (sasl_oauth_error_parse(b64, bn - 1, &e) == SASL_E_BASE64)
		abort();
	if (strlen(e.status) > SASL_OAUTH_FIELD_MAX ||
	    strlen(e.scope) > SASL_OAUTH_FIELD_MAX ||
	    strlen(e.schemes) > SASL_OAUTH_FIELD_MAX)
		abort();
	free(b64);
}

static void
check_b64(const char *m, size_t n)
{
	size_t dn = SASL_B64_DECLEN(n), en = SASL_B64_ENCLEN(n) + 1;
	unsigned char *dec = malloc(dn ? dn : 1), *back;
	char *enc = malloc(en);
	int r, k;

	if (dec == NULL || enc == NULL)
		abort();
	r = sasl_b64_decode(dec, dn, m, n);
	if (r >= 0) {
		/* Canonical: encoding what was decoded gives the input. */
		k = sasl_b64_encode(enc, en, dec, (size_t)r);
		if (k < 0 || (size_t)k != n || memcmp(enc, m, n) != 0)
			abort();
	}
	k = sasl_b64_encode(enc, en, (const unsigned char *)m, n);
	if (k >= 0 && n <= 65536) {
		back = malloc(SASL_B64_DECLEN((size_t)k) + 1);
		if (back == NULL)
			abort();
		r = sasl_b64_decode(back, SASL_B64_DECLEN((size_t)k), enc,
		    (size_t)k);
		if (r < 0 || (size_t)r != n || memcmp(back, m, n) != 0)
			abort();
		free(back);
	}
	free(dec);
	free(enc);
}

static void
check_choice(const char *m, size_t n)
{
	unsigned set = 0;
	enum sasl_mech c;
	int tls, cb;

	sasl_capa_line(m, n, &set);
	for (tls = 0; tls < 2; tls++)
		for (cb = 0; cb < 2; cb++) {
			c = sasl_choose(set, tls, cb);
			if (c != SASL_MECH_NONE && !(set & (unsigned)c))
				abort();
			if (c == SASL_MECH_OAUTHBEARER || c == SASL_MECH_XOAUTH2)
				abort();
			if (c == SASL_MECH_PLAIN && !tls)
				abort();
			if (c == SASL_MECH_SCRAM_SHA_256_PLUS && !(tls && cb))
				abort();
		}
}

static void
run_scram(const char *m, size_t n)
{
	const char *lf = memchr(m, '\n', n);
	size_t n1 = lf ? (size_t)(lf - m) : n;
	struct sasl_server_first f;
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t outlen;
	char *first, *final;
	enum sasl_err e;

	first = copy((const uint8_t *)m, n1);
	if (sasl_scram_parse_first(first, n1, &f) != SASL_OK || f.iter > 64) {
		free(first);
		return;
	}
	if (sasl_scram_init(&s, n1 % 2 ? SASL_HASH_SHA1 : SASL_HASH_SHA256,
	    SASL_CB_NONE, NULL, NULL, 0) != SASL_OK ||
	    sasl_scram_client_first(&s, "user", NONCE, out, sizeof out,
	    &outlen) != SASL_OK)
		abort();
	e = sasl_scram_client_final(&s, first, n1, "pencil", out, sizeof out,
	    &outlen);
	free(first);
	if (e != SASL_OK) {
		if (e != SASL_E_NONCE && e != SASL_E_SPACE)
			abort();	/* the parser accepted it */
		return;
	}
	if (outlen != strlen(out) || strncmp(out, "c=biws,r=" NONCE, 18) != 0)
		abort();
	if (lf != NULL) {
		final = copy((const uint8_t *)lf + 1, n - n1 - 1);
		e = sasl_scram_verify(&s, final, n - n1 - 1);
		if (e == SASL_E_SERVER && strlen(sasl_scram_reason(&s)) == 0)
			abort();
		free(final);
	}
	sasl_scram_wipe(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *m = copy(data, size);

	check_first(m, size);
	check_final(m, size);
	check_oauth(m, size);
	check_b64(m, size);
	check_choice(m, size);
	run_scram(m, size);
	free(m);
	return 0;
}
