/* Unit tests for common/pop3: every reply fed whole, byte by byte and in
 * every split, plus the listing parsers' edges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/pop3.h"

#define S(lit) lit, sizeof(lit) - 1

/* Result of feeding a multi-line body. */
struct body {
	char *out;
	size_t outlen;
	int ended;		/* END seen */
	int error;
	size_t consumed;	/* input bytes used up to and including END */
};

/* Feed in[0..len) in chunks of `chunk` bytes (0: all at once) in mode. */
static void
feed(enum pop3_mode mode, const char *in, size_t len, size_t chunk,
    struct body *b)
{
	struct pop3_parser *p = malloc(sizeof *p);
	struct pop3_event e;
	size_t off = 0;

	assert_non_null(p);
	memset(b, 0, sizeof *b);
	b->out = malloc(len * 2 + 16);
	assert_non_null(b->out);
	pop3_parser_init(p);
	pop3_expect(p, mode);
	while (off < len && !b->ended && !b->error) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;
		size_t pos = 0;

		for (;;) {
			size_t used;
			enum pop3_ev ev = pop3_next(p, in + off + pos, n - pos,
			    &used, &e);

			assert_true(used <= n - pos);
			pos += used;
			if (ev == POP3_EV_MORE) {
				assert_int_equal(pos, n);
				break;
			}
			if (ev == POP3_EV_DATA || ev == POP3_EV_LINE) {
				assert_true(e.len > 0 || ev == POP3_EV_LINE);
				memcpy(b->out + b->outlen, e.data, e.len);
				b->outlen += e.len;
				if (ev == POP3_EV_LINE)
					b->out[b->outlen++] = '|';
				continue;
			}
			if (ev == POP3_EV_END) {
				b->ended = 1;
				b->consumed = off + pos;
				assert_true(pop3_idle(p));
			} else if (ev == POP3_EV_ERROR)
				b->error = 1;
			else
				fail_msg("unexpected event %d", ev);
			break;
		}
		off += n;
	}
	free(p);
}

/* Same body in every chunk size: same output, same end. */
static void
check_body(enum pop3_mode mode, const char *in, size_t len, const char *want,
    size_t wantlen, size_t consumed)
{
	struct body b;
	size_t chunk;

	for (chunk = 0; chunk <= len; chunk++) {
		feed(mode, in, len, chunk, &b);
		assert_false(b.error);
		assert_true(b.ended);
		assert_int_equal(b.consumed, consumed);
		assert_int_equal(b.outlen, wantlen);
		assert_memory_equal(b.out, want, wantlen);
		free(b.out);
	}
	/* No proper prefix of the reply ends it. */
	for (chunk = 0; chunk < consumed; chunk++) {
		feed(mode, in, chunk, 1, &b);
		assert_false(b.ended);
		free(b.out);
	}
}

static void
body_dot_unstuffing(void **state)
{
	(void)state;
	check_body(POP3_MULTI_DATA,
	    S("a\r\n..b\r\n.c\r\n\r\n...\r\n.\r\n+OK next\r\n"),
	    S("a\n.b\nc\n\n..\n"), 22);
}

static void
body_empty(void **state)
{
	(void)state;
	check_body(POP3_MULTI_DATA, S(".\r\n"), "", 0, 3);
}

static void
body_bare_lf_never_ends(void **state)
{
	/* HOSTILE 6: "\n.\n" and "\r\n.\n" are data, not the end. */
	(void)state;
	check_body(POP3_MULTI_DATA,
	    S("x\n.\ny\r\n.\n+OK fake\r\nz\r\n.\r\n"),
	    S("x\n.\ny\n\n+OK fake\nz\n"), 25);
}

static void
body_bare_cr_and_nul(void **state)
{
	(void)state;
	check_body(POP3_MULTI_DATA,
	    S("a\rb\r\r\nc\0d\r\n.\rx\r\n.\r\r\n.\r\n"),
	    S("a\rb\r\nc\0d\n\rx\n\r\n"), 23);
}

static void
body_no_final_newline_is_impossible(void **state)
{
	/* The terminator needs CRLF before the dot: "x.\r\n" is data. */
	(void)state;
	check_body(POP3_MULTI_DATA, S("x.\r\n.\r\n"), S("x.\n"), 7);
}

