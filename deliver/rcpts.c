/*
 * rcpts.c: a group's recipients and records for mdrop-deliver. A group
 * keeps each distinct recipient once (compared without case, found
 * through a hash table whatever the group's size) and each record in
 * arrival order, with its own spelling of PATH and RECIPIENT for its
 * result line; both lists are capped (GROUP_RCPTS, GROUP_RECORDS).
 */
#include <stdlib.h>
#include <string.h>

#include "common/ascii.h"
#include "deliver/group.h"

static int
grow(void **p, size_t *cap, size_t want, size_t size)
{
	size_t ncap = *cap ? *cap : 8;
	void *np;

	if (want <= *cap)
		return 0;
	while (ncap < want)
		ncap *= 2;
	if ((np = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

/* A copy of s when it differs from same; 0, or -1 on ENOMEM. */
static int
spelling(char **out, const char *s, const char *same)
{
	*out = NULL;
	return strcmp(s, same) == 0 || (*out = strdup(s)) != NULL ? 0 : -1;
}

/* The slot of rcpt (case ignored) in g's table: where it is, or the
 * free one where it would go. The table is never full. */
static size_t
slot_of(const struct group *g, const char *rcpt)
{
	size_t len = strlen(rcpt);
	size_t k = (size_t)ascii_hash(rcpt, len, 1) & (g->nslots - 1);

	while (g->slots[k] != 0) {
		const char *a = g->msg.rcpt[g->slots[k] - 1].addr;

		if (ascii_caseeq(a, strlen(a), rcpt, len))
			break;
		k = (k + 1) & (g->nslots - 1);
	}
	return k;
}

/* Room in g's table for one more recipient (rehashed at half full). */
static int
slots_room(struct group *g)
{
	size_t n = g->nslots ? g->nslots : 16, *old = g->slots, oldn, i;

	if (g->nslots != 0 && (g->msg.nrcpt + 1) * 2 <= g->nslots)
		return 0;
	while ((g->msg.nrcpt + 1) * 2 > n)
		n *= 2;
	if ((g->slots = calloc(n, sizeof *g->slots)) == NULL) {
		g->slots = old;
		return -1;
	}
	oldn = g->nslots;
	g->nslots = n;
	for (i = 0; i < oldn; i++)
		if (old[i] != 0)
			g->slots[slot_of(g, g->msg.rcpt[old[i] - 1].addr)] =
			    old[i];
	free(old);
	return 0;
}

/* A new recipient at the end of g's list; its index, or -1 with *why. */
static long
new_rcpt(struct group *g, const char *rcpt, const char **why)
{
	size_t i = g->msg.nrcpt, ncap = g->cap;
	struct dl_rcpt *r;

	*why = "too-many-recipients";
	if (i >= GROUP_RCPTS)
		return -1;
	*why = "out-of-memory";
	if (slots_room(g) < 0 || grow((void **)&g->msg.rcpt, &ncap, i + 1,
	    sizeof *g->msg.rcpt) < 0 ||
	    grow((void **)&g->fresh, &g->cap, i + 1, 1) < 0)
		return -1;
	r = &g->msg.rcpt[i];
	memset(r, 0, sizeof *r);
	if ((r->addr = strdup(rcpt)) == NULL)
		return -1;
	g->fresh[i] = 0;
	g->slots[slot_of(g, rcpt)] = i + 1;
	g->msg.nrcpt++;
	return (long)i;
}

/*
 * Add a record (path, rcpt) to g: its recipient index (an earlier one
 * for a repeat, compared without case), or -1 with *why
 * ("out-of-memory", "too-many-recipients").
 */
long
group_add_record(struct group *g, const char *path, const char *rcpt,
    const char **why)
{
	struct grec *rec;
	long i = -1;

	*why = "too-many-recipients";
	if (g->nrecs >= GROUP_RECORDS)
		return -1;
	if (g->nslots != 0 && g->slots[slot_of(g, rcpt)] != 0)
		i = (long)g->slots[slot_of(g, rcpt)] - 1;
	*why = "out-of-memory";
	if (grow((void **)&g->recs, &g->caprecs, g->nrecs + 1,
	    sizeof *g->recs) < 0 || (i < 0 && (i = new_rcpt(g, rcpt,
	    why)) < 0))
		return -1;
	rec = &g->recs[g->nrecs];
	rec->idx = (size_t)i;
	if (spelling(&rec->path, path, g->path) < 0)
		return -1;
	if (spelling(&rec->rcpt, rcpt, g->msg.rcpt[i].addr) < 0) {
		free(rec->path);
		return -1;
	}
	g->nrecs++;
	return i;
}
