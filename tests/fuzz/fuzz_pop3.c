/*
 * fuzz_pop3: the POP3 reply parser fed in random chunks. The first byte
 * picks the mode (status, body, listing) and the chunk sizes; the rest is
 * the server's bytes. Whole and chunked feeding must give the same
 * events and bytes; listing lines go through the UIDL/LIST/CAPA/STAT
 * parsers too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pop3.h"

struct run {
	unsigned char *out;
	size_t outlen;
	int end, error, status;
	size_t consumed;
};

static void
feed(enum pop3_mode mode, const uint8_t *in, size_t len, uint32_t seed,
    struct run *r)
{
	static struct pop3_parser p;
	size_t off = 0;

	memset(r, 0, sizeof *r);
	r->out = malloc(len * 2 + 1);
	if (r->out == NULL)
		abort();
	pop3_parser_init(&p);
	pop3_expect(&p, mode);
	while (off < len && !r->end && !r->error && !r->status) {
		size_t n = len - off;

		if (seed != 0) {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 64;
			if (n > len - off)
				n = len - off;
		}
		size_t pos = 0;
		for (;;) {
			struct pop3_event e;
			size_t used;
			enum pop3_ev ev = pop3_next(&p, (const char *)in + off + pos,
			    n - pos, &used, &e);

			if (used > n - pos)
				abort();
			pos += used;
			if (ev == POP3_EV_MORE) {
				if (pos != n)
					abort();
				break;
			}
			if (ev == POP3_EV_DATA || ev == POP3_EV_LINE) {
				if (e.len > POP3_OUT_MAX || r->outlen + e.len + 1 >
				    len * 2 + 1)
					abort();
				memcpy(r->out + r->outlen, e.data, e.len);
				r->outlen += e.len;
				if (ev == POP3_EV_LINE) {
					uint32_t msg;
					uint64_t size, count;
					char uid[POP3_UID_MAX + 1];
					unsigned caps = 0;

					if (e.len > POP3_LINE_MAX - 2)
						abort();
					if (pop3_parse_uidl(e.data, e.len, &msg, uid) == 0 &&
					    (strlen(uid) > POP3_UID_MAX ||
					    !pop3_uid_valid(uid, strlen(uid))))
						abort();
					(void)pop3_parse_list(e.data, e.len, &msg, &size);
					(void)pop3_parse_stat(e.data, e.len, &count, &size);
					pop3_capa_line(e.data, e.len, &caps);
					r->out[r->outlen++] = '\n';
				}
				continue;
			}
			if (ev == POP3_EV_STATUS) {
				char stamp[POP3_STAMP_MAX + 1];

				r->status = 1;
				if (e.status.textlen > POP3_LINE_MAX)
					abort();
				(void)pop3_apop_stamp(e.status.text,
				    e.status.textlen, stamp);
			} else if (ev == POP3_EV_END)
				r->end = 1;
			else
				r->error = 1;
			r->consumed = off + pos;
			break;
		}
		off += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pop3_mode modes[] = { POP3_STATUS, POP3_MULTI_DATA,
	    POP3_MULTI_LINES };
	struct run a, b;
	uint32_t seed;

	if (size < 1)
		return 0;
	seed = data[0] | 1u;
	feed(modes[data[0] % 3], data + 1, size - 1, 0, &a);
	feed(modes[data[0] % 3], data + 1, size - 1, seed, &b);
	if (a.end != b.end || a.error != b.error || a.status != b.status ||
	    ((a.end || a.status) && a.consumed != b.consumed))
		abort();
	/* Bytes out must agree up to the end (an error may stop earlier). */
	if (!a.error && (a.outlen != b.outlen ||
	    memcmp(a.out, b.out, a.outlen) != 0))
		abort();
	/* Unstuffed output never grows: at most one byte per input byte. */
	if (a.outlen > size)
		abort();
	free(a.out);
	free(b.out);
	return 0;
}
