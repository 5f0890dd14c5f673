/* pane_backups.c - backups on disk: kind, age, size, verification; RPO in the title. */
#include "format.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"KIND", 8, 0, false}, {"TIME", 19, 0, false}, {"AGE", 5, 0, false},
	{"SIZE", 9, 0, true},  {"VERIFIED", 8, 0, false}, {"FILE", 12, 3, false},
};

static bool shown(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)snap;
	return ui->config->backup.configured;
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->backups ? snap->backups->nitems : 0;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_backup *b = &snap->backups->items[i];
	struct tm tm;
	gmtime_r(&b->time, &tm);
	snprintf(out->cells[0], PANE_CELL, "%s", b->kind);
	strftime(out->cells[1], PANE_CELL, "%Y-%m-%d %H:%M:%S", &tm);
	fmt_age(b->time, out->cells[2], PANE_CELL);
	fmt_bytes(b->size, out->cells[3], PANE_CELL);
	snprintf(out->cells[4], PANE_CELL, "%s", b->verified);
	const char *base = strrchr(b->file, '/');
	snprintf(out->cells[5], PANE_CELL, "%s", base ? base + 1 : b->file);
	snprintf(out->key, sizeof(out->key), "%s", b->file);
	if (!strcmp(b->verified, "failed"))
		out->role = SD_ROLE_CRITICAL;
	else if (!strcmp(b->verified, "yes"))
		out->cell_role[4] = SD_ROLE_OK;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	snprintf(buf, len, "no backups in %s", ui->config->backup.dir ? ui->config->backup.dir : "?");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	if (snap->backups && snap->backups->running && *snap->backups->running)
		snprintf(buf, len, "running: %s", snap->backups->running);
}

const struct pane_ops pane_backups = {
	.name = "backups", .title = "Backups", .scope = SD_SCOPE_BACKUPS,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.shown = shown, .count = count, .row = row, .empty = empty, .summary = summary,
};
