/*
 * Unit tests of common/hdr: the header push parser and the envelope pick.
 * Every message is also fed cut at every split point and byte by byte,
 * and must give the same transcript of events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/hdr.h"

struct out {
	char *s;
	size_t len, size;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->size) {
		o->size = (o->len + n + 1) * 2;
		o->s = realloc(o->s, o->size);
		assert_non_null(o->s);
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void putf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
putf(struct out *o, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(o, buf, (size_t)n);
}

static void
field_out(struct out *o, const struct hdr_field *f)
{
	putf(o, "%lu %02x [", f->line, f->flags);
	put(o, f->name, f->name_len);
	put(o, "] [", 3);
	put(o, f->value, f->value_len);
	put(o, "]\n", 2);
	assert_int_equal(f->value[f->value_len], '\0');
}

/*
 * Parse msg fed in pieces: cut at the positions in cuts (ascending).
 * Returns the transcript: one line per field, then "END at N" (N = bytes
 * used, where the body starts) or "TOO_LARGE".
 */
static char *
run(const char *msg, size_t len, size_t cap, const size_t *cuts, size_t ncuts)
{
	struct hdr_parser p;
	struct hdr_field f;
	struct out o = { NULL, 0, 0 };
	size_t start = 0, total = 0, k;
	enum hdr_event ev = HDR_MORE;

	assert_int_equal(hdr_init(&p, cap), 0);
	put(&o, "", 0);
	for (k = 0; k <= ncuts && ev != HDR_END && ev != HDR_TOO_LARGE; k++) {
		size_t end = k < ncuts ? cuts[k] : len, off = start, used;

		while (off < end) {
			ev = hdr_push(&p, msg + off, end - off, &used, &f);
			off += used;
			total += used;
			if (ev == HDR_FIELD)
				field_out(&o, &f);
			else if (ev != HDR_MORE)
				break;
		}
		start = end;
	}
	if (ev != HDR_END && ev != HDR_TOO_LARGE)
		while ((ev = hdr_finish(&p, &f)) == HDR_FIELD)
			field_out(&o, &f);
	if (ev == HDR_END)
		putf(&o, "END at %zu\n", total);
	else
		putf(&o, "TOO_LARGE\n");
	assert_true(p.size <= p.cap + 1);
	hdr_free(&p);
	return o.s;
}

/* The transcript whole, checked against every split point and bytewise. */
static void
check(const char *msg, size_t len, const char *want)
{
	char *got = run(msg, len, HDR_CAP_DEFAULT, NULL, 0);
	size_t i, *cuts;

	assert_string_equal(got, want);
	free(got);
	for (i = 0; i <= len; i++) {
		got = run(msg, len, HDR_CAP_DEFAULT, &i, 1);
		assert_string_equal(got, want);
		free(got);
	}
	cuts = malloc((len + 1) * sizeof *cuts);
	for (i = 0; i < len; i++)
		cuts[i] = i + 1;
	got = run(msg, len, HDR_CAP_DEFAULT, cuts, len);
	assert_string_equal(got, want);
	free(got);
	free(cuts);
}

#define CHECK(lit, want) check(lit, sizeof(lit) - 1, want)

static void
test_simple(void **st)
{
	(void)st;
	CHECK("A: 1\nB: 2\n\nbody\nC: 3\n",
	    "1 00 [A] [1]\n2 00 [B] [2]\nEND at 11\n");
}

static void
test_folded(void **st)
{
	(void)st;
	CHECK("Subject: a\n b\n\tc\nX: y\n\n",
	    "1 00 [Subject] [a b\tc]\n4 00 [X] [y]\nEND at 23\n");
	CHECK("Delivered-To:\n alice@example.org\n\n",
	    "1 00 [Delivered-To] [alice@example.org]\nEND at 34\n");
}

static void
test_crlf(void **st)
{
	(void)st;
	CHECK("A: 1\r\nB: x\r\n y\r\n\r\nbody",
	    "1 00 [A] [1]\n2 00 [B] [x y]\nEND at 18\n");
}

