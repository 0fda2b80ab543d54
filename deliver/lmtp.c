/* Placeholder until the LMTP issue lands: every recipient is deferred,
 * so nothing is ever lost or marked done. */
#include <stdio.h>
#include <stdlib.h>

#include "deliver/deliver.h"

struct lmtp_client {
	int unused;
};

struct lmtp_client *
lmtp_client_new(const struct lmtp_opts *opts)
{
	(void)opts;
	return calloc(1, sizeof(struct lmtp_client));
}

enum status
lmtp_client_deliver(struct lmtp_client *c, struct dl_msg *msg)
{
	size_t i;

	(void)c;
	for (i = 0; i < msg->nrcpt; i++) {
		if (msg->rcpt[i].result != DL_PENDING)
			continue;
		msg->rcpt[i].result = DL_DEFER;
		snprintf(msg->rcpt[i].detail, DL_DETAIL_MAX, "lmtp-not-built");
	}
	return ST_TEMPFAIL;
}

void
lmtp_client_quit(struct lmtp_client *c)
{
	(void)c;
}

void
lmtp_client_free(struct lmtp_client *c)
{
	free(c);
}
