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
 * from argv. A stop signal cuts the session in hand at once (every
 * network wait asks common/tool): the messages complete in hand are
 * spooled, nothing more is sent, so nothing of it is deleted. All
 * protocol work lives in session.c and common/; this file is options,
 * set-up, the poll loop and the one exit-code mapping.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/backoff.h"
#include "common/log.h"
#include "common/status.h"
#include "common/tls.h"
#include "common/tool.h"
#include "fetch/auth.h"
#include "fetch/fetch.h"

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

enum { O_PWFILE = 256, O_PWCMD, O_AUTH, O_TLS, O_CAFILE, O_FPR, O_KEEP,
	O_MAXSIZE, O_MAXMSG, O_INTERVAL, O_TIMEOUT, O_HELP, O_VERSION };

static const struct option longopts[] = {
	{ "host", 1, 0, 'h' }, { "port", 1, 0, 'p' }, { "user", 1, 0, 'u' },
	{ "password-file", 1, 0, O_PWFILE },
	{ "password-command", 1, 0, O_PWCMD },
	{ "auth", 1, 0, O_AUTH }, { "tls", 1, 0, O_TLS },
	{ "cafile", 1, 0, O_CAFILE }, { "fingerprint", 1, 0, O_FPR },
	{ "keep", 0, 0, O_KEEP }, { "max-size", 1, 0, O_MAXSIZE },
	{ "max-messages", 1, 0, O_MAXMSG }, { "interval", 1, 0, O_INTERVAL },
	{ "timeout", 1, 0, O_TIMEOUT }, { "quiet", 0, 0, 'q' },
	{ "verbose", 0, 0, 'v' }, { "help", 0, 0, O_HELP },
	{ "version", 0, 0, O_VERSION }, { 0, 0, 0, 0 }
};

/* --tls MODE; 0, or -1 for an unknown one. */
static int
tls_mode(const char *s, enum tls_mode *m)
{
	static const char *const names[] = { [TLSM_IMPLICIT] = "implicit",
	    [TLSM_STARTTLS] = "starttls", [TLSM_NONE] = "none" };
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*m = (enum tls_mode)i;
			return 0;
		}
	return -1;
}

/* A number option into o: 0, or -1 after logging why. */
static int
number(struct fetch_opts *o, int ch, const char *v)
{
	unsigned long n;

	switch (ch) {
	case O_MAXSIZE:
		if (tool_number(v, "--max-size", 0, ULONG_MAX, &n) < 0)
			return -1;
		o->max_size = n;
		return 0;
	case O_MAXMSG:
		if (tool_number(v, "--max-messages", 0, POP3_MSG_MAX, &n) < 0)
			return -1;
		o->max_messages = n;
		return 0;
	case O_INTERVAL:
		if (tool_number(v, "--interval", 1, 86400 * 7, &n) < 0)
			return -1;
		o->interval = (long)n;
		return 0;
	default:
		if (tool_number(v, "--timeout", 1, 86400, &n) < 0)
			return -1;
		o->timeout = (int)n;
		return 0;
	}
}

/* --auth, --tls, --fingerprint into o: 0, or -1 after logging why. */
static int
word(struct fetch_opts *o, int ch, const char *v)
{
	char q[LOG_QUOTE_MAX];
	int r;

	if (ch == O_AUTH)
		r = auth_parse(v, &o->auth);
	else if (ch == O_TLS)
		r = tls_mode(v, &o->tls);
	else
		o->have_pin = (r = tls_parse_pin(v, o->pin)) == 0;
	if (r < 0)
		log_error("usage", "option=%s value=%s reason=%s",
		    ch == O_AUTH ? "--auth" : ch == O_TLS ? "--tls" :
		    "--fingerprint",
		    log_quote(q, sizeof q, v), ch == O_FPR ?
		    "not-64-hex-digits" : "unknown");
	return r < 0 ? -1 : 0;
}

