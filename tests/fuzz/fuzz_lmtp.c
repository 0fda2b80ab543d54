/*
 * libFuzzer harness for common/lmtp: the reply parser fed in chunks whose
 * sizes come from the first byte (results must not depend on chunking),
 * and the DATA encoder, whose output must end the data only at its end
 * and equal, byte for byte, the plain one-byte-at-a-time encoding below;
 * and the address check: what it accepts makes one command line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/lmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
run(const char *s, size_t n, size_t step, struct lmtp_reply *last)
{
	struct lmtp_parser p;
	size_t off = 0, used;
	int replies = 0;

	lmtp_parser_init(&p);
	while (off < n) {
		size_t chunk = n - off < step ? n - off : step;
		enum lmtp_ev ev = lmtp_parser_push(&p, s + off, chunk, &used);

		if (used > chunk)
			abort();
		off += used;
		if (ev == LMTP_EV_ERROR)
			return -1 - replies;
		if (ev == LMTP_EV_REPLY) {
			if (p.reply.code < 200 || p.reply.code > 559 ||
			    strlen(p.reply.text) != p.reply.textlen ||
			    p.reply.textlen >= LMTP_TEXT_MAX)
				abort();
			for (size_t i = 0; i < p.reply.textlen; i++)
				if ((unsigned char)p.reply.text[i] < 0x20 ||
				    (unsigned char)p.reply.text[i] >= 0x7f)
					abort();
			*last = p.reply;
			replies++;
		} else if (used != chunk) {
			abort();
		}
	}
	return replies;
}

/* An address lmtp_addr_check() accepts goes into RCPT TO as one line:
 * no control byte, 8-bit only when it says UTF-8, quoted when it says so. */
static void
check_addr(const char *s, size_t n)
{
	char a[LMTP_ADDR_MAX + 2], cmd[LMTP_ADDR_MAX + 16];
	const char *why = NULL;
	size_t i;
	int k;

	if (n > LMTP_ADDR_MAX + 1 || memchr(s, '\0', n) != NULL)
		return;
	memcpy(a, s, n);
	a[n] = '\0';
	k = lmtp_addr_check(a, &why);
	if (k < 0) {
		if (why == NULL || lmtp_cmd_rcpt(cmd, sizeof(cmd), a) != -1)
			abort();
		return;
	}
	if (!!(k & LMTP_ADDR_QUOTED) != (a[0] == '"') ||
	    !!(k & LMTP_ADDR_UTF8) != lmtp_has_8bit(a, n) ||
	    memchr(a, '@', n) == NULL)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] < 0x20 || a[i] == 0x7f)
			abort();
	if (lmtp_cmd_rcpt(cmd, sizeof(cmd), a) != (int)n + 12)
		abort();
}

/* The DATA (stuff) or BDAT encoding spelled one byte at a time: the
 * oracle for lmtp_dot_encode's line-at-a-time copy (out: 2 * n + 5
 * bytes). */
static size_t
dot_oracle(int stuff, const char *in, size_t n, char *out)
{
	size_t i, o = 0;
	int bol = 1, cr = 0;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (cr) {
			cr = 0;
			if (c == '\n')
				continue;
		}
		if (c == '\r' || c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			bol = 1;
			cr = c == '\r';
			continue;
		}
		if (stuff && bol && c == '.')
			out[o++] = '.';
		out[o++] = c;
		bol = 0;
	}
	if (!bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (!stuff)
		return o;
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

/* Both encodings cut at n / 2 against the oracle, and the counting walk
 * (out NULL) against both: BDAT's size must be exactly what is sent. */
static void
check_encode(int stuff, const char *s, size_t n, char *out, char *want)
{
	void (*init)(struct lmtp_dot *) = stuff ? lmtp_dot_init : lmtp_crlf_init;
	struct lmtp_dot d, c;
	size_t o, counted;

	init(&d);
	init(&c);
	o = lmtp_dot_encode(&d, s, n / 2, out);
	o += lmtp_dot_encode(&d, s + n / 2, n - n / 2, out + o);
	if (o > LMTP_DOT_OUT(n))
		abort();
	o += lmtp_dot_finish(&d, out + o);
	if (dot_oracle(stuff, s, n, want) != o || memcmp(want, out, o) != 0)
		abort();
	counted = lmtp_dot_encode(&c, s, n - n / 3, NULL);
	counted += lmtp_dot_encode(&c, s + n - n / 3, n / 3, NULL);
	counted += lmtp_dot_finish(&c, NULL);
	if (counted != o)
		abort();
}

/* lmtp_has_8bit against the plain scan, at every start offset mod 8. */
static void
check_8bit(const char *s, size_t n)
{
	size_t k, i;

	for (k = 0; k < 8 && k <= n; k++) {
		int want = 0;

		for (i = k; i < n; i++)
			want |= (unsigned char)s[i] >= 0x80;
		if (lmtp_has_8bit(s + k, n - k) != want)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_reply a, b;
	const char *s;
	char *out, *want;
	size_t n, step, o, i;
	int ra, rb;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 17 + 1;
	s = (const char *)data + 1;
	n = size - 1;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = run(s, n, n ? n : 1, &a);
	rb = run(s, n, step, &b);
	if (ra != rb || (ra > 0 && memcmp(&a, &b, sizeof(a)) != 0))
		abort();
	check_addr(s, n);

	out = malloc(LMTP_DOT_OUT(n) + LMTP_DOT_FINISH_MAX);
	want = malloc(LMTP_DOT_OUT(n) + LMTP_DOT_FINISH_MAX);
	if (out == NULL || want == NULL) {
		free(out);
		free(want);
		return 0;
	}
	check_encode(0, s, n, out, want);
	check_encode(1, s, n, out, want);
	o = dot_oracle(1, s, n, out);
	free(want);
	check_8bit(s, n);
	/* only CRLF line ends; a line "." only at the very end */
	for (i = 0; i < o; i++) {
		if (out[i] == '\r' && (i + 1 >= o || out[i + 1] != '\n'))
			abort();
		if (out[i] == '\n' && (i == 0 || out[i - 1] != '\r'))
			abort();
		if (out[i] == '.' && (i == 0 || out[i - 1] == '\n') &&
		    i + 1 < o && out[i + 1] == '\r' && i + 3 != o)
			abort();
	}
	free(out);
	return 0;
}
