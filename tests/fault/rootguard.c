/*
 * rootguard: an LD_PRELOAD library that aborts the process at the first
 * call that would create, write, link, rename, remove, or change the mode
 * or owner of a path below one of the directories ROOTGUARD_DIRS names
 * while the effective uid is 0. It proves what mdrop-deliver(1),
 * PRIVILEGES, promises: started as root, it writes nothing as root.
 *
 *   ROOTGUARD_DIRS  colon-separated absolute directories, without
 *                   symlinks (as `pwd -P` prints them)
 *   ROOTGUARD_LOG   file to which each violation is appended, one line:
 *                   "CALL PATH" (also written to stderr); then abort()
 *
 * A path is the one the call names, resolved against its directory fd
 * (through /proc/self/fd) when relative; an fd call (write, pwrite,
 * writev, fchmod, fchown, ftruncate) is judged by the fd's path, so a
 * file opened by its owner but written by root is caught too. Opens count
 * when they can write or create (O_WRONLY, O_RDWR, O_CREAT, O_TRUNC);
 * read-only opens and O_PATH lookups do not, nor do fsync and close. Only the calls the program makes through these
 * libc entry points are seen; it is a test tool, not a sandbox.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))
#define WRITES (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC)

/*
 * Until a violation is found, only raw system calls and the helpers below:
 * a sanitizer's start-up makes its report directory with mkdir before its
 * own interceptors (snprintf, strlen, readlink, ...) can be called.
 */
static void
put(char *out, size_t n, size_t *at, const char *s)
{
	while (*s != '\0' && *at + 1 < n)
		out[(*at)++] = *s++;
	out[*at] = '\0';
}

static void
put_int(char *out, size_t n, size_t *at, int v)
{
	char digits[16];
	int i = (int)sizeof digits - 1;

	digits[i] = '\0';
	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && i > 0);
	put(out, n, at, digits + i);
}

/* Is the absolute path p below (or at) one of the guarded directories? */
static int
guarded(const char *p)
{
	const char *d = getenv("ROOTGUARD_DIRS");

	while (d != NULL && *d != '\0') {
		size_t n = 0;

		while (d[n] != '\0' && d[n] != ':' && p[n] == d[n])
			n++;
		if (n > 0 && (d[n] == '\0' || d[n] == ':') &&
		    (p[n] == '\0' || p[n] == '/'))
			return 1;
		while (*d != '\0' && *d != ':')
			d++;
		if (*d == ':')
			d++;
	}
	return 0;
}

/* The absolute path of fd (path NULL) or of path relative to dirfd. */
static void
resolve(int dirfd, const char *path, char *out, size_t n)
{
	char link[64], dir[PATH_MAX] = "?";
	size_t at = 0;
	long len;
	int e = errno;

	if (path != NULL && path[0] == '/') {
		put(out, n, &at, path);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (syscall(SYS_getcwd, dir, sizeof dir) < 0)
			dir[0] = '?', dir[1] = '\0';
	} else {
		put(link, sizeof link, &at, "/proc/self/fd/");
		put_int(link, sizeof link, &at, dirfd);
		at = 0;
		len = syscall(SYS_readlink, link, dir, sizeof dir - 1);
		if (len >= 0)
			dir[len] = '\0';
	}
	put(out, n, &at, dir);
	if (path != NULL && path[0] != '\0') {
		put(out, n, &at, "/");
		put(out, n, &at, path);
	}
	errno = e;
}

static void
check(const char *call, int dirfd, const char *path)
{
	char abs[2 * PATH_MAX];
	const char *logf;
	FILE *f;

	if (geteuid() != 0)
		return;
	resolve(dirfd, path, abs, sizeof abs);
	if (!guarded(abs))
		return;
	fprintf(stderr, "rootguard: %s %s as euid 0\n", call, abs);
	if ((logf = getenv("ROOTGUARD_LOG")) != NULL &&
	    (f = fopen(logf, "a")) != NULL) {
		fprintf(f, "%s %s\n", call, abs);
		fclose(f);
	}
	abort();
}