static void
test_no_body(void **st)
{
	(void)st;
	CHECK("A: 1", "1 00 [A] [1]\nEND at 4\n");
	CHECK("A: 1\n", "1 00 [A] [1]\nEND at 5\n");
	CHECK("A: 1\n x", "1 00 [A] [1 x]\nEND at 7\n");
	CHECK("", "END at 0\n");
	CHECK("\n", "END at 1\n");
	CHECK("\r\n", "END at 2\n");
	CHECK("\nA: 1\n", "END at 1\n");
}

static void
test_bare_cr(void **st)
{
	char want[64];

	(void)st;
	snprintf(want, sizeof want, "1 %02x [A] [x\ry]\nEND at 8\n", HDR_F_CR);
	CHECK("A: x\ry\n\n", want);
	/* a CR at the start of a line is no empty line, and no fold */
	snprintf(want, sizeof want, "1 00 [A] [1]\n2 %02x [\r B] [2]\nEND at 13\n",
	    HDR_F_CR | HDR_F_BADNAME);
	CHECK("A: 1\n\r B: 2\n\n", want);
	snprintf(want, sizeof want, "1 %02x [A] [1\r]\nEND at 5\n", HDR_F_CR);
	CHECK("A: 1\r", want);
}

static void
test_nul(void **st)
{
	static const char m[] = "Deliv\0ered-To: a@x\nX: a\0b\n\n";
	char *got = run(m, sizeof m - 1, HDR_CAP_DEFAULT, NULL, 0);
	char want[64];

	(void)st;
	snprintf(want, sizeof want, "1 %02x [Deliv", HDR_F_NUL | HDR_F_BADNAME);
	assert_memory_equal(got, want, strlen(want));
	assert_int_equal(got[strlen(want)], '\0');
	free(got);
}

static void
test_no_colon_and_blank_start(void **st)
{
	char want[128];

	(void)st;
	snprintf(want, sizeof want, "1 %02x [garbage line] []\n2 00 [A] [1]\n"
	    "END at 19\n", HDR_F_NOCOLON | HDR_F_BADNAME);
	CHECK("garbage line\nA: 1\n\nX", want);
	snprintf(want, sizeof want, "1 %02x [ A] [x]\nEND at 6\n",
	    HDR_F_BADNAME);
	CHECK(" A: x\n", want);
}

static void
test_name_case_and_blanks(void **st)
{
	struct hdr_field f;

	(void)st;
	CHECK("dELIVERED-to :  a@b  \n\n",
	    "1 00 [dELIVERED-to] [a@b]\nEND at 23\n");
	f.name = "dELIVERED-to";
	f.name_len = 12;
	assert_true(hdr_name_is(&f, "Delivered-To"));
	assert_false(hdr_name_is(&f, "Delivered-T"));
	assert_false(hdr_name_is(&f, "X-Delivered-To"));
	assert_true(hdr_name_valid("X-Original-To"));
	assert_false(hdr_name_valid("X Original"));
	assert_false(hdr_name_valid("A:"));
	assert_false(hdr_name_valid(""));
	/* envelope headers are allowed as -H; people's and routes' are not */
	assert_false(hdr_not_envelope("Delivered-To"));
	assert_false(hdr_not_envelope("X-Original-To"));
	assert_false(hdr_not_envelope("X-Envelope-To"));
	assert_false(hdr_not_envelope("Envelope-to"));
	assert_false(hdr_not_envelope("X-Delivered-to"));
	assert_false(hdr_not_envelope("Tox"));
	assert_true(hdr_not_envelope("To"));
	assert_true(hdr_not_envelope("tO"));
	assert_true(hdr_not_envelope("CC"));
	assert_true(hdr_not_envelope("Bcc"));
	assert_true(hdr_not_envelope("Resent-To"));
	assert_true(hdr_not_envelope("resent-cc"));
	assert_true(hdr_not_envelope("From"));
	assert_true(hdr_not_envelope("Sender"));
	assert_true(hdr_not_envelope("Reply-To"));
	assert_true(hdr_not_envelope("Received"));
	assert_true(hdr_not_envelope("Return-Path"));
	assert_true(hdr_not_envelope("Message-ID"));
	assert_true(hdr_not_envelope("Subject"));
	assert_true(hdr_not_envelope("List-Post"));
	/* sender and route headers of other agents */
	assert_true(hdr_not_envelope("X-Received"));
	assert_true(hdr_not_envelope("Envelope-From"));
	assert_true(hdr_not_envelope("x-envelope-from"));
	assert_true(hdr_not_envelope("X-Envelope-Sender"));
	assert_true(hdr_not_envelope("X-Sender"));
	assert_true(hdr_not_envelope("X-Original-From"));
	assert_true(hdr_not_envelope("X-Original-Sender"));
	assert_true(hdr_not_envelope("X-Original-Return-Path"));
	assert_true(hdr_not_envelope("Errors-To"));
	assert_true(hdr_not_envelope("Return-Receipt-To"));
	assert_true(hdr_not_envelope("Disposition-Notification-To"));
	/* recipient envelope headers stay allowed */
	assert_false(hdr_not_envelope("X-RCPT-To"));
	assert_false(hdr_not_envelope("X-Original-Delivered-To"));
	assert_false(hdr_not_envelope("X-Envelope-To"));
}

