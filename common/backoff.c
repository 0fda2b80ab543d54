#include "common/backoff.h"

long
backoff_pause(long interval, unsigned failures)
{
	long cap = interval > BACKOFF_CAP ? interval : BACKOFF_CAP;
	long pause = interval;

	while (failures-- > 1 && pause < cap)
		pause = pause > cap / 2 ? cap : pause * 2;
	return pause;
}
