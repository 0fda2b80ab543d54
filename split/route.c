/*
 * route: from an envelope address to the final recipient. Only addresses
 * of the -d domains are ever routed; the alias file can only map them onto
 * addresses of those domains too, so nothing is ever relayed elsewhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "split/split.h"

#define ALIAS_LINE_MAX 1024

int
route_local_domain(const struct split_config *c, const char *domain)
{
	size_t i;

	for (i = 0; i < c->ndomains; i++)
		if (strcmp(c->domains[i], domain) == 0)
			return 1;
	return 0;
}

static void
lower_str(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
alias_cmp(const void *a, const void *b)
{
	return strcmp(((const struct alias *)a)->key,
	    ((const struct alias *)b)->key);
}

void
route_free_aliases(struct split_config *c)
{
	size_t i;

	for (i = 0; i < c->naliases; i++) {
		free(c->aliases[i].key);
		free(c->aliases[i].target);
	}
	free(c->aliases);
	c->aliases = NULL;
	c->naliases = 0;
}

/* Parse one alias line (NUL-terminated, no LF) into *al. 0, or -1 with
 * *why set. A blank or comment line gives 1. */
static int
alias_line(const struct split_config *c, char *line, struct alias *al,
    const char **why)
{
	char *key, *target, *extra, *save = NULL;
	struct addr a;
	char buf[ADDR_MAX + 2];
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			*why = "control-character";
			return -1;
		}
	}
	key = strtok_r(line, " \t", &save);
	if (key == NULL || key[0] == '#')
		return 1;
	target = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (target == NULL || (extra != NULL && extra[0] != '#')) {
		*why = "want-two-fields";
		return -1;
	}
	if (key[0] == '@') {
		char *d = key + 1;

		if (addr_domain_check(d) != ADDR_OK) {
			*why = "bad-domain";
			return -1;
		}
		if (!route_local_domain(c, d)) {
			*why = "domain-not-local";
			return -1;
		}
		buf[0] = '@';
		strcpy(buf + 1, d);
	} else {
		if (addr_parse_spec(key, strlen(key), &a) != ADDR_OK ||
		    addr_format(&a, buf, sizeof buf) < 0) {
			*why = "bad-address";
			return -1;
		}
		if (!route_local_domain(c, a.domain)) {
			*why = "domain-not-local";
			return -1;
		}
		lower_str(buf);
	}
	al->key = strdup(buf);
	if (addr_parse_spec(target, strlen(target), &a) != ADDR_OK ||
	    addr_format(&a, buf, sizeof buf) < 0) {
		*why = "bad-target";
		free(al->key);
		return -1;
	}
	if (!route_local_domain(c, a.domain)) {
		*why = "target-not-local";
		free(al->key);
		return -1;
	}
	al->target = strdup(buf);
	if (al->key == NULL || al->target == NULL) {
		free(al->key);
		free(al->target);
		*why = "out-of-memory";
		return -1;
	}
	return 0;
}

