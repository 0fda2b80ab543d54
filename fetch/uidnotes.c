/*
 * uidnotes: the durable record of which server UIDs are safely in the
 * spool (see fetch.h). It is what makes fetching exactly-once: a message
 * is DELEd only once its note is durable, and a message whose note exists
 * is never downloaded again; the next session DELEs it without RETR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/io.h"
#include "common/log.h"
#include "common/uidnote.h"
#include "fetch/fetch.h"

#define NOTES_MAX (2 * POP3_MSG_MAX)	/* cap on remembered UIDs */

static size_t
hash(const struct notes *n, const char *uid)
{
	uint64_t h = 1469598103934665603ull;

	for (; *uid != '\0'; uid++)
		h = (h ^ (unsigned char)*uid) * 1099511628211ull;
	return (size_t)(h & (n->tabsize - 1));
}

struct note *
notes_find(struct notes *n, const char *uid)
{
	struct note *e;

	for (e = n->tab[hash(n, uid)]; e != NULL; e = e->next)
		if (strcmp(e->uid, uid) == 0)
			return e;
	return NULL;
}

static int
grow(struct notes *n)
{
	size_t newsize = n->tabsize * 2, i;
	struct note **tab = calloc(newsize, sizeof *tab), **old = n->tab;
	size_t oldsize = n->tabsize;

	if (tab == NULL)
		return -1;
	n->tab = tab;
	n->tabsize = newsize;
	for (i = 0; i < oldsize; i++) {
		struct note *e = old[i], *next;

		for (; e != NULL; e = next) {
			size_t h = hash(n, e->uid);

			next = e->next;
			e->next = tab[h];
			tab[h] = e;
		}
	}
	free(old);
	return 0;
}

/* Find or insert uid; NULL with ENOMEM or EFBIG (too many notes). */
static struct note *
lookup_add(struct notes *n, const char *uid)
{
	struct note *e = notes_find(n, uid);
	size_t h;

	if (e != NULL)
		return e;
	if (n->count >= NOTES_MAX) {
		errno = EFBIG;
		return NULL;
	}
	if (n->count >= n->tabsize && grow(n) < 0)
		return NULL;
	e = calloc(1, sizeof *e);
	if (e == NULL || (e->uid = strdup(uid)) == NULL) {
		free(e);
		return NULL;
	}
	h = hash(n, uid);
	e->next = n->tab[h];
	n->tab[h] = e;
	n->count++;
	return e;
}

