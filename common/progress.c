#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/progress.h"

int
progress_line_format(char *buf, size_t n, int ok, const char *rcpt,
    const char *detail)
{
	const char *word = ok ? "ok" : "fail";
	size_t w = strlen(word), r = strlen(rcpt), o, i;

	for (i = 0; i < r; i++)
		if ((unsigned char)rcpt[i] < 0x20 || rcpt[i] == 0x7f)
			r = 0;	/* could not be read back: refused */
	if (r == 0 || w + r + 3 > n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, word, w);
	o = w;
	buf[o++] = '\t';
	memcpy(buf + o, rcpt, r);
	o += r;
	buf[o++] = '\t';
	for (i = 0; detail[i] != '\0' && o + 1 < n; i++) {
		unsigned char c = (unsigned char)detail[i];

		buf[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[o++] = '\n';
	return (int)o;
}

enum progress_state
progress_line_parse(const char *line, size_t len, const char **rcpt,
    size_t *rlen, const char **detail, size_t *dlen)
{
	enum progress_state kind;
	const char *p, *tab;
	size_t kw;

	if (len > 3 && memcmp(line, "ok\t", 3) == 0) {
		kind = PROGRESS_OK;
		kw = 3;
	} else if (len > 5 && memcmp(line, "fail\t", 5) == 0) {
		kind = PROGRESS_FAIL;
		kw = 5;
	} else {
		return PROGRESS_NONE;
	}
	p = line + kw;
	if ((tab = memchr(p, '\t', len - kw)) == NULL || tab == p)
		return PROGRESS_NONE;
	*rcpt = p;
	*rlen = (size_t)(tab - p);
	*detail = tab + 1;
	*dlen = len - kw - *rlen - 1;
	return kind;
}

enum progress_state
progress_find(const char *buf, size_t len, const char *rcpt, char *detail,
    size_t n)
{
	enum progress_state st = PROGRESS_NONE;
	size_t want = strlen(rcpt), i = 0;

	while (i < len) {
		const char *line = buf + i, *nl, *r, *d;
		size_t llen, rl, dl;
		enum progress_state kind;

		nl = memchr(line, '\n', len - i);
		if (nl == NULL)
			break;		/* torn last line: ignored */
		llen = (size_t)(nl - line);
		i += llen + 1;
		kind = progress_line_parse(line, llen, &r, &rl, &d, &dl);
		if (kind == PROGRESS_NONE || rl != want ||
		    strncasecmp(r, rcpt, rl) != 0)
			continue;
		st = kind;		/* a later line wins */
		if (n > 0) {
			if (dl >= n)
				dl = n - 1;
			memcpy(detail, d, dl);
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
	char line[PROGRESS_LINE_MAX];
	int len;
	char *nb;

	if ((len = progress_line_format(line, sizeof line, ok, rcpt,
	    detail)) < 0)
		return -1;
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
