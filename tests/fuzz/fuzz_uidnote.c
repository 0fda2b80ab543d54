/*
 * libFuzzer harness for common/uidnote, the lines of mdrop-fetch's UID
 * notes. Two checks per input:
 *   - parse the input from an exactly-sized copy (ASan sees any read past
 *     it); a line it accepts must come back byte for byte from the
 *     formatter (the canonical form);
 *   - the round trip: a note built from the input (kind, size, UID bytes,
 *     name) is formatted and parsed back to the same note whenever the
 *     UID is a valid one (1-70 octets 0x21..0x7E) and the name a spool
 *     name or none; otherwise the formatter must refuse it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uidnote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_parse(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1), again[UIDNOTE_LINE_MAX];
	struct uidnote u;
	int len;

	if (line == NULL)
		abort();
	memcpy(line, data, size);
	if (uidnote_parse(line, size, &u) == UIDNOTE_OK) {
		len = uidnote_format(again, sizeof again, &u);
		if (len < 0 || (size_t)len != size ||
		    memcmp(again, data, size) != 0)
			abort();
	}
	free(line);
}

/*
 * Input layout: byte 0 picks the kind (bit 0) and whether the note has an
 * identity (bit 1: the hex of bytes 1-8, twice), bytes 1-8 the size, byte 9 the UID
 * length (mod 72: 0 and 71 are invalid lengths), then the UID bytes as
 * they are, then the name (the rest, cut to MD_NAME_MAX - 1); a NUL
 * among them ends the UID or the name early.
 */
static void
check_round_trip(const uint8_t *data, size_t size)
{
	char line[UIDNOTE_LINE_MAX];
	struct uidnote u, back;
	size_t uidlen, namelen, i;
	int len, valid;

	if (size < 10)
		return;
	memset(&u, 0, sizeof u);
	u.kind = data[0] & 1 ? UIDNOTE_TOOBIG : UIDNOTE_SPOOLED;
	for (i = 1; i <= 8; i++) {
		u.size = u.size << 8 | data[i];
		if (data[0] & 2) {
			static const char hx[] = "0123456789abcdef";

			u.ident[2 * (i - 1)] = u.ident[16 + 2 * (i - 1)] =
			    hx[data[i] >> 4];
			u.ident[2 * (i - 1) + 1] = u.ident[17 + 2 * (i - 1)] =
			    hx[data[i] & 15];
		}
	}
	uidlen = data[9] % (POP3_UID_MAX + 2);
	data += 10;
	size -= 10;
	if (uidlen > size)
		uidlen = size;
	if (uidlen > POP3_UID_MAX)
		uidlen = POP3_UID_MAX;	/* the buffer holds no more */
	memcpy(u.uid, data, uidlen);
	namelen = size - uidlen < MD_NAME_MAX - 1 ? size - uidlen
	    : MD_NAME_MAX - 1;
	memcpy(u.name, data + uidlen, namelen);
	/* A NUL among the bytes ends the string the formatter sees. */
	valid = pop3_uid_valid(u.uid, strlen(u.uid)) && (u.name[0] == '\0' ||
	    (u.kind == UIDNOTE_SPOOLED && md_name_valid(u.name) &&
	    strcmp(u.name, "-") != 0));
	len = uidnote_format(line, sizeof line, &u);
	if (!valid) {
		if (len != -1 || line[0] != '\0')
			abort();
		return;
	}
	if (len <= 0 || (size_t)len != strlen(line) ||
	    uidnote_parse(line, (size_t)len, &back) != UIDNOTE_OK ||
	    back.kind != u.kind || back.size != u.size ||
	    strcmp(back.uid, u.uid) != 0 || strcmp(back.name, u.name) != 0 ||
	    strcmp(back.ident, u.ident) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_round_trip(data, size);
	return 0;
}
