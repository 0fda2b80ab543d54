/*
 * Unit tests of common/addr: the strict address and list parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/addr.h"

/* All addresses of a list joined by " | ", or "ERR:name". */
static const char *
list(const char *v, size_t len)
{
	static char out[4096];
	struct addr a;
	size_t pos = 0, o = 0;
	enum addr_error e;
	char one[ADDR_MAX + 1];

	out[0] = '\0';
	while ((e = addr_list_next(v, len, &pos, &a)) == ADDR_OK) {
		assert_true(addr_format(&a, one, sizeof one) > 0);
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s",
		    o ? " | " : "", one);
		assert_true(pos <= len);
	}
	if (e != ADDR_END)
		snprintf(out, sizeof out, "ERR:%s", addr_error_name(e));
	return out;
}

#define L(lit) list(lit, sizeof(lit) - 1)

static void
test_plain(void **st)
{
	(void)st;
	assert_string_equal(L("alice@example.org"), "alice@example.org");
	assert_string_equal(L("<alice@example.org>"), "alice@example.org");
	assert_string_equal(L("  <alice@example.org>  "), "alice@example.org");
	assert_string_equal(L("Alice.Smith+tag@Example.ORG"),
	    "Alice.Smith+tag@example.org");
	assert_string_equal(L(""), "");
	assert_string_equal(L("   "), "");
}

static void
test_list(void **st)
{
	(void)st;
	assert_string_equal(L("a@example.org, b@example.org"),
	    "a@example.org | b@example.org");
	assert_string_equal(L("a@example.org,b@example.org,"),
	    "a@example.org | b@example.org");
	assert_string_equal(L("a@example.org,,\t<b@x.example>"),
	    "a@example.org | b@x.example");
	assert_string_equal(L("a@example.org b@example.org"), "ERR:syntax");
}

static void
test_display_and_comments(void **st)
{
	(void)st;
	assert_string_equal(L("Alice Smith <alice@example.org>"),
	    "alice@example.org");
	assert_string_equal(L("\"Smith, Alice\" <alice@example.org>, bob@x.org"),
	    "alice@example.org | bob@x.org");
	assert_string_equal(L("=?utf-8?q?J=C3=B6rg?= <joerg@example.org>"),
	    "joerg@example.org");
	assert_string_equal(L("alice@example.org (Alice (the) \\) one)"),
	    "alice@example.org");
	assert_string_equal(L("(c) <alice@example.org> (d)"),
	    "alice@example.org");
	assert_string_equal(L("J\xc3\xb6rg <joerg@example.org>"),
	    "joerg@example.org");
	/* no comments or blanks inside the addr-spec */
	assert_string_equal(L("alice(x)@example.org"), "ERR:syntax");
	assert_string_equal(L("alice @example.org"), "ERR:syntax");
	assert_string_equal(L("<alice@ example.org>"), "ERR:syntax");
	assert_string_equal(L("alice@example.org (open"), "ERR:syntax");
	assert_string_equal(L("Alice <alice@example.org"), "ERR:syntax");
	assert_string_equal(L("Alice <alice@example.org> x"), "ERR:syntax");
	assert_string_equal(L("a@b <alice@example.org>"), "ERR:syntax");
}

static void
test_refused(void **st)
{
	(void)st;
	assert_string_equal(L("<>"), "ERR:null");
	assert_string_equal(L("<@relay.example:u@example.org>"),
	    "ERR:source-route");
	assert_string_equal(L("@relay.example:u@example.org"),
	    "ERR:source-route");
	assert_string_equal(L("alice"), "ERR:syntax");
	assert_string_equal(L("alice@"), "ERR:empty");
	assert_string_equal(L("@example.org"), "ERR:source-route");
	assert_string_equal(L("undisclosed-recipients:;"), "ERR:syntax");
	assert_string_equal(L("alice@[192.0.2.1]"), "ERR:syntax");
	assert_string_equal(L("alice@example.org."), "ERR:syntax");
	assert_string_equal(L("alice@-example.org"), "ERR:syntax");
	assert_string_equal(L("alice@exa_mple.org"), "ERR:syntax");
	assert_string_equal(L("a@b@example.org"), "ERR:syntax");
	assert_string_equal(L("=?utf-8?b?YWxpY2U=?=@example.org"),
	    "ERR:encoded-word");
}

