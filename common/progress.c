#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/progress.h"

enum progress_state
progress_find(const char *buf, size_t len, const char *rcpt, char *detail,
    size_t n)
{
	enum progress_state st = PROGRESS_NONE;
	size_t rlen = strlen(rcpt), i = 0;

	while (i < len) {
		const char *line = buf + i, *nl, *p;
		size_t llen, kw;
		enum progress_state kind;

		nl = memchr(line, '\n', len - i);
		if (nl == NULL)
			break;		/* torn last line: ignored */
		llen = (size_t)(nl - line);
		i += llen + 1;
		if (llen > 3 && memcmp(line, "ok\t", 3) == 0) {
			kind = PROGRESS_OK;
			kw = 3;
		} else if (llen > 5 && memcmp(line, "fail\t", 5) == 0) {
			kind = PROGRESS_FAIL;
			kw = 5;
		} else {
			continue;
		}
		p = line + kw;
		if (llen - kw < rlen + 1 || memcmp(p, rcpt, rlen) != 0 ||
		    p[rlen] != '\t')
			continue;
		st = kind;
		if (n > 0) {
			size_t dl = llen - kw - rlen - 1;

			if (dl >= n)
				dl = n - 1;
			memcpy(detail, p + rlen + 1, dl);
			detail[dl] = '\0';
		}
	}
	return st;
}

static int
note_name(char *buf, size_t n, const char *name)
{
	if (snprintf(buf, n, "%s.done", name) >= (int)n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
progress_open(struct progress *p, int spooldirfd, const char *name)
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
	} else if (errno == ENOENT) {
		p->fd = openat(spooldirfd, p->name, O_RDWR | O_APPEND |
		    O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (p->fd < 0)
			return -1;
	} else {
		return -1;
	}
	if (fstat(p->fd, &st) < 0)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_size > PROGRESS_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	p->buf = malloc((size_t)st.st_size + 1);
	if (p->buf == NULL)
		goto fail;
	{
		ssize_t got = 0;

		if (st.st_size > 0 && (got = pread(p->fd, p->buf,
		    (size_t)st.st_size, 0)) < 0)
			goto fail;
		p->len = (size_t)got;
	}
	p->buf[p->len] = '\0';
	return 0;
fail:
	e = errno;
	progress_close(p);
	errno = e;
	return -1;
}

enum progress_state
progress_get(const struct progress *p, const char *rcpt, char *detail,
    size_t n)
{
	if (p->buf == NULL)
		return PROGRESS_NONE;
	return progress_find(p->buf, p->len, rcpt, detail, n);
}

int
progress_any_fail(const struct progress *p)
{
	size_t i;

	for (i = 0; p->buf != NULL && i + 5 <= p->len; i++)
		if ((i == 0 || p->buf[i - 1] == '\n') &&
		    memcmp(p->buf + i, "fail\t", 5) == 0)
			return 1;
	return 0;
}

int
progress_add(struct progress *p, int ok, const char *rcpt, const char *detail)
{
	char line[1024];
	size_t i;
	int len;
	char *nb;

	len = snprintf(line, sizeof line, "%s\t%s\t", ok ? "ok" : "fail", rcpt);
	if (len < 0 || (size_t)len >= sizeof line - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; detail[i] != '\0' && (size_t)len < sizeof line - 2; i++) {
		unsigned char c = (unsigned char)detail[i];

		line[len++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	line[len++] = '\n';
	if (p->len + (size_t)len > PROGRESS_MAX) {
		errno = EFBIG;
		return -1;
	}
	/* A torn last line from a crash must not swallow ours. */
	if (p->len > 0 && p->buf[p->len - 1] != '\n') {
		if (io_write_all(p->fd, "\n", 1) < 0)
			return -1;
		nb = realloc(p->buf, p->len + 2);
		if (nb == NULL)
			return -1;
		p->buf = nb;
		p->buf[p->len++] = '\n';
	}
	if (io_write_all(p->fd, line, (size_t)len) < 0)
		return -1;
	p->dirty = 1;
	nb = realloc(p->buf, p->len + (size_t)len + 1);
	if (nb == NULL)
		return -1;
	p->buf = nb;
	memcpy(p->buf + p->len, line, (size_t)len);
	p->len += (size_t)len;
	p->buf[p->len] = '\0';
	return 0;
}

int
progress_sync(struct progress *p)
{
	if (!p->dirty)
		return 0;
	p->dirty = 0;
	return fsync(p->fd);
}

void
progress_close(struct progress *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->buf);
	p->buf = NULL;
	p->len = 0;
}

int
progress_remove(int spooldirfd, const char *name)
{
	char file[300];

	if (note_name(file, sizeof file, name) < 0)
		return -1;
	if (unlinkat(spooldirfd, file, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}
