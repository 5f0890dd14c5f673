/* test_tui_alerts.c - node_exporter's figures in the nodes pane and pane 9, on hand-made
 * snapshots: the metric columns only with prometheus configured, `-` (never 0) where a series
 * is missing, a threshold crossed colours its cell, the CPU history as a sparkline; the
 * alerts pane lists the findings, then Prometheus's alerts without the console's own pushed
 * ones and without the findings made of them, a pending alert dim. Links the tui objects. */
#include "backends/docker/docker.h"
#include "conf/config.h"
#include "model/model.h"
#include "pane.h"
#include "ui.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static const char nodes[] =
	"[{\"ID\":\"n1\",\"Description\":{\"Hostname\":\"manager-1\"},\"Spec\":{\"Role\":\"manager\","
	"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.1\"},"
	"\"ManagerStatus\":{\"Leader\":true,\"Reachability\":\"reachable\"}},"
	"{\"ID\":\"n2\",\"Description\":{\"Hostname\":\"worker-1\"},\"Spec\":{\"Role\":\"worker\","
	"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.2\"}}]";

static struct sd_snapshot *snapshot(void)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	struct sd_docker_bodies b = {.nodes = nodes, .nodes_len = sizeof(nodes) - 1};
	char err[256];
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &snap->swarm, err, sizeof(err)), 0);
	assert_int_equal(snap->swarm->nnodes, 2);

	struct sd_prom *p = sd_part_new(sizeof(*p));
	p->alerts_from = "alertmanager";
	p->alerts_error = p->metrics_error = p->push_error = "";
	p->nodes = sd_arena_alloc(p->part.arena, sizeof(*p->nodes));
	p->nnodes = 1;     /* worker-1 has no series at all */
	struct sd_node_metrics *m = &p->nodes[0];
	*m = (struct sd_node_metrics){.node = "manager-1", .instance = "10.0.0.1:9100",
				      .cpu_busy = 95, .mem_available = 512.0 * 1048576,
				      .mem_total = 8192.0 * 1048576, .disk_free = NAN,
				      .disk_size = NAN, .net_rx = 2048, .net_tx = NAN};
	for (int i = 0; i < 6; i++)
		m->cpu_history[m->nhistory++] = i * 20;
	static struct sd_label labels[] = {{"alertname", "HighMemoryUsage"}, {"severity", "warning"}};
	static struct sd_label notes[] = {{"summary", "memory low"}};
	p->alerts = sd_arena_alloc(p->part.arena, 3 * sizeof(*p->alerts));
	p->alerts[0] = (struct sd_prom_alert){.name = "ServiceDown", .state = "firing",
					      .severity = "critical", .level = SD_CRITICAL,
					      .summary = "node down", .target = "10.0.0.2:9100",
					      .since = 1000};
	p->alerts[1] = (struct sd_prom_alert){.name = "SwarmdeckNodeDown", .state = "firing",
					      .severity = "critical", .level = SD_CRITICAL,
					      .summary = "worker-1 down", .target = "worker-1",
					      .own = true};
	p->alerts[2] = (struct sd_prom_alert){.name = "HighMemoryUsage", .state = "pending",
					      .severity = "warning", .level = SD_WARNING,
					      .summary = "memory low", .target = "manager-1",
					      .labels = labels, .nlabels = 2, .annotations = notes,
					      .nannotations = 1};
	p->nalerts = 3;
	snap->prom = p;

	static struct sd_alert findings[] = {
		{SD_CRITICAL, "prometheus", "10.0.0.2:9100", "ServiceDown: node down", NULL},
		{SD_WARNING, "swarm", "worker-1", "worker-1 is down", NULL},
	};
	snap->alerts = findings;
	snap->nalerts = 2;
	return snap;
}

