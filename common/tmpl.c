#include <string.h>

#include "common/ascii.h"
#include "common/addr.h"
#include "common/tmpl.h"

static size_t
root_length(const char *tmpl)
{
	const char *pct = strchr(tmpl, '%');
	size_t end = pct != NULL ? (size_t)(pct - tmpl) : strlen(tmpl);
	size_t i, root = 0;

	for (i = 0; i < end; i++)
		if (tmpl[i] == '/')
			root = i + 1;
	return root;
}

/* Is value acceptable as a substituted part? */
static enum tmpl_error
check_value(const char *v, size_t len)
{
	size_t i;

	if (len == 0)
		return TMPL_EMPTY;
	if (v[0] == '.')
		return TMPL_DOT;	/* covers "." and ".." too */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '/')
			return TMPL_SLASH;
		if (c < 0x20 || c == 0x7f)
			return TMPL_CONTROL;
	}
	if (len > TMPL_COMPONENT_MAX)
		return TMPL_TOO_LONG;
	return TMPL_OK;
}

/* Check the components of a tail (after ROOT). */
static enum tmpl_error
check_tail(const char *tail, size_t len, int expanded)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && tail[j] != '/')
			j++;
		if ((j - i == 1 && tail[i] == '.') ||
		    (j - i == 2 && tail[i] == '.' && tail[i + 1] == '.'))
			return expanded ? TMPL_DOT : TMPL_BAD_TEMPLATE;
		if (j - i > TMPL_COMPONENT_MAX)
			return expanded ? TMPL_TOO_LONG : TMPL_BAD_TEMPLATE;
		i = j + 1;
	}
	return TMPL_OK;
}

enum tmpl_error
tmpl_check(const char *tmpl, size_t *rootlen)
{
	size_t i, len = strlen(tmpl);

	*rootlen = root_length(tmpl);
	if (len == 0 || *rootlen == len)
		return TMPL_BAD_TEMPLATE;	/* nothing to deliver into */
	for (i = 0; i < len; i++) {
		if (tmpl[i] != '%')
			continue;
		i++;
		if (tmpl[i] != 'l' && tmpl[i] != 'd' && tmpl[i] != 'a' &&
		    tmpl[i] != 'e' && tmpl[i] != '%')
			return TMPL_BAD_TEMPLATE;
	}
	/* "%%" cannot make "." or "..": checking the raw tail suffices. */
	return check_tail(tmpl + *rootlen, len - *rootlen, 0);
}

static int
put(char *out, size_t n, size_t *o, const char *s, size_t len)
{
	if (len >= n - *o)
		return -1;
	memcpy(out + *o, s, len);
	*o += len;
	return 0;
}

/* Copy s (len bytes) to the output, ASCII letters lower-cased. */
static int
put_lower(char *out, size_t n, size_t *o, const char *s, size_t len)
{
	size_t start = *o, k;

	if (put(out, n, o, s, len) < 0)
		return -1;
	for (k = start; k < *o; k++)
		out[k] = (char)ascii_lower((unsigned char)out[k]);
	return 0;
}

/* The value of %x for an address split into local (user + detail) and
 * domain; the detail may be empty, every other value not. */
static enum tmpl_error
value(char x, const struct tmpl_parts *p, const char **v, size_t *vlen)
{
	switch (x) {
	case 'l':	*v = p->local; *vlen = p->userlen; break;
	case 'd':	*v = p->domain; *vlen = p->domlen; break;
	case 'a':	*v = p->local; *vlen = p->addrlen; break;
	case 'e':	*v = p->detail; *vlen = p->detlen;
			return *vlen == 0 ? TMPL_OK : check_value(*v, *vlen);
	default:	*v = "%"; *vlen = 1; return TMPL_OK;	/* "%%" */
	}
	return check_value(*v, *vlen);
}

enum tmpl_error
tmpl_parts(const char *addr, const char *delims, struct tmpl_parts *p)
{
	const char *at = strrchr(addr, '@');
	long d;

	if (at == NULL || at == addr || at[1] == '\0')
		return TMPL_BAD_ADDRESS;
	p->local = addr;
	p->addrlen = strlen(addr);
	p->userlen = (size_t)(at - addr);
	p->domain = at + 1;
	p->domlen = strlen(at + 1);
	p->detail = at;
	p->detlen = 0;
	if ((d = addr_detail_at(addr, p->userlen, delims)) >= 0) {
		p->detail = addr + d + 1;
		p->detlen = p->userlen - (size_t)d - 1;
		p->userlen = (size_t)d;
	}
	return TMPL_OK;
}

enum tmpl_error
tmpl_expand(const char *tmpl, const char *addr, const char *delims,
    char *out, size_t n, size_t *rootlen)
{
	struct tmpl_parts p;
	size_t root, o = 0, i;
	enum tmpl_error e;

	if (n == 0)
		return TMPL_TOO_LONG;
	if ((e = tmpl_check(tmpl, &root)) != TMPL_OK ||
	    (e = tmpl_parts(addr, delims, &p)) != TMPL_OK)
		return e;
	if (root == 0) {
		if (put(out, n, &o, "./", 2) < 0)
			return TMPL_TOO_LONG;
	} else if (put(out, n, &o, tmpl, root) < 0) {
		return TMPL_TOO_LONG;
	}
	*rootlen = o;
	for (i = root; tmpl[i] != '\0'; i++) {
		const char *v;
		size_t vlen;
		int r;

		if (tmpl[i] != '%') {
			if (put(out, n, &o, tmpl + i, 1) < 0)
				return TMPL_TOO_LONG;
			continue;
		}
		i++;
		if ((e = value(tmpl[i], &p, &v, &vlen)) != TMPL_OK)
			return e;
		r = tmpl[i] == 'l' ? put_lower(out, n, &o, v, vlen) :
		    put(out, n, &o, v, vlen);
		if (r < 0)
			return TMPL_TOO_LONG;
	}
	out[o] = '\0';
	return check_tail(out + *rootlen, o - *rootlen, 1);
}

const char *
tmpl_error_name(enum tmpl_error e)
{
	switch (e) {
	case TMPL_OK:		return "ok";
	case TMPL_BAD_TEMPLATE:	return "bad-template";
	case TMPL_BAD_ADDRESS:	return "bad-address";
	case TMPL_EMPTY:	return "empty-part";
	case TMPL_SLASH:	return "slash-in-part";
	case TMPL_DOT:		return "dot-part";
	case TMPL_CONTROL:	return "control-character";
	case TMPL_TOO_LONG:	return "too-long";
	}
	return "unknown";
}
