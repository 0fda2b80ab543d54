#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "common/io.h"
#include "common/tool.h"

static volatile sig_atomic_t stop;
static sigset_t stopset, workmask;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

void
tool_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop;	/* no SA_RESTART */
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGHUP);
	sa.sa_mask = stopset;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_BLOCK, &stopset, &workmask);
	sigdelset(&workmask, SIGTERM);	/* the mask while waiting */
	sigdelset(&workmask, SIGINT);
	sigdelset(&workmask, SIGHUP);
}

int
tool_stopping(void)
{
	sigset_t pending;

	if (!stop && sigpending(&pending) == 0 &&
	    (sigismember(&pending, SIGTERM) == 1 ||
	    sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGHUP) == 1)) {
		sigprocmask(SIG_UNBLOCK, &stopset, NULL);	/* runs on_stop */
		sigprocmask(SIG_BLOCK, &stopset, NULL);
	}
	return stop;
}

int
tool_wait_input(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts, *tp = NULL;
	int r;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	while (!stop) {
		r = ppoll(&pfd, 1, tp, &workmask);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return 1;	/* let the read report it */
	}
	return -1;
}

ssize_t
tool_pull_stdin(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	if (tool_wait_input(0, -1) < 0) {
		errno = EINTR;
		return -1;
	}
	return io_read(0, buf, n);
}
