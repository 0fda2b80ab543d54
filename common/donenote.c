#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ascii.h"
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

/* Copy a found detail (d, dl) into detail (size n, may be 0), cut. */
static void
copy_detail(char *detail, size_t n, const char *d, size_t dl)
{
	if (n == 0)
		return;
	if (dl >= n)
		dl = n - 1;
	memcpy(detail, d, dl);
	detail[dl] = '\0';
}

/* A .why recipient line "RCPT<TAB>ok|fail<TAB>DETAIL", parsed. */
static enum donenote_state
why_line_parse(const char *line, size_t len, const char **rcpt,
    size_t *rlen, const char **detail, size_t *dlen)
{
	const char *t1, *w;
	size_t left;

	if ((t1 = memchr(line, '\t', len)) == NULL || t1 == line)
		return DONENOTE_NONE;
	w = t1 + 1;
	left = len - (size_t)(w - line);
	*rcpt = line;
	*rlen = (size_t)(t1 - line);
	if (left >= 3 && memcmp(w, "ok\t", 3) == 0) {
		*detail = w + 3;
		*dlen = left - 3;
		return DONENOTE_OK;
	}
	if (left >= 5 && memcmp(w, "fail\t", 5) == 0) {
		*detail = w + 5;
		*dlen = left - 5;
		return DONENOTE_FAIL;
	}
	return DONENOTE_NONE;
}

/*
 * rcpt's line in text (len bytes): as a note (why == 0: note lines only,
 * a torn last line ignored, a later line wins) or as a .why (why != 0:
 * its recipient lines too, written whole so a last line without LF
 * counts, and an "ok" anywhere wins: delivered once is delivered).
 */
static enum donenote_state
scan(const char *buf, size_t len, const char *rcpt, char *detail,
    size_t n, int why)
{
	enum donenote_state st = DONENOTE_NONE;
	size_t want = strlen(rcpt), i = 0;

	while (i < len) {
		const char *line = buf + i, *nl, *r, *d;
		size_t llen, rl, dl;
		enum donenote_state kind;

		nl = memchr(line, '\n', len - i);
		if (nl == NULL && !why)
			break;		/* torn last line: ignored */
		llen = nl != NULL ? (size_t)(nl - line) : len - i;
		i += llen + 1;
		kind = donenote_line_parse(line, llen, &r, &rl, &d, &dl);
		if (kind == DONENOTE_NONE && why)
			kind = why_line_parse(line, llen, &r, &rl, &d, &dl);
		if (kind == DONENOTE_NONE || rl != want ||
		    strncasecmp(r, rcpt, rl) != 0 ||
		    (why && kind == DONENOTE_FAIL && st != DONENOTE_NONE))
			continue;
		st = kind;		/* a later line wins (a note) */
		copy_detail(detail, n, d, dl);
		if (why && st == DONENOTE_OK)
			break;
	}
	return st;
}

enum donenote_state
donenote_find(const char *buf, size_t len, const char *rcpt, char *detail,
    size_t n)
{
	return scan(buf, len, rcpt, detail, n, 0);
}

enum donenote_state
donenote_why_find(const char *buf, size_t len, const char *rcpt,
    char *detail, size_t n)
{
	return scan(buf, len, rcpt, detail, n, 1);
}

/* The indexed line at slot k, parsed; DONENOTE_NONE for an empty slot. */
static enum donenote_state
slot_line(const struct donenote_index *ix, const char *buf, size_t k,
    const char **r, size_t *rl, const char **d, size_t *dl)
{
	const char *line, *nl;

	if (ix->slot[k] == 0)
		return DONENOTE_NONE;
	line = buf + ix->slot[k] - 1;
	nl = memchr(line, '\n', ix->len - (ix->slot[k] - 1));
	return donenote_line_parse(line, (size_t)(nl - line), r, rl, d, dl);
}

/* The slot that holds rcpt (rlen bytes), or the empty one it would take
 * (the table is never more than half full). */
static size_t
slot_find(const struct donenote_index *ix, const char *buf,
    const char *rcpt, size_t rlen)
{
	size_t k = (size_t)ascii_hash(rcpt, rlen, 1) & (ix->nslots - 1);
	const char *r, *d;
	size_t rl, dl;

	while (slot_line(ix, buf, k, &r, &rl, &d, &dl) != DONENOTE_NONE &&
	    !(rl == rlen && strncasecmp(r, rcpt, rl) == 0))
		k = (k + 1) & (ix->nslots - 1);
	return k;
}

int
donenote_index_build(struct donenote_index *ix, const char *buf,
    size_t len)
{
	size_t i, lines = 0, off;

	memset(ix, 0, sizeof *ix);
	ix->len = len;
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (lines == 0)
		return 0;
	for (ix->nslots = 16; ix->nslots < 2 * lines; ix->nslots *= 2)
		;
	if ((ix->slot = calloc(ix->nslots, sizeof *ix->slot)) == NULL) {
		ix->nslots = 0;
		return -1;
	}
	for (off = 0; off < len; off = i + 1) {
		const char *nl = memchr(buf + off, '\n', len - off), *r, *d;
		size_t rl, dl;

		if (nl == NULL)
			break;		/* torn last line: ignored */
		i = (size_t)(nl - buf);
		if (donenote_line_parse(buf + off, i - off, &r, &rl, &d,
		    &dl) != DONENOTE_NONE)	/* a later line wins */
			ix->slot[slot_find(ix, buf, r, rl)] = off + 1;
	}
	return 0;
}

enum donenote_state
donenote_index_find(const struct donenote_index *ix, const char *buf,
    const char *rcpt, char *detail, size_t n)
{
	enum donenote_state st;
	const char *r, *d;
	size_t rl, dl;

	if (ix->nslots == 0)
		return DONENOTE_NONE;
	st = slot_line(ix, buf, slot_find(ix, buf, rcpt, strlen(rcpt)), &r,
	    &rl, &d, &dl);
	if (st != DONENOTE_NONE)
		copy_detail(detail, n, d, dl);
	return st;
}

void
donenote_index_free(struct donenote_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof *ix);
}
