/*
 * tool: what every mdrop tool's main() does the same way.
 *
 * Stop signals. SIGTERM and SIGINT (and SIGHUP) mean "finish the piece of
 * work in hand, then exit" (DESIGN.md: never half-state). They are kept
 * blocked while the tool works, so no system call in the middle of a
 * group or a message is cut short, and let in only where the tool waits
 * for input (tool_wait_input) or asks (tool_stopping): a signal that came
 * during the work is then seen at once, with no race between looking at
 * the flag and going to sleep. SIGPIPE is ignored: a closed stdout is an
 * EPIPE error the tool reports (exit 74), not a silent death.
 */
#ifndef MDROP_TOOL_H
#define MDROP_TOOL_H

#include <poll.h>
#include <sys/types.h>

#include "common/status.h"

/*
 * The one skeleton of the three tools' main():
 *
 *     tool_start("mdrop-x");            log tag, fds 0-2, stop signals
 *     options: tool_number() for numbers; --help: tool_help(text);
 *       --version: tool_version(); a bad one: tool_usage(text, ...)
 *     set-up, the loop
 *     return tool_exit(st);             stdout checked, one exit code
 *
 * Usage errors are logged as "usage reason=... [option=...]" and the
 * usage text goes to stderr, exit 64; --help and --version go to stdout
 * and exit 0, or 74 when stdout cannot take them (a full disk, a closed
 * pipe: never a silent success).
 */

/* Log tag; fds 0-2 that are closed become /dev/null (so no file opened
 * later becomes stdout); tool_catch_stop(). */
void tool_start(const char *name);

/*
 * The decimal number s, the value of option opt, into *v when it lies in
 * [min, max]. Returns 0, or -1 after logging the usage error.
 */
int tool_number(const char *s, const char *opt, unsigned long min,
    unsigned long max, unsigned long *v);

/* --help, --version: the exit code. */
int tool_help(const char *text);
int tool_version(void);

/* A usage error: logged (reason=..., printf fmt; NULL: logged already),
 * text to stderr; 64. */
int tool_usage(const char *text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Log that stdout failed with errno e (once per run: the reader is gone,
 * one line says so). */
void tool_stdout_error(int e);

/* The end of a run: stdout flushed and checked (a failure is logged and
 * makes st ST_IOERR); the exit code for st. */
int tool_exit(enum status st);

/* Install the handlers and block the stop signals. */
void tool_catch_stop(void);

/* 1 once a stop signal has arrived (one that is pending is let in). */
int tool_stopping(void);

/*
 * Wait until fd is readable, timeout_ms passes (-1: no timeout) or a stop
 * signal arrives. Returns 1 readable (or EOF/error to read), 0 timeout,
 * -1 stop signal.
 */
int tool_wait_input(int fd, int timeout_ms);

/* Sleep ms milliseconds, or less when a stop signal arrives: 0 slept,
 * -1 stop signal. */
int tool_pause(long long ms);

/* In a child between fork and exec: the stop signals unblocked and
 * SIGPIPE back to its default, as a program expects them. */
void tool_child(void);

/*
 * poll(2) over n fds the same way: stop signals let in while it waits.
 * Returns poll's count (> 0; an error other than EINTR counts as ready,
 * for the caller's read to report), 0 timeout, -1 stop signal.
 */
int tool_poll(struct pollfd *pfd, nfds_t n, int timeout_ms);

/*
 * An io_pull_fn (common/io.h) for fd 0 that waits with tool_wait_input:
 * a stop signal makes the read fail with EINTR, so a tool blocked on
 * its input (or on the rest of a line) still stops at once.
 */
ssize_t tool_pull_stdin(void *ctx, void *buf, size_t n);

#endif
