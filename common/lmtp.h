/*
 * lmtp: the pure parts of an LMTP client (RFC 2033, on RFC 5321): a reply
 * parser, the DATA encoder, command builders and the endpoint syntax.
 * No sockets and no files here; deliver/lmtp.c does the I/O.
 *
 * Reply parser: the caller pushes received bytes in and gets one event
 * back per complete reply. It keeps no line buffer (bounded memory, any
 * chunking): every byte is checked as it arrives. A reply line is
 *
 *     DIGIT DIGIT DIGIT [ (" " | "-") TEXT ] CRLF
 *
 * with first digit 2-5 and second 0-5; "-" continues the reply, and every
 * line of one reply must carry the same code. A bare LF also ends a line
 * (leniency); a CR not followed by LF, a NUL, a line over LMTP_LINE_MAX
 * bytes or a reply over LMTP_LINES_MAX lines is a protocol error, and the
 * parser stays in error. The text is sanitised for logs and result lines:
 * TAB becomes a space and every other control byte or byte >= 0x80 a '?'.
 *
 * DATA encoder: turns every line end (LF, CRLF, bare CR) into CRLF and
 * dot-stuffs, streaming: its state carries across chunk boundaries, so a
 * "\r" at the end of one chunk and "\n" at the start of the next make one
 * CRLF. A bare "\n.\n" can thus never end the data early.
 */
#ifndef MDROP_LMTP_H
#define MDROP_LMTP_H

#include <stddef.h>
#include <stdint.h>

#define LMTP_LINE_MAX	2048	/* one reply line, CRLF included */
#define LMTP_LINES_MAX	128	/* lines in one reply */
#define LMTP_TEXT_MAX	400	/* kept text of a reply (cut beyond) */

/* Capabilities from the LHLO reply (lines after the first). */
#define LMTP_CAP_PIPELINING	0x01u
#define LMTP_CAP_8BITMIME	0x02u
#define LMTP_CAP_CHUNKING	0x04u
#define LMTP_CAP_SIZE		0x08u
#define LMTP_CAP_SMTPUTF8	0x10u
#define LMTP_CAP_ENHANCEDSTATUSCODES 0x20u

struct lmtp_reply {
	int code;			/* 200..559 */
	char enh[16];			/* enhanced status code "5.1.1", or "" */
	char text[LMTP_TEXT_MAX];	/* sanitised text after "NNN ", lines
					 * joined by " "; NUL-terminated */
	size_t textlen;
	unsigned nlines;
	unsigned caps;			/* LMTP_CAP_* seen on lines 2.. */
	uint64_t size_max;		/* "SIZE n" value, 0 if none */
};

enum lmtp_ev {
	LMTP_EV_MORE,		/* all bytes used, reply not complete yet */
	LMTP_EV_REPLY,		/* a reply is complete: lmtp_parser.reply */
	LMTP_EV_ERROR		/* protocol error: lmtp_parser.error */
};

struct lmtp_parser {
	struct lmtp_reply reply;
	const char *error;	/* static reason when in error, else NULL */
	/* private */
	int done;		/* last push returned a reply: reset first */
	size_t pos;		/* bytes of the current line so far */
	int code;		/* code of the current line */
	int sep;		/* ' ', '-' or 0 (none yet) */
	int cr;			/* the last byte was CR */
	char cap[32];		/* start of the current line's text */
	size_t caplen;
};

void lmtp_parser_init(struct lmtp_parser *p);

/*
 * Push n bytes. Consumes bytes up to and including the end of the first
 * complete reply and stores the count in *used; returns LMTP_EV_REPLY
 * (p->reply valid until the next push), LMTP_EV_MORE (all n used) or
 * LMTP_EV_ERROR (p->error says why; every later push fails too).
 * Bytes after a reply are left to the caller for the next push.
 */
enum lmtp_ev lmtp_parser_push(struct lmtp_parser *p, const char *buf,
    size_t n, size_t *used);

/*
 * Message encoder, for DATA and for BDAT (RFC 3030 CHUNKING). Every line
 * end of the input (LF, CR LF or a lone CR) goes out as CR LF; for DATA
 * (lmtp_dot_init) a line starting with "." gets another one, and
 * lmtp_dot_finish() ends the data with ".\r\n"; for BDAT
 * (lmtp_crlf_init) nothing else changes, since BDAT counts its octets.
 * lmtp_dot_encode() writes the encoding of in[0..n) to out, which must
 * hold LMTP_DOT_OUT(n) bytes, and returns the bytes written.
 * lmtp_dot_finish() writes the end (a CRLF when the last line had none,
 * then ".\r\n" for DATA) to out (LMTP_DOT_FINISH_MAX bytes) and returns
 * its length. With out NULL both only count: BDAT's size is known before
 * the first octet goes out.
 */
