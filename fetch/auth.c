/*
 * auth: logging in. USER/PASS and APOP (RFC 1939), and SASL over POP3
 * AUTH (RFC 5034): SCRAM-SHA-256[-PLUS], PLAIN, OAUTHBEARER, XOAUTH2.
 * common/sasl, scram and oauth build and check the SASL messages; this
 * file only moves them over the connection (fetch/conn) and decides what
 * a reply means.
 *
 * The secret never appears in a log line: commands that carry it are
 * logged by their verb only, and every buffer that held it is wiped.
 *
 * Choices made here (doc/mdrop-fetch.1, AUTHENTICATION):
 *   - auto: SCRAM-SHA-256-PLUS > SCRAM-SHA-256 > PLAIN > USER/PASS, from
 *     CAPA's SASL line (sasl_choose); -PLUS only where every server that
 *     lists it can check the binding (binding()), else SCRAM-SHA-256
 *     with "n,,"; PLAIN and USER only over TLS or with --tls=none; OAuth
 *     and APOP only when asked for.
 *   - A SCRAM server that does not prove it knows the password (bad or
 *     missing v=) is a failed login (77), even if it says +OK.
 *   - An --auth mechanism that CAPA's SASL line does not list is not
 *     tried: exit 69 (without a SASL line we try, the server decides).
 *   - "AUTH MECH initial-response" only while the line fits POP3's 255
 *     octets; longer ones (OAuth tokens) go after an empty "+" challenge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "common/oauth.h"
#include "common/sasl.h"
#include "common/scram.h"
#include "fetch/auth.h"
#include "fetch/conn.h"
#include "fetch/fetch.h"

#define CMD_MAX		2048
#define AUTH_LINE_MAX	255	/* RFC 5034 section 4: AUTH with response */
#define RAW_MAX		(SASL_SECRET_MAX + 2 * SASL_USER_MAX + 64)

