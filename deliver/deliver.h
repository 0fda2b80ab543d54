/*
 * deliver.h: what mdrop-deliver's groups hand to a delivery backend
 * (maildir.c or lmtp.c, each with its own header), and what comes back.
 * One dl_msg is one spool message with the recipients of its record group
 * that are still to do.
 */
#ifndef MDROP_DELIVER_H
#define MDROP_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/status.h"

enum dl_result { DL_PENDING, DL_OK, DL_DEFER, DL_FAIL };

#define DL_DETAIL_MAX 512

struct dl_rcpt {
	char *addr;			/* final recipient, local@domain */
	enum dl_result result;		/* backends set OK, DEFER or FAIL */
	char detail[DL_DETAIL_MAX];	/* file delivered, or the reason / server reply */
	int unknown;			/* backends: FAIL as no such user (LMTP
					 * 550 5.1.1; no Maildir, --no-create) */
	const char *redirect;		/* --unknown-to: deliver to this address
					 * instead, with the header line
					 * X-Mdrop-Original-Recipient: <addr> */
};

/* The header line a redirected copy starts with (--unknown-to). */
#define DL_REDIRECT_HEADER "X-Mdrop-Original-Recipient"

struct dl_msg {
	const char *path;	/* spool path as given in the record */
	const char *name;	/* spool file name (last component) */
	int fd;			/* spool file, read-only; backends use pread() */
	uint64_t size;		/* its size in bytes */
	uid_t uid;		/* its owner */
	dev_t dev;		/* its file system */
	const char *sender;	/* envelope sender, "" for the null sender */
	struct dl_rcpt *rcpt;
	size_t nrcpt;
	size_t from;		/* rcpt[0..from) are all decided: backends
				 * need not look at them */
};

/* Set a recipient's result and its detail (printf, cut to fit, control
 * characters made spaces). */
void dl_set(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
