/*
 * mdrop-deliver: records "PATH<TAB>RECIPIENT<TAB>SENDER" on stdin, one
 * delivery per record into a Maildir (-m) or over LMTP (-l).
 *
 * Why it is this way:
 * - Each record is acted on as soon as it arrives: under
 *   "mdrop-fetch --interval" the next record may come hours later, so we
 *   never wait for it. Only when no further record has come for a short
 *   moment (at most BATCH_WAIT_MS after the batch's first record) or the
 *   batch is full do we make it durable and answer (group commit,
 *   deliver/batch.c): fsyncs dominate the cost, and records flowing in
 *   one at a time from fetch share them.
 * - The spool file is removed only after every recipient of its record
 *   group is durably done, and per-recipient progress is itself durable
 *   (common/progress.c), so a crash or a deferral never delivers one
 *   (message, recipient) twice into a Maildir (deliver/maildir.c).
 * - Started as root, nothing is ever created or written as root
 *   (deliver/priv.h): with --user everything is done as that user;
 *   without it each Maildir is written by the owner of its deepest
 *   existing directory (never root, and only through directories no one
 *   else can write) and each spool by its owner, root resting in between
 *   and only looking. So every copy belongs to its recipient, and no
 *   hostile local part or racing user can make root write anywhere.
 * - A broken record is reported with its line number and skipped; it
 *   never stops the others, and the message it names stays in the spool.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/lmtp.h"
#include "common/log.h"
#include "common/rec.h"
#include "common/status.h"
#include "common/tmpl.h"
#include "deliver/batch.h"
#include "deliver/deliver.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"

#define MAX_ENDPOINTS 16

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: mdrop-deliver -m TEMPLATE [options]   (records on stdin)\n"
	    "       mdrop-deliver -l ENDPOINT [-l ENDPOINT...] [options]\n"
	    "  -m, --maildir TEMPLATE   Maildir per recipient, e.g. "
	    "/srv/mail/%d/%l/Maildir\n"
	    "                           %l local part (lower case), %d domain,"
	    "\n"
	    "                           %a whole address, %% a percent sign\n"
	    "      --no-create          a missing Maildir is a permanent "
	    "failure\n"
	    "  -l, --lmtp ENDPOINT      unix:/path, host:port or [v6]:port; "
	    "repeatable\n"
	    "                           (failover, in order)\n"
	    "      --lhlo NAME          LHLO name (default the host name)\n"
	    "      --lmtp-group         all recipients of a message in one "
	    "transaction\n"
	    "      --timeout SECONDS    connect and each reply (default 60)\n"
	    "      --data-timeout SECONDS  replies after the data (default 600)"
	    "\n"
	    "      --idle SECONDS       QUIT an idle LMTP session (default 30)\n"
	    "      --user NAME          as root: deliver as this user\n"
	    "  -q, --quiet              log warnings and errors only\n"
	    "  -v, --verbose            log debug events too\n"
	    "      --help, --version\n"
	    "stdout: PATH<TAB>RECIPIENT<TAB>ok|defer|fail<TAB>detail per record;"
	    " see mdrop-deliver(1)\n", f);
}

static int
number(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v <= 0 || v > 86400) {
		log_error("usage", "option=%s reason=not-1..86400", opt);
		return -1;
	}
	return (int)v;
}

/* A -l value must parse now: a typo is a usage error, not a deferral. */
static int
endpoint_ok(const char *s)
{
	struct lmtp_endpoint ep;
	const char *why = "bad endpoint";
	char q[LOG_QUOTE_MAX], qw[LOG_QUOTE_MAX];

	if (lmtp_endpoint_parse(s, &ep, &why) == 0)
		return 1;
	log_error("usage", "option=-l endpoint=%s reason=%s",
	    log_quote(q, sizeof q, s), log_quote(qw, sizeof qw, why));
	return 0;
}