static const struct {
	const char *name;
	enum auth_mech mech;
} names[] = {
	{ "auto", AUTH_AUTO }, { "plain", AUTH_PLAIN }, { "user", AUTH_USER },
	{ "apop", AUTH_APOP }, { "scram-sha-256", AUTH_SCRAM_SHA_256 },
	{ "scram-sha-256-plus", AUTH_SCRAM_SHA_256_PLUS },
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

/* The end of a login attempt: +OK, or -ERR mapped to an exit status. */
static enum status
verdict(struct conn *c, const struct fetch_opts *o, const char *mech,
    const struct pop3_status *st)
{
	char qu[LOG_QUOTE_MAX], qr[LOG_QUOTE_MAX];

	if (st->kind == POP3_OK) {
		log_debug("logged-in", "host=%s user=%s mech=%s", c->host,
		    log_quote(qu, sizeof qu, o->user), mech);
		return ST_OK;
	}
	if (st->kind == POP3_CONT) {
		log_error("protocol-error", "host=%s mech=%s reason=\"a "
		    "continuation where a verdict was due\"", c->host, mech);
		return ST_PROTOCOL;
	}
	log_error("login-refused", "host=%s user=%s mech=%s reply=%s",
	    c->host, log_quote(qu, sizeof qu, o->user), mech,
	    log_quote_mem(qr, sizeof qr, st->text, st->textlen));
	return conn_err_status(st);
}

/* "VERB USER [b]": a user name too long for a command line is a
 * configuration error (b, a digest, may be secret: wiped). */
static enum status
send_user(struct conn *c, const char *verb, const char *a, const char *b)
{
	char *cmd = malloc(CMD_MAX);
	enum status r;
	int len;

	if (cmd == NULL)
		return ST_SOFTWARE;
	len = snprintf(cmd, CMD_MAX, "%s %s", verb, a);
	if (len < 0 || len >= CMD_MAX) {
		free(cmd);
		log_error("login-failed", "host=%s reason=\"user name too "
		    "long\"", c->host);
		return ST_CONFIG;
	}
	r = conn_send_secret(c, cmd, b, verb);
	OPENSSL_cleanse(cmd, CMD_MAX);
	free(cmd);
	return r;
}

/* base64 of raw[0..len) into a new string ("" for len 0); NULL: ENOMEM. */
static char *
b64(const void *raw, size_t len)
{
	size_t n = SASL_B64_ENCLEN(len) + 1;
	char *out = malloc(n);

	if (out != NULL && sasl_b64_encode(out, n, raw, len) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

static enum status
send_b64(struct conn *c, const char *prefix, const void *raw, size_t len,
    const char *verb)
{
	char *enc = b64(raw, len);
	enum status r;

	if (enc == NULL)
		return ST_SOFTWARE;
	r = prefix != NULL ? conn_send_secret(c, prefix, enc, verb)
	    : conn_send_secret(c, enc, NULL, verb);
	OPENSSL_cleanse(enc, strlen(enc));
	free(enc);
	return r;
}

/* Cancel an exchange ("*", RFC 5034) and read the server's -ERR. */
static void
cancel(struct conn *c)
{
	struct pop3_status st;

	if (conn_send(c, "*", "*") == ST_OK)
		(void)conn_status(c, &st, "AUTH");
}

static enum status
bad_challenge(struct conn *c, const char *mech, const char *why)
{
	log_error("protocol-error", "host=%s mech=%s reason=\"%s\"", c->host,
	    mech, why);
	cancel(c);
	return ST_PROTOCOL;
}

/*
 * "AUTH MECH RESPONSE" and the first reply into *st. A response that
 * would make the line longer than 255 octets waits for an empty "+".
 */
static enum status
auth_start(struct conn *c, const char *mech, const void *raw, size_t len,
    struct pop3_status *st)
{
	char cmd[64];
	enum status r;

	snprintf(cmd, sizeof cmd, "AUTH %s", mech);
	log_debug("auth", "host=%s mech=%s", c->host, mech);
	if (strlen(cmd) + 1 + SASL_B64_ENCLEN(len) + 2 <= AUTH_LINE_MAX) {
		if (len == 0)
			r = conn_send_secret(c, cmd, "=", "AUTH");
		else
			r = send_b64(c, cmd, raw, len, "AUTH");
		return r != ST_OK ? r : conn_status(c, st, "AUTH");
	}
	if ((r = conn_send(c, cmd, "AUTH")) != ST_OK ||
	    (r = conn_status(c, st, "AUTH")) != ST_OK)
		return r;
	if (st->kind != POP3_CONT)
		return ST_OK;
	if (st->textlen != 0)
		return bad_challenge(c, mech, "a challenge before the "
		    "client's first message");
	if ((r = send_b64(c, NULL, raw, len, "AUTH")) != ST_OK)
		return r;
	return conn_status(c, st, "AUTH");
}

/* A "+ BASE64" challenge decoded into out (size n). -1: not base64. */
static int
challenge(const struct pop3_status *st, unsigned char *out, size_t n)
{
	if (SASL_B64_DECLEN(st->textlen) + 1 > n)
		return -1;
	return sasl_b64_decode(out, n, st->text, st->textlen);
}

/* A message we could not build from our own user name or secret. */
static enum status
cannot_build(struct conn *c, const char *mech, enum sasl_err e)
{
	log_error("login-failed", "host=%s mech=%s reason=\"%s\"", c->host,
	    mech, e == SASL_E_USER ? "the user name cannot be sent "
	    "(empty, too long or a control character)" :
	    e == SASL_E_SECRET ? "the password or token cannot be sent "
	    "(empty, too long, or not a bearer token)" :
	    sasl_error_name(e));
	return e == SASL_E_USER || e == SASL_E_SECRET ? ST_CONFIG
	    : ST_SOFTWARE;
}

static enum status
login_user(struct conn *c, const struct fetch_opts *o, const char *secret)
{
	struct pop3_status st;
	enum status r;

	if ((r = send_user(c, "USER", o->user, NULL)) != ST_OK ||
	    (r = conn_status(c, &st, "USER")) != ST_OK)
		return r;
	if (st.kind != POP3_OK)
		return verdict(c, o, "user", &st);
	if ((r = conn_send_secret(c, "PASS", secret, "PASS")) != ST_OK ||
	    (r = conn_status(c, &st, "PASS")) != ST_OK)
		return r;
	return verdict(c, o, "user", &st);
}

/* The initial response of PLAIN (RFC 4616), OAUTHBEARER or XOAUTH2 for
 * o->user and secret, sent with "AUTH mech": the first reply in *st. */
static enum status
initial(struct conn *c, const struct fetch_opts *o, const char *mech,
    const char *secret, struct pop3_status *st)
{
	char *raw = malloc(RAW_MAX);
	enum sasl_err e;
	enum status r;
	size_t len = 0;

	if (raw == NULL)
		return ST_SOFTWARE;
	if (strcmp(mech, "PLAIN") == 0)
		e = sasl_plain(raw, RAW_MAX, &len, o->user, strlen(o->user),
		    secret, strlen(secret));
	else if (strcmp(mech, "XOAUTH2") == 0)
		e = sasl_xoauth2(raw, RAW_MAX, &len, o->user, secret);
	else
		e = sasl_oauthbearer(raw, RAW_MAX, &len, o->user, secret);
	r = e != SASL_OK ? cannot_build(c, mech, e)
	    : auth_start(c, mech, raw, len, st);
	OPENSSL_cleanse(raw, RAW_MAX);
	free(raw);
	return r;
}

static enum status
login_plain(struct conn *c, const struct fetch_opts *o, const char *secret)
{
	struct pop3_status st;
	enum status r;

	if ((r = initial(c, o, "PLAIN", secret, &st)) != ST_OK)
		return r;
	if (st.kind == POP3_CONT)
		return bad_challenge(c, "PLAIN", "server asked for more "
		    "after the initial response");
	return verdict(c, o, "PLAIN", &st);
}

/*
 * RFC 5802/7677 SCRAM-SHA-256, -PLUS as login_scram() decides.
 */
static enum status
scram_steps(struct conn *c, const struct fetch_opts *o, const char *secret,
    struct sasl_scram *sc, const char *mech, char *msg, unsigned char *ch)
{
	struct pop3_status st;
	enum sasl_err e;
	enum status r;
	size_t len;
	int chlen;

	if ((e = sasl_scram_client_first(sc, o->user, NULL, msg, SASL_MSG_MAX,
	    &len)) != SASL_OK)
		return cannot_build(c, mech, e);
	if ((r = auth_start(c, mech, msg, len, &st)) != ST_OK)
		return r;
	if (st.kind != POP3_CONT)
		goto unproven;
	if ((chlen = challenge(&st, ch, SASL_MSG_MAX)) < 0)
		return bad_challenge(c, mech, "server-first not base64");
	e = sasl_scram_client_final(sc, (const char *)ch, (size_t)chlen,
	    secret, msg, SASL_MSG_MAX, &len);
	if (e == SASL_E_SECRET)
		return cannot_build(c, mech, e);
	if (e != SASL_OK) {
		log_error("protocol-error", "host=%s mech=%s reason=\"bad "
		    "server-first: %s\"", c->host, mech, sasl_error_name(e));
		cancel(c);
		return ST_PROTOCOL;
	}
	r = send_b64(c, NULL, msg, len, "AUTH");
	if (r != ST_OK || (r = conn_status(c, &st, "AUTH")) != ST_OK)
		return r;
	if (st.kind != POP3_CONT)
		goto unproven;
	if ((chlen = challenge(&st, ch, SASL_MSG_MAX)) < 0)
		return bad_challenge(c, mech, "server-final not base64");
	e = sasl_scram_verify(sc, (const char *)ch, (size_t)chlen);
	if (e == SASL_E_SERVER || e == SASL_E_VERIFY) {
		char qr[LOG_QUOTE_MAX];

		log_error("login-refused", "host=%s mech=%s reason=%s", c->host,
		    mech, e == SASL_E_VERIFY ? "\"the server's signature is "
		    "wrong: it does not know the password\"" :
		    log_quote(qr, sizeof qr, sasl_scram_reason(sc)));
		cancel(c);
		return ST_NOPERM;
	}
	if (e != SASL_OK)
		return bad_challenge(c, mech, "bad server-final");
	/* Proven; no additional data with +OK in POP3: an empty response. */
	if ((r = conn_send(c, "", "AUTH")) != ST_OK ||
	    (r = conn_status(c, &st, "AUTH")) != ST_OK)
		return r;
	if (st.kind == POP3_CONT)
		return bad_challenge(c, mech, "a challenge after the "
		    "server-final");
	return verdict(c, o, mech, &st);
unproven:
	if (st.kind == POP3_ERR)
		return verdict(c, o, mech, &st);
	log_error("login-refused", "host=%s mech=%s reason=\"+OK before the "
	    "server proved it knows the password\"", c->host, mech);
	return ST_NOPERM;
}

/*
 * The channel binding this connection offers, and whether every server
 * that lists -PLUS can check it: tls-unique (TLS 1.2), the type RFC 5802
 * makes mandatory (Cyrus knows only that one). tls-exporter (TLS 1.3,
 * RFC 9266) is left to --auth scram-sha-256-plus: servers that list -PLUS
 * over TLS 1.3 without knowing it (Cyrus 3.6) would fail the login, and
 * servers count failures; over verified TLS, "n,," loses nothing.
 * Where no -PLUS is listed, "y,," says we could have bound.
 */
static int
binding(struct conn *c, enum tls_cb *type, unsigned char *cb, int *works)
{
	int cblen = tls_channel_binding(&c->tc, type, cb, TLS_CB_MAX);

	*works = cblen > 0 && *type == TLS_CB_UNIQUE;
	return cblen;
}

static enum status
login_scram(struct conn *c, const struct fetch_opts *o, const char *secret,
    unsigned offered)
{
	unsigned char cb[TLS_CB_MAX];
	enum tls_cb type;
	int works, cblen = binding(c, &type, cb, &works);
	enum sasl_cb mode = o->auth == AUTH_SCRAM_SHA_256_PLUS ? SASL_CB_BIND :
	    sasl_scram_cb(offered, cblen > 0, works);
	const char *mech = mode == SASL_CB_BIND ? "SCRAM-SHA-256-PLUS"
	    : "SCRAM-SHA-256";
	struct sasl_scram *sc;
	char *msg;
	unsigned char *ch;
	enum status r;

	if (mode == SASL_CB_BIND && cblen <= 0) {
		log_error("no-channel-binding", "host=%s mech=%s reason=\"%s\"",
		    c->host, mech, tls_active(&c->tc) ? "TLS 1.2 without the "
		    "extended master secret: tls-unique is unsafe" : "no TLS");
		return ST_UNAVAILABLE;
	}
	log_debug("channel-binding", "host=%s mech=%s type=%s", c->host, mech,
	    mode == SASL_CB_BIND ? tls_cb_name(type) : mode ==
	    SASL_CB_SUPPORTED ? "none-offered" : "none");
	sc = malloc(sizeof *sc);
	msg = malloc(SASL_MSG_MAX);
	ch = malloc(SASL_MSG_MAX);
	if (sc == NULL || msg == NULL || ch == NULL)
		r = ST_SOFTWARE;
	else if (sasl_scram_init(sc, SASL_HASH_SHA256, mode,
	    mode == SASL_CB_BIND ? tls_cb_name(type) : NULL, cb,
	    mode == SASL_CB_BIND ? (size_t)cblen : 0) != SASL_OK)
		r = ST_SOFTWARE;
	else
		r = scram_steps(c, o, secret, sc, mech, msg, ch);
	if (sc != NULL)
		sasl_scram_wipe(sc);
	if (msg != NULL)
		OPENSSL_cleanse(msg, SASL_MSG_MAX);
	free(sc);
	free(msg);
	free(ch);
	return r;
}

/*
 * RFC 7628 OAUTHBEARER and XOAUTH2. A failure comes as a "+" challenge
 * holding a JSON error: decoded and logged, then answered the way each
 * mechanism wants (OAUTHBEARER: %x01; XOAUTH2: an empty line), after
 * which the server says -ERR; anything else is cancelled with "*".
 */
static enum status
login_oauth(struct conn *c, const struct fetch_opts *o, const char *token,
    int xoauth2)
{
	const char *mech = xoauth2 ? "XOAUTH2" : "OAUTHBEARER";
	char qs[3][LOG_QUOTE_MAX];
	struct sasl_oauth_error oe;
	struct pop3_status st;
	enum sasl_err e;
	enum status r;

	if ((r = initial(c, o, mech, token, &st)) != ST_OK)
		return r;
	if (st.kind != POP3_CONT)
		return verdict(c, o, mech, &st);
	e = sasl_oauth_error_parse(st.text, st.textlen, &oe);
	log_error("login-refused", "host=%s mech=%s status=%s scope=%s "
	    "schemes=%s%s", c->host, mech,
	    log_quote(qs[0], sizeof qs[0], oe.status),
	    log_quote(qs[1], sizeof qs[1], oe.scope),
	    log_quote(qs[2], sizeof qs[2], oe.schemes),
	    e == SASL_OK ? "" : " challenge=unreadable");
	if ((r = conn_send(c, xoauth2 ? "" : "AQ==", "AUTH")) != ST_OK ||
	    (r = conn_status(c, &st, "AUTH")) != ST_OK)
		return r;
	if (st.kind == POP3_CONT)
		cancel(c);
	return st.kind == POP3_ERR ? conn_err_status(&st) : ST_NOPERM;
}

/* RFC 1939 APOP: only with --auth=apop and a well-formed timestamp. */
static enum status
login_apop(struct conn *c, const struct fetch_opts *o, const char *secret,
    const char *stamp)
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
		    c->host);
		return ST_UNAVAILABLE;
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, stamp, strlen(stamp)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		log_error("apop-refused", "host=%s reason=\"MD5 unavailable\"",
		    c->host);
		return ST_SOFTWARE;
	}
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if ((r = send_user(c, "APOP", o->user, hex)) != ST_OK ||
	    (r = conn_status(c, &st, "APOP")) != ST_OK)
		return r;
	return verdict(c, o, "apop", &st);
}

