/*
 * message: one spool file in, its records (or its --explain block) out.
 *
 * Only the header section is parsed; the file is read through a small
 * fixed buffer and reading stops at the empty line, so the body never
 * costs time or memory. Every way a message can fail to name a usable
 * local recipient ends in exactly one record for the fallback address and
 * a log line with the reason: mail is never dropped and never guessed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/rec.h"
#include "split/split.h"

#define READ_CHUNK 16384

enum status
split_read_header(const char *path, size_t cap, split_field_fn fn, void *ctx,
    int *too_large)
{
	char qp[LOG_QUOTE_MAX];
	struct hdr_parser p;
	struct hdr_field f;
	struct io_reader r;
	struct io_line chunk;
	struct stat lst, st;
	enum hdr_event ev = HDR_MORE;
	int fd = -1, rc = 1;
	const char *bad = NULL;

	*too_large = 0;
	/* a FIFO or device at a spool path is never opened (that would
	 * release a writer blocked on the FIFO, or wake a device): lstat
	 * first; then the file opened must be the regular file seen, not
	 * one put in its place meanwhile (O_NONBLOCK, so that cannot hang) */
	if (lstat(path, &lst) < 0)
		bad = strerror(errno);
	else if (S_ISLNK(lst.st_mode))
		bad = "a symbolic link";
	else if (!S_ISREG(lst.st_mode))
		bad = "not a regular file";
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK | O_NOFOLLOW)) < 0)
		bad = errno == ELOOP ? "a symbolic link" : strerror(errno);
	else if (fstat(fd, &st) < 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode) || st.st_dev != lst.st_dev ||
	    st.st_ino != lst.st_ino)
		bad = "not a regular file";
	if (bad != NULL) {
		if (fd >= 0)
			close(fd);
		log_error("open", "path=%s error=\"%s\"",
		    log_quote(qp, sizeof qp, path), bad);
		return ST_NOINPUT;
	}
	if (io_reader_fd(&r, fd, READ_CHUNK) < 0) {
		close(fd);
		return ST_SOFTWARE;
	}
	if (hdr_init(&p, cap) < 0) {
		io_reader_free(&r);
		close(fd);
		return ST_SOFTWARE;
	}
	while (ev == HDR_MORE || ev == HDR_FIELD) {
		size_t off = 0, used;

		rc = io_getchunk(&r, &chunk);
		if (rc <= 0)
			break;
		while (off < chunk.len) {
			ev = hdr_push(&p, chunk.data + off, chunk.len - off,
			    &used, &f);
			off += used;
			if (ev == HDR_FIELD)
				fn(ctx, &f);
			else
				break;
		}
	}
	if (rc == 0)
		while ((ev = hdr_finish(&p, &f)) == HDR_FIELD)
			fn(ctx, &f);
	*too_large = ev == HDR_TOO_LARGE;
	hdr_free(&p);
	io_reader_free(&r);
	close(fd);
	if (rc < 0) {
		log_error("read", "path=%s error=\"%s\"",
		    log_quote(qp, sizeof qp, path), strerror(errno));
		return ST_NOINPUT;
	}
	return ST_OK;
}

struct msg {
	const struct split_config *c;
	struct hdr_pick pick;
	FILE *out;
};

/* Print a header line for --explain, escaped and cut to a readable size. */
static void
explain_field(FILE *out, const struct hdr_field *f, const char *pos,
    const char *what)
{
	char qn[LOG_QUOTE_MAX], qv[LOG_QUOTE_MAX];

	log_quote_mem(qn, 80, f->name, f->name_len);
	log_quote_mem(qv, 200, f->value, f->value_len);
	fprintf(out, "  line %lu: %s: %s\n      %s; %s\n", f->line, qn, qv,
	    pos, what);
}

