/*
 * mdwrite: the disk ceiling of the benchmark. Writes every corpus message
 * into one Maildir the durable way -- tmp/NAME with O_EXCL, write,
 * fsync, close, rename into new/ -- and fsyncs new/ after every BATCH
 * messages (-b 1: per message, the classic Maildir protocol; -b 100: group
 * commit) and once at the end. Nothing else: no parsing, no routing, no
 * spool. A tool that must make each message durable at least once can not
 * be faster than this on the same disk.
 *
 *   mdwrite [-b BATCH] SRCDIR MAILDIR    (SRCDIR: the corpus's msgs/)
 *
 * Messages are copied in file-name order through one 256 KiB buffer.
 * Prints "msgs=N bytes=B" on stdout. Exit 0, or 1 with a message on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[256 * 1024];

static void die(const char *what, const char *name)
{
	fprintf(stderr, "mdwrite: %s %s: %s\n", what, name, strerror(errno));
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int opendirfd(const char *base, const char *sub)
{
	char p[4096];
	int fd;

	if ((size_t)snprintf(p, sizeof p, "%s/%s", base, sub) >= sizeof p)
		die("path too long", base);
	mkdir(p, 0700);
	if ((fd = open(p, O_RDONLY | O_DIRECTORY)) < 0)
		die("cannot open", p);
	return fd;
}

int main(int argc, char **argv)
{
	long batch = 1;
	int opt;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		if (opt != 'b' || (batch = strtol(optarg, NULL, 10)) < 1) {
			fputs("usage: mdwrite [-b BATCH] SRCDIR MAILDIR\n",
			    stderr);
			return 1;
		}
	}
	if (argc - optind != 2) {
		fputs("usage: mdwrite [-b BATCH] SRCDIR MAILDIR\n", stderr);
		return 1;
	}
	const char *src = argv[optind], *md = argv[optind + 1];
	mkdir(md, 0700);
	int tmpfd = opendirfd(md, "tmp"), newfd = opendirfd(md, "new");
	int srcfd = open(src, O_RDONLY | O_DIRECTORY);
	DIR *d = srcfd < 0 ? NULL : fdopendir(srcfd);
	if (!d)
		die("cannot open", src);

	size_t nn = 0, cap = 0;
	char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (nn == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof *names);
			if (!names)
				die("out of memory", src);
		}
		if (!(names[nn++] = strdup(de->d_name)))
			die("out of memory", src);
	}
	qsort(names, nn, sizeof *names, cmp);

	uint64_t bytes = 0;
	long pid = (long)getpid();
	for (size_t i = 0; i < nn; i++) {
		char name[128];

		snprintf(name, sizeof name, "%ld.P%ldQ%zu.bench", 1700000000L,
		    pid, i);
		int in = openat(srcfd, names[i], O_RDONLY);
		if (in < 0)
			die("cannot open", names[i]);
		int out = openat(tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW, 0600);
		if (out < 0)
			die("cannot create", name);
		for (;;) {
			ssize_t r = read(in, buf, sizeof buf);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				die("cannot read", names[i]);
			if (r == 0)
				break;
			for (ssize_t off = 0; off < r;) {
				ssize_t w = write(out, buf + off,
				    (size_t)(r - off));

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					die("cannot write", name);
				off += w;
			}
			bytes += (uint64_t)r;
		}
		close(in);
		if (fsync(out) != 0)
			die("cannot fsync", name);
		if (close(out) != 0)
			die("cannot close", name);
		if (renameat(tmpfd, name, newfd, name) != 0)
			die("cannot rename", name);
		if ((long)((i + 1) % (size_t)batch) == 0 && fsync(newfd) != 0)
			die("cannot fsync", "new/");
	}
	if (fsync(newfd) != 0)
		die("cannot fsync", "new/");
	printf("msgs=%zu bytes=%llu\n", nn, (unsigned long long)bytes);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("cannot write", "stdout");
	return 0;
}
