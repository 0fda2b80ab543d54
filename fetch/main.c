/*
 * mdrop-fetch: POP3 over verified TLS into the spool, exactly once.
 *
 * Why it is this way: a multidrop box is the only copy of a domain's
 * mail, so nothing may leave the server before it is durable here. A
 * message is written to SPOOL/tmp, fsynced, its UID noted durably, then
 * renamed into SPOOL/new (directory fsynced), and only then DELEd; the
 * UID notes let the next session DELE without re-downloading what a
 * crash left on the server. stdout carries spool paths for mdrop-split,
 * each printed once durable; logs go to stderr. Passwords never come
 * from argv. All protocol work lives in session.c and common/; this file
 * is options, set-up, the poll loop and the one exit-code mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tool.h"
#include "fetch/auth.h"
#include "fetch/fetch.h"

volatile sig_atomic_t fetch_stop;
static int info_only;		/* --help or --version: done */

static void
on_signal(int sig)
{
	(void)sig;
	fetch_stop = 1;
}

static const char usage_text[] =
"usage: mdrop-fetch [options] SPOOL\n"
"  -h, --host HOST            POP3 server (required)\n"
"  -p, --port PORT            default 995 (implicit TLS), else 110\n"
"  -u, --user NAME            login name (required)\n"
"      --password-file FILE   first line is the password\n"
"      --password-command CMD first line of CMD's output, per session\n"
"                             (default: $MDROP_PASSWORD)\n"
"      --auth MECH            auto (default) | scram-sha-256 |\n"
"                             scram-sha-256-plus | plain | user | apop |\n"
"                             oauthbearer | xoauth2\n"
"      --tls MODE             implicit (default) | starttls | none\n"
"      --cafile FILE          trust anchors (default: system store)\n"
"      --fingerprint HEX      pin the server certificate's SHA-256\n"
"      --keep                 leave messages on the server\n"
"      --max-size BYTES       leave bigger messages on the server\n"
"      --max-messages N       fetch at most N messages per session\n"
"      --interval SECONDS     poll forever\n"
"      --timeout SECONDS      network timeout (default 60)\n"
"  -q, --quiet / -v, --verbose   fewer / more log lines\n"
"      --help, --version\n";

static enum status
usage(const char *why)
{
	if (why != NULL)
		log_error("usage", "reason=\"%s\"", why);
	fputs(usage_text, stderr);
	return ST_USAGE;
}

static int
parse_num(const char *s, uint64_t max, uint64_t *v)
{
	size_t pos = 0;

	return pop3_parse_u64(s, strlen(s), &pos, max, v) == 0 &&
	    s[pos] == '\0' ? 0 : -1;
}

enum { O_PWFILE = 256, O_PWCMD, O_AUTH, O_TLS, O_CAFILE, O_FPR, O_KEEP,
	O_MAXSIZE, O_MAXMSG, O_INTERVAL, O_TIMEOUT, O_HELP, O_VERSION };

static enum status
parse_args(int argc, char **argv, struct fetch_opts *o)
{
	static const struct option lo[] = {
		{ "host", 1, 0, 'h' }, { "port", 1, 0, 'p' },
		{ "user", 1, 0, 'u' }, { "password-file", 1, 0, O_PWFILE },
		{ "password-command", 1, 0, O_PWCMD }, { "auth", 1, 0, O_AUTH },
		{ "tls", 1, 0, O_TLS }, { "cafile", 1, 0, O_CAFILE },
		{ "fingerprint", 1, 0, O_FPR }, { "keep", 0, 0, O_KEEP },
		{ "max-size", 1, 0, O_MAXSIZE },
		{ "max-messages", 1, 0, O_MAXMSG },
		{ "interval", 1, 0, O_INTERVAL }, { "timeout", 1, 0, O_TIMEOUT },
		{ "quiet", 0, 0, 'q' }, { "verbose", 0, 0, 'v' },
		{ "help", 0, 0, O_HELP }, { "version", 0, 0, O_VERSION },
		{ 0, 0, 0, 0 }
	};
	const char *pwfile = NULL, *pwcmd = NULL;
	uint64_t v;
	int c;

	o->timeout = 60;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h:p:u:qv", lo, NULL)) != -1) {
		switch (c) {
		case 'h': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 'u': o->user = optarg; break;
		case 'q': log_set_level(LOG_WARN); break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case O_PWFILE: pwfile = optarg; break;
		case O_PWCMD: pwcmd = optarg; break;
		case O_CAFILE: o->cafile = optarg; break;
		case O_KEEP: o->keep = 1; break;
		case O_AUTH:
			if (auth_parse(optarg, &o->auth) < 0)
				return usage("unknown --auth mechanism");
			break;
		case O_TLS:
			if (strcmp(optarg, "implicit") == 0)
				o->tls = TLSM_IMPLICIT;
			else if (strcmp(optarg, "starttls") == 0)
				o->tls = TLSM_STARTTLS;
			else if (strcmp(optarg, "none") == 0)
				o->tls = TLSM_NONE;
			else
				return usage("--tls is implicit, starttls or none");
			break;
		case O_FPR:
			if (tls_parse_pin(optarg, o->pin) < 0)
				return usage("--fingerprint needs 64 hex digits");
			o->have_pin = 1;
			break;
		case O_MAXSIZE:
			if (parse_num(optarg, UINT64_MAX, &o->max_size) < 0)
				return usage("bad --max-size");
			break;
		case O_MAXMSG:
			if (parse_num(optarg, POP3_MSG_MAX, &o->max_messages) < 0)
				return usage("bad --max-messages");
			break;
		case O_INTERVAL:
			if (parse_num(optarg, 86400 * 7, &v) < 0 || v == 0)
				return usage("bad --interval");
			o->interval = (long)v;
			break;
		case O_TIMEOUT:
			if (parse_num(optarg, 86400, &v) < 0 || v == 0)
				return usage("bad --timeout");
			o->timeout = (int)v;
			break;
		case O_HELP:
			fputs(usage_text, stdout);
			info_only = 1;
			return tool_exit(ST_OK) == 0 ? ST_OK : ST_IOERR;
		case O_VERSION:
			printf("mdrop-fetch %s\n", MDROP_VERSION);
			info_only = 1;
			return tool_exit(ST_OK) == 0 ? ST_OK : ST_IOERR;
		default:
			log_bad_option(c, optopt, argv[optind - 1]);
			return usage(NULL);
		}
	}
	if (optind + 1 != argc)
		return usage("exactly one SPOOL directory");
	o->spool = argv[optind];
	if (o->host == NULL || o->user == NULL)
		return usage("--host and --user are required");
	if (strpbrk(o->user, "\r\n") != NULL)
		return usage("--user holds a line break");
	if (o->port == NULL)
		o->port = o->tls == TLSM_IMPLICIT ? "995" : "110";
	if (pwfile != NULL && pwcmd != NULL)
		return usage("--password-file and --password-command exclude "
		    "each other");
	if (pwcmd == NULL)
		return secret_load(o, pwfile);
	if (getenv("MDROP_PASSWORD") != NULL)
		log_debug("password-source", "using=--password-command "
		    "ignored=MDROP_PASSWORD");
	o->pwcmd = pwcmd;
	return ST_OK;
}

