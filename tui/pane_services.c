/* pane_services.c - the Swarm's services: replicas, image, update state, ports. */
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "view_rollout.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"NAME", 16, 3, false},  {"MODE", 10, 0, false},  {"REPLICAS", 8, 0, false},
	{"IMAGE", 12, 2, false}, {"UPDATE", 18, 0, false}, {"ROLLOUT", 8, 0, false},
	{"PORTS", 8, 1, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->swarm ? snap->swarm->nservices : 0;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	const struct sd_service *s = &snap->swarm->services[i];
	snprintf(out->cells[0], PANE_CELL, "%s", s->name);
	snprintf(out->cells[1], PANE_CELL, "%s", s->mode);
	snprintf(out->cells[2], PANE_CELL, "%ld/%ld", s->running, s->desired);
	snprintf(out->cells[3], PANE_CELL, "%s", s->image);
	snprintf(out->cells[4], PANE_CELL, "%s", *s->update_state ? s->update_state : "-");
	/* a rollout under way (or stopped half way): its tasks updated and a bar */
	long done, total;
	const char *u = s->update_state;
	if ((!strcmp(u, "updating") || !strncmp(u, "rollback_", 9) || !strcmp(u, "paused")) &&
	    strcmp(u, "rollback_completed") != 0 &&
	    rollout_progress(snap->swarm, s, &done, &total)) {
		char bar[64];
		rollout_bar(done, total, 3, ui->utf8, bar, sizeof(bar));
		snprintf(out->cells[5], PANE_CELL, "%s %ld/%ld", bar, done, total);
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
		out->cell_role[4] = SD_ROLE_WARNING;
	else if (!strcmp(u, "updating"))
		out->cell_role[4] = SD_ROLE_UNKNOWN;
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
	size_t degraded = 0, updating = 0;
	for (size_t i = 0; i < sw->nservices; i++) {
		degraded += sw->services[i].running < sw->services[i].desired;
		updating += !strcmp(sw->services[i].update_state, "updating") ||
			    !strncmp(sw->services[i].update_state, "rollback_st", 11);
	}
	snprintf(buf, len, "%zu degraded  %zu updating", degraded, updating);
}

const struct pane_ops pane_services = {
	.name = "services", .title = "Services", .scope = SD_SCOPE_SERVICES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};
