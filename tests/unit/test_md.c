/* Unit tests for common/md: unique names, name validation, the durable
 * tmp -> new write (rename and link), and its failures scripted through
 * wrapped write/fsync/close: the tmp file never survives an error. */
// wrap: write fsync close
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/md.h"

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);
int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __real_close(int fd);
int __wrap_close(int fd);

static int write_err, fsync_err, close_err;	/* next call fails with it */
static int fsync_calls;

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (write_err) {
		errno = write_err;
		write_err = 0;
		return -1;
	}
	return __real_write(fd, buf, n);
}

int
__wrap_fsync(int fd)
{
	fsync_calls++;
	if (fsync_err) {
		errno = fsync_err;
		fsync_err = 0;
		return -1;
	}
	return __real_fsync(fd);
}

int
__wrap_close(int fd)
{
	int r = __real_close(fd);

	if (close_err) {
		errno = close_err;
		close_err = 0;
		return -1;
	}
	return r;
}

/* A fresh directory with tmp/ and new/; fds in the state. */
struct dirs {
	char path[64];
	int top, tmp, newd;
};

static int
setup(void **state)
{
	struct dirs *d = calloc(1, sizeof *d);

	if (d == NULL)
		return -1;
	strcpy(d->path, "/tmp/mdrop-test_md.XXXXXX");
	if (mkdtemp(d->path) == NULL)
		return -1;
	d->top = open(d->path, O_RDONLY | O_DIRECTORY);
	if (d->top < 0 || mkdirat(d->top, "tmp", 0700) < 0 ||
	    mkdirat(d->top, "new", 0700) < 0)
		return -1;
	d->tmp = openat(d->top, "tmp", O_RDONLY | O_DIRECTORY);
	d->newd = openat(d->top, "new", O_RDONLY | O_DIRECTORY);
	if (d->tmp < 0 || d->newd < 0)
		return -1;
	write_err = fsync_err = close_err = fsync_calls = 0;
	*state = d;
	return 0;
}

static int
teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[128];

	close(d->tmp);
	close(d->newd);
	close(d->top);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static int
count_entries(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n;
}

