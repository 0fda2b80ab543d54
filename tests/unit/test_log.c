/* Unit tests for common/log: the line format and level filter of
 * log_event, and log_quote/log_quote_mem — a hostile value can never
 * forge a second line or a key, and a long one is cut within the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* Run log_event with stderr redirected into a temp file; return what was
 * written (static buffer). */
static char captured[16384];

static void
capture_begin(int *saved, FILE **tmp)
{
	fflush(stderr);
	*tmp = tmpfile();
	assert_non_null(*tmp);
	*saved = dup(2);
	assert_true(*saved >= 0);
	assert_true(dup2(fileno(*tmp), 2) == 2);
}

static const char *
capture_end(int saved, FILE *tmp)
{
	size_t n;

	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	rewind(tmp);
	n = fread(captured, 1, sizeof captured - 1, tmp);
	captured[n] = '\0';
	fclose(tmp);
	return captured;
}

static void
test_event_format(void **state)
{
	int saved;
	FILE *tmp;

	(void)state;
	log_init("mdrop-test");
	log_set_level(LOG_INFO);
	capture_begin(&saved, &tmp);
	log_warn("fallback", "path=%s reason=%s", "/sp/new/1", "no-envelope");
	log_error("boom", NULL);
	log_info("done", "n=%d", 3);
	log_debug("hidden", "x=1");
	assert_string_equal(capture_end(saved, tmp),
	    "mdrop-test: warning: fallback path=/sp/new/1 reason=no-envelope\n"
	    "mdrop-test: error: boom\n"
	    "mdrop-test: info: done n=3\n");
}

static void
test_levels(void **state)
{
	int saved;
	FILE *tmp;

	(void)state;
	log_init("t");
	log_set_level(LOG_WARN);
	assert_int_equal(log_get_level(), LOG_WARN);
	capture_begin(&saved, &tmp);
	log_info("no", NULL);
	log_warn("yes", NULL);
	log_set_level(LOG_DEBUG);
	log_debug("dbg", "k=v");
	log_set_level(LOG_ERROR);
	log_warn("no", NULL);
	log_error("err", NULL);
	assert_string_equal(capture_end(saved, tmp),
	    "t: warning: yes\nt: debug: dbg k=v\nt: error: err\n");
	log_set_level(LOG_INFO);
}

static void
test_event_long(void **state)
{
	char *big = malloc(10000);
	const char *out;
	int saved;
	FILE *tmp;

	(void)state;
	assert_non_null(big);
	memset(big, 'v', 9999);
	big[9999] = '\0';
	log_init("t");
	capture_begin(&saved, &tmp);
	log_error("long", "k=%s", big);
	out = capture_end(saved, tmp);
	/* One line, cut, still ending in a newline. */
	assert_true(strlen(out) < 4200);
	assert_int_equal(out[strlen(out) - 1], '\n');
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_memory_equal(out, "t: error: long k=vvv", 20);
	free(big);
}

/* Undo log_quote's escaping (for the round-trip check). */
static size_t
unquote(const char *q, char *out)
{
	size_t n = 0, len = strlen(q);
	const char *p;

	if (len == 0 || q[0] != '"') {
		memcpy(out, q, len);
		return len;
	}
	assert_int_equal(q[len - 1], '"');
	for (p = q + 1; p < q + len - 1; p++) {
		if (*p == '\\') {
			p++;
			if (*p == 'x') {
				char hex[3] = { p[1], p[2], 0 };

				out[n++] = (char)strtoul(hex, NULL, 16);
				p += 2;
			} else {
				out[n++] = *p;
			}
		} else {
			out[n++] = *p;
		}
	}
	return n;
}

