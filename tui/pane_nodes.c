/* pane_nodes.c - the Swarm's nodes: role, availability, state, manager status, engine; with
 * prometheus configured, node_exporter's CPU (and its history), memory, root disk and network
 * per node too (pane_nodes_metrics: the same rows with four more columns, `-` where a series
 * is missing, never a zero). */
#include "format.h"
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"HOSTNAME", 12, 3, false}, {"ROLE", 7, 0, false},    {"AVAIL", 6, 0, false},
	{"STATE", 7, 0, false},     {"MANAGER", 11, 0, false}, {"ENGINE", 8, 1, false},
	{"ADDR", 15, 1, false},     {"TASKS", 5, 0, true},     {"LABELS", 6, 2, false},
};

/* The figures come before the engine and address, which give way first when narrow. */
static const struct pane_column metric_columns[] = {
	{"HOSTNAME", 12, 3, false}, {"ROLE", 7, 0, false},    {"AVAIL", 6, 0, false},
	{"STATE", 7, 0, false},     {"MANAGER", 9, 0, false},  {"TASKS", 5, 0, true},
	{"CPU", 11, 0, true},       {"MEMFREE", 8, 0, true},   {"DISKFREE", 8, 0, true},
	{"NET RX/TX", 9, 0, true},  {"ENGINE", 8, 1, false},   {"ADDR", 15, 1, false},
	{"LABELS", 6, 2, false},
};

enum { M_CPU = 6, M_MEM, M_DISK, M_NET, M_ENGINE, M_ADDR, M_LABELS };

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->swarm ? snap->swarm->nnodes : 0;
}

/* "1.2G", "340K", "17B": sizes that fit a narrow column. */
static void compact(double v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	int u = 0;
	while (v >= 1000 && u < 5)
		v /= 1024, u++;
	if (u == 0 || v >= 10)
		snprintf(buf, len, "%.0f%c", v, units[u]);
	else
		snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* "1.2G 15%": what is left of TOTAL, and its share; "-" when the series is missing. */
static void free_cell(double left, double total, char *buf, size_t len)
{
	if (isnan(left)) {
		snprintf(buf, len, "-");
		return;
	}
	char size[16];
	compact(left, size, sizeof(size));
	if (isnan(total) || total <= 0)
		snprintf(buf, len, "%s", size);
	else
		snprintf(buf, len, "%s %.0f%%", size, 100.0 * left / total);
}

static bool below(double left, double total, double percent)
{
	return !isnan(left) && !isnan(total) && total > 0 && percent > 0 &&
	       100.0 * left / total < percent;
}

static void metric_cells(const struct ui *ui, const struct sd_snapshot *snap,
			 const struct sd_node *n, struct pane_row *out)
{
	const struct sd_node_metrics *m = sd_prom_node(snap->prom, n->hostname);
	if (!m) {
		for (int c = M_CPU; c <= M_NET; c++)
			snprintf(out->cells[c], PANE_CELL, "-");
		return;
	}
	if (isnan(m->cpu_busy)) {
		snprintf(out->cells[M_CPU], PANE_CELL, "-");
	} else {
		char spark[64];
		fmt_sparkline(m->cpu_history, m->nhistory, 6, 100, ui->utf8, spark, sizeof(spark));
		snprintf(out->cells[M_CPU], PANE_CELL, "%3.0f%% %s", m->cpu_busy, spark);
	}
	free_cell(m->mem_available, m->mem_total, out->cells[M_MEM], PANE_CELL);
	free_cell(m->disk_free, m->disk_size, out->cells[M_DISK], PANE_CELL);
	if (isnan(m->net_rx) && isnan(m->net_tx)) {
		snprintf(out->cells[M_NET], PANE_CELL, "-");
	} else {
		char rx[16] = "-", tx[16] = "-";
		if (!isnan(m->net_rx))
			compact(m->net_rx, rx, sizeof(rx));
		if (!isnan(m->net_tx))
			compact(m->net_tx, tx, sizeof(tx));
		snprintf(out->cells[M_NET], PANE_CELL, "%s/%s", rx, tx);
	}
	/* the thresholds that make findings (prometheus.thresholds) colour their cell */
	const struct sd_config *c = ui->config;
	if (!isnan(m->cpu_busy) && c->prometheus.cpu_percent > 0 &&
	    m->cpu_busy > c->prometheus.cpu_percent)
		out->cell_role[M_CPU] = SD_ROLE_WARNING;
	if (below(m->mem_available, m->mem_total, c->prometheus.memory_available_percent))
		out->cell_role[M_MEM] = SD_ROLE_WARNING;
	if (below(m->disk_free, m->disk_size, c->prometheus.disk_free_percent))
		out->cell_role[M_DISK] = SD_ROLE_WARNING;
}

static void labels_cell(const struct sd_node *n, char *buf)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t l = 0; l < n->nlabels && len < PANE_CELL; l++)
		len += (size_t)snprintf(buf + len, PANE_CELL - len, "%s%s=%s", l ? "," : "",
					n->labels[l].key, n->labels[l].value);
}

