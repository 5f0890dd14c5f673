/* pane_backups.c - the backups, each once: kind, age, size, the local verification, where its
 * copies are (local, remote, both) and the remote copy's verification; the title says what
 * runs (with a progress bar), the last failure, and the remote: its retention, or its
 * answer when it is down. */
#include "format.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"KIND", 8, 0, false}, {"TIME", 19, 0, false}, {"AGE", 5, 0, false},
	{"SIZE", 9, 0, true},  {"VERIFIED", 8, 0, false}, {"COPIES", 6, 0, false},
	{"OFFSITE", 7, 0, false}, {"FILE", 12, 3, false},
};

static const struct sd_backup_copy *copy_at(const struct sd_backup *b, const char *where)
{
	for (size_t i = 0; i < b->ncopies; i++)
		if (!strcmp(b->copies[i].where, where))
			return &b->copies[i];
	return NULL;
}

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
	const struct sd_backup_copy *local = copy_at(b, "local"), *remote = copy_at(b, "remote");
	snprintf(out->cells[4], PANE_CELL, "%s", local ? local->verified : "-");
	snprintf(out->cells[5], PANE_CELL, "%s", local && remote ? "both" : remote ? "remote" : "local");
	snprintf(out->cells[6], PANE_CELL, "%s", remote ? remote->verified : "-");
	const char *base = strrchr(b->file, '/');
	snprintf(out->cells[7], PANE_CELL, "%s", base ? base + 1 : b->file);
	snprintf(out->key, sizeof(out->key), "%s", b->file);
	if ((local && !strcmp(local->verified, "failed")) || (remote && !strcmp(remote->verified, "failed")))
		out->role = SD_ROLE_CRITICAL;
	if (local && !strcmp(local->verified, "yes"))
		out->cell_role[4] = SD_ROLE_OK;
	if (remote && !strcmp(remote->verified, "yes"))
		out->cell_role[6] = SD_ROLE_OK;
	else if (remote)
		out->cell_role[6] = SD_ROLE_WARNING;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	snprintf(buf, len, "no backups in %s", ui->config->backup.dir ? ui->config->backup.dir : "?");
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_backups *b = snap->backups;
	buf[0] = '\0';
	if (!b)
		return;
	size_t used = 0;
	if (b->running && *b->running) {
		bool failed = !strncmp(b->running, "failed", 6);
		used += (size_t)snprintf(buf, len, "%s%s", failed ? "" : "running: ", b->running);
		if (!failed && b->progress >= 0 && used < len) {
			/* [#####-----] */
			char bar[16];
			int full = (int)(b->progress * 10 + 0.5);
			for (int i = 0; i < 10; i++)
				bar[i] = i < full ? '#' : '-';
			bar[10] = '\0';
			used += (size_t)snprintf(buf + used, len - used, " [%s]", bar);
		}
	}
	if (b->remote_configured && used < len) {
		if (b->remote_error && *b->remote_error)
			snprintf(buf + used, len - used, "%sremote DOWN: %s", used ? " · " : "", b->remote_error);
		else
			snprintf(buf + used, len - used, "%sremote keeps %ld d", used ? " · " : "",
				 b->remote_retention_days);
	}
}

const struct pane_ops pane_backups = {
	.name = "backups", .title = "Backups", .scope = SD_SCOPE_BACKUPS,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.shown = shown, .count = count, .row = row, .empty = empty, .summary = summary,
};