static void
test_quote_cases(void **state)
{
	char buf[LOG_QUOTE_MAX];

	(void)state;
	assert_string_equal(log_quote(buf, sizeof buf, "alice@example.org"),
	    "alice@example.org");
	assert_string_equal(log_quote(buf, sizeof buf, "/sp/new/1.M2,S=3"),
	    "/sp/new/1.M2,S=3");
	assert_string_equal(log_quote(buf, sizeof buf, ""), "\"\"");
	assert_string_equal(log_quote(buf, sizeof buf, NULL), "\"\"");
	assert_string_equal(log_quote(buf, sizeof buf, "a b"), "\"a b\"");
	assert_string_equal(log_quote(buf, sizeof buf, "say \"hi\""),
	    "\"say \\\"hi\\\"\"");
	assert_string_equal(log_quote(buf, sizeof buf, "c:\\x"),
	    "\"c:\\\\x\"");
	assert_string_equal(log_quote(buf, sizeof buf, "\r\t\x7f\xff\x01"),
	    "\"\\x0d\\x09\\x7f\\xff\\x01\"");
	/* A forged second line and a forged key stay inside one value. */
	assert_string_equal(log_quote(buf, sizeof buf,
	    "x\nmdrop-fetch: info: deleted uid=1"),
	    "\"x\\x0amdrop-fetch: info: deleted uid=1\"");
	assert_string_equal(log_quote(buf, sizeof buf, "a key=forged"),
	    "\"a key=forged\"");
	assert_string_equal(log_quote(buf, sizeof buf, "k=v"), "k=v");
	assert_string_equal(log_quote_mem(buf, sizeof buf, "a\0b", 3),
	    "\"a\\x00b\"");
	assert_string_equal(log_quote_mem(buf, sizeof buf, "abc", 2), "ab");
	assert_string_equal(log_quote_path(buf, sizeof buf, "/sp", "tmp/1,F"),
	    "/sp/tmp/1,F");
	assert_string_equal(log_quote_path(buf, sizeof buf, "/my spool",
	    "uidl.x"), "\"/my spool/uidl.x\"");
}

static void
test_quote_truncate(void **state)
{
	char buf[16], big[1000];

	(void)state;
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_string_equal(log_quote(buf, sizeof buf, big),
	    "\"aaaaaaaaaa...\"");
	/* A plain value that just fits stays plain; one more byte cuts it. */
	big[15] = '\0';
	assert_string_equal(log_quote(buf, sizeof buf, big), "aaaaaaaaaaaaaaa");
	big[15] = 'a';
	big[16] = '\0';
	assert_string_equal(log_quote(buf, sizeof buf, big),
	    "\"aaaaaaaaaa...\"");
	/* An escape is never cut in half. */
	assert_string_equal(log_quote(buf, 8, "\n\n\n"), "\"...\"");
	assert_string_equal(log_quote(buf, 10, "\n\n\n"), "\"\\x0a...\"");
}

/* Random values, every buffer size from 8 up: never overruns, never
 * emits a control byte, and when not cut round-trips exactly. */
static void
test_quote_random(void **state)
{
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		char in[64], buf[300], back[300];
		size_t len, n, i;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % sizeof in;
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (char)(seed >> 16);
		}
		for (n = 8; n < sizeof buf; n += 1 + n / 4) {
			const char *q;
			size_t qlen;

			memset(buf, 'Z', sizeof buf);
			q = log_quote_mem(buf, n, in, len);
			assert_ptr_equal(q, buf);
			qlen = strlen(q);
			assert_true(qlen < n);
			for (i = qlen + 1; i < sizeof buf; i++)
				assert_int_equal(buf[i], 'Z');
			for (i = 0; i < qlen; i++)
				assert_true(q[i] >= 0x20 && q[i] < 0x7f);
			if (qlen < 5 || strcmp(q + qlen - 4, "...\"") != 0) {
				assert_int_equal(unquote(q, back), len);
				assert_memory_equal(back, in, len);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_format),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_event_long),
		cmocka_unit_test(test_quote_cases),
		cmocka_unit_test(test_quote_truncate),
		cmocka_unit_test(test_quote_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
