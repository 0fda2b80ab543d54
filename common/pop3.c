#include <string.h>

#include "common/ascii.h"
#include "common/pop3.h"

/* Multi-line states: where we are relative to the last CRLF. */
enum {
	S_BOL,		/* at the beginning of a line (after CRLF or +OK CRLF) */
	S_DOT,		/* BOL then "." */
	S_DOTCR,	/* BOL then ".\r" */
	S_MID,		/* inside a line */
	S_CR		/* a "\r" held back: CRLF or a bare CR? */
};

void
pop3_parser_init(struct pop3_parser *p)
{
	memset(p, 0, sizeof *p);
	p->mode = POP3_IDLE;
}

void
pop3_expect(struct pop3_parser *p, enum pop3_mode mode)
{
	p->mode = mode;
	p->state = S_BOL;
	p->linelen = 0;
	p->outlen = 0;
}

int
pop3_idle(const struct pop3_parser *p)
{
	return p->mode == POP3_IDLE && !p->dead;
}

static enum pop3_ev
fail(struct pop3_parser *p, struct pop3_event *e, const char *why)
{
	p->dead = 1;
	p->mode = POP3_IDLE;
	e->error = why;
	return POP3_EV_ERROR;
}

/*
 * Store one byte (not CR) of a status or listing line: 0, or the rule it
 * breaks, as an index into status_err / listing_err.
 */
static const char *const status_err[] = { NULL, "bare LF in status line",
    "NUL in status line", "status line too long" };
static const char *const listing_err[] = { NULL, "bare LF in listing",
    "NUL in listing", "listing line too long" };

static int
line_byte(struct pop3_parser *p, char c)
{
	if (c == '\n')
		return 1;
	if (c == '\0')
		return 2;
	if (p->linelen >= POP3_LINE_MAX - 2)
		return 3;
	p->line[p->linelen++] = c;
	return 0;
}

/* 1 when s[0..len) starts with the token word (case-insensitive) that is
 * followed by end, '/' or ']' (hierarchical response codes). */
static int
code_is(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	if (!ascii_caseprefix(s, len, word))
		return 0;
	return len == n || s[n] == '/' || s[n] == ']';
}

int
pop3_parse_status(const char *line, size_t len, struct pop3_status *st)
{
	size_t rest, i;

	memset(st, 0, sizeof *st);
	for (i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
			return -1;
	if (len >= 3 && memcmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ')) {
		st->kind = POP3_OK;
		rest = 3;
	} else if (len >= 4 && memcmp(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' ')) {
		st->kind = POP3_ERR;
		rest = 4;
	} else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		st->kind = POP3_CONT;
		rest = 1;
	} else
		return -1;
	if (rest < len)
		rest++;		/* the space */
	st->text = line + rest;
	st->textlen = len - rest;
	st->code = POP3_CODE_NONE;
	if (st->kind == POP3_ERR && st->textlen > 1 && st->text[0] == '[') {
		const char *c = st->text + 1;
		const char *end = memchr(c, ']', st->textlen - 1);

		if (end == NULL)
			return 0;	/* "[" without "]": plain text */
		if (code_is(c, (size_t)(end - c), "IN-USE"))
			st->code = POP3_CODE_IN_USE;
		else if (code_is(c, (size_t)(end - c), "LOGIN-DELAY"))
			st->code = POP3_CODE_LOGIN_DELAY;
		else if (code_is(c, (size_t)(end - c), "SYS/TEMP"))
			st->code = POP3_CODE_SYS_TEMP;
		else if (code_is(c, (size_t)(end - c), "SYS/PERM"))
			st->code = POP3_CODE_SYS_PERM;
		else if (code_is(c, (size_t)(end - c), "AUTH"))
			st->code = POP3_CODE_AUTH;
		else
			st->code = POP3_CODE_OTHER;
	}
	return 0;
}

static enum pop3_ev
next_status(struct pop3_parser *p, const char *in, size_t len, size_t *used,
    struct pop3_event *e)
{
	size_t i;
	int bad;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (p->state == S_CR) {
			if (c != '\n')
				return fail(p, e, "bare CR in status line");
			*used = i + 1;
			p->mode = POP3_IDLE;
			p->state = S_BOL;
			if (pop3_parse_status(p->line, p->linelen, &e->status) < 0)
				return fail(p, e, "malformed status line");
			return POP3_EV_STATUS;
		}
		if (c == '\r') {
			p->state = S_CR;
			continue;
		}
		if ((bad = line_byte(p, c)) != 0)
			return fail(p, e, status_err[bad]);
	}
	*used = len;
	return POP3_EV_MORE;
}

