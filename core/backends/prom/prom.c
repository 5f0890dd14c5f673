/* prom.c - the Prometheus backend: one fetch reads the alerts (Alertmanager's list when it is
 * configured, else Prometheus's) and node_exporter's figures (seven instant queries), into a
 * new part; the push posts the console's findings to Alertmanager. See prom.h. */
#include "backends/prom/prom.h"
#include "backends/prom/http.h"

#include "base/text.h"
#include "base/xalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sd_prom_backend {
	const struct sd_config *config;
	struct sd_http *prometheus, *alertmanager;   /* NULL where not configured */
	struct sd_prom_pusher *pusher;               /* NULL without alertmanager.push */
	pthread_mutex_t lock;                        /* the push's outcome, read by fetch */
	char push_error[256];
	size_t pushed;
};

struct sd_prom_backend *sd_prom_open(const struct sd_config *config)
{
	if (!config->prometheus.http.configured && !config->alertmanager.http.configured)
		return NULL;
	struct sd_prom_backend *b = xcalloc(1, sizeof(*b));
	b->config = config;
	if (config->prometheus.http.configured)
		b->prometheus = sd_http_open(&config->prometheus.http, "prometheus");
	if (config->alertmanager.http.configured) {
		b->alertmanager = sd_http_open(&config->alertmanager.http, "alertmanager");
		if (config->alertmanager.push) {
			char host[256] = "";
			if (gethostname(host, sizeof(host) - 1) != 0)
				sd_strlcpy(host, "localhost", sizeof(host));
			b->pusher = sd_prom_pusher_new(config->cluster_name, host);
		}
	}
	pthread_mutex_init(&b->lock, NULL);
	return b;
}

