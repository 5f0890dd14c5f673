/* swarm_json.h - a decoded swarm part as the snapshot JSON drills and --once --json see,
 * checked for the items it must hold (every node, service and task of the part). */
#ifndef SD_FUZZ_SWARM_JSON_H
#define SD_FUZZ_SWARM_JSON_H

#include "model/model.h"

#include <jansson.h>

/* The snapshot JSON tree of a snapshot holding only SW; aborts (a finding) when a list holds
 * fewer items than the part or --once --json's streamed text is not JSON. */
json_t *fuzz_swarm_json(struct sd_swarm *sw);

#endif
