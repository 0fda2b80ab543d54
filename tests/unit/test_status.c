/* Unit tests for common/status: every status maps to its DESIGN.md exit
 * code, and status_worse follows the documented order whatever the
 * argument order. */
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
} map[] = {
	{ ST_OK,		0 },
	{ ST_USAGE,		64 },
	{ ST_DATAERR,		65 },
	{ ST_NOINPUT,		66 },
	{ ST_NOUSER,		67 },
	{ ST_UNAVAILABLE,	69 },
	{ ST_SOFTWARE,		70 },
	{ ST_IOERR,		74 },
	{ ST_TEMPFAIL,		75 },
	{ ST_PROTOCOL,		75 },	/* retried later */
	{ ST_NOPERM,		77 },
	{ ST_CONFIG,		78 },
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
		cmocka_unit_test(test_worse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