/* Finish a rename that a crash interrupted: tmp/NAME -> new/NAME. */
static int
recover(struct notes *n, const char *name)
{
	char tmpname[MD_NAME_MAX + 4], q[LOG_QUOTE_MAX];
	struct stat st;

	if (!md_name_valid(name) || snprintf(tmpname, sizeof tmpname, "%s,F",
	    name) >= (int)sizeof tmpname ||
	    fstatat(n->tmpfd, tmpname, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (renameat(n->tmpfd, tmpname, n->newfd, name) < 0)
		return -1;
	log_info("recovered", "file=%s", log_quote_path(q, sizeof q, "new",
	    name));
	/* The waiting paths were printed before the notes were read: print
	 * this one too, or it would wait for the next run (it is durable once
	 * load() has fsynced new/, before anything is flushed to stdout). */
	if (out_push(n->spool, name) < 0)
		return -1;
	return 1;
}

/* One line, LF included (common/uidnote). Malformed lines are skipped. */
static int
load_line(struct notes *n, const char *line, size_t len, int *renamed)
{
	struct uidnote u;
	enum uidnote_err err = uidnote_parse(line, len, &u);
	char q[LOG_QUOTE_MAX];
	struct note *e;

	if (err != UIDNOTE_OK) {
		log_warn("uidl-note-skipped", "file=%s reason=%s",
		    log_quote(q, sizeof q, n->file),
		    uidnote_error_name(err));
		return 0;
	}
	if ((e = lookup_add(n, u.uid)) == NULL)
		return -1;
	e->size = u.size;
	e->flags |= u.kind == UIDNOTE_SPOOLED ? NOTE_SPOOLED : NOTE_TOOBIG;
	if (u.kind == UIDNOTE_SPOOLED)	/* the newest S line speaks */
		memcpy(e->ident, u.ident, sizeof e->ident);
	if (u.name[0] != '\0') {
		int got = recover(n, u.name);

		if (got < 0)
			return -1;
		*renamed += got;
	}
	return 0;
}

static int
load(struct notes *n)
{
	struct io_reader r;
	struct io_line l;
	off_t good = 0;
	int skip = 0, renamed = 0, got;

	if (io_reader_fd(&r, n->fd, UIDNOTE_LINE_MAX) < 0)
		return -1;
	while ((got = io_getline(&r, &l)) == 1) {
		if (!l.has_lf) {
			if (!l.complete)
				skip = 1;	/* piece of an overlong line */
			else
				break;		/* torn last line: drop it */
			good += (off_t)l.len;
			continue;
		}
		good += (off_t)l.len;
		if (skip) {
			skip = 0;
			continue;
		}
		if (load_line(n, l.data, l.len, &renamed) < 0) {
			io_reader_free(&r);
			return -1;
		}
	}
	io_reader_free(&r);
	if (got < 0)
		return -1;
	/* Cut a torn last line so that the next append starts a line. */
	if (ftruncate(n->fd, good) < 0)
		return -1;
	if (renamed > 0 && md_fsync_dir(n->newfd) < 0)
		return -1;
	return 0;
}

/* Remove leftovers of messages being written when a fetch died. */
static void
clean_tmp(int tmpfd)
{
	int fd = dup(tmpfd);
	char q[LOG_QUOTE_MAX];
	DIR *d;
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len > 2 && strcmp(de->d_name + len - 2, ",F") == 0 &&
		    md_name_valid(de->d_name) &&
		    unlinkat(tmpfd, de->d_name, 0) == 0)
			log_info("removed-partial", "file=%s",
			    log_quote_path(q, sizeof q, "tmp", de->d_name));
	}
	closedir(d);
}

