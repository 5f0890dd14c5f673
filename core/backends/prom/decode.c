/* decode.c - the Prometheus backend's readers: Alertmanager's and Prometheus's alert lists,
 * instant-query vectors (the strings "NaN" and "+Inf" among the values), the level of a
 * severity label, and node_exporter's series matched to Swarm nodes. Pure: no I/O, so the
 * tests and the fuzzer drive them on canned answers. */
#include "backends/prom/prom.h"

#include "base/text.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum sd_level sd_prom_level(const struct sd_config *config, const char *severity)
{
	if (!severity)
		severity = "";
	if (!strcasecmp(severity, "critical"))
		return SD_CRITICAL;
	if (!strcasecmp(severity, "warning"))
		return SD_WARNING;
	if (!config)
		return SD_WARNING;
	for (size_t i = 0; i < config->prometheus.nseverities; i++)
		if (!strcasecmp(config->prometheus.severities[i].name, severity))
			return (enum sd_level)config->prometheus.severities[i].level;
	return (enum sd_level)config->prometheus.other_level;
}

/* RFC 3339 ("2026-12-02T01:02:03.123456789Z", "+01:00") to epoch seconds; 0 when not one
 * (Alertmanager's zero time "0001-01-01T00:00:00Z" too). */
static time_t parse_time(const char *s)
{
	int y, mo, d, h, mi, sec, used = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
	    y < 1970)
		return 0;
	const char *p = s + used;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	long offset = 0;
	if (*p == '+' || *p == '-') {
		int oh = 0, om = 0;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return 0;
		offset = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	} else if (*p != 'Z' && *p != 'z') {
		return 0;
	}
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi, .tm_sec = sec};
	time_t t = timegm(&tm);
	return t == (time_t)-1 ? 0 : t - offset;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct sd_label *)a)->key, ((const struct sd_label *)b)->key);
}

/* An object of strings into sorted labels in ARENA (other values are left out). */
static struct sd_label *labels_of(struct sd_arena *arena, json_t *obj, size_t *n)
{
	*n = 0;
	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return NULL;
	struct sd_label *l = sd_arena_alloc(arena, json_object_size(obj) * sizeof(*l));
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		if (!json_is_string(v))
			continue;
		l[*n].key = sd_arena_strdup(arena, key);
		l[*n].value = sd_arena_strdup(arena, json_string_value(v));
		(*n)++;
	}
	qsort(l, *n, sizeof(*l), cmp_label);
	return l;
}

static const char *label(const struct sd_label *l, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].key, key))
			return l[i].value;
	return NULL;
}

static int alert_severity_rank(enum sd_level level)
{
	static const int rank[] = {0, 1, 3, 2}; /* OK, WARNING, CRITICAL, UNKNOWN */
	return level <= SD_UNKNOWN ? rank[level] : 0;
}

static int cmp_alert(const void *a, const void *b)
{
	const struct sd_prom_alert *x = a, *y = b;
	int rx = alert_severity_rank(x->level), ry = alert_severity_rank(y->level);
	if (rx != ry)
		return ry - rx;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->target, y->target);
}

static void one_alert(struct sd_prom_alert *a, struct sd_arena *arena, json_t *item,
		      bool alertmanager, const struct sd_config *config)
{
	a->labels = labels_of(arena, json_object_get(item, "labels"), &a->nlabels);
	a->annotations = labels_of(arena, json_object_get(item, "annotations"), &a->nannotations);
	a->name = sd_arena_strdup(arena, label(a->labels, a->nlabels, "alertname"));
	a->severity = sd_arena_strdup(arena, label(a->labels, a->nlabels, "severity"));
	a->level = sd_prom_level(config, a->severity);
	const char *summary = label(a->annotations, a->nannotations, "summary");
	if (!summary)
		summary = label(a->annotations, a->nannotations, "description");
	a->summary = sd_arena_strdup(arena, summary);
	/* "target": the console's own pushed findings say it so */
	static const char *const about[] = {"target", "node", "instance", "service", "pod", "job"};
	const char *target = NULL;
	for (size_t i = 0; !target && i < sizeof(about) / sizeof(about[0]); i++)
		target = label(a->labels, a->nlabels, about[i]);
	a->target = sd_arena_strdup(arena, target);
	const char *state;
	if (alertmanager) {
		state = json_string_value(json_object_get(json_object_get(item, "status"), "state"));
		/* "active" is firing as far as anyone is told; "unprocessed" is about to be */
		if (!state || !strcmp(state, "active") || !strcmp(state, "unprocessed"))
			state = "firing";
		a->since = parse_time(json_string_value(json_object_get(item, "startsAt")));
	} else {
		state = json_string_value(json_object_get(item, "state"));
		if (!state)
			state = "firing";
		a->since = parse_time(json_string_value(json_object_get(item, "activeAt")));
	}
	a->state = sd_arena_strdup(arena, state);
	const char *gen = json_string_value(json_object_get(item, "generatorURL"));
	a->own = gen && !strncmp(gen, "swarmdeck://", 12);
}

