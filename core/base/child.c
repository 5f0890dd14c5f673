/* child.c - child processes (see child.h). */
#include "base/child.h"
#include "base/error.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void append_text(char *out, size_t size, const char *text, size_t len)
{
	size_t used = strlen(out);
	if (used + 1 >= size)
		return;
	if (len > size - used - 1)
		len = size - used - 1;
	memcpy(out + used, text, len);
	out[used + len] = '\0';
}

/* The last non-empty line of TEXT (trimmed), copied into OUT. */
static void last_line(const char *text, char *out, size_t size)
{
	const char *end = text + strlen(text);
	while (end > text && isspace((unsigned char)end[-1]))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	size_t n = (size_t)(end - start);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

/* Some lines of a child's stderr for an error message: the ones that say "error", "FATAL"
 * or give the server's message, if any; else the last one. */
static void child_message(const char *text, char *out, size_t size)
{
	out[0] = '\0';
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (memmem(p, len, "error", 5) || memmem(p, len, "FATAL", 5) ||
		    memmem(p, len, "Error message", 13)) {
			if (*out)
				append_text(out, size, "; ", 2);
			append_text(out, size, p, len);
		}
		p += len + (nl ? 1 : 0);
	}
	if (!*out)
		last_line(text, out, size);
}

/* Start ARGV[0] (found in PATH) with stdin /dev/null, stdout to a pipe when CAPTURE (else
 * /dev/null), stderr to a pipe; no descriptor of ours beyond those. */
int sd_child_start(struct sd_child *c, const char *const argv[], int flags, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->out_fd = c->err_fd = -1;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	bool capture = flags & SD_CHILD_STDOUT_PIPE, inherit = flags & SD_CHILD_INHERIT_OUTPUT;
	if ((capture && pipe2(outp, O_CLOEXEC) < 0) || (!inherit && pipe2(errp, O_CLOEXEC) < 0)) {
		sd_set_error(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (capture)
		fcntl(outp[0], F_SETPIPE_SZ, SD_CHILD_PIPE_SIZE);   /* fewer, larger reads; best effort */
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (capture)
		posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	else if (!inherit)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!inherit)
		posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					POSIX_SPAWN_SETPGROUP);
	int rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		sd_set_error(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		c->pid = -1;
		goto fail;
	}
	if (capture) {
		close(outp[1]);
		c->out_fd = outp[0];
	}
	if (!inherit) {
		close(errp[1]);
		c->err_fd = errp[0];
	}
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return -1;
}

void sd_child_read_errors(struct sd_child *c)
{
	char buf[4096];
	ssize_t n = read(c->err_fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(c->err_fd);
			c->err_fd = -1;
		}
		return;
	}
	/* keep the tail */
	size_t room = sizeof(c->errors) - 1;
	if ((size_t)n >= room) {
		memcpy(c->errors, buf + (size_t)n - room, room);
		c->errlen = room;
	} else {
		if (c->errlen + (size_t)n > room) {
			size_t drop = c->errlen + (size_t)n - room;
			memmove(c->errors, c->errors + drop, c->errlen - drop);
			c->errlen -= drop;
		}
		memcpy(c->errors + c->errlen, buf, (size_t)n);
		c->errlen += (size_t)n;
	}
	c->errors[c->errlen] = '\0';
}

void sd_child_kill(struct sd_child *c)
{
	if (c->pid > 0)
		kill(-c->pid, SIGKILL);      /* its process group */
}

/* Wait for the child; its stderr is read to the end. A status text into WHY when it did not
 * exit 0. Returns 0 when it exited 0. */
int sd_child_finish(struct sd_child *c, const char *name, char *why, size_t whylen)
{
	if (c->out_fd >= 0) {
		close(c->out_fd);
		c->out_fd = -1;
	}
	while (c->err_fd >= 0) {
		struct pollfd p = {.fd = c->err_fd, .events = POLLIN};
		int n = poll(&p, 1, 5000);
		if (n < 0 && errno == EINTR)
			continue;     /* a signal is no reason to kill the child */
		if (n <= 0) {
			sd_child_kill(c);
			close(c->err_fd);
			c->err_fd = -1;
			break;
		}
		sd_child_read_errors(c);
	}
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char detail[1024];
	child_message(c->errors, detail, sizeof(detail));
	if (WIFSIGNALED(status))
		sd_set_error(why, whylen, "%s killed by signal %d%s%s", name, WTERMSIG(status),
			detail[0] ? ": " : "", detail);
	else if (WEXITSTATUS(status) == 127 && !detail[0])
		sd_set_error(why, whylen, "%s is not installed", name);
	else
		sd_set_error(why, whylen, "%s exited with status %d%s%s", name, WEXITSTATUS(status),
			detail[0] ? ": " : "", detail);
	return -1;
}

/* Run a child to the end, its stdout discarded; TICK (may be NULL) called about twice a
 * second. 0 when it exited 0, else -1 with WHY. */
int sd_child_run(const char *const argv[], void (*tick)(void *user, pid_t pid), void *user, char *why,
		 size_t whylen)
{
	struct sd_child c;
	if (sd_child_start(&c, argv, 0, why, whylen) < 0)
		return -1;
	while (c.err_fd >= 0) {
		struct pollfd p = {.fd = c.err_fd, .events = POLLIN};
		int n = poll(&p, 1, 500);
		if (n > 0)
			sd_child_read_errors(&c);
		if (tick)
			tick(user, c.pid);
	}
	return sd_child_finish(&c, argv[0], why, whylen);
}
