/*
 * tmpl: expansion of the Maildir template of mdrop-deliver (-m):
 *
 *     %l  local part, ASCII lower-cased     %d  domain
 *     %a  whole address                     %%  a percent sign
 *     %e  the detail of a subaddress (empty when there is none)
 *
 * With delimiters (mdrop-deliver --delimiter, Postfix's
 * recipient_delimiter; common/addr.h addr_detail_at), %l is the user
 * without the detail (alice+shop: %l alice, %e shop); without, %l is the
 * whole local part and %e is empty.
 *
 * The ROOT is the part of the template up to and including the last '/'
 * before the first '%' ("." when there is none): it is fixed, chosen by
 * the administrator, and may contain symlinks. Everything after it (the
 * TAIL) depends on the recipient and is walked component by component
 * with openat(O_NOFOLLOW) by the caller, so it can never leave ROOT.
 *
 * A substituted value is refused when it is empty (%e may be),
 * contains '/', is "." or "..", starts with '.', or holds a control
 * character (< 0x20, 0x7f).
 * A TAIL component that ends up "." or ".." or longer than 255 bytes is
 * refused too. Pure functions: no I/O, no allocation.
 */
#ifndef MDROP_TMPL_H
#define MDROP_TMPL_H

#include <stddef.h>

#define TMPL_COMPONENT_MAX 255

enum tmpl_error {
	TMPL_OK = 0,
	TMPL_BAD_TEMPLATE,	/* unknown %x, or "."/".." in the template tail */
	TMPL_BAD_ADDRESS,	/* no '@', or an empty local part or domain */
	TMPL_EMPTY,		/* a substituted value is empty */
	TMPL_SLASH,		/* ... contains '/' */
	TMPL_DOT,		/* ... is "." or "..", or starts with '.' */
	TMPL_CONTROL,		/* ... holds a control character */
	TMPL_TOO_LONG		/* a component over 255 bytes, or out of room */
};

/*
 * Check a template once at start-up (any address). Returns TMPL_OK or
 * TMPL_BAD_TEMPLATE; sets *rootlen to the length of ROOT within tmpl.
 */
enum tmpl_error tmpl_check(const char *tmpl, size_t *rootlen);

/* An address cut into its parts (pointers into it). */
struct tmpl_parts {
	const char *local;	/* the local part, and the whole address */
	size_t userlen;		/* the user: local[0..userlen) */
	size_t addrlen;		/* the whole address */
	const char *detail;	/* detlen bytes; "" when there is none */
	size_t detlen;
	const char *domain;
	size_t domlen;
};

/* Cut addr ("local@domain") into p, the detail split off at the first of
 * delims (NULL: none). TMPL_OK or TMPL_BAD_ADDRESS. */
enum tmpl_error tmpl_parts(const char *addr, const char *delims,
    struct tmpl_parts *p);

/*
 * Expand tmpl for addr (its detail split off at the first of delims, NULL:
 * none) into out (size n, NUL-terminated). On TMPL_OK,
 * out[0..*rootlen) is ROOT (byte for byte the template's fixed prefix,
 * or "./" when the template starts with '%') and the rest is the TAIL.
 * On error out is unspecified.
 */
enum tmpl_error tmpl_expand(const char *tmpl, const char *addr,
    const char *delims, char *out, size_t n, size_t *rootlen);

/* A short name for an error ("slash", "dot", ...). */
const char *tmpl_error_name(enum tmpl_error e);

#endif
