/* test_prom.c - the Prometheus part without the network: the prometheus: and alertmanager:
 * config sections (defaults, errors at file:line:column), the readers of real-shaped answers
 * of /api/v2/alerts, /api/v1/alerts and /api/v1/query ("NaN", "+Inf", missing series), the
 * level of a severity, the matching of series to nodes and the CPU history, the push's body
 * and its resolve, the health rules, the timeline's events and the --once --json object. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/prom/prom.h"
#include "base/error.h"
#include "conf/config.h"
#include "model/health.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "timeline.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *write_config(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/sd-test-prom-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void load_fails(const char *text, const char *where, const char *what)
{
	struct sd_config c;
	struct sd_error err = {{0}};
	const char *path = write_config(text);
	assert_int_equal(sd_config_load(path, &c, &err), -1);
	if (!strstr(err.text, where) || !strstr(err.text, what))
		fail_msg("for\n%s\nexpected '%s' and '%s' in: %s", text, where, what, err.text);
}

static void test_config(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err = {{0}};
	assert_int_equal(sd_config_load(NULL, &c, &err), 0);
	assert_false(c.prometheus.http.configured);
	assert_false(c.alertmanager.http.configured);
	assert_string_equal(c.prometheus.node_label, "instance");
	assert_string_equal(c.prometheus.job, "node");
	assert_true(c.prometheus.cpu_percent == 90);
	assert_int_equal(c.prometheus.other_level, SD_WARNING);
	sd_config_free(&c);

	const char *path = write_config(
		"prometheus:\n"
		"  url: http://192.168.213.1:9090/\n"
		"  timeout_ms: 1500\n"
		"  ca_file: /etc/ssl/prom-ca.pem\n"
		"  bearer_token_file: /run/secrets/prom\n"
		"  node_label: node\n"
		"  job: node-exporter\n"
		"  thresholds: {cpu_percent: 80, memory_available_percent: 5, disk_free_percent: 15}\n"
		"  severities: {page: critical, info: ok, other: unknown}\n"
		"alertmanager:\n"
		"  url: https://am.example.net:9093\n"
		"  push: true\n"
		"  user: sd\n"
		"  password_file: /run/secrets/am\n");
	assert_int_equal(sd_config_load(path, &c, &err), 0);
	assert_true(c.prometheus.http.configured);
	assert_string_equal(c.prometheus.http.url, "http://192.168.213.1:9090");
	assert_int_equal(c.prometheus.http.timeout_ms, 1500);
	assert_string_equal(c.prometheus.http.ca_file, "/etc/ssl/prom-ca.pem");
	assert_string_equal(c.prometheus.http.bearer_token_file, "/run/secrets/prom");
	assert_string_equal(c.prometheus.node_label, "node");
	assert_string_equal(c.prometheus.job, "node-exporter");
	assert_true(c.prometheus.cpu_percent == 80 && c.prometheus.memory_available_percent == 5 &&
		    c.prometheus.disk_free_percent == 15);
	assert_int_equal(c.prometheus.nseverities, 2);
	assert_int_equal(c.prometheus.other_level, SD_UNKNOWN);
	assert_int_equal(sd_prom_level(&c, "page"), SD_CRITICAL);
	assert_int_equal(sd_prom_level(&c, "INFO"), SD_OK);
	assert_int_equal(sd_prom_level(&c, "warning"), SD_WARNING);
	assert_int_equal(sd_prom_level(&c, "critical"), SD_CRITICAL);
	assert_int_equal(sd_prom_level(&c, "whatever"), SD_UNKNOWN);
	assert_int_equal(sd_prom_level(&c, ""), SD_UNKNOWN);
	assert_true(c.alertmanager.http.configured && c.alertmanager.push);
	assert_int_equal(c.alertmanager.http.timeout_ms, 3000);
	assert_string_equal(c.alertmanager.http.user, "sd");
	sd_config_free(&c);
	assert_int_equal(sd_prom_level(NULL, "info"), SD_WARNING);

	load_fails("prometheus:\n  url: ftp://x:9090\n", ":2:8:",
		   "prometheus.url: expected http:// or https://");
	load_fails("alertmanager:\n  push: true\n", ":1:1:", "alertmanager: needs a url");
	load_fails("alertmanager:\n  url: http://sd:secret@am:9093\n", ":2:8:", "no user or password");
	load_fails("prometheus:\n  url: http://p\n  timeout_ms: 0\n", ":3:15:", "prometheus.timeout_ms");
	load_fails("prometheus:\n  url: http://p\n  password: x\n", ":3:3:", "password");
	load_fails("prometheus:\n  url: http://p\n  user: sd\n", ":1:1:", "a user needs a password_file");
	load_fails("prometheus:\n  url: http://p\n  thresholds: {cpu_percent: 120}\n", ":3:29:",
		   "expected a percent from 0 to 100");
	load_fails("prometheus:\n  url: http://p\n  thresholds: {cpu: 1}\n", ":3:", "cpu");
	load_fails("prometheus:\n  url: http://p\n  severities: {page: loud}\n", ":3:22:",
		   "expected ok, warning, critical or unknown, got 'loud'");
	load_fails("alertmanager:\n  url: http://a\n  push: sometimes\n", ":3:9:", "alertmanager.push");
	load_fails("prometheus:\n  url: http://p\n  job: 'a\"b'\n", ":3:8:", "prometheus.job");
	unlink(write_config(""));
}

/* Alertmanager 0.25's answer, as the lab's gives it */
static const char AM_ALERTS[] =
	"[{\"annotations\":{\"summary\":\"memory above 90%\",\"description\":\"long\"},"
	"\"endsAt\":\"2026-12-02T02:20:10.662Z\",\"fingerprint\":\"15a37193dce72bab\","
	"\"receivers\":[{\"name\":\"none\"}],\"startsAt\":\"2026-12-02T02:15:05.662Z\","
	"\"status\":{\"inhibitedBy\":[],\"silencedBy\":[],\"state\":\"active\"},"
	"\"updatedAt\":\"2026-12-02T02:16:10.663Z\",\"generatorURL\":\"http://vm:9090/graph?g0.expr=x\","
	"\"labels\":{\"alertname\":\"HighMemoryUsage\",\"instance\":\"192.168.213.21:9100\","
	"\"job\":\"node\",\"severity\":\"warning\"}},"
	"{\"annotations\":{\"summary\":\"worker-1 is down\"},\"endsAt\":\"2026-12-02T02:21:00Z\","
	"\"startsAt\":\"2026-12-02T03:15:00+01:00\",\"status\":{\"state\":\"active\"},"
	"\"generatorURL\":\"swarmdeck://console-1/\",\"labels\":{\"alertname\":\"SwarmdeckNodeDown\","
	"\"severity\":\"critical\",\"source\":\"swarm\",\"target\":\"worker-1\"}},"
	"{\"annotations\":{},\"startsAt\":\"2026-12-02T01:00:00Z\",\"status\":{\"state\":\"active\"},"
	"\"labels\":{\"alertname\":\"ServiceDown\",\"severity\":\"page\",\"service\":\"iot_backend\"}}]";

