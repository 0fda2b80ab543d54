#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/addr.h"
#include "common/lmtp.h"

void
lmtp_parser_init(struct lmtp_parser *p)
{
	memset(p, 0, sizeof(*p));
}

static void
reset_line(struct lmtp_parser *p)
{
	p->pos = 0;
	p->code = 0;
	p->sep = 0;
	p->cr = 0;
	p->caplen = 0;
}

static enum lmtp_ev
fail(struct lmtp_parser *p, const char *why)
{
	p->error = why;
	return LMTP_EV_ERROR;
}

static char
sanitise(unsigned char c)
{
	if (c == '\t')
		return ' ';
	if (c < 0x20 || c >= 0x7f)
		return '?';
	return (char)c;
}

static void
add_text(struct lmtp_reply *r, char c)
{
	if (r->textlen + 1 < sizeof(r->text)) {
		r->text[r->textlen++] = c;
		r->text[r->textlen] = '\0';
	}
}

/* "d.ddd.ddd" with d the reply's class, then end of text or a space. */
static void
parse_enh(struct lmtp_reply *r)
{
	const char *s = r->text;
	size_t i = 0, part, nd;

	if (r->textlen < 5 || s[0] != (char)('0' + r->code / 100) || s[1] != '.')
		return;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (nd = 0; nd < 3 && s[i] >= '0' && s[i] <= '9'; nd++)
			i++;
		if (nd == 0)
			return;
		if (part == 0) {
			if (s[i] != '.')
				return;
			i++;
		}
	}
	if (s[i] != '\0' && s[i] != ' ')
		return;
	memcpy(r->enh, s, i);
	r->enh[i] = '\0';
}

static void
parse_cap(struct lmtp_parser *p)
{
	static const struct { const char *name; unsigned bit; } caps[] = {
		{ "PIPELINING", LMTP_CAP_PIPELINING },
		{ "8BITMIME", LMTP_CAP_8BITMIME },
		{ "CHUNKING", LMTP_CAP_CHUNKING },
		{ "SIZE", LMTP_CAP_SIZE },
		{ "SMTPUTF8", LMTP_CAP_SMTPUTF8 },
		{ "ENHANCEDSTATUSCODES", LMTP_CAP_ENHANCEDSTATUSCODES },
	};
	size_t i, kw = 0;

	while (kw < p->caplen && p->cap[kw] != ' ')
		kw++;
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (strlen(caps[i].name) != kw ||
		    strncasecmp(p->cap, caps[i].name, kw) != 0)
			continue;
		p->reply.caps |= caps[i].bit;
		if (caps[i].bit == LMTP_CAP_SIZE) {
			uint64_t v = 0;
			size_t j = kw + 1;

			for (; j < p->caplen && p->cap[j] >= '0' && p->cap[j] <= '9'; j++) {
				if (v > (UINT64_MAX - 9) / 10) {
					v = 0;
					break;
				}
				v = v * 10 + (uint64_t)(p->cap[j] - '0');
			}
			p->reply.size_max = v;
		}
	}
}

enum lmtp_ev
lmtp_parser_push(struct lmtp_parser *p, const char *buf, size_t n, size_t *used)
{
	size_t i;

	*used = 0;
	if (p->error)
		return LMTP_EV_ERROR;
	if (p->done) {
		memset(&p->reply, 0, sizeof(p->reply));
		reset_line(p);
		p->done = 0;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		*used = i + 1;
		if (++p->pos > LMTP_LINE_MAX)
			return fail(p, "reply line too long");
		if (p->cr && c != '\n')
			return fail(p, "bare CR in reply");
		if (c == '\n') {
			if (p->pos < 4 + (size_t)p->cr)
				return fail(p, "short reply line");
			p->reply.nlines++;
			if (p->reply.nlines == 1) {
				p->reply.code = p->code;
				parse_enh(&p->reply);
			} else {
				parse_cap(p);
			}
			if (p->sep != '-') {
				p->done = 1;
				return LMTP_EV_REPLY;
			}
			if (p->reply.nlines >= LMTP_LINES_MAX)
				return fail(p, "too many reply lines");
			reset_line(p);
			continue;
		}
		if (c == '\r') {
			p->cr = 1;
			continue;
		}
		if (c == '\0')
			return fail(p, "NUL in reply");
		switch (p->pos) {
		case 1:
			if (c < '2' || c > '5')
				return fail(p, "reply does not start with a code");
			p->code = (c - '0') * 100;
			break;
		case 2:
			if (c < '0' || c > '5')
				return fail(p, "reply does not start with a code");
			p->code += (c - '0') * 10;
			break;
		case 3:
			if (c < '0' || c > '9')
				return fail(p, "reply does not start with a code");
			p->code += c - '0';
			if (p->reply.nlines > 0 && p->code != p->reply.code)
				return fail(p, "code changes within a reply");
			break;
		case 4:
			if (c != ' ' && c != '-')
				return fail(p, "garbage after reply code");
			p->sep = c;
			break;
		default:
			if (p->pos == 5 && p->reply.nlines > 0 && p->reply.textlen > 0)
				add_text(&p->reply, ' ');
			add_text(&p->reply, sanitise(c));
			if (p->caplen < sizeof(p->cap))
				p->cap[p->caplen++] = sanitise(c);
			break;
		}
	}
	return LMTP_EV_MORE;
}

