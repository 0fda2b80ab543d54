/*
 * libFuzzer harness for the done-note lines (common/donenote).
 * donenote_find on an exactly-sized copy of the input (so ASan sees any
 * read past the note) with recipients cut from it, and the index on the
 * same text, which must say what the scan says; then the round trip:
 * a line formatted from fields cut from the input parses back to the
 * same kind and recipient, and to the detail with its control bytes made
 * spaces (cut to fit); donenote_find finds it, whatever note stands
 * before it. donenote_why_find on the same text: it finds every line
 * the note scan finds, and never says "failed" of a recipient a line
 * says was delivered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/donenote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scan and the index agree on rcpt in note (size bytes). */
static void
same_through_index(const char *note, size_t size, const char *rcpt)
{
	struct donenote_index ix;
	char d1[64], d2[64];
	enum donenote_state s;

	if (donenote_index_build(&ix, note, size) < 0)
		abort();
	s = donenote_find(note, size, rcpt, d1, sizeof d1);
	if (donenote_index_find(&ix, note, rcpt, d2, sizeof d2) != s ||
	    (s != DONENOTE_NONE && strcmp(d1, d2) != 0))
		abort();
	donenote_index_free(&ix);
}

/* A .why read as one: every line the note scan finds is found, and a
 * recipient the .why says was delivered is never said to have failed. */
static void
why_checks(const char *why, size_t size, const char *rcpt)
{
	char d[64];
	enum donenote_state w = donenote_why_find(why, size, rcpt, d,
	    sizeof d), n = donenote_find(why, size, rcpt, NULL, 0);

	if (w != DONENOTE_NONE && strlen(d) >= sizeof d)
		abort();
	if (n != DONENOTE_NONE && w == DONENOTE_NONE)
		abort();
	if (n == DONENOTE_OK && w != DONENOTE_OK) {
		/* donenote_find lets a later line win; the .why lets ok */
		abort();
	}
}

static void
check_find(const uint8_t *data, size_t size)
{
	char *note = malloc(size ? size : 1), rcpt[32];
	size_t n = size < sizeof rcpt - 1 ? size : sizeof rcpt - 1;

	if (note == NULL)
		abort();
	memcpy(note, data, size);
	memcpy(rcpt, data, n);
	rcpt[n] = '\0';
	same_through_index(note, size, rcpt);
	same_through_index(note, size, "a@b");
	why_checks(note, size, rcpt);
	free(note);
}

static void
check_round_trip(const uint8_t *data, size_t size)
{
	char rcpt[300], detail[2048], line[DONENOTE_LINE_MAX], got[2048];
	char *note;
	const char *r, *d;
	size_t i, rl, dl, cut = size ? data[0] % 200 : 0, k;
	int len, ok = size > 1 && (data[1] & 1);

	if (cut > size)
		cut = size;
	for (i = 0; i < cut && i < sizeof rcpt - 1; i++)
		rcpt[i] = data[i] ? (char)data[i] : 'z';
	rcpt[i] = '\0';
	for (k = 0; cut + k < size && k < sizeof detail - 1; k++)
		detail[k] = data[cut + k] ? (char)data[cut + k] : 'z';
	detail[k] = '\0';
	len = donenote_line_format(line, sizeof line, ok, rcpt, detail);
	if (len < 0)
		return;		/* refused: must be an unreadable recipient */
	if (len > DONENOTE_LINE_MAX || line[len - 1] != '\n' ||
	    memchr(line, '\n', (size_t)len - 1) != NULL)
		abort();
	if (donenote_line_parse(line, (size_t)len - 1, &r, &rl, &d, &dl) !=
	    (ok ? DONENOTE_OK : DONENOTE_FAIL) || rl != strlen(rcpt) ||
	    memcmp(r, rcpt, rl) != 0 || dl > strlen(detail))
		abort();
	for (i = 0; i < dl; i++) {
		unsigned char c = (unsigned char)detail[i];

		if (d[i] != (c < 0x20 || c == 0x7f ? ' ' : (char)c))
			abort();
	}
	/* found after any garbage that ends in a newline */
	if ((note = malloc(size + 1 + (size_t)len)) == NULL)
		abort();
	memcpy(note, data, size);
	note[size] = '\n';
	memcpy(note + size + 1, line, (size_t)len);
	if (donenote_find(note, size + 1 + (size_t)len, rcpt, got,
	    sizeof got) != (ok ? DONENOTE_OK : DONENOTE_FAIL) ||
	    strlen(got) != dl || memcmp(got, d, dl) != 0)
		abort();
	free(note);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_find(data, size);
	check_round_trip(data, size);
	return 0;
}
