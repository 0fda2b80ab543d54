/*
 * survey: read many messages, count where envelope-style headers stand and
 * whether they name a local domain, and suggest the -H/-n/--trust-hops
 * settings that route the most messages. To:/Cc: are not even looked at:
 * they never decide where mail goes. Received: "for <addr>" is reported
 * for information only; split cannot use it (and should not).
 *
 * A deeper --trust-hops is only suggested when the chosen header mostly
 * sits right at that depth in messages where the same header also stands
 * above the first Received: (the ISP's own chain of hops, as with a qmail
 * forward). A local address below a Received: line in a message without
 * that is more likely a sender's forgery than the ISP's header.
 *
 * At a tie, a setting whose values name varying recipients beats one
 * that names the same address in (nearly) every message: that is the
 * box's own address (a virtual alias onto a local box, whose
 * Delivered-To names the box; a qmail forward), not a recipient.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ascii.h"
#include "common/log.h"
#include "split/split.h"

#define MAXN 4		/* -n values tried */
#define MAXT 4		/* --trust-hops values tried */
#define MAXOCC 8	/* occurrences kept per header per message */
#define NH 8

static const char *const names[NH - 1] = {
	"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
	"X-Delivered-To", "X-Rcpt-To", "X-Real-To"
};

enum { O_BAD, O_FOREIGN, O_LOCAL, O_PREFIX };

struct occ {
	unsigned long hops;
	int kind;
	uint64_t hash;
};

struct hstat {
	const char *name;
	unsigned long seen, above, below, local, disagree, bad, many;
	unsigned long score[MAXN][MAXT], prefix[MAXN][MAXT], atdepth[MAXN][MAXT];
	/* the first local value scored, and how many differ from it: the
	 * same address in (nearly) every message is the box's own */
	uint64_t first[MAXN][MAXT];
	unsigned long differ[MAXN][MAXT];
};

struct survey {
	const struct split_config *c;
	struct hstat h[NH];
	size_t nh;
	unsigned long messages, unreadable, too_large, received_for;
	unsigned long unknown;		/* --users: local addresses unknown */
	char unknown_example[ADDR_MAX + 1];
	/* the message in hand */
	struct occ occ[NH][MAXOCC];
	size_t nocc[NH];
	unsigned long received;
	int received_for_local;
};

struct survey *
survey_new(const struct split_config *c)
{
	struct survey *s = calloc(1, sizeof *s);
	size_t i;
	int have = 0;

	if (s == NULL)
		return NULL;
	s->c = c;
	for (i = 0; i < NH - 1; i++) {
		s->h[s->nh++].name = names[i];
		if (strcasecmp(names[i], c->header) == 0)
			have = 1;
	}
	if (!have)
		s->h[s->nh++].name = c->header;
	return s;
}

void
survey_free(struct survey *s)
{
	free(s);
}

/* With --users: note a local address that is neither a known user nor
 * an alias (it would go to the fallback). */
static void
note_unknown(struct survey *s, const struct addr *a)
{
	char out[ADDR_MAX + 1];
	const char *why = NULL, *how;

	if (s->c->nusers == 0 ||
	    route_map(s->c, a, out, sizeof out, &why, &how) == 0 ||
	    strcmp(why, "unknown-user") != 0)
		return;
	if (s->unknown++ == 0)
		addr_format(a, s->unknown_example, sizeof s->unknown_example);
}

static int
kind_of(struct survey *s, const struct hdr_field *f)
{
	const struct split_config *c = s->c;
	struct addr a;
	size_t pos = 0, dl, n = 0;
	enum addr_error e;
	int kind = O_FOREIGN;

	if (f->flags & HDR_F_UNTRUSTED)
		return O_BAD;
	while ((e = addr_list_next(f->value, f->value_len, &pos, &a)) ==
	    ADDR_OK) {
		if (++n > SPLIT_MAX_RCPTS)	/* routing would fall back */
			return O_BAD;
		if (!route_local_domain(c, a.domain))
			continue;
		note_unknown(s, &a);
		dl = strlen(a.domain);
		if (strncasecmp(a.local, a.domain, dl) == 0 &&
		    a.local[dl] == '-' && a.local[dl + 1] != '\0')
			kind = O_PREFIX;
		else if (kind != O_PREFIX)
			kind = O_LOCAL;
	}
	return e == ADDR_END && pos > 0 ? kind : O_BAD;
}

/* Does a Received: value say "for <local address>"? */
static int
received_for_local(const struct split_config *c, const struct hdr_field *f)
{
	const char *v = f->value;
	size_t i, j;
	struct addr a;

	for (i = 0; i + 5 < f->value_len; i++) {
		if (strncasecmp(v + i, "for ", 4) != 0 ||
		    (i > 0 && v[i - 1] != ' ' && v[i - 1] != '\t'))
			continue;
		i += 4;
		if (v[i] == '<')
			i++;
		for (j = i; j < f->value_len && v[j] != '>' && v[j] != ';' &&
		    v[j] != ' ' && v[j] != '\t'; j++)
			;
		if (addr_parse_spec(v + i, j - i, &a) == ADDR_OK &&
		    route_local_domain(c, a.domain))
			return 1;
	}
	return 0;
}

static void
field(void *ctx, const struct hdr_field *f)
{
	struct survey *s = ctx;
	size_t i;

	if (f->flags & (HDR_F_NOCOLON | HDR_F_BADNAME))
		return;
	if (hdr_name_is(f, "Received")) {
		if (received_for_local(s->c, f))
			s->received_for_local = 1;
		s->received++;
		return;
	}
	for (i = 0; i < s->nh; i++) {
		struct occ *o;

		if (!hdr_name_is(f, s->h[i].name))
			continue;
		if (s->nocc[i] == MAXOCC) {
			s->h[i].many++;
			return;
		}
		o = &s->occ[i][s->nocc[i]++];
		o->hops = s->received;
		o->kind = kind_of(s, f);
		o->hash = ascii_hash(f->value, f->value_len, 1);
		return;
	}
}

