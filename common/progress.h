/*
 * progress: the durable per-recipient note of one spool message,
 * SPOOL/NAME.done, so that a message with several recipients of which
 * some were deferred is retried only for those (DESIGN.md "Delivery
 * guarantees"). One line per finished recipient, appended and fsynced:
 *
 *     ok<TAB>RECIPIENT<TAB>DETAIL<LF>
 *     fail<TAB>RECIPIENT<TAB>REASON<LF>
 *
 * A last line without its LF (a crash during the append) is ignored.
 * The note's existence also says "an earlier run may have delivered part
 * of this message": mdrop-deliver then looks for earlier copies in the
 * Maildirs before delivering (see mdrop-deliver(1)). The note is created
 * when delivery of the message begins and removed after the spool file
 * has left SPOOL/new durably.
 *
 * progress_line_format(), progress_line_parse() and progress_find() are
 * pure; the rest do file I/O on an open spool. Returns are 0 or -1 with
 * errno unless said otherwise; none logs. Recipients are compared without
 * regard to case, as everywhere between split and deliver.
 */
#ifndef MDROP_PROGRESS_H
#define MDROP_PROGRESS_H

#include <stddef.h>

#define PROGRESS_MAX (1024 * 1024)	/* cap on a note's size */

enum progress_state { PROGRESS_NONE, PROGRESS_OK, PROGRESS_FAIL };

struct progress {
	int dirfd;		/* spool directory (not owned) */
	int fd;			/* the note, O_APPEND; -1 when closed */
	int existed;		/* 1: the note was there before we opened it */
	int dirty;		/* appended since the last progress_sync */
	char *buf;		/* whole note (owned), len bytes, NUL after */
	size_t len;
	char name[300];		/* NAME.done */
};

#define PROGRESS_LINE_MAX 1024	/* one line, LF included */

/*
 * Format one note line into buf (size n, at least PROGRESS_LINE_MAX):
 * "ok" or "fail", the recipient, the detail with every control byte made
 * a space and cut to fit, the LF. Returns its length (no NUL is written),
 * or -1 (ENAMETOOLONG) when the recipient leaves no room or holds a TAB
 * or control byte (it could not be read back).
 */
int progress_line_format(char *buf, size_t n, int ok, const char *rcpt,
    const char *detail);

/*
 * Parse one line (len bytes, its LF not included). Returns PROGRESS_OK or
 * PROGRESS_FAIL with the recipient and detail as (pointer, length) pairs
 * into line, or PROGRESS_NONE for a line that is not a note line.
 */
enum progress_state progress_line_parse(const char *line, size_t len,
    const char **rcpt, size_t *rlen, const char **detail, size_t *dlen);

/*
 * Look rcpt up in a note's text (buf, len). Returns its state; for a
 * found recipient its detail is copied (NUL-terminated, cut) into detail
 * (size n, may be 0). A later line wins over an earlier one.
 */
enum progress_state progress_find(const char *buf, size_t len,
    const char *rcpt, char *detail, size_t n);

/*
 * Open or create SPOOL/NAME.done under spooldirfd (O_NOFOLLOW) and load
 * it. A note over PROGRESS_MAX fails with EFBIG.
 */
int progress_open(struct progress *p, int spooldirfd, const char *name);

/* progress_find on the loaded note. */
enum progress_state progress_get(const struct progress *p, const char *rcpt,
    char *detail, size_t n);

/* 1 when the loaded note holds a "fail" line (some recipient failed for
 * good in an earlier run). */
int progress_any_fail(const struct progress *p);

/* Append a line (not yet durable). ok != 0: "ok", else "fail". Control
 * characters in detail become spaces. */
int progress_add(struct progress *p, int ok, const char *rcpt,
    const char *detail);

/* fsync the note when something was appended. */
int progress_sync(struct progress *p);

/* Close the note (keeps the file). */
void progress_close(struct progress *p);

/* Remove SPOOL/NAME.done (ENOENT is not an error). */
int progress_remove(int spooldirfd, const char *name);

#endif
