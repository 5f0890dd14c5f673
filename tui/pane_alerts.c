/* pane_alerts.c - pane 9, everything that is wrong now, on the whole body: the console's own
 * findings (what the header's alerts line sums up), then the alerts Prometheus or
 * Alertmanager report as firing or pending, with their labels and annotations behind
 * `inspect`. The findings this console pushed to Alertmanager are not listed twice. */
#include "format.h"
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"LEVEL", 8, 0, false},  {"STATE", 8, 0, false},  {"SOURCE", 10, 0, false},
	{"NAME", 14, 1, false},  {"TARGET", 14, 1, false}, {"SINCE", 5, 0, false},
	{"MESSAGE", 20, 5, false},
};

/* The findings shown: all but those made of Prometheus's alerts, listed with their labels
 * below instead. */
static bool finding_shown(const struct sd_alert *a)
{
	return strcmp(a->source, "prometheus") != 0;
}

static size_t nfindings(const struct sd_snapshot *snap)
{
	size_t n = 0;
	for (size_t i = 0; i < snap->nalerts; i++)
		n += finding_shown(&snap->alerts[i]);
	return n;
}

const struct sd_alert *pane_alerts_finding_at(const struct sd_snapshot *snap, size_t index)
{
	for (size_t i = 0; i < snap->nalerts; i++)
		if (finding_shown(&snap->alerts[i]) && index-- == 0)
			return &snap->alerts[i];
	return NULL;
}

const struct sd_prom_alert *pane_alerts_prom_at(const struct sd_snapshot *snap, size_t index)
{
	size_t n = nfindings(snap);
	if (index < n || !snap->prom)
		return NULL;
	index -= n;
	for (size_t i = 0; i < snap->prom->nalerts; i++)
		if (!snap->prom->alerts[i].own && index-- == 0)
			return &snap->prom->alerts[i];
	return NULL;
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	size_t n = nfindings(snap);
	for (size_t i = 0; snap->prom && i < snap->prom->nalerts; i++)
		n += !snap->prom->alerts[i].own;
	return n;
}

static enum sd_color_role level_role(enum sd_level level)
{
	return level == SD_CRITICAL  ? SD_ROLE_CRITICAL
	       : level == SD_WARNING ? SD_ROLE_WARNING
	       : level == SD_UNKNOWN ? SD_ROLE_UNKNOWN
				     : SD_ROLE_DEFAULT;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_alert *f = pane_alerts_finding_at(snap, i);
	if (f) {
		snprintf(out->cells[0], PANE_CELL, "%s", sd_level_name(f->level));
		snprintf(out->cells[1], PANE_CELL, "-");
		snprintf(out->cells[2], PANE_CELL, "%s", f->source);
		snprintf(out->cells[3], PANE_CELL, "%s", f->kind && *f->kind ? f->kind : "-");
		snprintf(out->cells[4], PANE_CELL, "%s", f->target && *f->target ? f->target : "-");
		snprintf(out->cells[5], PANE_CELL, "-");
		snprintf(out->cells[6], PANE_CELL, "%s", f->message);
		snprintf(out->key, sizeof(out->key), "finding %.40s %.80s", f->source,
			 f->target ? f->target : "");
		out->role = level_role(f->level);
		return;
	}
	const struct sd_prom_alert *a = pane_alerts_prom_at(snap, i);
	if (!a)
		return;
	snprintf(out->cells[0], PANE_CELL, "%s", sd_level_name(a->level));
	snprintf(out->cells[1], PANE_CELL, "%s", a->state);
	snprintf(out->cells[2], PANE_CELL, "%s", snap->prom->alerts_from);
	snprintf(out->cells[3], PANE_CELL, "%s", a->name);
	snprintf(out->cells[4], PANE_CELL, "%s", a->target && *a->target ? a->target : "-");
	fmt_age(a->since, out->cells[5], PANE_CELL);
	snprintf(out->cells[6], PANE_CELL, "%s", a->summary);
	snprintf(out->key, sizeof(out->key), "alert %.50s %.60s %ld", a->name,
		 a->target ? a->target : "", (long)a->since);
	/* a pending alert is not yet the level its severity says */
	out->role = strcmp(a->state, "firing") ? SD_ROLE_DIM : level_role(a->level);
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	const struct sd_config *c = ui->config;
	if (snap->prom && snap->prom->alerts_error && *snap->prom->alerts_error)
		snprintf(buf, len, "nothing found here; alerts cannot be read: %s",
			 snap->prom->alerts_error);
	else if (!c->prometheus.http.configured && !c->alertmanager.http.configured)
		snprintf(buf, len, "nothing is wrong (no prometheus or alertmanager configured)");
	else
		snprintf(buf, len, "nothing is wrong, and no alert fires");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	size_t firing = 0, pending = 0;
	const struct sd_prom *p = snap->prom;
	for (size_t i = 0; p && i < p->nalerts; i++) {
		if (p->alerts[i].own)
			continue;
		if (!strcmp(p->alerts[i].state, "firing"))
			firing++;
		else
			pending++;
	}
	int n = snprintf(buf, len, "%zu finding%s", nfindings(snap), nfindings(snap) == 1 ? "" : "s");
	if (p && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, "  %s: %zu firing, %zu pending",
			      *p->alerts_from ? p->alerts_from : "alerts", firing, pending);
	if (p && p->pushed && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "  %zu pushed", p->pushed);
}

const struct pane_ops pane_alerts = {
	.name = "alerts", .title = "Alerts", .scope = SD_SCOPE_GENERIC, .alone = true, .number = 9,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};
