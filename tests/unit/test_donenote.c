/* Unit tests for the pure part of common/donenote: the lines of a spool
 * message's done note (SPOOL/NAME.done), formatted, parsed back, and
 * looked up (by a scan and through the index, which must agree); every prefix of a note, since a crash can tear the last
 * line anywhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/donenote.h"

/* donenote_find, checked against donenote_index_find on the same text:
 * the index must say what the scan says, detail included. */
static enum donenote_state
find_both(const char *note, size_t len, const char *rcpt, char *d,
    size_t n)
{
	struct donenote_index ix;
	enum donenote_state s;
	char *copy = malloc(len ? len : 1), d2[DONENOTE_LINE_MAX];

	assert_non_null(copy);
	memcpy(copy, note, len);	/* exact size: ASan sees an over-read */
	assert_int_equal(donenote_index_build(&ix, copy, len), 0);
	s = donenote_find(copy, len, rcpt, d, n);
	assert_int_equal(donenote_index_find(&ix, copy, rcpt, d2,
	    n < sizeof d2 ? n : sizeof d2), s);
	if (s != DONENOTE_NONE && n > 0)
		assert_string_equal(d2, d);
	donenote_index_free(&ix);
	free(copy);
	return s;
}

static void
test_donenote_find(void **state)
{
	const char note[] = "ok\ta@x\t/m/a/new/1\n"
	    "fail\tb@x\tno such Maildir\n"
	    "ok\tab@x\t/m/ab\n"
	    "garbage line\n"
	    "ok\tc@x\ttorn";
	char d[64];
	size_t cut;

	(void)state;
	assert_int_equal(find_both(note, sizeof note - 1, "a@x", d,
	    sizeof d), DONENOTE_OK);
	assert_string_equal(d, "/m/a/new/1");
	assert_int_equal(find_both(note, sizeof note - 1, "b@x", d,
	    sizeof d), DONENOTE_FAIL);
	assert_string_equal(d, "no such Maildir");
	assert_int_equal(find_both(note, sizeof note - 1, "ab@x", d, 4),
	    DONENOTE_OK);
	assert_string_equal(d, "/m/");
	/* a torn last line (crash during the append) does not count */
	assert_int_equal(find_both(note, sizeof note - 1, "c@x", NULL, 0),
	    DONENOTE_NONE);
	assert_int_equal(find_both(note, sizeof note - 1, "b", NULL, 0),
	    DONENOTE_NONE);
	assert_int_equal(find_both(note, sizeof note - 1, "x", NULL, 0),
	    DONENOTE_NONE);
	/* every prefix: a recipient counts only once its line is whole */
	for (cut = 0; cut < sizeof note; cut++) {
		enum donenote_state s = find_both(note, cut, "b@x", NULL, 0);

		assert_int_equal(s, cut >= strlen("ok\ta@x\t/m/a/new/1\n"
		    "fail\tb@x\tno such Maildir\n") ? DONENOTE_FAIL :
		    DONENOTE_NONE);
	}
	/* a later line wins */
	assert_int_equal(find_both("fail\ta\tx\nok\ta\ty\n", 16, "a", d,
	    sizeof d), DONENOTE_OK);
}

/* A failed message's .why: the last run's recipient lines, then the
 * done note of earlier ones (deliver/commit.c, move_failed). */