void sd_prom_close(struct sd_prom_backend *b)
{
	if (!b)
		return;
	sd_http_close(b->prometheus);
	sd_http_close(b->alertmanager);
	sd_prom_pusher_free(b->pusher);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

bool sd_prom_push_enabled(const struct sd_prom_backend *b) { return b && b->pusher; }

static int fetch_alerts(struct sd_prom_backend *b, struct sd_prom *part, char *err, size_t errlen)
{
	bool am = b->alertmanager != NULL;
	char *body = NULL;
	size_t len = 0;
	int rc = am ? sd_http_request(b->alertmanager, "GET",
				      "/api/v2/alerts?active=true&silenced=false&inhibited=false",
				      NULL, &body, &len, err, errlen)
		    : sd_http_request(b->prometheus, "GET", "/api/v1/alerts", NULL, &body, &len, err,
				      errlen);
	if (rc == 0)
		rc = sd_prom_decode_alerts(part, body, len, am, b->config, err, errlen);
	free(body);
	return rc;
}

/* An alert's instance that names a Swarm node is about that node. */
static void alert_targets(struct sd_prom *part, const struct sd_swarm *swarm)
{
	for (size_t i = 0; swarm && i < part->nalerts; i++) {
		struct sd_prom_alert *a = &part->alerts[i];
		for (size_t j = 0; j < swarm->nnodes; j++)
			if (sd_prom_matches_node(a->target, &swarm->nodes[j])) {
				a->target = swarm->nodes[j].hostname
						    ? sd_arena_strdup(part->part.arena,
								      swarm->nodes[j].hostname)
						    : a->target;
				break;
			}
	}
}

static int fetch_metrics(struct sd_prom_backend *b, struct sd_prom *part,
			 const struct sd_swarm *swarm, const struct sd_prom *previous, char *err,
			 size_t errlen)
{
	struct sd_prom_vector series[SD_PROM_SERIES] = {{0}};
	const char *l = b->config->prometheus.node_label ? b->config->prometheus.node_label
							 : "instance";
	const char *job = b->config->prometheus.job ? b->config->prometheus.job : "node";
	int rc = 0;
	for (int k = 0; k < SD_PROM_SERIES && rc == 0; k++) {
		char *q = sd_prom_query(k, job, l);
		char *escaped = sd_http_escape(q);
		char *path = xasprintf("/api/v1/query?query=%s", escaped);
		char *body = NULL;
		size_t len = 0;
		/* the first that fails ends the round: a Prometheus that does not answer costs
		 * one timeout, not seven */
		rc = sd_http_request(b->prometheus, "GET", path, NULL, &body, &len, err, errlen);
		if (rc == 0)
			rc = sd_prom_decode_vector(body, len, l, &series[k].s, &series[k].n, err, errlen);
		free(body);
		free(path);
		free(escaped);
		free(q);
	}
	if (rc == 0)
		sd_prom_match_nodes(part, swarm, series, previous);
	for (int k = 0; k < SD_PROM_SERIES; k++)
		sd_prom_samples_free(series[k].s, series[k].n);
	return rc;
}

/* A round without figures keeps the nodes of the last one, their figures missing and a gap
 * in the history, so the sparkline goes on over a blip of Prometheus. */
static void carry_nodes(struct sd_prom *part, const struct sd_prom *previous)
{
	if (!previous || !previous->nnodes)
		return;
	struct sd_arena *arena = part->part.arena;
	part->nodes = sd_arena_alloc(arena, previous->nnodes * sizeof(*part->nodes));
	part->nnodes = previous->nnodes;
	for (size_t i = 0; i < previous->nnodes; i++) {
		const struct sd_node_metrics *old = &previous->nodes[i];
		struct sd_node_metrics *m = &part->nodes[i];
		*m = *old;
		m->node = sd_arena_strdup(arena, old->node);
		m->instance = sd_arena_strdup(arena, old->instance);
		m->cpu_busy = m->mem_available = m->mem_total = NAN;
		m->disk_free = m->disk_size = m->net_rx = m->net_tx = NAN;
		int n = old->nhistory < 0 ? 0
			: old->nhistory > SD_METRIC_HISTORY ? SD_METRIC_HISTORY : old->nhistory;
		if (n == SD_METRIC_HISTORY) {
			memmove(m->cpu_history, m->cpu_history + 1,
				(SD_METRIC_HISTORY - 1) * sizeof(double));
			n--;
		}
		m->cpu_history[n++] = NAN;
		m->nhistory = n;
	}
}

int sd_prom_fetch(struct sd_prom_backend *b, const struct sd_prom *previous,
		  const struct sd_swarm *swarm, struct sd_prom **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!b)
		return -1;
	struct sd_prom *part = sd_part_new(sizeof(*part));
	struct sd_arena *arena = part->part.arena;
	part->fetched_at = time(NULL);
	part->alerts_from = b->alertmanager ? "alertmanager" : "prometheus";
	char aerr[256] = "", merr[256] = "";
	if (fetch_alerts(b, part, aerr, sizeof(aerr)) != 0 && !aerr[0])
		sd_strlcpy(aerr, "no answer", sizeof(aerr));
	alert_targets(part, swarm);
	if (b->prometheus && fetch_metrics(b, part, swarm, previous, merr, sizeof(merr)) != 0) {
		if (!merr[0])
			sd_strlcpy(merr, "no answer", sizeof(merr));
		carry_nodes(part, previous);
	}
	part->alerts_error = sd_arena_strdup(arena, aerr);
	part->metrics_error = sd_arena_strdup(arena, merr);
	part->push = b->pusher != NULL;
	pthread_mutex_lock(&b->lock);
	part->push_error = sd_arena_strdup(arena, b->push_error);
	part->pushed = b->pushed;
	pthread_mutex_unlock(&b->lock);
	*out = part;
	const char *first = aerr[0] ? aerr : merr;
	if (!*first)
		return 0;
	sd_strlcpy(err, first, errlen);
	return -1;
}

int sd_prom_push(struct sd_prom_backend *b, const struct sd_snapshot *snap, double hold,
		 time_t now, char *err, size_t errlen)
{
	if (!b || !b->pusher)
		return 0;
	size_t open = 0;
	char *body = sd_prom_pusher_body(b->pusher, snap->alerts, snap->nalerts, hold, now, &open);
	int rc = 0;
	char why[256] = "";
	if (body) {
		char *answer = NULL;
		rc = sd_http_request(b->alertmanager, "POST", "/api/v2/alerts", body, &answer, NULL,
				     why, sizeof(why));
		free(answer);
		free(body);
		sd_prom_pusher_done(b->pusher, rc == 0);
	}
	pthread_mutex_lock(&b->lock);
	sd_strlcpy(b->push_error, rc == 0 ? "" : why, sizeof(b->push_error));
	b->pushed = rc == 0 ? open : b->pushed;
	pthread_mutex_unlock(&b->lock);
	if (rc != 0)
		sd_strlcpy(err, why, errlen);
	return rc;
}
