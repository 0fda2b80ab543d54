/*
 * faultshim: an LD_PRELOAD library that makes the Nth call of one file
 * system call fail, or kills the process at that call, so the tests can
 * prove that no fault at any point loses a message.
 *
 *   FAULT_CALL   write|fsync|fdatasync|close|rename|link|open|mkdir|pread
 *                (renameat, linkat, openat, mkdirat count as their base)
 *   FAULT_NTH    which call (1 = the first) fails; unset: only count
 *   FAULT_ERRNO  ENOSPC (default) | EIO | EDQUOT | EACCES | EROFS | KILL
 *                (KILL: SIGKILL the process at that call, before it runs)
 *                | EOF (pread only: returns 0, a file that ended early)
 *   FAULT_PROG   only act in processes whose name (comm) is this
 *   FAULT_PATH   only count calls whose path (open/rename/link/mkdir,
 *                or for fd calls the fd's path) contains this string
 *   FAULT_COUNT  file to which the process appends "PROG CALL COUNT" at
 *                exit: how many such calls a clean run makes
 *
 * Only the calls are counted that the program makes itself through these
 * libc entry points; it is a test tool, not a sandbox.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *want_call;
static long want_nth = -1;
static int want_errno = ENOSPC;
static int want_eof;
static const char *want_path;
static int active;
static long count;

static void
report(void)
{
	const char *file = getenv("FAULT_COUNT");
	char comm[64] = "?";
	FILE *f;

	if (!active || file == NULL)
		return;
	f = fopen("/proc/self/comm", "r");
	if (f != NULL) {
		if (fgets(comm, sizeof comm, f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	f = fopen(file, "a");
	if (f != NULL) {
		fprintf(f, "%s %s %ld\n", comm, want_call, count);
		fclose(f);
	}
}

__attribute__((constructor)) static void
setup(void)
{
	const char *s, *prog;

	want_call = getenv("FAULT_CALL");
	if (want_call == NULL)
		return;
	prog = getenv("FAULT_PROG");
	if (prog != NULL) {
		char comm[64] = "";
		FILE *f = fopen("/proc/self/comm", "r");

		if (f != NULL) {
			if (fgets(comm, sizeof comm, f) == NULL)
				comm[0] = '\0';
			fclose(f);
		}
		comm[strcspn(comm, "\n")] = '\0';
		/* comm is cut to 15 bytes */
		if (strncmp(comm, prog, 15) != 0)
			return;
	}
	if ((s = getenv("FAULT_NTH")) != NULL)
		want_nth = atol(s);
	want_path = getenv("FAULT_PATH");
	if ((s = getenv("FAULT_ERRNO")) != NULL) {
		if (strcmp(s, "EIO") == 0)		want_errno = EIO;
		else if (strcmp(s, "EDQUOT") == 0)	want_errno = EDQUOT;
		else if (strcmp(s, "EACCES") == 0)	want_errno = EACCES;
		else if (strcmp(s, "EROFS") == 0)	want_errno = EROFS;
		else if (strcmp(s, "KILL") == 0)	want_errno = -1;
		else if (strcmp(s, "EOF") == 0)		want_eof = 1;
		else					want_errno = ENOSPC;
	}
	active = 1;
	atexit(report);
}

static int
path_matches(const char *path)
{
	return want_path == NULL || (path != NULL && strstr(path, want_path));
}

static int
fd_matches(int fd)
{
	char link[64], target[4096];
	ssize_t n;

	if (want_path == NULL)
		return 1;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof target - 1);
	if (n < 0)
		return 0;
	target[n] = '\0';
	return strstr(target, want_path) != NULL;
}

/* 1 when this call must fail (errno set), 0 to let it run. */
static int
hit(const char *call, int matches)
{
	if (!active || strcmp(call, want_call) != 0 || !matches)
		return 0;
	if (++count != want_nth)
		return 0;
	if (want_errno < 0)
		raise(SIGKILL);
	errno = want_errno;
	return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t
write(int fd, const void *buf, size_t n)
{
	if (hit("write", fd_matches(fd)))
		return -1;
	return REAL(write)(fd, buf, n);
}

ssize_t
pread(int fd, void *buf, size_t n, off_t off)
{
	if (hit("pread", fd_matches(fd)))
		return want_eof ? 0 : -1;
	return REAL(pread)(fd, buf, n, off);
}

int
fsync(int fd)
{
	if (hit("fsync", fd_matches(fd)))
		return -1;
	return REAL(fsync)(fd);
}

int
fdatasync(int fd)
{
	if (hit("fdatasync", fd_matches(fd)))
		return -1;
	return REAL(fdatasync)(fd);
}

int
close(int fd)
{
	if (hit("close", fd_matches(fd))) {
		REAL(close)(fd);	/* the fd is gone either way, as in Linux */
		errno = want_errno;
		return -1;
	}
	return REAL(close)(fd);
}

int
rename(const char *from, const char *to)
{
	if (hit("rename", path_matches(to)))
		return -1;
	return REAL(rename)(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	if (hit("rename", path_matches(to) || fd_matches(fd2)))
		return -1;
	return REAL(renameat)(fd1, from, fd2, to);
}

int
link(const char *from, const char *to)
{
	if (hit("link", path_matches(to)))
		return -1;
	return REAL(link)(from, to);
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	if (hit("link", path_matches(to) || fd_matches(fd2)))
		return -1;
	return REAL(linkat)(fd1, from, fd2, to, flags);
}

int
mkdir(const char *path, mode_t mode)
{
	if (hit("mkdir", path_matches(path)))
		return -1;
	return REAL(mkdir)(path, mode);
}

int
mkdirat(int fd, const char *path, mode_t mode)
{
	if (hit("mkdir", path_matches(path) || fd_matches(fd)))
		return -1;
	return REAL(mkdirat)(fd, path, mode);
}

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (hit("open", path_matches(path)))
		return -1;
	return REAL(open)(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (hit("open", path_matches(path)))
		return -1;
	return REAL(open64)(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (hit("open", path_matches(path) || fd_matches(dirfd)))
		return -1;
	return REAL(openat)(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (hit("open", path_matches(path) || fd_matches(dirfd)))
		return -1;
	return REAL(openat64)(dirfd, path, flags, mode);
}
