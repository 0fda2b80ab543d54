/*
 * auth: logging in over a connection (fetch/conn.h) with the mechanism
 * --auth names, or the strongest safe one the server offers. common/sasl,
 * scram and oauth build and check the SASL messages; auth moves them and
 * decides what a reply means.
 */
#ifndef MDROP_FETCH_AUTH_H
#define MDROP_FETCH_AUTH_H

#include "common/status.h"
#include "fetch/conn.h"
#include "fetch/fetch.h"

/* What the session learnt before the login. */
struct auth_in {
	const char *secret;	/* password or bearer token */
	unsigned caps;		/* POP3_CAP_* from CAPA */
	unsigned sasl;		/* SASL_MECH_* named by CAPA's SASL line */
	const char *apop_stamp;	/* NULL: none (or it came before STLS) */
};

/* Log in: ST_OK, or the status a refusal or failure maps to (logged;
 * the secret never is). */
enum status auth_login(struct conn *c, const struct fetch_opts *o,
    const struct auth_in *in);

/* "plain" etc. -> mechanism; -1 for an unknown name. */
int auth_parse(const char *name, enum auth_mech *m);

#endif