static const char PROM_ALERTS[] =
	"{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{\"alertname\":\"AlwaysFiring\","
	"\"severity\":\"info\"},\"annotations\":{\"description\":\"always on\"},\"state\":\"firing\","
	"\"activeAt\":\"2026-12-02T02:15:05.66206915Z\",\"value\":\"1e+00\"},{\"labels\":"
	"{\"alertname\":\"PendingOne\",\"severity\":\"page\",\"job\":\"node\"},\"annotations\":{},"
	"\"state\":\"pending\",\"activeAt\":\"2026-12-02T02:15:06Z\",\"value\":\"1e+00\"}]}}";

static struct sd_config severities_config(void)
{
	struct sd_config c;
	struct sd_error err = {{0}};
	const char *path = write_config("prometheus:\n  url: http://p\n  severities: {page: critical}\n");
	assert_int_equal(sd_config_load(path, &c, &err), 0);
	unlink(path);
	return c;
}

static void test_decode_alerts(void **state)
{
	(void)state;
	struct sd_config c = severities_config();
	char err[256] = "";
	struct sd_prom *p = sd_part_new(sizeof(*p));
	assert_int_equal(sd_prom_decode_alerts(p, AM_ALERTS, strlen(AM_ALERTS), true, &c, err,
					       sizeof(err)), 0);
	assert_int_equal(p->nalerts, 3);
	/* worst first, then oldest: ServiceDown (page: critical, 01:00), SwarmdeckNodeDown
	 * (critical, 02:15 UTC written as +01:00), HighMemoryUsage (warning) */
	assert_string_equal(p->alerts[0].name, "ServiceDown");
	assert_int_equal(p->alerts[0].level, SD_CRITICAL);
	assert_string_equal(p->alerts[0].severity, "page");
	assert_string_equal(p->alerts[0].target, "iot_backend");
	assert_string_equal(p->alerts[0].summary, "");
	assert_false(p->alerts[0].own);
	assert_string_equal(p->alerts[1].name, "SwarmdeckNodeDown");
	assert_true(p->alerts[1].own);
	assert_string_equal(p->alerts[1].target, "worker-1");
	assert_int_equal((long)p->alerts[1].since, 1796177700L); /* 2026-12-02T02:15:00Z */
	const struct sd_prom_alert *m = &p->alerts[2];
	assert_string_equal(m->name, "HighMemoryUsage");
	assert_string_equal(m->state, "firing");
	assert_int_equal(m->level, SD_WARNING);
	assert_string_equal(m->summary, "memory above 90%");
	assert_string_equal(m->target, "192.168.213.21:9100");
	assert_int_equal((long)m->since, 1796177705L);
	assert_int_equal(m->nlabels, 4);
	assert_string_equal(m->labels[0].key, "alertname"); /* sorted */
	assert_string_equal(m->labels[3].key, "severity");
	assert_int_equal(m->nannotations, 2);
	sd_part_unref(p);

	p = sd_part_new(sizeof(*p));
	assert_int_equal(sd_prom_decode_alerts(p, PROM_ALERTS, strlen(PROM_ALERTS), false, &c, err,
					       sizeof(err)), 0);
	assert_int_equal(p->nalerts, 2);
	assert_string_equal(p->alerts[0].name, "PendingOne");
	assert_string_equal(p->alerts[0].state, "pending");
	assert_int_equal(p->alerts[0].level, SD_CRITICAL);
	assert_string_equal(p->alerts[0].target, "node");
	assert_string_equal(p->alerts[1].summary, "always on"); /* the description, lacking one */
	assert_int_equal(p->alerts[1].level, SD_WARNING);      /* info: not named, other_level */
	assert_int_equal((long)p->alerts[1].since, 1796177705L);
	sd_part_unref(p);

	/* what is not an answer */
	static const char *const bad[] = {"", "[", "{\"status\":\"error\",\"error\":\"boom\"}",
					  "{\"status\":\"success\",\"data\":{}}", "42"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = sd_part_new(sizeof(*p));
		err[0] = '\0';
		assert_int_equal(sd_prom_decode_alerts(p, bad[i], strlen(bad[i]), i != 2 && i != 3, &c,
						       err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_int_equal(p->nalerts, 0);
		sd_part_unref(p);
	}
	p = sd_part_new(sizeof(*p));
	assert_int_equal(sd_prom_decode_alerts(p, "{\"status\":\"error\",\"error\":\"boom\"}", 33,
					       false, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "boom"));
	/* entries that are not objects, labels that are not strings */
	const char odd[] = "[1, {\"labels\":{\"alertname\":\"X\",\"n\":3}}, null]";
	assert_int_equal(sd_prom_decode_alerts(p, odd, strlen(odd), true, &c, err, sizeof(err)), 0);
	assert_int_equal(p->nalerts, 1);
	assert_int_equal(p->alerts[0].nlabels, 1);
	assert_string_equal(p->alerts[0].state, "firing");
	assert_int_equal((long)p->alerts[0].since, 0);
	sd_part_unref(p);
	sd_config_free(&c);
}

static const char VECTOR[] =
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	"{\"metric\":{\"instance\":\"192.168.213.11:9100\"},\"value\":[1796177797.492,\"12.5\"]},"
	"{\"metric\":{\"instance\":\"worker-1.lab:9100\"},\"value\":[1796177797.492,\"NaN\"]},"
	"{\"metric\":{\"instance\":\"[fd00::3]:9100\"},\"value\":[1796177797.492,\"+Inf\"]},"
	"{\"metric\":{\"job\":\"node\"},\"value\":[1796177797.492,\"1\"]},"
	"{\"metric\":{\"instance\":\"x\"},\"value\":[1796177797.492,\"-Inf\"]}]}}";

static void test_decode_vector(void **state)
{
	(void)state;
	struct sd_prom_sample *s;
	size_t n;
	char err[256] = "";
	assert_int_equal(sd_prom_decode_vector(VECTOR, strlen(VECTOR), "instance", &s, &n, err,
					       sizeof(err)), 0);
	assert_int_equal(n, 4); /* the one without an instance is left out */
	assert_string_equal(s[0].key, "192.168.213.11:9100");
	assert_true(s[0].value == 12.5);
	assert_true(isnan(s[1].value));
	assert_true(isnan(s[2].value));
	assert_true(isnan(s[3].value));
	sd_prom_samples_free(s, n);

	const char empty[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";
	assert_int_equal(sd_prom_decode_vector(empty, strlen(empty), "instance", &s, &n, err,
					       sizeof(err)), 0);
	assert_int_equal(n, 0);
	sd_prom_samples_free(s, n);

	const char scalar[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\","
			      "\"result\":[1796177797.594,\"+Inf\"]}}";
	assert_int_equal(sd_prom_decode_vector(scalar, strlen(scalar), "instance", &s, &n, err,
					       sizeof(err)), -1);
	assert_non_null(strstr(err, "expected a vector, got scalar"));
	assert_null(s);
	const char bad[] = "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}";
	assert_int_equal(sd_prom_decode_vector(bad, strlen(bad), "instance", &s, &n, err,
					       sizeof(err)), -1);
	assert_non_null(strstr(err, "parse error"));
	assert_int_equal(sd_prom_decode_vector("nope", 4, "instance", &s, &n, err, sizeof(err)), -1);
}

static void test_matches_node(void **state)
{
	(void)state;
	struct sd_node n = {.hostname = "worker-1", .addr = "192.168.213.21"};
	assert_true(sd_prom_matches_node("192.168.213.21:9100", &n));
	assert_true(sd_prom_matches_node("192.168.213.21", &n));
	assert_true(sd_prom_matches_node("worker-1:9100", &n));
	assert_true(sd_prom_matches_node("WORKER-1", &n));
	assert_true(sd_prom_matches_node("worker-1.lab.example:9100", &n));
	assert_false(sd_prom_matches_node("192.168.213.2:9100", &n));
	assert_false(sd_prom_matches_node("worker-10:9100", &n));
	assert_false(sd_prom_matches_node("worker:9100", &n));
	assert_false(sd_prom_matches_node("", &n));
	assert_false(sd_prom_matches_node(":9100", &n));
	struct sd_node v6 = {.hostname = "manager-1", .addr = "fd00::3"};
	assert_true(sd_prom_matches_node("[fd00::3]:9100", &v6));
	assert_true(sd_prom_matches_node("fd00::3", &v6));
	assert_false(sd_prom_matches_node("[fd00::4]:9100", &v6));
	/* an IP's first "label" is no hostname */
	struct sd_node num = {.hostname = "10", .addr = "1.2.3.4"};
	assert_false(sd_prom_matches_node("10.0.0.1:9100", &num));
}

static struct sd_swarm *three_nodes(void)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	sw->nodes = sd_arena_alloc(sw->part.arena, 3 * sizeof(struct sd_node));
	sw->nnodes = 3;
	const char *hosts[] = {"manager-1", "worker-1", "worker-2"};
	const char *addrs[] = {"192.168.213.11", "192.168.213.21", "192.168.213.22"};
	for (int i = 0; i < 3; i++) {
		sw->nodes[i].hostname = hosts[i];
		sw->nodes[i].id = hosts[i];
		sw->nodes[i].addr = addrs[i];
		sw->nodes[i].role = i ? "worker" : "manager";
		sw->nodes[i].state = "ready";
		sw->nodes[i].manager = i ? "" : "leader";
	}
	return sw;
}

static void test_match_nodes_history(void **state)
{
	(void)state;
	struct sd_swarm *sw = three_nodes();
	char k1[] = "192.168.213.11:9100", k2[] = "worker-1:9100", k3[] = "192.168.213.99:9100";
	struct sd_prom_sample cpu[] = {{k1, 12.5}, {k2, NAN}, {k3, 50}};
	struct sd_prom_sample mem[] = {{k1, 1e9}};
	struct sd_prom_sample total[] = {{k1, 4e9}};
	struct sd_prom_vector series[SD_PROM_SERIES] = {{cpu, 3}, {mem, 1}, {total, 1}};
	struct sd_prom *prev = NULL;
	for (int round = 0; round < SD_METRIC_HISTORY + 5; round++) {
		cpu[0].value = round;
		struct sd_prom *p = sd_part_new(sizeof(*p));
		sd_prom_match_nodes(p, sw, series, prev);
		assert_int_equal(p->nnodes, 2); /* worker-2 has no series */
		const struct sd_node_metrics *m = sd_prom_node(p, "manager-1");
		assert_non_null(m);
		assert_string_equal(m->instance, "192.168.213.11:9100");
		assert_true(m->cpu_busy == round);
		assert_true(m->mem_available == 1e9 && m->mem_total == 4e9);
		assert_true(isnan(m->disk_free) && isnan(m->net_rx));
		int want = round + 1 > SD_METRIC_HISTORY ? SD_METRIC_HISTORY : round + 1;
		assert_int_equal(m->nhistory, want);
		assert_true(m->cpu_history[want - 1] == round);       /* newest last */
		assert_true(m->cpu_history[0] == (round + 1 - want)); /* oldest first */
		const struct sd_node_metrics *w = sd_prom_node(p, "worker-1");
		assert_non_null(w);
		assert_true(isnan(w->cpu_busy));
		assert_null(sd_prom_node(p, "worker-2"));
		sd_part_unref(prev);
		prev = p;
	}
	sd_part_unref(prev);
	struct sd_prom *p = sd_part_new(sizeof(*p));
	sd_prom_match_nodes(p, NULL, series, NULL);
	assert_int_equal(p->nnodes, 0);
	sd_part_unref(p);
	sd_part_unref(sw);

	char *q = sd_prom_query(SD_PROM_CPU, "node", "instance");
	assert_string_equal(q, "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{"
			       "mode=\"idle\",job=\"node\"}[1m])))");
	free(q);
	q = sd_prom_query(SD_PROM_DISK_FREE, "nx", "node");
	assert_non_null(strstr(q, "by (node) (node_filesystem_avail_bytes{job=\"nx\",mountpoint=\"/\"})"));
	free(q);
	q = sd_prom_query(SD_PROM_NET_TX, "node", "instance");
	assert_non_null(strstr(q, "node_network_transmit_bytes_total{job=\"node\",device!=\"lo\"}[1m]"));
	free(q);
}

static json_t *parse(char *text)
{
	assert_non_null(text);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	return j;
}

static const char *label_of(json_t *alert, const char *key)
{
	return json_string_value(json_object_get(json_object_get(alert, "labels"), key));
}

static void test_push_body(void **state)
{
	(void)state;
	struct sd_prom_pusher *p = sd_prom_pusher_new("prod", "console-1");
	struct sd_alert alerts[] = {
		{SD_CRITICAL, "swarm", "worker-1", "worker worker-1 is down", "node-down"},
		{SD_WARNING, "prometheus", "worker-1", "HighMemoryUsage: x", "prometheus-alert"},
		{SD_WARNING, "postgres", "pg-2", "standby pg-2 lags 9 bytes", "standby-lags-bytes"},
		{SD_UNKNOWN, "redis", "sentinels", "sentinels unreachable", NULL},
	};
	size_t open = 99;
	time_t now = 1796177700; /* 2026-12-02T02:15:00Z */
	json_t *body = parse(sd_prom_pusher_body(p, alerts, 4, 30, now, &open));
	assert_int_equal(open, 3);
	assert_int_equal(json_array_size(body), 3); /* not Prometheus's own */
	json_t *a = json_array_get(body, 0);
	assert_string_equal(label_of(a, "alertname"), "SwarmdeckNodeDown");
	assert_string_equal(label_of(a, "source"), "swarm");
	assert_string_equal(label_of(a, "target"), "worker-1");
	assert_string_equal(label_of(a, "severity"), "critical");
	assert_string_equal(label_of(a, "cluster"), "prod");
	assert_int_equal(json_object_size(json_object_get(a, "labels")), 5);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "annotations"),
							      "summary")),
			    "worker worker-1 is down");
	assert_string_equal(json_string_value(json_object_get(a, "generatorURL")),
			    "swarmdeck://console-1/");
	assert_string_equal(json_string_value(json_object_get(a, "startsAt")), "2026-12-02T02:15:00Z");
	assert_string_equal(json_string_value(json_object_get(a, "endsAt")), "2026-12-02T02:15:30Z");
	assert_string_equal(label_of(json_array_get(body, 1), "alertname"),
			    "SwarmdeckStandbyLagsBytes");
	a = json_array_get(body, 2);
	assert_string_equal(label_of(a, "alertname"), "SwarmdeckRedis"); /* no kind: its source */
	assert_string_equal(label_of(a, "severity"), "warning");         /* UNKNOWN: warning */
	json_decref(body);
	sd_prom_pusher_done(p, true);

	/* renewed while they hold (the message may change), startsAt kept */
	alerts[2].message = "standby pg-2 lags 12 bytes";
	body = parse(sd_prom_pusher_body(p, alerts, 4, 30, now + 2, &open));
	assert_int_equal(json_array_size(body), 3);
	a = json_array_get(body, 1);
	assert_string_equal(json_string_value(json_object_get(a, "startsAt")), "2026-12-02T02:15:00Z");
	assert_string_equal(json_string_value(json_object_get(a, "endsAt")), "2026-12-02T02:15:32Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "annotations"),
							      "summary")),
			    "standby pg-2 lags 12 bytes");
	json_decref(body);
	sd_prom_pusher_done(p, true);

	/* worker-1 is back: posted once more, resolved; a failed post says it again */
	body = parse(sd_prom_pusher_body(p, alerts + 1, 3, 30, now + 4, &open));
	assert_int_equal(open, 2);
	assert_int_equal(json_array_size(body), 3);
	a = json_array_get(body, 0);
	assert_string_equal(label_of(a, "alertname"), "SwarmdeckNodeDown");
	assert_string_equal(json_string_value(json_object_get(a, "endsAt")), "2026-12-02T02:15:04Z");
	json_decref(body);
	sd_prom_pusher_done(p, false);
	body = parse(sd_prom_pusher_body(p, alerts + 1, 3, 30, now + 6, &open));
	assert_int_equal(json_array_size(body), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(body, 0), "endsAt")),
			    "2026-12-02T02:15:06Z");
	json_decref(body);
	sd_prom_pusher_done(p, true);
	body = parse(sd_prom_pusher_body(p, alerts + 1, 3, 30, now + 8, &open));
	assert_int_equal(json_array_size(body), 2); /* resolved once, then forgotten */
	json_decref(body);
	sd_prom_pusher_done(p, true);

	/* a level that changes is another alert: the old one resolves */
	alerts[2].level = SD_CRITICAL;
	body = parse(sd_prom_pusher_body(p, alerts + 2, 1, 30, now + 10, &open));
	assert_int_equal(open, 1);
	size_t resolved = 0, critical = 0;
	for (size_t i = 0; i < json_array_size(body); i++) {
		json_t *x = json_array_get(body, i);
		if (!strcmp(json_string_value(json_object_get(x, "endsAt")), "2026-12-02T02:15:10Z"))
			resolved++;
		if (!strcmp(label_of(x, "severity"), "critical"))
			critical++;
	}
	assert_int_equal(resolved, 2); /* the warning lag and the redis finding */
	assert_int_equal(critical, 1);
	json_decref(body);
	sd_prom_pusher_done(p, true);
	/* nothing held, nothing found: nothing to post */
	body = parse(sd_prom_pusher_body(p, NULL, 0, 30, now + 12, &open)); /* resolves the lag */
	json_decref(body);
	sd_prom_pusher_done(p, true);
	assert_null(sd_prom_pusher_body(p, NULL, 0, 30, now + 14, &open));
	assert_int_equal(open, 0);
	sd_prom_pusher_free(p);

	char name[64];
	struct sd_alert k = {SD_WARNING, "metrics", "n", "m", "cpu-busy"};
	sd_prom_alertname(&k, name, sizeof(name));
	assert_string_equal(name, "SwarmdeckCpuBusy");
}

