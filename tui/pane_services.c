/* pane_services.c - the Swarm's services: stack, replicas, image, update state, ports; and
 * the same pane grouped by stack (services.group): one row per stack with its health, where
 * `open` lists the stack's services (the filter stack:NAME) and `back` returns to the stacks.
 * The grouping is the pane's view showing pane_stacks' rows instead of pane_services'. */
#include "pane_services.h"
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "view_rollout.h"
#include "base/text.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"NAME", 16, 3, false},   {"STACK", 8, 1, false},   {"MODE", 10, 0, false},
	{"REPLICAS", 8, 0, false}, {"IMAGE", 12, 2, false}, {"UPDATE", 18, 0, false},
	{"PORTS", 8, 1, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->swarm ? snap->swarm->nservices : 0;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	const struct sd_service *s = snap->swarm->services[i];
	snprintf(out->cells[0], PANE_CELL, "%s", s->name);
	snprintf(out->cells[1], PANE_CELL, "%s", *s->stack ? s->stack : "-");
	snprintf(out->cells[2], PANE_CELL, "%s", s->mode);
	snprintf(out->cells[3], PANE_CELL, "%ld/%ld", s->running, s->desired);
	snprintf(out->cells[4], PANE_CELL, "%s", s->image);
	snprintf(out->cells[5], PANE_CELL, "%s", *s->update_state ? s->update_state : "-");
	/* a rollout under way (or stopped half way): the state cut to a word, a bar and its tasks
	 * updated, in the same cell ("updating ▇▇░ 2/3") */
	long done, total;
	const char *u = s->update_state;
	if ((!strcmp(u, "updating") || !strncmp(u, "rollback_", 9) || !strcmp(u, "paused")) &&
	    strcmp(u, "rollback_completed") != 0 &&
	    rollout_progress(snap->swarm, s, &done, &total)) {
		char bar[64];
		rollout_bar(done, total, 3, ui->utf8, bar, sizeof(bar));
		snprintf(out->cells[5], PANE_CELL, "%s %s %ld/%ld",
			 !strncmp(u, "rollback_", 9) ? "rollback" : u, bar, done, total);
	}
	size_t len = 0;
	for (size_t p = 0; p < s->nports && len < PANE_CELL; p++)
		len += (size_t)snprintf(out->cells[6] + len, PANE_CELL - len, "%s%ld:%ld/%s%s",
					p ? "," : "", s->ports[p].published, s->ports[p].target,
					s->ports[p].protocol,
					!strcmp(s->ports[p].mode, "host") ? "(host)" : "");
	snprintf(out->key, sizeof(out->key), "%s", s->id);
	if (s->desired > 0 && s->running == 0)
		out->role = SD_ROLE_CRITICAL;
	else if (s->running < s->desired)
		out->role = SD_ROLE_WARNING;
	if (!strcmp(u, "paused") || !strncmp(u, "rollback", 8))
		out->cell_role[5] = SD_ROLE_WARNING;
	else if (!strcmp(u, "updating"))
		out->cell_role[5] = SD_ROLE_UNKNOWN;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	if (!snap->docker_status.answered)
		snprintf(buf, len, "waiting for the engine...");
	else if (!snap->swarm)
		snprintf(buf, len, "engine unreachable: %s", snap->docker_status.error);
	else
		snprintf(buf, len, "no services");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (!sw)
		return;
	snprintf(buf, len, "%zu degraded  %zu updating", sw->totals.degraded, sw->totals.updating);
}

const struct pane_ops pane_services = {
	.name = "services", .title = "Services", .scope = SD_SCOPE_SERVICES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};

/* ---- grouped by stack ---- */

static const struct pane_column stack_columns[] = {
	{"STACK", 16, 3, false},  {"SERVICES", 8, 0, true}, {"DEGRADED", 8, 0, true},
	{"UPDATING", 8, 0, true}, {"REPLICAS", 9, 0, false}, {"HEALTH", 10, 1, false},
};

/* The services outside any stack, summed like a stack: what the "-" row shows (the
 * swarm's totals less every stack's). */
static struct sd_stack loose(const struct sd_swarm *sw)
{
	struct sd_stack st = sw->totals;
	st.name = "-";
	for (size_t i = 0; i < sw->nstacks; i++) {
		const struct sd_stack *k = &sw->stacks[i];
		st.services -= k->services;
		st.degraded -= k->degraded;
		st.updating -= k->updating;
		st.running -= k->running;
		st.desired -= k->desired;
	}
	return st;
}

