/* Unit tests for common/status: every status maps to its DESIGN.md exit
 * code, names are distinct, and status_worse follows the documented order
 * whatever the argument order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/status.h"

static const struct {
	enum status st;
	int code;
	const char *name;
} map[] = {
	{ ST_OK,		0,  "ok" },
	{ ST_USAGE,		64, "usage" },
	{ ST_DATAERR,		65, "dataerr" },
	{ ST_NOINPUT,		66, "noinput" },
	{ ST_NOUSER,		67, "nouser" },
	{ ST_UNAVAILABLE,	69, "unavailable" },
	{ ST_SOFTWARE,		70, "software" },
	{ ST_IOERR,		74, "ioerr" },
	{ ST_TEMPFAIL,		75, "tempfail" },
	{ ST_PROTOCOL,		75, "protocol" },	/* retried later */
	{ ST_NOPERM,		77, "noperm" },
	{ ST_CONFIG,		78, "config" },
};
#define NMAP (sizeof map / sizeof map[0])

/* status.h: "Order (least to most): ok, tempfail, unavailable, protocol,
 * dataerr, noinput, nouser, ioerr, noperm, usage, config, software." */
static const enum status order[] = {
	ST_OK, ST_TEMPFAIL, ST_UNAVAILABLE, ST_PROTOCOL, ST_DATAERR,
	ST_NOINPUT, ST_NOUSER, ST_IOERR, ST_NOPERM, ST_USAGE, ST_CONFIG,
	ST_SOFTWARE,
};
#define NORDER (sizeof order / sizeof order[0])

static void
test_exitcodes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NMAP; i++)
		assert_int_equal(status_exitcode(map[i].st), map[i].code);
	assert_int_equal(status_exitcode((enum status)99), 70);
}

static void
test_names(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < NMAP; i++) {
		assert_string_equal(status_name(map[i].st), map[i].name);
		for (j = 0; j < i; j++)
			assert_string_not_equal(status_name(map[i].st),
			    status_name(map[j].st));
	}
	assert_string_equal(status_name((enum status)99), "unknown");
}

static void
test_worse(void **state)
{
	size_t i, j;

	(void)state;
	assert_int_equal(NORDER, NMAP);
	for (i = 0; i < NORDER; i++) {
		for (j = 0; j < NORDER; j++) {
			enum status want = order[i > j ? i : j];

			assert_int_equal(status_worse(order[i], order[j]), want);
		}
	}
	/* A run that deferred something but otherwise succeeded exits 75. */
	assert_int_equal(status_exitcode(status_worse(ST_OK, ST_TEMPFAIL)), 75);
	assert_int_equal(status_exitcode(status_worse(ST_TEMPFAIL,
	    ST_DATAERR)), 65);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exitcodes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_worse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
