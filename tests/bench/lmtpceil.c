/*
 * lmtpceil: the LMTP ceiling of the benchmark. A minimal LMTP client that
 * replays the corpus into a server over K parallel sessions, each fully
 * pipelined: MAIL, RCPT and DATA go out together; on DATA's 354 the
 * prepared message (already in CR LF with dot-stuffing and the final
 * "." line: corpus.py lmtp) goes out with sendfile(2), followed at once
 * by the next message's MAIL, RCPT and DATA, so the server never waits
 * for a round trip. It reads every reply and checks its code, and does
 * nothing else: no routing, no spool, no notes, no disk work. Its rate is
 * the most any LMTP client can get out of this server; mdrop-deliver -l
 * is reported as a fraction of it.
 *
 * Why it is this way: one poll(2) loop over K non-blocking sockets;
 * sessions take the next message from one shared counter, so a session
 * stuck on a large message never holds back the others. Messages are
 * delivered one recipient each (the corpus's envelope recipient).
 *
 *   lmtpceil [-a] [-k K] -e unix:/path|host:port CORPUS
 *
 * -a: a session sends the next envelope only after the replies to the
 * message before (as mdrop-deliver does), not right after its ".".
 *
 * CORPUS is corpus.py's directory: MANIFEST (NAME RECIPIENT SENDER ...)
 * and lmtp/NAME, the prepared messages. Prints "msgs=N bytes=B" (B: bytes
 * of DATA sent) on stdout. Exit 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define KMAX 64
#define QMAX 16		/* replies one session may be waiting for */

enum want { W_GREET, W_LHLO, W_MAIL, W_RCPT, W_DATA, W_FINAL, W_QUIT };

struct msg {
	char *name, *rcpt, *sender;
};

struct sess {
	int fd;
	int done;
	char in[8192];
	size_t inlen;
	char out[4096];
	size_t outoff, outlen;
	int out_after_body;	/* out goes after the body in flight */
	int bodyfd;		/* -1: no body in flight */
	off_t bodyoff, bodylen;
	enum want q[QMAX];	/* replies expected, in order */
	long qm[QMAX];		/* their message */
	size_t qh, qn;
	int pipelining;		/* LHLO's reply announced PIPELINING */
};

static struct msg *msgs;
static long nmsgs, next_msg, delivered;
static int after_final;		/* -a: the next envelope after the replies */
static uint64_t bytes_sent;
static const char *corpus;

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lmtpceil: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void load_manifest(void)
{
	char path[4096], line[4096];
	long cap = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/MANIFEST", corpus);
	if ((f = fopen(path, "r")) == NULL)
		die("cannot open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		char *name = strtok(line, "\t\n"), *rcpt = strtok(NULL, "\t\n"),
		    *sender = strtok(NULL, "\t\n");

		if (name == NULL || rcpt == NULL || sender == NULL)
			die("%s: bad line", path);
		if (nmsgs == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((msgs = realloc(msgs, (size_t)cap * sizeof *msgs)) ==
			    NULL)
				die("out of memory");
		}
		msgs[nmsgs].name = strdup(name);
		msgs[nmsgs].rcpt = strdup(rcpt);
		msgs[nmsgs].sender = strdup(sender);
		if (!msgs[nmsgs].name || !msgs[nmsgs].rcpt ||
		    !msgs[nmsgs].sender)
			die("out of memory");
		nmsgs++;
	}
	fclose(f);
}

static int dial(const char *ep)
{
	int fd = -1;

	if (strncmp(ep, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		if (strlen(ep + 5) >= sizeof sun.sun_path)
			die("socket path too long: %s", ep + 5);
		strcpy(sun.sun_path, ep + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun,
		    sizeof sun) < 0)
			die("cannot connect to %s: %s", ep, strerror(errno));
	} else {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res,
		    *ai;
		char host[256];
		const char *colon = strrchr(ep, ':');
		int e;

		if (colon == NULL || (size_t)(colon - ep) >= sizeof host)
			die("bad endpoint %s", ep);
		memcpy(host, ep, (size_t)(colon - ep));
		host[colon - ep] = '\0';
		if ((e = getaddrinfo(host, colon + 1, &hints, &res)) != 0)
			die("%s: %s", ep, gai_strerror(e));
		for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype, 0);
			if (fd >= 0 && connect(fd, ai->ai_addr,
			    ai->ai_addrlen) < 0) {
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(res);
		if (fd < 0)
			die("cannot connect to %s", ep);
	}
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		die("fcntl: %s", strerror(errno));
	return fd;
}

static void expect(struct sess *s, enum want w, long m)
{
	if (s->qn == QMAX)
		die("reply queue full");
	s->q[(s->qh + s->qn) % QMAX] = w;
	s->qm[(s->qh + s->qn) % QMAX] = m;
	s->qn++;
}

static void queue_cmd(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void queue_cmd(struct sess *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->outoff == s->outlen)
		s->outoff = s->outlen = 0;
	va_start(ap, fmt);
	n = vsnprintf(s->out + s->outlen, sizeof s->out - s->outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof s->out - s->outlen)
		die("command buffer full");
	s->outlen += (size_t)n;
}

/* Take the next message, if any, and pipeline its envelope. */
static int start_msg(struct sess *s)
{
	long m;

	if (next_msg >= nmsgs)
		return 0;
	m = next_msg++;
	queue_cmd(s, "MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n",
	    msgs[m].sender, msgs[m].rcpt);
	expect(s, W_MAIL, m);
	expect(s, W_RCPT, m);
	expect(s, W_DATA, m);
	return 1;
}

static void open_body(struct sess *s, long m)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof path, "%s/lmtp/%s", corpus, msgs[m].name);
	if ((s->bodyfd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(s->bodyfd, &st) < 0)
		die("cannot open %s: %s", path, strerror(errno));
	s->bodyoff = 0;
	s->bodylen = st.st_size;
}