static void
body_long_line(void **state)
{
	size_t n = 3 * POP3_OUT_MAX + 7, i;
	char *in = malloc(n + 8), *want = malloc(n + 1);
	struct body b;

	(void)state;
	for (i = 0; i < n; i++)
		in[i] = want[i] = (char)('a' + i % 26);
	memcpy(in + n, "\r\n.\r\n", 5);
	want[n] = '\n';
	feed(POP3_MULTI_DATA, in, n + 5, 0, &b);
	assert_true(b.ended);
	assert_int_equal(b.outlen, n + 1);
	assert_memory_equal(b.out, want, n + 1);
	free(b.out);
	feed(POP3_MULTI_DATA, in, n + 5, 4099, &b);
	assert_true(b.ended);
	assert_int_equal(b.outlen, n + 1);
	assert_memory_equal(b.out, want, n + 1);
	free(b.out);
	free(in);
	free(want);
}

static void
lines_listing(void **state)
{
	(void)state;
	check_body(POP3_MULTI_LINES, S("1 abc\r\n..2 x\r\n\r\n.\r\n-ERR"),
	    S("1 abc|.2 x||"), 19);
}

static void
lines_errors(void **state)
{
	static const struct { const char *in; size_t len; } bad[] = {
		{ S("1 a\nb\r\n.\r\n") },
		{ S("1 a\rb\r\n.\r\n") },
		{ S("1 a\0\r\n.\r\n") },
		{ S(".\rx\r\n") },
	};
	char big[POP3_LINE_MAX + 8];
	struct body b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		feed(POP3_MULTI_LINES, bad[i].in, bad[i].len, 1, &b);
		assert_true(b.error);
		assert_false(b.ended);
		free(b.out);
	}
	/* 510 bytes + CRLF fit; 511 do not. */
	memset(big, 'x', sizeof big);
	memcpy(big + POP3_LINE_MAX - 2, "\r\n.\r\n", 5);
	feed(POP3_MULTI_LINES, big, POP3_LINE_MAX + 3, 0, &b);
	assert_true(b.ended);
	free(b.out);
	memset(big, 'x', sizeof big);
	memcpy(big + POP3_LINE_MAX - 1, "\r\n.\r\n", 5);
	feed(POP3_MULTI_LINES, big, POP3_LINE_MAX + 4, 0, &b);
	assert_true(b.error);
	free(b.out);
}

/* Feed a status line in chunks; returns the event. */
static enum pop3_ev
status_feed(const char *in, size_t len, size_t chunk, struct pop3_status *st,
    size_t *consumed)
{
	static struct pop3_parser p;
	struct pop3_event e;
	size_t off = 0;

	pop3_parser_init(&p);
	pop3_expect(&p, POP3_STATUS);
	while (off < len) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;
		size_t used;
		enum pop3_ev ev = pop3_next(&p, in + off, n, &used, &e);

		off += used;
		if (ev != POP3_EV_MORE) {
			*st = e.status;
			*consumed = off;
			return ev;
		}
	}
	return POP3_EV_MORE;
}

