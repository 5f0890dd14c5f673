/* take_swarm.c - the Swarm export: one JSON document of the stack's services, the nodes'
 * role, availability and labels, swarm-scoped networks, configs and secret names (never
 * values), read through the Docker backend. */

#include "backup/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "model/snapjson.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------------------------------ */
/* Swarm                                                                                       */

static json_t *docker_json(struct sd_backup_runner *r, const char *path, const char *key,
			   const char *value, char *err, size_t errlen)
{
	size_t len = 0;
	char e[512] = "";
	char *body = key ? sd_docker_get_filtered(r->docker, path, key, value, &len, e, sizeof(e))
			 : sd_docker_get(r->docker, path, &len, e, sizeof(e));
	if (!body) {
		sd_set_error(err, errlen, "GET %s: %s", path, e);
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	free(body);
	if (!root || !json_is_array(root)) {
		sd_set_error(err, errlen, "GET %s: not a JSON list%s%s", path, root ? "" : ": ", root ? "" : jerr.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

static json_t *pick(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return v ? json_incref(v) : json_null();
}

static json_t *swarm_document(struct sd_backup_runner *r, const struct sd_snapshot *snap,
			      char *err, size_t errlen)
{
	const char *stack = r->config->backup.stack;
	char label[512] = "";
	if (stack && *stack)
		snprintf(label, sizeof(label), "com.docker.stack.namespace=%s", stack);
	json_t *services = NULL, *nodes = NULL, *networks = NULL, *configs = NULL, *secrets = NULL;
	json_t *doc = NULL;
	if (!(services = docker_json(r, "/services", label[0] ? "label" : NULL, label, err, errlen)) ||
	    !(nodes = docker_json(r, "/nodes", NULL, NULL, err, errlen)) ||
	    !(networks = docker_json(r, "/networks", NULL, NULL, err, errlen)) ||
	    !(configs = docker_json(r, "/configs", NULL, NULL, err, errlen)) ||
	    !(secrets = docker_json(r, "/secrets", NULL, NULL, err, errlen)))
		goto done;
	json_t *node_list = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(nodes, i, v) {
		json_t *spec = json_object_get(v, "Spec");
		json_t *desc = json_object_get(v, "Description");
		json_t *node = json_pack("{s:o s:o s:o s:o s:o}",
			"ID", pick(v, "ID"), "Hostname", pick(desc, "Hostname"),
			"Role", pick(spec, "Role"), "Availability", pick(spec, "Availability"),
			"Labels", pick(spec, "Labels"));
		if (json_object_get(spec, "Name"))
			json_object_set(node, "Name", json_object_get(spec, "Name"));
		json_array_append_new(node_list, node);
	}
	json_t *network_list = json_array();
	json_array_foreach(networks, i, v) {
		const char *scope = json_string_value(json_object_get(v, "Scope"));
		if (scope && !strcmp(scope, "swarm"))
			json_array_append(network_list, v);
	}
	/* secrets: names only. The API never returns values; Spec.Data is dropped all the same
	 * by keeping nothing but these three fields. */
	json_t *secret_list = json_array();
	json_array_foreach(secrets, i, v) {
		json_t *spec = json_object_get(v, "Spec");
		json_array_append_new(secret_list, json_pack("{s:o s:o s:o}", "ID", pick(v, "ID"),
			"Name", pick(spec, "Name"), "Labels", pick(spec, "Labels")));
	}
	char when[32];
	const char *engine = snap && snap->swarm && snap->swarm->engine_name && *snap->swarm->engine_name
		? snap->swarm->engine_name : sd_docker_host(r->docker);
	doc = json_pack("{s:s s:i s:s s:s s:o s:O s:o s:o s:O s:o}",
		"kind", "swarm", "format", 1, "time", sd_time_rfc3339(time(NULL), when, sizeof(when)),
		"engine", engine ? engine : "",
		"stack", stack && *stack ? json_string(stack) : json_null(),
		"services", services, "nodes", node_list, "networks", network_list,
		"configs", configs, "secrets", secret_list);
done:
	json_decref(services);
	json_decref(nodes);
	json_decref(networks);
	json_decref(configs);
	json_decref(secrets);
	return doc;
}

int take_swarm(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
		      char *source, size_t sourcelen, char *err, size_t errlen)
{
	if (!r->docker) {
		sd_set_error(err, errlen, "no Docker engine configured");
		return -1;
	}
	runner_step(r, "reading services, nodes, networks, configs and secret names");
	json_t *doc = swarm_document(r, snap, err, errlen);
	if (!doc)
		return -1;
	const char *engine = json_string_value(json_object_get(doc, "engine"));
	sd_strlcpy(source, engine ? engine : "", sourcelen);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text) {
		sd_set_error(err, errlen, "cannot serialise the export");
		return -1;
	}
	size_t len = strlen(text);
	int rc = out_write(o, text, len, err, errlen);
	if (rc == 0)
		rc = out_write(o, "\n", 1, err, errlen);
	free(text);
	return rc;
}

