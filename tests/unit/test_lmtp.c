/* Unit tests for common/lmtp: reply parser, DATA encoder, commands,
 * endpoints. Parsers are fed whole, at every split point and byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/lmtp.h"

/* Feed s in pieces of at most step bytes (0: everything at once, and at
 * the split point split). Collect up to max replies; returns the number,
 * or -1 on a protocol error (its reason in *why). */
static int
feed(const char *s, size_t len, size_t step, size_t split,
    struct lmtp_reply *out, int max, const char **why)
{
	struct lmtp_parser p;
	size_t off = 0;
	int n = 0;

	lmtp_parser_init(&p);
	while (off < len) {
		size_t chunk = len - off, used;
		enum lmtp_ev ev;

		if (step > 0 && chunk > step)
			chunk = step;
		if (step == 0 && split > off && split < len)
			chunk = split - off;
		ev = lmtp_parser_push(&p, s + off, chunk, &used);
		assert_true(used <= chunk);
		off += used;
		if (ev == LMTP_EV_ERROR) {
			*why = p.error;
			return -1;
		}
		if (ev == LMTP_EV_REPLY) {
			assert_true(n < max);
			out[n++] = p.reply;
		} else {
			assert_int_equal(used, chunk);
		}
	}
	return n;
}

/* All three ways of feeding must agree; returns what they agree on. */
static int
feed_all(const char *s, struct lmtp_reply *out, int max, const char **why)
{
	size_t len = strlen(s), k;
	struct lmtp_reply *ref = calloc((size_t)max, sizeof(*ref));
	const char *w1 = NULL, *w2 = NULL;
	int n = feed(s, len, 0, 0, out, max, why), m;

	assert_non_null(ref);
	m = feed(s, len, 1, 0, ref, max, &w1);
	assert_int_equal(m, n);
	if (n < 0)
		assert_string_equal(w1, *why);
	for (k = 1; k < len; k++) {
		m = feed(s, len, 0, k, ref, max, &w2);
		assert_int_equal(m, n);
		if (n < 0)
			assert_string_equal(w2, *why);
		else if (n > 0)
			assert_memory_equal(ref, out, (size_t)n * sizeof(*ref));
	}
	free(ref);
	return n;
}

static void
test_single(void **state)
{
	struct lmtp_reply r[4];
	const char *why = NULL;

	(void)state;
	assert_int_equal(feed_all("250 2.1.5 OK\r\n", r, 4, &why), 1);
	assert_int_equal(r[0].code, 250);
	assert_string_equal(r[0].enh, "2.1.5");
	assert_string_equal(r[0].text, "2.1.5 OK");
	assert_int_equal(r[0].nlines, 1);

	assert_int_equal(feed_all("354\r\n", r, 4, &why), 1);
	assert_int_equal(r[0].code, 354);
	assert_string_equal(r[0].text, "");
	assert_string_equal(r[0].enh, "");

	/* the enhanced code's class must match the reply's */
	assert_int_equal(feed_all("550 4.1.1 x\r\n", r, 4, &why), 1);
	assert_string_equal(r[0].enh, "");
	assert_int_equal(feed_all("550 5.1.1x\r\n", r, 4, &why), 1);
	assert_string_equal(r[0].enh, "");
	assert_int_equal(feed_all("452 4.2.2\r\n", r, 4, &why), 1);
	assert_string_equal(r[0].enh, "4.2.2");
	assert_int_equal(feed_all("550 5.1234.1 x\r\n", r, 4, &why), 1);
	assert_string_equal(r[0].enh, "");

	/* bare LF accepted; TAB and controls sanitised */
	assert_int_equal(feed_all("451 a\tb\x01\xc3\n", r, 4, &why), 1);
	assert_string_equal(r[0].text, "a b??");
}