int sd_prom_decode_alerts(struct sd_prom *part, const char *body, size_t len, bool alertmanager,
			  const struct sd_config *config, char *err, size_t errlen)
{
	part->alerts = NULL;
	part->nalerts = 0;
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s: not JSON: %s", alertmanager ? "alertmanager" : "prometheus",
			 jerr.text);
		return -1;
	}
	json_t *list = root;
	if (!alertmanager) {
		const char *status = json_string_value(json_object_get(root, "status"));
		if (!status || strcmp(status, "success") != 0) {
			const char *e = json_string_value(json_object_get(root, "error"));
			snprintf(err, errlen, "prometheus: alerts: %s", e ? e : "not a success");
			json_decref(root);
			return -1;
		}
		list = json_object_get(json_object_get(root, "data"), "alerts");
	}
	if (!json_is_array(list)) {
		snprintf(err, errlen, "%s: alerts: expected a list", alertmanager ? "alertmanager"
										  : "prometheus");
		json_decref(root);
		return -1;
	}
	size_t n = json_array_size(list);
	part->alerts = sd_arena_alloc(part->part.arena, (n ? n : 1) * sizeof(*part->alerts));
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(list, i);
		if (!json_is_object(item))
			continue;
		one_alert(&part->alerts[part->nalerts++], part->part.arena, item, alertmanager, config);
	}
	qsort(part->alerts, part->nalerts, sizeof(*part->alerts), cmp_alert);
	json_decref(root);
	return 0;
}

void sd_prom_samples_free(struct sd_prom_sample *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].key);
	free(s);
}

int sd_prom_decode_vector(const char *body, size_t len, const char *label_name,
			  struct sd_prom_sample **out, size_t *count, char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "prometheus: query: not JSON: %s", jerr.text);
		return -1;
	}
	const char *status = json_string_value(json_object_get(root, "status"));
	json_t *data = json_object_get(root, "data");
	const char *type = json_string_value(json_object_get(data, "resultType"));
	json_t *result = json_object_get(data, "result");
	if (!status || strcmp(status, "success") != 0) {
		const char *e = json_string_value(json_object_get(root, "error"));
		snprintf(err, errlen, "prometheus: query: %s", e ? e : "not a success");
		json_decref(root);
		return -1;
	}
	if (!type || strcmp(type, "vector") != 0 || !json_is_array(result)) {
		snprintf(err, errlen, "prometheus: query: expected a vector, got %s",
			 type ? type : "nothing");
		json_decref(root);
		return -1;
	}
	size_t n = json_array_size(result);
	struct sd_prom_sample *s = xcalloc(n ? n : 1, sizeof(*s));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(result, i);
		const char *key = json_string_value(json_object_get(json_object_get(item, "metric"),
								    label_name));
		json_t *value = json_object_get(item, "value");
		const char *text = json_string_value(json_array_get(value, 1));
		if (!key)
			continue;
		double v = NAN;
		if (text) {
			char *end;
			v = strtod(text, &end);
			if (end == text || *end || !isfinite(v))
				v = NAN;
		}
		s[k].key = xstrdup(key);
		s[k].value = v;
		k++;
	}
	json_decref(root);
	*out = s;
	*count = k;
	return 0;
}

/* ---- the node figures ---- */

bool sd_prom_matches_node(const char *value, const struct sd_node *node)
{
	if (!value || !*value || !node)
		return false;
	char host[256];
	const char *v = value;
	if (*v == '[') { /* [v6]:port */
		const char *close = strchr(v, ']');
		size_t len = close ? (size_t)(close - v - 1) : strlen(v + 1);
		snprintf(host, sizeof(host), "%.*s", (int)len, v + 1);
	} else {
		const char *colon = strchr(v, ':');
		/* one colon: host:port; more: a bare IPv6 address */
		size_t len = colon && !strchr(colon + 1, ':') ? (size_t)(colon - v) : strlen(v);
		snprintf(host, sizeof(host), "%.*s", (int)len, v);
	}
	if (!*host)
		return false;
	if (node->addr && !strcmp(host, node->addr))
		return true;
	if (!node->hostname || !*node->hostname)
		return false;
	if (!strcasecmp(host, node->hostname))
		return true;
	size_t first = strcspn(host, ".");
	return host[first] == '.' && strlen(node->hostname) == first &&
	       !strncasecmp(host, node->hostname, first) && !isdigit((unsigned char)host[0]);
}

