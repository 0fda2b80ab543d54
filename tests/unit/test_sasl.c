/* Unit tests for the SASL family, common/sasl, common/scram and
 * common/oauth: base64 edges, the RFC 7677 (SCRAM-SHA-256)
 * and RFC 5802 (SCRAM-SHA-1) examples byte for byte, channel binding
 * against an independent computation, every malformed server message and
 * every prefix of the good ones, the PLAIN/OAUTHBEARER/XOAUTH2 bytes, the
 * OAuth JSON error challenge, and the mechanism choice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/oauth.h"
#include "common/sasl.h"
#include "common/scram.h"

#define S(lit) lit, sizeof(lit) - 1

/* RFC 7677 section 3. */
#define R7677_CFIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define R7677_SFIRST "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," \
	"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define R7677_CFINAL "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)" \
	"hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define R7677_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* RFC 5802 section 5. */
#define R5802_CFIRST "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
#define R5802_SFIRST "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
	"s=QSXCR+Q6sek8bf92,i=4096"
#define R5802_CFINAL "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
	"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define R5802_SFINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

/* A copy of exactly len bytes on the heap, so ASan sees any overread. */
static char *
dup_exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* ---- base64 ---- */

static void
b64_rfc4648_vectors(void **state)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const out[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char dec[16];
	char enc[16];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		n = sasl_b64_encode(enc, sizeof enc,
		    (const unsigned char *)in[i], strlen(in[i]));
		assert_int_equal(n, strlen(out[i]));
		assert_string_equal(enc, out[i]);
		n = sasl_b64_decode(dec, sizeof dec, out[i], strlen(out[i]));
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(dec, in[i], strlen(in[i]));
	}
}

static void
b64_roundtrip_all_lengths(void **state)
{
	unsigned char in[300], dec[300];
	char enc[SASL_B64_ENCLEN(300) + 1];
	size_t len, i;
	int n;

	(void)state;
	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 7 + 3);	/* all byte values */
	for (len = 0; len <= sizeof in; len++) {
		n = sasl_b64_encode(enc, SASL_B64_ENCLEN(len) + 1, in, len);
		assert_int_equal(n, SASL_B64_ENCLEN(len));
		assert_int_equal(strlen(enc), (size_t)n);
		/* One byte too small for the NUL: refused. */
		assert_int_equal(sasl_b64_encode(enc, SASL_B64_ENCLEN(len),
		    in, len), -1);
		n = sasl_b64_encode(enc, sizeof enc, in, len);
		n = sasl_b64_decode(dec, SASL_B64_DECLEN((size_t)n), enc,
		    (size_t)n);
		assert_int_equal(n, len);
		assert_memory_equal(dec, in, len);
	}
}

static void
b64_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z", "Zm9vY", "Zg=a", "Z===", "====", "=Zg=",
		"Zm=v", "Zh==", "Zm9=", "Zg== ", " Zg==", "Zg\n==", "Zg==\n",
		"Zm9v\r\n", "Zm9-", "Zm9_", "Zm9!", "Zm\x80v", "Zg==Zg==",
		"Zm9vYg=\x3d=",
	};
	unsigned char dec[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sasl_b64_decode(dec, sizeof dec, bad[i], strlen(bad[i]))
		    != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	/* A NUL inside. */
	assert_int_equal(sasl_b64_decode(dec, sizeof dec, S("Zm\0v")), -1);
	/* The output buffer is checked before anything is written. */
	assert_int_equal(sasl_b64_decode(dec, 2, S("Zm9v")), -1);
	assert_int_equal(sasl_b64_decode(dec, 3, S("Zm9v")), 3);
	/* "Zg==" needs room for 3 even though it decodes to 1. */
	assert_int_equal(sasl_b64_decode(dec, 2, S("Zg==")), -1);
	/* The full alphabet. */
	assert_int_equal(sasl_b64_decode(dec, sizeof dec,
	    S("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")),
	    48);
	assert_int_equal(dec[0], 0x00);
	assert_int_equal(dec[46], 0xdf);
	assert_int_equal(dec[47], 0xbf);
}

/* ---- SCRAM: the RFC examples ---- */

static void
scram_run(enum sasl_hash h, const char *nonce, const char *cfirst,
    const char *sfirst, const char *cfinal, const char *sfinal)
{
	struct sasl_scram s;
	char out[SASL_MSG_MAX];
	size_t outlen;
	char *m;

	assert_int_equal(sasl_scram_init(&s, h, SASL_CB_NONE, NULL, NULL, 0),
	    SASL_OK);
	assert_int_equal(sasl_scram_client_first(&s, "user", nonce, out,
	    sizeof out, &outlen), SASL_OK);
	assert_int_equal(outlen, strlen(cfirst));
	assert_string_equal(out, cfirst);
	m = dup_exact(sfirst, strlen(sfirst));
	assert_int_equal(sasl_scram_client_final(&s, m, strlen(sfirst),
	    "pencil", out, sizeof out, &outlen), SASL_OK);
	free(m);
	assert_int_equal(outlen, strlen(cfinal));
	assert_string_equal(out, cfinal);
	m = dup_exact(sfinal, strlen(sfinal));
	assert_int_equal(sasl_scram_verify(&s, m, strlen(sfinal)), SASL_OK);
	free(m);
	assert_string_equal(sasl_scram_reason(&s), "");
	/* Done: nothing more is accepted. */
	assert_int_equal(sasl_scram_verify(&s, sfinal, strlen(sfinal)),
	    SASL_E_STATE);
	sasl_scram_wipe(&s);
}

