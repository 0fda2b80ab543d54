/*
 * pop3ceil: the transport ceiling of the benchmark. A minimal POP3 client
 * that logs in, pipelines "RETR n" (and with -d "DELE n") for every
 * message with a window of outstanding commands, reads each reply and
 * throws the data away. It does nothing a real tool could skip, so its
 * rate is the most any POP3 client can get out of this server over this
 * transport; tools are reported as a fraction of it.
 *
 * Why it is this way: one blocking socket and a command window small
 * enough (WINDOW commands of ~14 bytes) to always fit in the kernel's
 * socket buffers, so writing commands can never deadlock against a server
 * that is busy writing replies; the reply scanner looks only for the
 * terminating CRLF "." CRLF with memchr over a 256 KiB buffer. With -t the
 * TLS session verifies the chain against -c CAFILE and the host name, as
 * the tools under test must; with -s the same after STLS (RFC 2595) on
 * the plain port.
 *
 *   pop3ceil [-t|-s] [-d] -c CAFILE -h HOST -p PORT -u USER -P PASSFILE
 *
 * Prints "msgs=N bytes=B" (B: bytes of message data received, CRLF and
 * dot-stuffing included) on stdout. Exit 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define WINDOW 64
#define BUFSZ (256 * 1024)

struct conn {
	int fd;
	SSL *ssl;
	char buf[BUFSZ];
	size_t start, end;
};

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void command(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pop3ceil: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void c_write(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w;

		if (c->ssl) {
			int r = SSL_write(c->ssl, p, (int)n);

			if (r <= 0)
				die("SSL_write failed");
			w = r;
		} else {
			w = write(c->fd, p, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				die("write: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Read more into the buffer (compacting first); dies on EOF. */
static void c_fill(struct conn *c)
{
	ssize_t r;

	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (c->end == BUFSZ)
		die("reply line too long");
	for (;;) {
		if (c->ssl) {
			int n = SSL_read(c->ssl, c->buf + c->end,
			    (int)(BUFSZ - c->end));

			if (n <= 0)
				die("SSL_read: connection closed");
			r = n;
		} else {
			r = read(c->fd, c->buf + c->end, BUFSZ - c->end);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die("read: %s", strerror(errno));
			if (r == 0)
				die("read: connection closed");
		}
		break;
	}
	c->end += (size_t)r;
}

/* One status line; dies unless it starts with "+OK". Returns its text. */
static const char *status_line(struct conn *c, const char *what)
{
	static char line[1024];
	char *nl;

	while ((nl = memchr(c->buf + c->start, '\n', c->end - c->start)) ==
	    NULL)
		c_fill(c);
	size_t n = (size_t)(nl - (c->buf + c->start)) + 1;
	if (n >= sizeof line)
		n = sizeof line - 1;
	memcpy(line, c->buf + c->start, n);
	line[n] = '\0';
	c->start = (size_t)(nl - c->buf) + 1;
	if (strncmp(line, "+OK", 3) != 0)
		die("%s: %s", what, line);
	return line;
}

/* Skip a multi-line body up to and including CRLF "." CRLF; counts bytes. */
static void skip_body(struct conn *c, uint64_t *bytes)
{
	int bol = 1;

	for (;;) {
		if (bol) {
			size_t avail = c->end - c->start;

			if (avail < 3) {
				if (memcmp(c->buf + c->start, ".\r\n", avail) ==
				    0) {
					c_fill(c);
					continue;
				}
			} else if (memcmp(c->buf + c->start, ".\r\n", 3) == 0) {
				c->start += 3;
				return;
			}
		}
		char *p = c->buf + c->start;
		char *nl = memchr(p, '\n', c->end - c->start);

		if (nl == NULL) {
			*bytes += c->end - c->start;
			c->start = c->end;
			bol = 0;
			c_fill(c);
			continue;
		}
		*bytes += (size_t)(nl - p) + 1;
		c->start = (size_t)(nl - c->buf) + 1;
		bol = 1;
		if (c->start == c->end)
			c_fill(c);
	}
}

static void command(struct conn *c, const char *fmt, ...)
{
	char b[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof b)
		die("command too long");
	c_write(c, b, (size_t)n);
}

static int dial(const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, e;

	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		die("%s:%s: %s", host, port, gai_strerror(e));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		die("cannot connect to %s:%s", host, port);
	return fd;
}