static void test_metric_columns(void **state)
{
	(void)state;
	struct sd_config config = {0};
	config.prometheus.http.configured = true;
	config.prometheus.cpu_percent = 90;
	config.prometheus.memory_available_percent = 10;
	config.prometheus.disk_free_percent = 10;
	struct ui ui = {.config = &config, .utf8 = false};
	ui.views[PANE_NODES].ops = &pane_nodes_metrics;
	struct sd_snapshot *snap = snapshot();
	const struct pane_ops *ops = &pane_nodes_metrics;
	assert_int_equal(ops->ncolumns, 13);
	assert_string_equal(ops->columns[6].title, "CPU");

	struct pane_row row = {0};
	ops->row(&ui, snap, 0, &row);
	assert_string_equal(row.cells[0], "manager-1");
	assert_string_equal(row.cells[6], " 95% _.~=#@"); /* 0, 20 .. 100 on a 100 % scale */
	assert_int_equal(row.cell_role[6], SD_ROLE_WARNING);  /* above 90 % */
	assert_string_equal(row.cells[7], "512M 6%");
	assert_int_equal(row.cell_role[7], SD_ROLE_WARNING);  /* 6 % left, under 10 % */
	assert_string_equal(row.cells[8], "-");              /* no filesystem series */
	assert_int_equal(row.cell_role[8], SD_ROLE_DEFAULT);
	assert_string_equal(row.cells[9], "2.0K/-");
	assert_string_equal(row.cells[11], "10.0.0.1");       /* ADDR after the figures */

	memset(&row, 0, sizeof(row));
	ops->row(&ui, snap, 1, &row);                        /* no series: dashes, not zeros */
	for (int c = 6; c <= 9; c++)
		assert_string_equal(row.cells[c], "-");

	/* without prometheus the pane has its usual nine columns */
	assert_int_equal(pane_nodes.ncolumns, 9);
	memset(&row, 0, sizeof(row));
	pane_nodes.row(&ui, snap, 0, &row);
	assert_string_equal(row.cells[6], "10.0.0.1");
	sd_snapshot_unref(snap);
}

static void test_alerts_pane(void **state)
{
	(void)state;
	struct sd_config config = {0};
	config.alertmanager.http.configured = true;
	struct ui ui = {.config = &config};
	struct sd_snapshot *snap = snapshot();
	const struct pane_ops *ops = &pane_alerts;
	/* the swarm finding, ServiceDown and the pending one: not the finding made of
	 * ServiceDown, nor the console's own SwarmdeckNodeDown */
	assert_int_equal(ops->count(&ui, snap), 3);
	struct pane_row row = {0};
	ops->row(&ui, snap, 0, &row);
	assert_string_equal(row.cells[2], "swarm");
	assert_string_equal(row.cells[6], "worker-1 is down");
	assert_null(pane_alerts_prom_at(snap, 0));
	assert_non_null(pane_alerts_finding_at(snap, 0));
	memset(&row, 0, sizeof(row));
	ops->row(&ui, snap, 1, &row);
	assert_string_equal(row.cells[0], "CRITICAL");
	assert_string_equal(row.cells[1], "firing");
	assert_string_equal(row.cells[2], "alertmanager");
	assert_string_equal(row.cells[3], "ServiceDown");
	assert_int_equal(row.role, SD_ROLE_CRITICAL);
	memset(&row, 0, sizeof(row));
	ops->row(&ui, snap, 2, &row);
	assert_string_equal(row.cells[3], "HighMemoryUsage");
	assert_int_equal(row.role, SD_ROLE_DIM);             /* pending: not yet a warning */
	assert_string_equal(pane_alerts_prom_at(snap, 2)->labels[0].value, "HighMemoryUsage");
	assert_null(pane_alerts_prom_at(snap, 3));
	char buf[256];
	ops->summary(&ui, snap, buf, sizeof(buf));
	assert_string_equal(buf, "1 finding  alertmanager: 1 firing, 1 pending");
	snap->alerts = NULL; /* static, not the arena's */
	snap->nalerts = 0;
	sd_snapshot_unref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_columns),
		cmocka_unit_test(test_alerts_pane),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
