/*
 * libFuzzer harness for common/hdr (+ the envelope pick and the address
 * parser on what it picks). The first byte chooses where the input is cut
 * into pieces; the transcript must not depend on the cuts, and nothing
 * may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
mix(uint64_t sum, const struct hdr_field *f)
{
	size_t i;

	for (i = 0; i < f->name_len; i++)
		sum = (sum ^ (unsigned char)f->name[i]) * 1099511628211ULL;
	for (i = 0; i < f->value_len; i++)
		sum = (sum ^ (unsigned char)f->value[i]) * 1099511628211ULL;
	return (sum ^ f->flags ^ ((uint64_t)f->line << 8)) * 1099511628211ULL;
}

/* A checksum of all events, fed in pieces of step bytes (0: whole). */
static uint64_t
feed(const char *m, size_t len, size_t step, size_t cap)
{
	struct hdr_parser p;
	struct hdr_field f;
	struct hdr_pick k;
	uint64_t sum = 1469598103934665603ULL;
	size_t off = 0, used;
	unsigned long hops;
	enum hdr_event ev = HDR_MORE;

	if (hdr_init(&p, cap) < 0)
		abort();
	hdr_pick_init(&k, "Delivered-To", 1, 0, 0);
	while (off < len && (ev == HDR_MORE || ev == HDR_FIELD)) {
		size_t n = step == 0 || len - off < step ? len - off : step;
		size_t o = 0;

		while (o < n) {
			ev = hdr_push(&p, m + off + o, n - o, &used, &f);
			o += used;
			if (ev != HDR_FIELD)
				break;
			hdr_pick_field(&k, &f, &hops);
			sum = mix(sum, &f);
		}
		off += o;
		if (ev != HDR_MORE && ev != HDR_FIELD)
			break;
	}
	if (ev == HDR_MORE || ev == HDR_FIELD)
		while ((ev = hdr_finish(&p, &f)) == HDR_FIELD) {
			hdr_pick_field(&k, &f, &hops);
			sum = mix(sum, &f);
		}
	sum ^= (uint64_t)ev << 56;
	if (k.chosen != NULL) {
		struct addr a;
		size_t pos = 0;

		while (addr_list_next(k.chosen, k.chosen_len, &pos, &a) ==
		    ADDR_OK)
			if (pos > k.chosen_len)
				abort();
	}
	hdr_pick_free(&k);
	hdr_free(&p);
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;

	if (size < 1)
		return 0;
	step = data[0] % 17;
	data++;
	size--;
	if (feed((const char *)data, size, 0, 4096) !=
	    feed((const char *)data, size, step, 4096))
		abort();
	(void)feed((const char *)data, size, 1, HDR_CAP_MIN);
	return 0;
}
