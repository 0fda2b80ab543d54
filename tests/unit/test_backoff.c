/* Unit tests for common/backoff: the pause of mdrop-fetch --interval
 * after failures doubles up to its cap and never beyond it (it once went
 * ..., 2400, 4800, then 3600), never falls below the interval (it once
 * shrank to 3600 for intervals over an hour), and a success resets it. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/backoff.h"

static void
test_doubles_to_cap(void **state)
{
	static const long want[] = { 300, 300, 600, 1200, 2400, 3600, 3600,
	    3600 };
	unsigned f;

	(void)state;
	for (f = 0; f < sizeof want / sizeof want[0]; f++)
		assert_int_equal(backoff_pause(300, f), want[f]);
	assert_int_equal(backoff_pause(300, UINT_MAX), BACKOFF_CAP);
}

static void
test_cap_never_overshot(void **state)
{
	long interval, prev, p;
	unsigned f;

	(void)state;
	for (interval = 1; interval <= 5000; interval += 7) {
		long cap = interval > BACKOFF_CAP ? interval : BACKOFF_CAP;

		prev = backoff_pause(interval, 0);
		assert_int_equal(prev, interval);
		for (f = 1; f < 40; f++) {
			p = backoff_pause(interval, f);
			assert_true(p >= prev);		/* never shrinks */
			assert_true(p <= cap);		/* never overshoots */
			assert_true(p == cap || p == interval << (f - 1));
			prev = p;
		}
		assert_int_equal(prev, cap);
	}
}

static void
test_long_interval(void **state)
{
	(void)state;
	/* An interval over the cap: a failure waits the interval, never
	 * less (it once fell to 3600). */
	assert_int_equal(backoff_pause(7200, 1), 7200);
	assert_int_equal(backoff_pause(7200, 2), 7200);
	assert_int_equal(backoff_pause(7200, 30), 7200);
	assert_int_equal(backoff_pause(86400 * 7, 5), 86400 * 7);
	assert_int_equal(backoff_pause(3000, 2), 3600);
	assert_int_equal(backoff_pause(1, 13), 3600);
	assert_int_equal(backoff_pause(1, 12), 2048);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_to_cap),
		cmocka_unit_test(test_cap_never_overshot),
		cmocka_unit_test(test_long_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
