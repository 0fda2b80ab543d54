/* md_uniq_name with a hostile host name: ',' (Dovecot reads ",S=" fields
 * from Maildir names), ':' (the info separator) and '/' never appear raw. */
// wrap: gethostname
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/md.h"

int __wrap_gethostname(char *name, size_t len);
int
__wrap_gethostname(char *name, size_t len)
{
	const char *host = "mx,S=1:2,a/b=c.example";

	strncpy(name, host, len);
	return 0;
}

static void
test_hostile_host(void **state)
{
	char name[MD_NAME_MAX];
	const char *host;

	(void)state;
	assert_int_equal(md_uniq_name(name, sizeof name), 0);
	assert_true(md_name_valid(name));
	host = strchr(strchr(name, 'R'), '.') + 1;
	assert_string_equal(host, "mx=2CS=3D1=3A2=2Ca=2Fb=3Dc.example");
	assert_null(strchr(name, ','));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
