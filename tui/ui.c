/* ui.c - the screen: layout of the header, alerts, panes and status line; the key state
 * machine (normal, filter, prompt, confirmation, help); keys resolve to registry entries,
 * mutating ones go to the core and navigation ones to the handlers bound here. */
#include "ui.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "base/text.h"
#include "conf/keys.h"
#include "format.h"
#include "header_vip.h"
#include "model/health.h"
#include "pane_services.h"
#include "record.h"
#include "table.h"
#include "term.h"
#include "view_pg.h"
#include "views.h"
#include "base/xalloc.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t ui_interrupted;

#define MIN_COLS 80
#define MIN_LINES 24

static const struct pane_ops *const pane_table[PANE_COUNT] = {
	&pane_nodes, &pane_services, &pane_tasks, &pane_postgres, &pane_redis, &pane_backups,
	&pane_events, &pane_objects, &pane_sessions, &pane_alerts, &pane_fleet,
};

const char *ui_line(const struct ui *ui) { return term_line(ui->utf8); }

enum sd_color_role ui_border_role(const struct ui *ui)
{
	return ui->config->protected_cluster ? SD_ROLE_PROTECTED : SD_ROLE_BORDER;
}

char *ui_screen_text(void) { return term_screen_text(); }

/* What the table view is given to build and draw a pane. */
static struct pane_env pane_env(const struct ui *ui)
{
	return (struct pane_env){.ui = ui, .snap = ui->snap, .utf8 = ui->utf8,
				 .border = ui_border_role(ui)};
}

void ui_init(struct ui *ui, struct sd_core *core, const struct sd_config *config,
	     const struct sd_keymap *keymap, const struct sd_theme *theme)
{
	memset(ui, 0, sizeof(*ui));
	ui->core = core;
	ui->config = config;
	ui->keymap = keymap;
	ui->theme = theme;
	ui->snap = sd_core_snapshot(core);
	ui_reset_views(ui);
	snprintf(ui->screen_dir, sizeof(ui->screen_dir), ".");
}

void ui_reset_views(struct ui *ui)
{
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane_view *v = &ui->views[i];
		size_t *rows = v->rows, cap = v->cap;
		*v = (struct pane_view){.ops = pane_table[i], .sort_column = -1, .rows = rows, .cap = cap};
	}
	if (ui->config->prometheus.http.configured) /* node_exporter's figures as columns */
		ui->views[PANE_NODES].ops = &pane_nodes_metrics;
	ui->focus = PANE_SERVICES;
	ui->tasks_opened_from = PANE_SERVICES;
	ui->alone_from = PANE_SERVICES;
	ui->tasks_node[0] = ui->stack_open[0] = ui->sessions_member[0] = '\0';
	ui->stack_opened = ui->zoomed = false;
	ui->dirty = true;
}

void ui_free(struct ui *ui)
{
	pgview_free(ui);
	textview_free(ui->text);
	ui->text = NULL;
	for (int i = 0; i < PANE_COUNT; i++)
		free(ui->views[i].rows);
	sd_snapshot_unref(ui->snap);
	ui->snap = NULL;
}

bool ui_update(struct ui *ui)
{
	sd_core_drain_notify(ui->core);
	struct sd_snapshot *snap = sd_core_snapshot(ui->core);
	if (snap->generation == ui->snap->generation) {
		sd_snapshot_unref(snap);
		return false;
	}
	sd_snapshot_unref(ui->snap);
	ui->snap = snap;
	ui->dirty = true;
	return true;
}

const char *ui_selected(const struct ui *ui, enum pane_id pane)
{
	struct pane_env env = pane_env(ui);
	return view_selected_key(&env, (struct pane_view *)&ui->views[pane]);
}

static bool pane_shown(const struct ui *ui, enum pane_id id)
{
	const struct pane_ops *ops = pane_table[id];
	return !ops->shown || ops->shown(ui, ui->snap);
}

/* ---- drawing ---- */

static enum sd_color_role level_role(enum sd_level level)
{
	switch (level) {
	case SD_OK: return SD_ROLE_OK;
	case SD_WARNING: return SD_ROLE_WARNING;
	case SD_CRITICAL: return SD_ROLE_CRITICAL;
	default: return SD_ROLE_UNKNOWN;
	}
}

