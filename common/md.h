/*
 * md: Maildir-style unique names and the one durable-write protocol used
 * by both the spool and Maildir delivery:
 *
 *   open tmp/NAME with O_CREAT|O_EXCL|O_NOFOLLOW, write all, fsync,
 *   check close, rename (or link) into new/, fsync new/.
 *
 * The directory fsync is separate (md_fsync_dir) so that callers can group
 * several files under one directory fsync (group commit). A file is durable
 * only after md_tmp_commit() and the fsync of its target directory.
 * All functions return 0, or -1 with errno set; none exits or logs.
 */
#ifndef MDROP_MD_H
#define MDROP_MD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MD_NAME_MAX 256

/*
 * A new unique name "SEC.MusecPpidQnRrand.HOST" made only of
 * [A-Za-z0-9._,=-]; bytes of HOST outside that set are written as =XX.
 * Unique across processes (pid, counter, random) and hosts (host name).
 * Returns 0, or -1 (ENAMETOOLONG) when n is too small.
 */
int md_uniq_name(char *buf, size_t n);

/* 1 when name is non-empty, at most MD_NAME_MAX-1 bytes, only
 * [A-Za-z0-9._,=-] and does not start with '.'; else 0. */
int md_name_valid(const char *name);

struct md_tmp {
	int dirfd;		/* tmp/ directory (not owned) */
	int fd;			/* -1 once closed */
	char name[MD_NAME_MAX];	/* file name inside tmp/ */
	uint64_t size;		/* bytes written so far */
};

/* Create a new file in tmpdirfd under a fresh unique name (mode 0600). */
int md_tmp_open(struct md_tmp *t, int tmpdirfd);

/* Create tmp/NAME with the given name (O_EXCL: EEXIST if present).
 * On failure t holds no file (fd -1, empty name): md_tmp_discard is then
 * a no-op and never removes the file that was in the way. */
int md_tmp_open_named(struct md_tmp *t, int tmpdirfd, const char *name);

/*
 * Give the complete file open as fd (size bytes) a fresh unique name in
 * tmpdirfd: a hard link, no copy. The link is made through
 * /proc/self/fd/N, so it is exactly the file fd holds, whatever its name
 * is by now. t then holds a duplicate of fd: md_tmp_sync fsyncs it (cheap
 * when the file is durable already). Returns 0, or -1 with errno (EXDEV,
 * EMLINK, EPERM, ENOENT without /proc, ...): the caller copies instead.
 */
int md_tmp_link(struct md_tmp *t, int tmpdirfd, int fd, uint64_t size);

/* Append bytes (io_write_all); counts size. */
int md_tmp_write(struct md_tmp *t, const void *buf, size_t n);

/* fsync and close (close checked). On error the file is still there:
 * call md_tmp_discard. Never retries fsync on the same fd. */
int md_tmp_sync(struct md_tmp *t);

enum md_publish { MD_RENAME, MD_LINK };

/*
 * md_tmp_sync, then move tmp/NAME to newdir/newname: MD_RENAME is
 * rename(2) (spool: names are unique); MD_LINK is link(2) then unlink of
 * the tmp name, failing with EEXIST when newname already exists (how
 * exactly-once delivery names are claimed). On any error the tmp file is
 * removed. Does not fsync newdir: the caller does, once per batch.
 */
int md_tmp_commit(struct md_tmp *t, int newdirfd, const char *newname,
    enum md_publish how);

/* Close (if open) and unlink the tmp file; keeps errno. */
void md_tmp_discard(struct md_tmp *t);

/* fsync a directory fd. */
int md_fsync_dir(int dirfd);

/*
 * Open (creating when create != 0, mode 0700) directory name under dirfd,
 * never following a symlink. Returns the fd or -1 (ENOTDIR when a
 * non-directory or symlink is in the way).
 */
int md_open_dir(int dirfd, const char *name, int create);


#endif
