/*
 * pop3: the POP3 client protocol as pure functions (RFC 1939, 2449, 5034,
 * 6856).
 * No sockets, no files: the caller pushes the bytes it read and pulls
 * events out, so every reply is tested byte by byte without a server.
 *
 *     struct pop3_parser p;
 *     pop3_parser_init(&p);
 *     pop3_expect(&p, POP3_STATUS);          after sending a command
 *     ev = pop3_next(&p, buf, len, &used, &e);
 *
 * pop3_next() consumes a prefix of the input (*used bytes, possibly 0)
 * and returns one event. Data handed out in an event points into the
 * parser and is valid until the next call. After POP3_EV_STATUS and
 * POP3_EV_END the parser is idle: the caller says with pop3_expect()
 * what the next reply is (a status line, or the multi-line body that
 * follows a +OK), which is how pipelined replies are read in order.
 *
 * Multi-line replies end only at CRLF "." CRLF. Dot-stuffing is undone
 * (a line starting with "." loses that dot) and every CRLF becomes LF;
 * a bare CR or LF is data, NULs are data. POP3_MULTI_DATA streams body
 * bytes through a fixed buffer (any line length); POP3_MULTI_LINES hands
 * out whole lines of a listing (CAPA, UIDL, LIST), each capped.
 *
 * Protocol errors (POP3_EV_ERROR, e->error names the cause) are final:
 * the connection is out of step and must be closed.
 */
#ifndef MDROP_POP3_H
#define MDROP_POP3_H

#include <stddef.h>
#include <stdint.h>

#define POP3_LINE_MAX	512	/* a status or listing line, CRLF included */
#define POP3_UID_MAX	70	/* RFC 1939: 1 to 70 octets 0x21..0x7E */
#define POP3_MSG_MAX	1000000	/* cap on message numbers and counts */
#define POP3_OUT_MAX	16384	/* body bytes handed out per event */
#define POP3_STAMP_MAX	256	/* APOP timestamp, <> included */

enum pop3_mode {
	POP3_IDLE,		/* no reply expected: any byte is an error */
	POP3_STATUS,		/* one status line (+OK, -ERR, or "+ " in AUTH) */
	POP3_MULTI_DATA,	/* a message body after +OK (RETR, TOP) */
	POP3_MULTI_LINES	/* a listing after +OK (CAPA, UIDL, LIST) */
};

enum pop3_ev {
	POP3_EV_MORE,		/* all input consumed; push more bytes */
	POP3_EV_STATUS,		/* e->status filled */
	POP3_EV_DATA,		/* e->data/e->len: body bytes */
	POP3_EV_LINE,		/* e->data/e->len: a listing line, no CRLF */
	POP3_EV_END,		/* the terminating "." line was read */
	POP3_EV_ERROR		/* e->error: protocol error; parser dead */
};

/* Extended response codes (RFC 2449, 3206), from "-ERR [CODE] text". */
enum pop3_code {
	POP3_CODE_NONE,
	POP3_CODE_IN_USE,
	POP3_CODE_LOGIN_DELAY,
	POP3_CODE_SYS_TEMP,
	POP3_CODE_SYS_PERM,
	POP3_CODE_AUTH,
	POP3_CODE_OTHER
};

enum pop3_kind { POP3_ERR = 0, POP3_OK = 1, POP3_CONT = 2 };

struct pop3_status {
	enum pop3_kind kind;	/* -ERR, +OK, or "+" (SASL continuation) */
	enum pop3_code code;
	const char *text;	/* after "+OK " / "-ERR " / "+ "; not NUL-ended */
	size_t textlen;
};

struct pop3_event {
	struct pop3_status status;
	const char *data;
	size_t len;
	const char *error;	/* static string */
};

struct pop3_parser {
	enum pop3_mode mode;
	int state;		/* multi-line state machine */
	int dead;
	size_t linelen;
	char line[POP3_LINE_MAX];
	size_t outlen;
	char out[POP3_OUT_MAX];
};

void pop3_parser_init(struct pop3_parser *p);

/* What the next bytes are. Only valid when the parser is idle. */
void pop3_expect(struct pop3_parser *p, enum pop3_mode mode);

/* 1 when the parser waits for nothing (between replies). */
int pop3_idle(const struct pop3_parser *p);

/*
 * Consume a prefix of in[0..len) (*used bytes) and return one event.
 * POP3_EV_MORE means every byte was consumed and more are needed; body
 * bytes still held back (a CR or a leading dot whose meaning depends on
 * the next byte) come out later.
 */
enum pop3_ev pop3_next(struct pop3_parser *p, const char *in, size_t len,
    size_t *used, struct pop3_event *e);

/*
 * Parse one status line (without CRLF). Returns 0, or -1 when it is not
 * "+OK", "-ERR" or "+", each alone or followed by a space, or holds a NUL,
 * CR or LF.
 */
int pop3_parse_status(const char *line, size_t len, struct pop3_status *st);

/*
 * A decimal number from s[0..len) at *pos, no sign, no leading spaces;
 * at most max. Advances *pos. Returns 0, or -1 (no digits, overflow,
 * above max).
 */
int pop3_parse_u64(const char *s, size_t len, size_t *pos, uint64_t max,
    uint64_t *v);

/* "+OK COUNT SIZE ..." text after "+OK ": count <= POP3_MSG_MAX. */
int pop3_parse_stat(const char *text, size_t len, uint64_t *count,
    uint64_t *size);

/* A LIST line "N SIZE": 1 <= N <= POP3_MSG_MAX. Returns 0 or -1. */
int pop3_parse_list(const char *line, size_t len, uint32_t *msgno,
    uint64_t *size);

/* 1 when uid[0..len) is a valid UID: 1-70 octets, each 0x21..0x7E. */
int pop3_uid_valid(const char *uid, size_t len);

/*
 * A UIDL line "N UID". Returns 0 (uid copied, NUL-ended, into
 * uid[POP3_UID_MAX + 1]), -2 when N is fine but the UID is not valid
 * (empty, too long, non-printable, holds a space: that message must
 * never be deleted), -1 when N is missing or out of range.
 */
int pop3_parse_uidl(const char *line, size_t len, uint32_t *msgno,
    char *uid);

/* Capabilities from CAPA (RFC 2449) lines. */
#define POP3_CAP_STLS		0x0001
#define POP3_CAP_USER		0x0002
#define POP3_CAP_UIDL		0x0004
#define POP3_CAP_PIPELINING	0x0008
#define POP3_CAP_TOP		0x0010
#define POP3_CAP_RESP_CODES	0x0020
#define POP3_CAP_AUTH_RESP_CODE	0x0040
#define POP3_CAP_SASL		0x0080
#define POP3_CAP_UTF8		0x0100	/* RFC 6856 */

/* OR the capabilities named by one CAPA line into *caps. The mechanisms
 * of a SASL line are read by sasl_capa_line() (common/sasl.h). */
void pop3_capa_line(const char *line, size_t len, unsigned *caps);

/*
 * The APOP timestamp "<...>" of a greeting's text (RFC 1939 section 7):
 * exactly one "<...@...>" made of printable octets, no spaces. Copied
 * NUL-ended into out (at least POP3_STAMP_MAX + 1 bytes). Returns 0, or
 * -1 when there is none or it is malformed (APOP must then be refused).
 */
int pop3_apop_stamp(const char *text, size_t len, char *out);

#endif
