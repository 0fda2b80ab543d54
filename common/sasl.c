#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/ascii.h"
#include "common/sasl.h"

#define B64_IN_MAX	(1024 * 1024)

static const char *const errnames[] = {
	[SASL_OK] = "ok",
	[SASL_E_BASE64] = "base64",
	[SASL_E_SYNTAX] = "syntax",
	[SASL_E_NONCE] = "nonce",
	[SASL_E_SALT] = "salt",
	[SASL_E_ITER] = "iteration-count",
	[SASL_E_EXTENSION] = "mandatory-extension",
	[SASL_E_SERVER] = "server-error",
	[SASL_E_VERIFY] = "server-signature",
	[SASL_E_USER] = "user-name",
	[SASL_E_SECRET] = "secret",
	[SASL_E_CBIND] = "channel-binding",
	[SASL_E_SPACE] = "too-long",
	[SASL_E_STATE] = "state",
	[SASL_E_CRYPTO] = "crypto",
};

const char *
sasl_error_name(enum sasl_err e)
{
	if ((unsigned)e < sizeof errnames / sizeof errnames[0] &&
	    errnames[e] != NULL)
		return errnames[e];
	return "unknown";
}

/* ---- base64 ---- */

static int
b64val(unsigned char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(alphabet, c) : NULL;

	return p != NULL ? (int)(p - alphabet) : -1;
}

int
sasl_b64_encode(char *out, size_t n, const unsigned char *in, size_t len)
{
	if (len > B64_IN_MAX || n < SASL_B64_ENCLEN(len) + 1)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int
sasl_b64_decode(unsigned char *out, size_t n, const char *in, size_t len)
{
	size_t pad = 0, i;
	int r;

	if (len > B64_IN_MAX || len % 4 != 0 || n < SASL_B64_DECLEN(len))
		return -1;
	if (len == 0)
		return 0;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++)
		if (b64val((unsigned char)in[i]) < 0)
			return -1;
	/* Canonical: the bits after the last byte must be zero. */
	if (pad == 1 && (b64val((unsigned char)in[len - 2]) & 0x03) != 0)
		return -1;
	if (pad == 2 && (b64val((unsigned char)in[len - 3]) & 0x0f) != 0)
		return -1;
	r = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	if (r < 0 || (size_t)r != SASL_B64_DECLEN(len))
		return -1;
	return r - (int)pad;
}

/* ---- building a message ---- */

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

enum sasl_err
sasl_check_user(const char *user, size_t *len)
{
	size_t i, l;

	if (user == NULL)
		return SASL_E_USER;
	l = strnlen(user, SASL_USER_MAX + 1);
	if (l == 0 || l > SASL_USER_MAX)
		return SASL_E_USER;
	for (i = 0; i < l; i++)
		if (is_ctl((unsigned char)user[i]))
			return SASL_E_USER;
	*len = l;
	return SASL_OK;
}

void
sasl_out_init(struct sasl_out *b, char *p, size_t n)
{
	b->p = p;
	b->n = n;
	b->len = 0;
	b->over = n == 0;
	if (n > 0)
		p[0] = '\0';
}

void
sasl_out_put(struct sasl_out *b, const void *s, size_t len)
{
	if (b->over || len >= b->n - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
sasl_out_str(struct sasl_out *b, const char *s)
{
	sasl_out_put(b, s, strlen(s));
}

void
sasl_out_saslname(struct sasl_out *b, const char *user, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (user[i] == ',')
			sasl_out_str(b, "=2C");
		else if (user[i] == '=')
			sasl_out_str(b, "=3D");
		else
			sasl_out_put(b, user + i, 1);
	}
}

enum sasl_err
sasl_out_done(struct sasl_out *b, size_t *outlen)
{
	if (b->over) {
		if (b->n > 0)
			OPENSSL_cleanse(b->p, b->n);
		*outlen = 0;
		return SASL_E_SPACE;
	}
	*outlen = b->len;
	return SASL_OK;
}

/* ---- PLAIN ---- */

enum sasl_err
sasl_plain(char *out, size_t n, size_t *outlen, const char *user,
    size_t userlen, const char *pass, size_t passlen)
{
	struct sasl_out b;

	*outlen = 0;
	if (userlen == 0 || userlen > SASL_USER_MAX ||
	    memchr(user, '\0', userlen) != NULL)
		return SASL_E_USER;
	if (passlen == 0 || passlen > SASL_SECRET_MAX ||
	    memchr(pass, '\0', passlen) != NULL)
		return SASL_E_SECRET;
	sasl_out_init(&b, out, n);
	sasl_out_put(&b, "", 1);
	sasl_out_put(&b, user, userlen);
	sasl_out_put(&b, "", 1);
	sasl_out_put(&b, pass, passlen);
	return sasl_out_done(&b, outlen);
}

/* ---- choosing a mechanism ---- */

static const struct {
	const char *name;
	enum sasl_mech mech;
} mechs[] = {
	{ "PLAIN", SASL_MECH_PLAIN },
	{ "SCRAM-SHA-256", SASL_MECH_SCRAM_SHA_256 },
	{ "SCRAM-SHA-256-PLUS", SASL_MECH_SCRAM_SHA_256_PLUS },
	{ "OAUTHBEARER", SASL_MECH_OAUTHBEARER },
	{ "XOAUTH2", SASL_MECH_XOAUTH2 },
};

void
sasl_capa_line(const char *line, size_t len, unsigned *set)
{
	size_t pos = 0, start, i;
	int first = 1;

	for (;;) {
		while (pos < len && line[pos] == ' ')
			pos++;
		start = pos;
		while (pos < len && line[pos] != ' ')
			pos++;
		if (pos == start)
			return;
		if (first) {
			if (!ascii_caseeq(line + start, pos - start, "SASL", 4))
				return;
			first = 0;
			continue;
		}
		for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
			if (ascii_caseeq(line + start, pos - start,
			    mechs[i].name, strlen(mechs[i].name)))
				*set |= (unsigned)mechs[i].mech;
	}
}

enum sasl_mech
sasl_choose(unsigned offered, int tls, int cbind)
{
	if ((offered & SASL_MECH_SCRAM_SHA_256_PLUS) && tls && cbind)
		return SASL_MECH_SCRAM_SHA_256_PLUS;
	if (offered & SASL_MECH_SCRAM_SHA_256)
		return SASL_MECH_SCRAM_SHA_256;
	if ((offered & SASL_MECH_PLAIN) && tls)
		return SASL_MECH_PLAIN;
	return SASL_MECH_NONE;
}
