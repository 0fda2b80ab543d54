/*
 * mdcache.h: a recipient's Maildir found and kept open for mdrop-deliver
 * (mdcache.c says how: the no-symlink walk from the template's fixed
 * root, the owner as root, the re-validation between batches).
 */
#ifndef MDROP_DELIVER_MDCACHE_H
#define MDROP_DELIVER_MDCACHE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "deliver/deliver.h"

#define MDCACHE_MAX 32		/* open Maildirs kept (4 fds each) */

/* One open Maildir. maildir.c reads these fields and keeps refs, dirty,
 * bad and sync_err; the rest is mdcache's. */
struct mcache {
	char path[PATH_MAX];	/* the expanded Maildir path; "" = free slot */
	int md, tmp, new, cur;	/* owned */
	dev_t dev[4];		/* of md, tmp, new, cur */
	ino_t ino[4];
	unsigned long gen;	/* batch in which it was last (re)validated */
	unsigned long used;	/* LRU stamp */
	uid_t uid;		/* who writes it: its owner as root, else we */
	gid_t gid;
	int refs;		/* pending copies using it */
	int dirty;		/* new/ changed or relied on: fsync at commit */
	int bad;		/* fsync of new/ failed: drop after the commit */
	int sync_err;		/* errno of that fsync */
};

struct mdcache {
	struct mcache cache[MDCACHE_MAX];
	unsigned long gen, clock;
	uid_t euid;		/* who we are (when not switching per owner) */
};

void mdcache_init(struct mdcache *m);
void mdcache_free(struct mdcache *m);

/* A new batch: entries are re-validated before their next use. */
void mdcache_next_batch(struct mdcache *m);

/* Close an entry and free its slot (its fds are never used again). */
void mdcache_drop(struct mcache *c);

/*
 * The Maildir at path (an expanded template, its fixed root rootlen bytes
 * long), from the cache or opened now (created when create != 0); on
 * success the process acts as the entry's owner (the caller goes back
 * with priv_back). Returns the entry, or NULL with r's result and detail
 * set (when r is NULL, errno; ENOENT for "no Maildir", EINVAL for a
 * refused Maildir), or NULL with errno EBUSY and r untouched when every
 * entry is in use (commit, then ask again).
 */
struct mcache *mdcache_get(struct mdcache *m, const char *path,
    size_t rootlen, int create, struct dl_rcpt *r);

/* Search dirfd for BASE followed by ',', ':' or the end: 1 found (its
 * name into found, size n), 0 not, -1 error. */
int mdcache_find_base(int dirfd, const char *base, char *found, size_t n);

/* r's result from errno e at step what (a path): permanent for what
 * cannot change by itself (not a directory, a loop, a name too long, no
 * Maildir with --no-create), else deferred. */
void mdcache_error(struct dl_rcpt *r, const char *what, int e, int create);

/* A refusal of a Maildir or address: r permanent with the printf detail;
 * when r is NULL, errno EINVAL. */
void mdcache_refuse(struct dl_rcpt *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
