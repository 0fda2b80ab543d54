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

#include "common/ascii.h"
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

/* A local part without its prefix (--strip-prefix), still valid. */
static const char *
strip_prefix(const struct split_config *c, const struct addr *a,
    struct addr *stripped, const char **why)
{
	char prefix[2 * ADDR_MAX], spec[ADDR_MAX + 2];
	const char *local = a->local;
	size_t plen;

	if (c->strip_prefix == NULL ||
	    expand_prefix(c->strip_prefix, a->domain, prefix,
	    sizeof prefix) < 0 || (plen = strlen(prefix)) == 0 ||
	    strncasecmp(local, prefix, plen) != 0)
		return local;
	local += plen;
	/* what is left must still be a valid local part */
	if (snprintf(spec, sizeof spec, "%s@%s", local, a->domain) >=
	    (int)sizeof spec || addr_parse_spec(spec, strlen(spec),
	    stripped) != ADDR_OK) {
		*why = "bad-address-after-strip";
		return NULL;
	}
	return stripped->local;
}

/* target with the detail (its delimiter first) put back on its local
 * part: info+x -> alice becomes alice+x. -1 when it does not fit. */
static int
with_detail(const char *target, const char *detail, char *out, size_t n)
{
	const char *at = strrchr(target, '@');

	if (at == NULL || snprintf(out, n, "%.*s%s%s", (int)(at - target),
	    target, detail, at) >= (int)n)
		return -1;
	return 0;
}

static int
map(const struct split_config *c, const struct addr *a, char *out,
    size_t n, const char **why, const char **how)
{
	char key[ADDR_MAX + 2], user[ADDR_MAX + 2];
	const char *local, *target = NULL, *detail = "";
	struct addr stripped;
	long at;

	*how = "";
	if ((local = strip_prefix(c, a, &stripped, why)) == NULL)
		return -1;
	snprintf(key, sizeof key, "%s@%s", local, a->domain);
	if (strlen(key) >= n) {
		*why = "too-long";
		return -1;
	}
	strcpy(out, key);	/* as is, detail included, unless mapped */
	ascii_lower_str(key);
	/* the user without the detail: alice+shop -> alice (the detail
	 * keeps its delimiter: "+shop") */
	strcpy(user, key);
	if ((at = addr_detail_at(local, strlen(local), c->delimiters)) >= 0) {
		detail = out + at;
		snprintf(user, sizeof user, "%.*s@%s", (int)at, key, a->domain);
	}
	if ((target = route_alias(c, key)) != NULL) {
		*how = "alias";
		detail = "";
	} else if (at >= 0 && (target = route_alias(c, user)) != NULL) {
		*how = "alias without the detail";
	} else if (c->nusers > 0 && route_known_user(c, user)) {
		*how = "known user";
		return 0;
	} else {
		snprintf(key, sizeof key, "@%s", a->domain);
		if ((target = route_alias(c, key)) != NULL) {
			*how = "catch-all";
			detail = "";
		} else if (c->nusers > 0) {
			*why = "unknown-user";
			return -1;
		}
	}
	if (target == NULL)
		return 0;
	if (detail[0] != '\0') {
		char *end = strchr(detail, '@');	/* detail ends at '@' */
		char d[ADDR_MAX + 1];

		snprintf(d, sizeof d, "%.*s", (int)(end - detail), detail);
		if (with_detail(target, d, key, sizeof key) < 0 ||
		    strlen(key) >= n) {
			*why = "too-long";
			return -1;
		}
		strcpy(out, key);
		return 0;
	}
	if (strlen(target) >= n) {
		*why = "too-long";
		return -1;
	}
	strcpy(out, target);
	return 0;
}

int
route_map(const struct split_config *c, const struct addr *a, char *out,
    size_t n, const char **why, const char **how)
{
	const char *at;

	if (map(c, a, out, n, why, how) < 0)
		return -1;
	/* the final address, after every step (an alias target with the
	 * detail put back can pass 64 octets): RFC 5321's limits hold */
	if ((at = strrchr(out, '@')) == NULL ||
	    (size_t)(at - out) > ADDR_LOCAL_MAX ||
	    strlen(at + 1) > ADDR_DOMAIN_MAX) {
		*why = "too-long";
		return -1;
	}
	return 0;
}
