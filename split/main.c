/*
 * mdrop-split: spool paths in, "PATH<TAB>RECIPIENT<TAB>SENDER" records out.
 *
 * Why it is this way: POP3 has no envelope. The only trustworthy recipient
 * is the envelope header the ISP's delivery agent wrote on top of the
 * message (Delivered-To: and friends), so that header, at the configured
 * occurrence and above the configured Received: line, decides, and nothing
 * else ever does: not To:/Cc: (lists, Bcc, redirects), not headers lower
 * down that a sender could forge. A message that names no local recipient
 * goes to one fallback address with a logged reason; nothing is dropped.
 * Records are flushed per message so a pipeline from `mdrop-fetch
 * --interval` flows forever; a path that cannot be read gets no record
 * (its spool file stays for the next run) and exit 66 at the end. The
 * whole configuration is checked before the first record is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "common/tool.h"
#include "split/split.h"

#define PATH_LINE_MAX 4096

static const char usage_text[] =
"usage: mdrop-split [options] -d DOMAIN [PATH...]   (no PATH: paths on stdin)\n"
"  -H, --header NAME          envelope header (default Delivered-To)\n"
"  -n, --occurrence N         use the Nth occurrence from the top (default 1)\n"
"      --trust-hops N         count occurrences only above the (N+1)th\n"
"                             Received: line (default 0)\n"
"      --any-position         no position limit (trusts forgeable headers)\n"
"  -d, --domain DOMAIN        a local domain; repeatable (required)\n"
"      --strip-prefix PREFIX  strip from local parts; %d is the domain\n"
"      --delimiter CHARS      the first of CHARS in a local part starts its\n"
"                             detail (alice+shop: user alice, detail shop)\n"
"  -a, --aliases FILE         lines \"ADDRESS TARGET\", \"@DOMAIN TARGET\"\n"
"      --users FILE           known users (local parts or addresses); any\n"
"                             other address goes to the fallback\n"
"  -f, --fallback ADDRESS     default postmaster@ the first --domain\n"
"      --max-header-bytes N   header section cap (default 1048576)\n"
"      --explain              say, per message, which header decided and why\n"
"      --survey               report the envelope headers seen; suggest options\n"
"  -q, --quiet                log warnings and errors only\n"
"  -v, --verbose              log every record too\n"
"      --help                 this text\n"
"      --version              the version\n";

enum { OPT_TRUST = 256, OPT_ANY, OPT_STRIP, OPT_MAXHDR, OPT_EXPLAIN,
    OPT_SURVEY, OPT_HELP, OPT_VERSION, OPT_DELIM, OPT_USERS };

static const struct option longopts[] = {
	{ "header", required_argument, NULL, 'H' },
	{ "occurrence", required_argument, NULL, 'n' },
	{ "trust-hops", required_argument, NULL, OPT_TRUST },
	{ "any-position", no_argument, NULL, OPT_ANY },
	{ "domain", required_argument, NULL, 'd' },
	{ "strip-prefix", required_argument, NULL, OPT_STRIP },
	{ "delimiter", required_argument, NULL, OPT_DELIM },
	{ "users", required_argument, NULL, OPT_USERS },
	{ "aliases", required_argument, NULL, 'a' },
	{ "fallback", required_argument, NULL, 'f' },
	{ "max-header-bytes", required_argument, NULL, OPT_MAXHDR },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "survey", no_argument, NULL, OPT_SURVEY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static enum status
one(struct split_config *c, struct survey *sv, const char *path)
{
	if (sv != NULL)
		return survey_message(sv, path);
	return split_message(c, path, stdout);
}

/* Options that need more than a copy: 0, or -1 after logging why. */
static int
option_value(struct split_config *c, int ch, const char *v)
{
	char q[LOG_QUOTE_MAX];
	const char *p;

	switch (ch) {
	case 'H':
		if (!hdr_name_valid(v)) {
			log_error("usage", "reason=bad-header-name header=%s",
			    log_quote(q, sizeof q, v));
			return -1;
		}
		if (hdr_not_envelope(v)) {
			log_error("usage", "reason=not-an-envelope-header "
			    "header=%s", log_quote(q, sizeof q, v));
			return -1;
		}
		c->header = v;
		return 0;
	case 'd':
		if (c->ndomains == SPLIT_MAX_DOMAINS ||
		    addr_domain_check((char *)(uintptr_t)v) != ADDR_OK) {
			log_error("usage", "reason=%s domain=%s",
			    c->ndomains == SPLIT_MAX_DOMAINS ?
			    "too-many-domains" : "bad-domain",
			    log_quote(q, sizeof q, v));
			return -1;
		}
		c->domains[c->ndomains++] = (char *)(uintptr_t)v;
		return 0;
	case OPT_STRIP:
		if (v[0] == '\0' || strlen(v) > 255) {
			log_error("usage", "reason=bad-strip-prefix");
			return -1;
		}
		/* %d and %% only: a typo (%D) would never match */
		for (p = v; (p = strchr(p, '%')) != NULL; p += 2) {
			if (p[1] != 'd' && p[1] != '%') {
				char qe[LOG_QUOTE_MAX];

				log_error("usage", "reason=bad-strip-prefix "
				    "option=--strip-prefix escape=%s prefix=%s",
				    log_quote_mem(qe, sizeof qe, p,
				    p[1] != '\0' ? 2 : 1),
				    log_quote(q, sizeof q, v));
				return -1;
			}
		}
		c->strip_prefix = v;
		return 0;
	case OPT_DELIM:
		if (!addr_delimiters_ok(v)) {
			log_error("usage", "reason=bad-delimiter delimiter=%s",
			    log_quote(q, sizeof q, v));
			return -1;
		}
		c->delimiters = v;
		return 0;
	}
	return -1;
}