static mode_t
mode_arg(int flags, va_list ap)
{
	return (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
}

int
open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	if (flags & WRITES)
		check("open", AT_FDCWD, path);
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
	if (flags & WRITES)
		check("open", AT_FDCWD, path);
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
	if (flags & WRITES)
		check("openat", dirfd, path);
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
	if (flags & WRITES)
		check("openat", dirfd, path);
	return REAL(openat64)(dirfd, path, flags, mode);
}

int
creat(const char *path, mode_t mode)
{
	check("creat", AT_FDCWD, path);
	return REAL(creat)(path, mode);
}

int
mkdir(const char *path, mode_t mode)
{
	check("mkdir", AT_FDCWD, path);
	return REAL(mkdir)(path, mode);
}

int
mkdirat(int dirfd, const char *path, mode_t mode)
{
	check("mkdirat", dirfd, path);
	return REAL(mkdirat)(dirfd, path, mode);
}

int
mknodat(int dirfd, const char *path, mode_t mode, dev_t dev)
{
	check("mknodat", dirfd, path);
	return REAL(mknodat)(dirfd, path, mode, dev);
}

int
link(const char *from, const char *to)
{
	check("link", AT_FDCWD, to);
	return REAL(link)(from, to);
}

int
linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
	check("linkat", fd2, to);
	return REAL(linkat)(fd1, from, fd2, to, flags);
}

int
symlink(const char *target, const char *path)
{
	check("symlink", AT_FDCWD, path);
	return REAL(symlink)(target, path);
}

int
symlinkat(const char *target, int dirfd, const char *path)
{
	check("symlinkat", dirfd, path);
	return REAL(symlinkat)(target, dirfd, path);
}

int
rename(const char *from, const char *to)
{
	check("rename", AT_FDCWD, from);
	check("rename", AT_FDCWD, to);
	return REAL(rename)(from, to);
}

int
renameat(int fd1, const char *from, int fd2, const char *to)
{
	check("renameat", fd1, from);
	check("renameat", fd2, to);
	return REAL(renameat)(fd1, from, fd2, to);
}

int
renameat2(int fd1, const char *from, int fd2, const char *to,
    unsigned int flags)
{
	check("renameat2", fd1, from);
	check("renameat2", fd2, to);
	return REAL(renameat2)(fd1, from, fd2, to, flags);
}

int
unlink(const char *path)
{
	check("unlink", AT_FDCWD, path);
	return REAL(unlink)(path);
}

int
unlinkat(int dirfd, const char *path, int flags)
{
	check("unlinkat", dirfd, path);
	return REAL(unlinkat)(dirfd, path, flags);
}

int
rmdir(const char *path)
{
	check("rmdir", AT_FDCWD, path);
	return REAL(rmdir)(path);
}

int
chmod(const char *path, mode_t mode)
{
	check("chmod", AT_FDCWD, path);
	return REAL(chmod)(path, mode);
}

int
fchmod(int fd, mode_t mode)
{
	check("fchmod", fd, NULL);
	return REAL(fchmod)(fd, mode);
}

int
fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	check("fchmodat", dirfd, path);
	return REAL(fchmodat)(dirfd, path, mode, flags);
}

int
chown(const char *path, uid_t uid, gid_t gid)
{
	check("chown", AT_FDCWD, path);
	return REAL(chown)(path, uid, gid);
}

int
lchown(const char *path, uid_t uid, gid_t gid)
{
	check("lchown", AT_FDCWD, path);
	return REAL(lchown)(path, uid, gid);
}

int
fchown(int fd, uid_t uid, gid_t gid)
{
	check("fchown", fd, NULL);
	return REAL(fchown)(fd, uid, gid);
}

int
fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	check("fchownat", dirfd, path);
	return REAL(fchownat)(dirfd, path, uid, gid, flags);
}

int
truncate(const char *path, off_t len)
{
	check("truncate", AT_FDCWD, path);
	return REAL(truncate)(path, len);
}

int
ftruncate(int fd, off_t len)
{
	check("ftruncate", fd, NULL);
	return REAL(ftruncate)(fd, len);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	check("write", fd, NULL);
	return REAL(write)(fd, buf, n);
}

ssize_t
pwrite(int fd, const void *buf, size_t n, off_t off)
{
	check("pwrite", fd, NULL);
	return REAL(pwrite)(fd, buf, n, off);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	check("writev", fd, NULL);
	return REAL(writev)(fd, iov, cnt);
}