/* The SASL mechanisms an --auth value may use. */
static unsigned
wanted(enum auth_mech m)
{
	switch (m) {
	case AUTH_PLAIN: return SASL_MECH_PLAIN;
	case AUTH_SCRAM_SHA_256:
		return SASL_MECH_SCRAM_SHA_256 | SASL_MECH_SCRAM_SHA_256_PLUS;
	case AUTH_SCRAM_SHA_256_PLUS: return SASL_MECH_SCRAM_SHA_256_PLUS;
	case AUTH_OAUTHBEARER: return SASL_MECH_OAUTHBEARER;
	case AUTH_XOAUTH2: return SASL_MECH_XOAUTH2;
	default: return 0;
	}
}

/* auto: the strongest mechanism offered that is safe here. */
static enum auth_mech
choose(struct conn *c, const struct auth_in *in, int clear_ok)
{
	unsigned char cb[TLS_CB_MAX];
	enum tls_cb type;
	int works;

	(void)binding(c, &type, cb, &works);
	switch (sasl_choose(in->sasl, clear_ok, works)) {
	case SASL_MECH_SCRAM_SHA_256_PLUS:
	case SASL_MECH_SCRAM_SHA_256:
		return AUTH_SCRAM_SHA_256;
	case SASL_MECH_PLAIN:
		return AUTH_PLAIN;
	default:
		/* CAPA listed SASL but neither USER nor a usable
		 * mechanism: nothing auto may send. */
		if ((in->caps & POP3_CAP_SASL) && !(in->caps & POP3_CAP_USER))
			return AUTH_AUTO;
		return AUTH_USER;
	}
}

