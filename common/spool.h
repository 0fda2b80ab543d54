/*
 * spool: the directory between fetch and deliver (DESIGN.md "Spool").
 *
 *   SPOOL/tmp/     being written      SPOOL/new/   durable, waiting
 *   SPOOL/failed/  permanent failures (NAME and NAME.why)
 *   SPOOL/NAME.lock flock(2) locks; other state files of the tools
 *
 * All functions return 0 or -1 with errno set unless said otherwise; none
 * exits or logs.
 */
#ifndef MDROP_SPOOL_H
#define MDROP_SPOOL_H

#include <stddef.h>

struct spool {
	char *path;		/* owned copy of the spool directory path */
	int dirfd, tmpfd, newfd, failedfd;
};

/*
 * Open a spool; with create != 0, make the missing directories (0700).
 * Fails with EXDEV when tmp/ and new/ are on different filesystems (a
 * rename between them could never be atomic), ENOTDIR when a symlink or
 * file stands where a directory must be.
 */
int spool_open(struct spool *sp, const char *path, int create);
void spool_close(struct spool *sp);

/*
 * Is each of the spool's directories (itself, tmp/, new/, failed/)
 * writable by its owner alone? NULL if so, else the first one that is
 * not ("tmp/", ...; "" for the spool itself): anyone who can write there
 * can put a message of their making in new/ or take one away.
 */
const char *spool_unsafe(const struct spool *sp);

/*
 * Take an exclusive flock on SPOOL/NAME.lock without waiting.
 * Returns the lock fd (>= 0; close it to unlock), -2 when another process
 * holds it ("busy"), -1 on error.
 */
int spool_lock(const struct spool *sp, const char *name);

/*
 * Same for any file already open: LOCK_EX|LOCK_NB. 0 locked, -2 busy,
 * -1 error.
 */
int spool_lock_fd(int fd);

/*
 * The names in SPOOL/new that are valid spool names (md_name_valid),
 * oldest first (by modification time, then name). *names is a malloc'd
 * array of malloc'd strings; free with spool_free_list.
 */
int spool_list_new(const struct spool *sp, char ***names, size_t *count);
void spool_free_list(char **names, size_t count);

/*
 * Split "DIR/new/NAME" (as printed by fetch) into the spool directory DIR
 * (written to dir, size n) and NAME (a pointer into path); "DIR/new//NAME"
 * and "DIR/new/./NAME" are the same file. Returns 0, or
 * -1 (EINVAL) when path is not of that form or NAME is not a valid spool
 * name, ENAMETOOLONG when dir is too small.
 */
int spool_split_path(const char *path, char *dir, size_t n, const char **name);

#endif