static void
status_lines(void **state)
{
	struct pop3_status st;
	size_t used, chunk;

	(void)state;
	for (chunk = 0; chunk < 12; chunk++) {
		assert_int_equal(status_feed(S("+OK hi there\r\nX"), chunk, &st,
		    &used), POP3_EV_STATUS);
		assert_int_equal(used, 14);
		assert_int_equal(st.kind, POP3_OK);
		assert_int_equal(st.textlen, 8);
		assert_memory_equal(st.text, "hi there", 8);
	}
	assert_int_equal(status_feed(S("-ERR [IN-USE] locked\r\n"), 1, &st,
	    &used), POP3_EV_STATUS);
	assert_int_equal(st.kind, POP3_ERR);
	assert_int_equal(st.code, POP3_CODE_IN_USE);
	assert_int_equal(status_feed(S("-ERR [sys/temp/x] no\r\n"), 0, &st,
	    &used), POP3_EV_STATUS);
	assert_int_equal(st.code, POP3_CODE_SYS_TEMP);
	assert_int_equal(status_feed(S("-ERR [AUTH] bad\r\n"), 0, &st,
	    &used), POP3_EV_STATUS);
	assert_int_equal(st.code, POP3_CODE_AUTH);
	assert_int_equal(status_feed(S("-ERR [AUTHX] bad\r\n"), 0, &st,
	    &used), POP3_EV_STATUS);
	assert_int_equal(st.code, POP3_CODE_OTHER);
	assert_int_equal(status_feed(S("-ERR\r\n"), 0, &st, &used),
	    POP3_EV_STATUS);
	assert_int_equal(st.code, POP3_CODE_NONE);
	assert_int_equal(status_feed(S("+ Zm9v\r\n"), 0, &st, &used),
	    POP3_EV_STATUS);
	assert_int_equal(st.kind, POP3_CONT);
	assert_int_equal(status_feed(S("+\r\n"), 0, &st, &used),
	    POP3_EV_STATUS);
	assert_int_equal(st.kind, POP3_CONT);

	assert_int_equal(status_feed(S("+OKAY\r\n"), 0, &st, &used),
	    POP3_EV_ERROR);
	assert_int_equal(status_feed(S("OK\r\n"), 0, &st, &used),
	    POP3_EV_ERROR);
	assert_int_equal(status_feed(S("+OK a\0b\r\n"), 1, &st, &used),
	    POP3_EV_ERROR);
	assert_int_equal(status_feed(S("+OK a\nb\r\n"), 1, &st, &used),
	    POP3_EV_ERROR);
	assert_int_equal(status_feed(S("+OK a\rb\r\n"), 1, &st, &used),
	    POP3_EV_ERROR);
}

static void
status_line_cap(void **state)
{
	char line[POP3_LINE_MAX + 4];
	struct pop3_status st;
	size_t used;

	(void)state;
	memcpy(line, "+OK ", 4);
	memset(line + 4, 'x', sizeof line - 4);
	memcpy(line + POP3_LINE_MAX - 2, "\r\n", 2);
	assert_int_equal(status_feed(line, POP3_LINE_MAX, 1, &st, &used),
	    POP3_EV_STATUS);
	assert_int_equal(st.textlen, POP3_LINE_MAX - 6);
	memset(line + 4, 'x', sizeof line - 4);
	memcpy(line + POP3_LINE_MAX - 1, "\r\n", 2);
	assert_int_equal(status_feed(line, POP3_LINE_MAX + 1, 0, &st, &used),
	    POP3_EV_ERROR);
}

static void
idle_rejects_bytes(void **state)
{
	struct pop3_parser p;
	struct pop3_event e;
	size_t used;

	(void)state;
	pop3_parser_init(&p);
	assert_int_equal(pop3_next(&p, "", 0, &used, &e), POP3_EV_MORE);
	assert_int_equal(pop3_next(&p, "x", 1, &used, &e), POP3_EV_ERROR);
	assert_int_equal(pop3_next(&p, "", 0, &used, &e), POP3_EV_ERROR);
}