static void draw_header(struct ui *ui)
{
	const struct sd_snapshot *s = ui->snap;
	char left[512], clock[16], since[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	const char *engine = s->swarm ? s->swarm->engine_name : "?";
	bool guarded = ui->config->protected_cluster;
	int n = snprintf(left, sizeof(left), " swarmdeck  cluster %s%s  manager %s",
			 s->cluster_name && *s->cluster_name ? s->cluster_name : "-",
			 guarded ? " PROTECTED" : "", engine);
	if (s->swarm && s->swarm->endpoint_index > 0) /* the one configured first is lost */
		n += snprintf(left + n, sizeof(left) - (size_t)n, " (failover)");
	if (!s->docker_status.reachable && s->docker_status.answered) {
		fmt_age(s->docker_status.unreachable_since, since, sizeof(since));
		n += snprintf(left + n, sizeof(left) - (size_t)n, "  ENGINE UNREACHABLE %s", since);
	}
	if (ui->config->backup.configured && n < (int)sizeof(left)) {
		/* with a remote, only a verified off-site copy counts */
		bool offsite = ui->config->backup.remote.configured;
		time_t newest = offsite ? sd_backup_newest_offsite(s->backups, "postgres")
					: sd_backup_newest_verified(s->backups, "postgres");
		long rpo = ui->config->backup.rpo_seconds;
		if (!newest)
			snprintf(left + n, sizeof(left) - (size_t)n, "  RPO: no %s backup",
				 offsite ? "off-site" : "verified");
		else {
			fmt_age(newest, since, sizeof(since));
			snprintf(left + n, sizeof(left) - (size_t)n, "  RPO%s %s%s (%lds)",
				 offsite ? " off-site" : "", since,
				 time(NULL) - newest > rpo ? " PAST" : " ok", rpo);
		}
	}
	enum sd_color_role hrole = guarded ? SD_ROLE_PROTECTED : SD_ROLE_HEADER;
	term_put(0, 0, left, COLS, term_attr(hrole));
	const char *mode = s->mode == SD_MODE_WATCH ? "WATCH" : s->mode == SD_MODE_DRILL ? "DRILL"
											 : "LIVE";
	char right[128];
	snprintf(right, sizeof(right), " %s  %s  %s ", sd_level_name(s->health), mode, clock);
	int rw = text_width(right);
	int x = COLS - rw;
	if (x < text_width(left))
		x = text_width(left) < COLS - rw ? text_width(left) : COLS - rw;
	header_vip_badge(s, text_width(left), x);
	char level[32];
	snprintf(level, sizeof(level), " %s ", sd_level_name(s->health));
	term_put(0, x, level, text_width(level), term_attr(level_role(s->health)) | (int)A_BOLD);
	x += text_width(level);
	char modebuf[32];
	snprintf(modebuf, sizeof(modebuf), " %s ", mode);
	enum sd_color_role mrole = s->mode == SD_MODE_WATCH ? SD_ROLE_WATCH
				   : s->mode == SD_MODE_DRILL ? SD_ROLE_DRILL : hrole;
	term_put(0, x, modebuf, text_width(modebuf), term_attr(mrole) | (int)A_BOLD);
	x += text_width(modebuf);
	term_put(0, x, clock, COLS - x, term_attr(hrole));
}

static void draw_alerts(struct ui *ui)
{
	const struct sd_snapshot *s = ui->snap;
	char line[1024];
	int y = 1;
	if (ui->drill_step) { /* the drill line goes above the alerts, which stay in sight */
		snprintf(line, sizeof(line), " DRILL %s", ui->drill_step);
		term_put(UI_DRILL_ROW, 0, line, COLS, term_attr(SD_ROLE_DRILL));
		y = UI_DRILL_ROW + 1;
	}
	if (s->nalerts == 0) {
		term_put(y, 0, " no alerts", COLS, term_attr(SD_ROLE_OK));
		return;
	}
	int n = snprintf(line, sizeof(line), " %zu alert%s: ", s->nalerts, s->nalerts == 1 ? "" : "s");
	for (size_t i = 0; i < s->nalerts && n < (int)sizeof(line) - 8; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %s", i ? " | " : "",
			      sd_level_name(s->alerts[i].level), s->alerts[i].message);
	term_put(y, 0, line, COLS, term_attr(level_role(s->alerts[0].level)));
}

static void draw_status(struct ui *ui)
{
	int y = LINES - 1;
	char line[1024];
	const struct sd_snapshot *s = ui->snap;
	switch (ui->mode) {
	case UI_FILTER:
		snprintf(line, sizeof(line), "/%s", ui->input);
		term_put(y, 0, line, COLS, term_attr(SD_ROLE_STATUS));
		return;
	case UI_CHOOSE:
		ui_cluster_choose_line(ui, line, sizeof(line));
		term_put(y, 0, line, COLS, term_attr(SD_ROLE_STATUS));
		return;
	case UI_PROMPT:
		snprintf(line, sizeof(line), "%s%s%s: %s", ui->request.action->prompt,
			 *ui->request.target_name ? " for " : "", ui->request.target_name, ui->input);
		term_put(y, 0, line, COLS, term_attr(SD_ROLE_STATUS));
		return;
	default:
		break;
	}
	if (s->message && *s->message) {
		term_put(y, 0, s->message, COLS, term_attr(level_role(s->message_level)));
		return;
	}
	if (!s->docker_status.reachable && s->docker_status.answered) {
		char since[32];
		fmt_age(s->docker_status.unreachable_since, since, sizeof(since));
		snprintf(line, sizeof(line), "engine unreachable for %s: %s (showing the last data, "
			 "stale; reconnecting)", since, s->docker_status.error);
		term_put(y, 0, line, COLS, term_attr(SD_ROLE_CRITICAL));
		return;
	}
	snprintf(line, sizeof(line), "%s? help  / filter  <Tab> next pane  q quit",
		 ui->zoomed ? "zoomed: z shows every pane  " : "");
	term_put(y, 0, line, COLS, term_attr(SD_ROLE_STATUS));
}

/* Split HEIGHT lines among PANES (ids) in one column; the focused pane is favoured. */
static void layout_column(struct ui *ui, const enum pane_id *panes, int count, int y, int x,
			  int height, int width)
{
	int lines[PANE_COUNT] = {0}, need[PANE_COUNT];
	int left = height;
	struct pane_env env = pane_env(ui);
	for (int i = 0; i < count; i++) {
		struct pane_view *v = &ui->views[panes[i]];
		view_rebuild(&env, v);
		need[i] = 2 + (v->nrows ? (int)v->nrows : 1);
		if (v->ops->extra) {
			static char scratch[32][256];
			size_t want = v->ops->extra(ui, ui->snap, (size_t)-1, scratch, 32);
			need[i] += (int)(want < 12 ? want : 12);
		}
		lines[i] = 1;
		left--;
	}
	while (left > 0) {
		bool gave = false;
		for (int i = 0; i < count && left > 0; i++) {
			int share = panes[i] == ui->focus ? 3 : 1;
			for (int k = 0; k < share && left > 0 && lines[i] < need[i]; k++) {
				lines[i]++;
				left--;
				gave = true;
			}
		}
		if (!gave)
			break;
	}
	if (left > 0) /* everything fits: the rest goes to the last pane */
		lines[count - 1] += left;
	for (int i = 0; i < count; i++) {
		int number = panes[i] == PANE_FLEET	      ? 0
			     : pane_table[panes[i]]->number ? pane_table[panes[i]]->number
							    : (int)panes[i] + 1;
		view_draw(&env, &ui->views[panes[i]], number, y, x, lines[i], width,
			  panes[i] == ui->focus);
		y += lines[i];
	}
}

static void draw_dialog(struct ui *ui)
{
	const struct sd_request *r = &ui->request;
	char text[2048];
	const char *answer = r->confirm == SD_CONFIRM_TYPE_NAME ? r->target_name : "yes";
	snprintf(text, sizeof(text), "%s\n\nType %s and Enter to confirm, Esc to cancel.\n> %s",
		 r->question, answer, ui->input);
	/* measure */
	int lines = 1, width = 0, w = 0;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			lines++;
			w = 0;
			continue;
		}
		if (++w > width)
			width = w;
	}
	int bw = width + 4 < COLS - 2 ? width + 4 : COLS - 2, bh = lines + 2;
	if (bw < 40)
		bw = 40 < COLS ? 40 : COLS;
	int by = (LINES - bh) / 2 > 0 ? (LINES - bh) / 2 : 0, bx = (COLS - bw) / 2;
	int battr = term_attr(SD_ROLE_DIALOG_BORDER), dattr = term_attr(SD_ROLE_DIALOG);
	char title[400];
	snprintf(title, sizeof(title), " %s %s%s%s ", r->action->name, r->target_name,
		 ui->config->protected_cluster ? " on " : "",
		 ui->config->protected_cluster ? ui->config->cluster_name : "");
	for (int i = 0; i < bh; i++)
		term_put(by + i, bx, "", bw, dattr);
	for (int i = 0; i < bw; i++) {
		term_put(by, bx + i, ui_line(ui), 1, battr);
		term_put(by + bh - 1, bx + i, ui_line(ui), 1, battr);
	}
	term_put(by, bx + 2, title, bw - 4, battr | (int)A_BOLD);
	int y = by + 1;
	char *copy = xstrdup(text), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int attr = strstr(line, "DANGER") || strstr(line, "WARNING") ? term_attr(SD_ROLE_CRITICAL)
									      : dattr;
		term_put(y++, bx + 2, line, bw - 4, attr);
		if (y >= by + bh - 1)
			break;
	}
	free(copy);
}

