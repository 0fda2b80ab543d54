#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/ascii.h"
#include "common/io.h"
#include "common/tls.h"

#define TLS_READ_BUF	(64u << 10)	/* OpenSSL's read-ahead buffer */

void
tls_init(struct tls_conn *c, int timeout_s)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->timeout_ms = timeout_s > 0 && timeout_s < 86400 ? timeout_s * 1000
	    : 60000;
}

int
tls_active(const struct tls_conn *c)
{
	return c->ssl != NULL;
}


/* -1 with ECANCELED once c->cancel says stop, else 0 (asked at most
 * every TLS_CANCEL_ASK_MS). */
static int
cancelled(struct tls_conn *c)
{
	long long now;

	if (c->cancel == NULL)
		return 0;
	if ((now = io_now_ms()) < c->cancel_next)
		return 0;
	c->cancel_next = now + TLS_CANCEL_ASK_MS;
	if (!c->cancel())
		return 0;
	snprintf(c->err, sizeof c->err, "interrupted by a signal");
	errno = ECANCELED;
	return -1;
}

/* Wait until fd is ready for ev, the idle deadline or c->until_ms passes,
 * or c->cancel says stop (asked at least every TLS_CANCEL_MS). 0 or -1, with
 * the reason in c->err. */
static int
wait_fd(struct tls_conn *c, short ev, long long deadline)
{
	int hard = c->until_ms > 0 && c->until_ms < deadline;

	if (hard)
		deadline = c->until_ms;
	for (;;) {
		long long slice = io_now_ms() + TLS_CANCEL_MS;

		if (cancelled(c) < 0)
			return -1;
		if (io_wait_fd(c->fd, ev, slice < deadline ? slice : deadline)
		    == 0)
			return 0;
		if (errno != ETIMEDOUT || io_now_ms() < deadline) {
			if (errno == ETIMEDOUT)
				continue;	/* a slice, not the deadline */
			snprintf(c->err, sizeof c->err, "poll: %s",
			    strerror(errno));
			return -1;
		}
		if (hard)
			snprintf(c->err, sizeof c->err, "deadline passed");
		else
			snprintf(c->err, sizeof c->err, "timed out after %d s",
			    c->timeout_ms / 1000);
		errno = ETIMEDOUT;
		return -1;
	}
}

static void
set_errno_err(struct tls_conn *c, const char *what)
{
	snprintf(c->err, sizeof c->err, "%s: %s", what, strerror(errno));
}

int
tls_connect(struct tls_conn *c, const char *host, const char *port)
{
	struct addrinfo hints, *res = NULL, *ai;
	int r, e = ECONNREFUSED;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		snprintf(c->err, sizeof c->err, "cannot resolve: %s",
		    gai_strerror(r));
		errno = r == EAI_SYSTEM ? errno : EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		long long deadline = io_now_ms() + c->timeout_ms;
		socklen_t len = sizeof e;
		int fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);

		if (fd < 0) {
			e = errno;
			set_errno_err(c, "socket");
			continue;
		}
		c->fd = fd;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			return 0;
		}
		if (errno != EINPROGRESS)
			e = errno;
		else if (wait_fd(c, POLLOUT, deadline) < 0)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		else if (e == 0) {
			freeaddrinfo(res);
			return 0;
		}
		errno = e;
		set_errno_err(c, "connect");
		close(fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	errno = e;
	return -1;
}

/* Record OpenSSL's reason for a failure; errno = e. */
static int
ssl_fail(struct tls_conn *c, const char *what, int e)
{
	unsigned long code = ERR_get_error();
	char buf[200] = "unknown error";

	if (code != 0)
		ERR_error_string_n(code, buf, sizeof buf);
	else if (errno != 0)
		snprintf(buf, sizeof buf, "%s", strerror(errno));
	snprintf(c->err, sizeof c->err, "%s: %s", what, buf);
	ERR_clear_error();
	errno = e;
	return -1;
}

/* Wait as SSL asks after a WANT_READ/WANT_WRITE; -1 on other errors. */
static int
ssl_wait(struct tls_conn *c, int r, long long deadline, const char *what)
{
	int err = SSL_get_error(c->ssl, r);

	if (err == SSL_ERROR_WANT_READ)
		return wait_fd(c, POLLIN, deadline);
	if (err == SSL_ERROR_WANT_WRITE)
		return wait_fd(c, POLLOUT, deadline);
	if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		if (errno == 0 || errno == EAGAIN) {
			snprintf(c->err, sizeof c->err,
			    "%s: connection closed without close_notify", what);
			errno = EPROTO;
			return -1;
		}
		return ssl_fail(c, what, errno == EPIPE ? EPIPE : ECONNRESET);
	}
	return ssl_fail(c, what, EPROTO);
}