static void usage(void)
{
	fputs("usage: pop3ceil [-t|-s] [-d] [-c CAFILE] -h HOST -p PORT -u USER "
	    "-P PASSFILE\n", stderr);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *host = NULL, *port = NULL, *user = NULL, *pwfile = NULL;
	const char *cafile = NULL;
	int tls = 0, stls = 0, dele = 0, opt;
	static struct conn c;
	char pass[256];

	while ((opt = getopt(argc, argv, "tsdc:h:p:u:P:")) != -1) {
		switch (opt) {
		case 't': tls = 1; break;
		case 's': tls = stls = 1; break;
		case 'd': dele = 1; break;
		case 'c': cafile = optarg; break;
		case 'h': host = optarg; break;
		case 'p': port = optarg; break;
		case 'u': user = optarg; break;
		case 'P': pwfile = optarg; break;
		default: usage();
		}
	}
	if (!host || !port || !user || !pwfile || (tls && !cafile))
		usage();
	FILE *pf = fopen(pwfile, "r");
	if (!pf || !fgets(pass, sizeof pass, pf))
		die("cannot read %s", pwfile);
	fclose(pf);
	pass[strcspn(pass, "\r\n")] = '\0';

	c.fd = dial(host, port);
	if (stls) {	/* the greeting and STLS in the clear, then TLS */
		status_line(&c, "greeting");
		command(&c, "STLS\r\n");
		status_line(&c, "STLS");
		if (c.start != c.end)
			die("data after the STLS reply, before TLS");
	}
	if (tls) {
		SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

		if (!ctx || !SSL_CTX_load_verify_locations(ctx, cafile, NULL))
			die("cannot load %s", cafile);
		SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		char *sni = strdup(host);	/* the SNI macro casts away const */

		c.ssl = SSL_new(ctx);
		if (!sni || !c.ssl || !SSL_set1_host(c.ssl, host) ||
		    !SSL_set_tlsext_host_name(c.ssl, sni) ||
		    !SSL_set_fd(c.ssl, c.fd))
			die("SSL setup failed");
		if (SSL_connect(c.ssl) != 1)
			die("TLS handshake with %s failed", host);
	}
	if (!stls)
		status_line(&c, "greeting");
	command(&c, "USER %s\r\n", user);
	status_line(&c, "USER");
	command(&c, "PASS %s\r\n", pass);
	status_line(&c, "PASS");
	explicit_bzero(pass, sizeof pass);
	command(&c, "STAT\r\n");
	const char *st = status_line(&c, "STAT");
	long n = strtol(st + 3, NULL, 10);
	if (n < 0 || n > 10000000)
		die("STAT: bad count");

	/* Replies expected, in order: 'R' RETR (multi-line), 'D' DELE. */
	long sent = 0, done = 0;
	int outstanding = 0;
	uint64_t bytes = 0;
	char q[2 * WINDOW + 2];
	size_t qh = 0, qt = 0, qn = 0;

	while (done < n) {
		char cmds[WINDOW * 32];
		size_t cl = 0;

		while (sent < n && outstanding < WINDOW) {
			sent++;
			cl += (size_t)snprintf(cmds + cl, sizeof cmds - cl,
			    "RETR %ld\r\n", sent);
			q[qt] = 'R'; qt = (qt + 1) % sizeof q; qn++;
			if (dele) {
				cl += (size_t)snprintf(cmds + cl,
				    sizeof cmds - cl, "DELE %ld\r\n", sent);
				q[qt] = 'D'; qt = (qt + 1) % sizeof q; qn++;
			}
			outstanding++;
		}
		if (cl > 0)
			c_write(&c, cmds, cl);
		/* Read the replies of one message. */
		status_line(&c, "RETR");
		skip_body(&c, &bytes);
		qh = (qh + 1) % sizeof q; qn--;
		if (qn > 0 && q[qh] == 'D') {
			status_line(&c, "DELE");
			qh = (qh + 1) % sizeof q; qn--;
		}
		outstanding--;
		done++;
	}
	command(&c, "QUIT\r\n");
	status_line(&c, "QUIT");
	if (c.ssl)
		SSL_shutdown(c.ssl);
	close(c.fd);
	printf("msgs=%ld bytes=%llu\n", n, (unsigned long long)bytes);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write stdout");
	return 0;
}
