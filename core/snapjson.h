/* snapjson.h - the snapshot as JSON (the --once --json schema; drill conditions read it). */
#ifndef SD_SNAPJSON_H
#define SD_SNAPJSON_H

#include "model.h"

#include <jansson.h>

json_t *sd_snapshot_json(const struct sd_snapshot *snap);

/* RFC 3339 UTC ("2026-11-21T05:30:00Z") into BUF (at least 32 bytes). */
const char *sd_time_rfc3339(time_t t, char *buf, size_t size);

#endif
