/*
 * maildir.h: the Maildir backend of mdrop-deliver.
 *
 * Each (spool message, recipient) gets one deterministic Maildir name,
 *
 *     BASE,S=SIZE     BASE = SPOOLNAME "." 16 hex digits of a hash of
 *                     the recipient, its ASCII letters in lower case
 *                     (',' in SPOOLNAME written as '_')
 *
 * claimed with link(2) into new/: EEXIST means "already delivered". When
 * an earlier run may have delivered (scan != 0, the spool's done note
 * existed), new/ and cur/ are also searched for BASE followed by ',' or
 * ':', so a copy the user's mail client moved to cur/ and flagged is
 * recognised too.
 */
#ifndef MDROP_DELIVER_MAILDIR_H
#define MDROP_DELIVER_MAILDIR_H

#include <stddef.h>

#include "deliver/deliver.h"

struct maildir_opts {
	const char *tmpl;	/* -m TEMPLATE, already checked by tmpl_check */
	int create;		/* 0: --no-create */
	const char *delimiters;	/* --delimiter: %l without the detail, %e */
	int detail_folder;	/* --detail-folder: into Maildir/.DETAIL when
				 * that folder exists */
};
struct maildir;

struct maildir *maildir_new(const struct maildir_opts *opts);

/*
 * fn(arg) is called by maildir_commit before any copy is linked into a
 * new/ directory, i.e. before any copy can be seen or made durable: what
 * the caller must have on disk by then (the spool's done notes, so
 * that a rerun knows to search cur/ too) it makes durable there. It
 * returns 0, or -1 with errno.
 */
void maildir_set_prelink(struct maildir *m, int (*fn)(void *), void *arg);
void maildir_free(struct maildir *m);

/*
 * Deliver msg to every recipient whose result is DL_PENDING, setting
 * result and detail (a recipient with a redirect goes to that address's
 * Maildir, with DL_REDIRECT_HEADER on top; its copy keeps the name
 * derived from the original recipient). A DL_OK here is written and fsynced in tmp/ but is
 * published (linked) and durable only after maildir_commit, which may
 * still turn it into DL_DEFER.
 * msg must stay valid (rcpt may grow, by index) until maildir_commit.
 * Returns ST_OK, or ST_TEMPFAIL when something was deferred.
 */
enum status maildir_deliver(struct maildir *m, struct dl_msg *msg, int scan);

/*
 * Publish the batch: call the prelink hook (when it fails, no copy is
 * linked and each becomes DL_DEFER), link each copy written since the
 * last commit into its new/ (EEXIST: "already delivered"), then fsync
 * every such new/ directory once. A recipient whose link or directory
 * fsync failed becomes DL_DEFER. Returns ST_OK or ST_TEMPFAIL. Also
 * called by maildir_deliver itself when its bounded queues are full.
 */
enum status maildir_commit(struct maildir *m);

/*
 * 1 when the recipient's Maildir already holds the copy of spool message
 * name (new/ or cur/), 0 when not, -1 when that cannot be checked.
 */
int maildir_has(struct maildir *m, const char *name, const char *rcpt);

/* The Maildir base name for (spool name, recipient) into buf (size n). */
int maildir_base(char *buf, size_t n, const char *name, const char *rcpt);

#endif
