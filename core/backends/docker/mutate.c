/* mutate.c - requests on single objects: raw and filtered GETs (exports, backups), the
 * count of a service's active tasks, and the mutations, each a read-modify-write of the
 * object's spec posted back with the version it was read at. */
#include "backends/docker/internal.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *sd_docker_get(struct sd_docker *d, const char *path, size_t *len, char *err,
		    size_t errlen)
{
	if (len)
		*len = 0;
	CURL *h = docker_handle_acquire(d);
	char full[1024];
	struct buffer_sink b;
	docker_buffer_init(&b, GET_BODY_MAX);
	char *result = NULL;
	if (docker_versioned_path(d, h, path, full, sizeof(full), err, errlen) == 0 &&
	    docker_perform(d, h, "GET", full, NULL, &b.sink, NULL, err, errlen) == 0) {
		result = b.data ? b.data : xstrdup("");
		if (len)
			*len = b.len;
		b.data = NULL;
	}
	free(b.data);
	docker_handle_release(d, h);
	return result;
}

/* PATH?filters={"KEY":["VALUE"]}, the filter percent-encoded as the engine expects. */
char *sd_docker_get_filtered(struct sd_docker *d, const char *path, const char *key,
			     const char *value, size_t *len, char *err, size_t errlen)
{
	json_t *f = json_pack("{s:[s]}", key, value);
	char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
	json_decref(f);
	char *enc = text ? curl_easy_escape(NULL, text, 0) : NULL;
	free(text);
	if (!enc) {
		sd_set_error(err, errlen, "cannot encode the filter %s=%s", key, value);
		return NULL;
	}
	char *full = xasprintf("%s?filters=%s", path, enc);
	curl_free(enc);
	char *body = sd_docker_get(d, full, len, err, errlen);
	free(full);
	return body;
}

