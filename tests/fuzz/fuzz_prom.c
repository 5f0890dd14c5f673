/* fuzz_prom.c - the Prometheus backend's readers: the input is an Alertmanager
 * /api/v2/alerts answer, a Prometheus /api/v1/alerts answer and a /api/v1/query answer in
 * three sections. A reader refuses with a message and no alerts, or gives alerts whose
 * strings are all set, labels sorted and levels known; a vector gives keys and finite or NaN
 * values; the samples matched to a small swarm give each node at most one entry; the JSON
 * of the part holds every alert and node; the push body made of the alerts as findings is a
 * JSON array of them. */
#include "fuzz.h"
#include "backends/prom/prom.h"
#include "model/snapjson.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_alerts(const char *body, size_t len, bool am)
{
	struct sd_prom *p = sd_part_new(sizeof(*p));
	char err[256] = "";
	int rc = sd_prom_decode_alerts(p, body, len, am, NULL, err, sizeof(err));
	if (rc != 0) {
		FUZZ_ASSERT(err[0] && p->nalerts == 0, "refused without a message, or with alerts");
		sd_part_unref(p);
		return;
	}
	struct sd_alert *findings = calloc(p->nalerts + 1, sizeof(*findings));
	for (size_t i = 0; i < p->nalerts; i++) {
		const struct sd_prom_alert *a = &p->alerts[i];
		FUZZ_ASSERT(a->name && a->state && a->severity && a->summary && a->target,
			    "alert %zu has a NULL string", i);
		FUZZ_ASSERT(a->level <= SD_UNKNOWN, "level %d", (int)a->level);
		for (size_t j = 1; j < a->nlabels; j++)
			FUZZ_ASSERT(strcmp(a->labels[j - 1].key, a->labels[j].key) <= 0, "unsorted");
		findings[i] = (struct sd_alert){a->level, "swarm", a->target, a->summary, a->name};
	}
	p->alerts_error = p->metrics_error = p->push_error = "";
	p->alerts_from = am ? "alertmanager" : "prometheus";
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->prom = p;
	snap->prom_status.configured = true;
	json_t *j = sd_snapshot_json_prom(snap);
	FUZZ_ASSERT(json_array_size(json_object_get(j, "alerts")) == p->nalerts, "an alert missing");
	json_decref(j);

	struct sd_prom_pusher *pusher = sd_prom_pusher_new("c", "h");
	size_t open = 0;
	char *text = sd_prom_pusher_body(pusher, findings, p->nalerts, 30, 1000, &open);
	FUZZ_ASSERT(open <= p->nalerts, "more open than found");
	if (text) {
		json_t *a = json_loads(text, 0, NULL);
		FUZZ_ASSERT(json_is_array(a) && json_array_size(a) == open, "push body: %s", text);
		json_decref(a);
	} else {
		FUZZ_ASSERT(open == 0, "findings but no body");
	}
	free(text);
	sd_prom_pusher_done(pusher, true);
	text = sd_prom_pusher_body(pusher, NULL, 0, 30, 1002, &open);
	FUZZ_ASSERT(open == 0, "open after everything cleared");
	free(text);
	sd_prom_pusher_done(pusher, true);
	FUZZ_ASSERT(!sd_prom_pusher_body(pusher, NULL, 0, 30, 1004, &open), "resolved twice");
	sd_prom_pusher_free(pusher);
	free(findings);
	sd_snapshot_unref(snap);
}

static void check_vector(const char *body, size_t len)
{
	struct sd_prom_sample *s = NULL;
	size_t n = 0;
	char err[256] = "";
	if (sd_prom_decode_vector(body, len, "instance", &s, &n, err, sizeof(err)) != 0) {
		FUZZ_ASSERT(err[0] && !s && !n, "refused without a message");
		return;
	}
	for (size_t i = 0; i < n; i++)
		FUZZ_ASSERT(s[i].key && (isnan(s[i].value) || isfinite(s[i].value)), "sample %zu", i);
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	sw->nodes = sd_arena_alloc(sw->part.arena, 2 * sizeof(struct sd_node));
	sw->nnodes = 2;
	sw->nodes[0] = (struct sd_node){.id = "a", .hostname = "worker-1", .addr = "10.0.0.1"};
	sw->nodes[1] = (struct sd_node){.id = "b", .hostname = "m", .addr = "fd00::3"};
	struct sd_prom_vector series[SD_PROM_SERIES];
	for (int k = 0; k < SD_PROM_SERIES; k++)
		series[k] = (struct sd_prom_vector){s, n};
	struct sd_prom *p = sd_part_new(sizeof(*p)), *q = sd_part_new(sizeof(*q));
	sd_prom_match_nodes(p, sw, series, NULL);
	sd_prom_match_nodes(q, sw, series, p);
	FUZZ_ASSERT(p->nnodes <= 2 && q->nnodes == p->nnodes, "nodes %zu %zu", p->nnodes, q->nnodes);
	for (size_t i = 0; i < q->nnodes; i++)
		FUZZ_ASSERT(q->nodes[i].nhistory == 2, "history %d", q->nodes[i].nhistory);
	sd_part_unref(p);
	sd_part_unref(q);
	sd_part_unref(sw);
	sd_prom_samples_free(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[3] = {NULL, NULL, NULL};
	size_t lens[3] = {0, 0, 0};
	fuzz_sections(data, size, parts, lens, 3);
	check_alerts(parts[0] ? parts[0] : "", lens[0], true);
	check_alerts(parts[1] ? parts[1] : "", lens[1], false);
	check_vector(parts[2] ? parts[2] : "", lens[2]);
	return 0;
}