void
lmtp_dot_init(struct lmtp_dot *d)
{
	d->bol = 1;
	d->cr = 0;
	d->stuff = 1;
}

void
lmtp_crlf_init(struct lmtp_dot *d)
{
	lmtp_dot_init(d);
	d->stuff = 0;
}

/* The length of the run at in[0..n) before its first CR or LF. */
static size_t
line_run(const char *in, size_t n)
{
	const char *lf = memchr(in, '\n', n), *cr;
	size_t run = lf != NULL ? (size_t)(lf - in) : n;

	if ((cr = memchr(in, '\r', run)) != NULL)
		run = (size_t)(cr - in);
	return run;
}

/*
 * Line by line, not byte by byte: each line's bytes are one memcpy (the
 * body is most of what deliver's CPU does over LMTP, and Dovecot's lmtp
 * needs the same two cores). out NULL: the same walk, counting.
 */
size_t
lmtp_dot_encode(struct lmtp_dot *d, const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t run;
		char c;

		if (d->cr) {
			d->cr = 0;
			if (in[i] == '\n') {	/* CRLF: already sent */
				i++;
				continue;
			}
		}
		if (d->stuff && d->bol && in[i] == '.') {
			if (out != NULL)
				out[o] = '.';
			o++;
		}
		run = line_run(in + i, n - i);
		if (out != NULL)
			memcpy(out + o, in + i, run);
		o += run;
		i += run;
		if (run > 0)
			d->bol = 0;
		if (i == n)
			break;
		c = in[i++];	/* a CR or an LF: the line's end */
		if (out != NULL) {
			out[o] = '\r';
			out[o + 1] = '\n';
		}
		o += 2;
		d->bol = 1;
		d->cr = c == '\r';
	}
	return o;
}

size_t
lmtp_dot_finish(struct lmtp_dot *d, char *out)
{
	size_t o = 0;
	int stuff = d->stuff;

	if (!d->bol) {
		if (out != NULL)
			memcpy(out, "\r\n", 2);
		o += 2;
	}
	if (stuff) {
		if (out != NULL)
			memcpy(out + o, ".\r\n", 3);
		o += 3;
	}
	lmtp_dot_init(d);
	d->stuff = stuff;
	return o;
}

int
lmtp_has_8bit(const char *buf, size_t n)
{
	const uint64_t high = 0x8080808080808080ULL;
	size_t i = 0;

	/* eight bytes at a time: deliver scans every message once */
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, buf + i, 8);
		if (w & high)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)buf[i] >= 0x80)
			return 1;
	return 0;
}

/* The UTF-8 sequence at s[0] (a byte >= 0x80, n bytes left): its length,
 * with *u8 set; 0 when malformed. */
static size_t
utf8_at(const char *s, size_t n, int *u8)
{
	size_t k = addr_utf8_len((const unsigned char *)s, n);

	*u8 |= k > 0;
	return k;
}

/* The Quoted-string at s[0] == '"': its length with both quotes in *end. */
static int
quoted_string(const char *s, size_t n, size_t *end, int *u8, const char **why)
{
	size_t i, k;

	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"') {
			*end = i + 1;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pairSMTP: ASCII only, even with SMTPUTF8 */
			if (++i >= n || (unsigned char)s[i] >= 0x80) {
				*why = "bad backslash escape in quoted string";
				return -1;
			}
		} else if (c >= 0x80) {
			if ((k = utf8_at(s + i, n - i, u8)) == 0) {
				*why = "invalid UTF-8 in address";
				return -1;
			}
			i += k - 1;
		}
	}
	*why = "unterminated quoted string";
	return -1;
}

/* A Dot-string of n bytes: atoms of atext or UTF-8 joined by single dots. */
static int
dot_string(const char *s, size_t n, int *u8, const char **why)
{
	size_t i = 0, k;
	int after_dot = 1;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && !after_dot) {
			after_dot = 1;
			i++;
			continue;
		}
		if (c >= 0x80) {
			if ((k = utf8_at(s + i, n - i, u8)) == 0) {
				*why = "invalid UTF-8 in address";
				return -1;
			}
			i += k;
		} else if (addr_atext(c)) {
			i++;
		} else {
			break;
		}
		after_dot = 0;
	}
	if (i == n && !after_dot)
		return 0;
	*why = n == 0 ? "empty local part" :
	    "local part is neither a dot-string nor a quoted string";
	return -1;
}

