/*
 * io: full writes, EINTR-safe reads and a bounded line reader for data
 * streams (files, pipes, sockets, TLS).
 *
 * io_write_all() retries EINTR and short writes. io_reader is a buffered
 * line reader with a hard line-length cap: a line longer than the buffer
 * is handed out in pieces (io_line.complete == 0 on all but the last), so
 * a 1 GiB line streams through a fixed buffer instead of failing or
 * allocating without bound. The reader pulls bytes through a callback, so
 * the same reader serves files, pipes, sockets and TLS.
 */
#ifndef MDROP_IO_H
#define MDROP_IO_H

#include <stddef.h>
#include <sys/types.h>

/* write(2) all n bytes, retrying EINTR and short writes.
 * Returns 0, or -1 with errno set (EPIPE, ENOSPC, EIO, ...). */
int io_write_all(int fd, const void *buf, size_t n);

/* read(2) retrying EINTR. Returns bytes read, 0 at EOF, -1 with errno. */
ssize_t io_read(int fd, void *buf, size_t n);

/* Read until n bytes or EOF. Returns bytes read (< n only at EOF), or -1. */
ssize_t io_read_full(int fd, void *buf, size_t n);

/* Milliseconds on CLOCK_MONOTONIC: for timeouts that a clock jump
 * cannot stretch or cut short. */
long long io_now_ms(void);

/*
 * Wait until fd is ready for events (POLLIN, POLLOUT) or the deadline
 * (an io_now_ms() value) passes, retrying EINTR. Returns 0 when ready,
 * -1 with errno ETIMEDOUT at the deadline or poll's errno.
 */
int io_wait_fd(int fd, short events, long long deadline_ms);

/* Pulls up to n bytes into buf: returns >0 bytes, 0 at EOF, -1 on error
 * (errno set; ETIMEDOUT for timeouts). */
typedef ssize_t (*io_pull_fn)(void *ctx, void *buf, size_t n);

/* The default pull for a plain fd (ctx points to an int fd). */
ssize_t io_pull_fd(void *ctx, void *buf, size_t n);

struct io_reader {
	io_pull_fn pull;
	void *ctx;
	char *buf;		/* owned, cap bytes */
	size_t cap;
	size_t start, end;	/* unread bytes are buf[start..end) */
	int eof;
	int fd;			/* used when created by io_reader_fd() */
};

struct io_line {
	const char *data;	/* not NUL-terminated; may hold NULs */
	size_t len;		/* includes the terminating LF if present */
	int complete;		/* 1: ends with LF, or is the last bytes before EOF */
	int has_lf;		/* 1: data[len-1] == '\n' */
};

/*
 * Initialise a reader with a buffer of cap bytes (the line cap; at least
 * 16). Returns 0, or -1 (ENOMEM).
 */
int io_reader_init(struct io_reader *r, io_pull_fn pull, void *ctx, size_t cap);
int io_reader_fd(struct io_reader *r, int fd, size_t cap);
void io_reader_free(struct io_reader *r);

/*
 * Next line or piece. Returns 1 with *line filled (valid until the next
 * call), 0 at EOF with nothing left, -1 on a read error (errno set).
 * A line without a final LF before EOF comes back with has_lf == 0.
 */
int io_getline(struct io_reader *r, struct io_line *line);

/* 1 when io_getline will not block: a whole line is buffered, or the
 * input has ended. */
int io_line_ready(const struct io_reader *r);

/*
 * The next whole line if it is already buffered (not consumed): 1 with
 * data and len (LF included), else 0. For a look ahead that never blocks.
 */
int io_peek_line(const struct io_reader *r, const char **data, size_t *len);

/*
 * Up to n buffered-or-fresh bytes, ignoring line structure (for copying
 * a body after the header has been read by lines). Same returns as
 * io_getline.
 */
int io_getchunk(struct io_reader *r, struct io_line *chunk);

#endif
