/*
 * input.h: mdrop-deliver's read loop (input.c).
 */
#ifndef MDROP_DELIVER_INPUT_H
#define MDROP_DELIVER_INPUT_H

#include "common/status.h"
#include "deliver/batch.h"
#include "deliver/lmtp.h"

/*
 * Read record lines from stdin into b until input ends, a stop signal
 * comes or stdout fails; with lmtp, QUIT its session after idle seconds
 * without input. Returns the status the lines added (the caller makes the
 * last commit).
 */
enum status input_run(struct batch *b, struct lmtp_client *lmtp, int idle);

#endif