static void
scram_rfc7677_sha256(void **state)
{
	(void)state;
	scram_run(SASL_HASH_SHA256, "rOprNGfwEbeRWgbNEkqO", R7677_CFIRST,
	    R7677_SFIRST, R7677_CFINAL, R7677_SFINAL);
}

static void
scram_rfc5802_sha1(void **state)
{
	(void)state;
	scram_run(SASL_HASH_SHA1, "fyko+d2lbbFgONRv9qkxdawL", R5802_CFIRST,
	    R5802_SFIRST, R5802_CFINAL, R5802_SFINAL);
}

/* The RFC 7677 exchange with the server's messages cut to every length:
 * never accepted as the real one, never a crash or an overread. */
static void
scram_every_prefix(void **state)
{
	const char *sf = R7677_SFIRST, *sv = R7677_SFINAL;
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t k, outlen;
	enum sasl_err e;
	char *m;

	(void)state;
	for (k = 0; k < strlen(sf); k++) {
		assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
		    SASL_CB_NONE, NULL, NULL, 0), SASL_OK);
		assert_int_equal(sasl_scram_client_first(&s, "user",
		    "rOprNGfwEbeRWgbNEkqO", out, sizeof out, &outlen), SASL_OK);
		m = dup_exact(sf, k);
		e = sasl_scram_client_final(&s, m, k, "pencil", out,
		    sizeof out, &outlen);
		free(m);
		if (e == SASL_OK) {
			/* Only a cut inside "i=4096" still parses, as a
			 * different count: a different proof. */
			assert_true(k > strlen(sf) - 4);
			assert_string_not_equal(out, R7677_CFINAL);
			assert_int_equal(sasl_scram_verify(&s, S(R7677_SFINAL)),
			    SASL_E_VERIFY);
		} else {
			assert_int_equal(sasl_scram_verify(&s, S(R7677_SFINAL)),
			    SASL_E_STATE);
		}
	}
	for (k = 0; k < strlen(sv); k++) {
		assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
		    SASL_CB_NONE, NULL, NULL, 0), SASL_OK);
		assert_int_equal(sasl_scram_client_first(&s, "user",
		    "rOprNGfwEbeRWgbNEkqO", out, sizeof out, &outlen), SASL_OK);
		assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST),
		    "pencil", out, sizeof out, &outlen), SASL_OK);
		m = dup_exact(sv, k);
		e = sasl_scram_verify(&s, m, k);
		free(m);
		assert_int_not_equal(e, SASL_OK);
	}
}

/* ---- SCRAM: channel binding, checked against a computation here ---- */

/* RFC 5802 section 3 done directly with OpenSSL: the proof and the
 * server signature for AuthMessage am. */
static void
ref_scram(const char *pass, const unsigned char *salt, size_t saltlen,
    int iter, const char *am, unsigned char *proof, unsigned char *ssig)
{
	unsigned char sp[32], ck[32], sk[32], stored[32], csig[32];
	unsigned int l;
	int i;

	assert_int_equal(PKCS5_PBKDF2_HMAC(pass, (int)strlen(pass), salt,
	    (int)saltlen, iter, EVP_sha256(), 32, sp), 1);
	assert_non_null(HMAC(EVP_sha256(), sp, 32,
	    (const unsigned char *)"Client Key", 10, ck, &l));
	assert_int_equal(EVP_Digest(ck, 32, stored, &l, EVP_sha256(), NULL), 1);
	assert_non_null(HMAC(EVP_sha256(), stored, 32,
	    (const unsigned char *)am, strlen(am), csig, &l));
	for (i = 0; i < 32; i++)
		proof[i] = ck[i] ^ csig[i];
	assert_non_null(HMAC(EVP_sha256(), sp, 32,
	    (const unsigned char *)"Server Key", 10, sk, &l));
	assert_non_null(HMAC(EVP_sha256(), sk, 32,
	    (const unsigned char *)am, strlen(am), ssig, &l));
}

/* -PLUS with binding type name and data: p=NAME in the gs2 header, and c=
 * carries the header and the data; proof and verifier as computed here. */
static void
cb_case(const char *name, const unsigned char *data, size_t len)
{
	const char *sfirst = "r=abcdefXYZ,s=c2FsdA==,i=4096";
	unsigned char cbin[128], proof[32], ssig[32];
	char out[SASL_MSG_MAX], want[SASL_MSG_MAX], am[SASL_MSG_MAX];
	char cb64[256], p64[64], v[80], gs2[64];
	struct sasl_scram s;
	size_t outlen, gl;

	gl = (size_t)snprintf(gs2, sizeof gs2, "p=%s,,", name);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_BIND,
	    name, data, len), SASL_OK);
	assert_int_equal(sasl_scram_client_first(&s, "user", "abcdef", out,
	    sizeof out, &outlen), SASL_OK);
	snprintf(want, sizeof want, "%sn=user,r=abcdef", gs2);
	assert_string_equal(out, want);
	assert_int_equal(sasl_scram_client_final(&s, sfirst, strlen(sfirst),
	    "pencil", out, sizeof out, &outlen), SASL_OK);
	memcpy(cbin, gs2, gl);
	memcpy(cbin + gl, data, len);
	sasl_b64_encode(cb64, sizeof cb64, cbin, gl + len);
	snprintf(am, sizeof am, "n=user,r=abcdef,%s,c=%s,r=abcdefXYZ",
	    sfirst, cb64);
	ref_scram("pencil", (const unsigned char *)"salt", 4, 4096, am,
	    proof, ssig);
	sasl_b64_encode(p64, sizeof p64, proof, 32);
	snprintf(want, sizeof want, "c=%s,r=abcdefXYZ,p=%s", cb64, p64);
	assert_string_equal(out, want);
	strcpy(v, "v=");
	sasl_b64_encode(v + 2, sizeof v - 2, ssig, 32);
	assert_int_equal(sasl_scram_verify(&s, v, strlen(v)), SASL_OK);
	sasl_scram_wipe(&s);
}