static struct sd_snapshot *snap_with(struct sd_prom *prom, struct sd_swarm *sw)
{
	struct sd_snapshot *s = sd_part_new(sizeof(*s));
	s->time = 1796177700;
	s->docker_status.configured = s->docker_status.answered = s->docker_status.reachable = true;
	s->prom_status.configured = true;
	s->swarm = sw;
	s->prom = prom;
	return s;
}

static const struct sd_alert *finding(const struct sd_snapshot *s, const char *source,
				      const char *needle)
{
	for (size_t i = 0; i < s->nalerts; i++)
		if (!strcmp(s->alerts[i].source, source) && strstr(s->alerts[i].message, needle))
			return &s->alerts[i];
	return NULL;
}

static void test_health(void **state)
{
	(void)state;
	struct sd_config c = severities_config();
	char err[256];
	struct sd_prom *p = sd_part_new(sizeof(*p));
	assert_int_equal(sd_prom_decode_alerts(p, AM_ALERTS, strlen(AM_ALERTS), true, &c, err,
					       sizeof(err)), 0);
	p->alerts_error = p->metrics_error = p->push_error = "";
	p->nodes = sd_arena_alloc(p->part.arena, 2 * sizeof(struct sd_node_metrics));
	p->nnodes = 2;
	p->nodes[0] = (struct sd_node_metrics){.node = "manager-1", .instance = "m", .cpu_busy = 95,
		.mem_available = 0.5e9, .mem_total = 10e9, .disk_free = 5, .disk_size = 100,
		.net_rx = NAN, .net_tx = NAN};
	p->nodes[1] = (struct sd_node_metrics){.node = "worker-1", .instance = "w", .cpu_busy = NAN,
		.mem_available = NAN, .mem_total = 10e9, .disk_free = 50, .disk_size = 100,
		.net_rx = 1, .net_tx = 1};
	struct sd_snapshot *s = snap_with(p, three_nodes());
	sd_health_evaluate(s, &c);
	const struct sd_alert *a = finding(s, "prometheus", "ServiceDown");
	assert_non_null(a);
	assert_int_equal(a->level, SD_CRITICAL);
	assert_string_equal(a->target, "iot_backend");
	a = finding(s, "prometheus", "HighMemoryUsage: memory above 90%");
	assert_non_null(a);
	assert_int_equal(a->level, SD_WARNING);
	assert_null(finding(s, "prometheus", "SwarmdeckNodeDown")); /* own: not counted twice */
	a = finding(s, "metrics", "manager-1: CPU 95% busy (> 90%)");
	assert_non_null(a);
	assert_int_equal(a->level, SD_WARNING);
	assert_string_equal(a->kind, "cpu-busy");
	assert_non_null(finding(s, "metrics", "manager-1: memory available 5.0% (< 10%)"));
	assert_non_null(finding(s, "metrics", "manager-1: root disk free 5.0% (< 10%)"));
	assert_null(finding(s, "metrics", "worker-1")); /* missing series are no finding */
	assert_int_equal(s->health, SD_CRITICAL);
	sd_snapshot_unref(s);

	/* pending ones are not counted; an API that does not answer is a WARNING */
	p = sd_part_new(sizeof(*p));
	assert_int_equal(sd_prom_decode_alerts(p, PROM_ALERTS, strlen(PROM_ALERTS), false, NULL, err,
					       sizeof(err)), 0);
	p->alerts_error = "";
	p->metrics_error = "prometheus: no answer within 3000 ms";
	p->push_error = "alertmanager: HTTP 400: bad";
	s = snap_with(p, NULL);
	sd_health_evaluate(s, NULL);
	assert_null(finding(s, "prometheus", "PendingOne"));
	assert_non_null(finding(s, "prometheus", "AlwaysFiring: always on"));
	a = finding(s, "prometheus", "prometheus: no answer within 3000 ms");
	assert_non_null(a);
	assert_int_equal(a->level, SD_WARNING);
	assert_non_null(finding(s, "prometheus", "push to alertmanager: alertmanager: HTTP 400"));
	assert_int_equal(s->health, SD_WARNING);
	sd_snapshot_unref(s);

	p = sd_part_new(sizeof(*p));
	p->alerts_from = "alertmanager";
	p->alerts_error = "alertmanager: Couldn't connect to server";
	p->metrics_error = p->push_error = "";
	s = snap_with(p, NULL);
	sd_health_evaluate(s, NULL);
	a = finding(s, "prometheus", "prometheus: alertmanager: Couldn't connect");
	assert_non_null(a);
	assert_string_equal(a->target, "alertmanager");
	assert_int_equal(s->health, SD_WARNING);
	sd_snapshot_unref(s);
	sd_config_free(&c);
}

