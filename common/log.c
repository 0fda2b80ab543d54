#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static const char *log_tool = "mdrop";
static enum log_level log_max = LOG_INFO;

void
log_init(const char *tool)
{
	log_tool = tool;
}

void
log_set_level(enum log_level max)
{
	log_max = max;
}

enum log_level
log_get_level(void)
{
	return log_max;
}

static const char *
level_name(enum log_level level)
{
	switch (level) {
	case LOG_ERROR:	return "error";
	case LOG_WARN:	return "warning";
	case LOG_INFO:	return "info";
	case LOG_DEBUG:	return "debug";
	}
	return "info";
}

void
log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	char line[4096];
	int len;
	va_list ap;

	if (level > log_max)
		return;
	len = snprintf(line, sizeof line, "%s: %s: %s", log_tool,
	    level_name(level), event);
	if (len < 0)
		return;
	if (fmt != NULL && (size_t)len < sizeof line - 2) {
		line[len++] = ' ';
		va_start(ap, fmt);
		vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
		va_end(ap);
	}
	/* One write per line, so lines of concurrent tools never interleave. */
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
}

static int
plain_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\';
}

const char *
log_quote_mem(char *buf, size_t n, const char *s, size_t len)
{
	size_t i, o = 0;
	int plain = len > 0;

	for (i = 0; i < len && plain; i++)
		plain = plain_byte((unsigned char)s[i]);
	if (plain && len < n) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[5];
		size_t tl;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			tl = 2;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(tmp, sizeof tmp, "\\x%02x", c);
			tl = 4;
		} else {
			tmp[0] = (char)c;
			tl = 1;
		}
		if (o + tl + 5 > n) {	/* room for ...", NUL */
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *
log_quote(char *buf, size_t n, const char *s)
{
	return log_quote_mem(buf, n, s, s == NULL ? 0 : strlen(s));
}

const char *
log_quote_path(char *buf, size_t n, const char *dir, const char *name)
{
	char path[4096];
	int len = snprintf(path, sizeof path, "%s/%s", dir, name);

	if (len < 0)
		len = 0;
	return log_quote_mem(buf, n, path, (size_t)len < sizeof path ?
	    (size_t)len : sizeof path - 1);
}

void
log_bad_option(int ch, int opt_ch, const char *arg)
{
	char opt[3] = { '-', (char)opt_ch, '\0' };
	char q[LOG_QUOTE_MAX];

	log_error("usage", "reason=%s option=%s",
	    ch == ':' ? "missing-argument" : "unknown-or-ambiguous-option",
	    log_quote(q, sizeof q, opt_ch > 0 && opt_ch < 128 ? opt : arg));
}

void
log_root_warning(void)
{
	if (geteuid() == 0)
		log_warn("running-as-root", "reason=needs-no-root hint=\"run "
		    "it as the spool's owner\"");
}
