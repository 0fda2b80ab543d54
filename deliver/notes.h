/*
 * notes: the done note of one spool message, SPOOL/NAME.done, on disk
 * (its lines: common/donenote.h). The note's existence also says "an
 * earlier run may have delivered part of this message": mdrop-deliver
 * then looks for earlier copies in the Maildirs before delivering (see
 * mdrop-deliver(1)). The note is created when delivery of the message
 * begins and removed after the spool file has left SPOOL/new durably.
 *
 * Returns are 0 or -1 with errno unless said otherwise; none logs.
 */
#ifndef MDROP_DELIVER_NOTES_H
#define MDROP_DELIVER_NOTES_H

#include <stddef.h>

#include "common/donenote.h"

#define NOTE_MAX (1024 * 1024)	/* cap on a note's size */

struct note {
	int dirfd;		/* spool directory (not owned) */
	int fd;			/* the note, O_APPEND; -1 when closed */
	int existed;		/* 1: the note was there before we opened it */
	int dirty;		/* appended since the last note_sync */
	char *buf;		/* whole note (owned), len bytes, NUL after */
	size_t len;
	size_t cap;		/* bytes allocated at buf */
	struct donenote_index ix;	/* the note as loaded, by recipient */
	char name[300];		/* NAME.done */
};

/*
 * Open SPOOL/NAME.done under spooldirfd (O_NOFOLLOW) and load it. When
 * there is none: create != 0 creates it now; create == 0 leaves it to the
 * first note_add (p->fd stays -1 until then: see note_exists). A note
 * over NOTE_MAX fails with EFBIG.
 */
int note_open(struct note *p, int spooldirfd, const char *name, int create);

/* 1 when the note's file exists (opened, or made by note_add). */
int note_exists(const struct note *p);

/* What the note as it was loaded says of rcpt (through its index: a
 * rerun of a group of thousands must not scan the note once per
 * record). Lines this process added are not searched: they are for
 * recipients its group already holds and finds by itself. */
enum donenote_state note_get(const struct note *p, const char *rcpt,
    char *detail, size_t n);

/* 1 when the loaded note holds a "fail" line (some recipient failed for
 * good in an earlier run). */
int note_any_fail(const struct note *p);

/* Append a line (not yet durable). ok != 0: "ok", else "fail". Control
 * characters in detail become spaces. */
int note_add(struct note *p, int ok, const char *rcpt,
    const char *detail);

/* fsync the note when something was appended. */
int note_sync(struct note *p);

/* Close the note (keeps the file). */
void note_close(struct note *p);

/*
 * Read SPOOL/failed/NAME.why (failedfd: SPOOL/failed) into *buf (owned
 * by the caller, NUL after), at most NOTE_MAX + 64 KiB of it (a .why is
 * the recipients' lines and a done note). 0, or -1 with errno.
 */
int note_why_read(int failedfd, const char *name, char **buf, size_t *len);

/* Remove SPOOL/NAME.done (ENOENT is not an error). */
int note_remove(int spooldirfd, const char *name);

/*
 * Remove every note SPOOL/NAME.done whose NAME is no longer in SPOOL/new
 * (newfd): a run killed between the removal of a delivered file (or its
 * move to failed/) and the removal of its note left it, and a spool name
 * never comes back, so it can serve nothing. Returns how many it
 * removed, or -1 with errno.
 */
int note_sweep(int spooldirfd, int newfd);

#endif
