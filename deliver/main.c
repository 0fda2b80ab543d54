/*
 * mdrop-deliver: records "PATH<TAB>RECIPIENT<TAB>SENDER", each message's
 * ended by "PATH" alone, on stdin; one delivery per record into a Maildir
 * (-m) or over LMTP (-l); a result line per record on stdout.
 *
 * Why it is this way:
 * - Each record is acted on as soon as it arrives: under
 *   "mdrop-fetch --interval" the next record may come hours later, so we
 *   never wait for it. Only when no further record has come for a short
 *   moment (at most BATCH_WAIT_MS after the batch's first record) or the
 *   batch is full do we make it durable and answer (group commit,
 *   deliver/input.c, deliver/commit.c): fsyncs dominate the cost, and
 *   records flowing in one at a time from fetch share them.
 * - The spool file is removed only after its group of records has ended
 *   and every recipient of it is durably done, and per-recipient results
 *   are themselves durable (deliver/notes.c), so a crash, a writer that
 *   died half-way or a deferral never delivers one (message, recipient)
 *   twice into a Maildir (deliver/maildir.c) and never loses one.
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
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/addr.h"
#include "common/lmtp.h"
#include "common/log.h"
#include "common/status.h"
#include "common/tmpl.h"
#include "common/tool.h"
#include "deliver/batch.h"
#include "deliver/input.h"
#include "deliver/lmtp.h"
#include "deliver/maildir.h"
#include "deliver/priv.h"

#define MAX_ENDPOINTS 16
/* LMTP sessions at once by default: see mdrop-deliver(1), --lmtp-sessions */
#define LMTP_SESSIONS_DEFAULT 4

static const char usage_text[] =
"usage: mdrop-deliver -m TEMPLATE [options]   (records on stdin)\n"
"       mdrop-deliver -l ENDPOINT [-l ENDPOINT...] [options]\n"
"  -m, --maildir TEMPLATE   Maildir per recipient, e.g. /srv/mail/%d/%l/Maildir\n"
"                           %l local part (lower case), %d domain,\n"
"                           %a whole address, %e the detail, %% a percent sign\n"
"      --no-create          a missing Maildir is a permanent failure\n"
"      --delimiter CHARS    subaddresses: %l is the user without the detail\n"
"      --detail-folder      alice+shop into alice's folder .shop when it exists\n"
"      --unknown-to ADDRESS an unknown recipient's copy goes there instead\n"
"  -l, --lmtp ENDPOINT      unix:/path, host:port or [v6]:port; repeatable\n"
"                           (failover, in order)\n"
"      --lhlo NAME          LHLO name (default the host name)\n"
"      --lmtp-group         all recipients of a message in one transaction\n"
"      --lmtp-sessions N    messages in flight at once, 1-64 (default 4)\n"
"      --timeout SECONDS    connect and each reply (default 60)\n"
"      --data-timeout SECONDS  replies after the data (default 600)\n"
"      --idle SECONDS       QUIT an idle LMTP session (default 30)\n"
"      --user NAME          as root: deliver as this user\n"
"  -q, --quiet              log warnings and errors only\n"
"  -v, --verbose            log debug events too\n"
"      --help, --version\n"
"stdout: PATH<TAB>RECIPIENT<TAB>ok|defer|fail<TAB>detail per record;"
" see mdrop-deliver(1)\n";

struct config {
	const char *tmpl;		/* -m, or NULL */
	const char *user;		/* --user, or NULL */
	const char *unknown_to;		/* --unknown-to, or NULL */
	const char *endpoints[MAX_ENDPOINTS];
	struct lmtp_opts lo;
	struct maildir_opts mo;
	unsigned long idle;
	size_t rootlen;			/* of tmpl's fixed root */
};

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

/* --delimiter CHARS as mdrop-split takes them; 1, or 0 (logged). */
static int
delimiters(const char *s)
{
	char q[LOG_QUOTE_MAX];

	if (addr_delimiters_ok(s))
		return 1;
	log_error("usage", "option=--delimiter value=%s reason=not-atext",
	    log_quote(q, sizeof q, s));
	return 0;
}

/* --unknown-to ADDRESS: one address; 1, or 0 (logged). */
static int
address(const char *s)
{
	char q[LOG_QUOTE_MAX];
	struct addr a;

	if (addr_parse_spec(s, strlen(s), &a) == ADDR_OK)
		return 1;
	log_error("usage", "option=--unknown-to value=%s reason=bad-address",
	    log_quote(q, sizeof q, s));
	return 0;
}

/* A number of seconds for option opt into *v; 0, or -1 (logged). */
static int
seconds(const char *s, const char *opt, int *v)
{
	unsigned long n;

	if (tool_number(s, opt, 1, 86400, &n) < 0)
		return -1;
	*v = (int)n;
	return 0;
}

/* The options that go together, checked; -1 to go on, else the exit
 * code. */
