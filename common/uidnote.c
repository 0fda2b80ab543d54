#include <stdio.h>
#include <string.h>

#include "common/uidnote.h"

static const char hex[] = "0123456789ABCDEF";

const char *
uidnote_error_name(enum uidnote_err e)
{
	switch (e) {
	case UIDNOTE_OK: return "ok";
	case UIDNOTE_TRUNCATED: return "truncated";
	case UIDNOTE_SYNTAX: return "syntax";
	case UIDNOTE_KIND: return "kind";
	case UIDNOTE_SIZE: return "size";
	case UIDNOTE_UID: return "uid";
	case UIDNOTE_NAME: return "name";
	case UIDNOTE_IDENT: return "ident";
	}
	return "unknown";
}

/* Bytes a UID keeps as they are in the note; all others are %XX. */
static int
plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int
upper_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;		/* lower case is not canonical */
}

int
uidnote_encode_uid(char *out, size_t n, const char *uid)
{
	size_t len = strlen(uid), i, o = 0;

	if (!pop3_uid_valid(uid, len) || n < UIDNOTE_ENC_MAX + 1) {
		if (n > 0)
			out[0] = '\0';
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uid[i];

		if (plain(c))
			out[o++] = (char)c;
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* Decode the canonical encoding s[0..len) into uid (POP3_UID_MAX + 1). */
static enum uidnote_err
decode_uid(const char *s, size_t len, char *uid)
{
	size_t i = 0, o = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		int hi, lo;

		if (o >= POP3_UID_MAX)
			return UIDNOTE_UID;
		if (plain(c)) {
			uid[o++] = (char)c;
			i++;
			continue;
		}
		if (c != '%' || len - i < 3 ||
		    (hi = upper_hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = upper_hexval((unsigned char)s[i + 2])) < 0 ||
		    plain((unsigned char)(hi << 4 | lo)))
			return UIDNOTE_UID;
		uid[o++] = (char)(hi << 4 | lo);
		i += 3;
	}
	uid[o] = '\0';
	return pop3_uid_valid(uid, o) ? UIDNOTE_OK : UIDNOTE_UID;
}

/* A canonical decimal uint64: "0", or digits without a leading zero. */
static enum uidnote_err
parse_size(const char *s, size_t len, uint64_t *v)
{
	size_t pos = 0;

	if (len == 0 || (len > 1 && s[0] == '0') ||
	    pop3_parse_u64(s, len, &pos, UINT64_MAX, v) < 0 || pos != len)
		return UIDNOTE_SIZE;
	return UIDNOTE_OK;
}

/* 1 when s[0..len) is an identity: IDENT_HEX_LEN lower-case hex digits. */
static int
ident_ok(const char *s, size_t len)
{
	size_t i;

	if (len != IDENT_HEX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

enum uidnote_err
uidnote_parse(const char *line, size_t len, struct uidnote *u)
{
	const char *f[5];
	size_t flen[5], i, k = 0, start = 0;
	struct uidnote n;
	enum uidnote_err e;

	if (len == 0 || line[len - 1] != '\n')
		return UIDNOTE_TRUNCATED;
	len--;
	/* Four or five fields separated by single spaces; no other bytes
	 * outside 0x21..0x7e. */
	for (i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ') {
			if ((unsigned char)line[i] < 0x21 ||
			    (unsigned char)line[i] > 0x7e)
				return UIDNOTE_SYNTAX;
			continue;
		}
		if (k == 5 || i == start)
			return UIDNOTE_SYNTAX;
		f[k] = line + start;
		flen[k++] = i - start;
		start = i + 1;
	}
	if (k < 4)
		return UIDNOTE_SYNTAX;
	memset(&n, 0, sizeof n);
	if (flen[0] != 1 || (f[0][0] != 'S' && f[0][0] != 'B'))
		return UIDNOTE_KIND;
	n.kind = f[0][0] == 'S' ? UIDNOTE_SPOOLED : UIDNOTE_TOOBIG;
	if ((e = parse_size(f[1], flen[1], &n.size)) != UIDNOTE_OK ||
	    (e = decode_uid(f[2], flen[2], n.uid)) != UIDNOTE_OK)
		return e;
	if (flen[3] != 1 || f[3][0] != '-') {
		if (n.kind != UIDNOTE_SPOOLED || flen[3] >= sizeof n.name)
			return UIDNOTE_NAME;
		memcpy(n.name, f[3], flen[3]);
		if (!md_name_valid(n.name) || strcmp(n.name, "-") == 0)
			return UIDNOTE_NAME;
	}
	if (k == 5) {
		if (!ident_ok(f[4], flen[4]))
			return UIDNOTE_IDENT;
		memcpy(n.ident, f[4], IDENT_HEX_LEN);
	}
	*u = n;
	return UIDNOTE_OK;
}

int
uidnote_format(char *out, size_t n, const struct uidnote *u)
{
	char enc[UIDNOTE_ENC_MAX + 1];
	const char *name = u->name[0] != '\0' ? u->name : "-";
	int len;

	if (n > 0)
		out[0] = '\0';
	if ((u->kind != UIDNOTE_SPOOLED && u->kind != UIDNOTE_TOOBIG) ||
	    memchr(u->uid, '\0', sizeof u->uid) == NULL ||
	    memchr(u->name, '\0', sizeof u->name) == NULL ||
	    memchr(u->ident, '\0', sizeof u->ident) == NULL ||
	    (u->ident[0] != '\0' && !ident_ok(u->ident, strlen(u->ident))) ||
	    uidnote_encode_uid(enc, sizeof enc, u->uid) < 0)
		return -1;
	if (u->name[0] != '\0' && (u->kind != UIDNOTE_SPOOLED ||
	    !md_name_valid(u->name) || strcmp(u->name, "-") == 0))
		return -1;
	len = snprintf(out, n, "%c %llu %s %s%s%s\n", (char)u->kind,
	    (unsigned long long)u->size, enc, name,
	    u->ident[0] != '\0' ? " " : "", u->ident);
	if (len < 0 || (size_t)len >= n) {
		if (n > 0)
			out[0] = '\0';
		return -1;
	}
	return len;
}
