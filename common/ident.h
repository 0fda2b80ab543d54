/*
 * ident: what identifies a message on a POP3 server beyond its UID, read
 * from its header section as a TOP n 0 or RETR reply streams past. Pure:
 * no I/O (OpenSSL computes the hash).
 *
 * The identity is a hash of the first Message-ID:, Date: and Received:
 * fields (each absent, or its unfolded value with white-space runs made
 * one space): what the sender and the ISP wrote, which POP3 servers do
 * not rewrite, unlike the Status:, X-UIDL: or Content-Length: fields an
 * mbox server adds (GNU Mailutils), which change the message's size. The
 * same bytes give the same identity however they are cut into pieces.
 *
 *     struct ident id;
 *     ident_init(&id);
 *     ident_push(&id, data, len);          as often as data comes
 *     ident_finish(&id, hex);              hex[IDENT_HEX_LEN + 1]
 *     ident_free(&id);
 *
 * A message with none of the three fields has no identity ("" from
 * ident_finish): it cannot be told apart from another by its header.
 * Neither has one whose hash OpenSSL could not compute.
 */
#ifndef MDROP_IDENT_H
#define MDROP_IDENT_H

#include <stddef.h>

#include "common/hdr.h"

#define IDENT_HEX_LEN	32		/* 128 bits of SHA-256, lower-case hex */
#define IDENT_HDR_CAP	(256 * 1024)	/* header bytes read at most */
#define IDENT_FIELDS	3

struct ident {
	struct hdr_parser hp;
	int ended;			/* header section over (or cap hit) */
	int failed;			/* OpenSSL failed: no identity */
	int have[IDENT_FIELDS];
	unsigned char digest[IDENT_FIELDS][32];
};

/* 0, or -1 (ENOMEM). */
int ident_init(struct ident *id);

/* Feed message bytes (LF line ends, as spooled); bytes after the header
 * section are ignored. */
void ident_push(struct ident *id, const char *data, size_t len);

/* The identity as IDENT_HEX_LEN hex digits into hex, or "" when the header
 * holds none of the fields. Ends the input. */
void ident_finish(struct ident *id, char hex[IDENT_HEX_LEN + 1]);

void ident_free(struct ident *id);

#endif