static const char *binding_for(const struct ui *ui, enum sd_scope scope,
			       const struct sd_action *action, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ui->keymap->n; i++) {
		const struct sd_binding *b = &ui->keymap->bindings[i];
		if ((b->scope != scope && b->scope != SD_SCOPE_GENERIC) || b->action != action)
			continue;
		/* a pane binding hides the generic one for the same key */
		if (b->scope == SD_SCOPE_GENERIC && scope != SD_SCOPE_GENERIC) {
			const struct sd_action *over = sd_keymap_lookup(ui->keymap, scope, b->key);
			if (over && over != action)
				continue;
		}
		char name[32];
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%s%s", n ? " " : "",
				      sd_key_name(b->key, name, sizeof(name)));
		if (n >= len)
			break;
	}
	return buf;
}

static void draw_help(struct ui *ui, int top)
{
	enum sd_scope scope = ui->text ? SD_SCOPE_LOGS : pane_table[ui->focus]->scope;
	char lines[128][160];
	int n = 0;
	const char *group = NULL;
	snprintf(lines[n++], 160, "Keys in the %s %s (keymap %s). Esc or q closes.",
		 ui->text ? "logs and inspect" : pane_table[ui->focus]->title,
		 ui->text ? "views" : "pane", ui->keymap->source ? ui->keymap->source : "default");
	/* each group once, where it first appears (a feature's block may come later) */
	for (const struct sd_action *const *g = sd_actions(); *g && n < 126; g++) {
		bool seen = false;
		for (const struct sd_action *const *e = sd_actions(); e != g && !seen; e++)
			seen = !strcmp((*e)->group, (*g)->group);
		if (seen)
			continue;
		for (const struct sd_action *const *a = g; *a && n < 126; a++) {
			char keys[64];
			if (strcmp((*a)->group, (*g)->group) != 0)
				continue;
			binding_for(ui, scope, *a, keys, sizeof(keys));
			if (!*keys)
				continue;
			if (!group || strcmp(group, (*a)->group)) {
				group = (*a)->group;
				snprintf(lines[n++], 160, "%s", "");
				snprintf(lines[n++], 160, "%s", group);
			}
			snprintf(lines[n++], 160, "  %-14s %-18s %s%s", keys, (*a)->name, (*a)->help,
				 (*a)->mutates && ui->snap->mode == SD_MODE_WATCH ? " (refused: watch mode)"
										    : "");
		}
	}
	if (ui->help_top > n - 1)
		ui->help_top = n - 1;
	int attr = term_attr(SD_ROLE_DIALOG);
	for (int y = top; y < LINES - 1; y++) {
		int i = ui->help_top + y - top;
		term_put(y, 0, i < n ? lines[i] : "", COLS,
			 i < n && lines[i][0] && lines[i][0] != ' ' ? attr | (int)A_BOLD : attr);
	}
}