static size_t stack_count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (!sw)
		return 0;
	return sw->nstacks + (loose(sw).services > 0);
}

static void stack_row(const struct ui *ui, const struct sd_snapshot *snap, size_t i,
		      struct pane_row *out)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	struct sd_stack st = i < sw->nstacks ? sw->stacks[i] : loose(sw);
	snprintf(out->cells[0], PANE_CELL, "%s", i < sw->nstacks ? st.name : "- (no stack)");
	snprintf(out->cells[1], PANE_CELL, "%zu", st.services);
	snprintf(out->cells[2], PANE_CELL, "%zu", st.degraded);
	snprintf(out->cells[3], PANE_CELL, "%zu", st.updating);
	snprintf(out->cells[4], PANE_CELL, "%ld/%ld", st.running, st.desired);
	snprintf(out->key, sizeof(out->key), "stack:%s", st.name);
	if (st.desired > 0 && st.running == 0) {
		snprintf(out->cells[5], PANE_CELL, "down");
		out->role = SD_ROLE_CRITICAL;
	} else if (st.degraded) {
		snprintf(out->cells[5], PANE_CELL, "degraded");
		out->role = SD_ROLE_WARNING;
	} else if (st.updating) {
		snprintf(out->cells[5], PANE_CELL, "updating");
		out->cell_role[5] = SD_ROLE_UNKNOWN;
	} else {
		snprintf(out->cells[5], PANE_CELL, "ok");
	}
	if (st.degraded)
		out->cell_role[2] = SD_ROLE_WARNING;
	if (st.updating)
		out->cell_role[3] = SD_ROLE_UNKNOWN;
}

static void stack_empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf,
			size_t len)
{
	if (snap->swarm && snap->swarm->nservices == 0)
		snprintf(buf, len, "no services, so no stacks");
	else
		empty(ui, snap, buf, len);
}

static void stack_summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf,
			  size_t len)
{
	summary(ui, snap, buf, len);
	size_t n = strlen(buf);
	if (snap->swarm)
		snprintf(buf + n, len - n, "  by stack: <Enter> its services");
}

const struct pane_ops pane_stacks = {
	.name = "services", .title = "Stacks", .scope = SD_SCOPE_SERVICES,
	.columns = stack_columns, .ncolumns = sizeof(stack_columns) / sizeof(stack_columns[0]),
	.count = stack_count, .row = stack_row, .empty = stack_empty, .summary = stack_summary,
};

bool services_grouped(const struct ui *ui)
{
	return ui->views[PANE_SERVICES].ops == &pane_stacks;
}

/* Show OPS's rows in the services view, selecting the row keyed SELECT ("" the first). */
static void show(struct ui *ui, const struct pane_ops *ops, const char *filter, const char *select)
{
	struct pane_view *view = &ui->views[PANE_SERVICES];
	view->ops = ops;
	view->sort_column = -1;
	view->cursor = view->top = 0;
	view->built = false;
	sd_strlcpy(view->filter, filter, sizeof(view->filter));
	sd_strlcpy(view->selected, select, sizeof(view->selected));
}

void services_group_toggle(struct ui *ui)
{
	ui->stack_opened = false;
	if (services_grouped(ui))
		show(ui, &pane_services, "", "");
	else
		show(ui, &pane_stacks, "", "");
}

bool services_open_stack(struct ui *ui)
{
	if (!services_grouped(ui))
		return false;
	const char *key = ui_selected(ui, PANE_SERVICES);
	if (strncmp(key, "stack:", 6) != 0)
		return true;   /* no stack row (none at all): nothing to open */
	char filter[128];
	snprintf(filter, sizeof(filter), "%s", key);
	show(ui, &pane_services, filter, "");
	sd_strlcpy(ui->stack_open, key, sizeof(ui->stack_open));
	ui->stack_opened = true;
	return true;
}

bool services_back_to_stacks(struct ui *ui)
{
	struct pane_view *view = &ui->views[PANE_SERVICES];
	if (!ui->stack_opened || services_grouped(ui))
		return false;
	ui->stack_opened = false;
	if (strcmp(view->filter, ui->stack_open) != 0)
		return false;   /* the operator filtered on: Esc clears that first */
	show(ui, &pane_stacks, "", ui->stack_open);
	return true;
}
