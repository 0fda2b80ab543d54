#include <string.h>

#include "common/rec.h"
#include "common/result.h"

const char *
result_word(enum result_kind k)
{
	switch (k) {
	case RESULT_OK:		return "ok";
	case RESULT_DEFER:	return "defer";
	case RESULT_FAIL:	return "fail";
	}
	return "defer";
}

int
result_format(char *buf, size_t n, const char *path, const char *rcpt,
    enum result_kind k, const char *detail)
{
	const char *word = result_word(k);
	size_t lp = strlen(path), lr = strlen(rcpt), lw = strlen(word);
	size_t o, i;

	if (lp == 0 || lr == 0 || !rec_field_ok(path) || !rec_field_ok(rcpt))
		return -1;
	/* three TABs, the LF and the NUL */
	if (n < lp + lr + lw + 5)
		return -1;
	memcpy(buf, path, lp);
	o = lp;
	buf[o++] = '\t';
	memcpy(buf + o, rcpt, lr);
	o += lr;
	buf[o++] = '\t';
	memcpy(buf + o, word, lw);
	o += lw;
	buf[o++] = '\t';
	for (i = 0; detail != NULL && detail[i] != '\0' && o + 2 < n; i++) {
		unsigned char c = (unsigned char)detail[i];

		buf[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[o++] = '\n';
	buf[o] = '\0';
	return (int)o;
}
