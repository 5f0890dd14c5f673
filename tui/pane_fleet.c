/* pane_fleet.c - pane 0, every cluster of the config on the whole body, a line each: can it be
 * reached, its managers and quorum, nodes down, services degraded or updating, the PostgreSQL
 * primary and worst lag, the Redis master and CKQUORUM, the RPO, Prometheus's firing alerts
 * and the overall level. `open` enters the selected cluster (ui_cluster.c). */
#include "format.h"
#include "ui.h"
#include "fleet.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"CLUSTER", 10, 1, false}, {"STATE", 11, 0, false},   {"MANAGERS", 8, 0, false},
	{"QUORUM", 6, 0, false},   {"DOWN", 4, 0, true},      {"SERVICES", 14, 0, false},
	{"PRIMARY", 10, 1, false}, {"LAG", 9, 0, false},      {"REDIS", 12, 1, false},
	{"CKQUORUM", 8, 0, false}, {"RPO", 8, 0, false},      {"ALERTS", 6, 0, true},
	{"LEVEL", 8, 0, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)snap;
	return ui_cluster_count(ui);
}

static enum sd_color_role level_role(enum sd_level level)
{
	return level == SD_CRITICAL  ? SD_ROLE_CRITICAL
	       : level == SD_WARNING ? SD_ROLE_WARNING
	       : level == SD_UNKNOWN ? SD_ROLE_UNKNOWN
				     : SD_ROLE_OK;
}

/* A count, or "-" when nothing is known. */
static void cell_int(char *cell, int n)
{
	if (n < 0)
		snprintf(cell, PANE_CELL, "-");
	else
		snprintf(cell, PANE_CELL, "%d", n);
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)snap;
	struct sd_fleet_line l;
	bool answered = ui_cluster_line(ui, i, &l);
	const char *name = ui_cluster_name(ui, i);
	char (*c)[PANE_CELL] = out->cells;
	snprintf(c[0], PANE_CELL, "%s%s", *name ? name : "-", i == ui_cluster_shown(ui) ? " *" : "");
	snprintf(c[1], PANE_CELL, "%s", !answered ? "waiting" : l.reachable ? "reachable" : "UNREACHABLE");
	if (l.managers >= 0)
		snprintf(c[2], PANE_CELL, "%d/%d", l.managers_reachable, l.managers);
	else
		snprintf(c[2], PANE_CELL, "-");
	snprintf(c[3], PANE_CELL, "%s", l.managers > 0 ? (l.quorum ? "ok" : "LOST") : "-");
	cell_int(c[4], l.nodes_down);
	if (l.services >= 0)
		snprintf(c[5], PANE_CELL, "%d/%d/%d", l.services, l.degraded, l.updating);
	else
		snprintf(c[5], PANE_CELL, "-");
	snprintf(c[6], PANE_CELL, "%s", *l.primary ? l.primary : ui_cluster_config(ui, i)->postgres.configured ? "NONE" : "-");
	if (l.worst_lag >= 0)
		fmt_bytes(l.worst_lag, c[7], PANE_CELL);
	else
		snprintf(c[7], PANE_CELL, "-");
	snprintf(c[8], PANE_CELL, "%s", *l.redis_master ? l.redis_master : "-");
	snprintf(c[9], PANE_CELL, "%s", l.ckquorum < 0 ? "-" : l.ckquorum ? "ok" : "FAILS");
	if (l.rpo_age >= 0) {
		char age[16];
		fmt_age(time(NULL) - (time_t)l.rpo_age, age, sizeof(age));
		snprintf(c[10], PANE_CELL, "%s%s", age, l.rpo_past ? " PAST" : "");
	} else
		snprintf(c[10], PANE_CELL, "%s", ui_cluster_config(ui, i)->backup.configured ? "none" : "-");
	cell_int(c[11], l.alerts_firing);
	snprintf(c[12], PANE_CELL, "%s", answered ? sd_level_name(l.level) : "-");
	snprintf(out->key, sizeof(out->key), "%s", name);
	out->role = !answered ? SD_ROLE_DIM : level_role(l.level);
	if (answered && !l.reachable)
		out->cell_role[1] = SD_ROLE_CRITICAL;
	if (l.managers > 0 && !l.quorum)
		out->cell_role[3] = SD_ROLE_CRITICAL;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui, (void)snap;
	snprintf(buf, len, "no cluster");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	size_t n = ui_cluster_count(ui), down = 0;
	for (size_t i = 0; i < n; i++) {
		struct sd_fleet_line l;
		down += ui_cluster_line(ui, i, &l) && !l.reachable;
	}
	snprintf(buf, len, "%zu cluster%s, %zu unreachable; on screen: %s", n, n == 1 ? "" : "s",
		 down, *ui_cluster_name(ui, ui_cluster_shown(ui)) ? ui_cluster_name(ui, ui_cluster_shown(ui)) : "-");
}

/* The other clusters' snapshots change the rows too. */
static void context(const struct ui *ui, char *buf, size_t len)
{
	ui_cluster_generations(ui, buf, len);
}

const struct pane_ops pane_fleet = {
	.name = "fleet", .title = "Fleet", .scope = SD_SCOPE_GENERIC, .alone = true, .number = 0,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary, .context = context,
};
