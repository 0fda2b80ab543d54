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
 * --interval poll asks for a fresh one.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/io.h"
#include "common/log.h"
#include "common/sasl.h"
#include "fetch/fetch.h"

#define LINE_CAP	(SASL_SECRET_MAX + 2)	/* secret, CR, NUL */
#define ENV_MAX		16
#define FD_CLOSE_MAX	4096
#define DRAIN_MAX	(1 << 20)	/* output after the first line */

/* Names kept in the command's environment; everything else is dropped. */
static const char *const keep_env[] = {
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE",
	"TZ", "TMPDIR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
	"DBUS_SESSION_BUS_ADDRESS", "GNUPGHOME", "GPG_TTY",
	"PASSWORD_STORE_DIR",
};

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* The first line of f, without its line end, malloc'd; NULL if none. */
static char *
first_line(FILE *f)
{
	char *line = calloc(1, LINE_CAP);

	if (line == NULL || fgets(line, LINE_CAP, f) == NULL) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

enum status
secret_load(struct fetch_opts *o, const char *file)
{
	const char *env = getenv("MDROP_PASSWORD");
	char qf[LOG_QUOTE_MAX];

	if (file != NULL) {
		FILE *f = fopen(file, "re");

		if (f == NULL || (o->password = first_line(f)) == NULL) {
			log_error("cannot-read", "file=%s error=\"%s\"",
			    log_quote(qf, sizeof qf, file),
			    f == NULL ? strerror(errno) : "empty");
			if (f != NULL)
				fclose(f);
			return ST_CONFIG;
		}
		fclose(f);
	} else if (env != NULL)
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
	struct sigaction sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
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

/*
 * Read the child's output until EOF or the deadline: the first line
 * into buf (size LINE_CAP), the rest drained. Returns 0, -1 (timeout),
 * -2 (first line too long), -3 (read error), -4 (SIGTERM), -5 (a NUL
 * in the first line: it would silently cut the secret), -6 (more than
 * DRAIN_MAX bytes after it: a helper that never stops).
 */
static int
read_output(int fd, char *buf, size_t *len, int *have_nl, long long deadline)
{
	char chunk[4096];
	size_t drained = 0;

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		long long left = deadline - io_now_ms();
		ssize_t r;
		size_t i;

		if (left <= 0)
			return -1;
		if (fetch_stop)
			return -4;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return -3;
		}
		if (pfd.revents == 0)
			continue;
		r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -3;
		if (r == 0)
			break;
		if (*have_nl && (drained += (size_t)r) > DRAIN_MAX)
			return -6;
		for (i = 0; i < (size_t)r && !*have_nl; i++) {
			if (chunk[i] == '\n') {
				*have_nl = 1;
				break;
			}
			if (*len + 1 >= LINE_CAP || chunk[i] == '\0') {
				int nul = chunk[i] == '\0';

				OPENSSL_cleanse(chunk, sizeof chunk);
				return nul ? -5 : -2;
			}
			buf[(*len)++] = chunk[i];
		}
	}
	OPENSSL_cleanse(chunk, sizeof chunk);
	buf[*len] = '\0';
	return 0;
}

enum status
secret_command(const char *cmd, int timeout_s, char **out)
{
	char *envp[ENV_MAX + 2], *buf, qc[LOG_QUOTE_MAX], why[64];
	int p[2], rc, wst = 0, have_nl = 0;
	size_t len = 0;
	pid_t pid;

	*out = NULL;
	envp[0] = NULL;
	buf = malloc(LINE_CAP);
	if (buf == NULL || build_env(envp) < 0 || pipe(p) < 0) {
		log_error("password-command-failed", "command=%s error=\"%s\"",
		    log_quote(qc, sizeof qc, cmd), strerror(errno));
		free_env(envp);
		free(buf);
		return ST_SOFTWARE;
	}
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
		child(cmd, p[1], envp);
	if (pid > 0)
		setpgid(pid, pid);	/* also here: no race with kill below */
	close(p[1]);
	free_env(envp);
	if (pid < 0) {
		log_error("password-command-failed", "command=%s error=\"%s\"",
		    log_quote(qc, sizeof qc, cmd), strerror(errno));
		close(p[0]);
		free(buf);
		return ST_SOFTWARE;
	}
	rc = read_output(p[0], buf, &len, &have_nl,
	    io_now_ms() + (long long)timeout_s * 1000);
	close(p[0]);
	if (rc != 0 && kill(-pid, SIGKILL) < 0)	/* never wait on a stuck */
		kill(pid, SIGKILL);			/* helper */
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (rc == -1)
		snprintf(why, sizeof why, "timed out after %d s", timeout_s);
	else if (rc == -2)
		snprintf(why, sizeof why, "first line over %d bytes",
		    SASL_SECRET_MAX);
	else if (rc == -3)
		snprintf(why, sizeof why, "read error");
	else if (rc == -4)
		snprintf(why, sizeof why, "interrupted");
	else if (rc == -5)
		snprintf(why, sizeof why, "NUL byte in the first line");
	else if (rc == -6)
		snprintf(why, sizeof why, "over 1 MiB of output");
	else if (WIFSIGNALED(wst))
		snprintf(why, sizeof why, "killed by signal %d",
		    WTERMSIG(wst));
	else if (!WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
		snprintf(why, sizeof why, "exit status %d",
		    WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
	else if (len == 0)
		snprintf(why, sizeof why, "empty output");
	else {
		*out = buf;
		return ST_OK;
	}
	OPENSSL_cleanse(buf, LINE_CAP);
	free(buf);
	log_error("password-command-failed", "command=%s reason=\"%s\"",
	    log_quote(qc, sizeof qc, cmd), why);
	return rc == -4 ? ST_TEMPFAIL : ST_CONFIG;
}