static void
scram_channel_binding(void **state)
{
	/* a TLS 1.2 Finished is 12 bytes; tls-exporter gives 32 */
	static const unsigned char finished[12] = {
		0x00, 0x01, 0x02, 0x03, 0xfc, 0xfd, 0xfe, 0xff, 0x2c, 0x3d,
		0x10, 0x11 };
	static const unsigned char ekm[32] = {
		0x00, 0x01, 0x02, 0x03, 0xfc, 0xfd, 0xfe, 0xff, 0x2c, 0x3d,
		0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
		0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
		0x30, 0x31 };
	const char *sfirst = "r=abcdefXYZ,s=c2FsdA==,i=4096";
	unsigned char big[SASL_CBIND_MAX + 1] = { 0 };
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t outlen;

	(void)state;
	cb_case("tls-unique", finished, sizeof finished);
	cb_case("tls-exporter", ekm, sizeof ekm);
	cb_case("tls-server-end-point", ekm, sizeof ekm);

	/* n: no binding ("biws" is base64 of "n,,"), y: could but no -PLUS */
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_NONE, NULL, NULL, 0), SASL_OK);
	assert_int_equal(sasl_scram_client_first(&s, "user", "abcdef", out,
	    sizeof out, &outlen), SASL_OK);
	assert_string_equal(out, "n,,n=user,r=abcdef");
	assert_int_equal(sasl_scram_client_final(&s, sfirst, strlen(sfirst),
	    "pencil", out, sizeof out, &outlen), SASL_OK);
	assert_memory_equal(out, "c=biws,r=abcdefXYZ,p=", 21);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_SUPPORTED, NULL, NULL, 0), SASL_OK);
	assert_int_equal(sasl_scram_client_first(&s, "user", "abcdef", out,
	    sizeof out, &outlen), SASL_OK);
	assert_string_equal(out, "y,,n=user,r=abcdef");

	/* Bad binding: no data, too much, a name that is not a cb-name, a
	 * name or data without -PLUS. */
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, "tls-unique", NULL, 0), SASL_E_CBIND);
	assert_int_equal(sasl_scram_client_first(&s, "user", "abcdef", out,
	    sizeof out, &outlen), SASL_E_STATE);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, "tls-unique", big, sizeof big), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, NULL, ekm, 32), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, "", ekm, 32), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, "tls,unique", ekm, 32), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_BIND, "a-name-longer-than-24-byte", ekm, 32), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_NONE, NULL, ekm, 32), SASL_E_CBIND);
	assert_int_equal(sasl_scram_init(&s, SASL_HASH_SHA256,
	    SASL_CB_NONE, "tls-unique", NULL, 0), SASL_E_CBIND);
	sasl_scram_wipe(&s);
}

/* ---- SCRAM: the client's own input ---- */

static void
scram_user_names(void **state)
{
	char out[SASL_MSG_MAX], longname[SASL_USER_MAX + 2];
	struct sasl_scram s;
	size_t outlen;

	(void)state;
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "a,b=c@d", "N", out,
	    sizeof out, &outlen), SASL_OK);
	assert_string_equal(out, "n,,n=a=2Cb=3Dc@d,r=N");
	assert_int_equal(outlen, strlen(out));

	/* Non-ASCII bytes pass as they are. */
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "j\xc3\xbcrg", "N", out,
	    sizeof out, &outlen), SASL_OK);
	assert_string_equal(out, "n,,n=j\xc3\xbcrg,r=N");

	static const char *const bad[] = { "", "a\tb", "a\rb", "a\nb",
	    "\x01", "a\x7f", "\x1f" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
		assert_int_equal(sasl_scram_client_first(&s, bad[i], "N", out,
		    sizeof out, &outlen), SASL_E_USER);
		assert_int_equal(outlen, 0);
	}
	memset(longname, 'u', sizeof longname - 1);
	longname[SASL_USER_MAX] = '\0';
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, longname, "N", out,
	    sizeof out, &outlen), SASL_OK);
	longname[SASL_USER_MAX] = 'u';
	longname[SASL_USER_MAX + 1] = '\0';
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, longname, "N", out,
	    sizeof out, &outlen), SASL_E_USER);

	/* Output buffer too small: refused, and nothing left in it. */
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "user", "N", out, 13,
	    &outlen), SASL_E_SPACE);
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "user", "N", out, 14,
	    &outlen), SASL_OK);
	assert_string_equal(out, "n,,n=user,r=N");
}