enum status
route_load_aliases(struct split_config *c, const char *path)
{
	char qp[LOG_QUOTE_MAX], line[ALIAS_LINE_MAX + 1];
	struct io_reader r;
	struct io_line l;
	unsigned long lineno = 0;
	size_t size = 0;
	int fd, rc, bad = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || io_reader_fd(&r, fd, ALIAS_LINE_MAX + 1) < 0) {
		log_error("aliases", "file=%s error=\"%s\"",
		    log_quote(qp, sizeof qp, path), strerror(errno));
		if (fd >= 0)
			close(fd);
		return ST_CONFIG;
	}
	while ((rc = io_getline(&r, &l)) == 1) {
		struct alias al;
		const char *why = NULL;
		size_t n = l.len - (size_t)l.has_lf;
		int got;

		lineno++;
		if (!l.complete) {
			why = "line-too-long";
			while (rc == 1 && !l.complete)
				rc = io_getline(&r, &l);
		} else if (memchr(l.data, '\0', n) != NULL) {
			why = "control-character";
		} else {
			if (n > 0 && l.data[n - 1] == '\r')
				n--;	/* a CRLF file */
			memcpy(line, l.data, n);
			line[n] = '\0';
			got = alias_line(c, line, &al, &why);
			if (got == 1)
				continue;
			if (got == 0 && c->naliases >= ALIAS_MAX)
				why = "too-many-lines";
			if (got == 0 && why == NULL && c->naliases == size) {
				struct alias *na;

				size = size ? size * 2 : 64;
				na = realloc(c->aliases, size * sizeof *na);
				if (na == NULL)
					why = "out-of-memory";
				else
					c->aliases = na;
			}
			if (got == 0 && why == NULL) {
				c->aliases[c->naliases++] = al;
				continue;
			}
			if (got == 0) {
				free(al.key);
				free(al.target);
			}
		}
		log_error("aliases", "file=%s line=%lu reason=%s",
		    log_quote(qp, sizeof qp, path), lineno, why);
		bad = 1;
	}
	if (rc < 0) {
		log_error("aliases", "file=%s error=\"%s\"",
		    log_quote(qp, sizeof qp, path), strerror(errno));
		bad = 1;
	}
	io_reader_free(&r);
	close(fd);
	if (!bad && c->naliases > 1) {
		size_t i;

		qsort(c->aliases, c->naliases, sizeof *c->aliases, alias_cmp);
		for (i = 1; i < c->naliases; i++) {
			if (strcmp(c->aliases[i - 1].key,
			    c->aliases[i].key) == 0) {
				log_error("aliases", "file=%s reason=duplicate "
				    "address=%s", log_quote(qp, sizeof qp, path),
				    log_quote(line, sizeof line,
				    c->aliases[i].key));
				bad = 1;
			}
		}
	}
	if (bad) {
		route_free_aliases(c);
		return ST_CONFIG;
	}
	return ST_OK;
}

static const char *
lookup(const struct split_config *c, const char *key)
{
	struct alias k, *hit;

	if (c->naliases == 0)
		return NULL;
	k.key = (char *)(uintptr_t)key;
	hit = bsearch(&k, c->aliases, c->naliases, sizeof k, alias_cmp);
	return hit == NULL ? NULL : hit->target;
}

/* PREFIX with each %d replaced by domain, %% by %. 0, or -1 if too long. */
static int
expand_prefix(const char *prefix, const char *domain, char *out, size_t n)
{
	size_t o = 0;

	for (; *prefix != '\0'; prefix++) {
		const char *add = prefix;
		size_t len = 1;

		if (prefix[0] == '%' && prefix[1] == 'd') {
			add = domain;
			len = strlen(domain);
			prefix++;
		} else if (prefix[0] == '%' && prefix[1] == '%') {
			prefix++;
		}
		if (o + len >= n)
			return -1;
		memcpy(out + o, add, len);
		o += len;
	}
	out[o] = '\0';
	return 0;
}

int
route_map(const struct split_config *c, const struct addr *a, char *out,
    size_t n, const char **why, const char **how)
{
	char prefix[2 * ADDR_MAX], key[ADDR_MAX + 2], spec[ADDR_MAX + 2];
	const char *local = a->local, *target;
	struct addr stripped;
	size_t plen;

	*how = "";
	if (c->strip_prefix != NULL &&
	    expand_prefix(c->strip_prefix, a->domain, prefix,
	    sizeof prefix) == 0 && (plen = strlen(prefix)) > 0 &&
	    strncasecmp(local, prefix, plen) == 0) {
		local += plen;
		/* what is left must still be a valid local part */
		if (snprintf(spec, sizeof spec, "%s@%s", local, a->domain) >=
		    (int)sizeof spec || addr_parse_spec(spec, strlen(spec),
		    &stripped) != ADDR_OK) {
			*why = "bad-address-after-strip";
			return -1;
		}
		local = stripped.local;
	}
	snprintf(key, sizeof key, "%s@%s", local, a->domain);
	if (strlen(key) >= n) {
		*why = "too-long";
		return -1;
	}
	strcpy(out, key);
	lower_str(key);
	if ((target = lookup(c, key)) != NULL) {
		*how = "alias";
	} else {
		snprintf(key, sizeof key, "@%s", a->domain);
		if ((target = lookup(c, key)) != NULL)
			*how = "catch-all";
	}
	if (target != NULL) {
		if (strlen(target) >= n) {
			*why = "too-long";
			return -1;
		}
		strcpy(out, target);
	}
	return 0;
}
