/* logs.h - service and task logs through the manager's Engine API (/services/{id}/logs,
 * /tasks/{id}/logs), so tasks on any node are read without SSH.
 *
 * Contract:
 * - The decoder takes the multiplexed stream (8-byte frame headers: stream, 0, 0, 0, length)
 *   and a TTY service's raw stream (no headers; told apart by the first bytes), in pieces of
 *   any size. Each line ("TIMESTAMP ATTRS MESSAGE", as the engine writes it with timestamps
 *   and details) is split into its parts; the swarm attributes give the task and the node.
 * - A session follows one or more streams on threads of its own and pushes each line into a
 *   ring (base/logring.h); the caller's thread never waits on the network. When a stream
 *   ends (a task restarted, the manager lost, an engine refusal) the session writes a notice
 *   line saying so, verbatim for the engine's message, and reconnects with `since` the last
 *   timestamp it saw; lines already held (per task, by timestamp) are not pushed again. */
#ifndef SD_DOCKER_LOGS_H
#define SD_DOCKER_LOGS_H

#include "backends/docker/docker.h"
#include "base/logring.h"

#include <stdbool.h>
#include <stddef.h>

/* One decoded line. Strings are only valid during the callback; TEXT has no newline. */
struct sd_docker_log_entry {
	enum sd_log_stream stream;    /* STDOUT or STDERR (a raw TTY stream: STDOUT) */
	const char *time;             /* "" when the line had none */
	const char *node_id, *service_id, *task_id;   /* "" when absent */
	const char *text;
	size_t len;
};
typedef void sd_docker_log_fn(void *user, const struct sd_docker_log_entry *entry);

/* Decode captured stream bytes (tests, bench): fed in pieces of the sizes in PIECES, cycled
 * (NPIECES of them; 0 counts as 1; none: one piece). A last line without its newline is
 * delivered at the end, as at a stream's end. Returns the number of lines delivered. */
size_t sd_docker_decode_logs(const char *data, size_t len, const size_t *pieces, size_t npieces,
			     sd_docker_log_fn *on_line, void *user);

/* "2026-12-01T22:50:01.123456789Z" -> "1764629401.123456789" (what `since` takes); -1 when
 * TIME is not RFC 3339 in UTC. */
int sd_docker_log_since(const char *time, char *out, size_t size);

enum sd_docker_logs_kind { SD_LOGS_SERVICE, SD_LOGS_TASK };

/* Builds "name.slot.task@node" for a line's prefix (called on the session's threads). */
typedef void sd_docker_log_namer(void *user, const char *node_id, const char *service_id,
				 const char *task_id, char *out, size_t size);

struct sd_docker_logs_config {
	long tail;                /* lines of history first; -1: all */
	const char *node_id;      /* keep only the lines of tasks on this node; NULL: all */
	double reconnect_delay;   /* seconds between a stream's end and the next try (1.0) */
	sd_docker_log_namer *namer;   /* NULL: "task@node" from the IDs */
	void *namer_user;
};

struct sd_docker_logs;

/* Start following the N streams (KINDS[i], IDS[i]) into RING. Never NULL. */
struct sd_docker_logs *sd_docker_logs_start(struct sd_docker *docker,
					    const enum sd_docker_logs_kind *kinds,
					    const char *const *ids, size_t n,
					    const struct sd_docker_logs_config *config,
					    struct sd_log_ring *ring);
/* Stop the streams (within half a second) and free the session; RING stays the caller's. */
void sd_docker_logs_stop(struct sd_docker_logs *logs);
/* Pause and resume reading the streams (follow off keeps the ring still; the engine holds
 * what arrives meanwhile, nothing is lost or read twice). */
void sd_docker_logs_pause(struct sd_docker_logs *logs, bool paused);
/* Streams ended and reconnected so far (for the status line and tests). */
unsigned sd_docker_logs_reconnects(const struct sd_docker_logs *logs);
/* How many of the streams are connected now. */
unsigned sd_docker_logs_connected(const struct sd_docker_logs *logs);

#endif
