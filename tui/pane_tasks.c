/* pane_tasks.c - the tasks of the selected service, or of a node after `open` on it. */
#include "format.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"TASK", 18, 2, false},  {"NODE", 10, 1, false}, {"DESIRED", 8, 0, false},
	{"STATE", 10, 0, false}, {"AGE", 5, 0, false},   {"ERROR", 10, 3, false},
};

/* the node's tasks, found once per snapshot (a generation of one cluster's core: the swarm
 * part tells the clusters apart) */
static struct {
	uint64_t generation;
	const struct sd_swarm *swarm;
	char node[128];
	const struct sd_task **tasks;
	size_t n, cap;
} node_tasks;

static const struct sd_service *subject_service(const struct ui *ui)
{
	if (ui->tasks_node[0] || !ui->snap->swarm)
		return NULL;
	return sd_swarm_service(ui->snap->swarm, ui_selected(ui, PANE_SERVICES));
}

static void context(const struct ui *ui, char *buf, size_t len)
{
	if (ui->tasks_node[0])
		snprintf(buf, len, "node:%s", ui->tasks_node);
	else
		snprintf(buf, len, "service:%s", ui_selected(ui, PANE_SERVICES));
}

static void find_node_tasks(const struct sd_snapshot *snap, const char *node)
{
	if (node_tasks.generation == snap->generation && node_tasks.swarm == snap->swarm &&
	    !strcmp(node_tasks.node, node))
		return;
	node_tasks.generation = snap->generation;
	node_tasks.swarm = snap->swarm;
	sd_strlcpy(node_tasks.node, node, sizeof(node_tasks.node));
	node_tasks.n = 0;
	const struct sd_swarm *sw = snap->swarm;
	struct sd_task_walk w = {0};
	for (const struct sd_task *t; (t = sd_swarm_next_task(sw, &w));) {
		if (strcmp(t->node_id, node) != 0)
			continue;
		if (node_tasks.n == node_tasks.cap) {
			node_tasks.cap = node_tasks.cap ? node_tasks.cap * 2 : 64;
			node_tasks.tasks = xrealloc(node_tasks.tasks,
						    node_tasks.cap * sizeof(*node_tasks.tasks));
		}
		node_tasks.tasks[node_tasks.n++] = t;
	}
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	if (!snap->swarm)
		return 0;
	if (ui->tasks_node[0]) {
		find_node_tasks(snap, ui->tasks_node);
		return node_tasks.n;
	}
	const struct sd_service *s = subject_service(ui);
	return s ? s->task_count : 0;
}

static const struct sd_task *task_at(const struct ui *ui, const struct sd_snapshot *snap, size_t i)
{
	if (ui->tasks_node[0]) {
		find_node_tasks(snap, ui->tasks_node);
		return node_tasks.tasks[i];
	}
	return &subject_service(ui)->tasks[i];
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	const struct sd_task *t = task_at(ui, snap, i);
	if (t->slot > 0)
		snprintf(out->cells[0], PANE_CELL, "%s.%ld", t->service, t->slot);
	else
		snprintf(out->cells[0], PANE_CELL, "%s.%.8s", t->service, t->node_id);
	snprintf(out->cells[1], PANE_CELL, "%s", *t->node ? t->node : "-");
	snprintf(out->cells[2], PANE_CELL, "%s", t->desired_state);
	snprintf(out->cells[3], PANE_CELL, "%s", t->state);
	fmt_age(t->since, out->cells[4], PANE_CELL);
	snprintf(out->cells[5], PANE_CELL, "%s", *t->error ? t->error : "");
	snprintf(out->key, sizeof(out->key), "%s", t->id);
	bool want_running = !strcmp(t->desired_state, "running");
	if (*t->error && want_running)
		out->role = SD_ROLE_CRITICAL;
	else if (want_running && strcmp(t->state, "running") != 0)
		out->role = SD_ROLE_WARNING;
	else if (!want_running)
		out->role = SD_ROLE_DIM;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	if (ui->tasks_node[0])
		snprintf(buf, len, "no tasks on this node");
	else if (!subject_service(ui))
		snprintf(buf, len, "select a service (or open a node) to see its tasks");
	else
		snprintf(buf, len, "no tasks");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	if (ui->tasks_node[0]) {
		const struct sd_node *n = sd_swarm_node(snap->swarm, ui->tasks_node);
		snprintf(buf, len, "of node %s  (Esc: back)", n ? n->hostname : ui->tasks_node);
		return;
	}
	const struct sd_service *s = subject_service(ui);
	if (s)
		snprintf(buf, len, "of %s", s->name);
}

const struct pane_ops pane_tasks = {
	.name = "tasks", .title = "Tasks", .scope = SD_SCOPE_TASKS,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary, .context = context,
};
