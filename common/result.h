/*
 * result: the result lines of mdrop-deliver (DESIGN.md):
 *
 *     PATH<TAB>RECIPIENT<TAB>ok|defer|fail<TAB>DETAIL<LF>
 *
 * Pure: no I/O. DETAIL often comes from outside (a server reply, an
 * errno text, a path), so every TAB, CR, LF or other control byte in it
 * becomes a space: a result line can never be split or forged.
 */
#ifndef MDROP_RESULT_H
#define MDROP_RESULT_H

#include <stddef.h>

enum result_kind { RESULT_OK, RESULT_DEFER, RESULT_FAIL };

/* "ok", "defer" or "fail". */
const char *result_word(enum result_kind k);

/*
 * Format one line with its LF into buf (size n) and NUL-terminate it.
 * PATH and RECIPIENT must not hold control characters (they come from a
 * parsed record); DETAIL is cleaned and cut to fit. Returns the length
 * without the NUL, or -1 when path/rcpt are refused or n cannot hold the
 * line with an empty detail.
 */
int result_format(char *buf, size_t n, const char *path, const char *rcpt,
    enum result_kind k, const char *detail);

#endif
