#include <string.h>

#include "common/ascii.h"

int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int
ascii_isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void
ascii_lower_str(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)ascii_lower((unsigned char)*s);
}

int
ascii_caseeq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
ascii_caseprefix(const char *s, size_t len, const char *word)
{
	size_t i;

	for (i = 0; word[i] != '\0'; i++)
		if (i >= len || ascii_lower((unsigned char)s[i]) !=
		    ascii_lower((unsigned char)word[i]))
			return 0;
	return 1;
}

int
ascii_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

uint64_t
ascii_hash(const char *s, size_t len, int fold)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		h ^= (uint64_t)(fold ? ascii_lower(c) : c);
		h *= 0x100000001b3ULL;
	}
	return h;
}