static struct sd_prom *alerts_part(const char *body, bool am)
{
	char err[256];
	struct sd_prom *p = sd_part_new(sizeof(*p));
	p->alerts_error = p->metrics_error = p->push_error = "";
	assert_int_equal(sd_prom_decode_alerts(p, body, strlen(body), am, NULL, err, sizeof(err)), 0);
	return p;
}

static void test_timeline(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct sd_prom *none = alerts_part("[]", true), *some = alerts_part(AM_ALERTS, true);
	assert_int_equal(sd_timeline_prom(tl, none, none, 1000), 0);
	/* two start firing (not the console's own) */
	assert_int_equal(sd_timeline_prom(tl, none, some, 1000), 2);
	assert_int_equal(sd_timeline_prom(tl, some, some, 1001), 0);
	/* an answer that failed is no change */
	struct sd_prom *failed = alerts_part("[]", true);
	failed->alerts_error = "alertmanager: no answer within 3000 ms";
	assert_int_equal(sd_timeline_prom(tl, some, failed, 1002), 0);
	assert_int_equal(sd_timeline_prom(tl, failed, some, 1003), 0);
	assert_int_equal(sd_timeline_prom(tl, some, none, 1100), 2);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 4);
	assert_string_equal(ev->items[0].source, "prometheus");
	assert_string_equal(ev->items[0].kind, "alert-resolved");
	bool firing = false;
	for (size_t i = 0; i < ev->n; i++)
		if (!strcmp(ev->items[i].kind, "alert-firing") &&
		    !strcmp(ev->items[i].target, "192.168.213.21:9100")) {
			firing = true;
			assert_string_equal(ev->items[i].message,
					    "HighMemoryUsage firing (warning): memory above 90%");
		}
	assert_true(firing);
	sd_part_unref(ev);

	/* their health lines make no second alert / alert-cleared event; the metrics' do */
	struct sd_alert lines[] = {
		{SD_WARNING, "prometheus", "worker-1", "HighMemoryUsage: x", "prometheus-alert"},
		{SD_WARNING, "metrics", "worker-1", "worker-1: CPU 95% busy (> 90%)", "cpu-busy"},
	};
	struct sd_snapshot *s0 = sd_part_new(sizeof(*s0)), *s1 = sd_part_new(sizeof(*s1));
	s0->docker_status.answered = s1->docker_status.answered = true;
	s1->alerts = lines;
	s1->nalerts = 2;
	size_t before = sd_timeline_count(tl);
	assert_int_equal(sd_timeline_alerts(tl, s0, s1, 1200), 1);
	assert_int_equal(sd_timeline_alerts(tl, s1, s0, 1300), 1);
	assert_int_equal(sd_timeline_count(tl), before + 2);
	/* Prometheus not answered yet: no look to compare */
	s1->prom_status.configured = true;
	assert_int_equal(sd_timeline_alerts(tl, s0, s1, 1400), 0);
	s1->alerts = NULL;
	s1->nalerts = 0;
	sd_snapshot_unref(s0);
	sd_snapshot_unref(s1);
	sd_part_unref(none);
	sd_part_unref(some);
	sd_part_unref(failed);
	sd_timeline_free(tl);
}

