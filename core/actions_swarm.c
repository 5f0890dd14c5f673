/* actions_swarm.c - checks and runs of service.update, node.label and node.remove (see
 * actions_swarm.h for what each promises and refuses). Everything a check reads comes from
 * the snapshot; only the runs talk to the engine, through the Docker backend. */
#include "actions_swarm.h"
#include "request.h"
#include "backends/docker/docker.h"
#include "base/text.h"
#include "core.h"
#include "model/health.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* PARAM without the blanks around it, in place. */
static void trim(char *s)
{
	char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	size_t n = strlen(p);
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	memmove(s, p, n);
	s[n] = '\0';
}

static const char *or_empty(const char *s) { return s ? s : ""; }

/* ---- service.update ---- */

static void duration(double seconds, char *buf, size_t len)
{
	if (seconds < 0)
		snprintf(buf, len, "default");
	else if (seconds == (long)seconds)
		snprintf(buf, len, "%lds", (long)seconds);
	else
		snprintf(buf, len, "%.1fs", seconds);
}

void sd_prefill_service_update(const struct sd_snapshot *snap, const char *target, char *buf,
			       size_t len)
{
	const struct sd_service *s = snap && snap->swarm ? sd_swarm_service(snap->swarm, target)
							 : NULL;
	sd_strlcpy(buf, s ? or_empty(s->image) : "", len);
}

int sd_check_service_update(struct sd_core *core, const struct sd_snapshot *snap,
			    struct sd_request *req)
{
	(void)core;
	const struct sd_service *s = sd_request_service(snap, req);
	if (!s)
		return sd_request_refuse(req, "no service '%s'", req->target);
	trim(req->param);
	const char *image = req->param;
	if (!*image)
		return sd_request_refuse(req, "update %s: no image given", s->name);
	for (const char *p = image; *p; p++)
		if (isspace((unsigned char)*p) || (unsigned char)*p < 32)
			return sd_request_refuse(req, "update %s: '%s' is not an image reference", s->name, image);
	const char *current = or_empty(s->image);
	if (!strcmp(image, current))
		return sd_request_refuse(req, "update %s: it runs %s already (service.redeploy replaces its "
				   "tasks with the same image)",
			      s->name, image);
	sd_request_ask(req, "Roll %s out to a new image?\n  from %s\n  to   %s", s->name, current, image);
	char delay[32], monitor[32];
	duration(s->update_delay, delay, sizeof(delay));
	duration(s->update_monitor, monitor, sizeof(monitor));
	const char *order = *or_empty(s->update_order) ? s->update_order : "stop-first";
	const char *failure = *or_empty(s->update_failure_action) ? s->update_failure_action
								    : "pause";
	long par = s->update_parallelism;
	char parallel[32];
	if (par == 0)
		snprintf(parallel, sizeof(parallel), "all at once");
	else
		snprintf(parallel, sizeof(parallel), "%ld", par < 0 ? 1 : par);
	sd_request_ask(req, "\nUpdate config: parallelism %s, delay %s, order %s, failure_action %s, monitor %s",
	    parallel, delay, order, failure, monitor);
	long tasks = s->desired > 0 ? s->desired : 0;
	sd_request_ask(req, "\nWhat will happen: %ld task%s replaced %s%s, %s", tasks, tasks == 1 ? "" : "s",
	    par == 0 ? "all at once" : par <= 1 ? "one at a time" : "in batches of ",
	    par > 1 ? parallel : "",
	    !strcmp(order, "start-first") ? "each new task started before its old one stops"
					  : "each old task stopped before its new one starts");
	sd_request_ask(req, "\n  with %s between batches; each new task is watched for %s;", delay, monitor);
	if (!strcmp(failure, "rollback"))
		sd_request_ask(req, "\n  a task that fails rolls the service back to %s by itself.", current);
	else if (!strcmp(failure, "continue"))
		sd_request_ask(req, "\n  a task that fails is left failed and the update goes on.");
	else
		sd_request_ask(req, "\n  a task that fails pauses the update (service.rollback undoes it).");
	if (!strcmp(or_empty(s->update_state), "updating") ||
	    !strncmp(or_empty(s->update_state), "rollback_st", 11))
		sd_request_ask(req, "\nWARNING: an update of %s is under way (%s): this one replaces it.",
		    s->name, s->update_state);
	return 0;
}

