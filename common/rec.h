/*
 * rec: the record format between split and deliver (DESIGN.md):
 *
 *     PATH<TAB>RECIPIENT<TAB>SENDER<LF>
 *
 * Pure functions: no I/O. No field may hold a TAB, CR, LF, NUL or any
 * other control character (bytes < 0x20 and 0x7f); PATH and RECIPIENT are
 * never empty; SENDER may be empty (null sender).
 */
#ifndef MDROP_REC_H
#define MDROP_REC_H

#include <stddef.h>

#define REC_LINE_MAX 8192	/* a longer line is malformed */

enum rec_error {
	REC_OK = 0,
	REC_TRUNCATED,		/* no final LF: the writer died */
	REC_FIELDS,		/* not exactly three fields */
	REC_EMPTY_FIELD,	/* empty PATH or RECIPIENT */
	REC_CONTROL,		/* a control character in a field */
	REC_TOO_LONG		/* over REC_LINE_MAX */
};

struct rec {
	char *path;		/* point into the caller's buffer */
	char *rcpt;
	char *sender;
};

/*
 * Parse one line of len bytes (with its LF, if any) in place: the TABs and
 * the LF are overwritten with NULs and r's fields point into line.
 * Returns REC_OK or the reason the line is refused.
 */
enum rec_error rec_parse(char *line, size_t len, struct rec *r);

/* A short name for an error ("truncated", "fields", ...). */
const char *rec_error_name(enum rec_error e);

/* 1 when s (NUL-terminated) may be a field: no control characters. */
int rec_field_ok(const char *s);

/*
 * Format a record into buf (size n), with the final LF and a NUL.
 * Returns the length without the NUL, or -1 when a field is not allowed
 * (control character, empty PATH/RECIPIENT) or n is too small.
 */
int rec_format(char *buf, size_t n, const char *path, const char *rcpt,
    const char *sender);

#endif
