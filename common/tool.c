#define _GNU_SOURCE	/* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/tool.h"

static const char *tool_name = "mdrop";

static volatile sig_atomic_t stop;
static sigset_t stopset, workmask;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGPIPE to on_pipe, the stop signals to on_stop_sig (no SA_RESTART;
 * the others blocked while it runs). */
static void
handle(void (*on_pipe)(int), void (*on_stop_sig)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_pipe;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop_sig;
	sa.sa_mask = stopset;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void
tool_catch_stop(void)
{
	sigemptyset(&stopset);
	sigaddset(&stopset, SIGTERM);
	sigaddset(&stopset, SIGINT);
	sigaddset(&stopset, SIGHUP);
	handle(SIG_IGN, on_stop);
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
tool_poll(struct pollfd *pfd, nfds_t n, int timeout_ms)
{
	struct timespec ts, *tp = NULL;
	int r;

	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	while (!stop) {
		r = ppoll(pfd, n, tp, &workmask);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return 1;	/* let the read report it */
	}
	return -1;
}

int
tool_wait_input(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r = tool_poll(&pfd, 1, timeout_ms);

	return r > 0 ? 1 : r;
}

int
tool_pause(long long ms)
{
	long long end = io_now_ms() + ms, left;
	struct timespec ts;

	while (!stop && (left = end - io_now_ms()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		(void)ppoll(NULL, 0, &ts, &workmask);	/* EINTR: on_stop ran */
	}
	return stop ? -1 : 0;
}

void
tool_child(void)
{
	handle(SIG_DFL, SIG_DFL);	/* a stop now ends the child */
	sigprocmask(SIG_UNBLOCK, &stopset, NULL);
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

void
tool_start(const char *name)
{
	int fd;

	tool_name = name;
	log_init(name);
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;	/* fds 0-2 closed: keep them from being reused */
	if (fd > 2)
		close(fd);
	tool_catch_stop();
}

int
tool_number(const char *s, const char *opt, unsigned long min,
    unsigned long max, unsigned long *v)
{
	char *end, q[LOG_QUOTE_MAX];
	unsigned long n;

	errno = 0;
	n = s[0] >= '0' && s[0] <= '9' ? strtoul(s, &end, 10) : 0;
	if (s[0] < '0' || s[0] > '9' || errno != 0 || *end != '\0' ||
	    n < min || n > max) {
		log_error("usage", "option=%s value=%s reason=not-%lu..%lu",
		    opt, log_quote(q, sizeof q, s), min, max);
		return -1;
	}
	*v = n;
	return 0;
}

int
tool_help(const char *text)
{
	fputs(text, stdout);
	return tool_exit(ST_OK);
}

int
tool_version(void)
{
	printf("%s %s\n", tool_name, MDROP_VERSION);
	return tool_exit(ST_OK);
}

int
tool_usage(const char *text, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(reason, sizeof reason, fmt, ap);
		va_end(ap);
		log_error("usage", "%s", reason);
	}
	fputs(text, stderr);
	return status_exitcode(ST_USAGE);
}

void
tool_stdout_error(int e)
{
	static int said;

	if (!said++)
		log_error("write", "file=stdout error=\"%s\"",
		    strerror(e != 0 ? e : EIO));
}

int
tool_exit(enum status st)
{
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		tool_stdout_error(errno);
		st = status_worse(st, ST_IOERR);
	}
	return status_exitcode(st);
}