char *sd_prom_query(int which, const char *job, const char *l)
{
	/* CPU: the idle share over the last minute (rate over [1m], not irate over 30s: a busy
	 * figure that does not jump with each scrape, still fresh enough for a 2 s screen; it
	 * needs two scrapes a minute, node_exporter's usual 15 s gives four) */
	switch (which) {
	case SD_PROM_CPU:
		return xasprintf("100 * (1 - avg by (%s) (rate(node_cpu_seconds_total{mode=\"idle\","
				 "job=\"%s\"}[1m])))", l, job);
	case SD_PROM_MEM_AVAIL:
		return xasprintf("max by (%s) (node_memory_MemAvailable_bytes{job=\"%s\"})", l, job);
	case SD_PROM_MEM_TOTAL:
		return xasprintf("max by (%s) (node_memory_MemTotal_bytes{job=\"%s\"})", l, job);
	case SD_PROM_DISK_FREE:
		return xasprintf("max by (%s) (node_filesystem_avail_bytes{job=\"%s\",mountpoint=\"/\"})",
				 l, job);
	case SD_PROM_DISK_SIZE:
		return xasprintf("max by (%s) (node_filesystem_size_bytes{job=\"%s\",mountpoint=\"/\"})",
				 l, job);
	case SD_PROM_NET_RX:
		return xasprintf("sum by (%s) (rate(node_network_receive_bytes_total{job=\"%s\","
				 "device!=\"lo\"}[1m]))", l, job);
	default:
		return xasprintf("sum by (%s) (rate(node_network_transmit_bytes_total{job=\"%s\","
				 "device!=\"lo\"}[1m]))", l, job);
	}
}

static const struct sd_prom_sample *sample_for(const struct sd_prom_vector *v,
					       const struct sd_node *node)
{
	for (size_t i = 0; i < v->n; i++)
		if (sd_prom_matches_node(v->s[i].key, node))
			return &v->s[i];
	return NULL;
}

void sd_prom_match_nodes(struct sd_prom *part, const struct sd_swarm *swarm,
			 const struct sd_prom_vector series[SD_PROM_SERIES],
			 const struct sd_prom *previous)
{
	part->nodes = NULL;
	part->nnodes = 0;
	if (!swarm || !swarm->nnodes)
		return;
	struct sd_arena *arena = part->part.arena;
	part->nodes = sd_arena_alloc(arena, swarm->nnodes * sizeof(*part->nodes));
	for (size_t i = 0; i < swarm->nnodes; i++) {
		const struct sd_node *node = &swarm->nodes[i];
		double v[SD_PROM_SERIES];
		const char *instance = NULL;
		for (int k = 0; k < SD_PROM_SERIES; k++) {
			const struct sd_prom_sample *s = sample_for(&series[k], node);
			v[k] = s ? s->value : NAN;
			if (s && !instance)
				instance = s->key;
		}
		if (!instance)
			continue; /* no series names this node */
		struct sd_node_metrics *m = &part->nodes[part->nnodes++];
		m->node = sd_arena_strdup(arena, node->hostname);
		m->instance = sd_arena_strdup(arena, instance);
		m->cpu_busy = v[SD_PROM_CPU];
		m->mem_available = v[SD_PROM_MEM_AVAIL];
		m->mem_total = v[SD_PROM_MEM_TOTAL];
		m->disk_free = v[SD_PROM_DISK_FREE];
		m->disk_size = v[SD_PROM_DISK_SIZE];
		m->net_rx = v[SD_PROM_NET_RX];
		m->net_tx = v[SD_PROM_NET_TX];
		const struct sd_node_metrics *old = sd_prom_node(previous, node->hostname);
		int n = 0;
		if (old) {
			n = old->nhistory < 0 ? 0
			    : old->nhistory > SD_METRIC_HISTORY ? SD_METRIC_HISTORY : old->nhistory;
			memcpy(m->cpu_history, old->cpu_history, (size_t)n * sizeof(double));
		}
		if (n == SD_METRIC_HISTORY) {
			memmove(m->cpu_history, m->cpu_history + 1,
				(SD_METRIC_HISTORY - 1) * sizeof(double));
			n--;
		}
		m->cpu_history[n++] = m->cpu_busy; /* NAN kept: a gap in the sparkline */
		m->nhistory = n;
	}
}
