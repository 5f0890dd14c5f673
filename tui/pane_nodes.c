/* pane_nodes.c - the Swarm's nodes: role, availability, state, manager status, engine. */
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"HOSTNAME", 12, 3, false}, {"ROLE", 7, 0, false},    {"AVAIL", 6, 0, false},
	{"STATE", 7, 0, false},     {"MANAGER", 11, 0, false}, {"ENGINE", 8, 1, false},
	{"ADDR", 15, 1, false},     {"TASKS", 5, 0, true},     {"LABELS", 6, 2, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->swarm ? snap->swarm->nnodes : 0;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_node *n = &snap->swarm->nodes[i];
	snprintf(out->cells[0], PANE_CELL, "%s", n->hostname);
	snprintf(out->cells[1], PANE_CELL, "%s", n->role);
	snprintf(out->cells[2], PANE_CELL, "%s", n->availability);
	snprintf(out->cells[3], PANE_CELL, "%s", n->state);
	snprintf(out->cells[4], PANE_CELL, "%s", *n->manager ? n->manager : "-");
	snprintf(out->cells[5], PANE_CELL, "%s", n->engine);
	snprintf(out->cells[6], PANE_CELL, "%s", n->addr);
	snprintf(out->cells[7], PANE_CELL, "%d", n->tasks);
	size_t len = 0;
	for (size_t l = 0; l < n->nlabels && len < PANE_CELL; l++)
		len += (size_t)snprintf(out->cells[8] + len, PANE_CELL - len, "%s%s=%s", l ? "," : "",
					n->labels[l].key, n->labels[l].value);
	snprintf(out->key, sizeof(out->key), "%s", n->id);
	bool manager = !strcmp(n->role, "manager");
	if (strcmp(n->state, "ready") != 0 || !strcmp(n->manager, "unreachable"))
		out->role = manager ? SD_ROLE_CRITICAL : SD_ROLE_WARNING;
	else if (strcmp(n->availability, "active") != 0)
		out->role = SD_ROLE_WARNING;
	if (!strcmp(n->manager, "leader"))
		out->cell_role[4] = SD_ROLE_OK;
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
		snprintf(buf + n, len - (size_t)n, "  vip %s",
			 *snap->vip->holder ? snap->vip->holder : "NONE");
}

const struct pane_ops pane_nodes = {
	.name = "nodes", .title = "Nodes", .scope = SD_SCOPE_NODES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};
