/*
 * tables: the alias file (-a) and the known-users file (--users), each
 * read once at start, checked whole (a bad line names the file and line
 * and nothing is loaded), kept sorted in memory and looked up with
 * bsearch. Nothing is reloaded at run time: a new user or alias means a
 * restart of the pipeline.
 *
 * Alias lines:  ADDRESS TARGET   or   @DOMAIN TARGET   (catch-all)
 * User lines:   LOCALPART        or   LOCALPART@DOMAIN
 * '#' starts a comment line; blank lines are skipped. Every domain must
 * be one of the -d domains, so a table can never route mail elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ascii.h"
#include "common/io.h"
#include "common/log.h"
#include "split/split.h"

#define TABLE_LINE_MAX 1024

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct alias *)a)->key,
	    ((const struct alias *)b)->key);
}

/* Key, then where it was read: a duplicate sorts after its first one. */
static int
entry_order(const void *a, const void *b)
{
	const struct alias *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
free_entries(struct alias **e, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		free((*e)[i].key);
		free((*e)[i].target);
	}
	free(*e);
	*e = NULL;
	*n = 0;
}

void
route_free_tables(struct split_config *c)
{
	free_entries(&c->aliases, &c->naliases);
	free_entries(&c->users, &c->nusers);
}

/* An address of a -d domain, formatted into buf (domain lower case). */
static const char *
local_address(const struct split_config *c, const char *s, char *buf,
    size_t n)
{
	struct addr a;

	if (addr_parse_spec(s, strlen(s), &a) != ADDR_OK ||
	    addr_format(&a, buf, n) < 0)
		return "bad-address";
	return route_local_domain(c, a.domain) ? NULL : "domain-not-local";
}

/* The first two words of line (NUL-terminated, no LF) into *w1, *w2
 * (*w2 NULL when there is one). 1 blank or comment, 0 ok, -1 *why. */
static int
words(char *line, char **w1, char **w2, const char **why)
{
	char *save = NULL, *extra;
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*why = "control-character";
			return -1;
		}
	}
	*w1 = strtok_r(line, " \t", &save);
	if (*w1 == NULL || (*w1)[0] == '#')
		return 1;
	*w2 = strtok_r(NULL, " \t", &save);
	extra = *w2 != NULL ? strtok_r(NULL, " \t", &save) : NULL;
	if (*w2 != NULL && (*w2)[0] == '#')
		*w2 = NULL;
	if (extra != NULL && extra[0] != '#') {
		*why = "too-many-fields";
		return -1;
	}
	return 0;
}

/* One alias line into *e: 0, 1 (nothing), or -1 with *why. */
static int
alias_line(const struct split_config *c, char *line, struct alias *e,
    const char **why)
{
	char key[ADDR_MAX + 2], target[ADDR_MAX + 2], *w1, *w2 = NULL;
	int r = words(line, &w1, &w2, why);

	if (r != 0)
		return r;
	if (w2 == NULL) {
		*why = "want-two-fields";
		return -1;
	}
	if (w1[0] == '@') {
		if (addr_domain_check(w1 + 1) != ADDR_OK) {
			*why = "bad-domain";
			return -1;
		}
		if (!route_local_domain(c, w1 + 1)) {
			*why = "domain-not-local";
			return -1;
		}
		snprintf(key, sizeof key, "@%s", w1 + 1);
	} else if ((*why = local_address(c, w1, key, sizeof key)) != NULL) {
		return -1;
	}
	ascii_lower_str(key);
	if ((*why = local_address(c, w2, target, sizeof target)) != NULL) {
		*why = strcmp(*why, "bad-address") == 0 ? "bad-target" :
		    "target-not-local";
		return -1;
	}
	e->key = strdup(key);
	e->target = strdup(target);
	if (e->key == NULL || e->target == NULL) {
		*why = "out-of-memory";
		return -1;
	}
	return 0;
}

/* One users line into *e: "local@domain", or "local@" for a local part
 * of any -d domain. */
static int
user_line(const struct split_config *c, char *line, struct alias *e,
    const char **why)
{
	char key[ADDR_MAX + 2], spec[ADDR_MAX + 2], *w1, *w2 = NULL;
	int r = words(line, &w1, &w2, why);

	if (r != 0)
		return r;
	if (w2 != NULL) {
		*why = "want-one-field";
		return -1;
	}
	if (strchr(w1, '@') != NULL) {
		if ((*why = local_address(c, w1, key, sizeof key)) != NULL)
			return -1;
	} else {
		/* a bare local part, checked as one of the first domain */
		if (snprintf(spec, sizeof spec, "%s@%s", w1, c->domains[0]) >=
		    (int)sizeof spec || local_address(c, spec, key,
		    sizeof key) != NULL) {
			*why = "bad-local-part";
			return -1;
		}
		*strrchr(key, '@') = '\0';
		strcat(key, "@");
	}
	ascii_lower_str(key);
	e->target = NULL;
	if ((e->key = strdup(key)) == NULL) {
		*why = "out-of-memory";
		return -1;
	}
	return 0;
}

typedef int (*line_fn)(const struct split_config *, char *, struct alias *,
    const char **);

