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
 *   group is durably done, and per-recipient results are themselves
 *   durable (deliver/notes.c), so a crash or a deferral never delivers one
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
#include "common/tool.h"
#include "deliver/batch.h"
#include "deliver/lmtp.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"

#define MAX_ENDPOINTS 16

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

/* Is the next buffered line a record for the same PATH? */
static int
next_same_path(const struct io_reader *r, const char *path)
{
	size_t n, len = strlen(path);
	const char *p;

	return io_peek_line(r, &p, &n) && n > len &&
	    memcmp(p, path, len) == 0 && p[len] == '\t';
}

/*
 * No whole line is buffered: give a flowing batch a moment to grow, else
 * commit it and wait for input (QUIT an idle LMTP session after idle
 * seconds). Returns 1 when there is input, 0 when we must stop (a stop
 * signal, or stdout is gone).
 */
static int
wait_for_line(struct batch *b, struct lmtp_client *lmtp, int idle,
    enum status *st)
{
	long long age;
	int r = tool_wait_input(0, 0);

	while (r == 0 && (age = batch_age(b)) >= 0 && age < BATCH_WAIT_MS)
		r = tool_wait_input(0, (int)(BATCH_WAIT_MS - age));
	if (r != 0)
		return r > 0;
	*st = status_worse(*st, batch_commit(b));
	if (*st == ST_IOERR)
		return 0;	/* stdout is gone */
	r = tool_wait_input(0, lmtp != NULL ? idle * 1000 : -1);
	if (r == 0) {
		lmtp_client_quit(lmtp);
		r = tool_wait_input(0, -1);
	}
	return r > 0;
}

/* One whole line (or the first piece of one too long) into the batch. */
static enum status
take_line(struct batch *b, const struct io_reader *rd,
    const struct io_line *l, unsigned long lineno)
{
	char line[REC_LINE_MAX + 1];
	enum rec_error e = REC_TOO_LONG;
	const char *tab;
	struct rec r;

	if (l->complete && l->len <= REC_LINE_MAX) {
		memcpy(line, l->data, l->len);
		e = rec_parse(line, l->len, &r);
	}
	if (e == REC_OK && r.rcpt == NULL)
		return batch_end(b, r.path);
	if (e == REC_OK)
		return batch_record(b, r.path, r.rcpt, r.sender,
		    next_same_path(rd, r.path));
	/* never close the group in hand on a line we cannot read */
	tab = memchr(l->data, '\t', l->len);
	batch_broken(b, l->data, tab != NULL ? (size_t)(tab - l->data) : 0);
	log_error("bad-record", "line=%lu reason=%s", lineno,
	    rec_error_name(e));
	return ST_DATAERR;
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
	struct io_reader rd;
	struct batch *b;
	enum status st = ST_OK;
	unsigned long lineno = 0;
	size_t rootlen;
	int c, idle = 30, fd;

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
	tool_catch_stop();	/* a stop waits for the line in hand */
	if ((st = priv_start(user, tmpl == NULL)) != ST_OK ||
	    (tmpl != NULL && (st = root_exists(tmpl, rootlen)) != ST_OK))
		return status_exitcode(st);
	mo.tmpl = tmpl;
	lo.endpoints = endpoints;
	if ((tmpl != NULL && (md = maildir_new(&mo)) == NULL) ||
	    (tmpl == NULL && (lmtp = lmtp_client_new(&lo)) == NULL) ||
	    (b = batch_new(md, lmtp, stdout)) == NULL ||
	    io_reader_init(&rd, tool_pull_stdin, NULL, REC_LINE_MAX + 1) < 0) {
		log_error("out-of-memory", NULL);
		return status_exitcode(ST_TEMPFAIL);
	}
	while (!tool_stopping()) {
		struct io_line l;
		int got;

		if (!io_line_ready(&rd) && !wait_for_line(b, lmtp, idle, &st))
			break;
		if ((got = io_getline(&rd, &l)) <= 0) {
			if (got < 0 && errno != EINTR) {
				log_error("read", "file=stdin error=\"%s\"",
				    strerror(errno));
				st = status_worse(st, ST_IOERR);
			}
			break;
		}
		lineno++;
		st = status_worse(st, take_line(b, &rd, &l, lineno));
		while (!l.complete && (got = io_getline(&rd, &l)) > 0)
			;	/* the rest of a line too long */
		if (batch_groups(b) >= BATCH_GROUPS)
			st = status_worse(st, batch_commit(b));
	}
	if (tool_stopping())
		st = status_worse(st, ST_TEMPFAIL);	/* unread lines wait */
	st = status_worse(st, batch_input_end(b));
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