static void test_json(void **state)
{
	(void)state;
	struct sd_snapshot *s = snap_with(NULL, NULL);
	s->prom_status.configured = false;
	json_t *j = sd_snapshot_json(s);
	assert_true(json_is_null(json_object_get(j, "prometheus")));
	json_decref(j);
	sd_snapshot_unref(s);

	struct sd_prom *p = alerts_part(AM_ALERTS, true);
	p->alerts_from = "alertmanager";
	p->push = true;
	p->pushed = 2;
	p->nodes = sd_arena_alloc(p->part.arena, sizeof(struct sd_node_metrics));
	p->nnodes = 1;
	p->nodes[0] = (struct sd_node_metrics){.node = "worker-1", .instance = "192.168.213.21:9100",
		.cpu_busy = 12.5, .mem_available = NAN, .mem_total = 4e9, .disk_free = 1e9,
		.disk_size = 2e9, .net_rx = 100, .net_tx = NAN};
	s = snap_with(p, NULL);
	j = sd_snapshot_json(s);
	json_t *o = json_object_get(j, "prometheus");
	assert_true(json_is_object(o));
	assert_true(json_is_null(json_object_get(o, "error")));
	assert_string_equal(json_string_value(json_object_get(o, "alerts_from")), "alertmanager");
	json_t *alerts = json_object_get(o, "alerts");
	assert_int_equal(json_array_size(alerts), 3);
	json_t *own = NULL;
	for (size_t i = 0; i < json_array_size(alerts); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(alerts, i), "name")),
			    "SwarmdeckNodeDown"))
			own = json_array_get(alerts, i);
	assert_non_null(own);
	assert_string_equal(json_string_value(json_object_get(own, "name")), "SwarmdeckNodeDown");
	assert_true(json_is_true(json_object_get(own, "own")));
	assert_string_equal(json_string_value(json_object_get(own, "since")), "2026-12-02T02:15:00Z");
	assert_string_equal(json_string_value(json_object_get(own, "level")), "CRITICAL");
	assert_string_equal(json_string_value(json_object_get(own, "state")), "firing");
	assert_string_equal(json_string_value(json_object_get(own, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(own, "target")), "worker-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(own, "labels"),
							      "source")), "swarm");
	assert_string_equal(json_string_value(json_object_get(json_object_get(own, "annotations"),
							      "summary")), "worker-1 is down");
	json_t *node = json_array_get(json_object_get(o, "nodes"), 0);
	assert_string_equal(json_string_value(json_object_get(node, "node")), "worker-1");
	assert_true(json_real_value(json_object_get(node, "cpu_busy")) == 12.5);
	assert_true(json_is_null(json_object_get(node, "mem_available")));
	assert_true(json_is_null(json_object_get(node, "net_tx")));
	assert_true(json_real_value(json_object_get(node, "disk_size")) == 2e9);
	json_t *push = json_object_get(o, "push");
	assert_true(json_is_true(json_object_get(push, "enabled")));
	assert_int_equal(json_integer_value(json_object_get(push, "pushed")), 2);
	assert_true(json_is_null(json_object_get(push, "error")));
	json_decref(j);
	sd_snapshot_unref(s);

	/* configured, not answered yet or failing */
	s = snap_with(NULL, NULL);
	s->prom_status.answered = true;
	snprintf(s->prom_status.error, sizeof(s->prom_status.error), "prometheus: no answer");
	j = sd_snapshot_json(s);
	o = json_object_get(j, "prometheus");
	assert_string_equal(json_string_value(json_object_get(o, "error")), "prometheus: no answer");
	assert_int_equal(json_array_size(json_object_get(o, "alerts")), 0);
	assert_true(json_is_false(json_object_get(json_object_get(o, "push"), "enabled")));
	json_decref(j);
	sd_snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_decode_alerts),
		cmocka_unit_test(test_decode_vector),
		cmocka_unit_test(test_matches_node),
		cmocka_unit_test(test_match_nodes_history),
		cmocka_unit_test(test_push_body),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_timeline),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
