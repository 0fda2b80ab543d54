#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/ascii.h"
#include "common/sasl.h"

#define B64_IN_MAX	(1024 * 1024)
#define NONCE_RANDOM	24	/* bytes of entropy in our nonce */

enum { SC_INIT, SC_FIRST, SC_FINAL, SC_DONE, SC_FAILED };

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
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
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

/* ---- shared helpers ---- */

static int
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* A user name: 1..SASL_USER_MAX bytes, no control characters. */
static enum sasl_err
check_user(const char *user, size_t *len)
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

/* Output buffer with a running length; overflow sticks. */
struct buf {
	char *p;
	size_t n, len;
	int over;
};

static void
put(struct buf *b, const void *s, size_t len)
{
	if (b->over || len >= b->n - b->len) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* RFC 5802 saslname: ',' as =2C and '=' as =3D. */
static void
put_saslname(struct buf *b, const char *user, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (user[i] == ',')
			puts_(b, "=2C");
		else if (user[i] == '=')
			puts_(b, "=3D");
		else
			put(b, user + i, 1);
	}
}

static void
buf_init(struct buf *b, char *p, size_t n)
{
	b->p = p;
	b->n = n;
	b->len = 0;
	b->over = n == 0;
	if (n > 0)
		p[0] = '\0';
}

/* Finish a builder: SASL_E_SPACE (and the partial output wiped) or OK. */
static enum sasl_err
buf_done(struct buf *b, size_t *outlen)
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

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Optional ",x=value" extensions up to the end; values non-empty, no NUL. */
static enum sasl_err
extensions(const char *m, size_t len, size_t pos)
{
	size_t end;

	while (pos < len) {
		if (m[pos] != ',' || len - pos < 3 ||
		    !is_alpha((unsigned char)m[pos + 1]) || m[pos + 2] != '=')
			return SASL_E_SYNTAX;
		pos += 3;
		end = value_end(m, len, pos);
		if (end == pos || memchr(m + pos, '\0', end - pos) != NULL)
			return SASL_E_SYNTAX;
		pos = end;
	}
	return SASL_OK;
}

enum sasl_err
sasl_scram_parse_first(const char *msg, size_t len,
    struct sasl_server_first *f)
{
	unsigned char salt[SASL_B64_DECLEN(SASL_B64_ENCLEN(SASL_SALT_MAX))];
	size_t pos = 0, end, i;
	unsigned long it = 0;
	int r;

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
	if (end == pos || end - pos > SASL_B64_ENCLEN(SASL_SALT_MAX))
		return SASL_E_SALT;
	r = sasl_b64_decode(salt, sizeof salt, msg + pos, end - pos);
	if (r < 0)
		return SASL_E_BASE64;
	if (r == 0 || (size_t)r > SASL_SALT_MAX)
		return SASL_E_SALT;
	memcpy(f->salt, salt, (size_t)r);
	f->saltlen = (size_t)r;
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
	unsigned char v[SASL_B64_DECLEN(SASL_B64_ENCLEN(SASL_HASH_MAX))];
	size_t pos = 0, end, i, k;
	int r;

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
	if (end - pos > SASL_B64_ENCLEN(SASL_HASH_MAX))
		return SASL_E_VERIFY;	/* longer than any signature */
	r = sasl_b64_decode(v, sizeof v, msg + pos, end - pos);
	if (r < 0)
		return SASL_E_BASE64;
	if (r == 0 || (size_t)r > SASL_HASH_MAX)
		return SASL_E_VERIFY;
	memcpy(f->verifier, v, (size_t)r);
	f->vlen = (size_t)r;
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
	struct buf b, o;
	size_t ulen = 0, nlen, i;
	enum sasl_err e;

	*outlen = 0;
	if (s->state != SC_INIT)
		return scram_fail(s, SASL_E_STATE);
	if ((e = check_user(user, &ulen)) != SASL_OK)
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