static json_t *list_filtered(struct sd_docker *d, const char *path, const char *key,
			     const char *value, char *err, size_t errlen)
{
	size_t len = 0;
	char e[512] = "";
	char *body = key ? sd_docker_get_filtered(d, path, key, value, &len, e, sizeof(e))
			 : sd_docker_get(d, path, &len, e, sizeof(e));
	if (!body) {
		sd_set_error(err, errlen, "GET %s: %s", path, e);
		return NULL;
	}
	/* only counted, never posted back: a task's error made of a container's output may
	 * hold any byte, and jansson refuses the whole list for one */
	size_t fixed_len = 0;
	char *fixed = docker_utf8_copy(body, len, &fixed_len);
	json_error_t jerr;
	json_t *root = json_loadb(fixed ? fixed : body, fixed ? fixed_len : len, 0, &jerr);
	free(fixed);
	free(body);
	if (!root || !json_is_array(root)) {
		sd_set_error(err, errlen, "GET %s: not a JSON list%s%s", path, root ? "" : ": ",
			     root ? "" : jerr.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

static bool task_state_active(const char *state)
{
	static const char *const active[] = {"new", "allocated", "pending", "assigned", "accepted",
					     "preparing", "ready", "starting", "running", NULL};
	for (size_t i = 0; state && active[i]; i++)
		if (!strcmp(state, active[i]))
			return true;
	return false;
}

long sd_docker_service_active_tasks(struct sd_docker *d, const char *service, char *err,
				    size_t errlen)
{
	json_t *tasks = list_filtered(d, "/tasks", "service", service, err, errlen);
	if (!tasks)
		return -1;
	json_t *nodes = list_filtered(d, "/nodes", NULL, NULL, err, errlen);
	if (!nodes) {
		json_decref(tasks);
		return -1;
	}
	long count = 0;
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t) {
		const char *state = json_string_value(json_object_get(json_object_get(t, "Status"), "State"));
		if (!task_state_active(state))
			continue;
		/* a task on a node that is down is not running anything one could wait for */
		const char *node = json_string_value(json_object_get(t, "NodeID"));
		bool node_up = !node || !*node;
		size_t j;
		json_t *n;
		json_array_foreach(nodes, j, n) {
			const char *id = json_string_value(json_object_get(n, "ID"));
			const char *nstate = json_string_value(json_object_get(json_object_get(n, "Status"), "State"));
			if (node && id && !strcmp(id, node))
				node_up = nstate && !strcmp(nstate, "ready");
		}
		if (node_up)
			count++;
	}
	json_decref(tasks);
	json_decref(nodes);
	return count;
}

/* GET PATH (relative to the API version) as JSON. */
static json_t *get_json(struct sd_docker *d, CURL *h, const char *path, long *status, char *err,
			size_t errlen)
{
	char full[1024];
	struct buffer_sink b;
	docker_buffer_init(&b, 64 << 20);
	json_t *root = NULL;
	if (docker_versioned_path(d, h, path, full, sizeof(full), err, errlen) == 0 &&
	    docker_perform(d, h, "GET", full, NULL, &b.sink, status, err, errlen) == 0) {
		json_error_t jerr;
		root = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
		if (!root)
			snprintf(err, errlen, "%s: %s: bad JSON: %s", docker_ep(d)->host, path, jerr.text);
	}
	free(b.data);
	return root;
}

static int post_json(struct sd_docker *d, CURL *h, const char *path, json_t *body, char *err,
		     size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	char full[1024];
	if (docker_versioned_path(d, h, path, full, sizeof(full), err, errlen) < 0)
		return -1;
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode the request body");
		return -1;
	}
	struct buffer_sink b;
	docker_buffer_init(&b, 1 << 20);
	int rc = docker_perform(d, h, "POST", full, text, &b.sink, NULL, err, errlen);
	free(b.data);
	free(text);
	return rc;
}

static json_t *inspect_service(struct sd_docker *d, CURL *h, const char *service, char *err,
			       size_t errlen)
{
	char escaped[512], path[600];
	docker_path_escape(service, escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/services/%s", escaped);
	json_t *svc = get_json(d, h, path, NULL, err, errlen);
	if (svc && (!json_is_object(json_object_get(svc, "Spec")) ||
		    !json_string_value(json_object_get(svc, "ID")))) {
		snprintf(err, errlen, "%s: service %s: the answer has no Spec", docker_ep(d)->host, service);
		json_decref(svc);
		return NULL;
	}
	return svc;
}

/* A node by ID (or ID prefix), else by hostname. */
static json_t *inspect_node(struct sd_docker *d, CURL *h, const char *node, char *err,
			    size_t errlen)
{
	char escaped[512], path[600];
	long status = 0;
	docker_path_escape(node, escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/nodes/%s", escaped);
	json_t *found = get_json(d, h, path, &status, err, errlen);
	if (!found && status == 404) {
		char not_found[256];
		sd_strlcpy(not_found, err, sizeof(not_found));
		json_t *all = get_json(d, h, "/nodes", NULL, err, errlen);
		if (!all)
			return NULL;
		size_t i, matches = 0, ready = 0;
		json_t *item, *pick = NULL, *pick_ready = NULL;
		json_array_foreach(all, i, item) {
			const char *hostname = json_string_value(
				json_object_get(json_object_get(item, "Description"), "Hostname"));
			if (!hostname || strcmp(hostname, node) != 0)
				continue;
			matches++;
			pick = item;
			const char *state = json_string_value(
				json_object_get(json_object_get(item, "Status"), "State"));
			if (state && !strcmp(state, "ready")) {
				ready++;
				pick_ready = item;
			}
		}
		if (matches > 1 && ready == 1)
			pick = pick_ready;
		if (matches == 1 || (matches > 1 && ready == 1)) {
			found = json_incref(pick);
		} else if (matches > 1) {
			snprintf(err, errlen, "hostname %s matches %zu nodes; use the node ID", node,
				 matches);
		} else {
			snprintf(err, errlen, "%s", not_found);
		}
		json_decref(all);
	}
	if (found && (!json_is_object(json_object_get(found, "Spec")) ||
		      !json_string_value(json_object_get(found, "ID")))) {
		snprintf(err, errlen, "%s: node %s: the answer has no Spec", docker_ep(d)->host, node);
		json_decref(found);
		return NULL;
	}
	return found;
}

static json_int_t object_version(json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "Version"), "Index"));
}

enum service_change { SERVICE_SCALE, SERVICE_ROLLBACK, SERVICE_REDEPLOY };

