#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/io.h"
#include "common/md.h"

static int
name_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ',' ||
	    c == '=' || c == '-';
}

int
md_name_valid(const char *name)
{
	size_t i;

	if (name[0] == '\0' || name[0] == '.')
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (i >= MD_NAME_MAX - 1 || !name_byte((unsigned char)name[i]))
			return 0;
	return 1;
}

/* Random bits from the kernel where possible; time and pid otherwise. */
static uint32_t
random32(void)
{
	static int fd = -2;
	uint32_t v = 0;

	if (fd == -2)
		fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || io_read_full(fd, &v, sizeof v) != (ssize_t)sizeof v) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		v = (uint32_t)tv.tv_usec * 2654435761u ^ (uint32_t)getpid();
	}
	return v;
}

int
md_uniq_name(char *buf, size_t n)
{
	static unsigned long counter;
	static char host[200];
	struct timeval tv;
	int len;

	if (host[0] == '\0') {
		char raw[256] = "localhost";
		size_t i, o = 0;

		gethostname(raw, sizeof raw - 1);
		raw[sizeof raw - 1] = '\0';
		for (i = 0; raw[i] != '\0' && o + 4 < sizeof host; i++) {
			unsigned char c = (unsigned char)raw[i];

			if (name_byte(c) && c != '=' && c != ',')
				host[o++] = (char)c;
			else
				o += (size_t)snprintf(host + o, 4, "=%02X", c);
		}
		host[o] = '\0';
		if (o == 0)
			strcpy(host, "localhost");
	}
	gettimeofday(&tv, NULL);
	len = snprintf(buf, n, "%lld.M%06ldP%ldQ%luR%08x.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    ++counter, random32(), host);
	if (len < 0 || (size_t)len >= n || (size_t)len >= MD_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
md_tmp_open_named(struct md_tmp *t, int tmpdirfd, const char *name)
{
	size_t len = strlen(name);

	/* Until the file is ours, t names nothing: a md_tmp_discard after a
	 * failed open must not unlink the file that made it fail. */
	t->fd = -1;
	t->name[0] = '\0';
	t->dirfd = tmpdirfd;
	t->size = 0;
	if (len >= sizeof t->name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	t->fd = openat(tmpdirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (t->fd < 0)
		return -1;
	memcpy(t->name, name, len + 1);
	return 0;
}

/* Give t a fresh unique name in tmpdirfd made by make(t, name, arg),
 * which fails with EEXIST when the name is taken: up to five names. */
static int
tmp_uniq(struct md_tmp *t, int tmpdirfd,
    int (*make)(struct md_tmp *, int, const char *, void *), void *arg)
{
	char name[MD_NAME_MAX];
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (md_uniq_name(name, sizeof name) < 0)
			return -1;
		if (make(t, tmpdirfd, name, arg) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

static int
open_named(struct md_tmp *t, int tmpdirfd, const char *name, void *unused)
{
	(void)unused;
	return md_tmp_open_named(t, tmpdirfd, name);
}

int
md_tmp_open(struct md_tmp *t, int tmpdirfd)
{
	return tmp_uniq(t, tmpdirfd, open_named, NULL);
}

/* md_tmp_link's make: link the file open as *fd under name, then hold a
 * duplicate of *fd in t. */
static int
link_named(struct md_tmp *t, int tmpdirfd, const char *name, void *arg)
{
	int fd = *(const int *)arg;
	char proc[64];

	t->fd = -1;
	t->name[0] = '\0';
	t->dirfd = tmpdirfd;
	t->size = 0;
	if (strlen(name) >= sizeof t->name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, tmpdirfd, name, AT_SYMLINK_FOLLOW) < 0)
		return -1;
	if ((t->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		int e = errno;

		unlinkat(tmpdirfd, name, 0);
		errno = e;
		return -1;
	}
	memcpy(t->name, name, strlen(name) + 1);
	return 0;
}

int
md_tmp_link(struct md_tmp *t, int tmpdirfd, int fd, uint64_t size)
{
	if (tmp_uniq(t, tmpdirfd, link_named, &fd) < 0)
		return -1;
	t->size = size;
	return 0;
}

int
md_tmp_write(struct md_tmp *t, const void *buf, size_t n)
{
	if (io_write_all(t->fd, buf, n) < 0)
		return -1;
	t->size += n;
	return 0;
}

int
md_tmp_sync(struct md_tmp *t)
{
	int fd = t->fd;

	if (fd < 0)
		return 0;
	t->fd = -1;
	/* After a failed fsync the page cache may claim the data is clean:
	 * never fsync this fd again; the caller discards the file. */
	if (fsync(fd) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

void
md_tmp_discard(struct md_tmp *t)
{
	int e = errno;

	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
	if (t->name[0] != '\0')
		unlinkat(t->dirfd, t->name, 0);
	t->name[0] = '\0';
	errno = e;
}

int
md_tmp_commit(struct md_tmp *t, int newdirfd, const char *newname,
    enum md_publish how)
{
	if (md_tmp_sync(t) < 0)
		goto fail;
	if (how == MD_RENAME) {
		if (renameat(t->dirfd, t->name, newdirfd, newname) < 0)
			goto fail;
	} else {
		if (linkat(t->dirfd, t->name, newdirfd, newname, 0) < 0)
			goto fail;
		unlinkat(t->dirfd, t->name, 0);
	}
	t->name[0] = '\0';
	return 0;
fail:
	md_tmp_discard(t);
	return -1;
}

int
md_fsync_dir(int dirfd)
{
	return fsync(dirfd);
}

int
md_open_dir(int dirfd, const char *name, int create)
{
	int fd;

	for (;;) {
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT || !create)
			break;
		if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
			return -1;
		create = 0;	/* retry the open once */
	}
	if (fd < 0 && errno == ELOOP)
		errno = ENOTDIR;	/* a symlink where a directory must be */
	return fd;
}