	buf_init(&b, s->bare, sizeof s->bare);
	puts_(&b, "n=");
	put_saslname(&b, user, ulen);
	puts_(&b, ",r=");
	s->nonceoff = b.len;
	s->noncelen = nlen;
	put(&b, nonce, nlen);
	if (b.over)
		return scram_fail(s, SASL_E_USER);
	s->barelen = b.len;

	buf_init(&o, out, n);
	puts_(&o, s->gs2);
	put(&o, s->bare, s->barelen);
	if ((e = buf_done(&o, outlen)) != SASL_OK)
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
	struct buf a, o;
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
	buf_init(&a, am, sizeof am);
	put(&a, s->bare, s->barelen);
	puts_(&a, ",");
	put(&a, msg, len);
	puts_(&a, ",");
	wpstart = a.len;
	puts_(&a, "c=");
	puts_(&a, cb64);
	puts_(&a, ",r=");
	put(&a, f.nonce, f.noncelen);
	if (a.over)
		return scram_fail(s, SASL_E_SPACE);

	if (!scram_compute(s, password, plen, &f, am, a.len, proof))
		return scram_fail(s, SASL_E_CRYPTO);
	hlen = (size_t)EVP_MD_get_size(scram_md(s));
	sasl_b64_encode(p64, sizeof p64, proof, hlen);
	OPENSSL_cleanse(proof, sizeof proof);

	buf_init(&o, out, n);
	put(&o, am + wpstart, a.len - wpstart);
	puts_(&o, ",p=");
	puts_(&o, p64);
	OPENSSL_cleanse(p64, sizeof p64);
	if ((e = buf_done(&o, outlen)) != SASL_OK)
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

/* ---- PLAIN, OAUTHBEARER, XOAUTH2 ---- */

enum sasl_err
sasl_plain(char *out, size_t n, size_t *outlen, const char *user,
    size_t userlen, const char *pass, size_t passlen)
{
	struct buf b;

	*outlen = 0;
	if (userlen == 0 || userlen > SASL_USER_MAX ||
	    memchr(user, '\0', userlen) != NULL)
		return SASL_E_USER;
	if (passlen == 0 || passlen > SASL_SECRET_MAX ||
	    memchr(pass, '\0', passlen) != NULL)
		return SASL_E_SECRET;
	buf_init(&b, out, n);
	put(&b, "", 1);
	put(&b, user, userlen);
	put(&b, "", 1);
	put(&b, pass, passlen);
	return buf_done(&b, outlen);
}

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
 * "/" ) *"=" */
static enum sasl_err
check_token(const char *token)
{
	size_t i, l;

	if (token == NULL)
		return SASL_E_SECRET;
	l = strnlen(token, SASL_SECRET_MAX + 1);
	if (l == 0 || l > SASL_SECRET_MAX)
		return SASL_E_SECRET;
	for (i = 0; i < l; i++) {
		unsigned char c = (unsigned char)token[i];

		if (is_alpha(c) || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~' || c == '+' || c == '/')
			continue;
		break;
	}
	if (i == 0)
		return SASL_E_SECRET;
	while (i < l && token[i] == '=')
		i++;
	return i == l ? SASL_OK : SASL_E_SECRET;
}

enum sasl_err
sasl_oauthbearer(char *out, size_t n, size_t *outlen, const char *user,
    const char *token)
{
	size_t ulen = 0;
	struct buf b;
	enum sasl_err e;

	*outlen = 0;
	if ((e = check_user(user, &ulen)) != SASL_OK ||
	    (e = check_token(token)) != SASL_OK)
		return e;
	buf_init(&b, out, n);
	puts_(&b, "n,a=");
	put_saslname(&b, user, ulen);
	puts_(&b, ",\001auth=Bearer ");
	puts_(&b, token);
	puts_(&b, "\001\001");
	return buf_done(&b, outlen);
}

enum sasl_err
sasl_xoauth2(char *out, size_t n, size_t *outlen, const char *user,
    const char *token)
{
	size_t ulen = 0;
	struct buf b;
	enum sasl_err e;

	*outlen = 0;
	if ((e = check_user(user, &ulen)) != SASL_OK ||
	    (e = check_token(token)) != SASL_OK)
		return e;
	buf_init(&b, out, n);
	puts_(&b, "user=");
	put(&b, user, ulen);
	puts_(&b, "\001auth=Bearer ");
	puts_(&b, token);
	puts_(&b, "\001\001");
	return buf_done(&b, outlen);
}

/* ---- the OAuth error challenge: just enough JSON ---- */

#define JSON_DEPTH_MAX 16

struct json {
	const unsigned char *s;
	size_t len, pos;
};

/* Where a value's text goes: NULL to skip it. */
struct sink {
	char *p;
	size_t len, max;
};

static void
sink_put(struct sink *k, char c)
{
	if (k != NULL && k->len < k->max)
		k->p[k->len++] = c;
}

static void
json_ws(struct json *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' ||
	    j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
	    j->s[j->pos] == '\r'))
		j->pos++;
}

