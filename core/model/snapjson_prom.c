/* snapjson_prom.c - the "prometheus" object of --once --json: the alerts read (from
 * Alertmanager or Prometheus), node_exporter's figures per node (null where a series is
 * missing) and the push's state; null when neither API is configured. */
#include "model/snapjson.h"

#include "base/text.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *pstr(const char *s)
{
	if (!s)
		s = "";
	size_t len = strlen(s);
	if (sd_utf8_valid(s, len))
		return json_stringn_nocheck(s, len);
	char *fixed = xmalloc(3 * len + 1);
	size_t n = sd_utf8_sanitize(s, len, fixed);
	json_t *j = json_stringn_nocheck(fixed, n);
	free(fixed);
	return j;
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static json_t *labels_json(const struct sd_label *l, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *key = pstr(l[i].key); /* a key as valid UTF-8 */
		json_object_set_new(o, json_string_value(key), pstr(l[i].value));
		json_decref(key);
	}
	return o;
}

static json_t *alert_json(const struct sd_prom_alert *a)
{
	char since[32];
	json_t *o = json_object();
	json_object_set_new(o, "name", pstr(a->name));
	json_object_set_new(o, "state", pstr(a->state));
	json_object_set_new(o, "severity", pstr(a->severity));
	json_object_set_new(o, "level", json_string(sd_level_name(a->level)));
	json_object_set_new(o, "summary", pstr(a->summary));
	json_object_set_new(o, "target", pstr(a->target));
	json_object_set_new(o, "since", a->since > 0
		? json_string(sd_time_rfc3339(a->since, since, sizeof(since))) : json_null());
	json_object_set_new(o, "own", json_boolean(a->own));
	json_object_set_new(o, "labels", labels_json(a->labels, a->nlabels));
	json_object_set_new(o, "annotations", labels_json(a->annotations, a->nannotations));
	return o;
}

static json_t *node_json(const struct sd_node_metrics *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "node", pstr(m->node));
	json_object_set_new(o, "instance", pstr(m->instance));
	json_object_set_new(o, "cpu_busy", num(m->cpu_busy));
	json_object_set_new(o, "mem_available", num(m->mem_available));
	json_object_set_new(o, "mem_total", num(m->mem_total));
	json_object_set_new(o, "disk_free", num(m->disk_free));
	json_object_set_new(o, "disk_size", num(m->disk_size));
	json_object_set_new(o, "net_rx", num(m->net_rx));
	json_object_set_new(o, "net_tx", num(m->net_tx));
	return o;
}

json_t *sd_snapshot_json_prom(const struct sd_snapshot *snap)
{
	const struct sd_prom *p = snap->prom;
	const struct sd_backend_status *st = &snap->prom_status;
	if (!p && !st->configured)
		return json_null();
	json_t *o = json_object();
	const char *error = NULL;
	if (p && p->alerts_error && *p->alerts_error)
		error = p->alerts_error;
	else if (p && p->metrics_error && *p->metrics_error)
		error = p->metrics_error;
	else if (!p && st->answered && !st->reachable)
		error = st->error;
	json_object_set_new(o, "error", error ? pstr(error) : json_null());
	json_object_set_new(o, "alerts_from", p && p->alerts_from && *p->alerts_from
						      ? pstr(p->alerts_from) : json_null());
	json_t *alerts = json_array(), *nodes = json_array();
	for (size_t i = 0; p && i < p->nalerts; i++)
		json_array_append_new(alerts, alert_json(&p->alerts[i]));
	for (size_t i = 0; p && i < p->nnodes; i++)
		json_array_append_new(nodes, node_json(&p->nodes[i]));
	json_object_set_new(o, "alerts", alerts);
	json_object_set_new(o, "nodes", nodes);
	bool push = p && p->push;
	json_object_set_new(o, "push", json_pack("{s:b s:I s:o}", "enabled", push, "pushed",
						 (json_int_t)(p ? p->pushed : 0), "error",
						 push && p->push_error && *p->push_error
							 ? pstr(p->push_error) : json_null()));
	return o;
}