/* The template's fixed root must exist: a missing one is configuration. */
static enum status
root_exists(const char *tmpl, size_t rootlen)
{
	char root[PATH_MAX], q[LOG_QUOTE_MAX];
	struct stat st;

	snprintf(root, sizeof root, "%.*s", rootlen ? (int)rootlen : 1,
	    rootlen ? tmpl : ".");
	if (stat(root, &st) == 0)
		return ST_OK;
	log_error("cannot-stat", "path=%s error=\"%s\"",
	    log_quote(q, sizeof q, root), strerror(errno));
	return ST_CONFIG;
}

/* A whole line is buffered, or input ended: reading will not block. */
static int
line_ready(const struct io_reader *r)
{
	return r->eof || memchr(r->buf + r->start, '\n', r->end - r->start)
	    != NULL;
}

/* Is the next buffered record for the same PATH? */
static int
next_same_path(const struct io_reader *r, const char *path)
{
	size_t avail = r->end - r->start, len = strlen(path);
	const char *p = r->buf + r->start;

	return memchr(p, '\n', avail) != NULL && avail > len &&
	    memcmp(p, path, len) == 0 && p[len] == '\t';
}

/* Wait for input; with LMTP, QUIT the session after idle seconds. */
static void
wait_input(struct lmtp_client *lmtp, int idle)
{
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	int timeout = lmtp != NULL ? idle * 1000 : -1;

	while (!stop) {
		int r = poll(&pfd, 1, timeout);

		if (r > 0 || (r < 0 && errno != EINTR))
			return;
		if (r == 0) {
			lmtp_client_quit(lmtp);
			timeout = -1;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "maildir", required_argument, NULL, 'm' },
		{ "lmtp", required_argument, NULL, 'l' },
		{ "lhlo", required_argument, NULL, 'H' },
		{ "lmtp-group", no_argument, NULL, 'G' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "data-timeout", required_argument, NULL, 'D' },
		{ "idle", required_argument, NULL, 'I' },
		{ "no-create", no_argument, NULL, 'N' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *endpoints[MAX_ENDPOINTS], *tmpl = NULL, *user = NULL;
	struct lmtp_opts lo = { .timeout = 60, .data_timeout = 600 };
	struct maildir_opts mo = { .create = 1 };
	struct maildir *md = NULL;
	struct lmtp_client *lmtp = NULL;
	struct sigaction sa;
	struct io_reader rd;
	struct batch *b;
	enum status st = ST_OK;
	unsigned long lineno = 0;
	size_t rootlen;
	int c, idle = 30, fd;
	char line[REC_LINE_MAX + 1];

	log_init("mdrop-deliver");
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;	/* fds 0-2 closed: keep them from being reused */
	if (fd > 2)
		close(fd);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:l:qv", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':	tmpl = optarg; break;
		case 'l':
			if (lo.nendpoints == MAX_ENDPOINTS) {
				log_error("usage", "reason=too-many-endpoints");
				return status_exitcode(ST_USAGE);
			}
			if (!endpoint_ok(optarg))
				return status_exitcode(ST_USAGE);
			endpoints[lo.nendpoints++] = optarg;
			break;
		case 'H':	lo.lhlo = optarg; break;
		case 'G':	lo.group_rcpts = 1; break;
		case 'T':	lo.timeout = number(optarg, "--timeout"); break;
		case 'D':	lo.data_timeout = number(optarg,
				    "--data-timeout"); break;
		case 'I':	idle = number(optarg, "--idle"); break;
		case 'N':	mo.create = 0; break;
		case 'u':	user = optarg; break;
		case 'q':	log_set_level(LOG_WARN); break;
		case 'v':	log_set_level(LOG_DEBUG); break;
		case 'h':	usage(stdout); return 0;
		case 'V':	puts("mdrop-deliver " MDROP_VERSION); return 0;
		default:
			log_bad_option(c, optopt, argv[optind - 1]);
			usage(stderr);
			return status_exitcode(ST_USAGE);
		}
		if (lo.timeout < 0 || lo.data_timeout < 0 || idle < 0)
			return status_exitcode(ST_USAGE);
	}
	if (optind != argc || (tmpl == NULL) == (lo.nendpoints == 0)) {
		log_error("usage", "reason=%s", optind != argc ?
		    "unexpected-argument" : "need-exactly-one-of-m-or-l");
		usage(stderr);
		return status_exitcode(ST_USAGE);
	}
	if (tmpl != NULL && tmpl_check(tmpl, &rootlen) != TMPL_OK) {
		log_error("usage", "reason=bad-template template=%s", tmpl);
		return status_exitcode(ST_USAGE);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_term;	/* no SA_RESTART: poll() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((st = priv_start(user, tmpl == NULL)) != ST_OK ||
	    (tmpl != NULL && (st = root_exists(tmpl, rootlen)) != ST_OK))
		return status_exitcode(st);
	mo.tmpl = tmpl;
	lo.endpoints = endpoints;
	if ((tmpl != NULL && (md = maildir_new(&mo)) == NULL) ||
	    (tmpl == NULL && (lmtp = lmtp_client_new(&lo)) == NULL) ||
	    (b = batch_new(md, lmtp, stdout)) == NULL ||
	    io_reader_fd(&rd, 0, REC_LINE_MAX + 1) < 0) {
		log_error("out-of-memory", NULL);
		return status_exitcode(ST_TEMPFAIL);
	}
	while (!stop) {
		struct io_line l;
		struct rec r;
		enum rec_error e;
		int got;

		if (!line_ready(&rd)) {
			struct pollfd pfd = { .fd = 0, .events = POLLIN };
			long long age;
			int pr = poll(&pfd, 1, 0);

			/* records flowing: give the batch a moment to grow */
			while (pr == 0 && !stop && (age = batch_age(b)) >= 0 &&
			    age < BATCH_WAIT_MS)
				pr = poll(&pfd, 1, (int)(BATCH_WAIT_MS - age));
			if (pr <= 0) {
				st = status_worse(st, batch_commit(b));
				if (st == ST_IOERR)
					break;	/* stdout is gone */
				wait_input(lmtp, idle);
				if (stop)
					break;
			}
		}
		if ((got = io_getline(&rd, &l)) <= 0) {
			if (got < 0) {
				log_error("read", "file=stdin error=\"%s\"",
				    strerror(errno));
				st = status_worse(st, ST_IOERR);
			}
			break;
		}
		lineno++;
		if (!l.complete) {	/* over REC_LINE_MAX: skip the rest */
			const char *tab = memchr(l.data, '\t', l.len);

			if (tab != NULL)
				batch_taint(b, l.data, (size_t)(tab - l.data));
			while ((got = io_getline(&rd, &l)) > 0 && !l.complete)
				;
			log_error("bad-record", "line=%lu reason=too-long", lineno);
			st = status_worse(st, ST_DATAERR);
			continue;
		}
		memcpy(line, l.data, l.len);
		if ((e = rec_parse(line, l.len, &r)) != REC_OK) {
			const char *tab = memchr(l.data, '\t', l.len);

			if (tab != NULL)
				batch_taint(b, l.data, (size_t)(tab - l.data));
			log_error("bad-record", "line=%lu reason=%s", lineno,
			    rec_error_name(e));
			st = status_worse(st, ST_DATAERR);
			continue;
		}
		st = status_worse(st, batch_record(b, r.path, r.rcpt, r.sender,
		    next_same_path(&rd, r.path)));
		if (batch_groups(b) >= BATCH_GROUPS)
			st = status_worse(st, batch_commit(b));
	}
	if (stop)
		st = status_worse(st, ST_TEMPFAIL);	/* group in hand: kept */
	else
		batch_close(b);
	batch_final(b);
	st = status_worse(st, batch_commit(b));
	batch_free(b);
	io_reader_free(&rd);
	maildir_free(md);
	if (lmtp != NULL) {
		lmtp_client_quit(lmtp);
		lmtp_client_free(lmtp);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		st = status_worse(st, ST_IOERR);
	return status_exitcode(st);
}
