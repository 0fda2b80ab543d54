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
	struct stat st;
	enum hdr_event ev = HDR_MORE;
	int fd, rc = 1;

	*too_large = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = EISDIR;
	}
	if (fd < 0) {
		log_error("open", "path=%s error=\"%s\"",
		    log_quote(qp, sizeof qp, path), strerror(errno));
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
	if (hops == 0)
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
	/* pass 1: the whole list must be valid, or none of it is used */
	while ((e = addr_list_next(k->chosen, k->chosen_len, &pos, &a)) ==
	    ADDR_OK)
		total++;
	if (e != ADDR_END || total == 0) {
		*reason = "bad-address";
		*detail = addr_error_name(e == ADDR_END ? ADDR_EMPTY : e);
		return 0;
	}
	if (total > SPLIT_MAX_RCPTS) {
		*reason = "too-many-recipients";
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
			how = "fallback";
		}
		if (ex != NULL)
			fprintf(ex, "  address %s -> %s%s%s\n",
			    log_quote(qa, sizeof qa, one), rcpts[n],
			    how[0] ? " by " : "", how);
		for (i = 0; i < n; i++)
			if (strcmp(rcpts[i], rcpts[n]) == 0)
				break;
		if (i == n)
			n++;
	}
	if (n == 0)
		*reason = foreign ? "foreign-domain" : "bad-address";
	return n;
}

enum status
split_message(const struct split_config *c, const char *path, FILE *out)
{
	char qp[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX], sender[ADDR_MAX + 1];
	char line[REC_LINE_MAX + 2];
	char (*rcpts)[ADDR_MAX + 1];
	const char *reason = NULL, *detail = "";
	struct msg m;
	size_t n = 0, i;
	int too_large;
	enum status st;
	FILE *ex = c->explain ? out : NULL;

	log_quote(qp, sizeof qp, path);
	if (path[0] == '\0' || !rec_field_ok(path)) {
		log_error("bad-path", "path=%s reason=control-character", qp);
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
	if (too_large || m.pick.nomem)
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
	if (ex != NULL)
		fprintf(ex, "  sender: %s\n", sender[0] ? sender : "(none)");
	for (i = 0; i < n; i++) {
		if (ex != NULL) {
			fprintf(ex, "  recipient: %s\n", rcpts[i]);
			continue;
		}
		if (rec_format(line, sizeof line, path, rcpts[i], sender) < 0) {
			log_error("bad-record", "path=%s rcpt=%s", qp,
			    log_quote(qr, sizeof qr, rcpts[i]));
			st = ST_DATAERR;
			continue;
		}
		log_debug("record", "path=%s rcpt=%s", qp,
		    log_quote(qr, sizeof qr, rcpts[i]));
		fputs(line, out);
	}
	if (ex != NULL)
		fputc('\n', ex);
out:
	hdr_pick_free(&m.pick);
	free(rcpts);
	if (fflush(out) != 0 || ferror(out))
		return ST_IOERR;
	return st;
}
