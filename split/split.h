/*
 * split: what only mdrop-split needs. main.c parses options into a
 * struct split_config and calls split_message() (or the survey) per path.
 *
 *   route.c    local domains, --strip-prefix, --delimiter, the mapping
 *   tables.c   the alias file and the known-users file
 *   message.c  read one message's header; records, or the --explain block
 *   survey.c   --survey: which envelope headers appear where
 */
#ifndef MDROP_SPLIT_H
#define MDROP_SPLIT_H

#include <stddef.h>
#include <stdio.h>

#include "common/addr.h"
#include "common/hdr.h"
#include "common/status.h"

#define SPLIT_MAX_DOMAINS 64
#define SPLIT_MAX_RCPTS 1000	/* per message; more goes to the fallback */
#define ALIAS_MAX 100000	/* lines in the alias files together */
#define TABLE_FILES_MAX 16	/* -a files, --users files */

struct alias {
	char *key;		/* "local@domain", "@domain" or (users) "local@",
				 * lower case */
	char *target;		/* "local@domain" (domain lower case); users: NULL */
	const char *file;	/* where it was read, for the logs */
	unsigned long line;
	size_t seq;		/* the order it was read in */
};

struct split_config {
	const char *header;
	unsigned long occurrence;
	unsigned long trust_hops;
	int any_position;
	char *domains[SPLIT_MAX_DOMAINS];	/* lower case */
	size_t ndomains;
	const char *strip_prefix;		/* NULL: none */
	const char *delimiters;			/* --delimiter; NULL: none */
	char fallback[ADDR_MAX + 1];
	struct alias *aliases;			/* sorted by key */
	size_t naliases;
	struct alias *users;			/* --users, sorted by key */
	size_t nusers;
	size_t max_header;
	int explain;
};

/* route.c */

/* 1 when domain (lower case) is one of the -d domains. */
int route_local_domain(const struct split_config *c, const char *domain);

/*
 * Map a local address to its final recipient: strip the prefix; then the
 * alias lookup of the whole address, then (with --delimiter) of the
 * address without its detail, whose target gets the detail back
 * (info+x -> alice+x); then, with --users, a known user as is; then the
 * @domain catch-all; with --users, anything else is an unknown user.
 * Writes "local@domain" to out (size n) and returns 0; -1 when the
 * stripped local part is empty, the result does not fit or its local
 * part is over 64 octets or its domain over 255 ("too-long", checked on
 * the final address), or the user is unknown (*why says which). *how says which lookup decided ("alias",
 * "alias without the detail", "known user", "catch-all", or "" as is).
 */
int route_map(const struct split_config *c, const struct addr *a, char *out,
    size_t n, const char **why, const char **how);

/* tables.c */

/*
 * Load the alias files, or the known-users files (n of them, read as
 * one: a key in two files is a duplicate as within one), into c
 * (sorted). Logs each problem naming the file and line; returns ST_OK
 * or ST_CONFIG (nothing loaded then).
 */
enum status route_load_aliases(struct split_config *c,
    const char *const *paths, size_t n);
enum status route_load_users(struct split_config *c,
    const char *const *paths, size_t n);
void route_free_tables(struct split_config *c);

/* The alias target for key ("local@domain" or "@domain", lower case). */
const char *route_alias(const struct split_config *c, const char *key);

/* 1 when key ("user@domain", lower case, no detail) is a known user. */
int route_known_user(const struct split_config *c, const char *key);

/* message.c */

/*
 * Read the header of one message through the io reader, calling fn for
 * each field. Returns ST_OK, ST_NOINPUT (cannot open or read; errno set,
 * logged), with *too_large set when the cap stopped it.
 */
typedef void (*split_field_fn)(void *ctx, const struct hdr_field *f);
enum status split_read_header(const char *path, size_t cap, split_field_fn fn,
    void *ctx, int *too_large);

/*
 * Route one message: print its records (or its --explain block) to out and
 * flush. Returns ST_OK, ST_NOINPUT, ST_DATAERR (a path that cannot be a
 * record field) or ST_IOERR (out failed: stop).
 */
enum status split_message(const struct split_config *c, const char *path,
    FILE *out);

/* survey.c */
struct survey;
struct survey *survey_new(const struct split_config *c);
enum status survey_message(struct survey *s, const char *path);
void survey_report(struct survey *s, FILE *out);
void survey_free(struct survey *s);

#endif