static void
test_multi(void **state)
{
	struct lmtp_reply r[4];
	const char *why = NULL;

	(void)state;
	assert_int_equal(feed_all(
	    "250-mx.example.org\r\n"
	    "250-8BITMIME\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-pipelining\r\n"
	    "250-SIZE 10240000\r\n"
	    "250-DSN\r\n"
	    "250 CHUNKING\r\n"
	    "220 next reply\r\n", r, 4, &why), 2);
	assert_int_equal(r[0].code, 250);
	assert_int_equal(r[0].nlines, 7);
	assert_int_equal(r[0].caps, LMTP_CAP_8BITMIME | LMTP_CAP_PIPELINING |
	    LMTP_CAP_ENHANCEDSTATUSCODES | LMTP_CAP_SIZE | LMTP_CAP_CHUNKING);
	assert_true(r[0].size_max == 10240000);
	assert_string_equal(r[0].text, "mx.example.org 8BITMIME "
	    "ENHANCEDSTATUSCODES pipelining SIZE 10240000 DSN CHUNKING");
	assert_int_equal(r[1].code, 220);
	assert_string_equal(r[1].text, "next reply");
	assert_int_equal(r[1].caps, 0);

	/* the first line never names a capability; SMTPUTF8 */
	assert_int_equal(feed_all("250-PIPELINING\r\n250 SMTPUTF8\r\n", r, 4,
	    &why), 1);
	assert_int_equal(r[0].caps, LMTP_CAP_SMTPUTF8);

	/* multi-line replies after DATA: one reply each */
	assert_int_equal(feed_all("250-2.0.0 <a@x> saved\r\n250 2.0.0 really\r\n"
	    "550-5.1.1 <b@x>\r\n550 5.1.1 unknown\r\n452 4.2.2 full\r\n",
	    r, 4, &why), 3);
	assert_int_equal(r[0].code, 250);
	assert_string_equal(r[0].enh, "2.0.0");
	assert_string_equal(r[0].text, "2.0.0 <a@x> saved 2.0.0 really");
	assert_int_equal(r[1].code, 550);
	assert_string_equal(r[1].enh, "5.1.1");
	assert_int_equal(r[2].code, 452);
	assert_string_equal(r[2].enh, "4.2.2");
}

static void
expect_error(const char *s, const char *reason)
{
	struct lmtp_reply r[4];
	const char *why = NULL;

	assert_int_equal(feed_all(s, r, 4, &why), -1);
	assert_string_equal(why, reason);
}

static void
test_errors(void **state)
{
	char *big;
	size_t i;

	(void)state;
	expect_error("hello\r\n", "reply does not start with a code");
	expect_error("650 x\r\n", "reply does not start with a code");
	expect_error("260 x\r\n", "reply does not start with a code");
	expect_error("25x x\r\n", "reply does not start with a code");
	expect_error("25\r\n", "short reply line");
	expect_error("\r\n", "short reply line");
	expect_error("250x\r\n", "garbage after reply code");
	expect_error("250 a\rb\r\n", "bare CR in reply");
	expect_error("250-a\r\n251 b\r\n", "code changes within a reply");
	expect_error("250 ok\r\n+OK pop3\r\n", "reply does not start with a code");

	/* NUL needs an explicit length */
	{
		struct lmtp_parser p;
		size_t used;

		lmtp_parser_init(&p);
		assert_int_equal(lmtp_parser_push(&p, "250 a\0b\r\n", 9, &used),
		    LMTP_EV_ERROR);
		assert_string_equal(p.error, "NUL in reply");
		assert_int_equal(lmtp_parser_push(&p, "250 a\r\n", 7, &used),
		    LMTP_EV_ERROR);	/* sticky */
	}

	/* a line exactly at the cap passes; one byte more fails */
	big = malloc(70000);
	assert_non_null(big);
	memset(big, 'x', 70000);
	memcpy(big, "250 ", 4);
	memcpy(big + LMTP_LINE_MAX - 2, "\r\n", 3);
	{
		struct lmtp_reply r[1];
		const char *why = NULL;

		assert_int_equal(feed(big, strlen(big), 0, 0, r, 1, &why), 1);
		assert_int_equal(r[0].textlen, LMTP_TEXT_MAX - 1);
	}
	memset(big, 'x', 70000);
	memcpy(big, "250 ", 4);
	memcpy(big + LMTP_LINE_MAX - 1, "\r\n", 3);
	expect_error(big, "reply line too long");
	/* a 64 KiB line */
	memset(big, 'x', 70000);
	memcpy(big, "250 ", 4);
	memcpy(big + 65536, "\r\n", 3);
	expect_error(big, "reply line too long");
	/* endless multi-line reply */
	for (i = 0; i < LMTP_LINES_MAX + 1; i++)
		memcpy(big + i * 6, "250-x\n", 6);
	memcpy(big + i * 6, "250 x\n", 7);
	expect_error(big, "too many reply lines");
	free(big);
}

