/* pane_events.c - pane 7, the timeline: one history of the stack, newest first (the
 * snapshot's events, core/timeline.h). Drawn alone on the whole body; filter and sort as in
 * every pane; <Esc> goes back to the grid pane it came from. */
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"TIME", 19, 0, false}, {"SOURCE", 8, 0, false}, {"KIND", 18, 0, false},
	{"TARGET", 14, 1, false}, {"MESSAGE", 20, 5, false},
};

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->events ? snap->events->n : 0;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The colour of an event: what went wrong, what came back, the rest plain. */
static enum sd_color_role event_role(const struct sd_event *e)
{
	const char *k = e->kind, *m = e->message;
	if (!strcmp(e->source, "audit"))
		return strstr(m, " failed") || strstr(m, " refused") ? SD_ROLE_WARNING
								     : SD_ROLE_DEFAULT;
	if (!strcmp(k, "node-state"))
		return starts(m, "ready") ? SD_ROLE_OK : SD_ROLE_CRITICAL;
	if (!strcmp(k, "task-failed") || !strcmp(k, "member-lost") || !strcmp(k, "odown") ||
	    !strcmp(k, "backup-verify-failed"))
		return SD_ROLE_CRITICAL;
	if (!strcmp(k, "sdown") || !strcmp(k, "node-availability") ||
	    (!strcmp(k, "lag") && starts(m, "above")) ||
	    (!strcmp(k, "service-update") && (starts(m, "paused") || starts(m, "rollback"))))
		return SD_ROLE_WARNING;
	if (!strcmp(k, "member-back") || !strcmp(k, "switch-master") || !strcmp(k, "-sdown") ||
	    !strcmp(k, "-odown") || !strcmp(k, "backup-verified") || !strcmp(k, "backup-taken") ||
	    (!strcmp(k, "service-update") && starts(m, "completed")))
		return SD_ROLE_OK;
	return SD_ROLE_DEFAULT;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_event *e = &snap->events->items[i];
	time_t t = (time_t)e->time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out->cells[0], PANE_CELL, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out->cells[1], PANE_CELL, "%s", e->source);
	snprintf(out->cells[2], PANE_CELL, "%s", e->kind);
	snprintf(out->cells[3], PANE_CELL, "%s", *e->target ? e->target : "-");
	snprintf(out->cells[4], PANE_CELL, "%s", e->message);
	snprintf(out->key, sizeof(out->key), "%.3f %.40s %.60s", e->time, e->kind, e->target);
	out->role = event_role(e);
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	snprintf(buf, len, "nothing has happened yet (the timeline is kept in %s)",
		 ui->config->timeline.path ? ui->config->timeline.path : "the state folder");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	size_t n = snap->events ? snap->events->n : 0;
	if (!n) {
		snprintf(buf, len, "no events");
		return;
	}
	char when[32];
	time_t t = (time_t)snap->events->items[0].time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%zu event%s, newest %s", n, n == 1 ? "" : "s", when);
}

const struct pane_ops pane_events = {
	.name = "events", .title = "Timeline", .scope = SD_SCOPE_GENERIC, .alone = true,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.count = count, .row = row, .empty = empty, .summary = summary,
};
