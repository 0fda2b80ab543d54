/*
 * donenote: the lines of a spool message's done note, SPOOL/NAME.done
 * (deliver/notes.c keeps the file), so that a message with several
 * recipients of which some were deferred is retried only for those
 * (DESIGN.md "Delivery guarantees"). One line per finished recipient:
 *
 *     ok<TAB>RECIPIENT<TAB>DETAIL<LF>
 *     fail<TAB>RECIPIENT<TAB>REASON<LF>
 *
 * A last line without its LF (a crash during the append) is ignored.
 * Pure functions: no I/O. Recipients are compared without regard to
 * case, as everywhere between split and deliver.
 */
#ifndef MDROP_DONENOTE_H
#define MDROP_DONENOTE_H

#include <stddef.h>

#define DONENOTE_LINE_MAX 1024	/* one line, LF included */

enum donenote_state { DONENOTE_NONE, DONENOTE_OK, DONENOTE_FAIL };

/*
 * Format one note line into buf (size n, at least DONENOTE_LINE_MAX):
 * "ok" or "fail", the recipient, the detail with every control byte made
 * a space and cut to fit, the LF. Returns its length (no NUL is written),
 * or -1 (ENAMETOOLONG) when the recipient leaves no room or holds a TAB
 * or control byte (it could not be read back).
 */
int donenote_line_format(char *buf, size_t n, int ok, const char *rcpt,
    const char *detail);

/*
 * Parse one line (len bytes, its LF not included). Returns DONENOTE_OK or
 * DONENOTE_FAIL with the recipient and detail as (pointer, length) pairs
 * into line, or DONENOTE_NONE for a line that is not a note line.
 */
enum donenote_state donenote_line_parse(const char *line, size_t len,
    const char **rcpt, size_t *rlen, const char **detail, size_t *dlen);

/*
 * Look rcpt up in a note's text (buf, len). Returns its state; for a
 * found recipient its detail is copied (NUL-terminated, cut) into detail
 * (size n, may be 0). A later line wins over an earlier one.
 */
enum donenote_state donenote_find(const char *buf, size_t len,
    const char *rcpt, char *detail, size_t n);

/*
 * What a failed message's SPOOL/failed/NAME.why (buf, len) says of rcpt.
 * Its lines (deliver/commit.c, move_failed): "time: ...", "path: ...",
 * one "RCPT<TAB>ok|fail<TAB>DETAIL" per recipient of the last run, then
 * "done note:" and the done note's lines ("ok|fail<TAB>RCPT<TAB>DETAIL",
 * earlier runs). DONENOTE_OK when any line says rcpt was delivered (a
 * record for it is then fine: DESIGN.md, "Record format"), else
 * DONENOTE_FAIL when one says it failed, else DONENOTE_NONE; the detail
 * of the line that decided is copied as by donenote_find.
 */
enum donenote_state donenote_why_find(const char *buf, size_t len,
    const char *rcpt, char *detail, size_t n);

/*
 * An index of a note's text by recipient, for a note of thousands of
 * lines looked up once per record: donenote_index_find says what
 * donenote_find would, without scanning the note. The index holds
 * offsets, not pointers: the text may be moved or grown after the build
 * (only its first len bytes are indexed, and must stay as they were).
 */
struct donenote_index {
	size_t len;		/* bytes of text indexed */
	size_t *slot;		/* offset + 1 of a recipient's last line; 0 */
	size_t nslots;		/* a power of two, or 0 (nothing indexed) */
};

/* Build ix over buf[0..len). 0, or -1 (ENOMEM). */
int donenote_index_build(struct donenote_index *ix, const char *buf,
    size_t len);

/* donenote_find(buf, ix->len, rcpt, detail, n), through the index. */
enum donenote_state donenote_index_find(const struct donenote_index *ix,
    const char *buf, const char *rcpt, char *detail, size_t n);

void donenote_index_free(struct donenote_index *ix);

#endif
