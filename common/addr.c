#include <stdio.h>
#include <string.h>

#include "common/ascii.h"
#include "common/addr.h"

const char *
addr_error_name(enum addr_error e)
{
	switch (e) {
	case ADDR_OK:		return "ok";
	case ADDR_END:		return "end";
	case ADDR_EMPTY:	return "empty";
	case ADDR_NULL:		return "null";
	case ADDR_ROUTE:	return "source-route";
	case ADDR_SYNTAX:	return "syntax";
	case ADDR_LOCAL_LONG:	return "local-part-too-long";
	case ADDR_DOMAIN_LONG:	return "domain-too-long";
	case ADDR_CONTROL:	return "control-character";
	case ADDR_UTF8:		return "bad-utf8";
	case ADDR_ENCODED:	return "encoded-word";
	case ADDR_IDN:		return "bad-idn";
	case ADDR_DOMAIN_8BIT:	return "non-ascii-domain";
	}
	return "unknown";
}

int
addr_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
wsp(char c)
{
	return c == ' ' || c == '\t';
}

size_t
addr_utf8_len(const unsigned char *s, size_t n)
{
	unsigned long cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	return len;
}

/* A dot-atom of len bytes (atext and UTF-8, dots only between atoms). */
static enum addr_error
dot_atom(const char *s, size_t len)
{
	size_t i = 0;
	int after_dot = 1;

	if (len == 0)
		return ADDR_EMPTY;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (after_dot)
				return ADDR_SYNTAX;
			after_dot = 1;
			i++;
		} else if (c >= 0x80) {
			size_t k = addr_utf8_len((const unsigned char *)s + i,
			    len - i);

			if (k == 0)
				return ADDR_UTF8;
			i += k;
			after_dot = 0;
		} else if (addr_atext(c)) {
			i++;
			after_dot = 0;
		} else {
			return ADDR_SYNTAX;
		}
	}
	return after_dot ? ADDR_SYNTAX : ADDR_OK;
}

