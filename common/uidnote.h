/*
 * uidnote: one line of mdrop-fetch's UID note file (SPOOL/uidl.HASH), as
 * a pure formatter and parser: no files, no allocation.
 *
 *     KIND SP SIZE SP UID SP NAME [SP IDENT] LF
 *
 *   KIND  'S': spooled (NAME is the spool file, or "-" once published);
 *         'B': too big for --max-size, already logged (NAME is "-").
 *   SIZE  the server's LIST size, decimal, no sign, no leading zeros.
 *   UID   the POP3 unique-id (RFC 1939: 1-70 octets 0x21..0x7E), with
 *         every byte outside [A-Za-z0-9._-] written %XX (upper-case hex),
 *         so a UID never reaches a path and never holds a separator.
 *   NAME  a spool file name (md_name_valid) or "-".
 *   IDENT the message's identity (common/ident: IDENT_HEX_LEN lower-case
 *         hex digits), only when it has one; lines of older versions
 *         never have it.
 *
 * Only that canonical form is accepted: a line the parser takes is given
 * back byte for byte by the formatter, and every note the formatter
 * writes is parsed back to the same note. A line is complete only with
 * its LF, so a line torn by a crash during an append is refused.
 */
#ifndef MDROP_UIDNOTE_H
#define MDROP_UIDNOTE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ident.h"
#include "common/md.h"
#include "common/pop3.h"

#define UIDNOTE_ENC_MAX		(3 * POP3_UID_MAX)	/* every byte %XX */
/* The longest line, LF and a NUL included: kind, size (20 digits), UID,
 * name, identity, four spaces. */
#define UIDNOTE_LINE_MAX	(1 + 1 + 20 + 1 + UIDNOTE_ENC_MAX + 1 + \
				 (MD_NAME_MAX - 1) + 1 + IDENT_HEX_LEN + 1 + 1)

enum uidnote_kind { UIDNOTE_SPOOLED = 'S', UIDNOTE_TOOBIG = 'B' };

struct uidnote {
	enum uidnote_kind kind;
	uint64_t size;
	char uid[POP3_UID_MAX + 1];	/* decoded, NUL-terminated */
	char name[MD_NAME_MAX];		/* "" for "-" */
	char ident[IDENT_HEX_LEN + 1];	/* "" when none */
};

enum uidnote_err {
	UIDNOTE_OK = 0,
	UIDNOTE_TRUNCATED,	/* no LF at the end (a torn last line) */
	UIDNOTE_SYNTAX,		/* wrong field count, separators, bytes */
	UIDNOTE_KIND,		/* not S or B */
	UIDNOTE_SIZE,		/* not a canonical decimal uint64 */
	UIDNOTE_UID,		/* bad %XX, not canonical, or not a valid UID */
	UIDNOTE_NAME,		/* neither "-" nor a valid spool name */
	UIDNOTE_IDENT		/* not IDENT_HEX_LEN lower-case hex digits */
};

/* A word for the log ("truncated", "uid", ...). */
const char *uidnote_error_name(enum uidnote_err e);

/*
 * Parse line[0..len), which must end in its LF and hold exactly one.
 * Fills *u only on UIDNOTE_OK. Never reads outside line[0..len).
 */
enum uidnote_err uidnote_parse(const char *line, size_t len,
    struct uidnote *u);

/*
 * Write u as one line (LF and a NUL added) into out (size n; at least
 * UIDNOTE_LINE_MAX always suffices). Returns the length without the NUL,
 * or -1 when u is not a valid note (kind, UID, name, identity; a TOOBIG
 * note with a name) or n is too small; out is then "".
 */
int uidnote_format(char *out, size_t n, const struct uidnote *u);

/*
 * The UID encoding alone: uid (a valid UID, NUL-terminated) into out
 * (at least UIDNOTE_ENC_MAX + 1 bytes). Returns the length, or -1 when
 * uid is not a valid UID.
 */
int uidnote_encode_uid(char *out, size_t n, const char *uid);

#endif