static void
tally(struct hstat *h, const struct occ *occ, size_t n)
{
	size_t i, k, t;
	int any_local = 0, diff = 0, above = 0, below = 0, bad = 0;

	if (n == 0)
		return;
	h->seen++;
	for (i = 0; i < n; i++) {
		any_local |= occ[i].kind >= O_LOCAL;
		bad |= occ[i].kind == O_BAD;
		diff |= occ[i].hash != occ[0].hash;
		if (occ[i].hops == 0)
			above = 1;
		else
			below = 1;
	}
	h->local += (unsigned long)any_local;
	h->disagree += (unsigned long)diff;
	h->above += (unsigned long)above;
	h->below += (unsigned long)below;
	h->bad += (unsigned long)bad;
	for (t = 0; t < MAXT; t++) {
		size_t nth = 0;

		for (i = 0; i < n; i++) {
			if (occ[i].hops > t)
				continue;
			if ((k = nth++) >= MAXN)
				break;
			if (occ[i].kind >= O_LOCAL) {
				if (h->score[k][t] == 0)
					h->first[k][t] = occ[i].hash;
				h->differ[k][t] += occ[i].hash !=
				    h->first[k][t];
				h->score[k][t]++;
				h->prefix[k][t] += occ[i].kind == O_PREFIX;
				h->atdepth[k][t] += occ[i].hops == t && above;
			}
		}
	}
}

enum status
survey_message(struct survey *s, const char *path)
{
	enum status st;
	int too_large;
	size_t i;

	memset(s->nocc, 0, sizeof s->nocc);
	s->received = 0;
	s->received_for_local = 0;
	st = split_read_header(path, s->c->max_header, field, s, &too_large);
	if (st != ST_OK) {
		s->unreadable++;
		return st;
	}
	s->messages++;
	if (too_large)
		s->too_large++;
	s->received_for += (unsigned long)s->received_for_local;
	for (i = 0; i < s->nh; i++)
		tally(&s->h[i], s->occ[i], s->nocc[i]);
	return ST_OK;
}

/* 1 when the scored values name varying recipients: more than one in
 * ten differs from the first. One address in every message is the box's
 * own (a virtual alias to it, a qmail forward) or a one-user box. */
static int
varying(const struct hstat *h, size_t k, size_t t)
{
	return h->differ[k][t] * 10 > h->score[k][t];
}

void
survey_report(struct survey *s, FILE *out)
{
	size_t i, k, t, bi = 0, bk = 0, bt = 0;
	unsigned long best = 0;
	int best_varying = 0;

	fprintf(out, "survey: %lu messages read, %lu unreadable, %lu with a "
	    "header over the cap\n", s->messages, s->unreadable, s->too_large);
	for (i = 0; i < s->nh; i++) {
		const struct hstat *h = &s->h[i];

		if (h->seen == 0)
			continue;
		fprintf(out, "header %s: in %lu messages; above the first "
		    "Received: in %lu, below it in %lu; names a local domain "
		    "in %lu; occurrences disagree in %lu; unusable in %lu%s\n",
		    h->name, h->seen, h->above, h->below, h->local,
		    h->disagree, h->bad, h->many ? "; many occurrences" : "");
		for (k = 0; k < MAXN; k++)
			for (t = 0; t < MAXT; t++) {
				if (h->score[k][t] == 0)
					continue;
				fprintf(out, "  -n %zu --trust-hops %zu: local "
				    "recipient in %lu of %lu messages%s\n",
				    k + 1, t, h->score[k][t], s->messages,
				    h->prefix[k][t] * 2 >= h->score[k][t] ?
				    " (local parts carry a DOMAIN- prefix)" :
				    "");
				/* a deeper zone must be where it mostly is */
				if (t > 0 &&
				    h->atdepth[k][t] * 2 < h->score[k][t])
					continue;
				/* the most messages; at a tie, varying
				 * recipients beat one constant address */
				if (h->score[k][t] > best ||
				    (h->score[k][t] == best && !best_varying &&
				    varying(h, k, t))) {
					best = h->score[k][t];
					best_varying = varying(h, k, t);
					bi = i;
					bk = k;
					bt = t;
				}
			}
	}
	if (s->c->nusers > 0)
		fprintf(out, "unknown users: %lu addresses of local domains in "
		    "envelope headers are neither in --users nor aliases; they "
		    "go to the fallback%s%s%s\n", s->unknown,
		    s->unknown ? " (e.g. " : "", s->unknown_example,
		    s->unknown ? ")" : "");
	if (s->received_for > 0)
		fprintf(out, "Received: ... for <local address>: in %lu "
		    "messages (information only: Received: never decides "
		    "where mail goes)\n", s->received_for);
	if (best == 0) {
		fprintf(out, "suggest: none; no envelope header above a "
		    "Received: line names a local domain (ask the ISP to add "
		    "Delivered-To or X-Original-To)\n");
		return;
	}
	fprintf(out, "suggest: mdrop-split -H %s -n %zu --trust-hops %zu",
	    s->h[bi].name, bk + 1, bt);
	if (s->h[bi].prefix[bk][bt] * 2 >= s->h[bi].score[bk][bt])
		fputs(" --strip-prefix %d-", out);
	for (i = 0; i < s->c->ndomains; i++)
		fprintf(out, " -d %s", s->c->domains[i]);
	fputc('\n', out);
}
