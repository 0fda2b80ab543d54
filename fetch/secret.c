/*
 * secret: the password or bearer token, from --password-file,
 * $MDROP_PASSWORD or --password-command. The secret never reaches argv,
 * a log line or the environment of a child.
 *
 * The command runs through /bin/sh -c (users write pipelines: "pass
 * show isp | head -1", "oauth2-helper --account x") with an environment
 * reduced to what keyrings and token helpers need to find their state
 * (PATH, HOME, USER, LOGNAME, locale, XDG/D-Bus/GnuPG sockets), so no
 * mail data and no $MDROP_PASSWORD leak into it. It runs once per
 * session: an OAuth access token expires within the hour, so every
 * --interval poll asks for a fresh one. It has --timeout seconds to
 * print its line and exit; then its whole process group is killed.
 *
 * A first line that cannot be the secret (too long, a NUL in it, empty)
 * is refused, from the file as from the command, never cut: a cut
 * password would fail the login as a wrong one does, far from the cause.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/io.h"
#include "common/log.h"
#include "common/sasl.h"
#include "common/tool.h"
#include "fetch/fetch.h"

#define LINE_CAP	(SASL_SECRET_MAX + 2)	/* secret, CR, NUL */
#define ENV_MAX		16
#define FD_CLOSE_MAX	4096
#define DRAIN_MAX	(1 << 20)	/* output after the first line */
#define REAP_STEP_MS	100	/* longest nap while a command exits */

/* Names kept in the command's environment; everything else is dropped. */
static const char *const keep_env[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE",
	"TZ", "TMPDIR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
	"DBUS_SESSION_BUS_ADDRESS", "GNUPGHOME", "GPG_TTY",
	"PASSWORD_STORE_DIR",
};

/* How reading a first line, or running a command, ended. */
enum got {
	GOT_LINE,	/* a first line: the secret */
	GOT_EMPTY,	/* an empty first line, or nothing at all */
	GOT_TIMEOUT,	/* no end of output within the timeout */
	GOT_LINGER,	/* output ended, but the command did not exit in time */
	GOT_LONG,	/* first line over SASL_SECRET_MAX bytes */
	GOT_NUL,	/* a NUL in the first line */
	GOT_ENDLESS,	/* over DRAIN_MAX bytes after it: it never stops */
	GOT_ERROR,	/* a read or wait error */
	GOT_STOP	/* a stop signal */
};

/* Why what came cannot be the secret, for a log line (empty: the text
 * for an empty one). */
