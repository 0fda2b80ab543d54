/* Unit tests for common/uidnote: the lines of mdrop-fetch's UID notes.
 * Both kinds with and without a name and an identity, the longest UID (every byte %XX,
 * the longest line), every prefix of a line, hostile bytes at every
 * position, and the canonical-form rule both ways. Lines are parsed from
 * exactly-sized copies, so ASan sees any read past them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/uidnote.h"

#define S(lit) lit, sizeof(lit) - 1

static enum uidnote_err
parse(const char *s, size_t len, struct uidnote *u)
{
	char *copy = malloc(len ? len : 1);
	enum uidnote_err e;

	assert_non_null(copy);
	memcpy(copy, s, len);
	e = uidnote_parse(copy, len, u);
	free(copy);
	return e;
}

#define ID1 "0123456789abcdef0123456789abcdef"

static struct uidnote
note(enum uidnote_kind kind, uint64_t size, const char *uid, const char *name)
{
	struct uidnote u;

	memset(&u, 0, sizeof u);
	u.kind = kind;
	u.size = size;
	snprintf(u.uid, sizeof u.uid, "%s", uid);
	snprintf(u.name, sizeof u.name, "%s", name);
	return u;
}

/* format then parse: the same note; parse then format: the same line. */
static void
round_trip(const struct uidnote *u, const char *want)
{
	char line[UIDNOTE_LINE_MAX], again[UIDNOTE_LINE_MAX];
	struct uidnote back;
	int len = uidnote_format(line, sizeof line, u);

	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(line));
	if (want != NULL)
		assert_string_equal(line, want);
	assert_int_equal(parse(line, (size_t)len, &back), UIDNOTE_OK);
	assert_int_equal(back.kind, u->kind);
	assert_true(back.size == u->size);
	assert_string_equal(back.uid, u->uid);
	assert_string_equal(back.name, u->name);
	assert_string_equal(back.ident, u->ident);
	assert_int_equal(uidnote_format(again, sizeof again, &back), len);
	assert_string_equal(again, line);
}

static void
test_kinds_and_names(void **state)
{
	struct uidnote u;

	(void)state;
	u = note(UIDNOTE_SPOOLED, 1234, "uid-1", "1700000000.M1P2Q3R4.host");
	round_trip(&u, "S 1234 uid-1 1700000000.M1P2Q3R4.host\n");
	u = note(UIDNOTE_SPOOLED, 0, "uid-1", "");
	round_trip(&u, "S 0 uid-1 -\n");
	u = note(UIDNOTE_TOOBIG, UINT64_MAX, "a/b", "");
	round_trip(&u, "B 18446744073709551615 a%2Fb -\n");
	/* a TOOBIG note never names a file */
	u = note(UIDNOTE_TOOBIG, 1, "x", "name");
	assert_int_equal(uidnote_format((char[UIDNOTE_LINE_MAX]){0},
	    UIDNOTE_LINE_MAX, &u), -1);
	assert_int_equal(parse(S("B 1 x name\n"), &u), UIDNOTE_NAME);
	/* with the message's identity, both kinds */
	u = note(UIDNOTE_SPOOLED, 7, "uid-1", "1.M1.h");
	memcpy(u.ident, ID1, sizeof ID1);
	round_trip(&u, "S 7 uid-1 1.M1.h " ID1 "\n");
	u = note(UIDNOTE_SPOOLED, 7, "uid-1", "");
	memcpy(u.ident, ID1, sizeof ID1);
	round_trip(&u, "S 7 uid-1 - " ID1 "\n");
	u = note(UIDNOTE_TOOBIG, 7, "uid-1", "");
	memcpy(u.ident, ID1, sizeof ID1);
	round_trip(&u, "B 7 uid-1 - " ID1 "\n");
}

/* The case of the old over-read: 70 bytes that all need %XX, both kinds
 * for one UID, a name of the longest length: each line fits. */