/* A string at j->pos (the opening quote). 0, or -1 on malformed input. */
static int
json_string(struct json *j, struct sink *k)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	unsigned v;
	size_t i;
	int h;

	if (j->pos >= j->len || j->s[j->pos] != '"')
		return -1;
	j->pos++;
	while (j->pos < j->len) {
		unsigned char c = j->s[j->pos++];

		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			sink_put(k, (char)c);
			continue;
		}
		if (j->pos >= j->len)
			return -1;
		c = j->s[j->pos++];
		if (c == 'u') {
			if (j->len - j->pos < 4)
				return -1;
			for (v = 0, i = 0; i < 4; i++) {
				if ((h = ascii_hexval(j->s[j->pos++])) < 0)
					return -1;
				v = v * 16 + (unsigned)h;
			}
			sink_put(k, v == 0 || v > 0x7f ? '?' : (char)v);
			continue;
		}
		for (i = 0; esc[i] != '\0'; i += 2)
			if (esc[i] == (char)c)
				break;
		if (esc[i] == '\0')
			return -1;
		sink_put(k, esc[i + 1]);
	}
	return -1;
}

static int json_value(struct json *j, int depth, struct sink *k);

/* An object or array at j->pos; members are skipped. */
static int
json_container(struct json *j, int depth)
{
	unsigned char close = j->s[j->pos] == '{' ? '}' : ']';

	if (depth >= JSON_DEPTH_MAX)
		return -1;
	j->pos++;
	json_ws(j);
	if (j->pos < j->len && j->s[j->pos] == close) {
		j->pos++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (json_string(j, NULL) < 0)
				return -1;
			json_ws(j);
			if (j->pos >= j->len || j->s[j->pos++] != ':')
				return -1;
			json_ws(j);
		}
		if (json_value(j, depth + 1, NULL) < 0)
			return -1;
		json_ws(j);
		if (j->pos >= j->len)
			return -1;
		if (j->s[j->pos] == close) {
			j->pos++;
			return 0;
		}
		if (j->s[j->pos++] != ',')
			return -1;
		json_ws(j);
	}
}

/* A number or a literal: copied as text. */
static int
json_scalar(struct json *j, struct sink *k)
{
	static const char *const lit[] = { "true", "false", "null" };
	unsigned char c = j->s[j->pos];
	size_t i, l, m, start = j->pos;

	if (c == '-' || (c >= '0' && c <= '9')) {
		while (j->pos < j->len && j->s[j->pos] != '\0' &&
		    (strchr("+-.eE", j->s[j->pos]) != NULL ||
		    (j->s[j->pos] >= '0' && j->s[j->pos] <= '9')))
			sink_put(k, (char)j->s[j->pos++]);
		return 0;
	}
	for (i = 0; i < sizeof lit / sizeof lit[0]; i++) {
		l = strlen(lit[i]);
		if (j->len - start >= l && memcmp(j->s + start, lit[i], l) == 0) {
			for (m = 0; m < l; m++)
				sink_put(k, lit[i][m]);
			j->pos += l;
			return 0;
		}
	}
	return -1;
}