/* Paths still waiting in SPOOL/new (deliveries to retry) go out first. */
static enum status
print_waiting(struct spool *sp)
{
	char **names;
	size_t n, i;

	if (spool_list_new(sp, &names, &n) < 0) {
		log_error("cannot-list", "dir=%s/new error=\"%s\"", sp->path,
		    strerror(errno));
		return ST_IOERR;
	}
	log_debug("waiting", "spool=%s files=%zu", sp->path, n);
	for (i = 0; i < n; i++)
		if (out_push(sp->path, names[i]) < 0)
			break;
	spool_free_list(names, n);
	return out_flush(0) < 0 ? ST_IOERR : ST_OK;
}

/* Wipe the password and map the status to the exit code. */
static int
finish(struct fetch_opts *o, enum status st)
{
	secret_free(o->password);
	o->password = NULL;
	return status_exitcode(st);
}

static void
pause_for(long secs)
{
	struct timespec ts = { 1, 0 };

	while (secs-- > 0 && !fetch_stop)
		nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	struct fetch_opts o;
	struct fetch_stats stats;
	struct sigaction sa;
	struct spool sp;
	enum status st, all = ST_OK;
	long backoff = 0;
	int lock, fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;	/* fds 0-2 must exist before anything is opened */
	if (fd > 2)
		close(fd);
	log_init("mdrop-fetch");
	memset(&o, 0, sizeof o);
	st = parse_args(argc, argv, &o);
	if (st != ST_OK || info_only)
		return finish(&o, st);
	log_root_warning();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (spool_open(&sp, o.spool, 1) < 0) {
		char qp[LOG_QUOTE_MAX];

		log_error("cannot-open", "spool=%s error=\"%s%s\"",
		    log_quote(qp, sizeof qp, o.spool), strerror(errno),
		    errno == EXDEV ? " (tmp/ and new/ on different filesystems)"
		    : "");
		return finish(&o, errno == EXDEV ? ST_CONFIG : ST_IOERR);
	}
	lock = spool_lock(&sp, "fetch");
	if (lock < 0) {
		log_error(lock == -2 ? "spool-busy" : "cannot-lock",
		    "spool=%s reason=\"%s\"", sp.path, lock == -2 ?
		    "another mdrop-fetch holds the lock" : strerror(errno));
		spool_close(&sp);
		return finish(&o, lock == -2 ? ST_TEMPFAIL : ST_IOERR);
	}
	for (;;) {
		all = print_waiting(&sp);
		if (all != ST_OK)
			break;
		st = fetch_session(&o, &sp, &stats);
		if (out_flush(1) < 0 || out_broken()) {
			log_error("stdout-failed", "error=\"%s\"", strerror(errno));
			all = ST_IOERR;
			break;
		}
		if (o.interval == 0 || fetch_stop) {
			all = st;
			break;
		}
		/* Supervise mode: retry after failures with backoff. */
		if (st == ST_OK)
			backoff = 0;
		else
			backoff = backoff == 0 ? o.interval :
			    backoff >= 3600 ? 3600 : backoff * 2;
		pause_for(st == ST_OK ? o.interval : backoff);
		if (fetch_stop)
			break;
	}
	close(lock);
	spool_close(&sp);
	return finish(&o, all);
}