void ui_draw(struct ui *ui)
{
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		erase();
		char msg[128];
		snprintf(msg, sizeof(msg), "terminal too small: %dx%d, swarmdeck needs %dx%d", COLS,
			 LINES, MIN_COLS, MIN_LINES);
		term_put(LINES / 2, 0, msg, COLS, term_attr(SD_ROLE_WARNING) | (int)A_BOLD);
		wnoutrefresh(stdscr);
		doupdate();
		ui->dirty = false;
		return;
	}
	draw_header(ui);
	draw_alerts(ui);
	int top = ui->drill_step ? UI_DRILL_ROW + 2 : 2, height = LINES - 1 - top;
	if (ui->mode == UI_HELP) {
		draw_help(ui, top - 1);
	} else if (ui->text) {
		textview_draw(ui->text, top - 1, LINES - top + 1, ui->utf8);
		ui->dirty = false;
		wnoutrefresh(stdscr);
		doupdate();
		return;
	} else if (ui->mode == UI_ROLLOUT) {
		rollout_draw(&ui->rollout, ui->snap, top - 1, LINES - 1, ui->utf8);
	} else if (pgview_shown(ui)) {
		pgview_draw(ui, top, height);
	} else if (ui->zoomed || pane_table[ui->focus]->alone) {
		layout_column(ui, &ui->focus, 1, top, 0, height, COLS);
	} else {
		enum pane_id left[PANE_COUNT], right[PANE_COUNT];
		int nl = 0, nr = 0;
		bool two = COLS >= 160;
		for (int i = 0; i < PANE_COUNT; i++) {
			if (!pane_shown(ui, (enum pane_id)i) || pane_table[i]->alone)
				continue;
			if (two && i >= PANE_POSTGRES)
				right[nr++] = (enum pane_id)i;
			else
				left[nl++] = (enum pane_id)i;
		}
		if (nr > 0) {
			int lw = COLS / 2;
			layout_column(ui, left, nl, top, 0, height, lw - 1);
			for (int y = top; y < top + height; y++)
				term_put(y, lw - 1, ui->utf8 ? "│" : "|", 1, term_attr(ui_border_role(ui)));
			layout_column(ui, right, nr, top, lw, height, COLS - lw);
		} else {
			layout_column(ui, left, nl, top, 0, height, COLS);
		}
	}
	if (ui->mode == UI_CONFIRM) /* over whatever the body shows */
		draw_dialog(ui);
	draw_status(ui);
	wnoutrefresh(stdscr);
	doupdate();
	ui->dirty = false;
}

/* ---- actions ---- */

static void focus(struct ui *ui, enum pane_id id)
{
	if (!pane_shown(ui, id))
		return;
	if (pane_table[id]->alone && !pane_table[ui->focus]->alone)
		ui->alone_from = ui->focus;
	ui->focus = id;
}

/* Tab and Shift-Tab go round the grid; from a pane that is alone they go on from the grid
 * pane it was opened from. */
static void focus_step(struct ui *ui, int step)
{
	int id = (int)(pane_table[ui->focus]->alone ? ui->alone_from : ui->focus);
	for (int i = 0; i < PANE_COUNT; i++) {
		id = (id + step + PANE_COUNT) % PANE_COUNT;
		if (pane_shown(ui, (enum pane_id)id) && !pane_table[id]->alone) {
			ui->focus = (enum pane_id)id;
			return;
		}
	}
}

static void say(struct ui *ui, enum sd_level level, const char *text)
{
	sd_core_message(ui->core, level, "%s", text);
	ui_update(ui);
}

static void save_screen_action(struct ui *ui)
{
	char path[1024], err[256], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/swarmdeck-%s.txt", ui->screen_dir, stamp);
	char msg[1200];
	if (ui_save_screen(ui, path, err, sizeof(err)) == 0)
		snprintf(msg, sizeof(msg), "screen saved to %s", path);
	else
		snprintf(msg, sizeof(msg), "screen not saved: %s", err);
	say(ui, SD_OK, msg);
}

