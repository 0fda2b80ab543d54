#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/md.h"
#include "deliver/notes.h"

static int
note_name(char *buf, size_t n, const char *name)
{
	if (snprintf(buf, n, "%s.done", name) >= (int)n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Create the note file (O_EXCL: the spool file's lock is held, so a
 * note that appeared meanwhile is not ours to append to). */
static int
note_create(struct note *p)
{
	p->fd = openat(p->dirfd, p->name, O_RDWR | O_APPEND | O_CREAT |
	    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return p->fd < 0 ? -1 : 0;
}

int
note_open(struct note *p, int spooldirfd, const char *name, int create)
{
	struct stat st;
	int e;

	memset(p, 0, sizeof *p);
	p->dirfd = spooldirfd;
	p->fd = -1;
	if (note_name(p->name, sizeof p->name, name) < 0)
		return -1;
	p->fd = openat(spooldirfd, p->name,
	    O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (p->fd >= 0) {
		p->existed = 1;
	} else if (errno == ENOENT && !create) {
		if ((p->buf = calloc(1, 1)) == NULL)
			return -1;
		p->cap = 1;
		return 0;	/* made by the first note_add */
	} else if (errno == ENOENT) {
		if (note_create(p) < 0)
			return -1;
	} else {
		return -1;
	}
	if (fstat(p->fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > NOTE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	p->buf = malloc((size_t)st.st_size + 1);
	if (p->buf == NULL)
		goto fail;
	p->cap = (size_t)st.st_size + 1;
	{
		ssize_t got = 0;

		if (st.st_size > 0 && (got = pread(p->fd, p->buf,
		    (size_t)st.st_size, 0)) < 0)
			goto fail;
		p->len = (size_t)got;
	}
	p->buf[p->len] = '\0';
	if (donenote_index_build(&p->ix, p->buf, p->len) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	note_close(p);
	errno = e;
	return -1;
}

enum donenote_state
note_get(const struct note *p, const char *rcpt, char *detail,
    size_t n)
{
	return donenote_index_find(&p->ix, p->buf, rcpt, detail, n);
}

int
note_any_fail(const struct note *p)
{
	size_t i;

	for (i = 0; p->buf != NULL && i + 5 <= p->len; i++)
		if ((i == 0 || p->buf[i - 1] == '\n') &&
		    memcmp(p->buf + i, "fail\t", 5) == 0)
			return 1;
	return 0;
}

/* Room for n more bytes and a NUL in p->buf, grown by doubling (a
 * note of thousands of lines must not be copied once per line). */
static int
note_room(struct note *p, size_t n)
{
	size_t cap = p->cap > 0 ? p->cap : 256;
	char *nb;

	while (cap < p->len + n + 1)
		cap *= 2;
	if (cap == p->cap)
		return 0;
	if ((nb = realloc(p->buf, cap)) == NULL)
		return -1;
	p->buf = nb;
	p->cap = cap;
	return 0;
}

int
note_add(struct note *p, int ok, const char *rcpt, const char *detail)
{
	char line[DONENOTE_LINE_MAX];
	int len;

	if ((len = donenote_line_format(line, sizeof line, ok, rcpt,
	    detail)) < 0)
		return -1;
	if (p->len + (size_t)len > NOTE_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (note_room(p, (size_t)len + 1) < 0)
		return -1;
	if (p->fd < 0 && note_create(p) < 0)
		return -1;
	/* A torn last line from a crash must not swallow ours. */
	if (p->len > 0 && p->buf[p->len - 1] != '\n') {
		if (io_write_all(p->fd, "\n", 1) < 0)
			return -1;
		p->buf[p->len++] = '\n';
	}
	if (io_write_all(p->fd, line, (size_t)len) < 0)
		return -1;
	p->dirty = 1;
	memcpy(p->buf + p->len, line, (size_t)len);
	p->len += (size_t)len;
	p->buf[p->len] = '\0';
	return 0;
}

int
note_sync(struct note *p)
{
	if (!p->dirty)
		return 0;
	p->dirty = 0;
	return fsync(p->fd);
}

int
note_exists(const struct note *p)
{
	return p->fd >= 0;
}

void
note_close(struct note *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->buf);
	donenote_index_free(&p->ix);
	p->buf = NULL;
	p->len = p->cap = 0;
}

int
note_why_read(int failedfd, const char *name, char **buf, size_t *len)
{
	size_t cap = NOTE_MAX + 64 * 1024, got = 0;
	char file[300];
	ssize_t n;
	int fd, e;

	*buf = NULL;
	*len = 0;
	if (snprintf(file, sizeof file, "%s.why", name) >= (int)sizeof file) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = openat(failedfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return -1;
	if ((*buf = malloc(cap + 1)) == NULL)
		goto fail;
	while (got < cap && (n = read(fd, *buf + got, cap - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		got += (size_t)n;
	}
	(*buf)[got] = '\0';
	*len = got;
	close(fd);
	return 0;
fail:
	e = errno;
	free(*buf);
	*buf = NULL;
	close(fd);
	errno = e;
	return -1;
}

int
note_remove(int spooldirfd, const char *name)
{
	char file[300];

	if (note_name(file, sizeof file, name) < 0)
		return -1;
	if (unlinkat(spooldirfd, file, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int
note_sweep(int spooldirfd, int newfd)
{
	char name[sizeof ((struct note *)NULL)->name];
	struct dirent *e;
	struct stat st;
	int fd, n = 0, err = 0;
	DIR *d;

	if ((fd = openat(spooldirfd, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len <= 5 || len - 5 >= sizeof name ||
		    strcmp(e->d_name + len - 5, ".done") != 0)
			continue;
		memcpy(name, e->d_name, len - 5);
		name[len - 5] = '\0';
		if (!md_name_valid(name) ||
		    fstatat(newfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
		    errno != ENOENT)
			continue;
		if (unlinkat(spooldirfd, e->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			err = errno;
	}
	if (err == 0)
		err = errno;	/* readdir's */
	closedir(d);
	errno = err;
	return err != 0 ? -1 : n;
}
