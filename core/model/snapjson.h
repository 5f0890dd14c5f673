/* snapjson.h - the snapshot as JSON (the --once --json schema; drill conditions read it). */
#ifndef SD_SNAPJSON_H
#define SD_SNAPJSON_H

#include "model/model.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

json_t *sd_snapshot_json(const struct sd_snapshot *snap);

/* S as a JSON string, bad bytes as U+FFFD (NULL as ""); never NULL but for want of memory. */
json_t *sd_json_str(const char *s);
/* KEY: VALUE into OBJ whatever bytes KEY holds (taking VALUE's reference). */
void sd_json_set(json_t *obj, const char *key, json_t *value);
/* The same without the tasks (null) when WITH_TASKS is false: conditions that do not read
 * tasks need not build 20,000 objects. */
json_t *sd_snapshot_json_tasks(const struct sd_snapshot *snap, bool with_tasks);
/* Write the JSON to OUT, the tasks streamed one by one (--once --json). */
int sd_snapshot_write_json(const struct sd_snapshot *snap, FILE *out);

/* Several clusters' snapshots (--once --json of a config with clusters:):
 * {"version", "time", "health": the worst, "clusters": {NAME: the snapshot's JSON, ...}}. */
int sd_fleet_write_json(const char *const *names, struct sd_snapshot *const *snaps, size_t n,
			enum sd_level health, FILE *out);

/* The "prometheus" object (snapjson_prom.c): null when neither API is configured. */
json_t *sd_snapshot_json_prom(const struct sd_snapshot *snap);

/* RFC 3339 UTC ("2026-11-21T05:30:00Z") into BUF (at least 32 bytes). */
const char *sd_time_rfc3339(time_t t, char *buf, size_t size);
/* The same to the millisecond ("2026-11-21T05:30:00.123Z"), for the timeline's events. */
const char *sd_time_rfc3339_ms(double t, char *buf, size_t size);

/* Drop from ROOT's "events" those older than SINCE (epoch seconds): a drill's conditions
 * see what happened while it played, not last week's failover. */
void sd_snapshot_json_events_since(json_t *root, double since);

#endif
