/* Unit tests for common/rec: the split -> deliver record line. Every
 * malformed form is refused with its reason; every prefix of a good line
 * is "truncated"; rec_format refuses what rec_parse would refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rec.h"

/* Parse a copy of len bytes of s (which may hold NULs). */
static enum rec_error
parse(const char *s, size_t len, struct rec *r, char **copy)
{
	*copy = malloc(len + 1);
	assert_non_null(*copy);
	memcpy(*copy, s, len);
	(*copy)[len] = 'X';	/* never read */
	return rec_parse(*copy, len, r);
}

static enum rec_error
parse_str(const char *s)
{
	struct rec r;
	char *copy;
	enum rec_error e = parse(s, strlen(s), &r, &copy);

	free(copy);
	return e;
}

static void
test_good(void **state)
{
	const char *line = "/sp/new/1.M2P3\talice@example.org\tbob@isp.test\n";
	struct rec r;
	char *c;

	(void)state;
	assert_int_equal(parse(line, strlen(line), &r, &c), REC_OK);
	assert_string_equal(r.path, "/sp/new/1.M2P3");
	assert_string_equal(r.rcpt, "alice@example.org");
	assert_string_equal(r.sender, "bob@isp.test");
	free(c);

	line = "new/x\tu@d\t\n";	/* null sender */
	assert_int_equal(parse(line, strlen(line), &r, &c), REC_OK);
	assert_string_equal(r.path, "new/x");
	assert_string_equal(r.rcpt, "u@d");
	assert_string_equal(r.sender, "");
	free(c);

	/* Bytes >= 0x80 and spaces are not control characters. */
	line = "p q\t\xc3\xbc@d\t\"a b\"@x\n";
	assert_int_equal(parse(line, strlen(line), &r, &c), REC_OK);
	assert_string_equal(r.path, "p q");
	assert_string_equal(r.rcpt, "\xc3\xbc@d");
	assert_string_equal(r.sender, "\"a b\"@x");
	free(c);
}

static void
test_truncated(void **state)
{
	const char *line = "/sp/new/1.M2P3\talice@example.org\tbob@isp.test\n";
	size_t len = strlen(line), k;

	(void)state;
	for (k = 0; k < len; k++) {
		struct rec r;
		char *c;

		assert_int_equal(parse(line, k, &r, &c), REC_TRUNCATED);
		free(c);
	}
	assert_int_equal(rec_parse(NULL, 0, NULL), REC_TRUNCATED);
}

static void
test_fields(void **state)
{
	(void)state;
	assert_int_equal(parse_str("\n"), REC_EMPTY_FIELD);
	assert_int_equal(parse_str("p\tu@d\n"), REC_FIELDS);
	assert_int_equal(parse_str("p\tu@d\ts@d\textra\n"), REC_FIELDS);
	assert_int_equal(parse_str("p\tu@d\ts@d\t\n"), REC_FIELDS);
	assert_int_equal(parse_str("\t\t\t\n"), REC_FIELDS);
	/* no TAB at all: an end line, whose PATH may hold spaces */
	assert_int_equal(parse_str("p u@d s@d\n"), REC_OK);
}

/* "PATH<LF>" alone ends PATH's group; every prefix of it is truncated. */
static void
test_end_line(void **state)
{
	const char *line = "/sp//new/1.M2P3\n";
	size_t len = strlen(line), k;
	struct rec r;
	char *c, buf[32];

	(void)state;
	assert_int_equal(parse(line, len, &r, &c), REC_OK);
	assert_string_equal(r.path, "/sp//new/1.M2P3");
	assert_null(r.rcpt);
	assert_null(r.sender);
	free(c);
	for (k = 0; k < len; k++) {
		assert_int_equal(parse(line, k, &r, &c), REC_TRUNCATED);
		free(c);
	}
	assert_int_equal(parse_str("p q\n"), REC_OK);
	assert_int_equal(parse_str("p\x01\n"), REC_CONTROL);
	assert_int_equal(parse_str("p\r\n"), REC_CONTROL);
	assert_int_equal(parse_str("p\t\n"), REC_FIELDS);
	assert_int_equal(rec_format_end(buf, sizeof buf, "/s/new/x"), 9);
	assert_string_equal(buf, "/s/new/x\n");
	assert_int_equal(rec_format_end(buf, 9, "/s/new/x"), -1);
	assert_int_equal(rec_format_end(buf, sizeof buf, ""), -1);
	assert_int_equal(rec_format_end(buf, sizeof buf, "a\tb"), -1);
	assert_int_equal(rec_format_end(buf, sizeof buf, "a\x7f"), -1);
}

static void
test_empty(void **state)
{
	(void)state;
	assert_int_equal(parse_str("\tu@d\ts@d\n"), REC_EMPTY_FIELD);
	assert_int_equal(parse_str("p\t\ts@d\n"), REC_EMPTY_FIELD);
	assert_int_equal(parse_str("\t\t\n"), REC_EMPTY_FIELD);
}

