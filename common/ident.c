#include <string.h>

#include <openssl/evp.h>

#include "common/ident.h"

static const char *const names[IDENT_FIELDS] = {
	"Message-ID", "Date", "Received"
};

int
ident_init(struct ident *id)
{
	memset(id, 0, sizeof *id);
	return hdr_init(&id->hp, IDENT_HDR_CAP);
}

/* SHA-256 of the value with every run of white space made one space (the
 * parser has unfolded it and trimmed both ends). 0, or -1 when OpenSSL
 * fails. */
static int
digest_value(const struct hdr_field *f, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	size_t i = 0, run;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto fail;
	while (i < f->value_len) {
		for (run = i; run < f->value_len && f->value[run] != ' ' &&
		    f->value[run] != '\t' && f->value[run] != '\r' &&
		    f->value[run] != '\n'; run++)
			;
		if (EVP_DigestUpdate(ctx, f->value + i, run - i) != 1)
			goto fail;
		if (run == f->value_len)
			break;
		if (EVP_DigestUpdate(ctx, " ", 1) != 1)
			goto fail;
		for (i = run; i < f->value_len && (f->value[i] == ' ' ||
		    f->value[i] == '\t' || f->value[i] == '\r' ||
		    f->value[i] == '\n'); i++)
			;
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
		goto fail;
	EVP_MD_CTX_free(ctx);
	return 0;
fail:
	EVP_MD_CTX_free(ctx);
	return -1;
}

static void
field(struct ident *id, const struct hdr_field *f)
{
	size_t k;

	for (k = 0; k < IDENT_FIELDS; k++)
		if (!id->have[k] && hdr_name_is(f, names[k])) {
			if (digest_value(f, id->digest[k]) < 0)
				id->failed = 1;	/* no identity: a doubt */
			id->have[k] = 1;
		}
}

void
ident_push(struct ident *id, const char *data, size_t len)
{
	struct hdr_field f;

	while (!id->ended) {
		size_t used = 0;
		enum hdr_event ev = hdr_push(&id->hp, data, len, &used, &f);

		data += used;
		len -= used;
		if (ev == HDR_FIELD)
			field(id, &f);
		else if (ev == HDR_MORE)
			return;
		else
			id->ended = 1;
	}
}

void
ident_finish(struct ident *id, char hex[IDENT_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct hdr_field f;
	EVP_MD_CTX *ctx;
	size_t k;
	int any = 0;

	hex[0] = '\0';
	while (!id->ended) {
		enum hdr_event ev = hdr_finish(&id->hp, &f);

		if (ev == HDR_FIELD)
			field(id, &f);
		else
			id->ended = 1;
	}
	for (k = 0; k < IDENT_FIELDS; k++)
		any |= id->have[k];
	if (!any || id->failed || (ctx = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		int ok = 1;

		for (k = 0; k < IDENT_FIELDS && ok; k++) {
			unsigned char tag = (unsigned char)(id->have[k] ? k + 1 : 0);

			ok = EVP_DigestUpdate(ctx, &tag, 1) == 1 &&
			    EVP_DigestUpdate(ctx, id->digest[k],
			    id->have[k] ? 32 : 0) == 1;
		}
		if (ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
		    mdlen == 32) {
			for (k = 0; k < IDENT_HEX_LEN / 2; k++) {
				hex[2 * k] = digits[md[k] >> 4];
				hex[2 * k + 1] = digits[md[k] & 15];
			}
			hex[IDENT_HEX_LEN] = '\0';
		}
	}
	EVP_MD_CTX_free(ctx);
}

void
ident_free(struct ident *id)
{
	hdr_free(&id->hp);
}