static void
test_local_forms(void **st)
{
	(void)st;
	assert_string_equal(L("\"\"@example.org"), "ERR:empty");
	assert_string_equal(L("\"alice\"@example.org"), "alice@example.org");
	assert_string_equal(L("\"john doe\"@example.org"),
	    "\"john doe\"@example.org");
	assert_string_equal(L("\"a\\\"b\"@example.org"),
	    "\"a\\\"b\"@example.org");
	assert_string_equal(L("\"a\tb\"@example.org"), "ERR:syntax");
	assert_string_equal(L("..@example.org"), "ERR:syntax");
	assert_string_equal(L(".@example.org"), "ERR:syntax");
	assert_string_equal(L("a..b@example.org"), "ERR:syntax");
	assert_string_equal(L(".a@example.org"), "ERR:syntax");
	/* allowed by RFC 5322; deliver refuses any path that escapes */
	assert_string_equal(L("a/b@example.org"), "a/b@example.org");
	assert_string_equal(L("-rf@example.org"), "-rf@example.org");
}

static void
test_lengths(void **st)
{
	char v[700];
	int i;

	(void)st;
	memset(v, 'a', 64);
	strcpy(v + 64, "@example.org");
	assert_string_equal(list(v, strlen(v)), v);
	memset(v, 'a', 65);
	strcpy(v + 65, "@example.org");
	assert_string_equal(list(v, strlen(v)), "ERR:local-part-too-long");
	/* a 255-octet domain of 63-octet labels */
	strcpy(v, "a@");
	for (i = 0; i < 4; i++) {
		memset(v + strlen(v), 'b', 63);
		v[2 + 64 * i + 63] = i < 3 ? '.' : '\0';
		v[2 + 64 * i + 64] = '\0';
	}
	assert_int_equal(strlen(v) - 2, 255);
	assert_string_equal(list(v, strlen(v)), v);
	strcat(v, "b");
	assert_string_equal(list(v, strlen(v)), "ERR:domain-too-long");
	memset(v, 'c', 64);
	strcpy(v, "a@");
	memset(v + 2, 'c', 64);
	strcpy(v + 66, ".org");
	assert_string_equal(list(v, strlen(v)), "ERR:domain-too-long");
}

static void
test_control(void **st)
{
	(void)st;
	assert_string_equal(L("a@example.org\r\nb@example.org"),
	    "ERR:control-character");
	assert_string_equal(L("a\x01@example.org"), "ERR:control-character");
	assert_string_equal(L("a@example.org\x7f"), "ERR:control-character");
	assert_string_equal(list("a\0b@example.org", 15),
	    "ERR:control-character");
	assert_string_equal(L("a@exa\rmple.org"), "ERR:control-character");
}

static void
test_utf8_idn(void **st)
{
	(void)st;
	assert_string_equal(L("j\xc3\xb6rg@example.org"),
	    "j\xc3\xb6rg@example.org");
	assert_string_equal(L("j\xc3rg@example.org"), "ERR:bad-utf8");
	assert_string_equal(L("j\xc0\xafrg@example.org"), "ERR:bad-utf8");
	assert_string_equal(L("\xed\xa0\x80@example.org"), "ERR:bad-utf8");
	assert_string_equal(L("\xc2\x85@example.org"), "ERR:bad-utf8");
	assert_string_equal(L("a@b\xc3\xbc.example"), "ERR:non-ascii-domain");
	assert_string_equal(L("a@b\xc3.example"), "ERR:bad-utf8");
	assert_string_equal(L("a@b\xc3\xbc\xff.example"), "ERR:bad-utf8");
	assert_string_equal(L("a@XN--bcher-kva.example"),
	    "a@xn--bcher-kva.example");
	assert_string_equal(L("a@xn--.example"), "ERR:bad-idn");
	assert_string_equal(L("a@ab--cd.example"), "ERR:bad-idn");
	assert_string_equal(L("\xff@example.org"), "ERR:bad-utf8");
}

