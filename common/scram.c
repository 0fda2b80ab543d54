#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/ascii.h"
#include "common/scram.h"

#define NONCE_RANDOM	24	/* bytes of entropy in our nonce */

enum { SC_INIT, SC_FIRST, SC_FINAL, SC_DONE, SC_FAILED };

/* ---- SCRAM message parsing ---- */

/* "X=" at *pos. */
static int
attr(const char *m, size_t len, size_t *pos, char name)
{
	if (len - *pos < 2 || m[*pos] != name || m[*pos + 1] != '=')
		return 0;
	*pos += 2;
	return 1;
}

/* The end of the value at pos: the next ',' or the end. */
static size_t
value_end(const char *m, size_t len, size_t pos)
{
	const char *c = memchr(m + pos, ',', len - pos);

	return c ? (size_t)(c - m) : len;
}

/* Optional ",x=value" extensions up to the end; values non-empty, no NUL. */
static enum sasl_err
extensions(const char *m, size_t len, size_t pos)
{
	size_t end;

	while (pos < len) {
		if (m[pos] != ',' || len - pos < 3 ||
		    !ascii_isalpha((unsigned char)m[pos + 1]) || m[pos + 2] != '=')
			return SASL_E_SYNTAX;
		pos += 3;
		end = value_end(m, len, pos);
		if (end == pos || memchr(m + pos, '\0', end - pos) != NULL)
			return SASL_E_SYNTAX;
		pos = end;
	}
	return SASL_OK;
}

/*
 * The base64 value v[0..len) decoded into out: 1..max bytes (max at most
 * SASL_SALT_MAX), their number in *outlen. Empty, too long, or decoding
 * to nothing or to more than max: bad; not canonical: SASL_E_BASE64.
 */
static enum sasl_err
b64_value(const char *v, size_t len, unsigned char *out, size_t max,
    size_t *outlen, enum sasl_err bad)
{
	unsigned char raw[SASL_B64_DECLEN(SASL_B64_ENCLEN(SASL_SALT_MAX))];
	int r;

	if (len == 0 || max > SASL_SALT_MAX || len > SASL_B64_ENCLEN(max))
		return bad;
	r = sasl_b64_decode(raw, sizeof raw, v, len);
	if (r < 0)
		return SASL_E_BASE64;
	if (r == 0 || (size_t)r > max)
		return bad;
	memcpy(out, raw, (size_t)r);
	*outlen = (size_t)r;
	return SASL_OK;
}

enum sasl_err
sasl_scram_parse_first(const char *msg, size_t len,
    struct sasl_server_first *f)
{
	size_t pos = 0, end, i;
	unsigned long it = 0;
	enum sasl_err e;

	memset(f, 0, sizeof *f);
	if (len > SASL_MSG_MAX)
		return SASL_E_SYNTAX;
	if (len >= 2 && msg[0] == 'm' && msg[1] == '=')
		return SASL_E_EXTENSION;

	if (!attr(msg, len, &pos, 'r'))
		return SASL_E_SYNTAX;
	end = value_end(msg, len, pos);
	if (end == pos)
		return SASL_E_SYNTAX;
	for (i = pos; i < end; i++)
		if ((unsigned char)msg[i] < 0x21 || (unsigned char)msg[i] > 0x7e)
			return SASL_E_SYNTAX;
	f->nonce = msg + pos;
	f->noncelen = end - pos;
	pos = end;

	if (pos == len || msg[pos++] != ',' || !attr(msg, len, &pos, 's'))
		return SASL_E_SYNTAX;
	end = value_end(msg, len, pos);
	if ((e = b64_value(msg + pos, end - pos, f->salt, SASL_SALT_MAX,
	    &f->saltlen, SASL_E_SALT)) != SASL_OK)
		return e;
	pos = end;

	if (pos == len || msg[pos++] != ',' || !attr(msg, len, &pos, 'i'))
		return SASL_E_SYNTAX;
	end = value_end(msg, len, pos);
	if (end == pos || msg[pos] == '0')
		return SASL_E_ITER;
	for (i = pos; i < end; i++) {
		if (msg[i] < '0' || msg[i] > '9')
			return SASL_E_ITER;
		it = it * 10 + (unsigned long)(msg[i] - '0');
		if (it > SASL_ITER_MAX)
			return SASL_E_ITER;
	}
	f->iter = it;
	return extensions(msg, len, end);
}

