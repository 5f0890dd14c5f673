/* prom.h - the Prometheus and Alertmanager backend: the alerts that fire (Alertmanager's
 * /api/v2/alerts when alertmanager is set, else Prometheus's /api/v1/alerts), node_exporter's
 * figures per Swarm node (instant queries), and the push of the console's own findings to
 * Alertmanager as alerts.
 *
 * Contract. Every request is bounded by its API's timeout_ms and has its own handle: a fetch
 * never waits longer than a few timeouts, and the push runs from its own thread (the core's),
 * never in the way of a snapshot. Credentials come from files (http.h). A part is made on
 * every fetch, with alerts_error / metrics_error saying what could not be read; the fetch
 * returns -1 (with ERR, the first of them) when anything failed. NAN marks a missing series.
 * No curses here; model types only in this header (no curl, no jansson). */
#ifndef SD_PROM_H
#define SD_PROM_H

#include "conf/config.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sd_prom_backend;

/* NULL when neither prometheus nor alertmanager is configured. */
struct sd_prom_backend *sd_prom_open(const struct sd_config *config);
void sd_prom_close(struct sd_prom_backend *b);

/* A new part in *OUT (always, unless NULL B). PREVIOUS carries the CPU history; SWARM (may be
 * NULL) gives the nodes the series are matched to. */
int sd_prom_fetch(struct sd_prom_backend *b, const struct sd_prom *previous,
		  const struct sd_swarm *swarm, struct sd_prom **out, char *err, size_t errlen);

/* Push: true with alertmanager.push. sd_prom_push posts SNAP's findings (not those that came
 * from Prometheus/Alertmanager) renewed until now + HOLD seconds, and those that cleared
 * since the last push resolved; what it did shows in the next part (pushed, push_error). */
bool sd_prom_push_enabled(const struct sd_prom_backend *b);
int sd_prom_push(struct sd_prom_backend *b, const struct sd_snapshot *snap, double hold,
		 time_t now, char *err, size_t errlen);

/* ---- the pieces, for the tests and the fuzzers ---- */

/* The level a severity label counts as: critical, warning, prometheus.severities, else
 * other_level (CONFIG NULL: the defaults). */
enum sd_level sd_prom_level(const struct sd_config *config, const char *severity);

/* Decode an alerts answer into PART (its arena): Alertmanager's /api/v2/alerts array when
 * ALERTMANAGER, else Prometheus's /api/v1/alerts envelope. Sorted worst level first, then
 * oldest. 0, or -1 with ERR (PART then holds no alerts). */
int sd_prom_decode_alerts(struct sd_prom *part, const char *body, size_t len, bool alertmanager,
			  const struct sd_config *config, char *err, size_t errlen);

/* One sample of an instant vector: the value of the label asked for, and the value (NAN
 * for "NaN", "+Inf", "-Inf" or what is not a number). */
struct sd_prom_sample {
	char *key;
	double value;
};
/* Decode a /api/v1/query answer of resultType vector. 0 with *OUT (malloc'ed; free with
 * sd_prom_samples_free), or -1 with ERR. Samples without LABEL are left out. */
int sd_prom_decode_vector(const char *body, size_t len, const char *label,
			  struct sd_prom_sample **out, size_t *n, char *err, size_t errlen);
void sd_prom_samples_free(struct sd_prom_sample *s, size_t n);

/* VALUE (a label's, e.g. "10.0.0.3:9100" or "worker-1.lab:9100") without its port names
 * NODE: equal to its address or hostname (or the hostname is VALUE's first DNS label). */
bool sd_prom_matches_node(const char *value, const struct sd_node *node);

/* The figures of one fetch, by series (SD_PROM_SERIES of them), matched to SWARM's nodes
 * into PART->nodes (in the swarm's order; none when SWARM is NULL or nothing matched), each
 * node's cpu_history carried on from PREVIOUS. */
enum { SD_PROM_CPU, SD_PROM_MEM_AVAIL, SD_PROM_MEM_TOTAL, SD_PROM_DISK_FREE, SD_PROM_DISK_SIZE,
       SD_PROM_NET_RX, SD_PROM_NET_TX, SD_PROM_SERIES };
struct sd_prom_vector {
	struct sd_prom_sample *s;
	size_t n;
};
void sd_prom_match_nodes(struct sd_prom *part, const struct sd_swarm *swarm,
			 const struct sd_prom_vector series[SD_PROM_SERIES],
			 const struct sd_prom *previous);

/* The query of series WHICH for JOB, grouped by LABEL (malloc'ed PromQL, not escaped). */
char *sd_prom_query(int which, const char *job, const char *label);

/* The push's memory: what is held open at Alertmanager. */
struct sd_prom_pusher;
struct sd_prom_pusher *sd_prom_pusher_new(const char *cluster, const char *host);
void sd_prom_pusher_free(struct sd_prom_pusher *p);
/* The body to POST for the findings ALERTS (N; those of source "prometheus" skipped): each
 * open until NOW + HOLD, those held before and gone now resolved (endsAt NOW). NULL when
 * there is nothing to say. *OPEN: the findings held open. Then sd_prom_pusher_done with
 * whether the POST went through (a failed one is said again next time). */
char *sd_prom_pusher_body(struct sd_prom_pusher *p, const struct sd_alert *alerts, size_t n,
			  double hold, time_t now, size_t *open);
void sd_prom_pusher_done(struct sd_prom_pusher *p, bool ok);
/* "SwarmdeckNodeDown" from a finding's kind "node-down" (SOURCE when it has none). */
void sd_prom_alertname(const struct sd_alert *a, char *buf, size_t size);

#endif
