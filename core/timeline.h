/* timeline.h - one history of the stack, newest first: what changed between successive
 * snapshots (nodes, tasks, services, PostgreSQL members, backups), the Swarm's /events, the
 * Sentinels' events and every line of the audit log, as {time, source, kind, target,
 * message}.
 *
 * Contract:
 * - Persisted as JSON lines in one file (sd_timeline_default_path, or the config's
 *   timeline.path), appended one line per event; when the file holds max_events lines it is
 *   renamed to FILE.1 (replacing the one before) and a new one begun, so at most twice
 *   max_events lines stay on disk. sd_timeline_load reads FILE.1 then FILE back; a line that
 *   is not an event is skipped and said as "FILE:LINE: why".
 * - Memory holds the newest events, at most max_events (when full, the oldest eighth goes),
 *   sorted by time (equal times keep the order they came in). The same event seen twice (the snapshot diff and the engine's /events, three
 *   Sentinels, a backfill over what the file has) within a few seconds is kept once.
 * - Nothing is written until sd_timeline_record(tl, true): --once only reads.
 * - Thread-safe: every function takes the timeline's own lock. No curses here. */
#ifndef SD_TIMELINE_H
#define SD_TIMELINE_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

#define SD_TIMELINE_MAX_DEFAULT 10000
#define SD_TIMELINE_SNAPSHOT 500       /* events a snapshot carries (the newest) */
#define SD_TIMELINE_SAME_WINDOW 15.0   /* seconds within which an equal event is the same */

struct sd_timeline;

/* PATH NULL: memory only. MAX_EVENTS 0: the default. */
struct sd_timeline *sd_timeline_open(const char *path, size_t max_events);
void sd_timeline_free(struct sd_timeline *tl);
/* $XDG_STATE_HOME/swarmdeck/timeline.jsonl, else ~/.local/state/swarmdeck/timeline.jsonl. */
char *sd_timeline_default_path(void);
const char *sd_timeline_path(const struct sd_timeline *tl);

/* Read the file back. Returns the lines skipped; WARN gets the first as "FILE:LINE: why". */
size_t sd_timeline_load(struct sd_timeline *tl, char *warn, size_t warnlen);
/* Append new events to the file from now on (or not). */
void sd_timeline_record(struct sd_timeline *tl, bool on);

/* One event. 1 when kept, 0 when it is one already held (or malformed). */
int sd_timeline_add(struct sd_timeline *tl, double time, const char *source, const char *kind,
		    const char *target, const char *message);
/* The newest time held of SOURCE (NULL: of any), 0 if none. */
double sd_timeline_newest(struct sd_timeline *tl, const char *source);
size_t sd_timeline_count(struct sd_timeline *tl);
/* Bumped by every event kept. */
uint64_t sd_timeline_generation(struct sd_timeline *tl);
/* The newest N events as a part (a reference: sd_part_unref it); rebuilt only after a change. */
struct sd_events *sd_timeline_events(struct sd_timeline *tl, size_t n);

/* What changed from OLD to NEW (OLD NULL: nothing, the first look is no change), each at NOW
 * (epoch seconds). Returns the events kept. */
size_t sd_timeline_swarm(struct sd_timeline *tl, const struct sd_swarm *old,
			 const struct sd_swarm *new, double now);
size_t sd_timeline_pg(struct sd_timeline *tl, const struct sd_pg *old, const struct sd_pg *new,
		      long long lag_threshold, double now);
/* The Sentinel events NEW's ring gained over OLD's (OLD NULL: all of NEW's). */
size_t sd_timeline_redis(struct sd_timeline *tl, const struct sd_redis *old,
			 const struct sd_redis *new);
size_t sd_timeline_backups(struct sd_timeline *tl, const struct sd_backups *old,
			   const struct sd_backups *new, double now);
/* Prometheus/Alertmanager alerts (not the console's own, pushed) that started firing or
 * resolved from OLD to NEW (source prometheus, kinds alert-firing / alert-resolved); nothing
 * when either part could not read its alerts (timeline_prom.c). */
size_t sd_timeline_prom(struct sd_timeline *tl, const struct sd_prom *old,
			const struct sd_prom *new, double now);
/* vip-moved (source vip): NEW names a holder other than the last one OLD knew (a look with
 * no answer in between does not count as a move; timeline_vip.c). */
size_t sd_timeline_vip(struct sd_timeline *tl, const struct sd_vip *old, const struct sd_vip *new,
		       double now);
/* Alerts raised (or changed level) and cleared from OLD to NEW, keyed by source and target;
 * only once both looks have every configured backend's answer (the first full look is the
 * baseline, not a burst of alerts at each start). */
size_t sd_timeline_alerts(struct sd_timeline *tl, const struct sd_snapshot *old,
			  const struct sd_snapshot *new, double now);
/* One line of the engine's /events (node and service updates; others are ignored). */
size_t sd_timeline_docker_event(struct sd_timeline *tl, const char *json, size_t len);
/* The audit log's lines not read yet (the first call: those after the newest audit event
 * held, from the last MiB of the file). */
size_t sd_timeline_audit(struct sd_timeline *tl, const char *audit_path);
/* Keep only the audit lines of CLUSTER (and those naming none); NULL: every line. */
void sd_timeline_audit_cluster(struct sd_timeline *tl, const char *cluster);

/* "2026-12-01T22:50:01.123Z" <-> epoch seconds; parse: -1 when malformed. */
const char *sd_timeline_time_text(double t, char *buf, size_t size);
double sd_timeline_parse_time(const char *text);

#endif
