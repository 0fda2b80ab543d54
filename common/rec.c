#include <stdio.h>
#include <string.h>

#include "common/rec.h"

static int
control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int
rec_field_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (control((unsigned char)*s))
			return 0;
	return 1;
}

enum rec_error
rec_parse(char *line, size_t len, struct rec *r)
{
	char *field[3];
	size_t i, nfield = 1;

	if (len > REC_LINE_MAX)
		return REC_TOO_LONG;
	if (len == 0 || line[len - 1] != '\n')
		return REC_TRUNCATED;
	len--;
	line[len] = '\0';
	field[0] = line;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\t') {
			if (nfield == 3)
				return REC_FIELDS;
			line[i] = '\0';
			field[nfield++] = line + i + 1;
		} else if (control(c)) {
			return REC_CONTROL;
		}
	}
	if (nfield == 2)
		return REC_FIELDS;
	if (field[0][0] == '\0' || (nfield == 3 && field[1][0] == '\0'))
		return REC_EMPTY_FIELD;
	r->path = field[0];
	r->rcpt = nfield == 3 ? field[1] : NULL;
	r->sender = nfield == 3 ? field[2] : NULL;
	return REC_OK;
}

const char *
rec_error_name(enum rec_error e)
{
	switch (e) {
	case REC_OK:		return "ok";
	case REC_TRUNCATED:	return "truncated";
	case REC_FIELDS:	return "wrong-field-count";
	case REC_EMPTY_FIELD:	return "empty-field";
	case REC_CONTROL:	return "control-character";
	case REC_TOO_LONG:	return "too-long";
	}
	return "unknown";
}

int
rec_format(char *buf, size_t n, const char *path, const char *rcpt,
    const char *sender)
{
	int len;

	if (path[0] == '\0' || rcpt[0] == '\0' || !rec_field_ok(path) ||
	    !rec_field_ok(rcpt) || !rec_field_ok(sender))
		return -1;
	len = snprintf(buf, n, "%s\t%s\t%s\n", path, rcpt, sender);
	if (len < 0 || (size_t)len >= n || len > REC_LINE_MAX)
		return -1;
	return len;
}

int
rec_format_end(char *buf, size_t n, const char *path)
{
	int len;

	if (path[0] == '\0' || !rec_field_ok(path))
		return -1;
	len = snprintf(buf, n, "%s\n", path);
	if (len < 0 || (size_t)len >= n || len > REC_LINE_MAX)
		return -1;
	return len;
}

size_t
rec_put_field(char *out, const char *s, size_t len)
{
	memcpy(out, s, len);
	out[len] = '\t';
	return len + 1;
}

size_t
rec_put_clean(char *out, size_t room, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i < room; i++)
		out[i] = control((unsigned char)s[i]) ? ' ' : s[i];
	return i;
}

const char *
result_word(enum result_kind k)
{
	switch (k) {
	case RESULT_OK:		return "ok";
	case RESULT_DEFER:	return "defer";
	case RESULT_FAIL:	return "fail";
	}
	return "defer";
}

int
result_format(char *buf, size_t n, const char *path, const char *rcpt,
    enum result_kind k, const char *detail)
{
	const char *word = result_word(k);
	size_t lp = strlen(path), lr = strlen(rcpt), lw = strlen(word);
	size_t o;

	if (lp == 0 || lr == 0 || !rec_field_ok(path) || !rec_field_ok(rcpt))
		return -1;
	/* three TABs, the LF and the NUL */
	if (n < lp + lr + lw + 5)
		return -1;
	o = rec_put_field(buf, path, lp);
	o += rec_put_field(buf + o, rcpt, lr);
	o += rec_put_field(buf + o, word, lw);
	o += rec_put_clean(buf + o, n - o - 2, detail);
	buf[o++] = '\n';
	buf[o] = '\0';
	return (int)o;
}
