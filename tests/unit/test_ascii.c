/* Unit tests for common/ascii: case folding that never touches bytes
 * >= 0x80, prefix and equality without case, hex digits, and FNV-1a with
 * and without folding (its values are part of Maildir names: fixed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/ascii.h"

static void
test_lower(void **state)
{
	char s[] = "AbZ@\xc3\x84-9";
	int c;

	(void)state;
	ascii_lower_str(s);
	assert_string_equal(s, "abz@\xc3\x84-9");
	for (c = 0; c < 256; c++)
		assert_int_equal(ascii_lower(c), c >= 'A' && c <= 'Z' ?
		    c + 32 : c);
	for (c = 0; c < 256; c++)
		assert_int_equal(ascii_isalpha(c), (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z'));
}

static void
test_compare(void **state)
{
	(void)state;
	assert_true(ascii_caseeq("Delivered-To", 12, "dELIVERED-to", 12));
	assert_false(ascii_caseeq("Delivered-To", 12, "Delivered-T", 11));
	assert_false(ascii_caseeq("\xc3\x84", 2, "\xc3\xa4", 2));
	assert_true(ascii_caseeq("", 0, "", 0));
	assert_true(ascii_caseprefix("SASL PLAIN", 10, "sasl"));
	assert_true(ascii_caseprefix("SASL", 4, "sasl"));
	assert_false(ascii_caseprefix("SAS", 3, "sasl"));
	assert_true(ascii_caseprefix("x", 1, ""));
}

static void
test_hex(void **state)
{
	(void)state;
	assert_int_equal(ascii_hexval('0'), 0);
	assert_int_equal(ascii_hexval('9'), 9);
	assert_int_equal(ascii_hexval('a'), 10);
	assert_int_equal(ascii_hexval('F'), 15);
	assert_int_equal(ascii_hexval('g'), -1);
	assert_int_equal(ascii_hexval('/'), -1);
	assert_int_equal(ascii_hexval(0xc3), -1);
}

static void
test_hash(void **state)
{
	(void)state;
	/* FNV-1a 64 reference values */
	assert_true(ascii_hash("", 0, 0) == 0xcbf29ce484222325ULL);
	assert_true(ascii_hash("a", 1, 0) == 0xaf63dc4c8601ec8cULL);
	assert_true(ascii_hash("foobar", 6, 0) == 0x85944171f73967e8ULL);
	assert_true(ascii_hash("FooBar", 6, 1) == ascii_hash("foobar", 6, 0));
	assert_true(ascii_hash("FooBar", 6, 0) != ascii_hash("foobar", 6, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