static void
why_not(enum got g, int timeout_s, const char *empty, char *why, size_t n)
{
	switch (g) {
	case GOT_TIMEOUT:
		snprintf(why, n, "timed out after %d s", timeout_s);
		return;
	case GOT_LINGER:
		snprintf(why, n, "did not exit within %d s", timeout_s);
		return;
	case GOT_LONG:
		snprintf(why, n, "first line over %d bytes", SASL_SECRET_MAX);
		return;
	case GOT_NUL:
		snprintf(why, n, "NUL byte in the first line");
		return;
	case GOT_ENDLESS:
		snprintf(why, n, "over 1 MiB of output");
		return;
	case GOT_STOP:
		snprintf(why, n, "interrupted");
		return;
	case GOT_EMPTY:
		snprintf(why, n, "%s", empty);
		return;
	default:
		snprintf(why, n, "read error");
	}
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* Add chunk[0..n), up to its first LF, to the line in buf (*len bytes so
 * far); *have_nl once the LF came. GOT_LINE, GOT_LONG or GOT_NUL. */
static enum got
line_push(char *buf, size_t *len, int *have_nl, const char *chunk, size_t n)
{
	size_t i;

	for (i = 0; i < n && !*have_nl; i++) {
		if (chunk[i] == '\n')
			*have_nl = 1;
		else if (chunk[i] == '\0')
			return GOT_NUL;
		else if (*len + 1 >= LINE_CAP)
			return GOT_LONG;
		else
			buf[(*len)++] = chunk[i];
	}
	return GOT_LINE;
}

/*
 * Read fd up to the end of its first line, or with drain to its EOF (the
 * rest read and dropped: a helper's output must end), within the deadline
 * and until a stop signal. The first line, without its CR LF, into buf
 * (size LINE_CAP), NUL-terminated: GOT_LINE, GOT_EMPTY or why not.
 */
static enum got
read_line(int fd, char *buf, long long deadline, int drain)
{
	char chunk[4096];
	size_t len = 0, drained = 0;
	int have_nl = 0, w;
	enum got g = GOT_LINE;
	ssize_t r = 1;

	while (g == GOT_LINE && r > 0 && (drain || !have_nl)) {
		long long left = deadline - io_now_ms();

		if (left <= 0)
			g = GOT_TIMEOUT;
		else if ((w = tool_wait_input(fd, left > 1000 ? 1000 :
		    (int)left)) < 0)
			g = GOT_STOP;
		else if (w > 0 && (r = io_read(fd, chunk, sizeof chunk)) < 0)
			g = GOT_ERROR;
		else if (w > 0 && have_nl)
			g = (drained += (size_t)r) > DRAIN_MAX ? GOT_ENDLESS :
			    GOT_LINE;
		else if (w > 0)
			g = line_push(buf, &len, &have_nl, chunk, (size_t)r);
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (g == GOT_LINE && len > SASL_SECRET_MAX)
		g = GOT_LONG;	/* room was left for a CR */
	return g == GOT_LINE && len == 0 ? GOT_EMPTY : g;
}

/* --password-file: its first line into *out (malloc'd); ST_CONFIG
 * (logged, naming the file) when it cannot be read or is no secret. */
static enum status
from_file(const char *file, int timeout_s, char **out)
{
	char qf[LOG_QUOTE_MAX], why[64], *line = malloc(LINE_CAP);
	enum got g = GOT_ERROR;
	int fd = -1;

	if (line == NULL || (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		snprintf(why, sizeof why, "%s", strerror(errno));
	else if ((g = read_line(fd, line, io_now_ms() +
	    (long long)timeout_s * 1000, 0)) != GOT_LINE)
		why_not(g, timeout_s, "empty", why, sizeof why);
	if (fd >= 0)
		close(fd);
	if (g == GOT_LINE) {
		*out = line;
		return ST_OK;
	}
	if (line != NULL)
		OPENSSL_cleanse(line, LINE_CAP);
	free(line);
	log_error("cannot-read", "file=%s error=\"%s\"",
	    log_quote(qf, sizeof qf, file), why);
	return ST_CONFIG;
}

enum status
secret_load(struct fetch_opts *o, const char *file)
{
	const char *env = getenv("MDROP_PASSWORD");

	if (file != NULL && from_file(file, o->timeout, &o->password) != ST_OK)
		return ST_CONFIG;
	if (file == NULL && env != NULL)
		o->password = strdup(env);
	if (o->password == NULL || o->password[0] == '\0') {
		log_error("no-password", "reason=\"give --password-file, "
		    "--password-command or $MDROP_PASSWORD\"");
		return ST_CONFIG;
	}
	return ST_OK;
}

/* "NAME=value" strings of the kept variables, NULL-terminated. */
static int
build_env(char **envp)
{
	size_t i, k = 0;

	for (i = 0; i < sizeof keep_env / sizeof keep_env[0]; i++) {
		const char *v = getenv(keep_env[i]);
		size_t n;

		if (v == NULL)
			continue;
		n = strlen(keep_env[i]) + strlen(v) + 2;
		if ((envp[k] = malloc(n)) == NULL)
			return -1;
		snprintf(envp[k++], n, "%s=%s", keep_env[i], v);
	}
	if (getenv("PATH") == NULL &&
	    (envp[k++] = strdup("PATH=/usr/local/bin:/usr/bin:/bin")) == NULL)
		return -1;
	envp[k] = NULL;
	return 0;
}

static void
free_env(char **envp)
{
	size_t i;

	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
}

/* In the child: stdout to the pipe, stdin /dev/null, nothing else. */
static void
child(const char *cmd, int wfd, char **envp)
{
	int fd;

	tool_child();
	setpgid(0, 0);	/* its own group: a timeout kills the whole pipeline */
	if (dup2(wfd, 1) < 0)
		_exit(126);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	for (fd = 3; fd < FD_CLOSE_MAX; fd++)
		close(fd);
	execve("/bin/sh", (char *[]){ "sh", "-c", (char *)(uintptr_t)cmd,
	    NULL }, envp);
	_exit(127);
}

/* Start cmd with its stdout on a pipe: its pid, the read end in *rfd;
 * -1 (errno set) when it cannot be. */
static pid_t
spawn(const char *cmd, int *rfd)
{
	char *envp[ENV_MAX + 2];
	int p[2], e;
	pid_t pid;

	envp[0] = NULL;
	if (build_env(envp) < 0 || pipe(p) < 0) {
		e = errno;
		free_env(envp);
		errno = e;
		return -1;
	}
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
		child(cmd, p[1], envp);
	e = errno;
	if (pid > 0)
		setpgid(pid, pid);	/* also here: no race with kill below */
	close(p[1]);
	free_env(envp);
	if (pid < 0)
		close(p[0]);
	*rfd = p[0];
	errno = e;
	return pid;
}

/* Kill pid's whole process group (a pipeline), or pid alone. */
static void
kill_group(pid_t pid)
{
	if (kill(-pid, SIGKILL) < 0)
		kill(pid, SIGKILL);
}

/*
 * Wait for pid to exit, until the deadline or a stop signal; then its
 * group is killed and reaped. GOT_LINE (it exited: its status in *wst),
 * GOT_LINGER, GOT_STOP or GOT_ERROR. A helper that closes its output
 * and goes on running never holds the session up.
 */
static enum got
reap(pid_t pid, long long deadline, int *wst)
{
	long long step = 1, left;
	enum got g = GOT_LINE;
	pid_t r;

	while ((r = waitpid(pid, wst, WNOHANG)) == 0) {
		if ((left = deadline - io_now_ms()) <= 0) {
			g = GOT_LINGER;
			break;
		}
		if (tool_pause(step < left ? step : left) < 0) {
			g = GOT_STOP;
			break;
		}
		step = step * 2 < REAP_STEP_MS ? step * 2 : REAP_STEP_MS;
	}
	if (r == pid)
		return GOT_LINE;
	if (r < 0)
		return GOT_ERROR;
	kill_group(pid);
	while (waitpid(pid, wst, 0) < 0 && errno == EINTR)
		;
	return g;
}

/* Why a command that exited with wait status wst, its first line read
 * as g, gives no secret: NULL when it does. */
static const char *
command_failed(enum got g, int wst, int timeout_s, char *why, size_t n)
{
	if (g != GOT_LINE && g != GOT_EMPTY)
		why_not(g, timeout_s, "", why, n);
	else if (WIFSIGNALED(wst))
		snprintf(why, n, "killed by signal %d", WTERMSIG(wst));
	else if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		snprintf(why, n, "exit status %d",
		    WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	else if (g == GOT_EMPTY)
		snprintf(why, n, "empty output");
	else
		return NULL;
	return why;
}

enum status
secret_command(const char *cmd, int timeout_s, char **out)
{
	long long deadline = io_now_ms() + (long long)timeout_s * 1000;
	char *buf, qc[LOG_QUOTE_MAX], why[64];
	int rfd, wst = 0;
	enum got g, r;
	pid_t pid;

	*out = NULL;
	if ((buf = malloc(LINE_CAP)) == NULL || (pid = spawn(cmd, &rfd)) < 0) {
		log_error("password-command-failed", "command=%s error=\"%s\"",
		    log_quote(qc, sizeof qc, cmd), strerror(errno));
		free(buf);
		return ST_SOFTWARE;
	}
	g = read_line(rfd, buf, deadline, 1);
	close(rfd);
	if (g != GOT_LINE && g != GOT_EMPTY)
		kill_group(pid);	/* never wait on a stuck helper */
	r = reap(pid, deadline, &wst);
	if (r != GOT_LINE && (g == GOT_LINE || g == GOT_EMPTY))
		g = r;		/* its output ended, it did not */
	if (command_failed(g, wst, timeout_s, why, sizeof why) == NULL) {
		*out = buf;
		return ST_OK;
	}
	OPENSSL_cleanse(buf, LINE_CAP);
	free(buf);
	log_error("password-command-failed", "command=%s reason=\"%s\"",
	    log_quote(qc, sizeof qc, cmd), why);
	return g == GOT_STOP ? ST_TEMPFAIL : ST_CONFIG;
}