static void
test_control(void **state)
{
	static const char bad[] = { 1, 8, 11, 12, 13, 27, 31, 127, 0 };
	size_t i, pos;

	(void)state;
	assert_int_equal(parse_str("p\tu@d\ts@d\r\n"), REC_CONTROL);
	assert_int_equal(parse_str("p\ru\tu@d\ts@d\n"), REC_CONTROL);
	assert_int_equal(parse_str("p\nq\tu@d\ts@d\n"), REC_CONTROL);
	for (i = 0; i < sizeof bad; i++) {
		/* the bad byte in each of the three fields */
		for (pos = 0; pos < 3; pos++) {
			char line[] = "pX\tuX@d\tsX@d\n";
			char *x = line;
			struct rec r;
			char *c;
			size_t k;

			for (k = 0; k <= pos; k++)
				x = strchr(x + 1, 'X');
			*x = bad[i];
			assert_int_equal(parse(line, sizeof line - 1, &r, &c),
			    REC_CONTROL);
			free(c);
		}
	}
}

static void
test_too_long(void **state)
{
	size_t len = REC_LINE_MAX + 1;
	char *line = malloc(len + 1);
	struct rec r;

	(void)state;
	assert_non_null(line);
	memset(line, 'a', len);
	line[1] = '\t';
	line[3] = '\t';
	line[len - 1] = '\n';
	assert_int_equal(rec_parse(line, len, &r), REC_TOO_LONG);
	/* Exactly REC_LINE_MAX bytes is allowed. */
	memset(line, 'a', len);
	line[1] = '\t';
	line[3] = '\t';
	line[REC_LINE_MAX - 1] = '\n';
	assert_int_equal(rec_parse(line, REC_LINE_MAX, &r), REC_OK);
	assert_int_equal(strlen(r.sender), REC_LINE_MAX - 5);
	free(line);
}

static void
test_error_names(void **state)
{
	enum rec_error e, f;

	(void)state;
	for (e = REC_OK; e <= REC_TOO_LONG; e++) {
		assert_string_not_equal(rec_error_name(e), "unknown");
		for (f = REC_OK; f < e; f++)
			assert_string_not_equal(rec_error_name(e),
			    rec_error_name(f));
	}
	assert_string_equal(rec_error_name(REC_TRUNCATED), "truncated");
	assert_string_equal(rec_error_name((enum rec_error)42), "unknown");
}

static void
test_field_ok(void **state)
{
	(void)state;
	assert_true(rec_field_ok(""));
	assert_true(rec_field_ok("user@example.org"));
	assert_true(rec_field_ok("a b\xff"));
	assert_false(rec_field_ok("a\tb"));
	assert_false(rec_field_ok("a\nb"));
	assert_false(rec_field_ok("a\rb"));
	assert_false(rec_field_ok("\x7f"));
	assert_false(rec_field_ok("\x1b[31m"));
}

static void
test_format(void **state)
{
	char buf[64];
	struct rec r;

	(void)state;
	assert_int_equal(rec_format(buf, sizeof buf, "/s/new/x", "a@b", "c@d"),
	    17);
	assert_string_equal(buf, "/s/new/x\ta@b\tc@d\n");
	assert_int_equal(rec_parse(buf, 17, &r), REC_OK);
	assert_string_equal(r.path, "/s/new/x");
	assert_string_equal(r.rcpt, "a@b");
	assert_string_equal(r.sender, "c@d");

	assert_int_equal(rec_format(buf, sizeof buf, "p", "a@b", ""), 7);
	assert_string_equal(buf, "p\ta@b\t\n");

	assert_int_equal(rec_format(buf, sizeof buf, "", "a@b", ""), -1);
	assert_int_equal(rec_format(buf, sizeof buf, "p", "", ""), -1);
	assert_int_equal(rec_format(buf, sizeof buf, "p\tq", "a@b", ""), -1);
	assert_int_equal(rec_format(buf, sizeof buf, "p", "a@b\n", ""), -1);
	assert_int_equal(rec_format(buf, sizeof buf, "p", "a@b", "x\ry"), -1);
	assert_int_equal(rec_format(buf, sizeof buf, "p", "a@b", "\x7f"), -1);
	/* Buffer exactly too small for the NUL, then just right. */
	assert_int_equal(rec_format(buf, 7, "p", "a@b", ""), -1);
	assert_int_equal(rec_format(buf, 8, "p", "a@b", ""), 7);
}

static void
test_format_too_long(void **state)
{
	size_t n = REC_LINE_MAX + 64;
	char *buf = malloc(n), *big = malloc(REC_LINE_MAX);

	(void)state;
	assert_non_null(buf);
	assert_non_null(big);
	memset(big, 'x', REC_LINE_MAX - 6);
	big[REC_LINE_MAX - 6] = '\0';	/* "p\tBIG\tab\n" is REC_LINE_MAX */
	assert_int_equal(rec_format(buf, n, "p", big, "ab"), REC_LINE_MAX);
	assert_int_equal(rec_format(buf, n, "p", big, "abc"), -1);
	free(buf);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_end_line),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_field_ok),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
