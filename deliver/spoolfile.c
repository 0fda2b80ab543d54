/*
 * spoolfile.c: a group's spool for mdrop-deliver: its directory, kept
 * open and known by its identity (so SPOOL and SPOOL/ are one), and its
 * file: opened without following a symlink, locked, checked to be still
 * in new/ (another deliver may have finished it), its done note opened.
 * Step 1 of the durable order of commit.c. As root, every step here is
 * done as the spool's owner (deliver/priv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/spool.h"
#include "deliver/group.h"
#include "deliver/notes.h"
#include "deliver/priv.h"

void
group_error(struct group *g, enum gstate s, enum dl_result res, enum status st,
    const char *fmt, ...)
{
	va_list ap;

	g->state = s;
	g->eres = res;
	g->est = st;
	va_start(ap, fmt);
	vsnprintf(g->edetail, sizeof g->edetail, fmt, ap);
	va_end(ap);
}

/* The notes an earlier run was killed before removing: gone now. */
static void
sweep(const struct sref *s)
{
	char q[LOG_QUOTE_MAX];
	int n = note_sweep(s->sp.dirfd, s->sp.newfd);

	log_quote(q, sizeof q, s->sp.path);
	if (n < 0)
		log_warn("done-note", "spool=%s error=\"%s\"", q,
		    strerror(errno));
	else if (n > 0)
		log_info("orphan-notes-removed", "spool=%s count=%d", q, n);
}

/* The spool of directory dir, by its string or else by its identity. */
struct sref *
spool_ref(struct batch *b, const char *dir)
{
	struct sref *s, *t;
	struct stat st;

	for (s = b->spools; s != NULL; s = s->next)
		if (strcmp(s->sp.path, dir) == 0)
			return s;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (spool_open(&s->sp, dir, 0) < 0 || fstat(s->sp.dirfd, &st) < 0) {
		int e = errno;

		spool_close(&s->sp);
		free(s);
		errno = e;
		return NULL;
	}
	for (t = b->spools; t != NULL; t = t->next) {
		if (t->dev == st.st_dev && t->ino == st.st_ino) {
			spool_close(&s->sp);	/* spelled differently */
			free(s);
			return t;
		}
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->unsafe = spool_unsafe(&s->sp);	/* once, not per message */
	s->next = b->spools;
	b->spools = s;
	return s;
}

/* Close idle spools beyond SPOOLS_KEPT. */
void
spool_trim(struct batch *b)
{
	struct sref **pp = &b->spools, *s;
	size_t n = 0;

	while ((s = *pp) != NULL) {
		if (s->refs == 0 && ++n > SPOOLS_KEPT) {
			*pp = s->next;
			spool_close(&s->sp);
			free(s);
		} else {
			pp = &s->next;
		}
	}
}

/*
 * Find the spool of path: *sr and *name (into path), or NULL with the
 * reason set in g (the group that will carry it).
 */
struct sref *
spool_locate(struct batch *b, const char *path, const char **name, struct group *g)
{
	char dir[PATH_MAX];
	struct sref *sr = NULL;
	int r;

	if (spool_split_path(path, dir, sizeof dir, name) < 0) {
		group_error(g, G_ERROR, DL_FAIL, ST_DATAERR, "not a spool file "
		    "(PATH must be SPOOL/new/NAME)");
		return NULL;
	}
	/* as root, all that follows as the spool's owner (group_new goes
	 * back) */
	if ((r = priv_enter_path(dir)) == -2) {
		group_error(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s belongs to "
		    "root: as root, mdrop-deliver needs --user", dir);
		return NULL;
	}
	if (r < 0 || (sr = spool_ref(b, dir)) == NULL) {
		int e = errno;

		group_error(g, G_ERROR, DL_DEFER, e == ENOENT || e == ENOTDIR ?
		    ST_NOINPUT : ST_TEMPFAIL, "cannot open spool %s: %s", dir,
		    strerror(e));
		return NULL;
	}
	if (sr->unsafe != NULL) {
		group_error(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s%s%s is "
		    "writable by group or others: not taken (chmod 700)", dir,
		    *sr->unsafe != '\0' ? "/" : "", sr->unsafe);
		return NULL;
	}
	/* here, as the spool's owner: a spool opened elsewhere (group_find
	 * comparing an end line's file) is root's to read, never to sweep */
	if (!sr->swept) {
		sr->swept = 1;
		sweep(sr);
	}
	return sr;
}

/* Open the spool file of a new group: step 1 above. */
void
group_open(struct group *g, int make_note)
{
	const char *name = g->msg.name;
	struct stat st, st2;
	int fd, r;

	if ((r = priv_enter(g->sr->sp.dirfd)) == -2) {
		group_error(g, G_ERROR, DL_DEFER, ST_CONFIG, "spool %s belongs to "
		    "root: as root, mdrop-deliver needs --user", g->sr->sp.path);
		return;
	}
	if (r < 0) {
		group_error(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "spool %s: cannot act "
		    "as its owner: %s", g->sr->sp.path, strerror(errno));
		return;
	}
	fd = openat(g->sr->sp.newfd, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			g->state = G_GONE;
		else
			group_error(g, G_ERROR, DL_DEFER, errno == ELOOP ?
			    ST_DATAERR : ST_TEMPFAIL, "cannot open: %s",
			    errno == ELOOP ? "a symlink" : strerror(errno));
		return;
	}
	g->msg.fd = fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		group_error(g, G_ERROR, DL_DEFER, ST_DATAERR, "not a regular file");
		return;
	}
	if ((r = spool_lock_fd(fd)) < 0) {
		if (r == -2)
			group_error(g, G_LOCKED, DL_DEFER, ST_TEMPFAIL, "locked");
		else
			group_error(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "flock: %s",
			    strerror(errno));
		return;
	}
	/* Another deliver may have finished it while we waited. */
	if (fstatat(g->sr->sp.newfd, name, &st2, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st2.st_ino != st.st_ino || st2.st_dev != st.st_dev) {
		g->state = G_GONE;
		return;
	}
	g->msg.size = (uint64_t)st.st_size;
	g->msg.uid = st.st_uid;
	g->msg.dev = st.st_dev;
	if (note_open(&g->note, g->sr->sp.dirfd, name, make_note) < 0) {
		group_error(g, G_ERROR, DL_DEFER, ST_TEMPFAIL, "done note: %s",
		    strerror(errno));
		return;
	}
	g->have_note = 1;
	if (make_note && !g->note.existed)	/* durable before any link */
		g->sr->marks = 1;
	g->state = G_READY;
}