enum sasl_err
sasl_scram_parse_final(const char *msg, size_t len,
    struct sasl_server_final *f)
{
	size_t pos = 0, end, i, k;
	enum sasl_err e;

	memset(f, 0, sizeof *f);
	if (len > SASL_MSG_MAX)
		return SASL_E_SYNTAX;
	if (attr(msg, len, &pos, 'e')) {
		end = value_end(msg, len, pos);
		if (end == pos)
			return SASL_E_SYNTAX;
		for (i = pos, k = 0; i < end; i++) {
			if (msg[i] == '\0' || msg[i] == '=')
				return SASL_E_SYNTAX;
			if (k < SASL_REASON_MAX)
				f->reason[k++] = msg[i];
		}
		f->reason[k] = '\0';
		f->is_error = 1;
		return extensions(msg, len, end);
	}
	if (!attr(msg, len, &pos, 'v'))
		return SASL_E_SYNTAX;
	end = value_end(msg, len, pos);
	if (end == pos)
		return SASL_E_SYNTAX;
	/* too long or too short for any signature: SASL_E_VERIFY */
	if ((e = b64_value(msg + pos, end - pos, f->verifier, SASL_HASH_MAX,
	    &f->vlen, SASL_E_VERIFY)) != SASL_OK)
		return e;
	return extensions(msg, len, end);
}

/* ---- SCRAM client ---- */

static const EVP_MD *
scram_md(const struct sasl_scram *s)
{
	return s->hash == SASL_HASH_SHA1 ? EVP_sha1() : EVP_sha256();
}

/* 1 when name is an RFC 5056 channel binding type name: 1 to
 * SASL_CBNAME_MAX letters, digits, '.' and '-'. */
static int
cbname_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= SASL_CBNAME_MAX || !((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '-'))
			return 0;
	return 1;
}

enum sasl_err
sasl_scram_init(struct sasl_scram *s, enum sasl_hash hash, enum sasl_cb cb,
    const char *cbname, const unsigned char *cbdata, size_t cblen)
{
	memset(s, 0, sizeof *s);
	s->hash = hash == SASL_HASH_SHA1 ? SASL_HASH_SHA1 : SASL_HASH_SHA256;
	s->cb = cb;
	s->state = SC_FAILED;
	if (cb == SASL_CB_BIND) {
		if (!cbname_ok(cbname) || cbdata == NULL || cblen == 0 ||
		    cblen > SASL_CBIND_MAX)
			return SASL_E_CBIND;
		memcpy(s->cbdata, cbdata, cblen);
		s->cblen = cblen;
		snprintf(s->gs2, sizeof s->gs2, "p=%s,,", cbname);
	} else if (cblen != 0 || cbname != NULL ||
	    (cb != SASL_CB_NONE && cb != SASL_CB_SUPPORTED))
		return SASL_E_CBIND;
	else
		snprintf(s->gs2, sizeof s->gs2, "%s",
		    cb == SASL_CB_SUPPORTED ? "y,," : "n,,");
	s->state = SC_INIT;
	return SASL_OK;
}

static enum sasl_err
scram_fail(struct sasl_scram *s, enum sasl_err e)
{
	s->state = SC_FAILED;
	return e;
}

