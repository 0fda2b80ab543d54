/*
 * group.h: the record groups of a batch, shared by the two halves of
 * mdrop-deliver's bookkeeping: batch.c takes records in (groups, spools,
 * identity by spool file, repeats, taint) and commit.c makes a batch
 * durable, prints its results and acknowledges its complete groups in
 * their spools. Nothing outside these two files sees these structures.
 */
#ifndef MDROP_DELIVER_GROUP_H
#define MDROP_DELIVER_GROUP_H

#include <stdio.h>
#include <sys/types.h>

#include "common/spool.h"
#include "deliver/deliver.h"
#include "deliver/notes.h"

#define GROUP_RCPTS 10000	/* distinct recipients of one message */
#define GROUP_RECORDS (4 * GROUP_RCPTS)	/* records, repeats included */
#define SPOOLS_KEPT 4		/* idle spools kept open */

enum gstate { G_READY, G_GONE, G_LOCKED, G_ERROR };

struct sref {
	struct sref *next;
	struct spool sp;
	dev_t dev;		/* the spool directory, which names it */
	ino_t ino;
	int refs;
	int dirty;		/* new/ changed: fsync before removing notes */
	int marks;		/* a note was created: fsync SPOOL before links */
	int swept;		/* orphan notes removed (spool_locate) */
	const char *unsafe;	/* spool_unsafe() when opened: not taken */
};

/* One record of a group: its recipient, and its own spelling of PATH and
 * RECIPIENT when it differs from the group's (the result line echoes it). */
struct grec {
	size_t idx;		/* in msg.rcpt */
	char *path;		/* NULL: the group's */
	char *rcpt;		/* NULL: msg.rcpt[idx].addr */
};

struct group {
	struct group *next;
	char *path;		/* as first given */
	struct sref *sr;
	enum gstate state;
	enum dl_result eres;	/* G_ERROR, G_LOCKED: the result of every record */
	enum status est;	/* and its status */
	char edetail[DL_DETAIL_MAX];
	struct note note;
	int have_note;
	struct dl_msg msg;	/* msg.rcpt: the distinct recipients */
	char *sender;
	unsigned char *fresh;	/* per rcpt: 1 = decided in this run, 2 noted */
	size_t cap;
	size_t *slots;		/* hash table of msg.rcpt (index + 1, 0: free;
				 * never over half full): repeats are found
				 * in O(1), whatever the group's size */
	size_t nslots;
	struct grec *recs;	/* the records, in order */
	size_t nrecs, caprecs, printed;
	int closed;		/* complete: end line, or the writer moved on */
	int tainted;		/* a record was refused or lost: keep the file */
	int finished;		/* its spool file left new/ in this commit */
	int inflight;		/* LMTP: handed to a session, not back yet */
	int again;		/* LMTP: deliver once more when it is back
				 * (recipients came, or were redirected) */
	int early;		/* LMTP: its spool file removed as its last
				 * 2xx came (batch.c, landed) */
	char *why;		/* SPOOL/failed/NAME.why, once read (gone()) */
	size_t whylen;
	int why_read;		/* 1: why and whylen are what there is */
};

struct maildir;
struct lmtp_client;
struct seen;

struct batch {
	struct maildir *md;
	struct lmtp_client *lmtp;
	FILE *out;
	struct group *head, *tail;
	struct group *hand;	/* the group the writer is on, or NULL */
	size_t ngroups;
	struct sref *spools;
	struct seen *seen;
	const char *unknown_to;	/* --unknown-to, or NULL */
	char *taint;		/* PATH of the last broken record */
	int taint_all;		/* lost track of a record: keep every file */
	int final;		/* the last commit: note what stays unfinished */
	int settling;		/* in settle(): groups go again from there */
	long long t0;		/* monotonic ms of the batch's first record */
};

/* spoolfile.c */

/* Put g in state s, every record's result res, status st, detail. */
void group_error(struct group *g, enum gstate s, enum dl_result res,
    enum status st, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The open spool of directory dir (by its string, else by identity), or
 * NULL with errno. */
struct sref *spool_ref(struct batch *b, const char *dir);

/* Close idle spools beyond SPOOLS_KEPT. */
void spool_trim(struct batch *b);

/* The spool of path (*name: its file name, into path), entered as its
 * owner; NULL with g's error set. */
struct sref *spool_locate(struct batch *b, const char *path,
    const char **name, struct group *g);

/* Step 1 for the new group g (g->sr set): open, lock, check, note (made
 * now when make_note, else only when a line is first added to it). */
void group_open(struct group *g, int make_note);

/* rcpts.c */

/*
 * Add a record (path, rcpt) to g: its recipient index (an earlier one for
 * a repeat, compared without case), or -1 with *why ("out-of-memory",
 * "too-many-recipients").
 */
long group_add_record(struct group *g, const char *path, const char *rcpt,
    const char **why);

/* batch.c */

/* Free g (unlinked from the batch's list by the caller). */
void group_free(struct batch *b, struct group *g);

/*
 * Deliver g's pending recipients now (their results become "fresh").
 * Maildir: returns ST_OK, or ST_TEMPFAIL when something was deferred.
 * LMTP: hands g to a session (waiting for a free one) and returns ST_OK;
 * its results come back later, and count at the commit.
 */
enum status group_deliver(struct batch *b, struct group *g);

/* Append g's fresh ok/fail results to its done note (written at once,
 * durable after note_sync). 0, or -1 with errno. */
int group_note(struct group *g);

/* LMTP: wait until no group is in flight and none waits to go again. */
void batch_drain(struct batch *b);

/* commit.c: the Maildir prelink hook (maildir_set_prelink): the notes
 * created in this batch made durable before any copy is linked. */
int batch_prelink(void *arg);

#endif