static void
scram_nonces(void **state)
{
	char a[SASL_MSG_MAX], b[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t al, bl;

	(void)state;
	/* Random: 24 bytes as 32 base64 characters, never twice the same. */
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "u", NULL, a, sizeof a,
	    &al), SASL_OK);
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_first(&s, "u", NULL, b, sizeof b,
	    &bl), SASL_OK);
	assert_int_equal(al, strlen("n,,n=u,r=") + 32);
	assert_int_equal(bl, al);
	assert_memory_equal(a, "n,,n=u,r=", 9);
	assert_string_not_equal(a, b);
	assert_null(strchr(a + 9, ','));

	/* A given nonce: printable, no ',', not empty. */
	static const char *const bad[] = { "", "a,b", "a b", "a\x01",
	    "\x7f", "\xc3\xbc" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
		assert_int_equal(sasl_scram_client_first(&s, "u", bad[i], a,
		    sizeof a, &al), SASL_E_SYNTAX);
	}
}

static void
scram_state_order(void **state)
{
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t outlen;

	(void)state;
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST),
	    "pencil", out, sizeof out, &outlen), SASL_E_STATE);
	/* A failed machine stays failed. */
	assert_int_equal(sasl_scram_client_first(&s, "user", "x", out,
	    sizeof out, &outlen), SASL_E_STATE);

	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	assert_int_equal(sasl_scram_verify(&s, S(R7677_SFINAL)), SASL_E_STATE);

	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", out,
	    sizeof out, &outlen);
	assert_int_equal(sasl_scram_client_first(&s, "user", "x", out,
	    sizeof out, &outlen), SASL_E_STATE);

	/* Password: not empty, not over the cap; NULL refused. */
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", out,
	    sizeof out, &outlen);
	assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST), "",
	    out, sizeof out, &outlen), SASL_E_SECRET);
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", out,
	    sizeof out, &outlen);
	assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST), NULL,
	    out, sizeof out, &outlen), SASL_E_SECRET);

	/* client-final that does not fit: refused, buffer wiped. */
	sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
	sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO", out,
	    sizeof out, &outlen);
	assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST),
	    "pencil", out, strlen(R7677_CFINAL), &outlen), SASL_E_SPACE);
	assert_int_equal(outlen, 0);
	assert_null(memchr(out, 'p', strlen(R7677_CFINAL)));
}

/* ---- SCRAM: malformed server-first messages ---- */

struct bad_first {
	const char *msg;
	enum sasl_err want;
};

static void
scram_bad_server_first(void **state)
{
	static const struct bad_first cases[] = {
		{ "", SASL_E_SYNTAX },
		{ "m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096",
		    SASL_E_EXTENSION },
		{ "m=", SASL_E_EXTENSION },
		/* nonce not extended, changed, shorter */
		{ "r=rOprNGfwEbeRWgbNEkqO,s=c2FsdA==,i=4096", SASL_E_NONCE },
		{ "r=rOprNGfwEbeRWgbNEkqP123,s=c2FsdA==,i=4096", SASL_E_NONCE },
		{ "r=XrOprNGfwEbeRWgbNEkqO,s=c2FsdA==,i=4096", SASL_E_NONCE },
		{ "r=rOpr,s=c2FsdA==,i=4096", SASL_E_NONCE },
		{ "r=,s=c2FsdA==,i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqO a,s=c2FsdA==,i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqO\x7f,s=c2FsdA==,i=4096",
		    SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqO\xc3\xbc,s=c2FsdA==,i=4096",
		    SASL_E_SYNTAX },
		/* order and names */
		{ "s=c2FsdA==,r=rOprNGfwEbeRWgbNEkqOx,i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,i=4096,s=c2FsdA==", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,", SASL_E_SYNTAX },
		{ "R=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx;s=c2FsdA==;i=4096", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,,s=c2FsdA==,i=4096", SASL_E_SYNTAX },
		{ "e=other-error", SASL_E_SYNTAX },
		/* salt */
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096", SASL_E_SALT },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA=,i=4096", SASL_E_BASE64 },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2Fsd A==,i=4096", SASL_E_BASE64 },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=====,i=4096", SASL_E_BASE64 },
		/* iteration count */
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=0", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=04096", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=-1", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=+4096", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i= 4096", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096x", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=1000001", SASL_E_ITER },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=18446744073709551617",
		    SASL_E_ITER },
		/* extensions */
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096,", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096,x=", SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096,1=a",
		    SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096,xy=a",
		    SASL_E_SYNTAX },
		{ "r=rOprNGfwEbeRWgbNEkqOx,s=c2FsdA==,i=4096,x", SASL_E_SYNTAX },
	};
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t i, outlen;
	enum sasl_err e;
	char *m;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = strlen(cases[i].msg);

		sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
		sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO",
		    out, sizeof out, &outlen);
		m = dup_exact(cases[i].msg, len);
		e = sasl_scram_client_final(&s, m, len, "pencil", out,
		    sizeof out, &outlen);
		free(m);
		if (e != cases[i].want)
			fail_msg("\"%s\": got %s, want %s", cases[i].msg,
			    sasl_error_name(e), sasl_error_name(cases[i].want));
		assert_int_equal(outlen, 0);
		/* The machine is dead afterwards. */
		assert_int_equal(sasl_scram_verify(&s, S(R7677_SFINAL)),
		    SASL_E_STATE);
	}
}

