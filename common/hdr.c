#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ascii.h"
#include "common/hdr.h"

enum { S_LINE_START, S_IN_LINE };

int
hdr_init(struct hdr_parser *p, size_t cap)
{
	memset(p, 0, sizeof *p);
	if (cap < HDR_CAP_MIN)
		cap = HDR_CAP_MIN;
	p->size = 256;
	p->buf = malloc(p->size);
	if (p->buf == NULL)
		return -1;
	p->cap = cap;
	p->line = 1;
	p->state = S_LINE_START;
	return 0;
}

void
hdr_free(struct hdr_parser *p)
{
	free(p->buf);
	p->buf = NULL;
}

/* Append n bytes to the pending field; the caller has checked the cap, so
 * len + n < cap + 1 always fits once grown. */
static int
append(struct hdr_parser *p, const char *s, size_t n)
{
	if (p->len + n + 1 > p->size) {
		size_t want = p->size;
		char *nb;

		while (want < p->len + n + 1)
			want *= 2;
		if (want > p->cap + 1)
			want = p->cap + 1;
		nb = realloc(p->buf, want);
		if (nb == NULL)
			return -1;
		p->buf = nb;
		p->size = want;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	return 0;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Turn the pending raw field into *f. */
static void
make_field(struct hdr_parser *p, struct hdr_field *f)
{
	char *b = p->buf;
	char *colon = memchr(b, ':', p->len);
	size_t i, nend, vstart, vend;
	unsigned flags = p->flags;

	b[p->len] = '\0';
	for (i = 0; i < p->len; i++) {
		unsigned char c = (unsigned char)b[i];

		if (c == '\0')
			flags |= HDR_F_NUL;
		else if (c == '\r')
			flags |= HDR_F_CR;
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			flags |= HDR_F_CTL;
	}
	if (colon == NULL) {
		flags |= HDR_F_NOCOLON;
		nend = p->len;
		vstart = vend = p->len;
	} else {
		nend = (size_t)(colon - b);
		vstart = nend + 1;
		vend = p->len;
	}
	while (nend > 0 && blank(b[nend - 1]))
		nend--;
	if (nend == 0)
		flags |= HDR_F_BADNAME;
	for (i = 0; i < nend; i++) {
		unsigned char c = (unsigned char)b[i];

		if (c <= 0x20 || c >= 0x7f)
			flags |= HDR_F_BADNAME;
	}
	while (vstart < vend && blank(b[vstart]))
		vstart++;
	while (vend > vstart && blank(b[vend - 1]))
		vend--;
	for (i = vstart; i < vend; i++)
		if ((unsigned char)b[i] >= 0x80)
			flags |= HDR_F_8BIT;
	b[vend] = '\0';
	f->name = b;
	f->name_len = nend;
	f->value = b + vstart;
	f->value_len = vend - vstart;
	f->line = p->field_line;
	f->flags = flags;
	p->emitted = 1;
}

/* Start a new field at the current line. */
static int
start_field(struct hdr_parser *p)
{
	p->len = 0;
	p->flags = 0;
	p->field_line = p->line;
	if (p->cr_held) {	/* the line began with a bare CR */
		p->cr_held = 0;
		if (append(p, "\r", 1) < 0)
			return -1;
	}
	return 0;
}

/* The header ends: the field in hand first, if there is one. */
static enum hdr_event
end_of_header(struct hdr_parser *p, struct hdr_field *f)
{
	if (p->pending) {
		p->end_pending = 1;
		make_field(p, f);
		return HDR_FIELD;
	}
	p->done = HDR_END;
	return HDR_END;
}

/*
 * The field handed out last is forgotten; 1 when the parser is done (at
 * the end of the header, or after an error: p->done says which).
 */
static int
after_field(struct hdr_parser *p)
{
	if (p->done)
		return 1;
	if (p->emitted) {
		p->emitted = 0;
		p->len = 0;
		p->flags = 0;
		p->pending = 0;
		if (p->end_pending)
			p->done = HDR_END;
	}
	return p->done != 0;
}

/*
 * The push parser is one state machine over the bytes of the header
 * (line start, name, value, continuation, CR held, end): kept whole on
 * purpose, so that every transition can be read in one place and the
 * byte-by-byte tests (every split point) cover them all.
 */
enum hdr_event
hdr_push(struct hdr_parser *p, const char *data, size_t len, size_t *used,
    struct hdr_field *f)
{
	size_t i = 0;

	*used = 0;
	if (after_field(p))
		return (enum hdr_event)p->done;
	while (i < len) {
		char c = data[i];

		if (p->total >= p->cap) {
			*used = i;
			p->done = HDR_TOO_LARGE;
			return HDR_TOO_LARGE;
		}
		if (p->state == S_LINE_START) {
			if (c == '\n') {
				/* empty line (LF or CR LF): end of the section */
				p->total++;
				p->line++;
				*used = i + 1;
				p->cr_held = 0;
				return end_of_header(p, f);
			}
			if (c == '\r' && !p->cr_held) {
				p->cr_held = 1;
				p->total++;
				i++;
				continue;
			}
			if (p->pending && !p->cr_held && blank(c)) {
				/* continuation: unfold (keep the blank) */
				p->state = S_IN_LINE;
				continue;
			}
			if (p->pending) {
				/* the pending field is complete */
				*used = i;
				make_field(p, f);
				return HDR_FIELD;
			}
			if (start_field(p) < 0)
				goto nomem;
			p->pending = 1;
			p->state = S_IN_LINE;
			continue;
		}
		/* S_IN_LINE */
		if (p->cr_held) {
			p->cr_held = 0;
			if (c != '\n' && append(p, "\r", 1) < 0)
				goto nomem;
		}
		if (c == '\n') {
			p->total++;
			p->line++;
			p->state = S_LINE_START;
			i++;
			continue;
		}
		if (c == '\r') {
			p->cr_held = 1;
			p->total++;
			i++;
			continue;
		}
		{
			/* a run of ordinary bytes, up to the cap */
			size_t j = i, room = p->cap - p->total;

			while (j < len && j - i < room && data[j] != '\n' &&
			    data[j] != '\r')
				j++;
			if (append(p, data + i, j - i) < 0)
				goto nomem;
			p->total += j - i;
			i = j;
		}
	}
	*used = len;
	return HDR_MORE;
nomem:
	/* Treated like an over-large header: the caller routes to fallback. */
	*used = i;
	errno = ENOMEM;
	p->done = HDR_TOO_LARGE;
	return HDR_TOO_LARGE;
}

enum hdr_event
hdr_finish(struct hdr_parser *p, struct hdr_field *f)
{
	if (after_field(p))
		return (enum hdr_event)p->done;
	if (p->cr_held) {
		p->cr_held = 0;
		if (!p->pending) {
			if (start_field(p) < 0) {
				p->done = HDR_TOO_LARGE;
				return HDR_TOO_LARGE;
			}
			p->pending = 1;
		}
		if (append(p, "\r", 1) < 0) {
			p->done = HDR_TOO_LARGE;
			return HDR_TOO_LARGE;
		}
	}
	return end_of_header(p, f);
}

int
hdr_name_is(const struct hdr_field *f, const char *name)
{
	return ascii_caseeq(f->name, f->name_len, name, strlen(name));
}

int
hdr_name_valid(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == ':')
			return 0;
	}
	return n > 0 && n <= 76;
}

