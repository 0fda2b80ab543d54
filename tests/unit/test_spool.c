/* Unit tests for common/spool: creation with mode 0700, refusal of
 * symlinks, the arrival-order listing of new/, the non-waiting lock
 * (also against another process), and spool_split_path. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/spool.h"

static char top[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(top, "/tmp/mdrop-test_spool.XXXXXX");
	return mkdtemp(top) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
at(const char *rel)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", top, rel);
	return buf[i];
}

static void
assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
test_open_create(void **state)
{
	struct spool sp;

	(void)state;
	errno = 0;
	assert_int_equal(spool_open(&sp, at("sp"), 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(sp.path);
	assert_int_equal(spool_open(&sp, at("sp"), 1), 0);
	assert_string_equal(sp.path, at("sp"));
	assert_true(sp.dirfd >= 0 && sp.tmpfd >= 0 && sp.newfd >= 0 &&
	    sp.failedfd >= 0);
	assert_mode(at("sp"), 0700);
	assert_mode(at("sp/tmp"), 0700);
	assert_mode(at("sp/new"), 0700);
	assert_mode(at("sp/failed"), 0700);
	spool_close(&sp);
	assert_int_equal(sp.dirfd, -1);
	assert_null(sp.path);
	/* Existing: opened without create too. */
	assert_int_equal(spool_open(&sp, at("sp"), 0), 0);
	spool_close(&sp);
	/* A partial spool is completed with create, refused without. */
	assert_int_equal(rmdir(at("sp/failed")), 0);
	assert_int_equal(spool_open(&sp, at("sp"), 0), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(spool_open(&sp, at("sp"), 1), 0);
	spool_close(&sp);
	assert_mode(at("sp/failed"), 0700);
}

