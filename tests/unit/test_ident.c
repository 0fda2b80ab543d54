/* Unit tests for common/ident: the identity of a message from its header,
 * fed whole and in every split; what changes it and what must not (the
 * fields an mbox server adds, the body, folding, white space). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/ident.h"

/* The identity of msg fed in pieces of `chunk` bytes (0: at once). */
static void
ident_of(const char *msg, size_t chunk, char hex[IDENT_HEX_LEN + 1])
{
	struct ident id;
	size_t len = strlen(msg), off = 0;

	assert_int_equal(ident_init(&id), 0);
	while (off < len) {
		size_t n = chunk == 0 || len - off < chunk ? len - off : chunk;
		char *piece = malloc(n);

		assert_non_null(piece);
		memcpy(piece, msg + off, n);	/* exact size: ASan sees overreads */
		ident_push(&id, piece, n);
		free(piece);
		off += n;
	}
	ident_finish(&id, hex);
	ident_free(&id);
}

#define A "Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n" \
	"Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n" \
	"Subject: one\n\nbody\n"

static void
test_every_split(void **state)
{
	char whole[IDENT_HEX_LEN + 1], part[IDENT_HEX_LEN + 1];
	size_t chunk;

	(void)state;
	ident_of(A, 0, whole);
	assert_int_equal(strlen(whole), IDENT_HEX_LEN);
	assert_int_equal(strspn(whole, "0123456789abcdef"), IDENT_HEX_LEN);
	for (chunk = 1; chunk < sizeof A; chunk++) {
		ident_of(A, chunk, part);
		assert_string_equal(part, whole);
	}
}

/* What an mbox server adds, the body, a TOP n 0 reply (header and the
 * empty line only), folding and white space: the same identity. */
static void
test_same(void **state)
{
	char a[IDENT_HEX_LEN + 1], b[IDENT_HEX_LEN + 1];

	(void)state;
	ident_of(A, 0, a);
	ident_of("Status: RO\nX-UIDL: 42\n" A, 0, b);
	assert_string_equal(a, b);
	ident_of("Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Subject: one\nContent-Length: 5\nX-Status: A\n\n", 0, b);
	assert_string_equal(a, b);
	ident_of("Received: from a.test\n by isp.test;\tMon, 1 Jan 2024 "
	    "00:00:00 +0000\nMessage-Id:   <1@a.test>  \nDATE: Mon,  1 Jan "
	    "2024 00:00:00 +0000\nSubject: other\n\nother body\n", 0, b);
	assert_string_equal(a, b);
	/* only the first of each field counts */
	ident_of(A "Message-ID: <2@a.test>\n", 0, b);
	assert_string_equal(a, b);
	ident_of("Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Received: from b.test\nMessage-ID: <x>\n\n", 0, b);
	assert_string_equal(a, b);
}

static void
test_different(void **state)
{
	static const char *const others[] = {
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Message-ID: <2@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:01 +0000\n\n",
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:01 +0000\n"
		"Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
		/* a field missing is not the same as a field present */
		"Message-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Date: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
		/* values move between fields: not the same */
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"Date: <1@a.test>\nMessage-ID: Mon, 1 Jan 2024 00:00:00 +0000\n\n",
		/* below the header section: the body, not a field */
		"Received: from a.test by isp.test; Mon, 1 Jan 2024 00:00:00 +0000\n"
		"\nMessage-ID: <1@a.test>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n",
	};
	char a[IDENT_HEX_LEN + 1], b[IDENT_HEX_LEN + 1];
	size_t k;

	(void)state;
	ident_of(A, 0, a);
	for (k = 0; k < sizeof others / sizeof others[0]; k++) {
		ident_of(others[k], 0, b);
		assert_int_equal(strlen(b), IDENT_HEX_LEN);
		assert_string_not_equal(a, b);
	}
}

/* None of the three fields, an empty message, a headerless one: none. */
static void
test_none(void **state)
{
	char h[IDENT_HEX_LEN + 1];

	(void)state;
	ident_of("Subject: a\nFrom: b@c\n\nbody\n", 0, h);
	assert_string_equal(h, "");
	ident_of("", 0, h);
	assert_string_equal(h, "");
	ident_of("\nMessage-ID: <x>\n", 0, h);
	assert_string_equal(h, "");
	/* one of them is enough; the last field without a newline counts */
	ident_of("Subject: a\nDate: Mon, 1 Jan 2024 00:00:00 +0000", 0, h);
	assert_int_equal(strlen(h), IDENT_HEX_LEN);
}

/* A header section over the cap: the fields before the cap count, the
 * same for every split. */
static void
test_cap(void **state)
{
	size_t n = IDENT_HDR_CAP + 4096, len;
	char *msg = malloc(n + 64), a[IDENT_HEX_LEN + 1], b[IDENT_HEX_LEN + 1];

	(void)state;
	assert_non_null(msg);
	len = (size_t)snprintf(msg, 64, "Message-ID: <cap@x>\nX-Fill: ");
	memset(msg + len, 'f', n - len);
	strcpy(msg + n, "\nDate: later\n\n");
	ident_of(msg, 0, a);
	ident_of(msg, 4093, b);
	assert_int_equal(strlen(a), IDENT_HEX_LEN);
	assert_string_equal(a, b);
	ident_of("Message-ID: <cap@x>\n\n", 0, b);
	assert_string_equal(a, b);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_different),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
