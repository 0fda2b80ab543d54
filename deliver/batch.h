/*
 * batch.h: the record groups of mdrop-deliver between delivery and
 * acknowledgement (group commit).
 *
 * The records of one spool file form a group, ended by the file's end
 * line (DESIGN.md "Record format"). A record is delivered as soon as it
 * arrives; what was delivered becomes durable, is noted in the spool's
 * done note and is reported on stdout only in batch_commit(), which
 * main calls whenever no further line is waiting (or the batch is full).
 * A group is complete at its end line or when a line for another file
 * arrives; once complete and committed, its spool file is removed (all
 * recipients ok), moved to SPOOL/failed with a .why (none pending, some
 * failed) or kept (something deferred, or the group tainted). A group
 * still open when input ends is incomplete: kept, its deliveries noted.
 */
#ifndef MDROP_DELIVER_BATCH_H
#define MDROP_DELIVER_BATCH_H

#include <stdio.h>

#include "common/status.h"
#include "deliver/deliver.h"
#include "deliver/lmtp.h"
#include "deliver/maildir.h"

#define BATCH_GROUPS 64		/* messages per group commit, at most */
#define BATCH_WAIT_MS 20	/* how long a batch waits for more records */

struct batch;

/* Exactly one of md and lmtp is non-NULL. Results go to out. */
struct batch *batch_new(struct maildir *md, struct lmtp_client *lmtp,
    FILE *out);
void batch_free(struct batch *b);

/*
 * One parsed record. more != 0: the next line (already read) is a record
 * for the same PATH, so an LMTP delivery may wait for it. Returns the
 * status this record adds to the run (ST_OK, ST_TEMPFAIL, ST_DATAERR, ...).
 */
enum status batch_record(struct batch *b, const char *path, const char *rcpt,
    const char *sender, int more);

/* The end line of path's group: it is complete. */
enum status batch_end(struct batch *b, const char *path);

/*
 * A broken or cut line: the group in hand is tainted (its file stays in
 * this run) but not complete; when the line had a TAB, path (len bytes,
 * up to it) names a group that is tainted too. len 0: no such PATH.
 */
void batch_broken(struct batch *b, const char *path, size_t len);

/*
 * Input ended (or we stop): a group in hand whose end line did not come
 * is incomplete and kept; logged as group-incomplete. Returns ST_TEMPFAIL
 * when there was one, else ST_OK.
 */
enum status batch_input_end(struct batch *b);

/* --unknown-to: a recipient that fails as an unknown user (LMTP 550
 * 5.1.1; no Maildir with --no-create) is delivered to addr instead, with
 * DL_REDIRECT_HEADER naming it on top. */
void batch_unknown_to(struct batch *b, const char *addr);

/* Groups in the batch (main commits at BATCH_GROUPS). */
size_t batch_groups(const struct batch *b);

/*
 * Milliseconds since the first record of the uncommitted batch, -1 when
 * there is none (main waits up to BATCH_WAIT_MS for more records).
 */
long long batch_age(const struct batch *b);

/* The next batch_commit is the last: groups that stay unfinished get
 * their results written into their done notes. */
void batch_final(struct batch *b);

/*
 * Wait up to timeout_ms (-1: no limit) for input on stdin while the LMTP
 * deliveries in flight go on (their results noted as they come back).
 * Returns as tool_wait_input(): 1 input, 0 timeout, -1 stop signal.
 */
int batch_wait_input(struct batch *b, int timeout_ms);

/*
 * Make the batch durable (first waiting for every LMTP delivery in
 * flight), note and print its results, acknowledge closed
 * groups in their spools. Returns the status to add to the run; ST_IOERR
 * when stdout failed (main then stops reading).
 */
enum status batch_commit(struct batch *b);

#endif
