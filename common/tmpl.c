#include <string.h>

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
		    tmpl[i] != '%')
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

enum tmpl_error
tmpl_expand(const char *tmpl, const char *addr, char *out, size_t n,
    size_t *rootlen)
{
	const char *at = strrchr(addr, '@');
	size_t root, o = 0, i, loclen, domlen, addrlen = strlen(addr);
	enum tmpl_error e;

	if (n == 0)
		return TMPL_TOO_LONG;
	if ((e = tmpl_check(tmpl, &root)) != TMPL_OK)
		return e;
	if (at == NULL || at == addr || at[1] == '\0')
		return TMPL_BAD_ADDRESS;
	loclen = (size_t)(at - addr);
	domlen = strlen(at + 1);
	if (root == 0) {
		if (put(out, n, &o, "./", 2) < 0)
			return TMPL_TOO_LONG;
	} else if (put(out, n, &o, tmpl, root) < 0) {
		return TMPL_TOO_LONG;
	}
	*rootlen = o;
	for (i = root; tmpl[i] != '\0'; i++) {
		const char *v;
		size_t vlen, start;

		if (tmpl[i] != '%') {
			if (put(out, n, &o, tmpl + i, 1) < 0)
				return TMPL_TOO_LONG;
			continue;
		}
		i++;
		switch (tmpl[i]) {
		case 'l':	v = addr; vlen = loclen; break;
		case 'd':	v = at + 1; vlen = domlen; break;
		case 'a':	v = addr; vlen = addrlen; break;
		default:	v = "%"; vlen = 1; break;	/* "%%" */
		}
		if (tmpl[i] != '%' && (e = check_value(v, vlen)) != TMPL_OK)
			return e;
		start = o;
		if (put(out, n, &o, v, vlen) < 0)
			return TMPL_TOO_LONG;
		if (tmpl[i] == 'l') {
			size_t k;

			for (k = start; k < o; k++)
				if (out[k] >= 'A' && out[k] <= 'Z')
					out[k] = (char)(out[k] - 'A' + 'a');
		}
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
