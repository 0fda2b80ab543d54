/*
 * log: one line per event on stderr, for multilog, svlogd and journald:
 *
 *     mdrop-split: warning: fallback path=/sp/new/1.M2P3 reason=no-envelope-header
 *
 * The tag is the tool name, then the level, then an event word, then
 * key=value words. Values that come from outside (addresses, paths,
 * server replies) go through log_quote() so that a hostile value can
 * never forge a second log line or a key.
 */
#ifndef MDROP_LOG_H
#define MDROP_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the tool name ("mdrop-split") used as the tag. */
void log_init(const char *tool);

/* Events above this level are dropped: -q sets LOG_WARN, -v LOG_DEBUG.
 * Default LOG_INFO. */
void log_set_level(enum log_level max);
enum log_level log_get_level(void);

/* Log one event. fmt/... form the key=value part (may be NULL). */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...)	log_event(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)	log_event(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_event(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_event(LOG_DEBUG, __VA_ARGS__)

/*
 * Quote s for use as a value: returned as is when it is non-empty and made
 * only of printable ASCII other than space, '"' and '\\'; otherwise wrapped
 * in double quotes with '"', '\\' and every byte outside printable ASCII
 * written as \" \\ \xHH. Writes into buf (size n) and returns buf; a value
 * too long is cut and ends in "...". n must be at least 8.
 */
const char *log_quote(char *buf, size_t n, const char *s);

/* Same for a byte string of known length (may hold NULs). */
const char *log_quote_mem(char *buf, size_t n, const char *s, size_t len);

/* Same for the path dir "/" name, joined here (one value, not two). */
const char *log_quote_path(char *buf, size_t n, const char *dir,
    const char *name);

/*
 * Log why getopt_long() refused an option, in this log format rather than
 * getopt's own: call with opterr = 0 and an optstring starting with ':',
 * passing what getopt returned (':' missing argument, '?' unknown or
 * ambiguous), optopt, and argv[optind - 1].
 */
void log_bad_option(int ch, int optopt, const char *arg);

/*
 * Started as root (effective uid 0), warn that this tool needs no root
 * (mdrop-fetch, mdrop-split: DESIGN.md, "Privileges").
 */
void log_root_warning(void);

/* Size of a buffer that fits any quoted value log_quote produces here. */
#define LOG_QUOTE_MAX 512

#endif