/* in encoded (stuff: DATA, else BDAT) in three chunks cut at every pair
 * of split points must be want; counting (out NULL) must agree. */
static void
enc_all(int stuff, const char *in, size_t n, const char *want, size_t wl)
{
	size_t k, k2;
	char *out = malloc(LMTP_DOT_OUT(n) + LMTP_DOT_FINISH_MAX);

	assert_non_null(out);
	for (k = 0; k <= n; k++) {
		for (k2 = k; k2 <= n; k2++) {
			void (*init)(struct lmtp_dot *) = stuff ?
			    lmtp_dot_init : lmtp_crlf_init;
			struct lmtp_dot d, c;
			size_t o = 0, counted = 0;

			init(&d);
			init(&c);
			o += lmtp_dot_encode(&d, in, k, out + o);
			o += lmtp_dot_encode(&d, in + k, k2 - k, out + o);
			o += lmtp_dot_encode(&d, in + k2, n - k2, out + o);
			assert_true(o <= LMTP_DOT_OUT(n));
			o += lmtp_dot_finish(&d, out + o);
			assert_int_equal(o, wl);
			assert_memory_equal(out, want, wl);
			counted += lmtp_dot_encode(&c, in, k, NULL);
			counted += lmtp_dot_encode(&c, in + k, k2 - k, NULL);
			counted += lmtp_dot_encode(&c, in + k2, n - k2, NULL);
			counted += lmtp_dot_finish(&c, NULL);
			assert_int_equal(counted, wl);
		}
	}
	free(out);
}

static void
dot_all(const char *in, size_t n, const char *want, size_t wl)
{
	enc_all(1, in, n, want, wl);
}

#define DOT(in, want) dot_all(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void
test_dot(void **state)
{
	(void)state;
	DOT("", ".\r\n");
	DOT("a", "a\r\n.\r\n");
	DOT("a\n", "a\r\n.\r\n");
	DOT("a\r\n", "a\r\n.\r\n");
	DOT("a\r", "a\r\n.\r\n");
	DOT(".", "..\r\n.\r\n");
	DOT("\n", "\r\n.\r\n");
	DOT("..x\n.\n", "...x\r\n..\r\n.\r\n");
	DOT("a\n\n", "a\r\n\r\n.\r\n");
	DOT("a\r\r\n", "a\r\n\r\n.\r\n");
	DOT("a\n\r", "a\r\n\r\n.\r\n");
	DOT("x.y\n", "x.y\r\n.\r\n");
	/* the smuggling body: bare LF "." LF and bare CR "." CR */
	DOT("b\n.\nMAIL FROM:<x>\nRCPT TO:<bob@example.org>\nDATA\nevil\n.\n",
	    "b\r\n..\r\nMAIL FROM:<x>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
	    "evil\r\n..\r\n.\r\n");
	DOT("b\r.\rc", "b\r\n..\r\nc\r\n.\r\n");
	DOT("\0.\n", "\0.\r\n.\r\n");
	DOT("\xff\n.", "\xff\r\n..\r\n.\r\n");
	/* longer runs inside lines, cut anywhere */
	DOT("line one\n.dot\r\nCR\rend", "line one\r\n..dot\r\nCR\r\nend\r\n"
	    ".\r\n");
	DOT("abc\r\n\r\n..\r\n.", "abc\r\n\r\n...\r\n..\r\n.\r\n");
}

#define CRLF(in, want) \
	enc_all(0, in, sizeof(in) - 1, want, sizeof(want) - 1)

