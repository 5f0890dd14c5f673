/* child.h - the core's one way to run another program (pg_dump, pg_restore, redis-check-rdb,
 * a drill's exec step). A child starts with stdin on /dev/null, default signal dispositions
 * (SIGPIPE, SIGINT, SIGTERM, SIGHUP) and an empty signal mask, in a process group of its own,
 * and with no descriptor of ours beyond 0-2; the tail of its stderr is kept for messages. */
#ifndef SD_CHILD_H
#define SD_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SD_CHILD_ERR_TAIL 2048          /* what is kept of a child's stderr */
#define SD_CHILD_PIPE_SIZE (1 << 20)    /* the stdout pipe's size, when captured */

enum {
	SD_CHILD_STDOUT_PIPE = 1,       /* its stdout to out_fd (else /dev/null) */
	SD_CHILD_INHERIT_OUTPUT = 2,    /* stdout and stderr stay ours (no err_fd) */
};

struct sd_child {
	pid_t pid;
	int out_fd;                     /* its stdout, or -1 */
	int err_fd;                     /* its stderr, or -1 */
	char errors[SD_CHILD_ERR_TAIL]; /* the tail of its stderr */
	size_t errlen;
};

/* Start ARGV[0] (found in PATH). 0, or -1 with ERR. */
int sd_child_start(struct sd_child *child, const char *const argv[], int flags, char *err,
		   size_t errlen);
/* Read what stderr has now into the tail (closes err_fd at its end). */
void sd_child_read_errors(struct sd_child *child);
/* SIGKILL to its whole process group. */
void sd_child_kill(struct sd_child *child);
/* Close stdout, read stderr to its end (killing a child that holds it open for 5 s without a
 * word), reap it. 0 when it exited 0, else -1 with WHY ("NAME exited with status 1: ..."). */
int sd_child_finish(struct sd_child *child, const char *name, char *why, size_t whylen);
/* Start, wait, finish; stdout discarded; TICK (may be NULL) about twice a second. */
int sd_child_run(const char *const argv[], void (*tick)(void *user, pid_t pid), void *user, char *why,
		 size_t whylen);

#endif
