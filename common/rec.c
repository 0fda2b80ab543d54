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
	if (nfield != 3)
		return REC_FIELDS;
	if (field[0][0] == '\0' || field[1][0] == '\0')
		return REC_EMPTY_FIELD;
	r->path = field[0];
	r->rcpt = field[1];
	r->sender = field[2];
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
