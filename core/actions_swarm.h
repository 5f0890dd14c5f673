/* actions_swarm.h - the checks and runs of the Swarm changes beyond scale and availability:
 * service.update (a rolling update to a new image), node.label and node.remove. The registry
 * (actions.c) lists them; these functions are its entries' check, run and prefill.
 *
 * Contract (besides the registry's own, actions.h):
 * - service.update: the answer is an image reference; refused when empty, malformed or the
 *   image the service runs already. The question shows the update config and what the
 *   engine will do. The run posts the new spec with its version; the engine's refusal is
 *   the result verbatim.
 * - node.label: "key=value" adds or changes, "-key" removes (an absent key is refused); the
 *   question names every service whose placement constraints read that label and whether
 *   the node matches them before and after.
 * - node.remove: only a worker that is down; a manager (demote it first) and a node that is
 *   not down are refused with the reason. The node's hostname is typed to confirm. */
#ifndef SD_ACTIONS_SWARM_H
#define SD_ACTIONS_SWARM_H

#include "actions.h"

int sd_check_service_update(struct sd_core *core, const struct sd_snapshot *snap,
			    struct sd_request *req);
int sd_run_service_update(struct sd_core *core, struct sd_request *req);
/* The prompt's starting answer for service.update: the image TARGET runs now. */
void sd_prefill_service_update(const struct sd_snapshot *snap, const char *target, char *buf,
			       size_t len);

int sd_check_node_label(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req);
int sd_run_node_label(struct sd_core *core, struct sd_request *req);

int sd_check_node_remove(struct sd_core *core, const struct sd_snapshot *snap,
			 struct sd_request *req);
int sd_run_node_remove(struct sd_core *core, struct sd_request *req);

/* swarm.recover: only once quorum is lost, only on the manager the console asks. */
int sd_check_swarm_recover(struct sd_core *core, const struct sd_snapshot *snap,
			   struct sd_request *req);
int sd_run_swarm_recover(struct sd_core *core, struct sd_request *req);
/* Has the swarm lost its manager quorum, as SNAP tells it (no leader, or too few reachable)? */
bool sd_swarm_quorum_lost(const struct sd_snapshot *snap);

/* Does constraint C ("node.labels.type==db", "node.role != manager") read the label KEY?
 * And, for a node with LABELS, does it hold? (Exposed for the unit tests.) */
bool sd_constraint_reads_label(const char *c, const char *key);
bool sd_constraint_label_holds(const char *c, const struct sd_label *labels, size_t nlabels);

#endif