enum sasl_err
sasl_scram_client_first(struct sasl_scram *s, const char *user,
    const char *nonce, char *out, size_t n, size_t *outlen)
{
	unsigned char rnd[NONCE_RANDOM];
	char gen[SASL_B64_ENCLEN(NONCE_RANDOM) + 1];
	struct sasl_out b, o;
	size_t ulen = 0, nlen, i;
	enum sasl_err e;

	*outlen = 0;
	if (s->state != SC_INIT)
		return scram_fail(s, SASL_E_STATE);
	if ((e = sasl_check_user(user, &ulen)) != SASL_OK)
		return scram_fail(s, e);
	if (nonce == NULL) {
		if (RAND_bytes(rnd, sizeof rnd) != 1)
			return scram_fail(s, SASL_E_CRYPTO);
		if (sasl_b64_encode(gen, sizeof gen, rnd, sizeof rnd) < 0)
			return scram_fail(s, SASL_E_CRYPTO);
		nonce = gen;
	}
	nlen = strnlen(nonce, SASL_NONCE_MAX + 1);
	if (nlen == 0 || nlen > SASL_NONCE_MAX)
		return scram_fail(s, SASL_E_SYNTAX);
	for (i = 0; i < nlen; i++)
		if ((unsigned char)nonce[i] < 0x21 ||
		    (unsigned char)nonce[i] > 0x7e || nonce[i] == ',')
			return scram_fail(s, SASL_E_SYNTAX);

	sasl_out_init(&b, s->bare, sizeof s->bare);
	sasl_out_str(&b, "n=");
	sasl_out_saslname(&b, user, ulen);
	sasl_out_str(&b, ",r=");
	s->nonceoff = b.len;
	s->noncelen = nlen;
	sasl_out_put(&b, nonce, nlen);
	if (b.over)
		return scram_fail(s, SASL_E_USER);
	s->barelen = b.len;

	sasl_out_init(&o, out, n);
	sasl_out_str(&o, s->gs2);
	sasl_out_put(&o, s->bare, s->barelen);
	if ((e = sasl_out_done(&o, outlen)) != SASL_OK)
		return scram_fail(s, e);
	s->state = SC_FIRST;
	return SASL_OK;
}

/* HMAC(key, data) into out (hlen bytes). */
static int
hmac(const EVP_MD *md, const unsigned char *key, size_t klen,
    const void *data, size_t dlen, unsigned char *out)
{
	unsigned int olen = 0;

	return HMAC(md, key, (int)klen, data, dlen, out, &olen) != NULL &&
	    olen == (unsigned)EVP_MD_get_size(md);
}

/* The keys and proofs of RFC 5802 section 3; 0 on an OpenSSL failure. */
static int
scram_compute(struct sasl_scram *s, const char *password, size_t plen,
    const struct sasl_server_first *f, const char *am, size_t amlen,
    unsigned char *proof)
{
	const EVP_MD *md = scram_md(s);
	size_t hlen = (size_t)EVP_MD_get_size(md), i;
	unsigned char salted[SASL_HASH_MAX], ckey[SASL_HASH_MAX];
	unsigned char stored[SASL_HASH_MAX], csig[SASL_HASH_MAX];
	unsigned char skey[SASL_HASH_MAX];
	unsigned int dlen = 0;
	int ok;

	ok = hlen <= SASL_HASH_MAX &&
	    PKCS5_PBKDF2_HMAC(password, (int)plen, f->salt, (int)f->saltlen,
		(int)f->iter, md, (int)hlen, salted) == 1 &&
	    hmac(md, salted, hlen, "Client Key", 10, ckey) &&
	    EVP_Digest(ckey, hlen, stored, &dlen, md, NULL) == 1 &&
	    dlen == hlen &&
	    hmac(md, stored, hlen, am, amlen, csig) &&
	    hmac(md, salted, hlen, "Server Key", 10, skey) &&
	    hmac(md, skey, hlen, am, amlen, s->server_sig);
	if (ok)
		for (i = 0; i < hlen; i++)
			proof[i] = ckey[i] ^ csig[i];
	OPENSSL_cleanse(salted, sizeof salted);
	OPENSSL_cleanse(ckey, sizeof ckey);
	OPENSSL_cleanse(stored, sizeof stored);
	OPENSSL_cleanse(csig, sizeof csig);
	OPENSSL_cleanse(skey, sizeof skey);
	return ok;
}