static void
scram_parse_first_edges(void **state)
{
	struct sasl_server_first f;
	char big[SASL_MSG_MAX + 8], salt64[SASL_B64_ENCLEN(SASL_SALT_MAX + 3) + 1];
	unsigned char salt[SASL_SALT_MAX + 3];
	int n;

	(void)state;
	/* A known extension after i= is ignored; the count is read. */
	assert_int_equal(sasl_scram_parse_first(
	    S("r=ab,s=c2FsdA==,i=1000000,x=y,z=a=b"), &f), SASL_OK);
	assert_int_equal(f.iter, 1000000);
	assert_int_equal(f.noncelen, 2);
	assert_memory_equal(f.nonce, "ab", 2);
	assert_int_equal(f.saltlen, 4);
	assert_memory_equal(f.salt, "salt", 4);
	assert_int_equal(sasl_scram_parse_first(S("r=ab,s=c2FsdA==,i=1"), &f),
	    SASL_OK);
	assert_int_equal(f.iter, 1);
	/* NUL anywhere. */
	assert_int_equal(sasl_scram_parse_first(S("r=a\0b,s=c2FsdA==,i=1"),
	    &f), SASL_E_SYNTAX);
	assert_int_equal(sasl_scram_parse_first(S("r=ab,s=c2FsdA==,i=1\0"),
	    &f), SASL_E_ITER);
	assert_int_equal(sasl_scram_parse_first(S("r=ab,s=c2FsdA==,i=1,x=\0"),
	    &f), SASL_E_SYNTAX);
	/* Salt of the largest size, and one byte more. */
	memset(salt, 0xa5, sizeof salt);
	n = sasl_b64_encode(salt64, sizeof salt64, salt, SASL_SALT_MAX);
	snprintf(big, sizeof big, "r=ab,s=%s,i=4096", salt64);
	assert_int_equal(sasl_scram_parse_first(big, strlen(big), &f), SASL_OK);
	assert_int_equal(f.saltlen, SASL_SALT_MAX);
	n = sasl_b64_encode(salt64, sizeof salt64, salt, SASL_SALT_MAX + 1);
	assert_true(n > 0);
	snprintf(big, sizeof big, "r=ab,s=%s,i=4096", salt64);
	assert_int_equal(sasl_scram_parse_first(big, strlen(big), &f),
	    SASL_E_SALT);
	/* Longer than SASL_MSG_MAX: refused before anything else. */
	memset(big, 'a', sizeof big);
	memcpy(big, "r=", 2);
	memcpy(big + SASL_MSG_MAX - 15, ",s=c2FsdA==,i=1", 15);
	assert_int_equal(sasl_scram_parse_first(big, SASL_MSG_MAX, &f),
	    SASL_OK);
	big[SASL_MSG_MAX - 15] = 'a';
	memcpy(big + SASL_MSG_MAX - 14, ",s=c2FsdA==,i=1", 15);
	assert_int_equal(sasl_scram_parse_first(big, SASL_MSG_MAX + 1, &f),
	    SASL_E_SYNTAX);
}

/* ---- SCRAM: server-final ---- */

static void
scram_bad_server_final(void **state)
{
	static const struct bad_first cases[] = {
		{ "", SASL_E_SYNTAX },
		{ "v=", SASL_E_SYNTAX },
		{ "V=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		    SASL_E_SYNTAX },
		{ "x=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		    SASL_E_SYNTAX },
		/* one bit off */
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G0=",
		    SASL_E_VERIFY },
		{ "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
		    SASL_E_VERIFY },
		/* the SHA-1 example's signature: wrong length */
		{ "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", SASL_E_VERIFY },
		/* longer than any signature */
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4A",
		    SASL_E_VERIFY },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=AAAA",
		    SASL_E_VERIFY },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G=",
		    SASL_E_BASE64 },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,",
		    SASL_E_SYNTAX },
		{ "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x",
		    SASL_E_SYNTAX },
		{ "e=", SASL_E_SYNTAX },
		{ "e=a=b", SASL_E_SYNTAX },
		{ "e=invalid-proof", SASL_E_SERVER },
		{ "e=invalid-proof,x=1", SASL_E_SERVER },
		{ "e=invalid-proof,", SASL_E_SYNTAX },
	};
	char out[SASL_MSG_MAX];
	struct sasl_scram s;
	size_t i, outlen;
	enum sasl_err e;
	char *m;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = strlen(cases[i].msg);

		sasl_scram_init(&s, SASL_HASH_SHA256, SASL_CB_NONE, NULL, NULL, 0);
		sasl_scram_client_first(&s, "user", "rOprNGfwEbeRWgbNEkqO",
		    out, sizeof out, &outlen);
		assert_int_equal(sasl_scram_client_final(&s, S(R7677_SFIRST),
		    "pencil", out, sizeof out, &outlen), SASL_OK);
		m = dup_exact(cases[i].msg, len);
		e = sasl_scram_verify(&s, m, len);
		free(m);
		if (e != cases[i].want)
			fail_msg("\"%s\": got %s, want %s", cases[i].msg,
			    sasl_error_name(e), sasl_error_name(cases[i].want));
		if (e == SASL_E_SERVER)
			assert_string_equal(sasl_scram_reason(&s),
			    "invalid-proof");
		else
			assert_string_equal(sasl_scram_reason(&s), "");
	}
}

