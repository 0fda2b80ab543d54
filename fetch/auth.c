/*
 * auth: logging in. One function per mechanism behind one table, so a
 * SASL mechanism (SCRAM-SHA-256, OAUTHBEARER, XOAUTH2: issue 10) is one
 * more entry. The password never appears in a log line: commands that
 * carry it are logged by their verb only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "fetch/fetch.h"

#define CMD_MAX 2048

static const struct {
	const char *name;
	enum auth_mech mech;
} names[] = {
	{ "auto", AUTH_AUTO }, { "plain", AUTH_PLAIN }, { "user", AUTH_USER },
	{ "apop", AUTH_APOP }, { "scram-sha-256", AUTH_SCRAM_SHA_256 },
	{ "oauthbearer", AUTH_OAUTHBEARER }, { "xoauth2", AUTH_XOAUTH2 },
};

int
auth_parse(const char *name, enum auth_mech *m)
{
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i].name) == 0) {
			*m = names[i].mech;
			return 0;
		}
	return -1;
}

static const char *
mech_name(enum auth_mech m)
{
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].mech == m)
			return names[i].name;
	return "unknown";
}

/* The end of a login attempt: +OK, or -ERR mapped to an exit status. */
static enum status
verdict(const struct fetch_opts *o, enum auth_mech m,
    const struct pop3_status *st)
{
	char qu[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];

	if (st->kind == POP3_OK) {
		log_debug("logged-in", "host=%s user=%s mech=%s", o->host,
		    log_quote(qu, sizeof qu, o->user), mech_name(m));
		return ST_OK;
	}
	log_error("login-refused", "host=%s user=%s mech=%s reply=%s",
	    o->host, log_quote(qu, sizeof qu, o->user), mech_name(m),
	    log_quote_mem(qr, sizeof qr, st->text, st->textlen));
	return pc_err_status(st);
}

/* Send "VERB A" or "VERB A B"; the buffer is wiped afterwards. */
static enum status
send_cmd(struct pconn *pc, const char *verb, const char *a, const char *b)
{
	char *cmd = malloc(CMD_MAX);
	enum status r;
	int len;

	if (cmd == NULL)
		return ST_SOFTWARE;
	len = snprintf(cmd, CMD_MAX, "%s %s%s%s", verb, a, b ? " " : "",
	    b ? b : "");
	if (len < 0 || len >= CMD_MAX - 2) {
		free(cmd);
		log_error("login-failed", "host=%s reason=\"credentials too "
		    "long\"", pc->host);
		return ST_CONFIG;
	}
	r = pc_send(pc, cmd, verb);
	OPENSSL_cleanse(cmd, CMD_MAX);
	free(cmd);
	return r;
}

static enum status
login_user(struct pconn *pc, const struct fetch_opts *o)
{
	struct pop3_status st;
	enum status r;

	if ((r = send_cmd(pc, "USER", o->user, NULL)) != ST_OK ||
	    (r = pc_status(pc, &st, "USER")) != ST_OK)
		return r;
	if (st.kind != POP3_OK)
		return verdict(o, AUTH_USER, &st);
	if ((r = send_cmd(pc, "PASS", o->password, NULL)) != ST_OK ||
	    (r = pc_status(pc, &st, "PASS")) != ST_OK)
		return r;
	return verdict(o, AUTH_USER, &st);
}

/* RFC 5034 with an initial response: AUTH PLAIN base64(\0user\0pass). */
static enum status
login_plain(struct pconn *pc, const struct fetch_opts *o)
{
	size_t ul = strlen(o->user), pl = strlen(o->password);
	size_t rawlen = ul + pl + 2;
	unsigned char *raw, *b64;
	struct pop3_status st;
	enum status r;

	if (rawlen > CMD_MAX / 2) {
		log_error("login-failed", "host=%s reason=\"credentials too "
		    "long\"", pc->host);
		return ST_CONFIG;
	}
	raw = malloc(rawlen);
	b64 = malloc(CMD_MAX);
	if (raw == NULL || b64 == NULL) {
		free(raw);
		free(b64);
		return ST_SOFTWARE;
	}
	raw[0] = '\0';
	memcpy(raw + 1, o->user, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, o->password, pl);
	EVP_EncodeBlock(b64, raw, (int)rawlen);
	r = send_cmd(pc, "AUTH PLAIN", (const char *)b64, NULL);
	OPENSSL_cleanse(raw, rawlen);
	OPENSSL_cleanse(b64, CMD_MAX);
	free(raw);
	free(b64);
	if (r != ST_OK || (r = pc_status(pc, &st, "AUTH")) != ST_OK)
		return r;
	if (st.kind == POP3_CONT) {
		/* The initial response was not taken: cancel. */
		if ((r = pc_send(pc, "*", "*")) != ST_OK ||
		    (r = pc_status(pc, &st, "AUTH")) != ST_OK)
			return r;
		log_error("login-failed", "host=%s mech=plain reason=\"server "
		    "asked for more after the initial response\"", pc->host);
		return ST_PROTOCOL;
	}
	return verdict(o, AUTH_PLAIN, &st);
}

/* RFC 1939 APOP: only with --auth=apop and a well-formed timestamp. */
static enum status
login_apop(struct pconn *pc, const struct fetch_opts *o, const char *stamp)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * 16 + 1];
	struct pop3_status st;
	EVP_MD_CTX *ctx;
	enum status r;
	int ok;

	if (stamp == NULL) {
		log_error("apop-refused", "host=%s reason=\"no valid APOP "
		    "timestamp in the greeting (or greeting before STLS)\"",
		    pc->host);
		return ST_UNAVAILABLE;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, stamp, strlen(stamp)) == 1 &&
	    EVP_DigestUpdate(ctx, o->password, strlen(o->password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		log_error("apop-refused", "host=%s reason=\"MD5 unavailable\"",
		    pc->host);
		return ST_SOFTWARE;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if ((r = send_cmd(pc, "APOP", o->user, hex)) != ST_OK ||
	    (r = pc_status(pc, &st, "APOP")) != ST_OK)
		return r;
	return verdict(o, AUTH_APOP, &st);
}

enum status
auth_login(struct pconn *pc, const struct fetch_opts *o, unsigned caps,
    const char *apop_stamp)
{
	enum auth_mech m = o->auth;

	if (m == AUTH_AUTO)
		m = (caps & POP3_SASL_PLAIN) ? AUTH_PLAIN : AUTH_USER;
	switch (m) {
	case AUTH_PLAIN:
		return login_plain(pc, o);
	case AUTH_USER:
		return login_user(pc, o);
	case AUTH_APOP:
		return login_apop(pc, o, apop_stamp);
	default:
		log_error("auth-unsupported", "mech=%s reason=\"not supported "
		    "yet\"", mech_name(m));
		return ST_CONFIG;
	}
}