/* "[" 1*dcontent "]", dcontent = %d33-90 / %d94-126. */
static int
address_literal(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return 0;
	for (i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || (c >= '[' && c <= ']'))
			return 0;
	}
	return 1;
}

/* A Domain of n bytes: LDH labels (UTF-8 letters allowed), or a literal. */
static int
domain(const char *s, size_t n, int *u8, const char **why)
{
	size_t i = 0, label = 0, k;

	*why = "bad domain";
	if (address_literal(s, n))
		return 0;
	for (;;) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return -1;
			if (i++ >= n)
				return 0;
			label = 0;
			continue;
		}
		if (c >= 0x80) {
			if ((k = utf8_at(s + i, n - i, u8)) == 0) {
				*why = "invalid UTF-8 in address";
				return -1;
			}
			i += k;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			i++;
		} else {
			return -1;
		}
		label++;
	}
}

int
lmtp_addr_check(const char *addr, const char **why)
{
	size_t n = strlen(addr), i, at;
	int u8 = 0, quoted = addr[0] == '"';

	if (n == 0 || n > LMTP_ADDR_MAX) {
		*why = n == 0 ? "empty address" : "address too long";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)addr[i] < 0x20 || addr[i] == 0x7f) {
			*why = "control character in address";
			return -1;
		}
	}
	if (quoted) {
		if (quoted_string(addr, n, &at, &u8, why) < 0)
			return -1;
	} else {
		at = strcspn(addr, "@");
		if (dot_string(addr, at, &u8, why) < 0)
			return -1;
	}
	if (at >= n || addr[at] != '@') {
		*why = "local part not followed by @domain";
		return -1;
	}
	if (domain(addr + at + 1, n - at - 1, &u8, why) < 0)
		return -1;
	return (quoted ? LMTP_ADDR_QUOTED : 0) | (u8 ? LMTP_ADDR_UTF8 : 0);
}

/* An LHLO name: no control, space, '<' or '>'. */
static int
word_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return 0;
	}
	return 1;
}

static int
finish_cmd(size_t n, int len)
{
	if (len < 0 || (size_t)len >= n)
		return -1;
	return len;
}

int
lmtp_cmd_lhlo(char *buf, size_t n, const char *name)
{
	if (!word_ok(name))
		return -1;
	return finish_cmd(n, snprintf(buf, n, "LHLO %s\r\n", name));
}

int
lmtp_cmd_mail(char *buf, size_t n, const char *sender, int body8bit,
    uint64_t size, int smtputf8)
{
	char sz[32] = "";
	const char *why;

	if (*sender != '\0' && lmtp_addr_check(sender, &why) < 0)
		return -1;
	if (size > 0)
		snprintf(sz, sizeof(sz), " SIZE=%llu", (unsigned long long)size);
	return finish_cmd(n, snprintf(buf, n, "MAIL FROM:<%s>%s%s%s\r\n",
	    sender, body8bit ? " BODY=8BITMIME" : "", sz,
	    smtputf8 ? " SMTPUTF8" : ""));
}

int
lmtp_cmd_rcpt(char *buf, size_t n, const char *addr)
{
	const char *why;

	if (lmtp_addr_check(addr, &why) < 0)
		return -1;
	return finish_cmd(n, snprintf(buf, n, "RCPT TO:<%s>\r\n", addr));
}

static int
parse_port(const char *s, char *out)
{
	size_t i;
	unsigned long v = 0;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || v == 0 || v > 65535)
		return -1;
	snprintf(out, 6, "%lu", v);
	return 0;
}

int
lmtp_endpoint_parse(const char *s, struct lmtp_endpoint *ep, const char **why)
{
	const char *colon;
	size_t hl;

	memset(ep, 0, sizeof(*ep));
	if (strncmp(s, "unix:", 5) == 0) {
		ep->kind = LMTP_EP_UNIX;
		if (s[5] != '/') {
			*why = "socket path must be absolute";
			return -1;
		}
		if (strlen(s + 5) >= sizeof(ep->path)) {
			*why = "socket path too long";
			return -1;
		}
		strcpy(ep->path, s + 5);
		return 0;
	}
	ep->kind = LMTP_EP_INET;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			*why = "expected [address]:port";
			return -1;
		}
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			*why = "expected unix:/path, host:port or [v6]:port";
			return -1;
		}
		hl = (size_t)(colon - s);
		if (memchr(s, ':', hl) != NULL) {
			*why = "an IPv6 address needs brackets: [address]:port";
			return -1;
		}
	}
	if (hl == 0 || hl >= sizeof(ep->host)) {
		*why = "bad host";
		return -1;
	}
	memcpy(ep->host, s, hl);
	ep->host[hl] = '\0';
	if (!word_ok(ep->host)) {
		*why = "bad host";
		return -1;
	}
	if (parse_port(colon + 1, ep->port) < 0) {
		*why = "bad port";
		return -1;
	}
	return 0;
}