static void
numbers(void **state)
{
	uint64_t v, c, s;
	uint32_t n;
	size_t pos = 0;

	(void)state;
	assert_int_equal(pop3_parse_u64(S("18446744073709551615"), &pos,
	    UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	pos = 0;
	assert_int_equal(pop3_parse_u64(S("18446744073709551616"), &pos,
	    UINT64_MAX, &v), -1);
	pos = 0;
	assert_int_equal(pop3_parse_u64(S("-1"), &pos, UINT64_MAX, &v), -1);
	assert_int_equal(pop3_parse_stat(S("2 320"), &c, &s), 0);
	assert_true(c == 2 && s == 320);
	assert_int_equal(pop3_parse_stat(S("5000000000 1"), &c, &s), -1);
	assert_int_equal(pop3_parse_stat(S("-1 1"), &c, &s), -1);
	assert_int_equal(pop3_parse_stat(S("x 1"), &c, &s), -1);
	assert_int_equal(pop3_parse_stat(S("1 "), &c, &s), -1);
	assert_int_equal(pop3_parse_list(S("3 5000000000"), &n, &s), 0);
	assert_true(n == 3 && s == 5000000000ull);
	assert_int_equal(pop3_parse_list(S("0 12"), &n, &s), -1);
	assert_int_equal(pop3_parse_list(S("1000001 12"), &n, &s), -1);
	assert_int_equal(pop3_parse_list(S("1 12x"), &n, &s), -1);
	assert_int_equal(pop3_parse_list(S("1  12"), &n, &s), -1);
}

static void
uids(void **state)
{
	char uid[POP3_UID_MAX + 1], line[100];
	uint32_t n;

	(void)state;
	assert_int_equal(pop3_parse_uidl(S("7 ../x"), &n, uid), 0);
	assert_int_equal(n, 7);
	assert_string_equal(uid, "../x");
	assert_int_equal(pop3_parse_uidl(S("1 a b"), &n, uid), -2);
	assert_int_equal(pop3_parse_uidl(S("1 "), &n, uid), -2);
	assert_int_equal(pop3_parse_uidl(S("1 a\x01"), &n, uid), -2);
	assert_int_equal(pop3_parse_uidl(S("1 a\x7f"), &n, uid), -2);
	assert_int_equal(pop3_parse_uidl(S("1 \xc3\xa9"), &n, uid), -2);
	assert_int_equal(pop3_parse_uidl(S("x abc"), &n, uid), -1);
	assert_int_equal(pop3_parse_uidl(S("1"), &n, uid), -1);
	memcpy(line, "2 ", 2);
	memset(line + 2, 'u', 70);
	assert_int_equal(pop3_parse_uidl(line, 72, &n, uid), 0);
	assert_int_equal(strlen(uid), 70);
	line[72] = 'u';
	assert_int_equal(pop3_parse_uidl(line, 73, &n, uid), -2);
}

static void
capa(void **state)
{
	unsigned caps = 0;

	(void)state;
	pop3_capa_line(S("stls"), &caps);
	pop3_capa_line(S("SASL PLAIN SCRAM-SHA-256 XOAUTH2"), &caps);
	pop3_capa_line(S("PIPELINING"), &caps);
	pop3_capa_line(S("IMPLEMENTATION PLAIN UIDL"), &caps);
	assert_int_equal(caps, POP3_CAP_STLS | POP3_CAP_SASL |
	    POP3_CAP_PIPELINING);
	caps = 0;
	pop3_capa_line(S("STLSX"), &caps);
	pop3_capa_line(S(""), &caps);
	pop3_capa_line(S("UTF8X"), &caps);
	pop3_capa_line(S("X-UTF8"), &caps);
	assert_int_equal(caps, 0);
	/* RFC 6856: "UTF8", or "UTF8 USER" when user names may be UTF-8 */
	pop3_capa_line(S("UTF8"), &caps);
	assert_int_equal(caps, POP3_CAP_UTF8);
	caps = 0;
	pop3_capa_line(S("utf8 USER"), &caps);
	assert_int_equal(caps, POP3_CAP_UTF8);
}

static void
apop_stamp(void **state)
{
	char out[POP3_STAMP_MAX + 1];

	(void)state;
	assert_int_equal(pop3_apop_stamp(S("POP3 ready <1896.697170952@dbc.mtview.ca.us>"),
	    out), 0);
	assert_string_equal(out, "<1896.697170952@dbc.mtview.ca.us>");
	assert_int_equal(pop3_apop_stamp(S("ready"), out), -1);
	assert_int_equal(pop3_apop_stamp(S("<no-at-sign>"), out), -1);
	assert_int_equal(pop3_apop_stamp(S("<a b@c>"), out), -1);
	assert_int_equal(pop3_apop_stamp(S("<a\x01@c>"), out), -1);
	assert_int_equal(pop3_apop_stamp(S("<a<b@c>"), out), -1);
	assert_int_equal(pop3_apop_stamp(S("<a@c"), out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_dot_unstuffing),
		cmocka_unit_test(body_empty),
		cmocka_unit_test(body_bare_lf_never_ends),
		cmocka_unit_test(body_bare_cr_and_nul),
		cmocka_unit_test(body_no_final_newline_is_impossible),
		cmocka_unit_test(body_long_line),
		cmocka_unit_test(lines_listing),
		cmocka_unit_test(lines_errors),
		cmocka_unit_test(status_lines),
		cmocka_unit_test(status_line_cap),
		cmocka_unit_test(idle_rejects_bytes),
		cmocka_unit_test(numbers),
		cmocka_unit_test(uids),
		cmocka_unit_test(capa),
		cmocka_unit_test(apop_stamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
