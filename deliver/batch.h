/*
 * batch.h: the record groups of mdrop-deliver between delivery and
 * acknowledgement (group commit).
 *
 * Consecutive records for one PATH form a group (one spool message). A
 * record is delivered as soon as it arrives; what was delivered becomes
 * durable, is noted in the spool's progress note and is reported on
 * stdout only in batch_commit(), which main calls whenever no further
 * record is waiting (or the batch is full). A group is closed by a record
 * for another PATH or by end of input; once closed and committed, its
 * spool file is removed (all recipients ok), moved to SPOOL/failed with a
 * .why (none pending, some failed) or kept (something deferred).
 */
#ifndef MDROP_DELIVER_BATCH_H
#define MDROP_DELIVER_BATCH_H

#include <stdio.h>

#include "common/status.h"
#include "deliver/deliver.h"
#include "deliver/maildir.h"

#define BATCH_GROUPS 64		/* messages per group commit, at most */
#define BATCH_WAIT_MS 20	/* how long a batch waits for more records */

struct batch;

/* Exactly one of md and lmtp is non-NULL. Results go to out. */
struct batch *batch_new(struct maildir *md, struct lmtp_client *lmtp,
    FILE *out);
void batch_free(struct batch *b);

/*
 * One parsed record. more != 0: the next record (already read) is for
 * the same PATH, so an LMTP delivery may wait for it. Returns the status
 * this record adds to the run (ST_OK, ST_TEMPFAIL, ST_DATAERR, ...).
 */
enum status batch_record(struct batch *b, const char *path, const char *rcpt,
    const char *sender, int more);

/*
 * A broken record line whose PATH field (up to the first TAB) is path
 * (len bytes): the message it names is never removed in this run.
 */
void batch_taint(struct batch *b, const char *path, size_t len);

/* End of input: the group in hand is complete. */
void batch_close(struct batch *b);

/* Groups in the batch (main commits at BATCH_GROUPS). */
size_t batch_groups(const struct batch *b);

/*
 * Milliseconds since the first record of the uncommitted batch, -1 when
 * there is none (main waits up to BATCH_WAIT_MS for more records).
 */
long long batch_age(const struct batch *b);

/* The next batch_commit is the last: groups that stay unfinished get
 * their results written into their progress notes. */
void batch_final(struct batch *b);

/*
 * Make the batch durable, note and print its results, acknowledge closed
 * groups in their spools. Returns the status to add to the run; ST_IOERR
 * when stdout failed (main then stops reading).
 */
enum status batch_commit(struct batch *b);

#endif