static void
scram_server_final_extension_and_reason(void **state)
{
	struct sasl_server_final f;
	char big[400];

	(void)state;
	/* v= followed by an extension: still the signature. */
	assert_int_equal(sasl_scram_parse_final(
	    S(R7677_SFINAL ",x=whatever"), &f), SASL_OK);
	assert_int_equal(f.is_error, 0);
	assert_int_equal(f.vlen, 32);
	assert_int_equal(f.verifier[0], 0xea);
	/* A long e= reason is cut to SASL_REASON_MAX. */
	memset(big, 'r', sizeof big);
	memcpy(big, "e=", 2);
	assert_int_equal(sasl_scram_parse_final(big, sizeof big, &f), SASL_OK);
	assert_int_equal(f.is_error, 1);
	assert_int_equal(strlen(f.reason), SASL_REASON_MAX);
	/* Bytes that log_quote will escape are kept, NUL is refused. */
	assert_int_equal(sasl_scram_parse_final(S("e=a\nb\x01"), &f), SASL_OK);
	assert_string_equal(f.reason, "a\nb\x01");
	assert_int_equal(sasl_scram_parse_final(S("e=a\0b"), &f),
	    SASL_E_SYNTAX);
}

/* ---- PLAIN, OAUTHBEARER, XOAUTH2 ---- */

static void
plain_message(void **state)
{
	char out[64];
	size_t outlen;

	(void)state;
	assert_int_equal(sasl_plain(out, sizeof out, &outlen, S("user"),
	    S("pencil")), SASL_OK);
	assert_int_equal(outlen, 12);
	assert_memory_equal(out, "\0user\0pencil", 13);

	assert_int_equal(sasl_plain(out, sizeof out, &outlen, S("us\0er"),
	    S("pencil")), SASL_E_USER);
	assert_int_equal(sasl_plain(out, sizeof out, &outlen, S("user"),
	    S("pen\0cil")), SASL_E_SECRET);
	assert_int_equal(sasl_plain(out, sizeof out, &outlen, S(""),
	    S("pencil")), SASL_E_USER);
	assert_int_equal(sasl_plain(out, sizeof out, &outlen, S("user"),
	    S("")), SASL_E_SECRET);
	/* Just too small: refused and wiped (it held the password). */
	assert_int_equal(sasl_plain(out, 12, &outlen, S("user"),
	    S("pencil")), SASL_E_SPACE);
	assert_int_equal(outlen, 0);
	assert_null(memchr(out, 'p', 12));
	assert_int_equal(sasl_plain(out, 13, &outlen, S("user"),
	    S("pencil")), SASL_OK);
}

static void
oauth_messages(void **state)
{
	const char *tok = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
	char out[256];
	size_t outlen;

	(void)state;
	assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen,
	    "user@example.com", tok), SASL_OK);
	assert_string_equal(out, "n,a=user@example.com,\001auth=Bearer "
	    "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001");
	assert_int_equal(outlen, strlen(out));
	assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen,
	    "a,b=c", "t"), SASL_OK);
	assert_string_equal(out, "n,a=a=2Cb=3Dc,\001auth=Bearer t\001\001");

	assert_int_equal(sasl_xoauth2(out, sizeof out, &outlen,
	    "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg"),
	    SASL_OK);
	assert_string_equal(out, "user=someuser@example.com\001auth=Bearer "
	    "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\001\001");
	/* XOAUTH2 does not escape ',' or '='. */
	assert_int_equal(sasl_xoauth2(out, sizeof out, &outlen, "a,b=c", "t"),
	    SASL_OK);
	assert_string_equal(out, "user=a,b=c\001auth=Bearer t\001\001");

	/* Tokens: RFC 6750 b64token only. */
	static const char *const good[] = { "a", "A-._~+/z", "abc=", "abc==",
	    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln" };
	static const char *const bad[] = { "", "=", "==abc", "ab=c",
	    "abc def", "abc\001", "abc\r", "abc\n", "{\"access_token\":\"x\"}",
	    "Bearer abc", "ab,c", "\xc3\xbc" };
	size_t i;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen,
		    "u", good[i]), SASL_OK);
		assert_int_equal(sasl_xoauth2(out, sizeof out, &outlen,
		    "u", good[i]), SASL_OK);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (sasl_oauthbearer(out, sizeof out, &outlen, "u", bad[i])
		    != SASL_E_SECRET)
			fail_msg("oauthbearer accepted \"%s\"", bad[i]);
		if (sasl_xoauth2(out, sizeof out, &outlen, "u", bad[i])
		    != SASL_E_SECRET)
			fail_msg("xoauth2 accepted \"%s\"", bad[i]);
	}
	assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen, "u",
	    NULL), SASL_E_SECRET);
	/* User names: no control characters (\001 would forge a key). */
	assert_int_equal(sasl_xoauth2(out, sizeof out, &outlen,
	    "u\001auth=Bearer x", "t"), SASL_E_USER);
	assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen, "u\001",
	    "t"), SASL_E_USER);
	assert_int_equal(sasl_oauthbearer(out, sizeof out, &outlen, "", "t"),
	    SASL_E_USER);
	/* Too small, wiped. */
	assert_int_equal(sasl_xoauth2(out, 25, &outlen, "u", "secrettoken"),
	    SASL_E_SPACE);
	assert_null(memchr(out, 's', 25));
}

/* ---- the OAuth error challenge ---- */