/* A TCP port: 1-65535, or a service name this system knows. */
static int
port_ok(const char *v)
{
	unsigned long n;
	char *end;

	if (*v >= '0' && *v <= '9') {
		errno = 0;
		n = strtoul(v, &end, 10);
		return *end == '\0' && errno == 0 && n >= 1 && n <= 65535;
	}
	return getservbyname(v, "tcp") != NULL;
}

/* --cafile is read at start, not first at a session: a missing file is
 * the admin's to fix (66), one with no certificate in it too (78), never
 * a session failing again every poll (75). -1 to go on. */
static int
cafile_check(const char *path)
{
	char q[LOG_QUOTE_MAX], why[200];
	int r = tls_cafile_check(path, why, sizeof why);

	if (r == 0)
		return -1;
	log_error("cafile", "file=%s error=\"%s\"", log_quote(q, sizeof q,
	    path), why);
	return status_exitcode(r < -1 ? ST_CONFIG : ST_NOINPUT);
}

/* The options that go together, checked; -1 to go on, else the exit
 * code. */
static int
check_args(struct fetch_opts *o, const char *pwfile)
{
	if (o->spool == NULL)
		return tool_usage(usage_text, "reason=need-one-spool");
	if (o->host == NULL || o->user == NULL)
		return tool_usage(usage_text, "reason=need-host-and-user");
	if (strpbrk(o->user, "\r\n") != NULL)
		return tool_usage(usage_text, "reason=line-break-in-user");
	if (pwfile != NULL && o->pwcmd != NULL)
		return tool_usage(usage_text, "reason=password-file-and-"
		    "password-command-exclude-each-other");
	if (o->tls == TLSM_NONE && (o->cafile != NULL || o->have_pin))
		return tool_usage(usage_text, "reason=%s-needs-tls",
		    o->cafile != NULL ? "cafile" : "fingerprint");
	if (o->port != NULL && !port_ok(o->port))
		return tool_usage(usage_text, "option=--port value=%s "
		    "reason=not-a-port", o->port);
	if (o->port == NULL)
		o->port = o->tls == TLSM_IMPLICIT ? "995" : "110";
	if (o->cafile != NULL && !o->have_pin)
		return cafile_check(o->cafile);
	return -1;
}

/* The options into o, --password-file's name into *pwfile. Returns -1 to
 * go on, else the exit code. */
