/* Unit tests for common/tmpl (Maildir template expansion, hostile local
 * parts) and the result lines of common/rec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rec.h"
#include "common/tmpl.h"

#define T "/srv/mail/%d/%l/Maildir"

static void
expect_path(const char *tmpl, const char *addr, const char *want,
    size_t wantroot)
{
	char out[4096];
	size_t root = 999;

	assert_int_equal(tmpl_expand(tmpl, addr, NULL, out, sizeof out, &root),
	    TMPL_OK);
	assert_string_equal(out, want);
	assert_int_equal(root, wantroot);
}

static void
expect_error(const char *tmpl, const char *addr, enum tmpl_error want)
{
	char out[4096];
	size_t root;

	assert_int_equal(tmpl_expand(tmpl, addr, NULL, out, sizeof out, &root), want);
}

static void
test_expand_plain(void **state)
{
	(void)state;
	expect_path(T, "Alice@example.org",
	    "/srv/mail/example.org/alice/Maildir", 10);
	expect_path("/m/%a", "Bob.X@ex.org", "/m/Bob.X@ex.org", 3);
	expect_path("/m/u-%l%%/x", "a@b", "/m/u-a%/x", 3);
	expect_path("/m/pre%l", "a@b", "/m/prea", 3);
	expect_path("%l/Maildir", "a@b", "./a/Maildir", 2);
	expect_path("/m/%d/%l", "a@b@c.org", "/m/c.org/a@b", 3);
	/* no percent decoding: "%2e%2e" is a harmless name */
	expect_path(T, "%2e%2e@x.org", "/srv/mail/x.org/%2e%2e/Maildir", 10);
	/* UTF-8 is not a control character */
	expect_path(T, "j\xc3\xb6rg@x.org", "/srv/mail/x.org/j\xc3\xb6rg/Maildir",
	    10);
	/* a leading '-' is fine: nothing is passed to a shell */
	expect_path(T, "-rf@x.org", "/srv/mail/x.org/-rf/Maildir", 10);
}

static void
test_expand_hostile(void **state)
{
	char longlocal[400];

	(void)state;
	expect_error(T, "../../x@x.org", TMPL_DOT);
	expect_error(T, "..@x.org", TMPL_DOT);
	expect_error(T, ".@x.org", TMPL_DOT);
	expect_error(T, ".hidden@x.org", TMPL_DOT);
	expect_error(T, "a/b@x.org", TMPL_SLASH);
	expect_error(T, "a@x/../y", TMPL_SLASH);
	expect_error(T, "a@..", TMPL_DOT);
	expect_error(T, "a\tb@x.org", TMPL_CONTROL);
	expect_error(T, "a\x7f@x.org", TMPL_CONTROL);
	expect_error(T, "a\nb@x.org", TMPL_CONTROL);
	expect_error(T, "@x.org", TMPL_BAD_ADDRESS);
	expect_error(T, "a@", TMPL_BAD_ADDRESS);
	expect_error(T, "nodomain", TMPL_BAD_ADDRESS);
	expect_error("/m/%a", "a/b@x", TMPL_SLASH);
	memset(longlocal, 'a', 300);
	strcpy(longlocal + 300, "@x.org");
	expect_error(T, longlocal, TMPL_TOO_LONG);
	/* "." + "." from two parts can never make "..": parts never start
	 * with '.'; a part ending in '.' is fine */
	expect_path("/m/%l%d", "a.@b", "/m/a.b", 3);
}

static void
test_expand_room(void **state)
{
	char out[16];
	size_t root, n;

	(void)state;
	assert_int_equal(tmpl_expand(T, "a@b", NULL, out, sizeof out, &root),
	    TMPL_TOO_LONG);
	/* every buffer size: either TOO_LONG or the right answer */
	for (n = 1; n < 40; n++) {
		char *b = malloc(n);
		enum tmpl_error e = tmpl_expand(T, "abc@d.org", NULL, b, n, &root);

		if (n > strlen("/srv/mail/d.org/abc/Maildir")) {
			assert_int_equal(e, TMPL_OK);
			assert_string_equal(b, "/srv/mail/d.org/abc/Maildir");
		} else {
			assert_int_equal(e, TMPL_TOO_LONG);
		}
		free(b);
	}
}

static void
test_check(void **state)
{
	size_t root;

	(void)state;
	assert_int_equal(tmpl_check(T, &root), TMPL_OK);
	assert_int_equal(root, 10);
	assert_int_equal(tmpl_check("/m/%x", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("/m/%", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("/m/%l/../x", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("/m/%l/./x", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("/m/", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("", &root), TMPL_BAD_TEMPLATE);
	assert_int_equal(tmpl_check("/var/mail/all", &root), TMPL_OK);
	assert_int_equal(root, 10);
	/* ".." before the first % is the admin's fixed root */
	assert_int_equal(tmpl_check("/a/../m/%l", &root), TMPL_OK);
	assert_int_equal(root, 8);
	assert_string_equal(tmpl_error_name(TMPL_SLASH), "slash-in-part");
}

static void
test_result(void **state)
{
	char buf[128];
	int n;

	(void)state;
	n = result_format(buf, sizeof buf, "/s/new/1.M2", "a@b", RESULT_OK,
	    "/m/a/new/x");
	assert_string_equal(buf, "/s/new/1.M2\ta@b\tok\t/m/a/new/x\n");
	assert_int_equal(n, (int)strlen(buf));
	result_format(buf, sizeof buf, "/p", "a@b", RESULT_DEFER,
	    "452 4.2.2\tfull\r\nMAIL FROM");
	assert_string_equal(buf, "/p\ta@b\tdefer\t452 4.2.2 full  MAIL FROM\n");
	result_format(buf, sizeof buf, "/p", "a@b", RESULT_FAIL, NULL);
	assert_string_equal(buf, "/p\ta@b\tfail\t\n");
	/* the detail is cut to fit, the line always ends in LF */
	n = result_format(buf, 16, "/p", "a@b", RESULT_FAIL, "0123456789");
	assert_int_equal(n, 15);
	assert_string_equal(buf, "/p\ta@b\tfail\t01\n");
	assert_int_equal(result_format(buf, 12, "/p", "a@b", RESULT_FAIL, ""),
	    -1);
	assert_int_equal(result_format(buf, sizeof buf, "/p\t", "a@b",
	    RESULT_OK, ""), -1);
	assert_int_equal(result_format(buf, sizeof buf, "", "a@b",
	    RESULT_OK, ""), -1);
	assert_string_equal(result_word(RESULT_DEFER), "defer");
}


int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_plain),
		cmocka_unit_test(test_expand_hostile),
		cmocka_unit_test(test_expand_room),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
