/*
 * rec: the lines between split and deliver, and deliver's result lines
 * (DESIGN.md "Record format"):
 *
 *     PATH<TAB>RECIPIENT<TAB>SENDER<LF>       a record, one per recipient
 *     PATH<LF>                                the end line of PATH's group
 *     PATH<TAB>RECIPIENT<TAB>ok|defer|fail<TAB>DETAIL<LF>   a result line
 *
 * Pure functions: no I/O. No field may hold a TAB, CR, LF, NUL or any
 * other control character (bytes < 0x20 and 0x7f); PATH and RECIPIENT are
 * never empty; SENDER may be empty (null sender). The end line is what
 * lets deliver tell a finished group from one whose writer died half-way:
 * only a group that ended may lose its spool file.
 */
#ifndef MDROP_REC_H
#define MDROP_REC_H

#include <stddef.h>

#define REC_LINE_MAX 8192	/* a longer line is malformed */

enum rec_error {
	REC_OK = 0,
	REC_TRUNCATED,		/* no final LF: the writer died */
	REC_FIELDS,		/* neither one field nor three */
	REC_EMPTY_FIELD,	/* empty PATH or RECIPIENT */
	REC_CONTROL,		/* a control character in a field */
	REC_TOO_LONG		/* over REC_LINE_MAX */
};

struct rec {
	char *path;		/* point into the caller's buffer */
	char *rcpt;		/* NULL for an end line */
	char *sender;		/* NULL for an end line */
};

/*
 * Parse one line of len bytes (with its LF, if any) in place: the TABs and
 * the LF are overwritten with NULs and r's fields point into line. An end
 * line (PATH alone) gives rcpt == sender == NULL. Returns REC_OK or the
 * reason the line is refused.
 */
enum rec_error rec_parse(char *line, size_t len, struct rec *r);

/* A short name for an error ("truncated", "wrong-field-count", ...). */
const char *rec_error_name(enum rec_error e);

/* 1 when s (NUL-terminated) may be a field: no control characters. */
int rec_field_ok(const char *s);

/*
 * Format a record into buf (size n), with the final LF and a NUL.
 * Returns the length without the NUL, or -1 when a field is not allowed
 * (control character, empty PATH/RECIPIENT) or the line does not fit in
 * n or in REC_LINE_MAX.
 */
int rec_format(char *buf, size_t n, const char *path, const char *rcpt,
    const char *sender);

/* The same for the end line "PATH<LF>". */
int rec_format_end(char *buf, size_t n, const char *path);

/* s (len bytes) and a TAB at out: the field of a line; returns len + 1.
 * The caller has checked that they fit. */
size_t rec_put_field(char *out, const char *s, size_t len);

/*
 * Copy s (NUL-terminated; NULL: nothing) to out, at most room bytes, with
 * every control byte made a space, so that text from outside can never
 * split or forge a line. Returns the bytes written (no NUL).
 */
size_t rec_put_clean(char *out, size_t room, const char *s);

enum result_kind { RESULT_OK, RESULT_DEFER, RESULT_FAIL };

/* "ok", "defer" or "fail". */
const char *result_word(enum result_kind k);

/*
 * Format one result line with its LF into buf (size n) and NUL-terminate
 * it. PATH and RECIPIENT must not hold control characters (they come from
 * a parsed record); DETAIL often comes from outside (a server reply, an
 * errno text), so every control byte in it becomes a space — a result line
 * can never be split or forged — and it is cut to fit. Returns the length
 * without the NUL, or -1 when path/rcpt are refused or n cannot hold the
 * line with an empty detail.
 */
int result_format(char *buf, size_t n, const char *path, const char *rcpt,
    enum result_kind k, const char *detail);

#endif