static void
assert_file(int dirfd, const char *name, const char *want)
{
	char buf[256];
	int fd = openat(dirfd, name, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof buf);
	close(fd);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, (size_t)n);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_uniq_names(void **state)
{
	enum { N = 10000 };
	char **v = calloc(N, sizeof *v);
	char small[8];
	size_t i;

	(void)state;
	assert_non_null(v);
	for (i = 0; i < N; i++) {
		char name[MD_NAME_MAX];

		assert_int_equal(md_uniq_name(name, sizeof name), 0);
		assert_true(md_name_valid(name));
		v[i] = strdup(name);
		assert_non_null(v[i]);
	}
	qsort(v, N, sizeof *v, cmp_str);
	for (i = 1; i < N; i++)
		assert_string_not_equal(v[i - 1], v[i]);
	for (i = 0; i < N; i++)
		free(v[i]);
	free(v);
	errno = 0;
	assert_int_equal(md_uniq_name(small, sizeof small), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void
test_name_valid(void **state)
{
	char longname[MD_NAME_MAX + 1];

	(void)state;
	assert_true(md_name_valid("1700000000.M1P2Q3R4.host"));
	assert_true(md_name_valid("a,S=12,W=13"));
	assert_true(md_name_valid("A-z_0.9=,"));
	assert_true(md_name_valid("-leading-dash"));
	assert_false(md_name_valid(""));
	assert_false(md_name_valid("."));
	assert_false(md_name_valid(".."));
	assert_false(md_name_valid(".hidden"));
	assert_false(md_name_valid("a/b"));
	assert_false(md_name_valid("../x"));
	assert_false(md_name_valid("a b"));
	assert_false(md_name_valid("x:2,S"));
	assert_false(md_name_valid("tab\there"));
	assert_false(md_name_valid("nl\n"));
	assert_false(md_name_valid("\xc3\xbc"));
	memset(longname, 'a', sizeof longname);
	longname[MD_NAME_MAX - 1] = '\0';	/* 255 bytes */
	assert_true(md_name_valid(longname));
	longname[MD_NAME_MAX - 1] = 'a';
	longname[MD_NAME_MAX] = '\0';		/* 256 bytes */
	assert_false(md_name_valid(longname));
}

static void
test_commit_rename(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t;
	struct stat st;

	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_true(md_name_valid(t.name));
	assert_int_equal(fstatat(d->tmp, t.name, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(md_tmp_write(&t, "hello ", 6), 0);
	assert_int_equal(md_tmp_write(&t, "world\n", 6), 0);
	assert_int_equal(t.size, 12);
	assert_int_equal(md_tmp_commit(&t, d->newd, "msg1", MD_RENAME), 0);
	assert_int_equal(fsync_calls, 1);
	assert_int_equal(md_fsync_dir(d->newd), 0);
	assert_file(d->newd, "msg1", "hello world\n");
	assert_int_equal(count_entries(d->tmp), 0);
	assert_int_equal(count_entries(d->newd), 1);
}

static void
test_commit_link(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t;

	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_int_equal(md_tmp_write(&t, "first", 5), 0);
	assert_int_equal(md_tmp_commit(&t, d->newd, "claim", MD_LINK), 0);
	assert_int_equal(count_entries(d->tmp), 0);

	/* A second claim of the same name fails and leaves no trace. */
	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_int_equal(md_tmp_write(&t, "second", 6), 0);
	errno = 0;
	assert_int_equal(md_tmp_commit(&t, d->newd, "claim", MD_LINK), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(count_entries(d->tmp), 0);
	assert_file(d->newd, "claim", "first");
	assert_int_equal(count_entries(d->newd), 1);
}

static void
test_fsync_eio(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t;

	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_int_equal(md_tmp_write(&t, "data", 4), 0);
	fsync_err = EIO;
	errno = 0;
	assert_int_equal(md_tmp_commit(&t, d->newd, "m", MD_RENAME), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(fsync_calls, 1);	/* never fsync the fd again */
	assert_int_equal(count_entries(d->tmp), 0);
	assert_int_equal(count_entries(d->newd), 0);

	/* md_tmp_sync alone: error, fd closed, file kept for discard. */
	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	fsync_err = ENOSPC;
	assert_int_equal(md_tmp_sync(&t), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(t.fd, -1);
	assert_int_equal(count_entries(d->tmp), 1);
	assert_int_equal(md_tmp_sync(&t), 0);	/* nothing left to sync */
	assert_int_equal(fsync_calls, 2);
	errno = EXDEV;
	md_tmp_discard(&t);
	assert_int_equal(errno, EXDEV);		/* discard keeps errno */
	assert_int_equal(count_entries(d->tmp), 0);
}

static void
test_close_eio(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t;

	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_int_equal(md_tmp_write(&t, "data", 4), 0);
	close_err = EIO;
	assert_int_equal(md_tmp_commit(&t, d->newd, "m", MD_LINK), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(count_entries(d->tmp), 0);
	assert_int_equal(count_entries(d->newd), 0);
}

static void
test_write_enospc(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t;

	assert_int_equal(md_tmp_open(&t, d->tmp), 0);
	assert_int_equal(md_tmp_write(&t, "ok", 2), 0);
	write_err = ENOSPC;
	assert_int_equal(md_tmp_write(&t, "more", 4), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(t.size, 2);
	md_tmp_discard(&t);
	assert_int_equal(t.fd, -1);
	assert_int_equal(count_entries(d->tmp), 0);
	md_tmp_discard(&t);	/* twice is harmless */
}

static void
test_open_named(void **state)
{
	struct dirs *d = *state;
	struct md_tmp t, u;
	struct stat st;

	char longname[MD_NAME_MAX + 8];

	assert_int_equal(md_tmp_open_named(&t, d->tmp, "fixed"), 0);
	errno = 0;
	assert_int_equal(md_tmp_open_named(&u, d->tmp, "fixed"), -1);
	assert_int_equal(errno, EEXIST);
	/* Regression: discarding after a failed open must not remove the
	 * file that made it fail (someone else's). */
	assert_int_equal(u.fd, -1);
	md_tmp_discard(&u);
	assert_int_equal(count_entries(d->tmp), 1);
	md_tmp_discard(&t);
	assert_int_equal(count_entries(d->tmp), 0);
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	u.fd = 12345;
	assert_int_equal(md_tmp_open_named(&u, d->tmp, longname), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(u.fd, -1);
	md_tmp_discard(&u);
	/* A symlink planted at the name is not followed. */
	assert_int_equal(symlinkat("../new/victim", d->tmp, "planted"), 0);
	assert_int_equal(md_tmp_open_named(&t, d->tmp, "planted"), -1);
	assert_int_equal(fstatat(d->newd, "victim", &st, 0), -1);
	assert_int_equal(errno, ENOENT);
}

/* tmp/, new/ and cur/ opened or made under a Maildir fd, as deliver's
 * walk does: -1 (ENOTDIR) when one is a symlink or a file. */
static int
make_maildir(int maildirfd)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	size_t i;

	for (i = 0; i < 3; i++) {
		int fd = md_open_dir(maildirfd, sub[i], 1);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static void
test_open_dir(void **state)
{
	struct dirs *d = *state;
	struct stat st;
	int fd, fd2;

	errno = 0;
	assert_int_equal(md_open_dir(d->top, "Maildir", 0), -1);
	assert_int_equal(errno, ENOENT);
	fd = md_open_dir(d->top, "Maildir", 1);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	fd2 = md_open_dir(d->top, "Maildir", 1);	/* exists: opened */
	assert_true(fd2 >= 0);
	close(fd2);
	assert_int_equal(make_maildir(fd), 0);
	assert_int_equal(make_maildir(fd), 0);	/* idempotent */
	assert_int_equal(fstatat(fd, "cur", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(fd), 3);
	close(fd);

	/* A symlink to a real directory is refused, created or not. */
	assert_int_equal(symlinkat("Maildir", d->top, "link"), 0);
	errno = 0;
	assert_int_equal(md_open_dir(d->top, "link", 0), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(md_open_dir(d->top, "link", 1), -1);
	assert_int_equal(errno, ENOTDIR);
	/* A dangling symlink is not created through. */
	assert_int_equal(symlinkat("elsewhere", d->top, "dangling"), 0);
	assert_int_equal(md_open_dir(d->top, "dangling", 1), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(fstatat(d->top, "elsewhere", &st, 0), -1);
	/* A regular file in the way. */
	fd = openat(d->top, "file", O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(md_open_dir(d->top, "file", 1), -1);
	assert_int_equal(errno, ENOTDIR);
	/* A symlinked sub-directory inside a Maildir makes it fail. */
	fd = md_open_dir(d->top, "Md2", 1);
	assert_true(fd >= 0);
	assert_int_equal(symlinkat("/tmp", fd, "new"), 0);
	assert_int_equal(make_maildir(fd), -1);
	assert_int_equal(errno, ENOTDIR);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniq_names),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test_setup_teardown(test_commit_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_dir, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