/* 1 when all len bytes at s are well-formed UTF-8. */
static int
utf8_all(const char *s, size_t len)
{
	size_t i = 0, k;

	while (i < len) {
		if ((k = addr_utf8_len((const unsigned char *)s + i,
		    len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

static enum addr_error
domain_check(const char *s, size_t len, char *out)
{
	size_t i, label = 0;

	if (len == 0)
		return ADDR_EMPTY;
	if (len > ADDR_DOMAIN_MAX)
		return ADDR_DOMAIN_LONG;
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			const char *l = s + i - label;

			if (label == 0)
				return ADDR_SYNTAX;
			if (label > 63)
				return ADDR_DOMAIN_LONG;
			/* "xn--" must carry something; "??--" is reserved */
			if (label >= 4 && l[2] == '-' && l[3] == '-') {
				if (ascii_lower((unsigned char)l[0]) != 'x' ||
				    ascii_lower((unsigned char)l[1]) != 'n' ||
				    label == 4)
					return ADDR_IDN;
			}
			if (l[0] == '-' || l[label - 1] == '-')
				return ADDR_SYNTAX;
			label = 0;
			continue;
		}
		if ((unsigned char)c >= 0x80)
			return utf8_all(s + i, len - i) ? ADDR_DOMAIN_8BIT :
			    ADDR_UTF8;
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return ADDR_CONTROL;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return ADDR_SYNTAX;
		label++;
	}
	if (out != NULL) {
		for (i = 0; i < len; i++)
			out[i] = (char)ascii_lower((unsigned char)s[i]);
		out[len] = '\0';
	}
	return ADDR_OK;
}

enum addr_error
addr_domain_check(char *domain)
{
	return domain_check(domain, strlen(domain), domain);
}

/* A quoted string starting at s[0] == '"'; returns its length with both
 * quotes, or 0 when unterminated or holding a byte RFC 5321 forbids. */
static size_t
quoted(const char *s, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (++i >= len)
				return 0;
			c = (unsigned char)s[i];
			if (c < 0x20 || c > 0x7e)
				return 0;
		} else if (c < 0x20 || c > 0x7e) {
			return 0;
		}
	}
	return 0;
}

enum addr_error
addr_parse_spec(const char *s, size_t len, struct addr *a)
{
	size_t i, at;
	enum addr_error e;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ADDR_CONTROL;
	if (len == 0)
		return ADDR_EMPTY;
	if (s[0] == '@')
		return ADDR_ROUTE;
	if (s[0] == '"') {
		size_t q = quoted(s, len);
		char un[ADDR_LOCAL_MAX + 1];
		size_t n = 0;

		if (q == 0)
			return ADDR_SYNTAX;
		if (q >= len || s[q] != '@')
			return ADDR_SYNTAX;
		at = q;
		if (q == 2)
			return ADDR_EMPTY;
		if (q > ADDR_LOCAL_MAX)
			return ADDR_LOCAL_LONG;
		for (i = 1; i + 1 < q; i++) {
			if (s[i] == '\\')
				i++;
			un[n++] = s[i];
		}
		un[n] = '\0';
		if (dot_atom(un, n) == ADDR_OK &&
		    !(n >= 4 && un[0] == '=' && un[1] == '?')) {
			memcpy(a->local, un, n + 1);
		} else {
			memcpy(a->local, s, q);
			a->local[q] = '\0';
		}
	} else {
		const char *p = memchr(s, '@', len);

		if (p == NULL)
			return ADDR_SYNTAX;
		at = (size_t)(p - s);
		if ((e = dot_atom(s, at)) != ADDR_OK)
			return e;
		if (at > ADDR_LOCAL_MAX)
			return ADDR_LOCAL_LONG;
		if (at >= 4 && s[0] == '=' && s[1] == '?' && s[at - 1] == '=' &&
		    s[at - 2] == '?')
			return ADDR_ENCODED;
		memcpy(a->local, s, at);
		a->local[at] = '\0';
	}
	return domain_check(s + at + 1, len - at - 1, a->domain);
}

/* Skip a comment starting at s[*i] == '('; 0, or -1 when unterminated. */
static int
skip_comment(const char *s, size_t len, size_t *i)
{
	size_t depth = 0;

	for (; *i < len; (*i)++) {
		char c = s[*i];

		if (c == '\\') {
			(*i)++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0) {
				(*i)++;
				return 0;
			}
		}
	}
	return -1;
}

/* Skip white space and comments. 0, or -1 on an unterminated comment. */
static int
skip_cfws(const char *s, size_t len, size_t *i)
{
	while (*i < len) {
		if (wsp(s[*i]))
			(*i)++;
		else if (s[*i] == '(') {
			if (skip_comment(s, len, i) < 0)
				return -1;
		} else
			break;
	}
	return 0;
}

/* A phrase word byte: atext, '.', or (checked later) UTF-8. */
static int
word_byte(unsigned char c)
{
	return addr_atext(c) || c == '.' || c >= 0x80;
}

/* Is there an angle address in this element (from i, up to ',' or end)? */
static int
has_angle(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != ',') {
		if (s[i] == '<')
			return 1;
		if (s[i] == '"') {
			size_t q = quoted(s + i, len - i);

			if (q == 0)
				return 0;
			i += q;
		} else if (s[i] == '(') {
			if (skip_comment(s, len, &i) < 0)
				return 0;
		} else
			i++;
	}
	return 0;
}

/* After an address: only CFWS until ',' (consumed) or the end. */
static enum addr_error
element_end(const char *s, size_t len, size_t *pos, size_t i)
{
	if (skip_cfws(s, len, &i) < 0)
		return ADDR_SYNTAX;
	if (i < len && s[i] != ',')
		return ADDR_SYNTAX;
	*pos = i < len ? i + 1 : i;
	return ADDR_OK;
}

