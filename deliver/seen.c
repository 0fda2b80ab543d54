#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/seen.h"

struct seen_rcpt {
	char *addr;
	enum dl_result result;
	char *detail;
};

struct seen_file {
	dev_t dev;
	ino_t ino;
	char *name;		/* NULL: free slot */
	struct seen_rcpt *rcpt;
	size_t nrcpt;
};

struct seen {
	struct seen_file ring[SEEN_KEEP];
	size_t next;		/* the slot to fill (the oldest) */
};

struct seen *
seen_new(void)
{
	return calloc(1, sizeof(struct seen));
}

static void
file_clear(struct seen_file *f)
{
	size_t i;

	for (i = 0; i < f->nrcpt; i++) {
		free(f->rcpt[i].addr);
		free(f->rcpt[i].detail);
	}
	free(f->rcpt);
	free(f->name);
	memset(f, 0, sizeof *f);
}

void
seen_free(struct seen *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SEEN_KEEP; i++)
		file_clear(&s->ring[i]);
	free(s);
}

int
seen_add(struct seen *s, dev_t dev, ino_t ino, const char *name,
    const struct dl_msg *msg)
{
	struct seen_file *f = &s->ring[s->next];
	size_t i;

	file_clear(f);
	s->next = (s->next + 1) % SEEN_KEEP;
	f->dev = dev;
	f->ino = ino;
	if ((f->name = strdup(name)) == NULL ||
	    (f->rcpt = calloc(msg->nrcpt ? msg->nrcpt : 1,
	    sizeof *f->rcpt)) == NULL)
		goto fail;
	for (i = 0; i < msg->nrcpt; i++) {
		struct seen_rcpt *r = &f->rcpt[f->nrcpt++];

		r->result = msg->rcpt[i].result;
		if ((r->addr = strdup(msg->rcpt[i].addr)) == NULL ||
		    (r->detail = strdup(msg->rcpt[i].detail)) == NULL)
			goto fail;
	}
	return 0;
fail:
	file_clear(f);
	return -1;
}

enum dl_result
seen_lookup(const struct seen *s, dev_t dev, ino_t ino, const char *name,
    const char *rcpt, char *detail, size_t n)
{
	size_t i, k;

	for (i = 0; i < SEEN_KEEP; i++) {
		const struct seen_file *f = &s->ring[i];

		if (f->name == NULL || f->dev != dev || f->ino != ino ||
		    strcmp(f->name, name) != 0)
			continue;
		for (k = 0; k < f->nrcpt; k++) {
			const struct seen_rcpt *r = &f->rcpt[k];

			if (strcasecmp(r->addr, rcpt) != 0 ||
			    (r->result != DL_OK && r->result != DL_FAIL))
				continue;
			if (n > 0) {
				strncpy(detail, r->detail, n - 1);
				detail[n - 1] = '\0';
			}
			return r->result;
		}
		return DL_PENDING;
	}
	return DL_DEFER;
}
