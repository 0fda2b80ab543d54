/* Placeholder until the split issue lands: refuses to run. */
#include <stdio.h>

#include "common/status.h"

int
main(void)
{
	fputs("mdrop-split: not built yet\n", stderr);
	return status_exitcode(ST_SOFTWARE);
}
