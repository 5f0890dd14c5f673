/* synth.h - a large synthetic swarm made from the captured lab responses, for the benchmark.
 *
 * The captured /nodes, /services and /tasks answers (tests/fixtures/docker, or the folder in
 * SD_FIXTURE_DIR, read at run time) are used as templates and cloned to any size with unique
 * IDs and consistent references: task i belongs to service i % nservices and runs on a node
 * chosen among nnodes; the first nodes are managers (one leader), the rest workers. Names are
 * deterministic, so separate calls with the same sizes agree. Each function returns a
 * malloc'ed compact JSON text (like the engine's) or NULL; sd_synth_error() says why. */
#ifndef SD_SYNTH_H
#define SD_SYNTH_H

#include <stddef.h>
#include <sys/types.h>

void sd_synth_set_dir(const char *dir);   /* default: $SD_FIXTURE_DIR or tests/fixtures/docker */
const char *sd_synth_error(void);

char *sd_synth_info(size_t *len);         /* the captured /info as is */
char *sd_synth_nodes(size_t n, size_t *len);
char *sd_synth_services(size_t n, size_t *len);
char *sd_synth_tasks(size_t n, size_t nservices, size_t nnodes, size_t *len);

/* The fake engine of tests/fake in a child process answering GET /version (API 1.41), /_ping,
 * /v1.41/info, /nodes, /services and /tasks with a synthetic swarm of that size on the unix
 * socket PATH (made fresh). The child
 * builds the texts itself, so the caller's memory stays its own. Returns the child's pid once
 * it listens, or -1 (sd_synth_error()). Stop it with sd_synth_stop. */
pid_t sd_synth_serve(const char *path, size_t nnodes, size_t nservices, size_t ntasks);
/* The child also holds GET /v1.41/events open and answers the lists filtered on one ID (a
 * service by "id", its tasks by "service", a node by "id"); SIGUSR1 makes the next service
 * (in list order, round robin) change (its version goes up) and sends its update event.
 * SD_SYNTH_LOG names a file for the requests ("METHOD TARGET" lines). */
void sd_synth_change(pid_t pid);

/* The same answers and change on a fake engine of the caller's (F's answer hook), for the
 * lists given (kept by reference: they must outlive F). */
struct fake_engine;
void sd_synth_answer_filters(struct fake_engine *f, const char *nodes, const char *services,
			     const char *tasks);
void sd_synth_change_now(struct fake_engine *f);
void sd_synth_stop(pid_t pid);

#endif