static void fill(const struct ui *ui, const struct sd_snapshot *snap, size_t i,
		 struct pane_row *out, bool metrics)
{
	const struct sd_node *n = &snap->swarm->nodes[i];
	snprintf(out->cells[0], PANE_CELL, "%s", n->hostname);
	snprintf(out->cells[1], PANE_CELL, "%s", n->role);
	snprintf(out->cells[2], PANE_CELL, "%s", n->availability);
	snprintf(out->cells[3], PANE_CELL, "%s", n->state);
	snprintf(out->cells[4], PANE_CELL, "%s", *n->manager ? n->manager : "-");
	int engine = metrics ? M_ENGINE : 5, addr = metrics ? M_ADDR : 6;
	snprintf(out->cells[engine], PANE_CELL, "%s", n->engine);
	snprintf(out->cells[addr], PANE_CELL, "%s", n->addr);
	snprintf(out->cells[metrics ? 5 : 7], PANE_CELL, "%d", n->tasks);
	labels_cell(n, out->cells[metrics ? M_LABELS : 8]);
	if (metrics)
		metric_cells(ui, snap, n, out);
	snprintf(out->key, sizeof(out->key), "%s", n->id);
	bool manager = !strcmp(n->role, "manager");
	if (strcmp(n->state, "ready") != 0 || !strcmp(n->manager, "unreachable"))
		out->role = manager ? SD_ROLE_CRITICAL : SD_ROLE_WARNING;
	else if (strcmp(n->availability, "active") != 0)
		out->role = SD_ROLE_WARNING;
	if (!strcmp(n->manager, "leader"))
		out->cell_role[4] = SD_ROLE_OK;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	fill(ui, snap, i, out, false);
}

static void metric_row(const struct ui *ui, const struct sd_snapshot *snap, size_t i,
		       struct pane_row *out)
{
	fill(ui, snap, i, out, true);
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	if (snap->docker_status.answered && !snap->docker_status.reachable)
		snprintf(buf, len, "engine unreachable: %s", snap->docker_status.error);
	else if (!snap->docker_status.answered)
		snprintf(buf, len, "waiting for the engine...");
	else
		snprintf(buf, len, "no nodes (is this engine part of a swarm?)");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (!sw)
		return;
	int n = snprintf(buf, len, "managers %d/%d  quorum %d  leader %s%s", sw->managers_reachable,
			 sw->managers, sw->managers / 2 + 1,
			 sw->leader && *sw->leader ? sw->leader : "NONE",
			 snap->docker_status.reachable ? "" : "  STALE");
	if (snap->vip_status.configured && snap->vip && n >= 0 && (size_t)n < len) /* front door */
		n += snprintf(buf + n, len - (size_t)n, "  vip %s",
			      *snap->vip->holder ? snap->vip->holder : "NONE");
	/* figures that cannot be read are said once here, not as zeros in every row */
	const struct sd_prom *p = snap->prom;
	if (ui->views[PANE_NODES].ops == &pane_nodes_metrics && n > 0 && (size_t)n < len) {
		if (!p)
			snprintf(buf + n, len - (size_t)n, "  metrics: %s",
				 snap->prom_status.answered ? snap->prom_status.error : "waiting");
		else if (p->metrics_error && *p->metrics_error)
			snprintf(buf + n, len - (size_t)n, "  metrics: %s", p->metrics_error);
	}
}

const struct pane_ops pane_nodes = {
	.name = "nodes", .title = "Nodes", .scope = SD_SCOPE_NODES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};

const struct pane_ops pane_nodes_metrics = {
	.name = "nodes", .title = "Nodes", .scope = SD_SCOPE_NODES,
	.columns = metric_columns, .ncolumns = sizeof(metric_columns) / sizeof(metric_columns[0]),
	.count = count, .row = metric_row, .empty = empty, .summary = summary,
};
