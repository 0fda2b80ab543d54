#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/donenote.h"
#include "common/rec.h"

int
donenote_line_format(char *buf, size_t n, int ok, const char *rcpt,
    const char *detail)
{
	const char *word = ok ? "ok" : "fail";
	size_t w = strlen(word), r = strlen(rcpt), o, i;

	for (i = 0; i < r; i++)
		if ((unsigned char)rcpt[i] < 0x20 || rcpt[i] == 0x7f)
			r = 0;	/* could not be read back: refused */
	if (r == 0 || w + r + 3 > n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	o = rec_put_field(buf, word, w);
	o += rec_put_field(buf + o, rcpt, r);
	o += rec_put_clean(buf + o, n - o - 1, detail);
	buf[o++] = '\n';
	return (int)o;
}

enum donenote_state
donenote_line_parse(const char *line, size_t len, const char **rcpt,
    size_t *rlen, const char **detail, size_t *dlen)
{
	enum donenote_state kind;
	const char *p, *tab;
	size_t kw;

	if (len > 3 && memcmp(line, "ok\t", 3) == 0) {
		kind = DONENOTE_OK;
		kw = 3;
	} else if (len > 5 && memcmp(line, "fail\t", 5) == 0) {
		kind = DONENOTE_FAIL;
		kw = 5;
	} else {
		return DONENOTE_NONE;
	}
	p = line + kw;
	if ((tab = memchr(p, '\t', len - kw)) == NULL || tab == p)
		return DONENOTE_NONE;
	*rcpt = p;
	*rlen = (size_t)(tab - p);
	*detail = tab + 1;
	*dlen = len - kw - *rlen - 1;
	return kind;
}

enum donenote_state
donenote_find(const char *buf, size_t len, const char *rcpt, char *detail,
    size_t n)
{
	enum donenote_state st = DONENOTE_NONE;
	size_t want = strlen(rcpt), i = 0;

	while (i < len) {
		const char *line = buf + i, *nl, *r, *d;
		size_t llen, rl, dl;
		enum donenote_state kind;

		nl = memchr(line, '\n', len - i);
		if (nl == NULL)
			break;		/* torn last line: ignored */
		llen = (size_t)(nl - line);
		i += llen + 1;
		kind = donenote_line_parse(line, llen, &r, &rl, &d, &dl);
		if (kind == DONENOTE_NONE || rl != want ||
		    strncasecmp(r, rcpt, rl) != 0)
			continue;
		st = kind;		/* a later line wins */
		if (n > 0) {
			if (dl >= n)
				dl = n - 1;
			memcpy(detail, d, dl);
			detail[dl] = '\0';
		}
	}
	return st;
}