static void
test_path(void **st)
{
	struct addr a;

	(void)st;
	assert_int_equal(addr_parse_path("<bob@Example.NET>", 17, &a), ADDR_OK);
	assert_string_equal(a.local, "bob");
	assert_string_equal(a.domain, "example.net");
	assert_int_equal(addr_parse_path("<>", 2, &a), ADDR_NULL);
	assert_int_equal(addr_parse_path(" <> ", 4, &a), ADDR_NULL);
	assert_int_equal(addr_parse_path("bob@x.org", 9, &a), ADDR_OK);
	assert_int_equal(addr_parse_path("a@x.org, b@x.org", 16, &a),
	    ADDR_SYNTAX);
	assert_int_equal(addr_parse_path("a@x.org,", 8, &a), ADDR_SYNTAX);
	assert_int_equal(addr_parse_path("", 0, &a), ADDR_EMPTY);
}

static void
test_domain_check(void **st)
{
	char d[300];

	(void)st;
	strcpy(d, "Example.ORG");
	assert_int_equal(addr_domain_check(d), ADDR_OK);
	assert_string_equal(d, "example.org");
	strcpy(d, "bad domain");
	assert_int_not_equal(addr_domain_check(d), ADDR_OK);
	strcpy(d, "");
	assert_int_not_equal(addr_domain_check(d), ADDR_OK);
}

/* Every prefix of a list parses without reading past its end. */
static void
test_prefixes(void **st)
{
	static const char v[] =
	    "\"Smith, A\" (c) <\"a b\"@Example.org>, j\xc3\xb6rg@x.org (z)";
	size_t i;

	(void)st;
	for (i = 0; i <= sizeof v - 1; i++) {
		char *copy = malloc(i ? i : 1);
		const char *r;

		memcpy(copy, v, i);
		r = list(copy, i);
		assert_non_null(r);
		free(copy);
	}
	assert_string_equal(L(v), "\"a b\"@example.org | j\xc3\xb6rg@x.org");
}

/* Subaddress delimiters, Postfix's recipient_delimiter semantics. */
#define D(s, d) addr_detail_at((s), strlen(s), (d))
static void
test_detail(void **st)
{
	static const char *const every = "+-=_.#%&!~";
	char local[16];
	size_t i;

	(void)st;
	assert_int_equal(D("alice+shop", "+"), 5);
	assert_int_equal(D("alice", "+"), -1);
	assert_int_equal(D("alice+shop", NULL), -1);
	/* only the first len bytes count: the domain's '-' is not a delimiter */
	assert_int_equal(addr_detail_at("alice@my-host.example", 5, "-"), -1);
	assert_int_equal(D("alice+shop", ""), -1);
	/* every delimiter character, alone and among others */
	for (i = 0; every[i] != '\0'; i++) {
		char one[2] = { every[i], '\0' };

		snprintf(local, sizeof local, "bob%cx", every[i]);
		assert_int_equal(D(local, one), 3);
		assert_int_equal(D(local, every), 3);
		assert_int_equal(D(local, one[0] == '+' ? "-" :
		    "+"), -1);
	}
	/* the detail may be empty; the user may not */
	assert_int_equal(D("alice+", "+"), 5);
	assert_int_equal(D("+shop", "+"), -1);
	assert_int_equal(D("+", "+"), -1);
	assert_int_equal(D("", "+"), -1);
	/* several delimiters: the first in the local part wins, whichever
	 * comes first in CHARS */
	assert_int_equal(D("a-b+c", "+-"), 1);
	assert_int_equal(D("a+b-c", "+-"), 1);
	assert_int_equal(D("a+b+c", "+"), 1);
	/* case plays no part */
	assert_int_equal(D("AliceXshop", "x"), -1);
	assert_int_equal(D("Alicexshop", "x"), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_display_and_comments),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_local_forms),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_utf8_idn),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_domain_check),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_detail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