/*
 * The dot rules at the start of a line, the same in a listing and in a
 * body: a leading '.' is held (S_DOT), "." CR may be the end line
 * (S_DOTCR); after a held '.' any other byte is the line's (".x": the
 * stuffed dot is dropped). 1 when c was taken here.
 */
static int
dot_rule(struct pop3_parser *p, char c)
{
	if (p->state == S_BOL && c == '.') {
		p->state = S_DOT;
		return 1;
	}
	if (p->state == S_DOT && c == '\r') {
		p->state = S_DOTCR;
		return 1;
	}
	return 0;
}

/* Listing lines: the dot rules of a body, but whole lines, capped, and
 * no NUL, bare CR or bare LF inside. */
static enum pop3_ev
next_lines(struct pop3_parser *p, const char *in, size_t len, size_t *used,
    struct pop3_event *e)
{
	size_t i;
	int bad;

	p->linelen = (p->state == S_BOL) ? 0 : p->linelen;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (dot_rule(p, c))
			continue;
		switch (p->state) {
		case S_DOTCR:
			if (c != '\n')
				return fail(p, e, "bare CR in listing");
			*used = i + 1;
			p->mode = POP3_IDLE;
			p->state = S_BOL;
			return POP3_EV_END;
		case S_CR:
			if (c != '\n')
				return fail(p, e, "bare CR in listing");
			*used = i + 1;
			p->state = S_BOL;
			e->data = p->line;
			e->len = p->linelen;
			return POP3_EV_LINE;
		default:
			break;
		}
		if (c == '\r') {
			p->state = S_CR;
			continue;
		}
		if ((bad = line_byte(p, c)) != 0)
			return fail(p, e, listing_err[bad]);
		p->state = S_MID;
	}
	*used = len;
	return POP3_EV_MORE;
}

static enum pop3_ev
next_data(struct pop3_parser *p, const char *in, size_t len, size_t *used,
    struct pop3_event *e)
{
	size_t i;

	p->outlen = 0;
	for (i = 0; i < len; i++) {
		char c = in[i];

		/* One input byte emits at most two output bytes. */
		if (p->outlen + 2 > sizeof p->out)
			break;
		if (p->state == S_MID && c != '\r') {
			/* Inside a line every byte up to the next CR is data
			 * (a bare LF too): copy the run at once. */
			size_t room = sizeof p->out - p->outlen, run = len - i;
			const char *cr;

			if (run > room)
				run = room;
			if ((cr = memchr(in + i, '\r', run)) != NULL)
				run = (size_t)(cr - (in + i));
			memcpy(p->out + p->outlen, in + i, run);
			p->outlen += run;
			i += run - 1;	/* run >= 1: in[i] is not a CR */
			continue;
		}
		if (dot_rule(p, c))
			continue;
		switch (p->state) {
		case S_DOTCR:
			if (c == '\n') {
				if (p->outlen > 0)
					goto out;	/* END on the next call */
				*used = i + 1;
				p->mode = POP3_IDLE;
				p->state = S_BOL;
				return POP3_EV_END;
			}
			/* ".\r" then not LF: dot dropped, the CR is data
			 * (or the start of a CRLF) */
			p->state = S_CR;
			/* FALLTHROUGH */
		case S_CR:
			if (c == '\n') {
				p->out[p->outlen++] = '\n';
				p->state = S_BOL;
				continue;
			}
			p->out[p->outlen++] = '\r';	/* bare CR is data */
			p->state = S_MID;
			break;
		default:
			break;
		}
		if (c == '\r') {
			p->state = S_CR;
			continue;
		}
		p->out[p->outlen++] = c;	/* bare LF too: not a line end */
		p->state = S_MID;
	}
out:
	*used = i;
	if (p->outlen > 0) {
		e->data = p->out;
		e->len = p->outlen;
		return POP3_EV_DATA;
	}
	return POP3_EV_MORE;
}

enum pop3_ev
pop3_next(struct pop3_parser *p, const char *in, size_t len, size_t *used,
    struct pop3_event *e)
{
	memset(e, 0, sizeof *e);
	*used = 0;
	if (p->dead)
		return fail(p, e, "parser used after a protocol error");
	switch (p->mode) {
	case POP3_IDLE:
		if (len == 0)
			return POP3_EV_MORE;
		return fail(p, e, "unexpected bytes from the server");
	case POP3_STATUS:
		return next_status(p, in, len, used, e);
	case POP3_MULTI_LINES:
		return next_lines(p, in, len, used, e);
	case POP3_MULTI_DATA:
		return next_data(p, in, len, used, e);
	}
	return fail(p, e, "bad parser mode");
}

