/*
 * libFuzzer harness for common/rec: rec_parse on an exactly-sized copy
 * (so ASan sees any read past the line). A line it accepts (a record or an
 * end line) must hold only allowed fields and be reproduced byte for byte
 * by rec_format or rec_format_end; a refusal must give the documented
 * reason. The input is also read as a stream cut at every byte: the cut
 * piece is always "truncated", so a writer that dies anywhere is seen.
 * Then rec_format is fed three fields cut from the input: whatever it
 * writes, rec_parse must accept unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_parse(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1), *again;
	struct rec r;
	enum rec_error e;
	int len;

	if (line == NULL)
		abort();
	memcpy(line, data, size);
	e = rec_parse(line, size, &r);
	if (size > REC_LINE_MAX) {
		if (e != REC_TOO_LONG)
			abort();
	} else if (size == 0 || data[size - 1] != '\n') {
		if (e != REC_TRUNCATED)
			abort();
	} else if (e == REC_OK) {
		if (r.path[0] == '\0' || !rec_field_ok(r.path) ||
		    (r.rcpt == NULL) != (r.sender == NULL) ||
		    (r.rcpt != NULL && (r.rcpt[0] == '\0' ||
		    !rec_field_ok(r.rcpt) || !rec_field_ok(r.sender))))
			abort();
		again = malloc(size + 1);
		if (again == NULL)
			abort();
		len = r.rcpt == NULL ? rec_format_end(again, size + 1, r.path) :
		    rec_format(again, size + 1, r.path, r.rcpt, r.sender);
		if (len < 0 || (size_t)len != size ||
		    memcmp(again, data, size) != 0)
			abort();
		free(again);
	} else if (e == REC_TRUNCATED || e == REC_TOO_LONG) {
		abort();	/* it ends in LF and is short enough */
	}
	if (strcmp(rec_error_name(e), "unknown") == 0)
		abort();
	free(line);
}

/* The verdict on the line at data[0..len) (a fresh copy each time). */
static enum rec_error
verdict(const uint8_t *data, size_t len)
{
	char *line = malloc(len ? len : 1);
	struct rec r;
	enum rec_error e;

	if (line == NULL)
		abort();
	memcpy(line, data, len);
	e = rec_parse(line, len, &r);
	free(line);
	return e;
}

/* Cut the input at every byte: the piece after the last LF before the
 * cut (the writer died there) is never taken for a line. */
static void
check_stream(const uint8_t *data, size_t size)
{
	size_t cut, start = 0;

	if (size > 4096)	/* quadratic: keep each run fast */
		return;
	for (cut = 0; cut <= size; cut++) {
		if (cut > 0 && data[cut - 1] == '\n') {
			start = cut;
			continue;
		}
		if (cut > start && verdict(data + start, cut - start) !=
		    (cut - start > REC_LINE_MAX ? REC_TOO_LONG : REC_TRUNCATED))
			abort();
	}
}

static void
check_format(const uint8_t *data, size_t size)
{
	/* Three NUL-terminated fields from the input, split at 0xff bytes. */
	char *copy = malloc(size + 3), *f[3], *out;
	size_t i, k = 0, n = size + 16;
	struct rec r;
	int len;

	if (copy == NULL || (out = malloc(n)) == NULL)
		abort();
	f[0] = copy;
	for (i = 0; i < size; i++) {
		if (data[i] == 0xff && k < 2) {
			copy[i] = '\0';
			f[++k] = copy + i + 1;
		} else {
			copy[i] = data[i] == 0 ? 'z' : (char)data[i];
		}
	}
	copy[size] = '\0';
	while (k < 2)
		f[++k] = copy + size;
	len = rec_format(out, n, f[0], f[1], f[2]);
	if (len >= 0) {
		if ((size_t)len >= n || out[len] != '\0' || out[len - 1] != '\n')
			abort();
		if (rec_parse(out, (size_t)len, &r) != REC_OK ||
		    strcmp(r.path, f[0]) != 0 || strcmp(r.rcpt, f[1]) != 0 ||
		    strcmp(r.sender, f[2]) != 0)
			abort();
	} else if (f[0][0] != '\0' && f[1][0] != '\0' && rec_field_ok(f[0]) &&
	    rec_field_ok(f[1]) && rec_field_ok(f[2]) &&
	    strlen(f[0]) + strlen(f[1]) + strlen(f[2]) + 3 <= REC_LINE_MAX) {
		abort();	/* refused a record it should write */
	}
	free(out);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_parse(data, size);
	check_stream(data, size);
	check_format(data, size);
	return 0;
}