int
notes_open(struct notes *n, const struct spool *sp, const char *user,
    const char *host, const char *port)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char key[600];
	int len;

	memset(n, 0, sizeof *n);
	n->fd = -1;
	n->dirfd = sp->dirfd;
	n->spool = sp->path;
	n->tmpfd = sp->tmpfd;
	n->newfd = sp->newfd;
	len = snprintf(key, sizeof key, "%s\n%s", user, host);
	(void)port;	/* 995 and 110+STLS reach the same mailbox */
	if (len < 0 || (size_t)len >= sizeof key ||
	    EVP_Digest(key, (size_t)len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(n->file, "uidl.", 5);
	for (i = 0; i < 8; i++)
		snprintf(n->file + 5 + 2 * i, 3, "%02x", md[i]);
	n->tabsize = 1024;
	n->tab = calloc(n->tabsize, sizeof *n->tab);
	if (n->tab == NULL)
		return -1;
	n->fd = openat(n->dirfd, n->file, O_RDWR | O_CREAT | O_APPEND |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (n->fd < 0 || load(n) < 0) {
		int e = errno;

		notes_close(n);
		errno = e;
		return -1;
	}
	clean_tmp(n->tmpfd);
	return 0;
}

static int
pend(struct notes *n, const char *line, size_t len)
{
	if (n->pendlen + len > n->pendcap) {
		size_t cap = n->pendcap ? n->pendcap : 4096;
		char *p;

		while (cap < n->pendlen + len)
			cap *= 2;
		if ((p = realloc(n->pend, cap)) == NULL)
			return -1;
		n->pend = p;
		n->pendcap = cap;
	}
	memcpy(n->pend + n->pendlen, line, len);
	n->pendlen += len;
	return 0;
}

/* Queue the line of one note; ENAMETOOLONG if it cannot be written. */
static int
pend_note(struct notes *n, enum uidnote_kind kind, const struct note *e,
    const char *name)
{
	char line[UIDNOTE_LINE_MAX];
	struct uidnote u;
	int len;

	memset(&u, 0, sizeof u);
	u.kind = kind;
	u.size = e->size;
	if (kind == UIDNOTE_SPOOLED)
		memcpy(u.ident, e->ident, sizeof u.ident);
	if (snprintf(u.uid, sizeof u.uid, "%s", e->uid) >= (int)sizeof u.uid ||
	    snprintf(u.name, sizeof u.name, "%s", name != NULL ? name : "") >=
	    (int)sizeof u.name ||
	    (len = uidnote_format(line, sizeof line, &u)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return pend(n, line, (size_t)len);
}

int
notes_add(struct notes *n, unsigned flag, const char *uid, uint64_t size,
    const char *name, const char *ident)
{
	struct note *e = lookup_add(n, uid);

	if (e == NULL)
		return -1;
	e->flags |= flag | NOTE_SEEN;
	e->size = size;
	if (flag == NOTE_SPOOLED)
		snprintf(e->ident, sizeof e->ident, "%s",
		    ident != NULL ? ident : "");
	return pend_note(n, flag == NOTE_SPOOLED ? UIDNOTE_SPOOLED
	    : UIDNOTE_TOOBIG, e, name);
}

int
notes_sync(struct notes *n)
{
	if (n->pendlen == 0)
		return 0;
	if (io_write_all(n->fd, n->pend, n->pendlen) < 0 || fsync(n->fd) < 0)
		return -1;
	n->pendlen = 0;
	return 0;
}

int
notes_rewrite(struct notes *n)
{
	char tmpname[80];
	size_t i;
	int fd;

	snprintf(tmpname, sizeof tmpname, "%s.new", n->file);
	if (notes_sync(n) < 0)
		return -1;
	fd = openat(n->dirfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (i = 0; i < n->tabsize; i++) {
		struct note *e;

		for (e = n->tab[i]; e != NULL; e = e->next) {
			if ((e->flags & NOTE_SEEN) == 0 || (e->flags & NOTE_GONE))
				continue;
			/* one line per flag, each formatted on its own */
			if ((e->flags & NOTE_SPOOLED) &&
			    pend_note(n, UIDNOTE_SPOOLED, e, NULL) < 0)
				goto fail;
			if ((e->flags & NOTE_TOOBIG) &&
			    pend_note(n, UIDNOTE_TOOBIG, e, NULL) < 0)
				goto fail;
			if (n->pendlen >= 65536) {
				if (io_write_all(fd, n->pend, n->pendlen) < 0)
					goto fail;
				n->pendlen = 0;
			}
		}
	}
	if (io_write_all(fd, n->pend, n->pendlen) < 0 || fsync(fd) < 0)
		goto fail;
	n->pendlen = 0;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(n->dirfd, tmpname, n->dirfd, n->file) < 0 ||
	    md_fsync_dir(n->dirfd) < 0)
		goto fail;
	close(n->fd);
	n->fd = openat(n->dirfd, n->file, O_RDWR | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	return n->fd < 0 ? -1 : 0;
fail:
	{
		int e = errno;

		n->pendlen = 0;
		if (fd >= 0)
			close(fd);
		unlinkat(n->dirfd, tmpname, 0);
		errno = e;
	}
	return -1;
}

void
notes_close(struct notes *n)
{
	size_t i;

	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	for (i = 0; n->tab != NULL && i < n->tabsize; i++) {
		struct note *e = n->tab[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e->uid);
			free(e);
		}
	}
	free(n->tab);
	n->tab = NULL;
	free(n->pend);
	n->pend = NULL;
}
