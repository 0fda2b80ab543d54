/* Unit tests for common/tls's cancel test on the read path (no TLS: a
 * socketpair, which tls_read reads as it reads a plain POP3 session):
 * while data flows it is asked at most every TLS_CANCEL_ASK_MS (it costs
 * a system call, and a message arrives in dozens of reads), and a stop
 * is still seen while data keeps coming. Bounds come from the time the
 * test measured, not from how fast the machine is. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/io.h"
#include "common/tls.h"

static int asked, say_stop;

static int
cancel_test(void)
{
	asked++;
	return say_stop;
}

static void
pair(struct tls_conn *c, int *peer)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	tls_init(c, 5);
	c->fd = sv[0];
	c->cancel = cancel_test;
	*peer = sv[1];
	asked = say_stop = 0;
}

static void
test_asked_sparingly(void **state)
{
	struct tls_conn c;
	char buf[4096], b;
	long long t0, ms;
	int peer, i;

	(void)state;
	pair(&c, &peer);
	memset(buf, 'x', sizeof buf);
	assert_int_equal(write(peer, buf, sizeof buf), (ssize_t)sizeof buf);
	t0 = io_now_ms();
	for (i = 0; i < (int)sizeof buf; i++)
		assert_int_equal(tls_read(&c, &b, 1), 1);
	ms = io_now_ms() - t0;
	/* asked before the first read, then once per TLS_CANCEL_ASK_MS */
	assert_true(asked >= 1);
	assert_true(asked <= ms / TLS_CANCEL_ASK_MS + 2);
	close(peer);
	close(c.fd);
}

static void
test_stop_seen_while_data_flows(void **state)
{
	struct tls_conn c;
	long long t0;
	ssize_t r = 1;
	char b = 'x';
	int peer, reads = 0;

	(void)state;
	pair(&c, &peer);
	t0 = io_now_ms();
	/* one byte ready before every read: the wait path never runs; the
	 * stop comes after the first read has asked (and been told "go on") */
	while (r == 1 && io_now_ms() - t0 < 10000) {
		assert_int_equal(write(peer, &b, 1), 1);
		r = tls_read(&c, &b, 1);
		reads++;
		say_stop = asked >= 1;
	}
	assert_true(reads > 1);
	assert_int_equal(r, -1);
	assert_int_equal(errno, ECANCELED);
	assert_string_equal(c.err, "interrupted by a signal");
	assert_true(asked >= 1);
	close(peer);
	close(c.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asked_sparingly),
		cmocka_unit_test(test_stop_seen_while_data_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