/* BDAT: the same line ends, no dot-stuffing, no final "." */
static void
test_crlf(void **state)
{
	(void)state;
	CRLF("", "");
	CRLF("a", "a\r\n");
	CRLF("a\n", "a\r\n");
	CRLF("a\r\n", "a\r\n");
	CRLF("a\r", "a\r\n");
	CRLF(".", ".\r\n");
	CRLF("\n", "\r\n");
	CRLF("..x\n.\n", "..x\r\n.\r\n");
	CRLF("a\r\r\n", "a\r\n\r\n");
	CRLF("a\n\r", "a\r\n\r\n");
	CRLF("b\n.\nMAIL FROM:<x>\nBDAT 9 LAST\n.\n",
	    "b\r\n.\r\nMAIL FROM:<x>\r\nBDAT 9 LAST\r\n.\r\n");
	CRLF("b\r.\rc", "b\r\n.\r\nc\r\n");
	CRLF("\0.\n", "\0.\r\n");
	CRLF("line one\n.dot\r\nCR\rend", "line one\r\n.dot\r\nCR\r\nend\r\n");
	/* the end keeps the mode: a second message is BDAT's too */
	{
		struct lmtp_dot d;
		char out[16];
		size_t o;

		lmtp_crlf_init(&d);
		o = lmtp_dot_encode(&d, "x", 1, out);
		o += lmtp_dot_finish(&d, out + o);
		o += lmtp_dot_encode(&d, ".y", 2, out + o);
		o += lmtp_dot_finish(&d, out + o);
		assert_int_equal(o, 7);
		assert_memory_equal(out, "x\r\n.y\r\n", 7);
	}
}

static void
test_8bit(void **state)
{
	(void)state;
	assert_int_equal(lmtp_has_8bit("abc\n\r\t\x7f", 7), 0);
	assert_int_equal(lmtp_has_8bit("ab\x80", 3), 1);
	assert_int_equal(lmtp_has_8bit("", 0), 0);
	/* the eight-byte steps: a high byte at every place, and none */
	{
		char b[21];
		size_t i, k;

		for (k = 0; k <= 20; k++) {
			memset(b, 'a', sizeof(b));
			if (k < 20)
				b[k] = '\xc3';
			for (i = 0; i <= 20; i++)
				assert_int_equal(lmtp_has_8bit(b, i),
				    k < i);
		}
	}
}

static void
test_cmds(void **state)
{
	char b[64];

	(void)state;
	assert_int_equal(lmtp_cmd_lhlo(b, sizeof(b), "mx.example.org"), 21);
	assert_string_equal(b, "LHLO mx.example.org\r\n");
	assert_int_equal(lmtp_cmd_lhlo(b, sizeof(b), ""), -1);
	assert_int_equal(lmtp_cmd_lhlo(b, sizeof(b), "a b"), -1);

	assert_int_equal(lmtp_cmd_mail(b, sizeof(b), "", 0, 0, 0), 14);
	assert_string_equal(b, "MAIL FROM:<>\r\n");
	assert_true(lmtp_cmd_mail(b, sizeof(b), "s@x.org", 1, 1234, 1) > 0);
	assert_string_equal(b, "MAIL FROM:<s@x.org> BODY=8BITMIME SIZE=1234 SMTPUTF8\r\n");
	assert_int_equal(lmtp_cmd_mail(b, sizeof(b), "s@x>\r\nRSET", 0, 0, 0), -1);
	assert_int_equal(lmtp_cmd_mail(b, sizeof(b), "s\n@x", 0, 0, 0), -1);

	assert_true(lmtp_cmd_rcpt(b, sizeof(b), "alice@example.org") > 0);
	assert_string_equal(b, "RCPT TO:<alice@example.org>\r\n");
	assert_int_equal(lmtp_cmd_rcpt(b, sizeof(b), ""), -1);
	assert_int_equal(lmtp_cmd_rcpt(b, sizeof(b), "a<b@x"), -1);
	assert_int_equal(lmtp_cmd_rcpt(b, sizeof(b), "a\tb@x"), -1);
	assert_int_equal(lmtp_cmd_rcpt(b, sizeof(b), "a\x7f@x"), -1);
	assert_int_equal(lmtp_cmd_rcpt(b, 20, "alice@example.org"), -1);
	/* UTF-8 local parts pass (SMTPUTF8) */
	assert_true(lmtp_cmd_rcpt(b, sizeof(b), "j\xc3\xb6rg@x.org") > 0);
	/* quoted local parts go out as they came */
	assert_true(lmtp_cmd_mail(b, sizeof(b), "\"john smith\"@remote.test",
	    0, 0, 0) > 0);
	assert_string_equal(b, "MAIL FROM:<\"john smith\"@remote.test>\r\n");
	assert_true(lmtp_cmd_rcpt(b, sizeof(b), "\"a>b\"@x.org") > 0);
	assert_string_equal(b, "RCPT TO:<\"a>b\"@x.org>\r\n");
	assert_int_equal(lmtp_cmd_mail(b, sizeof(b), "john smith@x.org", 0, 0,
	    0), -1);
	assert_int_equal(lmtp_cmd_rcpt(b, sizeof(b), "a@x.org> NOTIFY=NEVER"),
	    -1);
}

