/*
 * priv.c: the identity switches of mdrop-deliver started as root (see
 * priv.h). Switching is setresgid + setresuid, two system calls each way:
 * cheap enough to do around every step (measured in tests/bench/README.md,
 * "Delivering as root"), and simpler than a helper process per owner.
 */
#define _GNU_SOURCE		/* setresuid(2), setresgid(2) */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "deliver/priv.h"

#define OWNERS 64		/* uid -> primary gid lookups kept */

static enum { P_OFF, P_SWITCH, P_DROP_AT_SPOOL } mode;
static int away;		/* acting as as_uid now, not at rest */
static uid_t as_uid;
static gid_t as_gid;
static gid_t rest_gid;		/* our gid as root */
static struct { uid_t uid; gid_t gid; } owners[OWNERS];
static size_t nowners, next_owner;

/* Real, effective and saved IDs all uid/gid: no way back. */
static int
become_for_good(uid_t uid, gid_t gid)
{
	uid_t r, e, s;

	if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid ||
	    getegid() != gid || (uid != 0 && setuid(0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

enum status
priv_start(const char *user, int lmtp)
{
	char q[LOG_QUOTE_MAX];
	struct passwd *pw;

	mode = P_OFF;
	if (geteuid() != 0)
		return ST_OK;
	if (user == NULL) {
		rest_gid = getegid();
		if (setgroups(0, NULL) < 0) {
			log_error("cannot-switch-user", "user=root error=\"%s\"",
			    strerror(errno));
			return ST_CONFIG;
		}
		mode = lmtp ? P_DROP_AT_SPOOL : P_SWITCH;
		log_debug("user", "user=root as=%s", lmtp ? "spool-owner" :
		    "maildir-owner");
		return ST_OK;
	}
	if ((pw = getpwnam(user)) == NULL) {
		log_error("unknown-user", "user=%s",
		    log_quote(q, sizeof q, user));
		return ST_CONFIG;
	}
	if (pw->pw_uid == 0) {
		log_error("cannot-switch-user", "user=%s "
		    "reason=would-write-as-root", log_quote(q, sizeof q, user));
		return ST_CONFIG;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    become_for_good(pw->pw_uid, pw->pw_gid) < 0) {
		log_error("cannot-switch-user", "user=%s error=\"%s\"",
		    log_quote(q, sizeof q, pw->pw_name), strerror(errno));
		return ST_CONFIG;
	}
	log_debug("user", "user=%s", log_quote(q, sizeof q, pw->pw_name));
	return ST_OK;
}

int
priv_switching(void)
{
	return mode == P_SWITCH;
}

void
priv_back(void)
{
	static int logged;

	if (!away)
		return;
	if (setresuid(0, 0, (uid_t)-1) < 0 || setresgid(rest_gid, rest_gid,
	    (gid_t)-1) < 0) {
		if (!logged)
			log_error("cannot-switch-back", "uid=%ld error=\"%s\"",
			    (long)as_uid, strerror(errno));
		logged = 1;
		return;		/* still as_uid: safe, just less able */
	}
	away = 0;
}

int
priv_become(uid_t uid, gid_t gid)
{
	int e;

	if (mode != P_SWITCH || (away && as_uid == uid && as_gid == gid))
		return 0;
	if (uid == 0) {
		errno = EPERM;
		return -1;
	}
	priv_back();
	if (away) {		/* stuck as another owner */
		errno = EPERM;
		return -1;
	}
	as_uid = uid;
	as_gid = gid;
	away = 1;	/* from here on priv_back undoes a half switch */
	if (setresgid(gid, gid, (gid_t)-1) < 0 ||
	    setresuid(uid, uid, (uid_t)-1) < 0 || geteuid() != uid ||
	    getegid() != gid) {
		e = errno != 0 ? errno : EPERM;
		priv_back();
		errno = e;
		return -1;
	}
	return 0;
}

/* getpwuid, with ENOENT for "no such user". */
static struct passwd *
lookup(uid_t uid)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwuid(uid)) == NULL && errno == 0)
		errno = ENOENT;
	return pw;
}

int
priv_owner(const struct stat *st, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	size_t i;

	*uid = st->st_uid;
	for (i = 0; i < nowners; i++)
		if (owners[i].uid == st->st_uid) {
			*gid = owners[i].gid;
			return 0;
		}
	if ((pw = lookup(st->st_uid)) == NULL)
		return -1;
	*gid = pw->pw_gid;
	i = nowners < OWNERS ? nowners++ : next_owner++ % OWNERS;
	owners[i].uid = st->st_uid;
	owners[i].gid = pw->pw_gid;
	return 0;
}

int
priv_dir_safe(const struct stat *st, uid_t uid)
{
	return (st->st_uid == 0 || st->st_uid == uid) &&
	    (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Become the owner st names: for this step, or (LMTP) for good. */
static int
enter(const struct stat *st)
{
	char q[LOG_QUOTE_MAX];
	struct passwd *pw;

	if (mode == P_OFF)
		return 0;
	if (st->st_uid == 0)
		return -2;
	if (mode == P_SWITCH) {
		uid_t uid;
		gid_t gid;

		if (priv_owner(st, &uid, &gid) == 0)
			return priv_become(uid, gid);
		pw = NULL;
	} else {
		pw = lookup(st->st_uid);
	}
	if (pw == NULL) {	/* the spool's owner is no user */
		log_error("unknown-owner", "uid=%ld error=\"%s\"",
		    (long)st->st_uid, errno == ENOENT ? "no such user" :
		    strerror(errno));
		errno = EPERM;
		return -1;
	}
	/* its groups too: they may be what opens the LMTP socket */
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    become_for_good(pw->pw_uid, pw->pw_gid) < 0)
		return -1;
	mode = P_OFF;
	log_debug("user", "user=%s reason=spool-owner before=lmtp",
	    log_quote(q, sizeof q, pw->pw_name));
	return 0;
}

int
priv_enter(int dirfd)
{
	struct stat st;

	if (mode == P_OFF)
		return 0;
	if (fstat(dirfd, &st) < 0)
		return -1;
	return enter(&st);
}

int
priv_enter_path(const char *path)
{
	struct stat st;

	if (mode == P_OFF)
		return 0;
	if (stat(path, &st) < 0)
		return -1;
	return enter(&st);
}
