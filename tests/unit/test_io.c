/* Unit tests for common/io: io_write_all under scripted EINTR, short
 * writes and errors; io_read/io_read_full under EINTR; the bounded line
 * reader fed in every chunk size, with lines longer than its cap. */
// wrap: write read
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/io.h"

/* ---- scripted write(2) / read(2) on a fake fd ---- */

#define FAKE_FD 1000
#define STEPS 16

struct step {
	int err;	/* errno to fail with, or 0 */
	size_t max;	/* accept at most this many bytes (0: all) */
};

static struct step wsteps[STEPS], rsteps[STEPS];
static int nw, iw, nr, ir;
static char sink[1 << 16];
static size_t sinklen;
static const char *src;
static size_t srclen, srcoff;
static int write_calls, read_calls;

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	size_t k = n;

	if (fd != FAKE_FD)
		return __real_write(fd, buf, n);
	write_calls++;
	if (iw < nw) {
		struct step s = wsteps[iw++];

		if (s.err) {
			errno = s.err;
			return -1;
		}
		if (s.max > 0 && k > s.max)
			k = s.max;
	}
	assert_true(sinklen + k <= sizeof sink);
	memcpy(sink + sinklen, buf, k);
	sinklen += k;
	return (ssize_t)k;
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	size_t k = n;

	if (fd != FAKE_FD)
		return __real_read(fd, buf, n);
	read_calls++;
	if (ir < nr) {
		struct step s = rsteps[ir++];

		if (s.err) {
			errno = s.err;
			return -1;
		}
		if (s.max > 0 && k > s.max)
			k = s.max;
	}
	if (k > srclen - srcoff)
		k = srclen - srcoff;
	memcpy(buf, src + srcoff, k);
	srcoff += k;
	return (ssize_t)k;
}

static int
reset(void **state)
{
	(void)state;
	nw = iw = nr = ir = 0;
	sinklen = 0;
	srcoff = srclen = 0;
	src = NULL;
	write_calls = read_calls = 0;
	return 0;
}

static void
wstep(int err, size_t max)
{
	wsteps[nw].err = err;
	wsteps[nw++].max = max;
}

static void
rstep(int err, size_t max)
{
	rsteps[nr].err = err;
	rsteps[nr++].max = max;
}

static void
test_write_plain(void **state)
{
	(void)state;
	assert_int_equal(io_write_all(FAKE_FD, "hello", 5), 0);
	assert_int_equal(sinklen, 5);
	assert_memory_equal(sink, "hello", 5);
	assert_int_equal(write_calls, 1);
	assert_int_equal(io_write_all(FAKE_FD, "", 0), 0);
	assert_int_equal(write_calls, 1);
}

static void
test_write_eintr(void **state)
{
	(void)state;
	wstep(EINTR, 0);
	wstep(EINTR, 0);
	assert_int_equal(io_write_all(FAKE_FD, "abcdef", 6), 0);
	assert_int_equal(sinklen, 6);
	assert_memory_equal(sink, "abcdef", 6);
	assert_int_equal(write_calls, 3);
}

static void
test_write_short(void **state)
{
	const char *msg = "0123456789abcdefghij";

	(void)state;
	wstep(0, 1);
	wstep(0, 3);
	wstep(EINTR, 0);
	wstep(0, 7);
	assert_int_equal(io_write_all(FAKE_FD, msg, 20), 0);
	assert_int_equal(sinklen, 20);
	assert_memory_equal(sink, msg, 20);
	assert_int_equal(write_calls, 5);
}

