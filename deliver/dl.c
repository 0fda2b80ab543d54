/* dl.c: the one way a backend or a group sets a recipient's result. */
#include <stdarg.h>
#include <stdio.h>

#include "deliver/deliver.h"

void
dl_set(struct dl_rcpt *r, enum dl_result res, const char *fmt, ...)
{
	va_list ap;

	char *p;

	r->result = res;
	va_start(ap, fmt);
	vsnprintf(r->detail, DL_DETAIL_MAX, fmt, ap);
	va_end(ap);
	/* details come from servers and errno texts: one line, always */
	for (p = r->detail; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}