/* The target of an action in the focused pane. */
static const char *action_target(struct ui *ui, const struct sd_action *action)
{
	enum pane_id want;
	switch (action->target) {
	case SD_TARGET_NODE: want = PANE_NODES; break;
	case SD_TARGET_SERVICE: want = PANE_SERVICES; break;
	case SD_TARGET_PG_MEMBER: want = PANE_POSTGRES; break;
	case SD_TARGET_BACKUP: want = PANE_BACKUPS; break;
	case SD_TARGET_PG_TABLE: return pgview_target(ui);
	case SD_TARGET_PG_SESSION: want = PANE_SESSIONS; break;
	default: return "";
	}
	/* from the tasks pane, a node or service action means the selected task's */
	if (ui->focus != want && !(ui->focus == PANE_TASKS && (want == PANE_NODES || want == PANE_SERVICES)))
		return NULL;
	if (ui->focus == PANE_TASKS) {
		static char subject[128];
		const char *task = ui_selected(ui, PANE_TASKS);
		const struct sd_task *t = sd_swarm_task(ui->snap->swarm, task);
		if (!t)
			return "";
		sd_strlcpy(subject, want == PANE_NODES ? t->node_id : t->service_id, sizeof(subject));
		return subject;
	}
	return ui_selected(ui, want);
}

/* Submit the request waiting in the UI; say why when refused. */
static void submit(struct ui *ui, const char *answer)
{
	if (sd_action_submit(ui->core, &ui->request, answer) != 0) {
		say(ui, SD_WARNING, ui->request.result);
		return;
	}
	ui->submitted++;
	if (ui->request.action->id == SD_ACTION_SERVICE_UPDATE) { /* follow it */
		const struct sd_service *s = sd_swarm_service(ui->snap->swarm, ui->request.target);
		rollout_open(&ui->rollout, ui->request.target, s && s->image ? s->image : "",
			     ui->request.param);
		ui->mode = UI_ROLLOUT;
	}
}

static void start_mutation(struct ui *ui, const struct sd_action *action)
{
	if (action->target == SD_TARGET_SERVICE && ui->focus == PANE_SERVICES &&
	    services_grouped(ui)) {
		say(ui, SD_WARNING, "select a service: open the stack to list its services");
		return;
	}
	const char *target = action_target(ui, action);
	if (!target) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s works in the %s pane", action->name,
			 action->target == SD_TARGET_NODE ? "nodes" :
			 action->target == SD_TARGET_SERVICE ? "services" :
			 action->target == SD_TARGET_PG_MEMBER ||
			 action->target == SD_TARGET_PG_TABLE ? "postgres" :
			 action->target == SD_TARGET_PG_SESSION ? "sessions (open on a PostgreSQL member)" :
			 "backups");
		say(ui, SD_WARNING, msg);
		return;
	}
	struct sd_request *req = &ui->request;
	ui->input[0] = '\0';
	if (action->prompt && sd_core_mode(ui->core) != SD_MODE_WATCH) {
		/* ask for the parameter first; the check runs on the answer */
		memset(req, 0, sizeof(*req));
		req->action = action;
		sd_strlcpy(req->target, target, sizeof(req->target));
		const struct sd_service *s = sd_swarm_service(ui->snap->swarm, target);
		const struct sd_node *n = s ? NULL : sd_swarm_node(ui->snap->swarm, target);
		sd_strlcpy(req->target_name, s ? s->name : n ? n->hostname : target,
			   sizeof(req->target_name));
		if (action->prefill)
			action->prefill(ui->snap, target, ui->input, sizeof(ui->input));
		ui->mode = UI_PROMPT;
		return;
	}
	if (sd_action_prepare(ui->core, action, target, "", req) != 0) {
		say(ui, SD_WARNING, req->result);
		return;
	}
	if (req->confirm == SD_CONFIRM_NONE) {
		submit(ui, NULL);
		return;
	}
	ui->mode = UI_CONFIRM;
}

void ui_action(struct ui *ui, const struct sd_action *action)
{
	ui->dirty = true;
	if (!action)
		return;
	if (pgview_action(ui, action))
		return;
	if (action->mutates)
		start_mutation(ui, action);
	else
		sd_action_navigate(action, ui);
}

/* ---- navigation: one handler per navigation entry of the registry ---- */

static struct pane_view *focused_view(struct ui *ui) { return &ui->views[ui->focus]; }

static void cursor_by(struct ui *ui, long delta)
{
	struct pane_env env = pane_env(ui);
	view_move(&env, focused_view(ui), delta);
}

static long page_rows(struct ui *ui)
{
	int height = focused_view(ui)->height;
	return height > 1 ? height - 1 : 1;
}

static void nav_quit(void *p) { ((struct ui *)p)->quit = true; }

static void nav_help(void *p)
{
	struct ui *ui = p;
	if (ui->mode == UI_HELP) {
		ui->mode = UI_NORMAL;
	} else {
		ui->mode = UI_HELP;
		ui->help_top = 0;
	}
}

static void nav_refresh(void *p) { sd_core_refresh(((struct ui *)p)->core); }
static void nav_focus_next(void *p) { focus_step(p, 1); }
static void nav_focus_prev(void *p) { focus_step(p, -1); }
static void nav_focus_nodes(void *p) { focus(p, PANE_NODES); }
static void nav_focus_services(void *p) { focus(p, PANE_SERVICES); }
static void nav_focus_tasks(void *p) { focus(p, PANE_TASKS); }
static void nav_focus_postgres(void *p) { focus(p, PANE_POSTGRES); }
static void nav_focus_redis(void *p) { focus(p, PANE_REDIS); }
static void nav_focus_backups(void *p) { focus(p, PANE_BACKUPS); }
static void nav_focus_objects(void *p) { focus(p, PANE_OBJECTS); }