/* Parse the angle form at s[i]: phrase '<' spec '>'. */
static enum addr_error
angle(const char *s, size_t len, size_t *pos, size_t i, struct addr *a)
{
	size_t start, j;
	enum addr_error e;

	/* the display name: words, quoted strings, comments */
	while (i < len && s[i] != '<') {
		if (wsp(s[i])) {
			i++;
		} else if (s[i] == '(') {
			if (skip_comment(s, len, &i) < 0)
				return ADDR_SYNTAX;
		} else if (s[i] == '"') {
			size_t q = quoted(s + i, len - i);

			if (q == 0)
				return ADDR_SYNTAX;
			i += q;
		} else if (word_byte((unsigned char)s[i])) {
			if ((unsigned char)s[i] >= 0x80) {
				size_t k = addr_utf8_len((const unsigned char *)s + i,
				    len - i);

				if (k == 0)
					return ADDR_UTF8;
				i += k;
			} else
				i++;
		} else {
			return ADDR_SYNTAX;
		}
	}
	if (i >= len)
		return ADDR_SYNTAX;
	start = ++i;
	/* find '>' outside a quoted local part */
	j = start;
	if (j < len && s[j] == '"') {
		size_t q = quoted(s + j, len - j);

		if (q == 0)
			return ADDR_SYNTAX;
		j += q;
	}
	while (j < len && s[j] != '>')
		j++;
	if (j >= len)
		return ADDR_SYNTAX;
	if (j == start)
		return ADDR_NULL;
	e = addr_parse_spec(s + start, j - start, a);
	if (e != ADDR_OK)
		return e;
	return element_end(s, len, pos, j + 1);
}

enum addr_error
addr_list_next(const char *s, size_t len, size_t *pos, struct addr *a)
{
	size_t i = *pos, start;

	/* the whole value once, at the first address: again at each one
	 * made a list of n addresses cost n times its length */
	if (*pos == 0)
		for (start = 0; start < len; start++)
			if (((unsigned char)s[start] < 0x20 &&
			    s[start] != '\t') || s[start] == 0x7f)
				return ADDR_CONTROL;
	for (;;) {
		if (skip_cfws(s, len, &i) < 0)
			return ADDR_SYNTAX;
		if (i >= len) {
			*pos = i;
			return ADDR_END;
		}
		if (s[i] != ',')
			break;
		i++;
	}
	if (has_angle(s, len, i))
		return angle(s, len, pos, i, a);
	/* a bare addr-spec: a run up to white space, '(' or ',' */
	start = i;
	if (s[i] == '"') {
		size_t q = quoted(s + i, len - i);

		if (q == 0)
			return ADDR_SYNTAX;
		i += q;
	}
	while (i < len && !wsp(s[i]) && s[i] != '(' && s[i] != ',')
		i++;
	{
		enum addr_error e = addr_parse_spec(s + start, i - start, a);

		if (e != ADDR_OK)
			return e;
	}
	return element_end(s, len, pos, i);
}

enum addr_error
addr_parse_path(const char *s, size_t len, struct addr *a)
{
	size_t pos = 0;
	struct addr extra;
	enum addr_error e = addr_list_next(s, len, &pos, a);

	if (e == ADDR_END)
		return ADDR_EMPTY;
	if (e != ADDR_OK)
		return e;
	/* exactly one address, and no trailing comma */
	if (pos > 0 && s[pos - 1] == ',')
		return ADDR_SYNTAX;
	e = addr_list_next(s, len, &pos, &extra);
	return e == ADDR_END ? ADDR_OK : ADDR_SYNTAX;
}

int
addr_format(const struct addr *a, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s@%s", a->local, a->domain);

	if (len < 0 || (size_t)len >= n)
		return -1;
	return len;
}

long
addr_detail_at(const char *local, size_t len, const char *delims)
{
	size_t at;

	if (delims == NULL || delims[0] == '\0')
		return -1;
	for (at = 0; at < len && local[at] != '\0' &&
	    strchr(delims, local[at]) == NULL; at++)
		;
	return at == 0 || at == len || local[at] == '\0' ? -1 : (long)at;
}

int
addr_delimiters_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 16)
		return 0;
	for (; *s != '\0'; s++)
		if (!addr_atext((unsigned char)*s))
			return 0;
	return 1;
}