static enum sasl_err
oauth_err(const char *json, size_t len, struct sasl_oauth_error *e)
{
	char b64[SASL_B64_ENCLEN(4000) + 1];

	assert_true(len <= 4000);
	sasl_b64_encode(b64, sizeof b64, (const unsigned char *)json, len);
	return sasl_oauth_error_parse(b64, strlen(b64), e);
}

static void
oauth_error_challenge(void **state)
{
	struct sasl_oauth_error e;
	char big[4200];
	size_t k;
	const char *j;

	(void)state;
	/* RFC 7628 section 4.3, as base64 from the RFC. */
	const char *rfc = "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFt"
	    "cGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1w"
	    "bGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";
	assert_int_equal(sasl_oauth_error_parse(rfc, strlen(rfc), &e), SASL_OK);
	assert_string_equal(e.status, "invalid_token");
	assert_string_equal(e.scope, "example_scope");
	assert_string_equal(e.schemes, "");

	/* Google's XOAUTH2 form. */
	j = "{\"status\":\"401\",\n \"schemes\":\"bearer mac\",\n"
	    "  \"scope\":\"https://mail.google.com/\"}\n";
	assert_int_equal(oauth_err(j, strlen(j), &e), SASL_OK);
	assert_string_equal(e.status, "401");
	assert_string_equal(e.schemes, "bearer mac");
	assert_string_equal(e.scope, "https://mail.google.com/");

	/* Numbers, literals, nesting, escapes. */
	j = "{ \"a\" : [1, 2.5e-3, {\"b\": [true, false, null]}],"
	    " \"status\" : 400, \"x\": {\"status\": \"inner\"},"
	    " \"scope\": \"q\\\"\\\\\\/\\u0041\\u00e9\\u0000\\t\" }";
	assert_int_equal(oauth_err(j, strlen(j), &e), SASL_OK);
	assert_string_equal(e.status, "400");
	assert_string_equal(e.scope, "q\"\\/A??\t");
	j = "{\"status\":null,\"scope\":true}";
	assert_int_equal(oauth_err(j, strlen(j), &e), SASL_OK);
	assert_string_equal(e.status, "null");
	assert_string_equal(e.scope, "true");
	j = "{}";
	assert_int_equal(oauth_err(j, strlen(j), &e), SASL_OK);
	assert_string_equal(e.status, "");

	/* Garbage: a clean refusal, members read so far kept. */
	static const char *const bad[] = { "", "not json", "[]", "\"s\"",
	    "{", "{\"status\"", "{\"status\":", "{\"status\":\"x",
	    "{\"status\":\"x\"", "{\"status\":\"x\",", "{\"status\":\"x\"}}",
	    "{\"status\":\"x\"} junk", "{\"status\":\"a\nb\"}",
	    "{\"status\":\"\\q\"}", "{\"status\":\"\\u12\"}",
	    "{\"status\":tru}", "{status:1}", "{\"a\":1,,\"b\":2}",
	    "{\"a\" 1}", "{\"a\":[1,]}", "{\"a\":}" };
	for (k = 0; k < sizeof bad / sizeof bad[0]; k++)
		if (oauth_err(bad[k], strlen(bad[k]), &e) != SASL_E_SYNTAX)
			fail_msg("accepted '%s'", bad[k]);
	j = "{\"status\":\"invalid_token\",\"scope\":";
	assert_int_equal(oauth_err(j, strlen(j), &e), SASL_E_SYNTAX);
	assert_string_equal(e.status, "invalid_token");
	assert_string_equal(e.scope, "");
	/* A NUL in the JSON. */
	assert_int_equal(oauth_err(S("{\"status\":\"a\0\"}"), &e),
	    SASL_E_SYNTAX);

	/* Every prefix of a good challenge is refused, never read past. */
	j = "{\"status\":\"invalid_token\",\"scope\":[\"a\",{\"b\":1}]}";
	for (k = 0; k < strlen(j); k++) {
		char b64[200];
		char *m;

		sasl_b64_encode(b64, sizeof b64, (const unsigned char *)j, k);
		m = dup_exact(b64, strlen(b64));
		assert_int_equal(sasl_oauth_error_parse(m, strlen(b64), &e),
		    SASL_E_SYNTAX);
		free(m);
	}

	/* Nesting cap: 16 levels pass, 17 do not. */
	memset(big, 0, sizeof big);
	strcpy(big, "{\"a\":");
	for (k = 0; k < 15; k++)
		strcat(big, "[");
	for (k = 0; k < 15; k++)
		strcat(big, "]");
	strcat(big, "}");
	assert_int_equal(oauth_err(big, strlen(big), &e), SASL_OK);
	strcpy(big, "{\"a\":");
	for (k = 0; k < 16; k++)
		strcat(big, "[");
	for (k = 0; k < 16; k++)
		strcat(big, "]");
	strcat(big, "}");
	assert_int_equal(oauth_err(big, strlen(big), &e), SASL_E_SYNTAX);

	/* A long value is cut; an over-long challenge refused. */
	memset(big, 'v', sizeof big);
	memcpy(big, "{\"status\":\"", 11);
	memcpy(big + 1000, "\"}", 2);
	assert_int_equal(oauth_err(big, 1002, &e), SASL_OK);
	assert_int_equal(strlen(e.status), SASL_OAUTH_FIELD_MAX);
	assert_int_equal(sasl_oauth_error_parse(big, SASL_CHALLENGE_MAX + 4,
	    &e), SASL_E_SYNTAX);

	/* Not base64. */
	assert_int_equal(sasl_oauth_error_parse(S("e30"), &e), SASL_E_BASE64);
	assert_int_equal(sasl_oauth_error_parse(S("{}"), &e), SASL_E_BASE64);
	assert_int_equal(sasl_oauth_error_parse(S("e30="), &e), SASL_OK);
}