static int service_update(struct sd_docker *d, const char *service, enum service_change change,
			  long replicas, char *err, size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (!service || !*service) {
		snprintf(err, errlen, "no service given");
		return -1;
	}
	CURL *h = docker_handle_acquire(d);
	json_t *svc = inspect_service(d, h, service, err, errlen);
	int rc = -1;
	if (!svc)
		goto done;
	json_t *spec = json_object_get(svc, "Spec");
	const char *name = json_string_value(json_object_get(spec, "Name"));
	if (!name)
		name = service;
	const char *query = "";
	switch (change) {
	case SERVICE_SCALE: {
		json_t *mode = json_object_get(spec, "Mode");
		json_t *replicated = json_object_get(mode, "Replicated");
		if (!json_is_object(replicated)) {
			if (json_object_get(mode, "Global"))
				snprintf(err, errlen,
					 "cannot scale %s: it is a global service (one task per node)",
					 name);
			else
				snprintf(err, errlen, "cannot scale %s: it is a %s, not a replicated service",
					 name, json_object_get(mode, "GlobalJob") ? "global job"
					       : json_object_get(mode, "ReplicatedJob") ? "replicated job"
											: "service");
			goto done;
		}
		if (replicas < 0) {
			snprintf(err, errlen, "cannot scale %s to %ld replicas", name, replicas);
			goto done;
		}
		json_object_set_new(replicated, "Replicas", json_integer(replicas));
		break;
	}
	case SERVICE_ROLLBACK:
		if (!json_is_object(json_object_get(svc, "PreviousSpec"))) {
			snprintf(err, errlen, "no previous spec to roll back to");
			goto done;
		}
		query = "&rollback=previous";
		break;
	case SERVICE_REDEPLOY: {
		json_t *task_template = json_object_get(spec, "TaskTemplate");
		if (!json_is_object(task_template)) {
			task_template = json_object();
			json_object_set_new(spec, "TaskTemplate", task_template);
		}
		json_int_t force = json_integer_value(json_object_get(task_template, "ForceUpdate"));
		json_object_set_new(task_template, "ForceUpdate", json_integer(force + 1));
		break;
	}
	}
	char escaped[128], path[300];
	docker_path_escape(json_string_value(json_object_get(svc, "ID")), escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/services/%s/update?version=%lld%s", escaped,
		 (long long)object_version(svc), query);
	rc = post_json(d, h, path, spec, err, errlen);
done:
	json_decref(svc);
	docker_handle_release(d, h);
	return rc;
}

int sd_docker_service_scale(struct sd_docker *d, const char *service, long replicas, char *err,
			    size_t errlen)
{
	return service_update(d, service, SERVICE_SCALE, replicas, err, errlen);
}

int sd_docker_service_rollback(struct sd_docker *d, const char *service, char *err,
			       size_t errlen)
{
	return service_update(d, service, SERVICE_ROLLBACK, 0, err, errlen);
}

int sd_docker_service_redeploy(struct sd_docker *d, const char *service, char *err,
			       size_t errlen)
{
	return service_update(d, service, SERVICE_REDEPLOY, 0, err, errlen);
}

static int node_update(struct sd_docker *d, const char *node, const char *field,
		       const char *value, const char *const *allowed, char *err, size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (!node || !*node) {
		snprintf(err, errlen, "no node given");
		return -1;
	}
	bool ok = false;
	for (const char *const *a = allowed; *a; a++)
		ok = ok || (value && !strcmp(value, *a));
	if (!ok) {
		snprintf(err, errlen, "bad node %s \"%s\" (expected %s or %s%s%s)",
			 !strcmp(field, "Role") ? "role" : "availability", value ? value : "",
			 allowed[0], allowed[1], allowed[2] ? " or " : "", allowed[2] ? allowed[2] : "");
		return -1;
	}
	CURL *h = docker_handle_acquire(d);
	json_t *found = inspect_node(d, h, node, err, errlen);
	int rc = -1;
	if (found) {
		json_t *spec = json_object_get(found, "Spec");
		json_object_set_new(spec, field, json_string(value));
		char escaped[128], path[300];
		docker_path_escape(json_string_value(json_object_get(found, "ID")), escaped, sizeof(escaped));
		snprintf(path, sizeof(path), "/nodes/%s/update?version=%lld", escaped,
			 (long long)object_version(found));
		rc = post_json(d, h, path, spec, err, errlen);
		json_decref(found);
	}
	docker_handle_release(d, h);
	return rc;
}

int sd_docker_node_availability(struct sd_docker *d, const char *node, const char *availability,
				char *err, size_t errlen)
{
	static const char *const allowed[] = {"active", "pause", "drain", NULL};
	return node_update(d, node, "Availability", availability, allowed, err, errlen);
}

int sd_docker_node_role(struct sd_docker *d, const char *node, const char *role, char *err,
			size_t errlen)
{
	static const char *const allowed[] = {"manager", "worker", NULL, NULL};
	return node_update(d, node, "Role", role, allowed, err, errlen);
}


json_t *docker_inspect_service(struct sd_docker *d, CURL *h, const char *service, char *err,
			       size_t errlen)
{
	return inspect_service(d, h, service, err, errlen);
}

json_t *docker_inspect_node(struct sd_docker *d, CURL *h, const char *node, char *err,
			    size_t errlen)
{
	return inspect_node(d, h, node, err, errlen);
}