static void
test_8bit(void **st)
{
	char want[64];

	(void)st;
	snprintf(want, sizeof want, "1 %02x [S] [\xc3\xa9\xff]\nEND at 8\n",
	    HDR_F_8BIT);
	CHECK("S: \xc3\xa9\xff\n\n", want);
}

static void
test_ctl(void **st)
{
	char want[64];

	(void)st;
	snprintf(want, sizeof want, "1 %02x [A] [a\x01z\x7f]\nEND at 9\n",
	    HDR_F_CTL);
	CHECK("A: a\x01z\x7f\n\n", want);
}

/* A 2 MiB header (one line, then many) stops at the cap, bounded. */
static void
test_too_large(void **st)
{
	size_t n = 2 * 1024 * 1024, i;
	char *m = malloc(n + 8);
	char *got;

	(void)st;
	memcpy(m, "X: ", 3);
	memset(m + 3, 'a', n - 3);
	memcpy(m + n, "\n\nbody", 6);
	got = run(m, n + 6, HDR_CAP_DEFAULT, NULL, 0);
	assert_string_equal(got, "TOO_LARGE\n");
	free(got);
	for (i = 0; i + 4 <= n; i += 4)
		memcpy(m + i, "Y:\n", 3), m[i + 3] = 'Z';
	got = run(m, n, 4096, NULL, 0);
	assert_non_null(strstr(got, "TOO_LARGE\n"));
	free(got);
	/* exactly at the cap is fine */
	got = run("A: 1\n\n", 6, HDR_CAP_MIN, NULL, 0);
	assert_string_equal(got, "1 00 [A] [1]\nEND at 6\n");
	free(got);
	free(m);
}

/* Feed a message; return the pick (caller frees). */
static void
pick(struct hdr_pick *k, const char *msg, const char *name, unsigned long n,
    unsigned long hops, int any)
{
	struct hdr_parser p;
	struct hdr_field f;
	size_t off = 0, len = strlen(msg), used;
	unsigned long h;
	enum hdr_event ev;

	hdr_pick_init(k, name, n, hops, any);
	assert_int_equal(hdr_init(&p, HDR_CAP_DEFAULT), 0);
	while (off < len) {
		ev = hdr_push(&p, msg + off, len - off, &used, &f);
		off += used;
		if (ev == HDR_FIELD)
			hdr_pick_field(k, &f, &h);
		else if (ev != HDR_MORE)
			break;
	}
	if (off >= len)
		while (hdr_finish(&p, &f) == HDR_FIELD)
			hdr_pick_field(k, &f, &h);
	hdr_free(&p);
}

static const char qmail[] =
	"Return-Path: <bob@example.net>\n"
	"Delivered-To: box@isp.example\n"
	"Received: (qmail 1 invoked by uid 89); 1 Jan 2024\n"
	"Delivered-To: example.org-alice@example.org\n"
	"Received: from mx by isp\n"
	"Delivered-To: forged@example.org\n"
	"Return-Path: <forged@example.net>\n"
	"To: list@lists.example\n"
	"\n"
	"Delivered-To: body@example.org\n";

