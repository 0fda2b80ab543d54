#define _GNU_SOURCE		/* statx(2) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/md.h"
#include "common/spool.h"

void
spool_close(struct spool *sp)
{
	int *fds[] = { &sp->dirfd, &sp->tmpfd, &sp->newfd, &sp->failedfd };
	size_t i;

	for (i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
	free(sp->path);
	sp->path = NULL;
}

/*
 * Are tmp/, new/ and failed/ on one mount? A bind mount of the same file
 * system has the same st_dev, yet rename(2) across it fails with EXDEV:
 * a message written in tmp/ could then never reach new/. The kernel's
 * mount ids tell (statx STATX_MNT_ID); without them, st_dev alone.
 */
static int
one_mount(const struct spool *sp)
{
	const int fds[] = { sp->tmpfd, sp->newfd, sp->failedfd };
	struct statx stx;
	uint64_t id = 0;
	size_t i;

	for (i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		if (statx(fds[i], "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
		    !(stx.stx_mask & STATX_MNT_ID))
			return 1;
		if (i > 0 && stx.stx_mnt_id != id)
			return 0;
		id = stx.stx_mnt_id;
	}
	return 1;
}

int
spool_open(struct spool *sp, const char *path, int create)
{
	struct stat st_tmp, st_new;
	int e;

	sp->dirfd = sp->tmpfd = sp->newfd = sp->failedfd = -1;
	sp->path = strdup(path);
	if (sp->path == NULL)
		return -1;
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		goto fail;
	sp->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		goto fail;
	if ((sp->tmpfd = md_open_dir(sp->dirfd, "tmp", create)) < 0 ||
	    (sp->newfd = md_open_dir(sp->dirfd, "new", create)) < 0 ||
	    (sp->failedfd = md_open_dir(sp->dirfd, "failed", create)) < 0)
		goto fail;
	if (fstat(sp->tmpfd, &st_tmp) < 0 || fstat(sp->newfd, &st_new) < 0)
		goto fail;
	if (st_tmp.st_dev != st_new.st_dev || !one_mount(sp)) {
		errno = EXDEV;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	spool_close(sp);
	errno = e;
	return -1;
}

const char *
spool_unsafe(const struct spool *sp)
{
	const int fds[] = { sp->dirfd, sp->tmpfd, sp->newfd, sp->failedfd };
	static const char *const names[] = { "", "tmp/", "new/", "failed/" };
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fstat(fds[i], &st) == 0 &&
		    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			return names[i];
	return NULL;
}

int
spool_lock_fd(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		return errno == EWOULDBLOCK ? -2 : -1;
	}
	return 0;
}

int
spool_lock(const struct spool *sp, const char *name)
{
	char file[MD_NAME_MAX + 8];
	int fd, r;

	if (snprintf(file, sizeof file, "%s.lock", name) >= (int)sizeof file) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(sp->dirfd, file,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	r = spool_lock_fd(fd);
	if (r < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return r;
	}
	return fd;
}

struct entry {
	char *name;
	struct timespec mtime;
};

static int
by_arrival(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

void
spool_free_list(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int
spool_list_new(const struct spool *sp, char ***names, size_t *count)
{
	struct entry *v = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int fd, e;

	*names = NULL;
	*count = 0;
	fd = openat(sp->newfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (!md_name_valid(de->d_name))
			continue;
		if (fstatat(sp->newfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;	/* vanished meanwhile, or not a message */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct entry *nv;

			if (ncap > SIZE_MAX / sizeof *v ||
			    (nv = realloc(v, ncap * sizeof *v)) == NULL)
				goto fail;
			v = nv;
			cap = ncap;
		}
		if ((v[n].name = strdup(de->d_name)) == NULL)
			goto fail;
		v[n].mtime = st.st_mtim;
		n++;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(v, n, sizeof *v, by_arrival);
	if ((*names = calloc(n + 1, sizeof **names)) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		(*names)[i] = v[i].name;
	*count = n;
	free(v);
	return 0;
fail:
	e = errno;
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	errno = e;
	return -1;
}

int
spool_split_path(const char *path, char *dir, size_t n, const char **name)
{
	const char *slash = strrchr(path, '/'), *end, *dend;
	size_t dirlen;

	if (slash == NULL || !md_name_valid(slash + 1))
		goto inval;
	*name = slash + 1;
	/* the directory part without the "/" and "/." at its end: one file
	 * spelled SPOOL/new/P, SPOOL/new//P or SPOOL/new/./P is one file */
	for (end = slash;;) {
		while (end > path + 1 && end[-1] == '/')
			end--;
		if (end - path < 2 || end[-1] != '.' || end[-2] != '/')
			break;
		end--;
	}
	/* its last component must be exactly "new" */
	if (end - path < 3 || memcmp(end - 3, "new", 3) != 0 ||
	    (end - path > 3 && end[-4] != '/'))
		goto inval;
	for (dend = end - 3; dend > path + 1 && dend[-1] == '/'; dend--)
		;
	dirlen = (size_t)(dend - path);	/* "/new/X" keeps "/" */
	if (dirlen == 0) {
		if (n < 2)
			goto toolong;
		strcpy(dir, ".");
		return 0;
	}
	if (dirlen >= n)
		goto toolong;
	memcpy(dir, path, dirlen);
	dir[dirlen] = '\0';
	return 0;
inval:
	errno = EINVAL;
	return -1;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}
