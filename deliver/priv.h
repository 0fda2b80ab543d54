/*
 * priv.h: who mdrop-deliver acts as when it was started as root
 * (mdrop-deliver(1), PRIVILEGES). One job: become the owner of a
 * directory, and go back, keeping root only as the saved set-user-ID.
 *
 * Started as root without --user, deliver rests as root and touches no
 * path under a mail root or a spool while it does; each step that does
 * becomes the owner of the directory it works in first (a recipient's
 * Maildir: maildir.c; a spool: batch.c) and goes back after. Root is never
 * one of those owners. Supplementary groups are dropped once at the start,
 * so an owner acts with its primary group alone.
 *
 * With --user, or when not started as root, every call below is a no-op
 * after priv_start (returns 0). In LMTP mode as root without --user, the
 * first spool entered becomes the identity for good, before any LMTP
 * connection is made.
 */
#ifndef MDROP_DELIVER_PRIV_H
#define MDROP_DELIVER_PRIV_H

#include <sys/stat.h>
#include <sys/types.h>

#include "common/status.h"

/*
 * At start, after the options: as root with user != NULL, become that user
 * (and its groups) for good; as root without it, drop the supplementary
 * groups and rest as root (lmtp != 0: until the first spool). Returns
 * ST_OK, or ST_CONFIG (logged) when the user is unknown or a switch
 * failed.
 */
enum status priv_start(const char *user, int lmtp);

/* 1 when deliver switches per owner (root without --user), else 0. */
int priv_switching(void);

/*
 * Act as uid with primary group gid (never 0): real and effective IDs
 * become theirs, root stays the saved ID. A no-op when not switching or
 * already so. Returns 0, or -1 with errno (EPERM for uid 0); on failure
 * the identity is what it was at rest.
 */
int priv_become(uid_t uid, gid_t gid);

/* Back to rest (root). Never fails where it matters: if it cannot, the
 * process stays the last owner, and becoming another one then fails. */
void priv_back(void);

/*
 * Who owns the directory st describes: its owner and that owner's primary
 * group (from the password database). Returns 0, or -1 with errno
 * (ENOENT: no such user).
 */
int priv_owner(const struct stat *st, uid_t *uid, gid_t *gid);

/*
 * May deliver, acting as uid, rely on the directory st describes? Only
 * when root and uid alone can write it: owned by one of them and neither
 * group- nor world-writable (a group-writable /var/mail would let one
 * user pre-create another's Maildir). 1 yes, 0 no.
 */
int priv_dir_safe(const struct stat *st, uid_t uid);

/*
 * Become the owner of the spool directory open as dirfd, or, before it
 * is open, of the one named path (priv_enter_path; stat(2) follows
 * symlinks like the open does). Returns 0, -2 when the owner is root
 * (refused: a root-owned spool needs --user), -1 with errno (EPERM, and
 * logged, when the owner is no user).
 */
int priv_enter(int dirfd);
int priv_enter_path(const char *path);

#endif