static void
test_write_enospc(void **state)
{
	(void)state;
	wstep(0, 4);
	wstep(ENOSPC, 0);
	errno = 0;
	assert_int_equal(io_write_all(FAKE_FD, "0123456789", 10), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(sinklen, 4);
	assert_int_equal(write_calls, 2);	/* no retry after ENOSPC */
}

static void
test_write_eio_epipe(void **state)
{
	(void)state;
	wstep(EIO, 0);
	assert_int_equal(io_write_all(FAKE_FD, "x", 1), -1);
	assert_int_equal(errno, EIO);
	wstep(EPIPE, 0);
	assert_int_equal(io_write_all(FAKE_FD, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(sinklen, 0);
}

static void
test_read_eintr(void **state)
{
	char buf[16];

	(void)state;
	src = "abcdefgh";
	srclen = 8;
	rstep(EINTR, 0);
	rstep(0, 3);
	assert_int_equal(io_read(FAKE_FD, buf, sizeof buf), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(read_calls, 2);
	rstep(EIO, 0);
	assert_int_equal(io_read(FAKE_FD, buf, sizeof buf), -1);
	assert_int_equal(errno, EIO);
}

static void
test_read_full(void **state)
{
	char buf[16];

	(void)state;
	src = "abcdefghij";
	srclen = 10;
	rstep(0, 2);
	rstep(EINTR, 0);
	rstep(0, 1);
	assert_int_equal(io_read_full(FAKE_FD, buf, 6), 6);
	assert_memory_equal(buf, "abcdef", 6);
	/* Only 4 left: short at EOF. */
	assert_int_equal(io_read_full(FAKE_FD, buf, sizeof buf), 4);
	assert_memory_equal(buf, "ghij", 4);
	assert_int_equal(io_read_full(FAKE_FD, buf, sizeof buf), 0);
	/* An error after some bytes: -1, not a short count. */
	src = "zz";
	srclen = 2;
	srcoff = 0;
	nr = ir = 0;
	rstep(0, 1);
	rstep(EIO, 0);
	assert_int_equal(io_read_full(FAKE_FD, buf, 2), -1);
	assert_int_equal(errno, EIO);
}

/* ---- the line reader ---- */

struct chunks {
	const char *s;
	size_t len, off, step;
	int fail_at;	/* pull number that fails with EIO (-1: none) */
	int eintr_at;	/* pull number that fails with ETIMEDOUT once */
	int pulls;
};

static ssize_t
pull_chunks(void *ctx, void *buf, size_t n)
{
	struct chunks *c = ctx;
	size_t k = c->len - c->off;
	int no = c->pulls++;

	if (no == c->fail_at) {
		errno = EIO;
		return -1;
	}
	if (k > c->step)
		k = c->step;
	if (k > n)
		k = n;
	memcpy(buf, c->s + c->off, k);
	c->off += k;
	return (ssize_t)k;
}

/*
 * The pieces io_getline must hand out for s with line cap `cap`: each line
 * (up to and including its LF, or the rest before EOF) cut into pieces of
 * exactly cap bytes, all marked incomplete but the last.
 */
struct piece {
	size_t off, len;
	int complete;
};

static size_t
expected_pieces(const char *s, size_t len, size_t cap, struct piece *out,
    size_t max)
{
	size_t off = 0, n = 0;

	while (off < len) {
		const char *nl = memchr(s + off, '\n', len - off);
		size_t end = nl ? (size_t)(nl - s) + 1 : len;

		while (end - off > cap) {
			assert_true(n < max);
			out[n].off = off;
			out[n].len = cap;
			out[n++].complete = 0;
			off += cap;
		}
		assert_true(n < max);
		out[n].off = off;
		out[n].len = end - off;
		out[n++].complete = 1;
		off = end;
	}
	return n;
}

static void
check_reader(const char *s, size_t len, size_t cap, size_t step)
{
	struct piece *want = calloc(len + 1, sizeof *want);
	size_t nwant, i = 0;
	struct chunks c = { s, len, 0, step, -1, -1, 0 };
	struct io_reader r;
	struct io_line l;
	char *re = malloc(len + 1);
	size_t relen = 0;
	int rc;

	assert_non_null(re);
	assert_non_null(want);
	nwant = expected_pieces(s, len, cap < 16 ? 16 : cap, want, len + 1);
	assert_int_equal(io_reader_init(&r, pull_chunks, &c, cap), 0);
	while ((rc = io_getline(&r, &l)) == 1) {
		assert_true(i < nwant);
		assert_true(l.len > 0 && l.len <= r.cap);
		assert_int_equal(l.len, want[i].len);
		assert_int_equal(l.complete, want[i].complete);
		assert_memory_equal(l.data, s + want[i].off, l.len);
		assert_int_equal(l.has_lf, l.data[l.len - 1] == '\n');
		memcpy(re + relen, l.data, l.len);
		relen += l.len;
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, nwant);
	assert_int_equal(relen, len);
	assert_memory_equal(re, s, len);
	/* EOF is sticky. */
	assert_int_equal(io_getline(&r, &l), 0);
	io_reader_free(&r);
	free(re);
	free(want);
}

static const struct {
	const char *s;
	size_t len;
} inputs[] = {
#define IN(x) { x, sizeof(x) - 1 }
	IN(""),
	IN("\n"),
	IN("a\n"),
	IN("one\ntwo\nthree\n"),
	IN("no final newline"),
	IN("last line\nwithout LF"),
	IN("\n\n\n"),
	IN("nul\0inside\n\0\0\n\0"),
	IN("exactly16bytes!\n"),
	IN("exactly16bytes!!"),
	IN("0123456789abcdef0123456789abcdef"),
	IN("0123456789abcdef0123456789abcdef\n"),
	IN("0123456789abcde\n0123456789abcdef\n0123456789abcdef0\n"),
	IN("a line that is much longer than the cap of sixteen bytes\nshort\n"),
	IN("crlf\r\nlines\r\n\r\n.\r\n"),
#undef IN
};

static void
test_getline_all_chunkings(void **state)
{
	size_t caps[] = { 16, 17, 31, 64, 4096 };
	size_t i, j, step;

	(void)state;
	for (i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
		for (j = 0; j < sizeof caps / sizeof caps[0]; j++)
			for (step = 1; step <= inputs[i].len + 1; step++)
				check_reader(inputs[i].s, inputs[i].len, caps[j],
				    step);
}

static void
test_getline_long_line(void **state)
{
	size_t len = 100000, i, step;
	char *s = malloc(len);

	(void)state;
	assert_non_null(s);
	for (i = 0; i < len; i++)
		s[i] = (char)('a' + i % 26);
	s[50000] = '\n';
	s[len - 1] = '\n';
	s[777] = '\0';
	for (step = 1; step < 40; step += 7)
		check_reader(s, len, 64, step);
	check_reader(s, len, 64, len);
	check_reader(s, len - 1, 1000, 333);
	free(s);
}

/* Regression: a last line without LF of exactly cap bytes is "the last
 * bytes before EOF", so complete, not an incomplete piece and then EOF. */
static void
test_getline_exact_cap_at_eof(void **state)
{
	struct chunks c = { "0123456789abcdef", 16, 0, 16, -1, -1, 0 };
	struct io_reader r;
	struct io_line l;

	(void)state;
	assert_int_equal(io_reader_init(&r, pull_chunks, &c, 16), 0);
	assert_int_equal(io_getline(&r, &l), 1);
	assert_int_equal(l.len, 16);
	assert_int_equal(l.complete, 1);
	assert_int_equal(l.has_lf, 0);
	assert_int_equal(io_getline(&r, &l), 0);
	io_reader_free(&r);
}

static void
test_getline_min_cap(void **state)
{
	struct chunks c = { "abc\n", 4, 0, 4, -1, -1, 0 };
	struct io_reader r;

	(void)state;
	assert_int_equal(io_reader_init(&r, pull_chunks, &c, 1), 0);
	assert_int_equal(r.cap, 16);
	io_reader_free(&r);
	check_reader("0123456789abcdefXYZ\n", 20, 1, 1);
}

static void
test_getline_error(void **state)
{
	struct chunks c = { "first\nsecond line\n", 18, 0, 4, 3, -1, 0 };
	struct io_reader r;
	struct io_line l;

	(void)state;
	assert_int_equal(io_reader_init(&r, pull_chunks, &c, 32), 0);
	assert_int_equal(io_getline(&r, &l), 1);
	assert_int_equal(l.len, 6);
	assert_memory_equal(l.data, "first\n", 6);
	errno = 0;
	assert_int_equal(io_getline(&r, &l), -1);
	assert_int_equal(errno, EIO);
	/* The bytes already buffered are kept: a retry continues. */
	assert_int_equal(io_getline(&r, &l), 1);
	assert_int_equal(l.len, 12);
	assert_memory_equal(l.data, "second line\n", 12);
	assert_int_equal(io_getline(&r, &l), 0);
	io_reader_free(&r);
}

static void
test_getchunk_after_lines(void **state)
{
	const char *s = "Subject: x\n\nbody\nmore body without end";
	size_t len = strlen(s), step;

	(void)state;
	for (step = 1; step <= len; step++) {
		struct chunks c = { s, len, 0, step, -1, -1, 0 };
		struct io_reader r;
		struct io_line l;
		char out[128];
		size_t o = 0;
		int rc;

		assert_int_equal(io_reader_init(&r, pull_chunks, &c, 16), 0);
		assert_int_equal(io_getline(&r, &l), 1);
		assert_int_equal(l.len, 11);
		assert_int_equal(io_getline(&r, &l), 1);
		assert_int_equal(l.len, 1);
		while ((rc = io_getchunk(&r, &l)) == 1) {
			assert_true(l.len > 0);
			assert_int_equal(l.has_lf, 0);
			memcpy(out + o, l.data, l.len);
			o += l.len;
		}
		assert_int_equal(rc, 0);
		assert_int_equal(o, len - 12);
		assert_memory_equal(out, s + 12, o);
		io_reader_free(&r);
	}
}

static void
test_reader_fd(void **state)
{
	struct io_reader r;
	struct io_line l;

	(void)state;
	src = "fd line\nrest";
	srclen = strlen(src);
	rstep(EINTR, 0);
	rstep(0, 2);
	assert_int_equal(io_reader_fd(&r, FAKE_FD, 64), 0);
	assert_int_equal(io_getline(&r, &l), 1);
	assert_int_equal(l.len, 8);
	assert_memory_equal(l.data, "fd line\n", 8);
	assert_int_equal(io_getline(&r, &l), 1);
	assert_int_equal(l.len, 4);
	assert_int_equal(l.complete, 1);
	assert_int_equal(l.has_lf, 0);
	assert_int_equal(io_getline(&r, &l), 0);
	io_reader_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_write_plain, reset),
		cmocka_unit_test_setup(test_write_eintr, reset),
		cmocka_unit_test_setup(test_write_short, reset),
		cmocka_unit_test_setup(test_write_enospc, reset),
		cmocka_unit_test_setup(test_write_eio_epipe, reset),
		cmocka_unit_test_setup(test_read_eintr, reset),
		cmocka_unit_test_setup(test_read_full, reset),
		cmocka_unit_test(test_getline_all_chunkings),
		cmocka_unit_test(test_getline_long_line),
		cmocka_unit_test(test_getline_exact_cap_at_eof),
		cmocka_unit_test(test_getline_min_cap),
		cmocka_unit_test(test_getline_error),
		cmocka_unit_test(test_getchunk_after_lines),
		cmocka_unit_test_setup(test_reader_fd, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
