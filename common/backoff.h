/*
 * backoff: how long a supervised tool (mdrop-fetch --interval) waits
 * before its next try. A failure is retried after the interval, then
 * after twice as long with each further failure, up to a cap; a success
 * goes back to the interval. Pure.
 */
#ifndef MDROP_BACKOFF_H
#define MDROP_BACKOFF_H

/* Seconds a failure never waits beyond, unless the interval itself is
 * longer (a failure never makes the next try come sooner). */
#define BACKOFF_CAP 3600

/*
 * The pause in seconds before the next try, for an interval of interval
 * seconds (> 0) after failures consecutive failed tries (0: the last one
 * succeeded): interval for 0 and 1, then doubled for each further
 * failure, never more than BACKOFF_CAP or interval, whichever is larger.
 */
long backoff_pause(long interval, unsigned failures);

#endif