/* Did the handshake fail for want of a protocol version both allow (the
 * server offers nothing from TLS 1.2 on)? Then retrying cannot help. */
static int
below_tls12(unsigned long code)
{
	switch (ERR_GET_REASON(code)) {
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		return ERR_GET_LIB(code) == ERR_LIB_SSL;
	}
	return 0;
}

static int
is_ip_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

static int
check_pin(struct tls_conn *c, const unsigned char *pin)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509 *cert = SSL_get1_peer_certificate(c->ssl);
	char hex[TLS_PIN_LEN * 2 + 1];
	int ok;

	if (cert == NULL) {
		snprintf(c->err, sizeof c->err, "no server certificate");
		errno = EPERM;
		return -1;
	}
	ok = X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 &&
	    mdlen == TLS_PIN_LEN && CRYPTO_memcmp(md, pin, TLS_PIN_LEN) == 0;
	X509_free(cert);
	if (ok)
		return 0;
	for (i = 0; i < mdlen && i < TLS_PIN_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * i] = '\0';
	snprintf(c->err, sizeof c->err,
	    "certificate fingerprint mismatch: server has sha256=%s", hex);
	errno = EPERM;
	return -1;
}

int
tls_start(struct tls_conn *c, const struct tls_opts *o)
{
	long long deadline = io_now_ms() + c->timeout_ms;
	SSL_CTX *ctx;
	SSL *ssl;
	int r;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		return ssl_fail(c, "SSL_CTX_new", ENOMEM);
	c->ctx = ctx;
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		return ssl_fail(c, "TLS 1.2 minimum", EPROTO);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read ahead into a 64 KiB buffer: one read(2) brings several
	 * records instead of two reads (header, body) per record. Bytes
	 * OpenSSL holds are returned by SSL_read before poll(2) is asked,
	 * so nothing waits on data already here. */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUF);
	if (o->pin != NULL)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);	/* pin below */
	else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if (o->cafile != NULL) {
			if (SSL_CTX_load_verify_locations(ctx, o->cafile,
			    NULL) != 1)
				return ssl_fail(c, "cannot load CA file", EINVAL);
		} else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			return ssl_fail(c, "cannot load the system CA store",
			    EINVAL);
	}
	ssl = SSL_new(ctx);
	if (ssl == NULL)
		return ssl_fail(c, "SSL_new", ENOMEM);
	c->ssl = ssl;
	if (SSL_set_fd(ssl, c->fd) != 1)
		return ssl_fail(c, "SSL_set_fd", EPROTO);
	if (is_ip_literal(o->host)) {
		if (o->pin == NULL && X509_VERIFY_PARAM_set1_ip_asc(
		    SSL_get0_param(ssl), o->host) != 1)
			return ssl_fail(c, "IP check", EINVAL);
	} else {
		char sni[256];

		if (snprintf(sni, sizeof sni, "%s", o->host) >= (int)sizeof sni)
			return ssl_fail(c, "SNI: host name too long", EINVAL);
		if (SSL_set_tlsext_host_name(ssl, sni) != 1)
			return ssl_fail(c, "SNI", EINVAL);
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		if (o->pin == NULL && SSL_set1_host(ssl, o->host) != 1)
			return ssl_fail(c, "host check", EINVAL);
	}
	for (;;) {
		errno = 0;
		r = SSL_connect(ssl);
		if (r == 1)
			break;
		if (o->pin == NULL && SSL_get_verify_result(ssl) != X509_V_OK) {
			snprintf(c->err, sizeof c->err,
			    "certificate verify failed: %s",
			    X509_verify_cert_error_string(
			    SSL_get_verify_result(ssl)));
			ERR_clear_error();
			errno = EPERM;
			return -1;
		}
		if (SSL_get_error(ssl, r) == SSL_ERROR_SSL &&
		    below_tls12(ERR_peek_error()))	/* the server's lack */
			return ssl_fail(c, "TLS handshake (TLS 1.2 or later "
			    "required)", EPERM);
		if (ssl_wait(c, r, deadline, "TLS handshake") < 0)
			return -1;
	}
	if (o->pin != NULL)
		return check_pin(c, o->pin);
	if (SSL_get_verify_result(ssl) != X509_V_OK) {
		snprintf(c->err, sizeof c->err, "certificate not verified");
		errno = EPERM;
		return -1;
	}
	return 0;
}

