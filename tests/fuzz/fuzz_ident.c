/*
 * libFuzzer harness for common/ident: the identity of a message header
 * must not depend on how the bytes are cut into pieces (a TOP reply and a
 * RETR reply of the same message arrive in different pieces), must be
 * "" or IDENT_HEX_LEN lower-case hex digits, and no piece may be read past
 * its end (each is an exactly-sized copy).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The identity of data fed in pieces of `step` bytes (0: at once). */
static void
ident_of(const uint8_t *data, size_t size, size_t step,
    char hex[IDENT_HEX_LEN + 1])
{
	struct ident id;
	size_t off = 0;

	if (ident_init(&id) < 0)
		abort();
	while (off < size) {
		size_t n = step == 0 || size - off < step ? size - off : step;
		char *piece = malloc(n);

		if (piece == NULL)
			abort();
		memcpy(piece, data + off, n);
		ident_push(&id, piece, n);
		free(piece);
		off += n;
	}
	ident_finish(&id, hex);
	ident_free(&id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[IDENT_HEX_LEN + 1], b[IDENT_HEX_LEN + 1];
	size_t step, i, len;

	if (size < 1)
		return 0;
	step = data[0] % 17 + 1;
	ident_of(data + 1, size - 1, 0, a);
	ident_of(data + 1, size - 1, step, b);
	if (strcmp(a, b) != 0)
		abort();
	len = strlen(a);
	if (len != 0 && len != IDENT_HEX_LEN)
		abort();
	for (i = 0; i < len; i++)
		if (!((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f')))
			abort();
	return 0;
}