int sd_run_service_update(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	bool sent_auth = false;
	if (sd_docker_service_update_image(sd_core_docker(core), req->target, req->param,
					   &sent_auth, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "update to %s started%s", req->param,
		 sent_auth ? " (with the registry's credentials)" : "");
	return 0;
}

/* ---- node.label ---- */

/* C split as LHS OP RHS, blanks trimmed; false when it has no == or !=. */
static bool split_constraint(const char *c, char *lhs, size_t lsize, bool *equal, char *rhs,
			     size_t rsize)
{
	const char *eq = strstr(c, "=="), *ne = strstr(c, "!=");
	const char *op = eq && (!ne || eq < ne) ? eq : ne;
	if (!op)
		return false;
	*equal = op == eq;
	snprintf(lhs, lsize, "%.*s", (int)(op - c), c);
	snprintf(rhs, rsize, "%s", op + 2);
	trim(lhs);
	trim(rhs);
	return true;
}

bool sd_constraint_reads_label(const char *c, const char *key)
{
	char lhs[256], rhs[256];
	bool equal;
	if (!split_constraint(c, lhs, sizeof(lhs), &equal, rhs, sizeof(rhs)))
		return false;
	return !strncmp(lhs, "node.labels.", 12) && !strcmp(lhs + 12, key);
}

bool sd_constraint_label_holds(const char *c, const struct sd_label *labels, size_t nlabels)
{
	char lhs[256], rhs[256];
	bool equal;
	if (!split_constraint(c, lhs, sizeof(lhs), &equal, rhs, sizeof(rhs)) ||
	    strncmp(lhs, "node.labels.", 12) != 0)
		return true;
	const char *value = NULL;
	for (size_t i = 0; i < nlabels; i++)
		if (!strcmp(labels[i].key, lhs + 12))
			value = labels[i].value;
	/* as swarmkit: == needs the label with that value; != holds when it is absent too */
	bool same = value && !strcasecmp(value, rhs);
	return equal ? same : !same;
}

/* PARAM as key=value (VALUE set) or -key (VALUE NULL). */
static int parse_label(struct sd_request *req, const char *host, char *key, size_t ksize,
		       char *value, size_t vsize, bool *remove)
{
	trim(req->param);
	const char *p = req->param;
	*remove = *p == '-';
	if (*remove) {
		p++;
		if (strchr(p, '='))
			return sd_request_refuse(req, "label %s: '-KEY' removes a label, without a value", host);
		snprintf(key, ksize, "%s", p);
		value[0] = '\0';
	} else {
		const char *eq = strchr(p, '=');
		if (!eq)
			return sd_request_refuse(req, "label %s: '%s' is neither key=value (add) nor -key (remove)",
				      host, req->param);
		snprintf(key, ksize, "%.*s", (int)(eq - p), p);
		snprintf(value, vsize, "%s", eq + 1);
	}
	if (!*key)
		return sd_request_refuse(req, "label %s: no key given", host);
	for (const char *k = key; *k; k++)
		if (isspace((unsigned char)*k) || *k == '=' || (unsigned char)*k < 32)
			return sd_request_refuse(req, "label %s: '%s' is not a label key", host, key);
	return 0;
}

int sd_check_node_label(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req)
{
	(void)core;
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	char key[128], value[128];
	bool remove;
	if (parse_label(req, n->hostname, key, sizeof(key), value, sizeof(value), &remove) != 0)
		return -1;
	const char *old = NULL;
	for (size_t i = 0; i < n->nlabels; i++)
		if (!strcmp(n->labels[i].key, key))
			old = n->labels[i].value;
	if (remove && !old)
		return sd_request_refuse(req, "%s has no label %s", n->hostname, key);
	if (!remove && old && !strcmp(old, value))
		return sd_request_refuse(req, "%s has %s=%s already", n->hostname, key, value);
	/* the labels after the change */
	struct sd_label after[65];
	size_t nafter = 0;
	for (size_t i = 0; i < n->nlabels && nafter < 64; i++)
		if (strcmp(n->labels[i].key, key) != 0)
			after[nafter++] = n->labels[i];
	if (!remove)
		after[nafter++] = (struct sd_label){key, value};
	if (remove)
		sd_request_ask(req, "Remove label %s (=%s) from node %s?", key, old, n->hostname);
	else if (old)
		sd_request_ask(req, "Change label %s on node %s from %s to %s?", key, n->hostname, old, value);
	else
		sd_request_ask(req, "Add label %s=%s to node %s?", key, value, n->hostname);
	size_t affected = 0;
	for (size_t i = 0; i < snap->swarm->nservices; i++) {
		const struct sd_service *s = snap->swarm->services[i];
		for (size_t c = 0; c < s->nconstraints; c++) {
			const char *con = s->constraints[c];
			if (!sd_constraint_reads_label(con, key))
				continue;
			bool before = sd_constraint_label_holds(con, n->labels, n->nlabels);
			bool now = sd_constraint_label_holds(con, after, nafter);
			if (!affected++)
				sd_request_ask(req, "\nPlacement constraints that read node.labels.%s:", key);
			sd_request_ask(req, "\n  %s: %s: %s", s->name, con,
			    before == now ? (now ? "still matches this node" : "still excludes this node")
			    : now ? "now matches this node (tasks may be placed on it)"
				  : "no longer matches this node (its tasks there will move)");
		}
	}
	if (!affected)
		sd_request_ask(req, "\nNo service's placement constraints read node.labels.%s.", key);
	return 0;
}

int sd_run_node_label(struct sd_core *core, struct sd_request *req)
{
	char key[128], value[128], err[512];
	bool remove;
	if (parse_label(req, req->target_name, key, sizeof(key), value, sizeof(value), &remove) != 0)
		return -1;
	if (sd_docker_node_label(sd_core_docker(core), req->target, key, remove ? NULL : value, err,
				 sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	if (remove)
		snprintf(req->result, sizeof(req->result), "label %s removed", key);
	else
		snprintf(req->result, sizeof(req->result), "label %s=%s set", key, value);
	return 0;
}

/* ---- node.remove ---- */

int sd_check_node_remove(struct sd_core *core, const struct sd_snapshot *snap,
			 struct sd_request *req)
{
	(void)core;
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	if (!strcmp(n->role, "manager"))
		return sd_request_refuse(req, "%s is a manager: demote it first (node.demote), then remove it",
			      n->hostname);
	if (strcmp(n->state, "down") != 0)
		return sd_request_refuse(req, "%s is %s: only a node that is down can be removed (stop its "
				   "engine or have it leave the swarm first)",
			      n->hostname, n->state);
	sd_request_ask(req, "Remove node %s (%s, down) from the swarm?", n->hostname, n->id);
	if (n->tasks > 0)
		sd_request_ask(req, "\nIts %d task%s desired running are rescheduled on other nodes.", n->tasks,
		    n->tasks == 1 ? "" : "s");
	sd_request_ask(req, "\nTo come back it must leave and join again with a join token.");
	sd_request_ask(req, "\nType the node's name %s to go on.", n->hostname);
	req->confirm = SD_CONFIRM_TYPE_NAME;
	return 0;
}

int sd_run_node_remove(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	if (sd_docker_node_remove(sd_core_docker(core), req->target, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "node %s removed from the swarm",
		 req->target_name);
	return 0;
}

/* ---- swarm.recover: Docker's last resort once quorum is lost ---- */

bool sd_swarm_quorum_lost(const struct sd_snapshot *snap)
{
	const struct sd_backend_status *st = &snap->docker_status;
	if (st->answered && !st->reachable && strstr(st->error, "does not have a leader"))
		return true;
	const struct sd_swarm *sw = snap->swarm;
	return sw && st->reachable && sw->managers > 0 &&
	       sw->managers_reachable < sd_quorum(sw->managers);
}

int sd_check_swarm_recover(struct sd_core *core, const struct sd_snapshot *snap,
			   struct sd_request *req)
{
	(void)core;
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	if (!sd_swarm_quorum_lost(snap))
		return sd_request_refuse(req, "quorum holds (%d/%d managers reachable): nothing to "
				   "recover", snap->swarm->managers_reachable, snap->swarm->managers);
	if (strcmp(n->role, "manager") != 0)
		return sd_request_refuse(req, "%s is a worker: only a surviving manager can take the "
				   "swarm over", n->hostname);
	/* the request goes to the engine the console asks: it must be this one */
	const char *asked = snap->swarm->engine_name ? snap->swarm->engine_name : "";
	if (strcmp(n->hostname, asked) != 0)
		return sd_request_refuse(req, "the console asks %s, not %s: swarm.recover runs on the "
				   "manager it asks (docker.hosts, --context)",
			      *asked ? asked : "no engine", n->hostname);
	sd_request_ask(req, "DANGER: quorum is lost: the swarm schedules nothing and accepts no "
		       "change until a majority of its managers is back.");
	sd_request_ask(req, "\nIf they cannot come back, force a new cluster on %s "
		       "(POST /swarm/init, ForceNewCluster):", n->hostname);
	sd_request_ask(req, "\nit keeps the services, secrets and configs and becomes the only "
		       "manager; the lost managers must then be removed or join again.");
	sd_request_ask(req, "\nType the node's name %s to go on.", n->hostname);
	req->confirm = SD_CONFIRM_TYPE_NAME;
	return 0;
}

int sd_run_swarm_recover(struct sd_core *core, struct sd_request *req)
{
	char err[512], addr[128] = "";
	struct sd_snapshot *snap = sd_core_snapshot(core);
	const struct sd_node *n = snap ? sd_swarm_node(snap->swarm, req->target) : NULL;
	if (n && n->addr)
		sd_strlcpy(addr, n->addr, sizeof(addr));
	sd_snapshot_unref(snap);
	if (sd_docker_swarm_force_new_cluster(sd_core_docker(core), addr, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result),
		 "a new cluster on %s, its only manager; left to do: on each lost manager that comes "
		 "back, `docker swarm leave --force` and join again (or `docker node demote` and "
		 "`docker node rm` it here), then promote managers back to three (node.promote)",
		 req->target_name);
	return 0;
}