static void nav_services_group(void *p)
{
	struct ui *ui = p;
	if (ui->focus == PANE_SERVICES)
		services_group_toggle(ui);
}
static void nav_focus_events(void *p) { focus(p, PANE_EVENTS); }
static void nav_focus_alerts(void *p) { focus(p, PANE_ALERTS); }
static void nav_focus_fleet(void *p) { focus(p, PANE_FLEET); }
static void nav_cluster_switch(void *p) { ui_cluster_choose(p); }

static void nav_cursor_up(void *p)
{
	struct ui *ui = p;
	if (ui->mode == UI_HELP) {
		if (ui->help_top > 0)
			ui->help_top--;
		return;
	}
	cursor_by(ui, -1);
}

static void nav_cursor_down(void *p)
{
	struct ui *ui = p;
	if (ui->mode == UI_HELP) {
		ui->help_top++;
		return;
	}
	cursor_by(ui, 1);
}

static void nav_cursor_top(void *p) { cursor_by(p, -(long)focused_view(p)->nrows); }
static void nav_cursor_bottom(void *p) { cursor_by(p, (long)focused_view(p)->nrows); }
static void nav_page_up(void *p) { cursor_by(p, -page_rows(p)); }
static void nav_page_down(void *p) { cursor_by(p, page_rows(p)); }

static void nav_filter(void *p)
{
	struct ui *ui = p;
	struct pane_view *view = focused_view(ui);
	sd_strlcpy(ui->filter_saved, view->filter, sizeof(ui->filter_saved));
	sd_strlcpy(ui->input, view->filter, sizeof(ui->input));
	ui->mode = UI_FILTER;
}

static void nav_sort_next(void *p)
{
	struct pane_view *view = focused_view(p);
	int next = view->sort_column + 1;
	view->sort_column = next >= (int)view->ops->ncolumns ? -1 : next;
}

static void nav_open(void *p)
{
	struct ui *ui = p;
	if (ui->focus == PANE_FLEET) {
		ui_cluster_open(ui);
		return;
	}
	if (ui->focus == PANE_SERVICES && services_open_stack(ui))
		return;
	if (ui->focus == PANE_NODES) {
		sd_strlcpy(ui->tasks_node, ui_selected(ui, PANE_NODES), sizeof(ui->tasks_node));
		ui->tasks_opened_from = PANE_NODES;
	} else if (ui->focus == PANE_SERVICES) {
		ui->tasks_node[0] = '\0';
		ui->tasks_opened_from = PANE_SERVICES;
	} else if (ui->focus == PANE_POSTGRES && *ui_selected(ui, PANE_POSTGRES)) {
		sd_strlcpy(ui->sessions_member, ui_selected(ui, PANE_POSTGRES),
			   sizeof(ui->sessions_member));
		view_select_first(&ui->views[PANE_SESSIONS]);
		ui->focus = PANE_SESSIONS;
		return;
	} else {
		return;
	}
	view_select_first(&ui->views[PANE_TASKS]);
	ui->focus = PANE_TASKS;
}

static void nav_back(void *p)
{
	struct ui *ui = p;
	struct pane_view *view = focused_view(ui);
	if (ui->mode == UI_HELP) {
		ui->mode = UI_NORMAL;
	} else if (ui->focus == PANE_SERVICES && services_back_to_stacks(ui)) {
		/* from a stack's services to the stacks */
	} else if (*view->filter) {
		view->filter[0] = '\0';
	} else if (ui->focus == PANE_TASKS) {
		ui->focus = ui->tasks_opened_from;
		ui->tasks_node[0] = '\0';
	} else if (ui->focus == PANE_SESSIONS) {
		ui->focus = PANE_POSTGRES;
		ui->sessions_member[0] = '\0';
	} else if (pane_table[ui->focus]->alone) {
		ui->focus = ui->alone_from;
	} else if (ui->zoomed) {
		ui->zoomed = false;
	} else if (sd_core_clear_message(ui->core)) {
		ui_update(ui);
	}
}

static void nav_screen_save(void *p) { save_screen_action(p); }
static void nav_pane_zoom(void *p) { ((struct ui *)p)->zoomed = !((struct ui *)p)->zoomed; }

/* logs and inspect: open the view over the panes; the view's own keys are its business */
static void open_view(struct ui *ui, struct textview *(*open)(struct ui *, char *, size_t))
{
	char err[256];
	struct textview *tv = open(ui, err, sizeof(err));
	if (!tv) {
		say(ui, SD_WARNING, err);
		return;
	}
	textview_free(ui->text);
	ui->text = tv;
}

static void nav_logs(void *p) { open_view(p, logs_view_open); }
static void nav_inspect(void *p) { open_view(p, inspect_view_open); }
static void nav_view_only(void *p) { say(p, SD_WARNING, "that key works in the logs and inspect views"); }