static void
test_open_symlink(void **state)
{
	struct spool sp;

	(void)state;
	assert_int_equal(mkdir(at("sp"), 0700), 0);
	assert_int_equal(mkdir(at("elsewhere"), 0700), 0);
	assert_int_equal(symlink(at("elsewhere"), at("sp/new")), 0);
	errno = 0;
	assert_int_equal(spool_open(&sp, at("sp"), 1), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(sp.dirfd, -1);
	assert_int_equal(sp.tmpfd, -1);
	/* A file where tmp/ should be. */
	assert_int_equal(mkdir(at("sp2"), 0700), 0);
	close(open(at("sp2/tmp"), O_CREAT | O_WRONLY, 0600));
	assert_int_equal(spool_open(&sp, at("sp2"), 1), -1);
	assert_int_equal(errno, ENOTDIR);
}

static void
put(const struct spool *sp, const char *name, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
	int fd = openat(sp->newfd, name, O_CREAT | O_WRONLY, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, name, strlen(name)), (ssize_t)strlen(name));
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

static void
test_list_new(void **state)
{
	struct spool sp;
	char **names;
	size_t n;

	(void)state;
	assert_int_equal(spool_open(&sp, at("sp"), 1), 0);
	assert_int_equal(spool_list_new(&sp, &names, &n), 0);
	assert_int_equal(n, 0);
	assert_non_null(names);
	spool_free_list(names, n);

	put(&sp, "1700000300.c", 1700000300);
	put(&sp, "1700000100.b", 1700000100);
	put(&sp, "1700000100.a", 1700000100);
	put(&sp, "0-older-by-mtime", 1600000000);
	put(&sp, ".hidden", 1500000000);
	put(&sp, "bad name", 1500000000);
	assert_int_equal(mkdirat(sp.newfd, "subdir", 0700), 0);
	assert_int_equal(symlinkat("1700000300.c", sp.newfd, "link"), 0);

	assert_int_equal(spool_list_new(&sp, &names, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "0-older-by-mtime");
	assert_string_equal(names[1], "1700000100.a");
	assert_string_equal(names[2], "1700000100.b");
	assert_string_equal(names[3], "1700000300.c");
	assert_null(names[4]);
	spool_free_list(names, n);
	spool_close(&sp);
}

static void
test_lock(void **state)
{
	struct spool sp;
	struct stat st;
	int a, b, c, status;
	pid_t pid;

	(void)state;
	assert_int_equal(spool_open(&sp, at("sp"), 1), 0);
	a = spool_lock(&sp, "fetch");
	assert_true(a >= 0);
	assert_int_equal(stat(at("sp/fetch.lock"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A second open file description is busy, without waiting. */
	assert_int_equal(spool_lock(&sp, "fetch"), -2);
	/* Another name is independent. */
	c = spool_lock(&sp, "deliver");
	assert_true(c >= 0);
	/* Another process sees it busy too. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(spool_lock(&sp, "fetch") == -2 ? 0 : 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* spool_lock_fd on a second fd of the same file. */
	b = open(at("sp/fetch.lock"), O_RDWR);
	assert_true(b >= 0);
	assert_int_equal(spool_lock_fd(b), -2);
	close(a);
	assert_int_equal(spool_lock_fd(b), 0);
	assert_int_equal(spool_lock(&sp, "fetch"), -2);
	close(b);
	a = spool_lock(&sp, "fetch");
	assert_true(a >= 0);
	close(a);
	close(c);
	/* A symlink planted as the lock file is not followed. */
	assert_int_equal(symlink(at("victim"), at("sp/evil.lock")), 0);
	assert_int_equal(spool_lock(&sp, "evil"), -1);
	assert_int_equal(stat(at("victim"), &st), -1);
	/* An error is -1, not busy. */
	assert_int_equal(spool_lock_fd(-1), -1);
	assert_int_equal(errno, EBADF);
	spool_close(&sp);
}

static void
split_ok(const char *path, const char *want_dir, const char *want_name)
{
	char dir[256];
	const char *name = NULL;

	assert_int_equal(spool_split_path(path, dir, sizeof dir, &name), 0);
	assert_string_equal(dir, want_dir);
	assert_string_equal(name, want_name);
	assert_ptr_equal(name, path + strlen(path) - strlen(want_name));
}

static void
split_bad(const char *path)
{
	char dir[256];
	const char *name;

	errno = 0;
	assert_int_equal(spool_split_path(path, dir, sizeof dir, &name), -1);
	assert_int_equal(errno, EINVAL);
}

static void
test_split_path(void **state)
{
	char small[4];
	const char *name;

	(void)state;
	split_ok("/var/spool/mdrop/new/1.M2P3,S=4", "/var/spool/mdrop",
	    "1.M2P3,S=4");
	split_ok("/new/X", "/", "X");
	split_ok("new/X", ".", "X");
	split_ok("./new/X", ".", "X");
	split_ok("a/b/new/X", "a/b", "X");
	split_ok("sp/new/new", "sp", "new");
	split_ok("a/new//X", "a", "X");
	split_ok("a/new/./X", "a", "X");
	split_ok("a/new/.//.///X", "a", "X");
	split_ok("a//new//X", "a", "X");
	split_ok("new//X", ".", "X");
	split_ok("new/./X", ".", "X");
	split_ok("/new//X", "/", "X");
	split_ok("//new/X", "/", "X");
	split_bad("a/newx/X");
	split_bad("a/xnew/X");
	split_bad("anew/X");
	split_bad("a/cur/X");
	split_bad("a/new/");
	split_bad("a/new/.X");
	split_bad("a/new/..");
	split_bad("a/new/x y");
	split_bad("a/new/x:2,S");
	split_bad("a/new/\xc3\xbc");
	split_bad("X");
	split_bad("new");
	split_bad("/X");
	split_bad("./X");
	split_bad("a/new/../X");
	split_bad("a/new/x/./X");
	split_bad("a/new./X");
	split_bad("a/.new/X");
	split_bad(".//X");
	split_bad("");
	errno = 0;
	assert_int_equal(spool_split_path("abcd/new/X", small, sizeof small,
	    &name), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(spool_split_path("abc/new/X", small, sizeof small,
	    &name), 0);
	assert_string_equal(small, "abc");
	assert_int_equal(spool_split_path("new/X", small, 1, &name), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test(test_split_path),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
