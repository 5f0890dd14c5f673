/* pane_objects.c - pane 8, alone on the body: the Swarm's networks (driver, scope, attachable,
 * subnets), secrets and configs (created, updated; a config's size), each with the services
 * that use it. The model holds no secret value and no config data, so none can show here. */
#include "format.h"
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"KIND", 7, 0, false},      {"NAME", 14, 2, false},    {"SERVICES", 12, 5, false},
	{"DRIVER", 7, 0, false},    {"SCOPE", 5, 0, false},    {"ATTACHABLE", 10, 0, false},
	{"SUBNETS", 11, 1, false},  {"SIZE", 8, 0, true},      {"CREATED", 16, 0, false},
	{"UPDATED", 16, 0, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	return sw ? sw->nnetworks + sw->nsecrets + sw->nconfigs : 0;
}

static void join(char *buf, size_t len, const char **names, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", names[i]);
	if (!n)
		snprintf(buf, len, "-");
}

/* "2026-12-01 22:39" in local time; "-" for none. */
static void when(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (t <= 0 || !localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "-");
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (i < sw->nnetworks) {
		const struct sd_network *n = &sw->networks[i];
		snprintf(out->cells[0], PANE_CELL, "network");
		snprintf(out->cells[1], PANE_CELL, "%s", n->name);
		join(out->cells[2], PANE_CELL, n->services, n->nservices);
		snprintf(out->cells[3], PANE_CELL, "%s", *n->driver ? n->driver : "-");
		snprintf(out->cells[4], PANE_CELL, "%s", *n->scope ? n->scope : "-");
		snprintf(out->cells[5], PANE_CELL, "%s%s%s", n->attachable ? "yes" : "no",
			 n->ingress ? " ingress" : "", n->internal ? " internal" : "");
		join(out->cells[6], PANE_CELL, n->subnets, n->nsubnets);
		snprintf(out->cells[7], PANE_CELL, "-");
		when(n->created, out->cells[8], PANE_CELL);
		snprintf(out->cells[9], PANE_CELL, "-");
		snprintf(out->key, sizeof(out->key), "network:%s", n->id);
		if (!n->nservices)
			out->role = SD_ROLE_DIM;
		return;
	}
	i -= sw->nnetworks;
	bool config = i >= sw->nsecrets;
	const struct sd_swarm_object *x = config ? &sw->configs[i - sw->nsecrets] : &sw->secrets[i];
	snprintf(out->cells[0], PANE_CELL, "%s", config ? "config" : "secret");
	snprintf(out->cells[1], PANE_CELL, "%s", x->name);
	join(out->cells[2], PANE_CELL, x->services, x->nservices);
	for (int c = 3; c <= 6; c++)
		snprintf(out->cells[c], PANE_CELL, "-");
	if (config)
		fmt_bytes(x->size, out->cells[7], PANE_CELL);
	else
		snprintf(out->cells[7], PANE_CELL, "-");   /* a secret's value is never fetched */
	when(x->created, out->cells[8], PANE_CELL);
	when(x->updated, out->cells[9], PANE_CELL);
	snprintf(out->key, sizeof(out->key), "%s:%s", config ? "config" : "secret", x->id);
	if (!x->nservices)
		out->role = SD_ROLE_DIM;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (!snap->docker_status.answered)
		snprintf(buf, len, "waiting for the engine...");
	else if (!sw)
		snprintf(buf, len, "engine unreachable: %s", snap->docker_status.error);
	else if (sw->objects_error && *sw->objects_error)
		snprintf(buf, len, "cannot read the Swarm's objects: %s", sw->objects_error);
	else
		snprintf(buf, len, "no swarm networks, secrets or configs");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_swarm *sw = snap->swarm;
	if (!sw)
		return;
	int n = snprintf(buf, len, "%zu network%s  %zu secret%s  %zu config%s  (values never shown)",
			 sw->nnetworks, sw->nnetworks == 1 ? "" : "s", sw->nsecrets,
			 sw->nsecrets == 1 ? "" : "s", sw->nconfigs, sw->nconfigs == 1 ? "" : "s");
	if (sw->objects_error && *sw->objects_error && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "  %s", sw->objects_error);
}

const struct pane_ops pane_objects = {
	.name = "objects", .title = "Objects", .scope = SD_SCOPE_GENERIC,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.alone = true, .number = 8,
	.count = count, .row = row, .empty = empty, .summary = summary,
};
