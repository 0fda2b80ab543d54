/*
 * fuzz_tmpl: template expansion (common/tmpl.c) and the record parser
 * (common/rec.c) on arbitrary bytes. Input: TEMPLATE NUL ADDRESS, or a
 * record line (or end line). Checks the safety properties, not just "no
 * crash": an accepted expansion (with or without subaddress delimiters)
 * starts with the template's fixed root and its tail has no "." or ".."
 * component.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/donenote.h"
#include "common/rec.h"
#include "common/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_tail(const char *tail)
{
	const char *p = tail;

	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.'))
			abort();
		p += n;
		if (*p == '/')
			p++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, out[512];
	const char *addr, *delims = size > 0 && (data[0] & 1) ? "+-" : NULL;
	size_t root, troot;
	struct rec r;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	addr = buf + strlen(buf);
	addr = addr < buf + size ? addr + 1 : "a@b";
	if (tmpl_expand(buf, addr, delims, out, sizeof out, &root) == TMPL_OK) {
		if (tmpl_check(buf, &troot) != TMPL_OK || strlen(out) < root)
			abort();
		if (troot > 0 && memcmp(out, buf, troot) != 0)
			abort();
		check_tail(out + root);
	}
	donenote_find((const char *)data, size, addr, out, sizeof out);
	if ((line = malloc(size + 1)) != NULL) {
		memcpy(line, data, size);
		if (rec_parse(line, size, &r) == REC_OK &&
		    (!rec_field_ok(r.path) || r.path[0] == '\0' ||
		    (r.rcpt != NULL && (!rec_field_ok(r.rcpt) ||
		    !rec_field_ok(r.sender)))))
			abort();
		free(line);
	}
	free(buf);
	return 0;
}
