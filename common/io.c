#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/io.h"

int
io_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {	/* never expected from a regular fd; avoid a spin */
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
io_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
io_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = io_read(fd, (char *)buf + got, n - got);

		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t
io_pull_fd(void *ctx, void *buf, size_t n)
{
	return io_read(*(int *)ctx, buf, n);
}

int
io_reader_init(struct io_reader *r, io_pull_fn pull, void *ctx, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (cap < 16)
		cap = 16;
	/* One byte beyond the cap: a full line piece is handed out only once
	 * a byte after it is known, so a last line of exactly cap bytes
	 * before EOF is complete rather than a piece followed by EOF. */
	r->buf = malloc(cap + 1);
	if (r->buf == NULL)
		return -1;
	r->pull = pull;
	r->ctx = ctx;
	r->cap = cap;
	r->fd = -1;
	return 0;
}

int
io_reader_fd(struct io_reader *r, int fd, size_t cap)
{
	if (io_reader_init(r, io_pull_fd, NULL, cap) < 0)
		return -1;
	r->fd = fd;
	r->ctx = &r->fd;
	return 0;
}

void
io_reader_free(struct io_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Make room and pull more bytes. Returns >0, 0 at EOF, -1 on error. */
static ssize_t
fill(struct io_reader *r)
{
	ssize_t got;

	if (r->eof)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap + 1)
		return 1;	/* full: caller hands out a piece */
	got = r->pull(r->ctx, r->buf + r->end, r->cap + 1 - r->end);
	if (got < 0)
		return -1;
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	r->end += (size_t)got;
	return got;
}

static void
hand_out(struct io_reader *r, struct io_line *line, size_t len, int complete)
{
	line->data = r->buf + r->start;
	line->len = len;
	line->complete = complete;
	line->has_lf = len > 0 && line->data[len - 1] == '\n';
	r->start += len;
}

int
io_getline(struct io_reader *r, struct io_line *line)
{
	size_t scanned = 0;

	for (;;) {
		size_t avail = r->end - r->start;
		size_t look = avail < r->cap ? avail : r->cap;
		const char *nl = memchr(r->buf + r->start + scanned, '\n',
		    look - scanned);
		ssize_t got;

		if (nl != NULL) {
			hand_out(r, line, (size_t)(nl - (r->buf + r->start)) + 1, 1);
			return 1;
		}
		scanned = look;
		if (avail > r->cap) {	/* cap bytes without LF, more follow */
			hand_out(r, line, r->cap, 0);
			return 1;
		}
		got = fill(r);
		if (got < 0)
			return -1;
		if (got == 0) {
			if (r->end == r->start)
				return 0;
			hand_out(r, line, r->end - r->start, 1);
			return 1;
		}
	}
}

int
io_line_ready(const struct io_reader *r)
{
	return r->eof || memchr(r->buf + r->start, '\n', r->end - r->start)
	    != NULL;
}

int
io_peek_line(const struct io_reader *r, const char **data, size_t *len)
{
	const char *p = r->buf + r->start;
	const char *nl = memchr(p, '\n', r->end - r->start);

	if (nl == NULL)
		return 0;
	*data = p;
	*len = (size_t)(nl - p) + 1;
	return 1;
}

int
io_getchunk(struct io_reader *r, struct io_line *chunk)
{
	if (r->end == r->start) {
		ssize_t got = fill(r);

		if (got < 0)
			return -1;
		if (got == 0)
			return 0;
	}
	hand_out(r, chunk, r->end - r->start, 1);
	chunk->has_lf = 0;
	return 1;
}

long long
io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
io_wait_fd(int fd, short events, long long deadline_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		long long left = deadline_ms - io_now_ms();
		int r;

		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}
