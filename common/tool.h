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

#include <sys/types.h>

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

/*
 * An io_pull_fn (common/io.h) for fd 0 that waits with tool_wait_input:
 * a stop signal makes the read fail with EINTR, so a tool blocked on
 * its input (or on the rest of a line) still stops at once.
 */
ssize_t tool_pull_stdin(void *ctx, void *buf, size_t n);

#endif
