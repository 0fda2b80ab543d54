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

static int
usage(const char *why)
{
	log_error("usage", "reason=\"%s\"", why);
	fputs(usage_text, stderr);
	return status_exitcode(ST_USAGE);
}

/* A decimal number in [min, max]; 0 or -1. */
static int
number(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	*v = strtoul(s, &end, 10);
	return errno != 0 || *end != '\0' || *v < min || *v > max ? -1 : 0;
}

/* stdout must have taken everything: a full disk or a closed pipe. */
static int
stdout_ok(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("write", "file=stdout error=\"%s\"", strerror(errno));
		return 0;
	}
	return 1;
}

/* Delimiters must be atext other than '.' (RFC 5322): a character that
 * can stand inside a dot-atom local part and never at its ends. */
static int
delimiters_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 16)
		return 0;
	for (; *s != '\0'; s++)
		if (!addr_atext((unsigned char)*s))
			return 0;
	return 1;
}

static enum status
one(struct split_config *c, struct survey *sv, const char *path)
{
	if (sv != NULL)
		return survey_message(sv, path);
	return split_message(c, path, stdout);
}

int
main(int argc, char **argv)
{
	struct split_config c;
	struct survey *sv = NULL;
	const char *aliases = NULL, *users = NULL, *fallback = NULL;
	enum status st = ST_OK, r = ST_OK;
	unsigned long v;
	int ch, survey = 0;
	struct addr fa;

	log_init("mdrop-split");
	tool_catch_stop();	/* a group is finished before we stop */
	memset(&c, 0, sizeof c);
	c.header = "Delivered-To";
	c.occurrence = 1;
	c.max_header = HDR_CAP_DEFAULT;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":H:n:d:a:f:qv", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			if (!hdr_name_valid(optarg))
				return usage("bad header name");
			if (hdr_not_envelope(optarg)) {
				char q[LOG_QUOTE_MAX];

				log_error("usage", "reason=not-an-envelope-header"
				    " header=%s", log_quote(q, sizeof q, optarg));
				fputs(usage_text, stderr);
				return status_exitcode(ST_USAGE);
			}
			c.header = optarg;
			break;
		case 'n':
			if (number(optarg, 1, 1000, &c.occurrence) < 0)
				return usage("bad --occurrence");
			break;
		case OPT_TRUST:
			if (number(optarg, 0, 1000, &c.trust_hops) < 0)
				return usage("bad --trust-hops");
			break;
		case OPT_ANY:
			c.any_position = 1;
			break;
		case 'd':
			if (c.ndomains == SPLIT_MAX_DOMAINS)
				return usage("too many --domain");
			if (addr_domain_check(optarg) != ADDR_OK)
				return usage("bad --domain");
			c.domains[c.ndomains++] = optarg;
			break;
		case OPT_STRIP:
			if (optarg[0] == '\0' || strlen(optarg) > 255)
				return usage("bad --strip-prefix");
			c.strip_prefix = optarg;
			break;
		case OPT_DELIM:
			if (!delimiters_ok(optarg))
				return usage("bad --delimiter");
			c.delimiters = optarg;
			break;
		case 'a':
			aliases = optarg;
			break;
		case OPT_USERS:
			users = optarg;
			break;
		case 'f':
			fallback = optarg;
			break;
		case OPT_MAXHDR:
			if (number(optarg, HDR_CAP_MIN, 1UL << 30, &v) < 0)
				return usage("bad --max-header-bytes");
			c.max_header = v;
			break;
		case OPT_EXPLAIN:
			c.explain = 1;
			break;
		case OPT_SURVEY:
			survey = 1;
			break;
		case 'q':
			log_set_level(LOG_WARN);
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return stdout_ok() ? 0 : status_exitcode(ST_IOERR);
		case OPT_VERSION:
			printf("mdrop-split %s\n", MDROP_VERSION);
			return stdout_ok() ? 0 : status_exitcode(ST_IOERR);
		default:
			log_bad_option(ch, optopt, argv[optind - 1]);
			fputs(usage_text, stderr);
			return status_exitcode(ST_USAGE);
		}
	}
	log_root_warning();
	if (c.ndomains == 0)
		return usage("at least one --domain is required");
	if (c.explain && survey)
		return usage("--explain and --survey exclude each other");
	if (fallback == NULL) {
		snprintf(c.fallback, sizeof c.fallback, "postmaster@%s",
		    c.domains[0]);
	} else if (addr_parse_spec(fallback, strlen(fallback), &fa) !=
	    ADDR_OK || addr_format(&fa, c.fallback, sizeof c.fallback) < 0) {
		return usage("bad --fallback address");
	}
	if ((aliases != NULL && route_load_aliases(&c, aliases) != ST_OK) ||
	    (users != NULL && route_load_users(&c, users) != ST_OK)) {
		route_free_tables(&c);
		return status_exitcode(ST_CONFIG);
	}
	if (survey && (sv = survey_new(&c)) == NULL)
		return status_exitcode(ST_SOFTWARE);

	if (optind < argc) {
		for (; optind < argc && r != ST_IOERR && !tool_stopping();
		    optind++) {
			r = one(&c, sv, argv[optind]);
			st = status_worse(st, r);
		}
	} else {
		struct io_reader rd;
		struct io_line l;
		char path[PATH_LINE_MAX + 1];
		int rc = 0;

		/* a stop signal ends a wait for input (the read fails EINTR) */
		if (io_reader_init(&rd, tool_pull_stdin, NULL,
		    PATH_LINE_MAX + 1) < 0)
			return status_exitcode(ST_SOFTWARE);
		while (r != ST_IOERR && !tool_stopping() &&
		    (rc = io_getline(&rd, &l)) == 1) {
			size_t n = l.len - (size_t)l.has_lf;

			if (!l.complete) {
				log_error("bad-path", "reason=too-long");
				while (rc == 1 && !l.complete)
					rc = io_getline(&rd, &l);
				st = status_worse(st, ST_DATAERR);
				continue;
			}
			if (n == 0)
				continue;
			if (memchr(l.data, '\0', n) != NULL) {
				log_error("bad-path", "reason=nul");
				st = status_worse(st, ST_DATAERR);
				continue;
			}
			memcpy(path, l.data, n);
			path[n] = '\0';
			r = one(&c, sv, path);
			st = status_worse(st, r);
		}
		if (r != ST_IOERR && rc < 0 && !(errno == EINTR &&
		    tool_stopping())) {
			log_error("read", "file=stdin error=\"%s\"",
			    strerror(errno));
			st = status_worse(st, ST_IOERR);
		}
		io_reader_free(&rd);
	}
	if (sv != NULL) {
		if (r != ST_IOERR)
			survey_report(sv, stdout);
		survey_free(sv);
	}
	route_free_tables(&c);
	if (tool_stopping()) {	/* paths not read yet stay in the spool */
		log_info("stopped", "reason=signal");
		st = status_worse(st, ST_TEMPFAIL);
	}
	if (!stdout_ok())
		st = status_worse(st, ST_IOERR);
	return status_exitcode(st);
}
