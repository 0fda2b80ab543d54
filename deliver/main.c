/* Placeholder until the deliver issue lands: refuses to run. */
#include <stdio.h>

#include "common/status.h"

int
main(void)
{
	fputs("mdrop-deliver: not built yet\n", stderr);
	return status_exitcode(ST_SOFTWARE);
}