int
pop3_parse_u64(const char *s, size_t len, size_t *pos, uint64_t max,
    uint64_t *v)
{
	size_t i = *pos;
	uint64_t n = 0;

	if (i >= len || s[i] < '0' || s[i] > '9')
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
		if (n > max)
			return -1;
	}
	*pos = i;
	*v = n;
	return 0;
}

int
pop3_parse_stat(const char *text, size_t len, uint64_t *count, uint64_t *size)
{
	size_t pos = 0;

	if (pop3_parse_u64(text, len, &pos, POP3_MSG_MAX, count) < 0)
		return -1;
	if (pos >= len || text[pos] != ' ')
		return -1;
	pos++;
	if (pop3_parse_u64(text, len, &pos, UINT64_MAX, size) < 0)
		return -1;
	return pos == len || text[pos] == ' ' ? 0 : -1;
}

static int
parse_msgno(const char *line, size_t len, size_t *pos, uint32_t *msgno)
{
	uint64_t n;

	if (pop3_parse_u64(line, len, pos, POP3_MSG_MAX, &n) < 0 || n == 0)
		return -1;
	if (*pos >= len || line[*pos] != ' ')
		return -1;
	(*pos)++;
	*msgno = (uint32_t)n;
	return 0;
}

int
pop3_parse_list(const char *line, size_t len, uint32_t *msgno, uint64_t *size)
{
	size_t pos = 0;

	if (parse_msgno(line, len, &pos, msgno) < 0)
		return -1;
	if (pop3_parse_u64(line, len, &pos, UINT64_MAX, size) < 0)
		return -1;
	return pos == len || line[pos] == ' ' ? 0 : -1;
}

int
pop3_uid_valid(const char *uid, size_t len)
{
	size_t i;

	if (len < 1 || len > POP3_UID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)uid[i] < 0x21 || (unsigned char)uid[i] > 0x7e)
			return 0;
	return 1;
}

int
pop3_parse_uidl(const char *line, size_t len, uint32_t *msgno, char *uid)
{
	size_t pos = 0;

	uid[0] = '\0';
	if (parse_msgno(line, len, &pos, msgno) < 0)
		return -1;
	if (!pop3_uid_valid(line + pos, len - pos))
		return -2;
	memcpy(uid, line + pos, len - pos);
	uid[len - pos] = '\0';
	return 0;
}

void
pop3_capa_line(const char *line, size_t len, unsigned *caps)
{
	static const struct { const char *name; unsigned bit; } tab[] = {
		{ "STLS", POP3_CAP_STLS }, { "USER", POP3_CAP_USER },
		{ "UIDL", POP3_CAP_UIDL }, { "PIPELINING", POP3_CAP_PIPELINING },
		{ "TOP", POP3_CAP_TOP }, { "RESP-CODES", POP3_CAP_RESP_CODES },
		{ "AUTH-RESP-CODE", POP3_CAP_AUTH_RESP_CODE },
		{ "SASL", POP3_CAP_SASL }, { "UTF8", POP3_CAP_UTF8 },
	};
	size_t pos = 0, start, i;

	/* only the first word names a capability */
	while (pos < len && line[pos] == ' ')
		pos++;
	start = pos;
	while (pos < len && line[pos] != ' ')
		pos++;
	for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (ascii_caseeq(line + start, pos - start, tab[i].name,
		    strlen(tab[i].name)))
			*caps |= tab[i].bit;
}

int
pop3_apop_stamp(const char *text, size_t len, char *out)
{
	const char *lt = memchr(text, '<', len), *gt;
	size_t n, i;
	int at = 0;

	if (lt == NULL)
		return -1;
	gt = memchr(lt, '>', len - (size_t)(lt - text));
	if (gt == NULL)
		return -1;
	n = (size_t)(gt - lt) + 1;
	if (n < 4 || n > POP3_STAMP_MAX)
		return -1;
	for (i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)lt[i];

		if (c < 0x21 || c > 0x7e || c == '<')
			return -1;
		if (c == '@')
			at = 1;
	}
	if (!at)
		return -1;
	memcpy(out, lt, n);
	out[n] = '\0';
	return 0;
}
