#include <string.h>

#include "common/ascii.h"
#include "common/oauth.h"

/* ---- OAUTHBEARER, XOAUTH2 ---- */

/* RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" /
 * "/" ) *"=" */
static enum sasl_err
check_token(const char *token)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~+/";
	size_t len, i;

	if (token == NULL || (len = strnlen(token, SASL_SECRET_MAX + 1)) == 0 ||
	    len > SASL_SECRET_MAX || (i = strspn(token, chars)) == 0)
		return SASL_E_SECRET;
	i += strspn(token + i, "=");
	return i == len ? SASL_OK : SASL_E_SECRET;
}

/* The two messages differ only in how they name the user. */
static enum sasl_err
bearer(char *out, size_t n, size_t *outlen, const char *user,
    const char *token, int xoauth2)
{
	size_t ulen = 0;
	struct sasl_out b;
	enum sasl_err e;

	*outlen = 0;
	if ((e = sasl_check_user(user, &ulen)) != SASL_OK ||
	    (e = check_token(token)) != SASL_OK)
		return e;
	sasl_out_init(&b, out, n);
	if (xoauth2) {
		sasl_out_str(&b, "user=");
		sasl_out_put(&b, user, ulen);
	} else {
		sasl_out_str(&b, "n,a=");
		sasl_out_saslname(&b, user, ulen);
		sasl_out_str(&b, ",");
	}
	sasl_out_str(&b, "\001auth=Bearer ");
	sasl_out_str(&b, token);
	sasl_out_str(&b, "\001\001");
	return sasl_out_done(&b, outlen);
}

enum sasl_err
sasl_oauthbearer(char *out, size_t n, size_t *outlen, const char *user,
    const char *token)
{
	return bearer(out, n, outlen, user, token, 0);
}

enum sasl_err
sasl_xoauth2(char *out, size_t n, size_t *outlen, const char *user,
    const char *token)
{
	return bearer(out, n, outlen, user, token, 1);
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

/* After a member or an element: 1 when close ends the container, 0 when
 * a ',' leads to the next one, -1 on malformed input. */
static int
json_next(struct json *j, unsigned char close)
{
	json_ws(j);
	if (j->pos >= j->len)
		return -1;
	if (j->s[j->pos] == close) {
		j->pos++;
		return 1;
	}
	if (j->s[j->pos++] != ',')
		return -1;
	json_ws(j);
	return 0;
}

/* A member's key and its ':'; the key's first bytes into key (size n)
 * unless key is NULL. */
static int
json_key(struct json *j, char *key, size_t n)
{
	struct sink ks = { key, 0, n - 1 };

	if (json_string(j, key != NULL ? &ks : NULL) < 0)
		return -1;
	if (key != NULL)
		key[ks.len] = '\0';
	json_ws(j);
	if (j->pos >= j->len || j->s[j->pos++] != ':')
		return -1;
	json_ws(j);
	return 0;
}

/* Where the value of member key goes: a field of e, or NULL. */
static char *
json_field(struct sasl_oauth_error *e, const char *key)
{
	if (e == NULL)
		return NULL;
	if (strcmp(key, "status") == 0)
		return e->status;
	if (strcmp(key, "scope") == 0)
		return e->scope;
	if (strcmp(key, "schemes") == 0)
		return e->schemes;
	return NULL;
}

/* An object or array at j->pos. Its members are skipped, except that in
 * the top-level object (e not NULL) those we log are kept in e. */
static int
json_container(struct json *j, int depth, struct sasl_oauth_error *e)
{
	unsigned char close = j->s[j->pos] == '{' ? '}' : ']';
	char key[16] = "", val[SASL_OAUTH_FIELD_MAX + 1], *dst;
	struct sink vs;
	int r;

	if (depth >= JSON_DEPTH_MAX)
		return -1;
	j->pos++;
	json_ws(j);
	if (j->pos < j->len && j->s[j->pos] == close) {
		j->pos++;
		return 0;
	}
	do {
		if (close == '}' && json_key(j, e != NULL ? key : NULL,
		    sizeof key) < 0)
			return -1;
		vs.p = val;
		vs.len = 0;
		vs.max = SASL_OAUTH_FIELD_MAX;
		if (json_value(j, depth + 1, e != NULL ? &vs : NULL) < 0)
			return -1;
		if ((dst = json_field(e, key)) != NULL) {
			val[vs.len] = '\0';
			memcpy(dst, val, vs.len + 1);
		}
	} while ((r = json_next(j, close)) == 0);
	return r < 0 ? -1 : 0;
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
		return json_container(j, depth, NULL);
	default:
		return json_scalar(j, k);
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
	json_ws(&j);
	if (j.pos >= j.len || j.s[j.pos] != '{' || json_container(&j, 0, e) < 0)
		return SASL_E_SYNTAX;
	json_ws(&j);
	return j.pos == j.len ? SASL_OK : SASL_E_SYNTAX;
}