enum sasl_err
sasl_scram_client_final(struct sasl_scram *s, const char *msg, size_t len,
    const char *password, char *out, size_t n, size_t *outlen)
{
	struct sasl_server_first f;
	unsigned char cbin[32 + SASL_CBIND_MAX];
	char cb64[SASL_B64_ENCLEN(sizeof cbin) + 1];
	char am[3 * SASL_MSG_MAX + 256];
	char p64[SASL_B64_ENCLEN(SASL_HASH_MAX) + 1];
	unsigned char proof[SASL_HASH_MAX];
	size_t plen, hlen, wpstart, cbinlen;
	struct sasl_out a, o;
	enum sasl_err e;

	*outlen = 0;
	if (s->state != SC_FIRST)
		return scram_fail(s, SASL_E_STATE);
	if ((e = sasl_scram_parse_first(msg, len, &f)) != SASL_OK)
		return scram_fail(s, e);
	if (f.noncelen <= s->noncelen ||
	    memcmp(f.nonce, s->bare + s->nonceoff, s->noncelen) != 0)
		return scram_fail(s, SASL_E_NONCE);
	if (password == NULL)
		return scram_fail(s, SASL_E_SECRET);
	plen = strnlen(password, SASL_SECRET_MAX + 1);
	if (plen == 0 || plen > SASL_SECRET_MAX)
		return scram_fail(s, SASL_E_SECRET);

	/* c=: base64 of the gs2 header and, for -PLUS, the binding data. */
	cbinlen = strlen(s->gs2);
	memcpy(cbin, s->gs2, cbinlen);
	memcpy(cbin + cbinlen, s->cbdata, s->cblen);
	cbinlen += s->cblen;
	if (sasl_b64_encode(cb64, sizeof cb64, cbin, cbinlen) < 0)
		return scram_fail(s, SASL_E_SPACE);

	/* AuthMessage = bare "," server-first "," final-without-proof */
	sasl_out_init(&a, am, sizeof am);
	sasl_out_put(&a, s->bare, s->barelen);
	sasl_out_str(&a, ",");
	sasl_out_put(&a, msg, len);
	sasl_out_str(&a, ",");
	wpstart = a.len;
	sasl_out_str(&a, "c=");
	sasl_out_str(&a, cb64);
	sasl_out_str(&a, ",r=");
	sasl_out_put(&a, f.nonce, f.noncelen);
	if (a.over)
		return scram_fail(s, SASL_E_SPACE);

	if (!scram_compute(s, password, plen, &f, am, a.len, proof))
		return scram_fail(s, SASL_E_CRYPTO);
	hlen = (size_t)EVP_MD_get_size(scram_md(s));
	sasl_b64_encode(p64, sizeof p64, proof, hlen);
	OPENSSL_cleanse(proof, sizeof proof);

	sasl_out_init(&o, out, n);
	sasl_out_put(&o, am + wpstart, a.len - wpstart);
	sasl_out_str(&o, ",p=");
	sasl_out_str(&o, p64);
	OPENSSL_cleanse(p64, sizeof p64);
	if ((e = sasl_out_done(&o, outlen)) != SASL_OK)
		return scram_fail(s, e);
	s->state = SC_FINAL;
	return SASL_OK;
}

enum sasl_err
sasl_scram_verify(struct sasl_scram *s, const char *msg, size_t len)
{
	struct sasl_server_final f;
	size_t hlen;
	enum sasl_err e;

	if (s->state != SC_FINAL)
		return scram_fail(s, SASL_E_STATE);
	if ((e = sasl_scram_parse_final(msg, len, &f)) != SASL_OK)
		return scram_fail(s, e);
	if (f.is_error) {
		memcpy(s->reason, f.reason, sizeof s->reason);
		return scram_fail(s, SASL_E_SERVER);
	}
	hlen = (size_t)EVP_MD_get_size(scram_md(s));
	if (f.vlen != hlen || CRYPTO_memcmp(f.verifier, s->server_sig,
	    hlen) != 0)
		return scram_fail(s, SASL_E_VERIFY);
	s->state = SC_DONE;
	return SASL_OK;
}

const char *
sasl_scram_reason(const struct sasl_scram *s)
{
	return s->reason;
}

void
sasl_scram_wipe(struct sasl_scram *s)
{
	OPENSSL_cleanse(s, sizeof *s);
	s->state = SC_FAILED;
}

/* ---- the channel binding flag ---- */

enum sasl_cb
sasl_scram_cb(unsigned offered, int have, int works)
{
	if (offered & SASL_MECH_SCRAM_SHA_256_PLUS)
		return have && works ? SASL_CB_BIND : SASL_CB_NONE;
	return have ? SASL_CB_SUPPORTED : SASL_CB_NONE;
}