/* Append e to (*v, *n), growing it; NULL or the reason it failed. */
static const char *
append(struct alias **v, size_t *n, size_t *size, struct alias *e)
{
	if (*n >= ALIAS_MAX)
		return "too-many-lines";
	if (*n == *size) {
		size_t ns = *size ? *size * 2 : 64;
		struct alias *nv = realloc(*v, ns * sizeof *nv);

		if (nv == NULL)
			return "out-of-memory";
		*v = nv;
		*size = ns;
	}
	e->seq = *n;
	(*v)[(*n)++] = *e;
	return NULL;
}

/* Sort and refuse a key given twice; 0 or -1 (logged). */
static int
sort_unique(struct alias *v, size_t n, const char *event)
{
	char q[LOG_QUOTE_MAX], qf[LOG_QUOTE_MAX], qf1[LOG_QUOTE_MAX];
	size_t i, first = 0;
	int bad = 0;

	qsort(v, n, sizeof *v, entry_order);
	for (i = 1; i < n; i++) {
		if (strcmp(v[first].key, v[i].key) != 0) {
			first = i;
			continue;
		}
		log_error(event, "file=%s line=%lu reason=duplicate entry=%s%s%s "
		    "first-line=%lu", log_quote(qf, sizeof qf, v[i].file),
		    v[i].line, log_quote(q, sizeof q, v[i].key),
		    v[i].file != v[first].file ? " first-file=" : "",
		    v[i].file != v[first].file ? log_quote(qf1, sizeof qf1,
		    v[first].file) : "", v[first].line);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* Read a table file with fn per line, appending to (*v, *n, *size). */
static enum status
load(const struct split_config *c, const char *event, const char *path,
    line_fn fn, struct alias **v, size_t *n, size_t *size)
{
	char qp[LOG_QUOTE_MAX], line[TABLE_LINE_MAX + 1];
	struct io_reader r;
	struct io_line l;
	unsigned long lineno = 0;
	int fd, rc, bad = 0;

	log_quote(qp, sizeof qp, path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || io_reader_fd(&r, fd, TABLE_LINE_MAX + 1) < 0) {
		log_error(event, "file=%s error=\"%s\"", qp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ST_CONFIG;
	}
	while ((rc = io_getline(&r, &l)) == 1) {
		struct alias e = { NULL, NULL, path, 0, 0 };
		const char *why = NULL;
		size_t len = l.len - (size_t)l.has_lf;
		int got = -1;

		lineno++;
		if (!l.complete) {
			why = "line-too-long";
			while (rc == 1 && !l.complete)
				rc = io_getline(&r, &l);
		} else if (memchr(l.data, '\0', len) != NULL) {
			why = "control-character";
		} else {
			if (len > 0 && l.data[len - 1] == '\r')
				len--;	/* a CRLF file */
			memcpy(line, l.data, len);
			line[len] = '\0';
			got = fn(c, line, &e, &why);
			e.file = path;
			e.line = lineno;
		}
		if (got == 1 || (got == 0 && (why = append(v, n, size,
		    &e)) == NULL))
			continue;
		free(e.key);
		free(e.target);
		log_error(event, "file=%s line=%lu reason=%s", qp, lineno,
		    why);
		bad = 1;
	}
	if (rc < 0) {
		log_error(event, "file=%s error=\"%s\"", qp, strerror(errno));
		bad = 1;
	}
	io_reader_free(&r);
	close(fd);
	return bad ? ST_CONFIG : ST_OK;
}

/* Every file into (*v, *n), then sorted; a key twice is refused. */
static enum status
load_all(const struct split_config *c, const char *event,
    const char *const *paths, size_t npaths, line_fn fn, struct alias **v,
    size_t *n)
{
	size_t i, size = 0;
	int bad = 0;

	for (i = 0; i < npaths; i++)
		if (load(c, event, paths[i], fn, v, n, &size) != ST_OK)
			bad = 1;
	if (bad || sort_unique(*v, *n, event) < 0) {
		free_entries(v, n);
		return ST_CONFIG;
	}
	return ST_OK;
}

enum status
route_load_aliases(struct split_config *c, const char *const *paths,
    size_t n)
{
	return load_all(c, "aliases", paths, n, alias_line, &c->aliases,
	    &c->naliases);
}

enum status
route_load_users(struct split_config *c, const char *const *paths, size_t n)
{
	return load_all(c, "users", paths, n, user_line, &c->users,
	    &c->nusers);
}

static const struct alias *
find(const struct alias *v, size_t n, const char *key)
{
	struct alias k;

	if (n == 0)
		return NULL;
	k.key = (char *)(uintptr_t)key;
	return bsearch(&k, v, n, sizeof k, entry_cmp);
}

const char *
route_alias(const struct split_config *c, const char *key)
{
	const struct alias *hit = find(c->aliases, c->naliases, key);

	return hit != NULL ? hit->target : NULL;
}

int
route_known_user(const struct split_config *c, const char *key)
{
	char bare[ADDR_MAX + 2];
	const char *at = strrchr(key, '@');

	if (find(c->users, c->nusers, key) != NULL)
		return 1;
	if (at == NULL || (size_t)(at - key) + 2 > sizeof bare)
		return 0;
	snprintf(bare, sizeof bare, "%.*s@", (int)(at - key), key);
	return find(c->users, c->nusers, bare) != NULL;
}
