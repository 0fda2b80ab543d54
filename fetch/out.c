/*
 * out: the spool paths mdrop-fetch prints. A path is queued once its
 * message is durable and written when stdout can take it without
 * blocking (a pipe with room, a file), so a slow reader never holds a
 * POP3 session open; whatever is left is written, blocking, after QUIT.
 * Lines are short (< PIPE_BUF) so each write is atomic on a pipe.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/tool.h"
#include "fetch/fetch.h"

struct line {
	struct line *next;
	size_t len;
	char text[];
};

static struct line *head, **tail = &head;
static int broken;

int
out_push(const char *spool, const char *name)
{
	size_t len = strlen(spool) + strlen(name) + 6;	/* "/new/" + LF */
	struct line *l = malloc(sizeof *l + len + 1);

	if (l == NULL)
		return -1;
	l->len = (size_t)snprintf(l->text, len + 1, "%s/new/%s\n", spool, name);
	l->next = NULL;
	*tail = l;
	tail = &l->next;
	return 0;
}

int
out_broken(void)
{
	return broken;
}

/* The reader is gone or stdout failed with e: said once, no more
 * writes. */
static int
set_broken(int e)
{
	broken = 1;
	tool_stdout_error(e);
	errno = e;
	return -1;
}

int
out_flush(int block)
{
	while (head != NULL) {
		struct line *l = head;

		if (broken) {
			errno = EPIPE;
			return -1;
		}
		if (!block) {
			struct pollfd pfd = { .fd = 1, .events = POLLOUT };

			if (l->len > PIPE_BUF || poll(&pfd, 1, 0) <= 0 ||
			    (pfd.revents & POLLOUT) == 0) {
				if (pfd.revents & (POLLERR | POLLHUP))
					return set_broken(EPIPE);
				return 0;
			}
		}
		if (io_write_all(1, l->text, l->len) < 0)
			return set_broken(errno);
		head = l->next;
		if (head == NULL)
			tail = &head;
		free(l);
	}
	return 0;
}