/* ---- the choice ---- */

static void
mechanism_choice(void **state)
{
	unsigned set = 0;
	const unsigned all = SASL_MECH_PLAIN | SASL_MECH_SCRAM_SHA_256 |
	    SASL_MECH_SCRAM_SHA_256_PLUS | SASL_MECH_OAUTHBEARER |
	    SASL_MECH_XOAUTH2;

	(void)state;
	sasl_capa_line(S("SASL PLAIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS "
	    "OAUTHBEARER XOAUTH2 CRAM-MD5"), &set);
	assert_int_equal(set, all);
	set = 0;
	sasl_capa_line(S("sasl  scram-sha-256   plain "), &set);
	assert_int_equal(set, SASL_MECH_PLAIN | SASL_MECH_SCRAM_SHA_256);
	set = 0;
	sasl_capa_line(S("SASL SCRAM-SHA-256-PLUSX SCRAM-SHA-25 LOGIN"), &set);
	assert_int_equal(set, 0);
	sasl_capa_line(S("SASLX PLAIN"), &set);
	sasl_capa_line(S("USER PLAIN"), &set);
	sasl_capa_line(S("IMPLEMENTATION SASL PLAIN"), &set);
	sasl_capa_line(S("SASL"), &set);
	sasl_capa_line(S(""), &set);
	sasl_capa_line(S("SASL PLAIN\0SCRAM-SHA-256"), &set);
	assert_int_equal(set, 0);
	set = SASL_MECH_XOAUTH2;
	sasl_capa_line(S("SASL PLAIN"), &set);
	assert_int_equal(set, SASL_MECH_XOAUTH2 | SASL_MECH_PLAIN);

	/* offered, tls, cbind -> choice */
	assert_int_equal(sasl_choose(all, 1, 1), SASL_MECH_SCRAM_SHA_256_PLUS);
	assert_int_equal(sasl_choose(all, 1, 0), SASL_MECH_SCRAM_SHA_256);
	assert_int_equal(sasl_choose(all, 0, 0), SASL_MECH_SCRAM_SHA_256);
	assert_int_equal(sasl_choose(all, 0, 1), SASL_MECH_SCRAM_SHA_256);
	assert_int_equal(sasl_choose(SASL_MECH_SCRAM_SHA_256_PLUS, 1, 0),
	    SASL_MECH_NONE);
	assert_int_equal(sasl_choose(SASL_MECH_SCRAM_SHA_256_PLUS |
	    SASL_MECH_PLAIN, 1, 0), SASL_MECH_PLAIN);
	assert_int_equal(sasl_choose(SASL_MECH_PLAIN, 1, 1), SASL_MECH_PLAIN);
	assert_int_equal(sasl_choose(SASL_MECH_PLAIN, 0, 0), SASL_MECH_NONE);
	assert_int_equal(sasl_choose(SASL_MECH_OAUTHBEARER |
	    SASL_MECH_XOAUTH2, 1, 1), SASL_MECH_NONE);
	assert_int_equal(sasl_choose(0, 1, 1), SASL_MECH_NONE);

	assert_int_equal(sasl_scram_cb(all, 1, 1), SASL_CB_BIND);
	/* -PLUS listed, a binding not every server checks: n, never y */
	assert_int_equal(sasl_scram_cb(all, 1, 0), SASL_CB_NONE);
	assert_int_equal(sasl_scram_cb(SASL_MECH_SCRAM_SHA_256, 1, 1),
	    SASL_CB_SUPPORTED);
	assert_int_equal(sasl_scram_cb(SASL_MECH_SCRAM_SHA_256, 1, 0),
	    SASL_CB_SUPPORTED);
	assert_int_equal(sasl_scram_cb(SASL_MECH_SCRAM_SHA_256, 0, 0),
	    SASL_CB_NONE);
	assert_int_equal(sasl_scram_cb(all, 1, 0), SASL_CB_NONE);
	assert_int_equal(sasl_scram_cb(all, 0, 1), SASL_CB_NONE);

	assert_string_equal(sasl_error_name(SASL_E_NONCE), "nonce");
	assert_string_equal(sasl_error_name((enum sasl_err)99), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(b64_rfc4648_vectors),
		cmocka_unit_test(b64_roundtrip_all_lengths),
		cmocka_unit_test(b64_strict),
		cmocka_unit_test(scram_rfc7677_sha256),
		cmocka_unit_test(scram_rfc5802_sha1),
		cmocka_unit_test(scram_every_prefix),
		cmocka_unit_test(scram_channel_binding),
		cmocka_unit_test(scram_user_names),
		cmocka_unit_test(scram_nonces),
		cmocka_unit_test(scram_state_order),
		cmocka_unit_test(scram_bad_server_first),
		cmocka_unit_test(scram_parse_first_edges),
		cmocka_unit_test(scram_bad_server_final),
		cmocka_unit_test(scram_server_final_extension_and_reason),
		cmocka_unit_test(plain_message),
		cmocka_unit_test(oauth_messages),
		cmocka_unit_test(oauth_error_challenge),
		cmocka_unit_test(mechanism_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
