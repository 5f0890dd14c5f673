/* request.h - what an action's check and run write into its request: the refusal or outcome,
 * the dialog's question, the targets it holds. One set for every file of the registry
 * (actions.c and actions_*.c).
 *
 * Contract: sd_request_refuse writes REQ->result, sets the status to -1 and returns -1 (a
 * check returns what it returns); sd_request_ask appends to the question; sd_request_hold adds
 * a target once (a key held twice is held once) and drops what does not fit in SD_HOLDS_MAX
 * (the checks that can hold many refuse beforehand). */
#ifndef SD_REQUEST_H
#define SD_REQUEST_H

#include "actions.h"

int sd_request_refuse(struct sd_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sd_request_ask(struct sd_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sd_request_hold(struct sd_request *req, const char *key, const char *label);
/* The service (by ID or name) and the node (by ID or hostname) REQ->target names in SNAP,
 * with REQ's target_name set and the object held; NULL (nothing set) when there is none. */
void sd_request_hold_service(struct sd_request *req, const char *name);
const struct sd_service *sd_request_service(const struct sd_snapshot *snap,
					    struct sd_request *req);
const struct sd_node *sd_request_node(const struct sd_snapshot *snap, struct sd_request *req);

#endif