static const struct sd_navigation navigation[] = {
	{SD_ACTION_QUIT, nav_quit},
	{SD_ACTION_HELP, nav_help},
	{SD_ACTION_REFRESH, nav_refresh},
	{SD_ACTION_FOCUS_NEXT, nav_focus_next},
	{SD_ACTION_FOCUS_PREV, nav_focus_prev},
	{SD_ACTION_FOCUS_NODES, nav_focus_nodes},
	{SD_ACTION_FOCUS_SERVICES, nav_focus_services},
	{SD_ACTION_FOCUS_TASKS, nav_focus_tasks},
	{SD_ACTION_FOCUS_POSTGRES, nav_focus_postgres},
	{SD_ACTION_FOCUS_REDIS, nav_focus_redis},
	{SD_ACTION_FOCUS_BACKUPS, nav_focus_backups},
	{SD_ACTION_CURSOR_UP, nav_cursor_up},
	{SD_ACTION_CURSOR_DOWN, nav_cursor_down},
	{SD_ACTION_CURSOR_TOP, nav_cursor_top},
	{SD_ACTION_CURSOR_BOTTOM, nav_cursor_bottom},
	{SD_ACTION_PAGE_UP, nav_page_up},
	{SD_ACTION_PAGE_DOWN, nav_page_down},
	{SD_ACTION_FILTER, nav_filter},
	{SD_ACTION_SORT_NEXT, nav_sort_next},
	{SD_ACTION_OPEN, nav_open},
	{SD_ACTION_BACK, nav_back},
	{SD_ACTION_SCREEN_SAVE, nav_screen_save},
	{SD_ACTION_PANE_ZOOM, nav_pane_zoom},
	{SD_ACTION_PG_TABLES, pgview_nav_tables},
	{SD_ACTION_SERVICES_GROUP, nav_services_group},
	{SD_ACTION_FOCUS_OBJECTS, nav_focus_objects},
	{SD_ACTION_LOGS, nav_logs},
	{SD_ACTION_INSPECT, nav_inspect},
	{SD_ACTION_LOGS_FOLLOW, nav_view_only},
	{SD_ACTION_LOGS_WRAP, nav_view_only},
	{SD_ACTION_LOGS_TIMESTAMPS, nav_view_only},
	{SD_ACTION_LOGS_SEARCH, nav_view_only},
	{SD_ACTION_LOGS_NEXT, nav_view_only},
	{SD_ACTION_LOGS_PREV, nav_view_only},
	{SD_ACTION_LOGS_FILTER, nav_view_only},
	{SD_ACTION_LOGS_SAVE, nav_view_only},
	{SD_ACTION_FOCUS_EVENTS, nav_focus_events},
	{SD_ACTION_FOCUS_ALERTS, nav_focus_alerts},
	{SD_ACTION_FOCUS_FLEET, nav_focus_fleet},
	{SD_ACTION_CLUSTER_SWITCH, nav_cluster_switch},
};

int ui_bind_navigation(char *err, size_t errlen)
{
	return sd_actions_bind_navigation(navigation, sizeof(navigation) / sizeof(navigation[0]),
					  err, errlen);
}

/* The entries the help overlay answers to (it scrolls and closes); others wait. */
static bool help_takes(const struct sd_action *action)
{
	switch (action->id) {
	case SD_ACTION_HELP:
	case SD_ACTION_BACK:
	case SD_ACTION_CURSOR_UP:
	case SD_ACTION_CURSOR_DOWN:
		return true;
	default:
		return false;
	}
}

/* ---- keys ---- */

/* Line editing shared by the filter, the prompt and the confirmation. True when the key
 * was a character or an edit. */
static bool edit_input(struct ui *ui, int key)
{
	size_t len = strlen(ui->input);
	if (key == SD_KEY_BACKSPACE || key == SD_KEY_CTRL + 'h') {
		len = sd_utf8_prev(ui->input, len); /* a whole UTF-8 character */
		ui->input[len] = '\0';
		return true;
	}
	if (key == SD_KEY_CTRL + 'u') {
		ui->input[0] = '\0';
		return true;
	}
	if (key == SD_KEY_SPACE)
		key = ' ';
	if (key < 32 || key >= SD_KEY_BASE)
		return false;
	char mb[8];
	size_t n = sd_utf8_encode((unsigned)key, mb);
	if (len + n < sizeof(ui->input)) {
		memcpy(ui->input + len, mb, n);
		ui->input[len + n] = '\0';
	}
	return true;
}

static void key_filter(struct ui *ui, int key)
{
	struct pane_view *view = &ui->views[ui->focus];
	if (key == SD_KEY_ESC) {
		sd_strlcpy(view->filter, ui->filter_saved, sizeof(view->filter));
		ui->mode = UI_NORMAL;
	} else if (key == SD_KEY_ENTER) {
		ui->mode = UI_NORMAL;
		struct pane_env env = pane_env(ui);
		view_rebuild(&env, view);
		view_select_first(view);
	} else if (edit_input(ui, key)) {
		sd_strlcpy(view->filter, ui->input, sizeof(view->filter));
		view_select_first(view);
	}
}

/* The prompt's and the dialog's keys before Enter: Esc cancels, others edit. True when the
 * key was taken. */
static bool answer_key(struct ui *ui, int key)
{
	if (key == SD_KEY_ESC) {
		ui->mode = UI_NORMAL;
		say(ui, SD_OK, "cancelled");
		return true;
	}
	if (key != SD_KEY_ENTER) {
		edit_input(ui, key);
		return true;
	}
	return false;
}