static void
test_longest(void **state)
{
	char uid[POP3_UID_MAX + 1], name[MD_NAME_MAX];
	char line[UIDNOTE_LINE_MAX];
	struct uidnote u;
	int i;

	(void)state;
	memset(uid, '+', POP3_UID_MAX);
	uid[POP3_UID_MAX] = '\0';
	memset(name, 'n', MD_NAME_MAX - 1);
	name[MD_NAME_MAX - 1] = '\0';
	u = note(UIDNOTE_SPOOLED, UINT64_MAX, uid, name);
	memcpy(u.ident, ID1, sizeof ID1);
	round_trip(&u, NULL);
	assert_int_equal(uidnote_format(line, sizeof line, &u),
	    UIDNOTE_LINE_MAX - 1);
	/* one byte less room: refused, never cut */
	assert_int_equal(uidnote_format(line, UIDNOTE_LINE_MAX - 1, &u), -1);
	assert_string_equal(line, "");
	u = note(UIDNOTE_TOOBIG, UINT64_MAX, uid, "");
	round_trip(&u, NULL);
	memcpy(u.ident, ID1, sizeof ID1);
	round_trip(&u, NULL);
	/* every byte a UID may hold */
	for (i = 0x21; i <= 0x7e; i++) {
		snprintf(uid, sizeof uid, "%c%c", i, i);
		u = note(UIDNOTE_SPOOLED, (uint64_t)i, uid, "");
		round_trip(&u, NULL);
	}
	/* a 71-byte UID is not a UID */
	memset(uid, 'u', POP3_UID_MAX);
	uid[POP3_UID_MAX] = '\0';
	assert_int_equal(parse(S("S 1 uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
	    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuu -\n"), &u), UIDNOTE_UID);
}

/* Every proper prefix of a line is refused, mostly as torn. */
static void
test_every_prefix(void **state)
{
	static const char *lines[] = {
		"S 1234 uid-1 1700000000.M1P2Q3R4.host\n",
		"B 99 a%2Fb%7Ec -\n",
		"S 0 x -\n",
		"S 5 y n.1 " ID1 "\n",
	};
	struct uidnote u;
	size_t k, len;

	(void)state;
	for (k = 0; k < sizeof lines / sizeof lines[0]; k++) {
		assert_int_equal(parse(lines[k], strlen(lines[k]), &u),
		    UIDNOTE_OK);
		for (len = 0; len < strlen(lines[k]); len++)
			assert_int_equal(parse(lines[k], len, &u),
			    UIDNOTE_TRUNCATED);
	}
}

/* Any byte below 0x21 or above 0x7e, anywhere but as the separators and
 * the final LF, makes the line malformed; so does any extra space. */
static void
test_hostile_bytes(void **state)
{
	const char *good = "S 12 ab%2Fc name.1\n";
	size_t len = strlen(good), pos;
	char buf[64];
	struct uidnote u;
	int c;

	(void)state;
	for (pos = 0; pos + 1 < len; pos++) {
		for (c = 0; c < 256; c++) {
			enum uidnote_err e;

			if (c >= 0x21 && c <= 0x7e)
				continue;
			memcpy(buf, good, len);
			buf[pos] = (char)c;
			e = parse(buf, len, &u);
			if (c == '\n')
				assert_int_not_equal(e, UIDNOTE_OK);
			else if (c == ' ' && good[pos] == ' ')
				assert_int_equal(e, UIDNOTE_OK);
			else
				assert_int_not_equal(e, UIDNOTE_OK);
		}
	}
	assert_int_equal(parse(S("S  12 a -\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S(" S 12 a -\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a - \n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a - x\n"), &u), UIDNOTE_IDENT);
	assert_int_equal(parse(S("S 12 a - " ID1 " x\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a - " ID1 " \n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a -\r\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S 12 a -\n\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("S\t12 a -\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("\n"), &u), UIDNOTE_SYNTAX);
	assert_int_equal(parse(S("# comment\n"), &u), UIDNOTE_SYNTAX);
}

/* Fields: only the canonical form of each. */
static void
test_fields(void **state)
{
	struct uidnote u;

	(void)state;
	assert_int_equal(parse(S("X 1 a -\n"), &u), UIDNOTE_KIND);
	assert_int_equal(parse(S("SS 1 a -\n"), &u), UIDNOTE_KIND);
	assert_int_equal(parse(S("s 1 a -\n"), &u), UIDNOTE_KIND);
	assert_int_equal(parse(S("S 01 a -\n"), &u), UIDNOTE_SIZE);
	assert_int_equal(parse(S("S -1 a -\n"), &u), UIDNOTE_SIZE);
	assert_int_equal(parse(S("S +1 a -\n"), &u), UIDNOTE_SIZE);
	assert_int_equal(parse(S("S 1x a -\n"), &u), UIDNOTE_SIZE);
	assert_int_equal(parse(S("S 18446744073709551616 a -\n"), &u),
	    UIDNOTE_SIZE);
	assert_int_equal(parse(S("S 0 a -\n"), &u), UIDNOTE_OK);
	/* %XX: upper case, complete, and only for bytes that need it */
	assert_int_equal(parse(S("S 1 a%2f -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 a%2 -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 a% -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 %41 -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 %20 -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 %00 -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 %7F -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 a/b -\n"), &u), UIDNOTE_UID);
	assert_int_equal(parse(S("S 1 %2F%2F -\n"), &u), UIDNOTE_OK);
	assert_string_equal(u.uid, "//");
	/* names: a spool name or "-" */
	assert_int_equal(parse(S("S 1 a ../x\n"), &u), UIDNOTE_NAME);
	assert_int_equal(parse(S("S 1 a .x\n"), &u), UIDNOTE_NAME);
	assert_int_equal(parse(S("S 1 a a/b\n"), &u), UIDNOTE_NAME);
	assert_int_equal(parse(S("S 1 a --\n"), &u), UIDNOTE_OK);
	assert_string_equal(u.name, "--");
	assert_int_equal(parse(S("S 1 a -\n"), &u), UIDNOTE_OK);
	assert_string_equal(u.name, "");
	assert_string_equal(u.ident, "");
	/* identity: 32 lower-case hex digits, or no fifth field at all */
	assert_int_equal(parse(S("S 1 a - -\n"), &u), UIDNOTE_IDENT);
	assert_int_equal(parse(S("S 1 a - 0123456789ABCDEF0123456789abcdef\n"),
	    &u), UIDNOTE_IDENT);
	assert_int_equal(parse(S("S 1 a - 0123456789abcdef0123456789abcde\n"),
	    &u), UIDNOTE_IDENT);
	assert_int_equal(parse(S("S 1 a - 0123456789abcdef0123456789abcdef0\n"),
	    &u), UIDNOTE_IDENT);
	assert_int_equal(parse(S("S 1 a - " ID1 "\n"), &u), UIDNOTE_OK);
	assert_string_equal(u.ident, ID1);
}

static void
test_format_refuses(void **state)
{
	char line[UIDNOTE_LINE_MAX];
	struct uidnote u;

	(void)state;
	u = note(UIDNOTE_SPOOLED, 1, "", "");
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	u = note(UIDNOTE_SPOOLED, 1, "a b", "");
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	u = note(UIDNOTE_SPOOLED, 1, "a", "-");
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	u = note(UIDNOTE_SPOOLED, 1, "a", "../x");
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	u = note((enum uidnote_kind)'X', 1, "a", "");
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	u = note(UIDNOTE_SPOOLED, 1, "a", "");
	assert_int_equal(uidnote_format(line, 8, &u), -1);
	assert_int_equal(uidnote_format(line, 9, &u), 8);
	assert_string_equal(line, "S 1 a -\n");
	assert_int_equal(uidnote_encode_uid(line, sizeof line, "a\x7f"), -1);
	assert_int_equal(uidnote_encode_uid(line, 10, "a"), -1);
	u = note(UIDNOTE_SPOOLED, 1, "a", "");
	memcpy(u.ident, "0123456789ABCDEF0123456789ABCDEF", 33);
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
	memcpy(u.ident, "xyz", 4);
	assert_int_equal(uidnote_format(line, sizeof line, &u), -1);
}

static void
test_error_names(void **state)
{
	int e;

	(void)state;
	for (e = UIDNOTE_OK; e <= UIDNOTE_IDENT; e++)
		assert_string_not_equal(uidnote_error_name(
		    (enum uidnote_err)e), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_and_names),
		cmocka_unit_test(test_longest),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_format_refuses),
		cmocka_unit_test(test_error_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