static int
json_value(struct json *j, int depth, struct sink *k)
{
	if (j->pos >= j->len)
		return -1;
	switch (j->s[j->pos]) {
	case '"':
		return json_string(j, k);
	case '{':
	case '[':
		return json_container(j, depth);
	default:
		return json_scalar(j, k);
	}
}

/* The top-level object, keeping the members we log. */
static int
json_top(struct json *j, struct sasl_oauth_error *e)
{
	char key[16], val[SASL_OAUTH_FIELD_MAX + 1], *dst;
	struct sink ks, vs;

	json_ws(j);
	if (j->pos >= j->len || j->s[j->pos++] != '{')
		return -1;
	json_ws(j);
	if (j->pos < j->len && j->s[j->pos] == '}') {
		j->pos++;
		return 0;
	}
	for (;;) {
		ks.p = key;
		ks.len = 0;
		ks.max = sizeof key - 1;
		if (json_string(j, &ks) < 0)
			return -1;
		key[ks.len] = '\0';
		json_ws(j);
		if (j->pos >= j->len || j->s[j->pos++] != ':')
			return -1;
		json_ws(j);
		vs.p = val;
		vs.len = 0;
		vs.max = SASL_OAUTH_FIELD_MAX;
		if (json_value(j, 1, &vs) < 0)
			return -1;
		val[vs.len] = '\0';
		dst = NULL;
		if (strcmp(key, "status") == 0)
			dst = e->status;
		else if (strcmp(key, "scope") == 0)
			dst = e->scope;
		else if (strcmp(key, "schemes") == 0)
			dst = e->schemes;
		if (dst != NULL)
			memcpy(dst, val, vs.len + 1);
		json_ws(j);
		if (j->pos >= j->len)
			return -1;
		if (j->s[j->pos] == '}') {
			j->pos++;
			return 0;
		}
		if (j->s[j->pos++] != ',')
			return -1;
		json_ws(j);
	}
}

enum sasl_err
sasl_oauth_error_parse(const char *b64, size_t len,
    struct sasl_oauth_error *e)
{
	unsigned char raw[SASL_B64_DECLEN(SASL_CHALLENGE_MAX)];
	struct json j;
	int r;

	memset(e, 0, sizeof *e);
	if (len > SASL_CHALLENGE_MAX)
		return SASL_E_SYNTAX;
	r = sasl_b64_decode(raw, sizeof raw, b64, len);
	if (r < 0)
		return SASL_E_BASE64;
	j.s = raw;
	j.len = (size_t)r;
	j.pos = 0;
	if (json_top(&j, e) < 0)
		return SASL_E_SYNTAX;
	json_ws(&j);
	return j.pos == j.len ? SASL_OK : SASL_E_SYNTAX;
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

/* 1 when s[0..len) is word, ignoring ASCII case. */
static int
word_is(const char *s, size_t len, const char *word)
{
	size_t i;

	if (strlen(word) != len)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char a = (unsigned char)s[i];

		if (a >= 'a' && a <= 'z')
			a = (unsigned char)(a - 'a' + 'A');
		if (a != (unsigned char)word[i])
			return 0;
	}
	return 1;
}

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
			if (!word_is(line + start, pos - start, "SASL"))
				return;
			first = 0;
			continue;
		}
		for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
			if (word_is(line + start, pos - start, mechs[i].name))
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

enum sasl_cb
sasl_scram_cb(unsigned offered, int have, int works)
{
	if (offered & SASL_MECH_SCRAM_SHA_256_PLUS)
		return have && works ? SASL_CB_BIND : SASL_CB_NONE;
	return have ? SASL_CB_SUPPORTED : SASL_CB_NONE;
}