struct lmtp_dot {
	int bol;		/* at the beginning of a line */
	int cr;			/* the last input byte was a CR (CRLF sent) */
	int stuff;		/* DATA: dot-stuffing and the final "." */
};
#define LMTP_DOT_OUT(n)		(2 * (n))
#define LMTP_DOT_FINISH_MAX	5

void lmtp_dot_init(struct lmtp_dot *d);
void lmtp_crlf_init(struct lmtp_dot *d);
size_t lmtp_dot_encode(struct lmtp_dot *d, const char *in, size_t n, char *out);
size_t lmtp_dot_finish(struct lmtp_dot *d, char *out);

/* 1 when buf holds a byte >= 0x80. */
int lmtp_has_8bit(const char *buf, size_t n);

/*
 * Addresses in MAIL FROM and RCPT TO (RFC 5321 section 4.1.2, extended by
 * RFC 6531 section 3.3 for SMTPUTF8):
 *
 *     Mailbox    = Local-part "@" ( Domain / address-literal )
 *     Local-part = Dot-string / Quoted-string
 *
 * A Dot-string is atoms of RFC 5322 atext joined by single dots; a
 * Quoted-string is DQUOTE *( qtext / "\" %d32-126 ) DQUOTE with qtext
 * %d32-33 / %d35-91 / %d93-126, possibly empty (`""@x`); Domain is LDH
 * labels (no empty label, no hyphen at either end), or an address-literal
 * "[" 1*(%d33-90 / %d94-126) "]". Well-formed UTF-8 (addr_utf8_len) may
 * stand for an atext or qtext byte or a letter of a label: such an
 * address goes only to a server that announces SMTPUTF8.
 *
 * lmtp_addr_check() classifies addr (a record's address, no angle
 * brackets) and returns a mask of LMTP_ADDR_QUOTED (the local part is a
 * Quoted-string: it is sent as it came, never re-quoted) and
 * LMTP_ADDR_UTF8 (it holds UTF-8: only with SMTPUTF8), 0 for a plain
 * ASCII Dot-string address; or -1 when no command can carry it, with a
 * static reason in *why: empty, over LMTP_ADDR_MAX octets, a control
 * character, invalid UTF-8, or outside the grammar above.
 */
#define LMTP_ADDR_QUOTED	0x1
#define LMTP_ADDR_UTF8		0x2
#define LMTP_ADDR_MAX		1000	/* octets; RFC 5321 says 256 may be all
					 * a server takes, we leave it to say so */
int lmtp_addr_check(const char *addr, const char **why);

/*
 * Command builders: write the command with its CRLF and a NUL into buf
 * (size n) and return its length, or -1 when an argument is not allowed
 * (an LHLO name that is empty or holds a control character, space, '<'
 * or '>'; an address lmtp_addr_check() refuses) or n is too small.
 * mail: sender "" gives "MAIL FROM:<>"; body8bit adds " BODY=8BITMIME",
 * size (when non-zero) " SIZE=n", smtputf8 " SMTPUTF8". Whether the
 * server may get a UTF-8 address is the caller's decision.
 */
int lmtp_cmd_lhlo(char *buf, size_t n, const char *name);
int lmtp_cmd_mail(char *buf, size_t n, const char *sender, int body8bit,
    uint64_t size, int smtputf8);
int lmtp_cmd_rcpt(char *buf, size_t n, const char *addr);

/*
 * Endpoints: "unix:/absolute/path", "host:port" or "[v6addr]:port" with
 * port 1..65535. Parsed into ep; returns 0, or -1 for a bad endpoint with
 * a static reason in *why.
 */
enum lmtp_ep_kind { LMTP_EP_UNIX, LMTP_EP_INET };
struct lmtp_endpoint {
	enum lmtp_ep_kind kind;
	char host[256];		/* INET: host name or address, no brackets */
	char port[6];		/* INET: decimal port */
	char path[108];		/* UNIX: socket path (sun_path size) */
};
int lmtp_endpoint_parse(const char *s, struct lmtp_endpoint *ep,
    const char **why);

#endif