enum status
auth_login(struct conn *c, const struct fetch_opts *o,
    const struct auth_in *in)
{
	int clear_ok = tls_active(&c->tc) || o->tls == TLSM_NONE;
	enum auth_mech m = o->auth;
	size_t i;

	if (m == AUTH_AUTO && (m = choose(c, in, clear_ok)) == AUTH_AUTO) {
		log_error("no-mechanism", "host=%s reason=\"the server offers "
		    "no mechanism --auth=auto may use; choose one with "
		    "--auth\"", c->host);
		return ST_UNAVAILABLE;
	}
	if (wanted(m) != 0 && (in->caps & POP3_CAP_SASL) &&
	    (in->sasl & wanted(m)) == 0) {
		for (i = 0; names[i].mech != m; i++)
			;
		log_error("mechanism-not-offered", "host=%s mech=%s reason="
		    "\"not in the server's CAPA SASL list\"", c->host,
		    names[i].name);
		return ST_UNAVAILABLE;
	}
	if (!clear_ok && (m == AUTH_PLAIN || m == AUTH_USER)) {
		log_error("cleartext-refused", "host=%s reason=\"no TLS: "
		    "the password would cross the network in clear text\"",
		    c->host);
		return ST_UNAVAILABLE;
	}
	switch (m) {
	case AUTH_PLAIN:
		return login_plain(c, o, in->secret);
	case AUTH_SCRAM_SHA_256:
	case AUTH_SCRAM_SHA_256_PLUS:
		return login_scram(c, o, in->secret, in->sasl);
	case AUTH_OAUTHBEARER:
	case AUTH_XOAUTH2:
		return login_oauth(c, o, in->secret, m == AUTH_XOAUTH2);
	case AUTH_APOP:
		return login_apop(c, o, in->secret, in->apop_stamp);
	default:
		return login_user(c, o, in->secret);
	}
}
