/* request.c - the refusal, question and held targets of a request (request.h). */
#include "request.h"
#include "base/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sd_request_refuse(struct sd_request *req, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->result, sizeof(req->result), fmt, ap);
	va_end(ap);
	req->status = -1;
	return -1;
}

void sd_request_ask(struct sd_request *req, const char *fmt, ...)
{
	size_t used = strlen(req->question);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->question + used, sizeof(req->question) - used, fmt, ap);
	va_end(ap);
}

void sd_request_hold(struct sd_request *req, const char *key, const char *label)
{
	for (size_t i = 0; i < req->nholds; i++)
		if (!strcmp(req->holds[i].key, key))
			return;
	if (req->nholds == SD_HOLDS_MAX)
		return;
	sd_strlcpy(req->holds[req->nholds].key, key, sizeof(req->holds[0].key));
	sd_strlcpy(req->holds[req->nholds].label, label, sizeof(req->holds[0].label));
	req->nholds++;
}

void sd_request_hold_service(struct sd_request *req, const char *name)
{
	char key[160];
	snprintf(key, sizeof(key), "service %s", name);
	sd_request_hold(req, key, name);
}

const struct sd_service *sd_request_service(const struct sd_snapshot *snap,
					    struct sd_request *req)
{
	const struct sd_service *s = sd_swarm_service(snap->swarm, req->target);
	if (s) {
		sd_strlcpy(req->target_name, s->name, sizeof(req->target_name));
		sd_request_hold_service(req, s->name);
	}
	return s;
}

const struct sd_node *sd_request_node(const struct sd_snapshot *snap, struct sd_request *req)
{
	const struct sd_node *n = sd_swarm_node(snap->swarm, req->target);
	if (n) {
		char key[160];
		sd_strlcpy(req->target_name, n->hostname, sizeof(req->target_name));
		snprintf(key, sizeof(key), "node %s", n->id);
		sd_request_hold(req, key, n->hostname);
	}
	return n;
}