struct args {
	const char *aliases[TABLE_FILES_MAX], *users[TABLE_FILES_MAX];
	size_t naliases, nusers;
	const char *fallback;
	int survey;
};

/* One more -a or --users file (each is read, as one table). */
static int
table_file(const char **v, size_t *n, const char *opt, const char *path)
{
	if (*n == TABLE_FILES_MAX) {
		log_error("usage", "reason=too-many-files option=%s", opt);
		return -1;
	}
	v[(*n)++] = path;
	return 0;
}

/* The options into c and a. Returns -1 to go on, else the exit code. */
static int
parse_args(int argc, char **argv, struct split_config *c, struct args *a)
{
	unsigned long v;
	int ch, bad = 0;

	opterr = 0;
	while (!bad && (ch = getopt_long(argc, argv, ":H:n:d:a:f:qv",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'H': case 'd': case OPT_STRIP: case OPT_DELIM:
			bad = option_value(c, ch, optarg) < 0;
			break;
		case 'n':
			bad = tool_number(optarg, "--occurrence", 1, 1000,
			    &c->occurrence) < 0;
			break;
		case OPT_TRUST:
			bad = tool_number(optarg, "--trust-hops", 0, 1000,
			    &c->trust_hops) < 0;
			break;
		case OPT_MAXHDR:
			bad = tool_number(optarg, "--max-header-bytes",
			    HDR_CAP_MIN, 1UL << 30, &v) < 0;
			c->max_header = v;
			break;
		case OPT_ANY:		c->any_position = 1; break;
		case 'a':
			bad = table_file(a->aliases, &a->naliases, "--aliases",
			    optarg) < 0;
			break;
		case OPT_USERS:
			bad = table_file(a->users, &a->nusers, "--users",
			    optarg) < 0;
			break;
		case 'f':		a->fallback = optarg; break;
		case OPT_EXPLAIN:	c->explain = 1; break;
		case OPT_SURVEY:	a->survey = 1; break;
		case 'q':		log_set_level(LOG_WARN); break;
		case 'v':		log_set_level(LOG_DEBUG); break;
		case OPT_HELP:		return tool_help(usage_text);
		case OPT_VERSION:	return tool_version();
		default:
			log_bad_option(ch, optopt, argv[optind - 1]);
			bad = 1;
		}
	}
	if (bad)
		return tool_usage(usage_text, NULL);	/* said why */
	if (c->ndomains == 0)
		return tool_usage(usage_text, "reason=need-a-domain");
	if (c->explain && a->survey)
		return tool_usage(usage_text,
		    "reason=explain-and-survey-exclude-each-other");
	return -1;
}

/* The fallback address and the tables: ST_OK, ST_USAGE, ST_CONFIG. */
static enum status
configure(struct split_config *c, const struct args *a)
{
	struct addr fa;

	if (a->fallback == NULL) {
		snprintf(c->fallback, sizeof c->fallback, "postmaster@%s",
		    c->domains[0]);
	} else if (addr_parse_spec(a->fallback, strlen(a->fallback), &fa) !=
	    ADDR_OK || addr_format(&fa, c->fallback, sizeof c->fallback) < 0) {
		log_error("usage", "reason=bad-fallback-address");
		return ST_USAGE;
	}
	if ((a->naliases > 0 && route_load_aliases(c, a->aliases,
	    a->naliases) != ST_OK) || (a->nusers > 0 &&
	    route_load_users(c, a->users, a->nusers) != ST_OK))
		return ST_CONFIG;
	return ST_OK;
}

/* Paths from stdin, one per line; *last: the last message's status. */
static enum status
paths_from_stdin(struct split_config *c, struct survey *sv, enum status *last)
{
	char path[PATH_LINE_MAX + 1];
	struct io_reader rd;
	struct io_line l;
	enum status st = ST_OK;
	int rc = 0;

	/* a stop signal ends a wait for input (the read fails EINTR) */
	if (io_reader_init(&rd, tool_pull_stdin, NULL, PATH_LINE_MAX + 1) < 0)
		return ST_SOFTWARE;
	while (*last != ST_IOERR && !tool_stopping() &&
	    (rc = io_getline(&rd, &l)) == 1) {
		size_t n = l.len - (size_t)l.has_lf;

		if (!l.complete || memchr(l.data, '\0', n) != NULL) {
			log_error("bad-path", "reason=%s", l.complete ? "nul" :
			    "too-long");
			while (rc == 1 && !l.complete)
				rc = io_getline(&rd, &l);
			st = status_worse(st, ST_DATAERR);
			continue;
		}
		if (n == 0)
			continue;
		memcpy(path, l.data, n);
		path[n] = '\0';
		st = status_worse(st, *last = one(c, sv, path));
	}
	if (*last != ST_IOERR && rc < 0 && !(errno == EINTR &&
	    tool_stopping())) {
		log_error("read", "file=stdin error=\"%s\"", strerror(errno));
		st = status_worse(st, ST_IOERR);
	}
	io_reader_free(&rd);
	return st;
}

int
main(int argc, char **argv)
{
	struct split_config c = { .header = "Delivered-To", .occurrence = 1,
	    .max_header = HDR_CAP_DEFAULT };
	struct args a = { .fallback = NULL };
	struct survey *sv = NULL;
	enum status st = ST_OK, last = ST_OK;
	int rc;

	tool_start("mdrop-split");	/* a group is finished before we stop */
	if ((rc = parse_args(argc, argv, &c, &a)) >= 0)
		return rc;
	log_root_warning();
	if ((st = configure(&c, &a)) != ST_OK) {
		route_free_tables(&c);
		return st == ST_USAGE ? tool_usage(usage_text, NULL) :
		    status_exitcode(st);
	}
	if (a.survey && (sv = survey_new(&c)) == NULL)
		return status_exitcode(ST_SOFTWARE);
	if (optind < argc) {
		for (; optind < argc && last != ST_IOERR && !tool_stopping();
		    optind++)
			st = status_worse(st, last = one(&c, sv, argv[optind]));
	} else {
		st = paths_from_stdin(&c, sv, &last);
	}
	if (sv != NULL) {
		if (last != ST_IOERR)
			survey_report(sv, stdout);
		survey_free(sv);
	}
	route_free_tables(&c);
	if (tool_stopping()) {	/* paths not read yet stay in the spool */
		log_info("stopped", "reason=signal");
		st = status_worse(st, ST_TEMPFAIL);
	}
	return tool_exit(st);
}
