/*
 * addr: strict parsing of the addresses in envelope headers and in
 * Return-Path. Pure: no I/O, no allocation.
 *
 * Accepted, per list element (elements separated by commas, empty ones
 * skipped):   local@domain   <local@domain>   Name <local@domain>
 * with comments "(...)" and white space around the address or the angle
 * brackets, and a display name made of atoms, quoted strings and RFC 2047
 * encoded words. Inside, the addr-spec is strict (no white space or
 * comments in it):
 *
 *   local   a dot-atom (RFC 5322 atext, plus well-formed UTF-8 as in
 *           RFC 6532), or a quoted string of printable ASCII; a quoted
 *           one that is also a valid dot-atom is given back unquoted,
 *           any other is kept quoted as received. At most 64 octets.
 *   domain  LDH labels of 1..63 octets, no leading/trailing hyphen,
 *           at most 255 octets, ASCII only (IDNs as xn-- A-labels);
 *           given back in lower case.
 *
 * Refused: empty addresses, "<>" (ADDR_NULL), source routes, group
 * syntax, domain literals, an addr-spec that is an RFC 2047 encoded word,
 * control characters anywhere, invalid UTF-8, over-long parts.
 */
#ifndef MDROP_ADDR_H
#define MDROP_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX 64
#define ADDR_DOMAIN_MAX 255
#define ADDR_MAX (ADDR_LOCAL_MAX + 1 + ADDR_DOMAIN_MAX)

struct addr {
	char local[ADDR_LOCAL_MAX + 1];
	char domain[ADDR_DOMAIN_MAX + 1];	/* lower case */
};

enum addr_error {
	ADDR_OK = 0,
	ADDR_END,		/* no more addresses in the list */
	ADDR_EMPTY,		/* nothing, or an empty local part */
	ADDR_NULL,		/* the null address <> */
	ADDR_ROUTE,		/* a source route <@a:b@c> */
	ADDR_SYNTAX,		/* anything else that is not an address */
	ADDR_LOCAL_LONG,	/* local part over 64 octets */
	ADDR_DOMAIN_LONG,	/* domain over 255 octets or label over 63 */
	ADDR_CONTROL,		/* a control character (NUL, CR, LF, ...) */
	ADDR_UTF8,		/* invalid UTF-8 */
	ADDR_ENCODED,		/* an RFC 2047 encoded word as the address */
	ADDR_IDN,		/* a malformed xn-- (or ??--) label */
	ADDR_DOMAIN_8BIT	/* valid UTF-8 in a domain (use xn--) */
};

/* A short name for logs ("syntax", "null", ...). */
const char *addr_error_name(enum addr_error e);

/*
 * Parse exactly one addr-spec "local@domain" of len bytes, no white space
 * or brackets around it. Returns ADDR_OK with *a filled, or the reason.
 */
enum addr_error addr_parse_spec(const char *s, size_t len, struct addr *a);

/*
 * The next address of a list value s (len bytes), starting at *pos (0 at
 * first). Returns ADDR_OK with *a filled and *pos moved past it, ADDR_END
 * at the end, or an error (the list is then not usable as a whole). The
 * call with *pos 0 checks the whole value for control characters, so a
 * walk from 0 to the end is linear in len; start a walk only at 0.
 */
enum addr_error addr_list_next(const char *s, size_t len, size_t *pos,
    struct addr *a);

/*
 * A Return-Path value: "<>" gives ADDR_NULL, "<addr>" or a bare addr-spec
 * (comments allowed around) gives ADDR_OK; exactly one address.
 */
enum addr_error addr_parse_path(const char *s, size_t len, struct addr *a);

/* A domain as given on a command line: 0 when valid; lower-cases it in
 * place. Returns the addr_error otherwise. */
enum addr_error addr_domain_check(char *domain);

/* "local@domain" into buf (size n); returns the length, or -1 when it does
 * not fit. */
int addr_format(const struct addr *a, char *buf, size_t n);

/* 1 when c is RFC 5322 atext (ASCII letters, digits, !#$%&'*+-/=?^_`{|}~). */
int addr_atext(unsigned char c);

/*
 * Length of the well-formed UTF-8 sequence at s (at most n bytes, n > 0),
 * or 0. 1 for an ASCII byte. Refuses overlongs, surrogates, code points
 * over U+10FFFF and the C1 controls U+0080..U+009F.
 */
size_t addr_utf8_len(const unsigned char *s, size_t n);

/*
 * Subaddresses (Postfix's recipient_delimiter): the first byte of local
 * (len bytes) that is one of delims separates the user from the detail ("alice+shop": user "alice", detail "shop"). Returns the
 * delimiter's offset, or -1 when there is none, when delims is NULL or
 * empty, or when the delimiter is the first byte (the user would be
 * empty: "+shop" is a user of its own). A delimiter as the last byte
 * gives an empty detail. Case plays no part.
 */
long addr_detail_at(const char *local, size_t len, const char *delims);

/* 1 when s may be a --delimiter: 1 to 16 characters of RFC 5322 atext
 * (so never '.', which a dot-atom local part cannot hold at its ends). */
int addr_delimiters_ok(const char *s);

#endif
