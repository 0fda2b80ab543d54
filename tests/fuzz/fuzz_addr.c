/*
 * libFuzzer harness for common/addr: every address it accepts must be
 * free of control characters, fit its limits, and parse again to itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct addr *a)
{
	char buf[ADDR_MAX + 1];
	struct addr again;
	size_t i;
	int n = addr_format(a, buf, sizeof buf);

	if (n < 0 || strlen(a->local) > ADDR_LOCAL_MAX ||
	    strlen(a->domain) > ADDR_DOMAIN_MAX || a->local[0] == '\0')
		abort();
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			abort();
	if (addr_parse_spec(buf, (size_t)n, &again) != ADDR_OK ||
	    strcmp(again.local, a->local) != 0 ||
	    strcmp(again.domain, a->domain) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct addr a;
	size_t pos = 0, last = 0;
	enum addr_error e;

	while ((e = addr_list_next(s, size, &pos, &a)) == ADDR_OK) {
		if (pos > size || pos <= last)
			abort();
		last = pos;
		check(&a);
	}
	if (addr_parse_spec(s, size, &a) == ADDR_OK)
		check(&a);
	if (addr_parse_path(s, size, &a) == ADDR_OK)
		check(&a);
	return 0;
}
