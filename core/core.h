/* core.h - one running core: configuration, backends, pollers, the snapshot store, the action
 * workers, the targets their actions hold and the audit log. The TUI, --once and drills all
 * talk to a struct sd_core. */
#ifndef SD_CORE_H
#define SD_CORE_H

#include "conf/config.h"
#include "base/error.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>

struct sd_core;

/* CONFIG stays owned by the caller and must outlive the core. */
struct sd_core *sd_core_new(const struct sd_config *config, enum sd_mode mode,
			    struct sd_error *err);
void sd_core_start(struct sd_core *core);     /* start pollers, event streams and workers */
/* Only the pollers: no event streams, no action worker (--once: look once and go). */
void sd_core_start_pollers(struct sd_core *core);
/* Only the action workers (tests: a core fed by sd_core_put_swarm). */
void sd_core_start_workers(struct sd_core *core);
void sd_core_free(struct sd_core *core);      /* stops threads (bounded by the timeouts) */

enum sd_mode sd_core_mode(const struct sd_core *core);
const struct sd_config *sd_core_config(const struct sd_core *core);

/* The newest snapshot (a reference: sd_part_unref it). Never NULL. */
struct sd_snapshot *sd_core_snapshot(struct sd_core *core);

/* A file descriptor that becomes readable when a new snapshot is published; call
 * sd_core_drain_notify after waking. */
int sd_core_notify_fd(const struct sd_core *core);
void sd_core_drain_notify(struct sd_core *core);

/* BACKGROUND: another cluster is on screen, and this core's pollers go slower (fleet.h);
 * coming back on screen asks for a fresh look at once. */
void sd_core_set_background(struct sd_core *core, bool background);

/* Ask every backend for a fresh look now (the `refresh` action). */
void sd_core_refresh(struct sd_core *core);

/* True when no action is queued or running and every configured backend has completed a
 * full refresh that started after the last action finished (or after start). Drill playback
 * reads the next key only then. */
bool sd_core_settled(struct sd_core *core);

/* Wait until every configured backend has answered once (successfully or not), at most
 * TIMEOUT seconds (for --once). */
bool sd_core_wait_first(struct sd_core *core, double timeout);

/* Set the status-line message of the next snapshots (e.g. a refusal). */
void sd_core_message(struct sd_core *core, enum sd_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Publish SWARM (a part the caller hands over) as if the Docker poller had fetched it:
 * replays captured data in tests and benchmarks. */
void sd_core_put_swarm(struct sd_core *core, struct sd_swarm *swarm);

/* Clear the status-line message; true when there was one. */
bool sd_core_clear_message(struct sd_core *core);

/* Monotonic seconds. */

/* ---- for core/ modules (actions, backups): the backends of this core; NULL when the
 * section is not configured ---- */
struct sd_docker;
struct sd_pg_backend;
struct sd_sentinel_backend;
struct sd_docker *sd_core_docker(struct sd_core *core);
struct sd_pg_backend *sd_core_pg(struct sd_core *core);
struct sd_sentinel_backend *sd_core_sentinel(struct sd_core *core);
struct sd_backup_runner;
struct sd_backup_runner *sd_core_backup(struct sd_core *core);
/* Queue REQ (copied) on an action worker, giving it a ticket and taking its holds, in one
 * step: -1 with WHY when a target is held by another action ("iot-guardian_backend is held
 * by backup.restore since 12:03:04") or the queue is full. The holds go when it has run. */
struct sd_request;
int sd_core_enqueue(struct sd_core *core, struct sd_request *req, char *why, size_t whylen);
/* 0 when no target of REQ is held by an action other than REQ->ticket's (0: any holder
 * counts), else -1 with WHY as above. */
int sd_core_check_holds(struct sd_core *core, const struct sd_request *req, char *why,
			size_t whylen);
/* Wait until the action queued with TICKET has run (at most TIMEOUT seconds) and copy its
 * request, result included, into OUT: 0, or -1 when it has not finished in time. */
int sd_core_wait_done(struct sd_core *core, uint64_t ticket, double timeout,
		      struct sd_request *out);
/* Append REQ to the audit log with RESULT (ok | failed | refused). */
void sd_core_audit(struct sd_core *core, const struct sd_request *req, const char *result);

#endif