static void
test_why_find(void **state)
{
	const char why[] = "time: 2026-12-06T16:00:00Z\n"
	    "path: /s/new/c1\n"
	    "Alice@example.org\tok\t250 2.1.5 Ok SESSIONID=<x>\n"
	    "zed@example.org\tfail\t550 5.1.1 User unknown\n"
	    "done note:\n"
	    "ok\tbob@example.org\t250 earlier\n"
	    "fail\tcarol@example.org\t550 earlier\n"
	    "ok\tcarol@example.org\t250 later\n"
	    "ok\tdan@example.org\tno LF at the end";
	char d[64];
	size_t cut;

	(void)state;
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "alice@example.org", d, sizeof d), DONENOTE_OK);
	assert_string_equal(d, "250 2.1.5 Ok SESSIONID=<x>");
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "zed@example.org", d, sizeof d), DONENOTE_FAIL);
	assert_string_equal(d, "550 5.1.1 User unknown");
	/* from the done note: an earlier run delivered bob */
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "bob@example.org", d, sizeof d), DONENOTE_OK);
	assert_string_equal(d, "250 earlier");
	/* delivered once is delivered, whatever else a line says */
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "carol@example.org", d, sizeof d), DONENOTE_OK);
	assert_string_equal(d, "250 later");
	/* the .why is written whole (renamed into place): a last line
	 * without LF still counts */
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "dan@example.org", d, sizeof d), DONENOTE_OK);
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "erin@example.org", NULL, 0), DONENOTE_NONE);
	assert_int_equal(donenote_why_find(why, sizeof why - 1,
	    "example.org", NULL, 0), DONENOTE_NONE);
	/* the words alone, or a path line, are never a recipient */
	assert_int_equal(donenote_why_find(why, sizeof why - 1, "ok", NULL,
	    0), DONENOTE_NONE);
	assert_int_equal(donenote_why_find(why, sizeof why - 1, "path: /s",
	    NULL, 0), DONENOTE_NONE);
	/* every prefix: nothing read past len, and zed fails only once
	 * his line is there */
	for (cut = 0; cut < sizeof why; cut++) {
		char *copy = malloc(cut ? cut : 1);

		assert_non_null(copy);
		memcpy(copy, why, cut);
		assert_int_equal(donenote_why_find(copy, cut, "zed@example.org",
		    NULL, 0), cut >= (size_t)(strstr(why, "zed") - why) +
		    strlen("zed@example.org\tfail\t") ? DONENOTE_FAIL :
		    DONENOTE_NONE);
		free(copy);
	}
}

static void
test_find_case(void **state)
{
	const char note[] = "ok\tAlice@Example.org\tdone\n";
	char d[16];

	(void)state;
	/* one recipient whatever its case, as in split and deliver */
	assert_int_equal(find_both(note, sizeof note - 1,
	    "alice@example.org", d, sizeof d), DONENOTE_OK);
	assert_string_equal(d, "done");
}

static void
test_line_round_trip(void **state)
{
	char buf[DONENOTE_LINE_MAX], d[DONENOTE_LINE_MAX];
	const char *r, *dt;
	size_t rl, dl;
	int len;

	(void)state;
	len = donenote_line_format(buf, sizeof buf, 1, "a@x", "/m/new/1");
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "ok\ta@x\t/m/new/1\n", 16);
	assert_int_equal(donenote_line_parse(buf, (size_t)len - 1, &r, &rl,
	    &dt, &dl), DONENOTE_OK);
	assert_int_equal(rl, 3);
	assert_memory_equal(r, "a@x", 3);
	assert_int_equal(dl, 8);
	/* control bytes in the detail become spaces: one line, always */
	len = donenote_line_format(buf, sizeof buf, 0, "b@x", "550\r\nx\ty");
	assert_memory_equal(buf, "fail\tb@x\t550  x y\n", (size_t)len);
	assert_int_equal(find_both(buf, (size_t)len, "b@x", d, sizeof d),
	    DONENOTE_FAIL);
	assert_string_equal(d, "550  x y");
	/* an empty detail still parses */
	len = donenote_line_format(buf, sizeof buf, 1, "c@x", "");
	assert_int_equal(donenote_line_parse(buf, (size_t)len - 1, &r, &rl,
	    &dt, &dl), DONENOTE_OK);
	assert_int_equal(dl, 0);
}

