/* ui_cluster.c - the console over several clusters: the fleet behind the fleet view (pane 0),
 * `open` on a cluster's line and cluster.switch's chooser, which put another cluster on
 * screen without a restart. Without a fleet (tests, one core) the console is one cluster. */
#include "fleet.h"
#include "textview.h"
#include "ui.h"
#include "view_pg.h"
#include "base/text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

void ui_set_fleet(struct ui *ui, struct sd_fleet *fleet) { ui->fleet = fleet; }

size_t ui_cluster_count(const struct ui *ui) { return ui->fleet ? sd_fleet_count(ui->fleet) : 1; }
size_t ui_cluster_shown(const struct ui *ui) { return ui->fleet ? sd_fleet_shown(ui->fleet) : 0; }

const char *ui_cluster_name(const struct ui *ui, size_t i)
{
	if (ui->fleet)
		return sd_fleet_name(ui->fleet, i);
	return ui->config->cluster_name ? ui->config->cluster_name : "";
}

const struct sd_config *ui_cluster_config(const struct ui *ui, size_t i)
{
	return ui->fleet ? sd_fleet_config(ui->fleet, i) : ui->config;
}

/* Cluster I's newest snapshot (a reference): the one on screen is the one drawn. */
static struct sd_snapshot *cluster_snapshot(const struct ui *ui, size_t i)
{
	if (!ui->fleet || i == sd_fleet_shown(ui->fleet))
		return sd_part_ref(ui->snap);
	return sd_core_snapshot(sd_fleet_core(ui->fleet, i));
}

bool ui_cluster_line(const struct ui *ui, size_t i, struct sd_fleet_line *out)
{
	struct sd_snapshot *s = cluster_snapshot(ui, i);
	sd_fleet_summarize(s, ui_cluster_config(ui, i), time(NULL), out);
	bool answered = s->docker_status.answered;
	sd_snapshot_unref(s);
	return answered;
}

void ui_cluster_generations(const struct ui *ui, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ui_cluster_count(ui) && n + 24 < len; i++) {
		struct sd_snapshot *s = cluster_snapshot(ui, i);
		n += (size_t)snprintf(buf + n, len - n, "%llu ", (unsigned long long)s->generation);
		sd_snapshot_unref(s);
	}
}

/* Put cluster I on screen: the views start afresh, as in a console started on it. */
void ui_cluster_switch(struct ui *ui, size_t i)
{
	if (!ui->fleet || i >= sd_fleet_count(ui->fleet))
		return;
	if (i == sd_fleet_shown(ui->fleet)) {
		ui->focus = ui->focus == PANE_FLEET ? ui->alone_from : ui->focus;
		return;
	}
	textview_free(ui->text);
	ui->text = NULL;
	pgview_free(ui);
	ui->mode = UI_NORMAL;
	sd_fleet_show(ui->fleet, i);
	ui->core = sd_fleet_core(ui->fleet, i);
	ui->config = sd_fleet_config(ui->fleet, i);
	ui_reset_views(ui);
	sd_snapshot_unref(ui->snap);
	ui->snap = sd_core_snapshot(ui->core);
	sd_core_message(ui->core, SD_OK, "cluster %s%s", sd_fleet_name(ui->fleet, i),
			ui->config->protected_cluster ? " (PROTECTED: every change asks for its target's name)" : "");
	ui_update(ui);
	ui->dirty = true;
}

void ui_cluster_open(struct ui *ui)
{
	const char *name = ui_selected(ui, PANE_FLEET);
	for (size_t i = 0; i < ui_cluster_count(ui); i++)
		if (strcmp(ui_cluster_name(ui, i), name) == 0) {
			ui_cluster_switch(ui, i);
			return;
		}
}

/* ---- cluster.switch: the chooser on the status line ---- */

void ui_cluster_choose(struct ui *ui)
{
	if (ui_cluster_count(ui) < 2) {
		sd_core_message(ui->core, SD_WARNING, "the config names one cluster: nothing to switch to "
				"(clusters: in the config names several)");
		ui_update(ui);
		return;
	}
	ui->input[0] = '\0';
	ui->mode = UI_CHOOSE;
}

void ui_cluster_choose_line(const struct ui *ui, char *buf, size_t len)
{
	int n = snprintf(buf, len, "cluster (");
	for (size_t i = 0; i < ui_cluster_count(ui) && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s%s", i ? ", " : "", ui_cluster_name(ui, i));
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "; Enter alone: the next): %s", ui->input);
}

/* The cluster INPUT names: its whole name, else the one name it begins (-1: none or several). */
static int chosen(const struct ui *ui, const char *input)
{
	size_t n = ui_cluster_count(ui), len = strlen(input);
	if (!len)
		return (int)((ui_cluster_shown(ui) + 1) % n);
	int found = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ui_cluster_name(ui, i), input) == 0)
			return (int)i;
		if (strncmp(ui_cluster_name(ui, i), input, len) == 0)
			found = found == -1 ? (int)i : -2;
	}
	return found;
}

/* Enter: the cluster chosen; Esc cancels; other keys edit the name (ui.c's editing). */
bool ui_cluster_choose_enter(struct ui *ui)
{
	char input[sizeof(ui->input)];
	sd_strlcpy(input, ui->input, sizeof(input));
	ui->input[0] = '\0';
	ui->mode = UI_NORMAL;
	int i = chosen(ui, input);
	if (i < 0) {
		sd_core_message(ui->core, SD_WARNING, "no cluster %s '%s'",
				i == -1 ? "is named" : "alone begins with", input);
		ui_update(ui);
		return false;
	}
	ui_cluster_switch(ui, (size_t)i);
	return true;
}