ssize_t
tls_read(struct tls_conn *c, void *buf, size_t n)
{
	long long deadline = io_now_ms() + c->timeout_ms;

	for (;;) {
		if (cancelled(c) < 0)
			return -1;	/* even while data keeps coming */
		if (c->ssl != NULL) {
			size_t got = 0;
			int r;

			errno = 0;
			r = SSL_read_ex(c->ssl, buf, n, &got);
			if (r == 1)
				return (ssize_t)got;
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN)
				return 0;
			if (ssl_wait(c, r, deadline, "TLS read") < 0)
				return -1;
		} else {
			ssize_t r = read(c->fd, buf, n);

			if (r >= 0)
				return r;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				set_errno_err(c, "read");
				return -1;
			}
			if (wait_fd(c, POLLIN, deadline) < 0)
				return -1;
		}
	}
}

int
tls_write_all(struct tls_conn *c, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		long long deadline = io_now_ms() + c->timeout_ms;

		if (cancelled(c) < 0)
			return -1;
		if (c->ssl != NULL) {
			size_t put = 0;
			int r;

			errno = 0;
			r = SSL_write_ex(c->ssl, p, n, &put);
			if (r == 1) {
				p += put;
				n -= put;
				continue;
			}
			if (ssl_wait(c, r, deadline, "TLS write") < 0)
				return -1;
		} else {
			ssize_t r = write(c->fd, p, n);

			if (r >= 0) {
				p += r;
				n -= (size_t)r;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				set_errno_err(c, "write");
				return -1;
			}
			if (wait_fd(c, POLLOUT, deadline) < 0)
				return -1;
		}
	}
	return 0;
}

void
tls_close(struct tls_conn *c)
{
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);	/* one try: non-blocking */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->ctx != NULL) {
		SSL_CTX_free(c->ctx);
		c->ctx = NULL;
	}
	ERR_clear_error();
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int
tls_channel_binding(const struct tls_conn *c, enum tls_cb *type,
    unsigned char *out, size_t n)
{
	static const char label[] = "EXPORTER-Channel-Binding";
	SSL *ssl = c->ssl;
	size_t len;

	*type = TLS_CB_NONE;
	if (ssl == NULL || n < TLS_CB_MAX)
		return -1;
	switch (SSL_version(ssl)) {
	case TLS1_3_VERSION:
		/* RFC 9266 section 2: 32 bytes, an empty context */
		if (SSL_export_keying_material(ssl, out, 32, label,
		    sizeof label - 1, (const unsigned char *)"", 0, 1) != 1)
			return -1;
		*type = TLS_CB_EXPORTER;
		return 32;
	case TLS1_2_VERSION:
		if (SSL_get_extms_support(ssl) != 1 || SSL_session_reused(ssl))
			return -1;
		/* RFC 5929 section 3.1: the first Finished of the latest
		 * handshake, the client's in a full handshake */
		len = SSL_get_finished(ssl, out, n);
		if (len == 0 || len > n)
			return -1;
		*type = TLS_CB_UNIQUE;
		return (int)len;
	default:
		return -1;
	}
}

const char *
tls_cb_name(enum tls_cb type)
{
	switch (type) {
	case TLS_CB_UNIQUE: return "tls-unique";
	case TLS_CB_EXPORTER: return "tls-exporter";
	case TLS_CB_NONE: break;
	}
	return NULL;
}

const char *
tls_describe(const struct tls_conn *c)
{
	static char buf[128];

	if (c->ssl == NULL)
		return "plain";
	snprintf(buf, sizeof buf, "%s/%s", SSL_get_version(c->ssl),
	    SSL_get_cipher_name(c->ssl));
	return buf;
}

int
tls_parse_pin(const char *hex, unsigned char pin[TLS_PIN_LEN])
{
	size_t i = 0, o = 0;

	while (o < TLS_PIN_LEN) {
		int hi, lo;

		if (o > 0 && hex[i] == ':')
			i++;
		hi = ascii_hexval((unsigned char)hex[i]);
		if (hi < 0)
			return -1;
		lo = ascii_hexval((unsigned char)hex[i + 1]);
		if (lo < 0)
			return -1;
		pin[o++] = (unsigned char)(hi << 4 | lo);
		i += 2;
	}
	return hex[i] == '\0' ? 0 : -1;
}

int
tls_cafile_check(const char *path, char *why, size_t n)
{
	X509_STORE *store;
	struct stat st;
	int ok;

	if (stat(path, &st) < 0) {
		snprintf(why, n, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, n, "not a regular file");
		return -2;
	}
	if ((store = X509_STORE_new()) == NULL) {
		snprintf(why, n, "out of memory");
		return -2;
	}
	ERR_clear_error();
	ok = X509_STORE_load_file(store, path) == 1 &&
	    sk_X509_OBJECT_num(X509_STORE_get0_objects(store)) > 0;
	ERR_clear_error();
	X509_STORE_free(store);
	if (ok)
		return 0;
	if (access(path, R_OK) < 0) {
		snprintf(why, n, "%s", strerror(errno));
		return -1;
	}
	snprintf(why, n, "no PEM certificate in it");
	return -2;
}
