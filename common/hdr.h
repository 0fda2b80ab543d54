/*
 * hdr: the header section of a message, and the pick of the envelope
 * header out of it. Pure: no I/O, no logging.
 *
 * The reader is a push parser (like OpenSMTPD's rfc5322_push/next): the
 * caller pushes bytes as they come, in pieces of any size, and gets one
 * event at a time back. A field is handed out only once the first byte of
 * the next line shows it is not folded further, so a message cut at any
 * point parses the same. Lines end in LF or CRLF; a CR right before LF is
 * dropped, any other CR is kept and flagged (HDR_F_CR). Continuation lines
 * are unfolded (the line break is removed, the leading white space kept).
 * The header section ends at the first empty line, or at the end of input.
 *
 * Memory: one field buffer that grows up to the cap given to hdr_init(),
 * and the whole header section may not exceed that cap either, so a hostile
 * message costs at most cap bytes. Time: linear in the bytes pushed.
 */
#ifndef MDROP_HDR_H
#define MDROP_HDR_H

#include <stddef.h>

#define HDR_CAP_DEFAULT (1024 * 1024)	/* --max-header-bytes */
#define HDR_CAP_MIN 256

/* Flags of a field (struct hdr_field.flags). */
#define HDR_F_NUL	0x01	/* a NUL byte in the name or value */
#define HDR_F_CR	0x02	/* a CR not followed by LF */
#define HDR_F_CTL	0x04	/* another control byte (not TAB) or DEL */
#define HDR_F_NOCOLON	0x08	/* not "name: value" (name is the whole line) */
#define HDR_F_BADNAME	0x10	/* name empty or not printable ASCII */
#define HDR_F_8BIT	0x20	/* a byte >= 0x80 in the value */
#define HDR_F_UNTRUSTED	(HDR_F_NUL | HDR_F_CR | HDR_F_CTL | HDR_F_NOCOLON | \
			 HDR_F_BADNAME)

struct hdr_field {
	const char *name;	/* not NUL-terminated; trailing blanks removed */
	size_t name_len;
	const char *value;	/* unfolded, leading/trailing blanks removed;
				   NUL-terminated (but may hold NULs) */
	size_t value_len;
	unsigned long line;	/* 1-based line where the field starts */
	unsigned flags;		/* HDR_F_* */
};

enum hdr_event {
	HDR_MORE,		/* all bytes used; push more (or finish) */
	HDR_FIELD,		/* a field is in *f, valid until the next call */
	HDR_END,		/* end of the header section; stop pushing */
	HDR_TOO_LARGE		/* over the cap; the parser stops here */
};

struct hdr_parser {
	char *buf;		/* the pending field, raw but unfolded */
	size_t len, size, cap;
	size_t total;		/* header bytes seen so far */
	unsigned long line;	/* current line number (1-based) */
	unsigned long field_line;
	unsigned flags;
	int state;
	int cr_held;		/* a CR was seen; LF may follow */
	int pending;		/* a field is being collected */
	int emitted;		/* it was handed out; reset on the next call */
	int end_pending;	/* the empty line was seen after it */
	int done;		/* HDR_END or HDR_TOO_LARGE once returned */
};

/* Set up a parser with a cap (bytes, at least HDR_CAP_MIN). Returns 0 or -1
 * (ENOMEM). Free with hdr_free. */
int hdr_init(struct hdr_parser *p, size_t cap);
void hdr_free(struct hdr_parser *p);

/*
 * Push len bytes. Uses a prefix of them (*used, counted in the caller's
 * bytes) and returns an event: HDR_MORE when all were used; HDR_FIELD with
 * *f filled (push the remaining bytes again); HDR_END with *used counting
 * the empty line that ended the section (the body starts right after);
 * HDR_TOO_LARGE. After END or TOO_LARGE every call returns the same.
 */
enum hdr_event hdr_push(struct hdr_parser *p, const char *data, size_t len,
    size_t *used, struct hdr_field *f);

/* End of input: returns HDR_FIELD for a field still pending, then HDR_END
 * (or the earlier TOO_LARGE). */
enum hdr_event hdr_finish(struct hdr_parser *p, struct hdr_field *f);

/* 1 when the field's name is name (ASCII case-insensitive). */
int hdr_name_is(const struct hdr_field *f, const char *name);

/* 1 when s is a syntactically valid header name (printable ASCII, no
 * colon, not empty, at most 76 bytes). */
int hdr_name_valid(const char *s);

/*
 * 1 when header name s (any case) is one that names people, routes or
 * the message itself rather than the envelope recipient: To, Cc, Bcc,
 * Resent-*, From, Sender, Reply-To, Received, Return-Path, Message-ID,
 * Subject and the like, and other agents' sender and trace fields
 * (X-Received, Envelope-From, X-Envelope-From, X-Sender, Errors-To, ...).
 * Recipient envelope headers (Delivered-To, X-Original-To, Envelope-To,
 * X-Envelope-To, X-RCPT-To, ...) are not among them. mdrop-split refuses such a -H (rule 1 of
 * DESIGN.md: To:/Cc: never decide where mail goes).
 */
int hdr_not_envelope(const char *s);

/*
 * Envelope pick: fed every field of one message in order, it finds the
 * configured occurrence of the envelope header inside the trusted zone,
 * and the topmost Return-Path.
 *
 * An occurrence is in the trusted zone when at most trust_hops Received:
 * fields stand above it (any_position: always). Occurrences are counted
 * from the top, in the trusted zone only.
 */
enum hdr_role {
	HDR_ROLE_OTHER,
	HDR_ROLE_RECEIVED,	/* a Received: field */
	HDR_ROLE_RETURN_PATH,	/* a Return-Path: (topmost one is used) */
	HDR_ROLE_CHOSEN,	/* the envelope occurrence chosen */
	HDR_ROLE_CANDIDATE,	/* another envelope occurrence in the zone */
	HDR_ROLE_BELOW		/* an envelope occurrence below the zone */
};

struct hdr_pick {
	/* settings */
	const char *name;	/* envelope header name */
	unsigned long occurrence;	/* 1-based */
	unsigned long trust_hops;
	int any_position;
	/* results */
	unsigned long received;	/* Received: fields seen so far */
	unsigned long count;	/* occurrences in the trusted zone */
	unsigned long below;	/* occurrences ignored: below the zone */
	char *chosen;		/* malloc'd copy of the chosen value, or NULL */
	size_t chosen_len;
	unsigned chosen_flags;
	unsigned long chosen_line;
	char *return_path;	/* malloc'd copy, or NULL when none */
	size_t return_path_len;
	unsigned return_path_flags;
	int return_path_seen;
	int nomem;		/* a copy failed (ENOMEM) */
};

/* Set up for one message (name must stay valid). */
void hdr_pick_init(struct hdr_pick *k, const char *name,
    unsigned long occurrence, unsigned long trust_hops, int any_position);
/* Feed one field; returns its role. *hops is set to the number of
 * Received: fields above it. */
enum hdr_role hdr_pick_field(struct hdr_pick *k, const struct hdr_field *f,
    unsigned long *hops);
void hdr_pick_free(struct hdr_pick *k);

#endif