static void
test_line_limits(void **state)
{
	char buf[DONENOTE_LINE_MAX], rcpt[DONENOTE_LINE_MAX], big[4000];
	const char *r, *dt;
	size_t rl, dl;
	int len;

	(void)state;
	/* a recipient that could not be read back is refused */
	assert_int_equal(donenote_line_format(buf, sizeof buf, 1, "a\tb", "x"),
	    -1);
	assert_int_equal(donenote_line_format(buf, sizeof buf, 1, "", "x"), -1);
	assert_int_equal(donenote_line_format(buf, sizeof buf, 1, "a\nb", "x"),
	    -1);
	memset(rcpt, 'r', sizeof rcpt - 1);
	rcpt[sizeof rcpt - 1] = '\0';
	assert_int_equal(donenote_line_format(buf, sizeof buf, 1, rcpt, ""), -1);
	/* a long detail is cut, the line still ends in LF within the cap */
	memset(big, 'd', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	len = donenote_line_format(buf, sizeof buf, 1, "a@x", big);
	assert_int_equal(len, DONENOTE_LINE_MAX);
	assert_int_equal(buf[len - 1], '\n');
	assert_int_equal(donenote_line_parse(buf, (size_t)len - 1, &r, &rl,
	    &dt, &dl), DONENOTE_OK);
	assert_int_equal(dl, DONENOTE_LINE_MAX - 8);
	/* not note lines */
	assert_int_equal(donenote_line_parse("ok\t", 3, &r, &rl, &dt, &dl),
	    DONENOTE_NONE);
	assert_int_equal(donenote_line_parse("ok\t\tx", 5, &r, &rl, &dt, &dl),
	    DONENOTE_NONE);
	assert_int_equal(donenote_line_parse("ok\tnotab", 8, &r, &rl, &dt,
	    &dl), DONENOTE_NONE);
	assert_int_equal(donenote_line_parse("okay\ta\tb", 8, &r, &rl, &dt,
	    &dl), DONENOTE_NONE);
	assert_int_equal(donenote_line_parse("fail", 4, &r, &rl, &dt, &dl),
	    DONENOTE_NONE);
}

/* Thousands of recipients, some twice (the later line wins), looked up
 * by the index in any case: what a rerun of a large group does. */
static void
test_index_many(void **state)
{
	enum { N = 5000 };
	char *note = malloc((size_t)N * 40 + 64), r[32], d[32], want[32];
	struct donenote_index ix;
	size_t len = 0, i;

	(void)state;
	assert_non_null(note);
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(note + len, "%s\tU%zu@x\td%zu\n",
		    i % 3 ? "ok" : "fail", i, i);
	for (i = 0; i < N; i += 7)	/* a later line for every 7th */
		len += (size_t)sprintf(note + len, "ok\tu%zu@X\tlater%zu\n", i,
		    i);
	assert_int_equal(donenote_index_build(&ix, note, len), 0);
	for (i = 0; i < N; i++) {
		snprintf(r, sizeof r, "u%zu@x", i);
		if (i % 7 == 0)
			snprintf(want, sizeof want, "later%zu", i);
		else
			snprintf(want, sizeof want, "d%zu", i);
		assert_int_equal(donenote_index_find(&ix, note, r, d, sizeof d),
		    i % 7 == 0 || i % 3 ? DONENOTE_OK : DONENOTE_FAIL);
		assert_string_equal(d, want);
	}
	assert_int_equal(donenote_index_find(&ix, note, "u5000@x", d,
	    sizeof d), DONENOTE_NONE);
	assert_int_equal(donenote_index_find(&ix, note, "u1@", d, sizeof d),
	    DONENOTE_NONE);
	donenote_index_free(&ix);
	/* an empty note indexes to nothing */
	assert_int_equal(donenote_index_build(&ix, note, 0), 0);
	assert_int_equal(donenote_index_find(&ix, note, "u1@x", d, sizeof d),
	    DONENOTE_NONE);
	donenote_index_free(&ix);
	free(note);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_donenote_find),
		cmocka_unit_test(test_find_case),
		cmocka_unit_test(test_why_find),
		cmocka_unit_test(test_line_round_trip),
		cmocka_unit_test(test_line_limits),
		cmocka_unit_test(test_index_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
