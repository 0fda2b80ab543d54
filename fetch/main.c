/* Placeholder until the fetch issue lands: refuses to run. */
#include <stdio.h>

#include "common/status.h"

int
main(void)
{
	fputs("mdrop-fetch: not built yet\n", stderr);
	return status_exitcode(ST_SOFTWARE);
}
