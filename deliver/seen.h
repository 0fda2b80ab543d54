/*
 * seen: the spool files this mdrop-deliver process has finished (removed
 * from SPOOL/new or moved to SPOOL/failed), with what each recipient got.
 *
 * The record stream is at least once (DESIGN.md): mdrop-fetch --interval
 * prints every waiting path again at each poll, a filter may repeat a
 * line, the same file may be spelled SPOOL//new/P. When a path comes
 * again after its group is finished, its file is gone and its progress
 * note with it; this memory is what turns that record into "ok, already
 * delivered" (or the failure it had) instead of an error. A file is known
 * by its spool directory (device, inode) and its name: spool names are
 * never reused, inodes are.
 *
 * Bounded: the oldest entries are forgotten beyond SEEN_KEEP; a record
 * for a forgotten file falls back to what the Maildir shows.
 */
#ifndef MDROP_DELIVER_SEEN_H
#define MDROP_DELIVER_SEEN_H

#include <sys/types.h>

#include "deliver/deliver.h"

#define SEEN_KEEP 1024

struct seen;

struct seen *seen_new(void);
void seen_free(struct seen *s);

/* Remember that spool (dev, ino) file name is finished, with the result
 * of each recipient of msg. 0, or -1 (ENOMEM: then it is just not
 * remembered). */
int seen_add(struct seen *s, dev_t dev, ino_t ino, const char *name,
    const struct dl_msg *msg);

/*
 * What became of rcpt (compared without case) in that finished file:
 * DL_OK or DL_FAIL with its detail copied into detail (size n); DL_PENDING
 * when the file is known but rcpt was not among its recipients; DL_DEFER
 * when the file is not known.
 */
enum dl_result seen_lookup(const struct seen *s, dev_t dev, ino_t ino,
    const char *name, const char *rcpt, char *detail, size_t n);

#endif
