/*
 * input.c: mdrop-deliver's read loop: record lines from stdin into the
 * batch, the batch committed whenever no further line is waiting (group
 * commit: records flowing in one at a time from fetch share the fsyncs)
 * or it is full, an idle LMTP session closed, a stop signal honoured
 * between lines.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "common/rec.h"
#include "common/spool.h"
#include "common/tool.h"
#include "deliver/input.h"

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
	int r = batch_wait_input(b, 0);

	while (r == 0 && (age = batch_age(b)) >= 0 && age < BATCH_WAIT_MS)
		r = batch_wait_input(b, (int)(BATCH_WAIT_MS - age));
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
	char line[REC_LINE_MAX + 1], dir[PATH_MAX];
	enum rec_error e = REC_TOO_LONG;
	const char *tab, *name;
	struct rec r;

	if (l->complete && l->len <= REC_LINE_MAX) {
		memcpy(line, l->data, l->len);
		e = rec_parse(line, l->len, &r);
	}
	if (e == REC_OK && spool_split_path(r.path, dir, sizeof dir,
	    &name) < 0 && errno == EINVAL)	/* batch.c says it on stdout */
		log_error("bad-record", "line=%lu reason=not-a-spool-file",
		    lineno);
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

enum status
input_run(struct batch *b, struct lmtp_client *lmtp, int idle)
{
	struct io_reader rd;
	enum status st = ST_OK;
	unsigned long lineno = 0;

	/* a stop signal ends a wait for input (the read fails EINTR) */
	if (io_reader_init(&rd, tool_pull_stdin, NULL, REC_LINE_MAX + 1) < 0) {
		log_error("out-of-memory", NULL);
		return ST_TEMPFAIL;
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
	io_reader_free(&rd);
	if (tool_stopping())
		st = status_worse(st, ST_TEMPFAIL);	/* unread lines wait */
	return status_worse(st, batch_input_end(b));
}