static void
on_field(void *ctx, const struct hdr_field *f)
{
	struct msg *m = ctx;
	const struct split_config *c = m->c;
	unsigned long hops;
	enum hdr_role role = hdr_pick_field(&m->pick, f, &hops);
	char pos[64];

	if (!c->explain)
		return;
	if (role == HDR_ROLE_RECEIVED)	/* a Received: line is its own mark */
		snprintf(pos, sizeof pos, "Received: #%lu", hops + 1);
	else if (hops == 0)
		snprintf(pos, sizeof pos, "above the first Received:");
	else
		snprintf(pos, sizeof pos, "below Received: #%lu", hops);
	switch (role) {
	case HDR_ROLE_CHOSEN:
		explain_field(m->out, f, pos, (f->flags & HDR_F_UNTRUSTED) ?
		    "CHOSEN occurrence, but holds control characters "
		    "(not trusted)" : "CHOSEN: the -n occurrence in the "
		    "trusted zone");
		break;
	case HDR_ROLE_CANDIDATE:
		explain_field(m->out, f, pos, "candidate, not the -n occurrence");
		break;
	case HDR_ROLE_BELOW:
		explain_field(m->out, f, pos, "ignored: below the trusted zone "
		    "(a sender could have written it)");
		break;
	case HDR_ROLE_RECEIVED:
		if (hops <= c->trust_hops && !c->any_position)
			explain_field(m->out, f, pos, hops == c->trust_hops ?
			    "Received: that ends the trusted zone" :
			    "Received: inside the trusted zone (--trust-hops)");
		break;
	case HDR_ROLE_RETURN_PATH:
		explain_field(m->out, f, pos, "topmost Return-Path: the sender");
		break;
	case HDR_ROLE_OTHER:
		break;
	}
}

/* The envelope sender: the topmost Return-Path, "" for <> or none. */
static void
sender_of(const struct hdr_pick *k, const char *path, char *out, size_t n)
{
	char qp[LOG_QUOTE_MAX], qv[LOG_QUOTE_MAX];
	struct addr a;
	enum addr_error e;

	out[0] = '\0';
	if (!k->return_path_seen || k->return_path == NULL)
		return;
	if (k->return_path_flags & HDR_F_UNTRUSTED)
		e = ADDR_CONTROL;
	else
		e = addr_parse_path(k->return_path, k->return_path_len, &a);
	if (e == ADDR_OK && addr_format(&a, out, n) >= 0)
		return;
	out[0] = '\0';
	if (e != ADDR_NULL)
		log_warn("bad-sender", "path=%s reason=%s value=%s",
		    log_quote(qp, sizeof qp, path), addr_error_name(e),
		    log_quote_mem(qv, sizeof qv, k->return_path,
		    k->return_path_len));
}

/*
 * The final recipients of the chosen header value into rcpts (each
 * ADDR_MAX + 1 bytes, at most SPLIT_MAX_RCPTS). Returns their number, or
 * 0 with *reason set when the message goes to the fallback.
 */