static int
parse_args(int argc, char **argv, struct fetch_opts *o, const char **pwfile)
{
	int ch, bad = 0;

	opterr = 0;
	while (!bad && (ch = getopt_long(argc, argv, ":h:p:u:qv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':	o->host = optarg; break;
		case 'p':	o->port = optarg; break;
		case 'u':	o->user = optarg; break;
		case O_PWFILE:	*pwfile = optarg; break;
		case O_PWCMD:	o->pwcmd = optarg; break;
		case O_CAFILE:	o->cafile = optarg; break;
		case O_KEEP:	o->keep = 1; break;
		case 'q':	log_set_level(LOG_WARN); break;
		case 'v':	log_set_level(LOG_DEBUG); break;
		case O_HELP:	return tool_help(usage_text);
		case O_VERSION:	return tool_version();
		case O_AUTH: case O_TLS: case O_FPR:
			bad = word(o, ch, optarg) < 0;
			break;
		case O_MAXSIZE: case O_MAXMSG: case O_INTERVAL: case O_TIMEOUT:
			bad = number(o, ch, optarg) < 0;
			break;
		default:
			log_bad_option(ch, optopt, argv[optind - 1]);
			bad = 1;
		}
	}
	if (bad)
		return tool_usage(usage_text, NULL);	/* said why */
	if (optind + 1 < argc)
		return tool_usage(usage_text, "reason=need-one-spool");
	o->spool = argv[optind];
	return check_args(o, *pwfile);
}

/* The password, unless --password-command gives one per session. */
static enum status
password(struct fetch_opts *o, const char *pwfile)
{
	if (o->pwcmd == NULL)
		return secret_load(o, pwfile);
	if (getenv("MDROP_PASSWORD") != NULL)
		log_debug("password-source", "using=--password-command "
		    "ignored=MDROP_PASSWORD");
	return ST_OK;
}

/* Open and lock the spool: ST_OK with *lock held, else why (logged). */
static enum status
spool_start(struct spool *sp, const char *path, int *lock)
{
	char q[LOG_QUOTE_MAX];
	const char *bad;
	int e;

	if (spool_open(sp, path, 1) < 0) {
		log_error("cannot-open", "spool=%s error=\"%s%s\"",
		    log_quote(q, sizeof q, path), strerror(errno),
		    errno == EXDEV ? " (tmp/, new/ and failed/ not on one mount)"
		    : "");
		return errno == EXDEV ? ST_CONFIG : errno == EROFS ?
		    ST_TEMPFAIL : ST_IOERR;	/* HOSTILE.md 59: 75, loud */
	}
	if ((bad = spool_unsafe(sp)) != NULL) {
		log_error("spool-unsafe", "dir=%s/%s reason=\"writable by group "
		    "or others; a spool is its owner's alone (chmod 700)\"",
		    log_quote(q, sizeof q, sp->path), bad);
		spool_close(sp);
		return ST_CONFIG;
	}
	if ((*lock = spool_lock(sp, "fetch")) >= 0)
		return ST_OK;
	e = errno;
	log_error(*lock == -2 ? "spool-busy" : "cannot-lock",
	    "spool=%s reason=\"%s\"", log_quote(q, sizeof q, sp->path),
	    *lock == -2 ? "another mdrop-fetch holds the lock" :
	    strerror(e));
	spool_close(sp);
	return *lock == -2 || e == EROFS ? ST_TEMPFAIL : ST_IOERR;
}

/* Paths still waiting in SPOOL/new (deliveries to retry) go out first. */
static enum status
print_waiting(struct spool *sp)
{
	char q[LOG_QUOTE_MAX];
	char **names;
	size_t n, i;

	if (spool_list_new(sp, &names, &n) < 0) {
		log_error("cannot-list", "dir=%s/new error=\"%s\"",
		    log_quote(q, sizeof q, sp->path), strerror(errno));
		return ST_IOERR;
	}
	log_debug("waiting", "spool=%s files=%zu", log_quote(q, sizeof q,
	    sp->path), n);
	for (i = 0; i < n; i++)
		if (out_push(sp->path, names[i]) < 0)
			break;
	spool_free_list(names, n);
	if (out_flush(0) < 0) {
		log_error("stdout-failed", "error=\"%s\"", strerror(errno));
		return ST_IOERR;
	}
	return ST_OK;
}

/*
 * One session, or with --interval one every interval seconds until a
 * stop signal or a broken stdout; a failed one is retried after a
 * growing pause (common/backoff). The status of the last session.
 */
static enum status
poll_loop(const struct fetch_opts *o, struct spool *sp)
{
	struct fetch_stats stats;
	enum status st;
	unsigned failures = 0;
	long pause;

	for (;;) {
		if ((st = print_waiting(sp)) != ST_OK)
			return st;
		st = fetch_session(o, sp, &stats);
		if (out_flush(1) < 0 || out_broken())
			return ST_IOERR;
		if (o->interval == 0 || tool_stopping())
			return st;
		failures = st == ST_OK ? 0 : failures < UINT_MAX ?
		    failures + 1 : failures;
		pause = backoff_pause(o->interval, failures);
		if (tool_pause(pause * 1000LL) < 0)
			return ST_OK;	/* stopped between sessions */
	}
}

int
main(int argc, char **argv)
{
	struct fetch_opts o = { .timeout = 60 };
	const char *pwfile = NULL;
	struct spool sp;
	enum status st;
	int rc, lock;

	tool_start("mdrop-fetch");	/* a stop cuts the session in hand */
	if ((rc = parse_args(argc, argv, &o, &pwfile)) >= 0)
		return rc;
	log_root_warning();
	if ((st = password(&o, pwfile)) == ST_OK &&
	    (st = spool_start(&sp, o.spool, &lock)) == ST_OK) {
		st = poll_loop(&o, &sp);
		close(lock);
		spool_close(&sp);
	}
	secret_free(o.password);
	return tool_exit(st);
}
