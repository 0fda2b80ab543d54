/*
 * status: the one result type of library code, and the one mapping from
 * it to a sysexits.h exit code. Library functions return a status (or -1
 * with errno); only a tool's main() turns a status into an exit.
 */
#ifndef MDROP_STATUS_H
#define MDROP_STATUS_H

enum status {
	ST_OK = 0,
	ST_USAGE,	/* bad command line                          -> 64 */
	ST_DATAERR,	/* bad input data (records, protocol)        -> 65 */
	ST_NOINPUT,	/* an input file cannot be opened            -> 66 */
	ST_NOUSER,	/* unknown recipient                         -> 67 */
	ST_UNAVAILABLE,	/* server unavailable                        -> 69 */
	ST_SOFTWARE,	/* internal error (a bug)                    -> 70 */
	ST_IOERR,	/* local I/O error                           -> 74 */
	ST_TEMPFAIL,	/* temporary failure, retry later            -> 75 */
	ST_PROTOCOL,	/* remote protocol error (retry later)       -> 75 */
	ST_NOPERM,	/* authentication refused                    -> 77 */
	ST_CONFIG	/* configuration error                       -> 78 */
};

/* The sysexits.h code for a status. */
int status_exitcode(enum status st);

/*
 * Combine the status of one more piece of work into the status of a whole
 * run: the more severe one wins. Order (least to most): ok, tempfail,
 * unavailable, protocol, dataerr, noinput, nouser, ioerr, noperm, usage,
 * config, software. A tool that deferred something but otherwise
 * succeeded thus exits 75.
 */
enum status status_worse(enum status a, enum status b);

#endif