static size_t
recipients(const struct split_config *c, const struct hdr_pick *k,
    const char *path, char (*rcpts)[ADDR_MAX + 1], const char **reason,
    const char **detail, FILE *ex)
{
	char qp[LOG_QUOTE_MAX], qa[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];
	char one[ADDR_MAX + 1];
	struct addr a;
	enum addr_error e;
	size_t pos = 0, n = 0, total = 0, i;
	int foreign = 0;

	*detail = "";
	/* pass 1: the whole list must be valid, or none of it is used; past
	 * the cap the fallback is decided and the rest is not parsed */
	while ((e = addr_list_next(k->chosen, k->chosen_len, &pos, &a)) ==
	    ADDR_OK)
		if (++total > SPLIT_MAX_RCPTS) {
			*reason = "too-many-recipients";
			return 0;
		}
	if (e != ADDR_END || total == 0) {
		*reason = "bad-address";
		*detail = addr_error_name(e == ADDR_END ? ADDR_EMPTY : e);
		return 0;
	}
	pos = 0;
	while (addr_list_next(k->chosen, k->chosen_len, &pos, &a) == ADDR_OK) {
		const char *why = NULL, *how = "";

		addr_format(&a, one, sizeof one);
		if (!route_local_domain(c, a.domain)) {
			foreign++;
			log_warn("foreign-dropped", "path=%s address=%s",
			    log_quote(qp, sizeof qp, path),
			    log_quote(qa, sizeof qa, one));
			if (ex != NULL)
				fprintf(ex, "  address %s: not a local "
				    "domain (-d); dropped\n", qa);
			continue;
		}
		if (route_map(c, &a, rcpts[n], ADDR_MAX + 1, &why, &how) < 0) {
			log_warn("unmappable", "path=%s address=%s reason=%s "
			    "rcpt=%s", log_quote(qp, sizeof qp, path),
			    log_quote(qa, sizeof qa, one), why,
			    log_quote(qr, sizeof qr, c->fallback));
			strcpy(rcpts[n], c->fallback);
			how = strcmp(why, "unknown-user") == 0 ? "fallback, an "
			    "unknown user (not in --users, no alias)" :
			    "fallback";
		}
		if (ex != NULL)
			fprintf(ex, "  address %s -> %s%s%s\n",
			    log_quote(qa, sizeof qa, one), rcpts[n],
			    how[0] ? " by " : "", how);
		for (i = 0; i < n; i++)	/* one copy per user: Bob@ = bob@ */
			if (strcasecmp(rcpts[i], rcpts[n]) == 0)
				break;
		if (i == n)
			n++;
	}
	if (n == 0)
		*reason = foreign ? "foreign-domain" : "bad-address";
	return n;
}

/* A group's lines, built whole before one write(2). */
struct gbuf {
	char *p;
	size_t len, cap;
};

static int
gbuf_add(struct gbuf *g, const char *line, int len)
{
	if (len < 0) {		/* the line could not be formatted */
		errno = E2BIG;
		return -1;
	}
	if (g->cap - g->len < (size_t)len) {
		size_t ncap = g->cap ? g->cap : 4096;
		char *np;

		while (ncap - g->len < (size_t)len)
			ncap *= 2;
		if ((np = realloc(g->p, ncap)) == NULL)
			return -1;
		g->p = np;
		g->cap = ncap;
	}
	memcpy(g->p + g->len, line, (size_t)len);
	g->len += (size_t)len;
	return 0;
}

/* Records for rcpts[0..n), then the end line; -1 when one cannot be. */
static int
build_group(struct gbuf *g, const char *path, char (*rcpts)[ADDR_MAX + 1],
    size_t n, const char *sender)
{
	char line[REC_LINE_MAX + 2], qp[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];
	size_t i;

	g->len = 0;
	for (i = 0; i < n; i++) {
		int len = rec_format(line, sizeof line, path, rcpts[i], sender);

		if (len < 0) {
			log_error("bad-record", "path=%s rcpt=%s reason=%s",
			    log_quote(qp, sizeof qp, path),
			    log_quote(qr, sizeof qr, rcpts[i]),
			    "record-too-long");
			errno = E2BIG;
			return -1;
		}
		if (gbuf_add(g, line, len) < 0)
			return -1;
		log_debug("record", "path=%s rcpt=%s",
		    log_quote(qp, sizeof qp, path),
		    log_quote(qr, sizeof qr, rcpts[i]));
	}
	return gbuf_add(g, line, rec_format_end(line, sizeof line, path));
}

/*
 * Write one message's group with one write(2) where the pipe allows, so
 * a reader sees a half group only if we die inside that call. A
 * recipient whose record cannot be written sends the whole message to
 * the fallback rather than skipping that recipient.
 */