static void
test_pick_default(void **st)
{
	struct hdr_pick k;

	(void)st;
	pick(&k, qmail, "Delivered-To", 1, 0, 0);
	assert_string_equal(k.chosen, "box@isp.example");
	assert_int_equal(k.chosen_line, 2);
	assert_int_equal(k.count, 1);
	assert_int_equal(k.below, 2);
	assert_string_equal(k.return_path, "<bob@example.net>");
	hdr_pick_free(&k);
	/* -n 2 without trust-hops: the second one is below: missing */
	pick(&k, qmail, "delivered-to", 2, 0, 0);
	assert_null(k.chosen);
	assert_int_equal(k.count, 1);
	hdr_pick_free(&k);
}

static void
test_pick_qmail(void **st)
{
	struct hdr_pick k;

	(void)st;
	pick(&k, qmail, "Delivered-To", 2, 1, 0);
	assert_string_equal(k.chosen, "example.org-alice@example.org");
	assert_int_equal(k.chosen_line, 4);
	assert_int_equal(k.below, 1);
	hdr_pick_free(&k);
	pick(&k, qmail, "Delivered-To", 3, 1, 0);
	assert_null(k.chosen);
	hdr_pick_free(&k);
	pick(&k, qmail, "Delivered-To", 3, 0, 1);
	assert_string_equal(k.chosen, "forged@example.org");
	hdr_pick_free(&k);
	/* never from the body */
	pick(&k, qmail, "Delivered-To", 4, 0, 1);
	assert_null(k.chosen);
	hdr_pick_free(&k);
}

static void
test_pick_forged_only(void **st)
{
	struct hdr_pick k;

	(void)st;
	pick(&k, "Received: from a\nX-Original-To: evil@example.org\n\n",
	    "X-Original-To", 1, 0, 0);
	assert_null(k.chosen);
	assert_int_equal(k.below, 1);
	assert_int_equal(k.return_path_seen, 0);
	hdr_pick_free(&k);
	pick(&k, "Subject: x\n\nDelivered-To: a@example.org\n",
	    "Delivered-To", 1, 0, 0);
	assert_null(k.chosen);
	assert_int_equal(k.count + k.below, 0);
	hdr_pick_free(&k);
}

static void
test_pick_flags(void **st)
{
	struct hdr_pick k;

	(void)st;
	pick(&k, "Delivered-To: a@example.org\r\tb@example.org\n\n",
	    "Delivered-To", 1, 0, 0);
	assert_non_null(k.chosen);
	assert_true(k.chosen_flags & HDR_F_UNTRUSTED);
	hdr_pick_free(&k);
	pick(&k, "Delivered-To: a@example.org\n b@example.org\n\n",
	    "Delivered-To", 1, 0, 0);
	assert_string_equal(k.chosen, "a@example.org b@example.org");
	assert_false(k.chosen_flags & HDR_F_UNTRUSTED);
	hdr_pick_free(&k);
}

/* 100 000 header lines: linear, fast. */
static void
test_many_lines(void **st)
{
	size_t nlines = 100000, i, off = 0;
	char *m = malloc(nlines * 16 + 64);
	struct hdr_pick k;
	clock_t t0 = clock();
	char *got;

	(void)st;
	off += (size_t)sprintf(m, "Delivered-To: a@example.org\n");
	for (i = 0; i < nlines; i++)
		off += (size_t)sprintf(m + off, "X-%06zu: v\n", i);
	sprintf(m + off, "\nbody\n");
	pick(&k, m, "Delivered-To", 1, 0, 0);
	assert_string_equal(k.chosen, "a@example.org");
	hdr_pick_free(&k);
	got = run(m, strlen(m), 4 * HDR_CAP_DEFAULT, NULL, 0);
	assert_non_null(strstr(got, "100001 00 [X-099999] [v]\nEND at"));
	free(got);
	/* folded into one giant field: still linear */
	for (i = 28; i + 1 < off; i += 12)
		m[i] = ' ';
	got = run(m, strlen(m), 4 * HDR_CAP_DEFAULT, NULL, 0);
	assert_non_null(strstr(got, "END at"));
	free(got);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_no_body),
		cmocka_unit_test(test_bare_cr),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_no_colon_and_blank_start),
		cmocka_unit_test(test_name_case_and_blanks),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_ctl),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_pick_default),
		cmocka_unit_test(test_pick_qmail),
		cmocka_unit_test(test_pick_forged_only),
		cmocka_unit_test(test_pick_flags),
		cmocka_unit_test(test_many_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