/* lmtp_addr_check(addr) must return want; for -1, why must be want_why. */
static void
check_addr(const char *addr, int want, const char *want_why)
{
	const char *why = NULL;
	int got = lmtp_addr_check(addr, &why);

	if (got != want)
		fail_msg("%s: got %d, want %d (%s)", addr, got, want,
		    why ? why : "");
	if (want < 0)
		assert_string_equal(why, want_why);
}

static void
test_addr_plain(void **state)
{
	(void)state;
	check_addr("alice@example.org", 0, NULL);
	check_addr("first.last+tag@example.org", 0, NULL);
	check_addr("!#$%&'*+-/=?^_`{|}~@x.org", 0, NULL);
	check_addr("a@x", 0, NULL);
	check_addr("a@1-2.example", 0, NULL);
	check_addr("s@[192.0.2.1]", 0, NULL);
	check_addr("s@[IPv6:2001:db8::1]", 0, NULL);
	check_addr("postmaster@EXAMPLE.ORG", 0, NULL);
}

static void
test_addr_quoted(void **state)
{
	(void)state;
	/* spaces, '>', '<', '@', ',' and dots in quotes: sent as they came */
	check_addr("\"john smith\"@remote.test", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"a>b\"@remote.test", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"<a@b>, c\"@remote.test", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"a..b\"@x.org", LMTP_ADDR_QUOTED, NULL);
	check_addr("\".a.\"@x.org", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"john.smith\"@x.org", LMTP_ADDR_QUOTED, NULL);
	check_addr("\" \"@x.org", LMTP_ADDR_QUOTED, NULL);
	/* backslash escapes: any printable ASCII after the backslash */
	check_addr("\"a\\\"b\"@x.org", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"a\\\\b\"@x.org", LMTP_ADDR_QUOTED, NULL);
	check_addr("\"\\ \\x\\~\"@x.org", LMTP_ADDR_QUOTED, NULL);
	/* RFC 5321's grammar allows the empty quoted local part */
	check_addr("\"\"@x.org", LMTP_ADDR_QUOTED, NULL);
	/* a quote that ends early, or never */
	check_addr("\"a\"b@x.org", -1, "local part not followed by @domain");
	check_addr("\"a\"\"b\"@x.org", -1, "local part not followed by @domain");
	check_addr("\"john smith@x.org", -1, "unterminated quoted string");
	check_addr("\"a\\\"@x.org", -1, "unterminated quoted string");
	check_addr("\"a\\", -1, "bad backslash escape in quoted string");
	check_addr("\"a\"", -1, "local part not followed by @domain");
	/* unquoted, these need the quotes */
	check_addr("john smith@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr("a>b@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr("a\"b@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr("a..b@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr(".a@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr("a.@x.org", -1,
	    "local part is neither a dot-string nor a quoted string");
	check_addr("@x.org", -1, "empty local part");
}

static void
test_addr_utf8(void **state)
{
	(void)state;
	check_addr("j\xc3\xb6rg@example.org", LMTP_ADDR_UTF8, NULL);
	check_addr("\xe7\x94\xb0\xe4\xb8\xad@example.org", LMTP_ADDR_UTF8, NULL);
	check_addr("\xf0\x9f\x93\xa7.x@example.org", LMTP_ADDR_UTF8, NULL);
	check_addr("a@b\xc3\xbc" "cher.example", LMTP_ADDR_UTF8, NULL);
	check_addr("\"j\xc3\xb6rg smith\"@example.org",
	    LMTP_ADDR_QUOTED | LMTP_ADDR_UTF8, NULL);
	/* 8-bit bytes that are not UTF-8, anywhere */
	check_addr("j\xf6rg@example.org", -1, "invalid UTF-8 in address");
	check_addr("j\xc3@example.org", -1, "invalid UTF-8 in address");
	check_addr("\xc0\xaf@example.org", -1, "invalid UTF-8 in address");
	check_addr("\xed\xa0\x80@example.org", -1, "invalid UTF-8 in address");
	check_addr("\"j\xf6rg\"@example.org", -1, "invalid UTF-8 in address");
	check_addr("a@b\xfc" "cher.example", -1, "invalid UTF-8 in address");
	/* C1 controls are controls */
	check_addr("a\xc2\x85" "b@example.org", -1, "invalid UTF-8 in address");
	/* a quoted pair is ASCII only (RFC 6531 keeps quoted-pairSMTP) */
	check_addr("\"\\\xc3\xb6\"@example.org", -1,
	    "bad backslash escape in quoted string");
}

static void
test_addr_refused(void **state)
{
	char big[LMTP_ADDR_MAX + 2];

	(void)state;
	check_addr("", -1, "empty address");
	check_addr("alice", -1, "local part not followed by @domain");
	check_addr("alice@", -1, "bad domain");
	check_addr("alice@x..org", -1, "bad domain");
	check_addr("alice@.x.org", -1, "bad domain");
	check_addr("alice@x.org.", -1, "bad domain");
	check_addr("alice@-x.org", -1, "bad domain");
	check_addr("alice@x-.org", -1, "bad domain");
	check_addr("alice@x_y.org", -1, "bad domain");
	check_addr("a@b@x.org", -1, "bad domain");
	check_addr("a@[]", -1, "bad domain");
	check_addr("a@[1.2.3.4", -1, "bad domain");
	check_addr("a@[a b]", -1, "bad domain");
	check_addr("a@[a\\]]", -1, "bad domain");
	check_addr("a@x.org>", -1, "bad domain");
	check_addr("a@x.org> SIZE=1", -1, "bad domain");
	check_addr("a\r\nRSET@x.org", -1, "control character in address");
	check_addr("\"a\tb\"@x.org", -1, "control character in address");
	check_addr("\"a\\\nb\"@x.org", -1, "control character in address");
	check_addr("a\x7f@x.org", -1, "control character in address");
	memset(big, 'a', sizeof(big));
	memcpy(big + LMTP_ADDR_MAX - 6, "@x.org", 7);
	check_addr(big, 0, NULL);
	memcpy(big + LMTP_ADDR_MAX - 5, "@x.org", 7);
	check_addr(big, -1, "address too long");
}

static void
test_endpoints(void **state)
{
	struct lmtp_endpoint ep;
	const char *why = NULL;

	(void)state;
	assert_int_equal(lmtp_endpoint_parse("unix:/run/dovecot/lmtp", &ep, &why), 0);
	assert_int_equal(ep.kind, LMTP_EP_UNIX);
	assert_string_equal(ep.path, "/run/dovecot/lmtp");
	assert_int_equal(lmtp_endpoint_parse("127.0.0.1:24", &ep, &why), 0);
	assert_int_equal(ep.kind, LMTP_EP_INET);
	assert_string_equal(ep.host, "127.0.0.1");
	assert_string_equal(ep.port, "24");
	assert_int_equal(lmtp_endpoint_parse("[::1]:2424", &ep, &why), 0);
	assert_string_equal(ep.host, "::1");
	assert_string_equal(ep.port, "2424");
	assert_int_equal(lmtp_endpoint_parse("mx.example.org:65535", &ep, &why), 0);
	assert_string_equal(ep.host, "mx.example.org");

	assert_int_equal(lmtp_endpoint_parse("unix:run/lmtp", &ep, &why), -1);
	assert_string_equal(why, "socket path must be absolute");
	assert_int_equal(lmtp_endpoint_parse("localhost", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("::1:24", &ep, &why), -1);
	assert_string_equal(why, "an IPv6 address needs brackets: [address]:port");
	assert_int_equal(lmtp_endpoint_parse("[::1]24", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("[]:24", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse(":24", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("h:0", &ep, &why), -1);
	assert_string_equal(why, "bad port");
	assert_int_equal(lmtp_endpoint_parse("h:65536", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("h:", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("h:2x", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("h:000024", &ep, &why), -1);
	assert_int_equal(lmtp_endpoint_parse("a b:24", &ep, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dot),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_8bit),
		cmocka_unit_test(test_cmds),
		cmocka_unit_test(test_addr_plain),
		cmocka_unit_test(test_addr_quoted),
		cmocka_unit_test(test_addr_utf8),
		cmocka_unit_test(test_addr_refused),
		cmocka_unit_test(test_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