static enum status
write_group(const struct split_config *c, const char *path,
    char (*rcpts)[ADDR_MAX + 1], size_t n, const char *sender, FILE *out)
{
	char qp[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];
	struct gbuf g = { NULL, 0, 0 };
	enum status st = ST_OK;

	if (build_group(&g, path, rcpts, n, sender) < 0) {
		log_warn("fallback", "path=%s reason=record-not-written rcpt=%s",
		    log_quote(qp, sizeof qp, path),
		    log_quote(qr, sizeof qr, c->fallback));
		strcpy(rcpts[0], c->fallback);
		if (build_group(&g, path, rcpts, 1, sender) < 0 &&
		    build_group(&g, path, rcpts, 1, "") < 0) {
			log_error("no-record", "path=%s reason=%s",
			    log_quote(qp, sizeof qp, path), errno == ENOMEM ?
			    "out-of-memory" : "path-too-long");
			free(g.p);
			return errno == ENOMEM ? ST_SOFTWARE : ST_DATAERR;
		}
	}
	if (fflush(out) != 0 || io_write_all(fileno(out), g.p, g.len) < 0) {
		log_error("write", "file=stdout error=\"%s\"", strerror(errno));
		st = ST_IOERR;
	}
	free(g.p);
	return st;
}

enum status
split_message(const struct split_config *c, const char *path, FILE *out)
{
	char qp[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX], sender[ADDR_MAX + 1];
	char (*rcpts)[ADDR_MAX + 1];
	const char *reason = NULL, *detail = "";
	struct msg m;
	size_t n = 0, i;
	int too_large;
	enum status st;
	FILE *ex = c->explain ? out : NULL;

	log_quote(qp, sizeof qp, path);
	if (path[0] == '\0' || !rec_field_ok(path)) {
		log_error("bad-path", "path=%s reason=%s", qp, path[0] == '\0' ?
		    "empty" : "control-character");
		return ST_DATAERR;
	}
	rcpts = malloc(SPLIT_MAX_RCPTS * sizeof *rcpts);
	if (rcpts == NULL)
		return ST_SOFTWARE;
	m.c = c;
	m.out = out;
	hdr_pick_init(&m.pick, c->header, c->occurrence, c->trust_hops,
	    c->any_position);
	if (ex != NULL)
		fprintf(ex, "message %s\n  looking for %s: occurrence %lu, %s\n",
		    qp, c->header, c->occurrence, c->any_position ?
		    "anywhere in the header (--any-position)" :
		    c->trust_hops == 0 ? "above the first Received:" :
		    "above Received: number --trust-hops + 1");
	st = split_read_header(path, c->max_header, on_field, &m, &too_large);
	if (st != ST_OK) {
		if (ex != NULL)
			fprintf(ex, "  cannot read: no record\n\n");
		goto out;
	}
	sender_of(&m.pick, path, sender, sizeof sender);
	/* past the cap only matters while the trusted zone is open: below
	 * it, a sender could otherwise turn any message into a fallback */
	if ((too_large && (c->any_position ||
	    m.pick.received <= c->trust_hops)) || m.pick.nomem)
		reason = "header-too-large";
	else if (m.pick.chosen == NULL)
		reason = m.pick.count > 0 ? "occurrence-missing" :
		    "no-envelope-header";
	else if (m.pick.chosen_flags & HDR_F_UNTRUSTED)
		reason = "untrusted-header";
	else
		n = recipients(c, &m.pick, path, rcpts, &reason, &detail, ex);
	if (n == 0) {
		log_warn("fallback", "path=%s reason=%s%s%s%s rcpt=%s", qp,
		    reason, detail[0] ? " detail=" : "", detail,
		    m.pick.below ? " ignored-below-received=yes" : "",
		    log_quote(qr, sizeof qr, c->fallback));
		strcpy(rcpts[0], c->fallback);
		n = 1;
		if (ex != NULL)
			fprintf(ex, "  fallback: %s reason=%s%s%s\n",
			    c->fallback, reason, detail[0] ? " detail=" : "",
			    detail);
	}
	if (ex != NULL) {
		fprintf(ex, "  sender: %s\n", sender[0] ? sender : "(none)");
		for (i = 0; i < n; i++)
			fprintf(ex, "  recipient: %s\n", rcpts[i]);
		fputc('\n', ex);
	} else {
		st = write_group(c, path, rcpts, n, sender, out);
	}
out:
	hdr_pick_free(&m.pick);
	free(rcpts);
	if (fflush(out) != 0 || ferror(out))
		return ST_IOERR;
	return st;
}