/* One whole reply has arrived: code, and the expectation it answers. */
static void on_reply(struct sess *s, int code, const char *line)
{
	enum want w;
	long m;
	int ok;

	if (s->qn == 0)
		die("unexpected reply: %s", line);
	w = s->q[s->qh];
	m = s->qm[s->qh];
	s->qh = (s->qh + 1) % QMAX;
	s->qn--;
	switch (w) {
	case W_GREET: ok = code == 220; break;
	case W_DATA: ok = code == 354; break;
	case W_QUIT: ok = code == 221; break;
	default: ok = code / 100 == 2; break;
	}
	if (!ok)
		die("%s: unexpected reply: %s", m >= 0 ? msgs[m].name :
		    "session", line);
	switch (w) {
	case W_GREET:
		queue_cmd(s, "LHLO lmtpceil.test\r\n");
		expect(s, W_LHLO, -1);
		break;
	case W_LHLO:
		if (!start_msg(s)) {
			queue_cmd(s, "QUIT\r\n");
			expect(s, W_QUIT, -1);
		}
		break;
	case W_DATA:
		open_body(s, m);
		expect(s, W_FINAL, m);	/* comes before the next envelope's */
		s->out_after_body = 1;
		if (!after_final)
			start_msg(s);	/* its envelope right after the "." */
		break;
	case W_FINAL:
		delivered++;
		if (s->qn == 0 && after_final && start_msg(s))
			break;
		if (s->qn == 0) {
			queue_cmd(s, "QUIT\r\n");
			expect(s, W_QUIT, -1);
		}
		break;
	case W_QUIT:
		s->done = 1;
		break;
	default:
		break;
	}
}

static void read_replies(struct sess *s)
{
	ssize_t r = read(s->fd, s->in + s->inlen, sizeof s->in - s->inlen);
	char *p, *nl;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0)
		die("read: %s", r == 0 ? "connection closed" :
		    strerror(errno));
	s->inlen += (size_t)r;
	p = s->in;
	while ((nl = memchr(p, '\n', s->inlen - (size_t)(p - s->in))) !=
	    NULL) {
		*nl = '\0';
		if (nl - p < 3)
			die("short reply line");
		if (strstr(p, "PIPELINING") != NULL)
			s->pipelining = 1;
		if (nl - p == 3 || p[3] == ' ' || p[3] == '\r') {
			if (s->qn > 0 && s->q[s->qh] == W_LHLO &&
			    !s->pipelining)
				die("the server does not announce PIPELINING");
			on_reply(s, atoi(p), p);
		}
		p = nl + 1;
	}
	s->inlen -= (size_t)(p - s->in);
	memmove(s->in, p, s->inlen);
	if (s->inlen == sizeof s->in)
		die("reply line too long");
}

static int want_write(const struct sess *s)
{
	return s->bodyfd >= 0 || s->outoff < s->outlen;
}

static void write_some(struct sess *s)
{
	ssize_t w;

	if (s->outoff < s->outlen && !(s->out_after_body && s->bodyfd >= 0)) {
		w = write(s->fd, s->out + s->outoff, s->outlen - s->outoff);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0)
			die("write: %s", strerror(errno));
		s->outoff += (size_t)w;
		return;
	}
	if (s->bodyfd < 0)
		return;
	w = sendfile(s->fd, s->bodyfd, &s->bodyoff,
	    (size_t)(s->bodylen - s->bodyoff));
	if (w < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (w < 0)
		die("sendfile: %s", strerror(errno));
	bytes_sent += (uint64_t)w;
	if (s->bodyoff == s->bodylen) {
		close(s->bodyfd);
		s->bodyfd = -1;
		s->out_after_body = 0;
	}
}

int main(int argc, char **argv)
{
	static struct sess ss[KMAX];
	struct pollfd pfd[KMAX];
	const char *ep = NULL;
	int k = 1, opt, i, live;

	while ((opt = getopt(argc, argv, "ak:e:")) != -1) {
		switch (opt) {
		case 'a': after_final = 1; break;
		case 'k': k = atoi(optarg); break;
		case 'e': ep = optarg; break;
		default: goto usage;
		}
	}
	if (ep == NULL || optind != argc - 1 || k < 1 || k > KMAX)
		goto usage;
	corpus = argv[optind];
	load_manifest();
	for (i = 0; i < k; i++) {
		ss[i].fd = dial(ep);
		ss[i].bodyfd = -1;
		expect(&ss[i], W_GREET, -1);
	}
	for (;;) {
		for (i = 0, live = 0; i < k; i++) {
			pfd[i].fd = ss[i].done ? -1 : ss[i].fd;
			pfd[i].events = POLLIN | (want_write(&ss[i]) ?
			    POLLOUT : 0);
			pfd[i].revents = 0;
			live += !ss[i].done;
		}
		if (live == 0)
			break;
		if (poll(pfd, (nfds_t)k, 600 * 1000) <= 0)
			die("poll: %s", errno ? strerror(errno) : "timeout");
		for (i = 0; i < k; i++) {
			if (pfd[i].revents & POLLOUT)
				write_some(&ss[i]);
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_replies(&ss[i]);
		}
	}
	for (i = 0; i < k; i++)
		close(ss[i].fd);
	if (delivered != nmsgs)
		die("delivered %ld of %ld", delivered, nmsgs);
	printf("msgs=%ld bytes=%llu\n", delivered,
	    (unsigned long long)bytes_sent);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write stdout");
	return 0;
usage:
	fputs("usage: lmtpceil [-a] [-k K] -e unix:/path|host:port CORPUS\n",
	    stderr);
	return 1;
}