int
hdr_not_envelope(const char *s)
{
	/* the RFC 5322 originator, destination, identification,
	 * informational and trace fields, and the common list, MIME and
	 * reply-routing ones: all written or chosen by the sender */
	static const char *const names[] = {
		"to", "cc", "bcc", "from", "sender", "reply-to", "received",
		"return-path", "message-id", "in-reply-to", "references",
		"subject", "comments", "keywords", "date", "mime-version",
		"apparently-to", "mail-followup-to", "mail-reply-to",
		"errors-to", "return-receipt-to", "disposition-notification-to",
		"followup-to", "newsgroups",
		/* other agents' sender and trace fields */
		"x-received", "envelope-from", "x-envelope-from",
		"x-envelope-sender", "x-sender", "x-original-from",
		"x-original-sender", "x-original-return-path", "x-return-path"
	};
	static const char *const prefixes[] = { "resent-", "list-",
	    "content-" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcasecmp(s, names[i]) == 0)
			return 1;
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncasecmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

void
hdr_pick_init(struct hdr_pick *k, const char *name, unsigned long occurrence,
    unsigned long trust_hops, int any_position)
{
	memset(k, 0, sizeof *k);
	k->name = name;
	k->occurrence = occurrence;
	k->trust_hops = trust_hops;
	k->any_position = any_position;
}

void
hdr_pick_free(struct hdr_pick *k)
{
	free(k->chosen);
	free(k->return_path);
	k->chosen = k->return_path = NULL;
}

static char *
copy(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

enum hdr_role
hdr_pick_field(struct hdr_pick *k, const struct hdr_field *f,
    unsigned long *hops)
{
	*hops = k->received;
	if (f->flags & (HDR_F_NOCOLON | HDR_F_BADNAME))
		return HDR_ROLE_OTHER;
	if (hdr_name_is(f, "Received")) {
		k->received++;
		return HDR_ROLE_RECEIVED;
	}
	if (hdr_name_is(f, k->name)) {
		if (!k->any_position && k->received > k->trust_hops) {
			k->below++;
			return HDR_ROLE_BELOW;
		}
		if (++k->count != k->occurrence)
			return HDR_ROLE_CANDIDATE;
		k->chosen = copy(f->value, f->value_len);
		if (k->chosen == NULL)
			k->nomem = 1;
		k->chosen_len = f->value_len;
		k->chosen_flags = f->flags;
		k->chosen_line = f->line;
		return HDR_ROLE_CHOSEN;
	}
	if (hdr_name_is(f, "Return-Path")) {
		if (k->return_path_seen)
			return HDR_ROLE_OTHER;
		k->return_path_seen = 1;
		k->return_path = copy(f->value, f->value_len);
		if (k->return_path == NULL)
			k->nomem = 1;
		k->return_path_len = f->value_len;
		k->return_path_flags = f->flags;
		return HDR_ROLE_RETURN_PATH;
	}
	return HDR_ROLE_OTHER;
}