static int
check_args(struct config *c)
{
	char q[LOG_QUOTE_MAX];

	if ((c->tmpl == NULL) == (c->lo.nendpoints == 0))
		return tool_usage(usage_text,
		    "reason=need-exactly-one-of-m-or-l");
	if (c->tmpl == NULL && (c->mo.delimiters != NULL ||
	    c->mo.detail_folder))
		return tool_usage(usage_text, "reason=%s-needs-m",
		    c->mo.detail_folder ? "detail-folder" : "delimiter");
	if (c->mo.detail_folder && c->mo.delimiters == NULL)
		return tool_usage(usage_text,
		    "reason=detail-folder-needs-delimiter");
	if (c->tmpl != NULL && tmpl_check(c->tmpl, &c->rootlen) != TMPL_OK)
		return tool_usage(usage_text, "reason=bad-template template=%s",
		    log_quote(q, sizeof q, c->tmpl));
	c->lo.endpoints = c->endpoints;
	c->mo.tmpl = c->tmpl;
	return -1;
}

/* The options into c. Returns -1 to go on, else the exit code. */
static int
parse_args(int argc, char **argv, struct config *c)
{
	static const struct option lopts[] = {
		{ "maildir", required_argument, NULL, 'm' },
		{ "lmtp", required_argument, NULL, 'l' },
		{ "lhlo", required_argument, NULL, 'H' },
		{ "lmtp-group", no_argument, NULL, 'G' },
		{ "lmtp-sessions", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "data-timeout", required_argument, NULL, 'D' },
		{ "idle", required_argument, NULL, 'I' },
		{ "no-create", no_argument, NULL, 'N' },
		{ "delimiter", required_argument, NULL, 'E' },
		{ "detail-folder", no_argument, NULL, 'F' },
		{ "unknown-to", required_argument, NULL, 'U' },
		{ "user", required_argument, NULL, 'u' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long n;
	int ch, bad = 0;

	opterr = 0;
	while (!bad && (ch = getopt_long(argc, argv, ":m:l:qv", lopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':	c->tmpl = optarg; break;
		case 'l':
			if (c->lo.nendpoints == MAX_ENDPOINTS)
				return tool_usage(usage_text,
				    "reason=too-many-endpoints");
			bad = !endpoint_ok(optarg);
			c->endpoints[c->lo.nendpoints++] = optarg;
			break;
		case 'H':	c->lo.lhlo = optarg; break;
		case 'G':	c->lo.group_rcpts = 1; break;
		case 'S':	bad = tool_number(optarg, "--lmtp-sessions", 1,
				    LMTP_SESSIONS_MAX, &n) < 0;
				c->lo.sessions = n; break;
		case 'T':	bad = seconds(optarg, "--timeout",
				    &c->lo.timeout) < 0; break;
		case 'D':	bad = seconds(optarg, "--data-timeout",
				    &c->lo.data_timeout) < 0; break;
		case 'I':	bad = tool_number(optarg, "--idle", 1, 86400,
				    &c->idle) < 0; break;
		case 'N':	c->mo.create = 0; break;
		case 'E':	bad = !delimiters(optarg);
				c->mo.delimiters = optarg; break;
		case 'F':	c->mo.detail_folder = 1; break;
		case 'U':	bad = !address(optarg);
				c->unknown_to = optarg; break;
		case 'u':	c->user = optarg; break;
		case 'q':	log_set_level(LOG_WARN); break;
		case 'v':	log_set_level(LOG_DEBUG); break;
		case 'h':	return tool_help(usage_text);
		case 'V':	return tool_version();
		default:
			log_bad_option(ch, optopt, argv[optind - 1]);
			bad = 1;
		}
	}
	if (bad)
		return tool_usage(usage_text, NULL);	/* said why */
	if (optind != argc)
		return tool_usage(usage_text, "reason=unexpected-argument");
	return check_args(c);
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

int
main(int argc, char **argv)
{
	struct config c = { .lo = { .timeout = 60, .data_timeout = 600,
	    .sessions = LMTP_SESSIONS_DEFAULT },
	    .mo = { .create = 1 }, .idle = 30 };
	struct maildir *md = NULL;
	struct lmtp_client *lmtp = NULL;
	struct batch *b;
	enum status st;
	int rc;

	tool_start("mdrop-deliver");	/* a stop waits for the line in hand */
	if ((rc = parse_args(argc, argv, &c)) >= 0)
		return rc;
	if ((st = priv_start(c.user, c.tmpl == NULL)) != ST_OK ||
	    (c.tmpl != NULL && (st = root_exists(c.tmpl, c.rootlen)) != ST_OK))
		return status_exitcode(st);
	if ((c.tmpl != NULL && (md = maildir_new(&c.mo)) == NULL) ||
	    (c.tmpl == NULL && (lmtp = lmtp_client_new(&c.lo)) == NULL) ||
	    (b = batch_new(md, lmtp, stdout)) == NULL) {
		log_error("out-of-memory", NULL);
		return status_exitcode(ST_TEMPFAIL);
	}
	batch_unknown_to(b, c.unknown_to);
	st = input_run(b, lmtp, (int)c.idle);
	batch_final(b);
	st = status_worse(st, batch_commit(b));
	batch_free(b);
	maildir_free(md);
	if (lmtp != NULL) {
		lmtp_client_quit(lmtp);
		lmtp_client_free(lmtp);
	}
	return tool_exit(st);
}