static void key_prompt(struct ui *ui, int key)
{
	if (answer_key(ui, key))
		return;
	char target[256], param[256];
	sd_strlcpy(target, ui->request.target, sizeof(target));
	sd_strlcpy(param, ui->input, sizeof(param));
	const struct sd_action *action = ui->request.action;
	ui->input[0] = '\0';
	ui->mode = UI_NORMAL;
	if (sd_action_prepare(ui->core, action, target, param, &ui->request) != 0) {
		say(ui, SD_WARNING, ui->request.result);
		return;
	}
	ui->mode = ui->request.confirm == SD_CONFIRM_NONE ? UI_NORMAL : UI_CONFIRM;
	if (ui->mode == UI_NORMAL)
		submit(ui, NULL);
}

static void key_confirm(struct ui *ui, int key)
{
	if (answer_key(ui, key))
		return;
	ui->mode = UI_NORMAL;
	char answer[256];
	sd_strlcpy(answer, ui->input, sizeof(answer));
	ui->input[0] = '\0';
	submit(ui, answer);
}

void ui_key(struct ui *ui, int key)
{
	ui->dirty = true;
	if (key == SD_KEY_RESIZE)
		return;
	switch (ui->mode) {
	case UI_FILTER: key_filter(ui, key); return;
	case UI_PROMPT: key_prompt(ui, key); return;
	case UI_CHOOSE:
		if (!answer_key(ui, key))
			ui_cluster_choose_enter(ui);
		return;
	case UI_CONFIRM: key_confirm(ui, key); return;
	case UI_ROLLOUT: { /* the progress view: Esc closes it; save, refresh and help work */
		const struct sd_action *a = sd_keymap_lookup(ui->keymap, SD_SCOPE_GENERIC, key);
		if (key == SD_KEY_ESC || key == 'q' || (a && a->id == SD_ACTION_BACK))
			ui->mode = UI_NORMAL;
		else if (a && (a->id == SD_ACTION_SCREEN_SAVE || a->id == SD_ACTION_REFRESH))
			sd_action_navigate(a, ui);
		return;
	}
	case UI_HELP: {
		const struct sd_action *a = sd_keymap_lookup(ui->keymap, SD_SCOPE_GENERIC, key);
		if (key == SD_KEY_ESC || key == 'q')
			ui->mode = UI_NORMAL;
		else if (a && help_takes(a))
			sd_action_navigate(a, ui);
		return;
	}
	default:
		break;
	}
	if (ui->text) {
		const struct sd_action *pass = NULL;
		enum textview_result r = textview_key(ui->text, ui->keymap, key, &pass);
		if (r == TV_CLOSE) {
			textview_free(ui->text);
			ui->text = NULL;
		} else if (r == TV_PASS) {
			ui_action(ui, pass);
		}
		return;
	}
	if (pgview_key(ui, key))
		return;
	const struct sd_action *action = sd_keymap_lookup(ui->keymap, pgview_shown(ui)
				? SD_SCOPE_POSTGRES : pane_table[ui->focus]->scope, key);
	if (action)
		ui_action(ui, action);
}

int ui_save_screen(struct ui *ui, const char *path, char *err, size_t errlen)
{
	(void)ui;
	char *text = ui_screen_text();
	FILE *f = fopen(path, "w");
	int rc = -1;
	if (f) {
		rc = fputs(text, f) < 0 ? -1 : 0;
		if (fclose(f) != 0)
			rc = -1;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	free(text);
	return rc;
}

/* What the recorder is shown of the console, with the newest snapshot. */
static const struct record_state *record_state(struct ui *ui, struct record_state *st)
{
	ui_update(ui);
	*st = (struct record_state){.snap = ui->snap, .confirming = ui->mode == UI_CONFIRM,
				    .submitted = ui->submitted, .request = &ui->request,
				    .quit = ui->quit};
	return st;
}

int ui_record_open(struct ui *ui, const char *path, char *err, size_t errlen)
{
	ui->recorder = recorder_open(path, err, errlen);
	return ui->recorder ? 0 : -1;
}

int ui_record_close(struct ui *ui, char *err, size_t errlen)
{
	if (!ui->recorder)
		return 0;
	struct record_state st;
	int rc = recorder_close(ui->recorder, record_state(ui, &st), err, errlen);
	ui->recorder = NULL;
	return rc;
}

void ui_run(struct ui *ui)
{
	time_t drawn = 0;
	while (!ui->quit && !ui_interrupted) {
		int fd = sd_core_notify_fd(ui->core); /* the cluster on screen's */
		if (ui->dirty || time(NULL) != drawn || (ui->text && textview_changed(ui->text))) {
			ui_draw(ui);
			drawn = time(NULL);
		}
		struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = fd, .events = POLLIN}};
		int rc = poll(fds, 2, ui->text ? 100 : 250);   /* a view's new lines: 10 frames/s */
		if (rc < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLIN)
			ui_update(ui);
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			int key;
			while ((key = term_read_key(0)) != SD_KEY_NONE) {
				struct record_state st;
				if (ui->recorder)
					recorder_key(ui->recorder, record_state(ui, &st), key);
				ui_key(ui, key);
				if (ui->recorder)
					recorder_after_key(ui->recorder, record_state(ui, &st));
				if (ui->quit)
					break;
			}
			if (fds[0].revents & POLLHUP && !(fds[0].revents & POLLIN))
				break;
		}
	}
}
