#include <sysexits.h>

#include "common/status.h"

int
status_exitcode(enum status st)
{
	switch (st) {
	case ST_OK:		return 0;
	case ST_USAGE:		return EX_USAGE;
	case ST_DATAERR:	return EX_DATAERR;
	case ST_NOINPUT:	return EX_NOINPUT;
	case ST_NOUSER:		return EX_NOUSER;
	case ST_UNAVAILABLE:	return EX_UNAVAILABLE;
	case ST_SOFTWARE:	return EX_SOFTWARE;
	case ST_IOERR:		return EX_IOERR;
	case ST_TEMPFAIL:	return EX_TEMPFAIL;
	case ST_PROTOCOL:	return EX_TEMPFAIL;	/* a broken session is retried */
	case ST_NOPERM:		return EX_NOPERM;
	case ST_CONFIG:		return EX_CONFIG;
	}
	return EX_SOFTWARE;
}

static int
severity(enum status st)
{
	switch (st) {
	case ST_OK:		return 0;
	case ST_TEMPFAIL:	return 1;
	case ST_UNAVAILABLE:	return 2;
	case ST_PROTOCOL:	return 3;
	case ST_DATAERR:	return 4;
	case ST_NOINPUT:	return 5;
	case ST_NOUSER:		return 6;
	case ST_IOERR:		return 7;
	case ST_NOPERM:		return 8;
	case ST_USAGE:		return 9;
	case ST_CONFIG:		return 10;
	case ST_SOFTWARE:	return 11;
	}
	return 11;
}

enum status
status_worse(enum status a, enum status b)
{
	return severity(b) > severity(a) ? b : a;
}
