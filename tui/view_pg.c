/* view_pg.c - the PostgreSQL views (see view_pg.h). What they show comes from the core's
 * pgmaint state (listings, progress, query answers) taken at each draw; the screen never
 * waits on the server. The databases and tables lists are ordinary table views (table.h)
 * filled by two pane_ops of this file; the description, the results and the prompt are drawn
 * here. Keys resolve through the postgres scope of the keymap, so a user's keymap moves them
 * too; VACUUM, ANALYZE and queries go to the core as registry actions. */
#include "view_pg.h"
#include "base/clock.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "conf/keys.h"
#include "format.h"
#include "pgmaint.h"
#include "table.h"
#include "term.h"
#include "ui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_SECONDS 5.0

enum pgview_kind { PGV_NONE, PGV_DATABASES, PGV_TABLES, PGV_DESCRIBE, PGV_RESULTS };

struct pgview {
	enum pgview_kind kind, before_results;
	char member[64], database[64];
	struct sd_pgmaint_listing *dbs, *tables, *describe;
	char error[512];
	bool waiting;                    /* a listing was asked for and has not come */
	double asked;                    /* when the tables were last asked for */
	unsigned serial;                 /* changes when a list changes (the views rebuild) */
	struct pane_view dbview, tview;
	int text_top;                    /* description / results scroll */
	size_t result_col;               /* results: the first column shown */
	bool was_running;                /* a maintenance ran at the last draw */
	bool filtering;                  /* typing the list's filter */
	/* the prompt */
	bool prompt;
	char input[768];
	char **history;
	size_t nhistory, hist_pos;
	struct sd_pgmaint_answer *answer;
	bool query_waiting;
	char query_target[160];
	char target[320];                /* pgview_target's answer */
};

static struct pgview *state(const struct ui *ui) { return ui->pgview; }

static struct pgview *state_make(struct ui *ui)
{
	if (!ui->pgview) {
		ui->pgview = xcalloc(1, sizeof(struct pgview));
		ui->pgview->dbview.sort_column = ui->pgview->tview.sort_column = -1;
	}
	return ui->pgview;
}

/* ---- the two lists as pane_ops ---- */

static const struct pane_column db_columns[] = {
	{"DATABASE", 16, 1, false}, {"SIZE", 10, 0, true},
};

static const struct pane_column table_columns[] = {
	{"TABLE", 20, 1, false},  {"SIZE", 9, 0, true},     {"INDEXES", 9, 0, true},
	{"TOAST", 9, 0, true},    {"LIVE", 9, 0, true},     {"DEAD", 8, 0, true},
	{"VACUUM", 7, 0, false},  {"AUTOVACUUM", 10, 0, false}, {"ANALYZE", 7, 0, false},
	{"AUTOANALYZE", 11, 0, false},
};

static size_t db_count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)snap;
	const struct pgview *v = state(ui);
	return v && v->dbs ? v->dbs->ndatabases : 0;
}

static void db_row(const struct ui *ui, const struct sd_snapshot *snap, size_t i,
		   struct pane_row *out)
{
	(void)snap;
	const struct sd_pg_dbname *d = &state(ui)->dbs->databases[i];
	snprintf(out->key, sizeof(out->key), "%s", d->name);
	snprintf(out->cells[0], PANE_CELL, "%s", d->name);
	if (d->bytes >= 0)
		fmt_bytes(d->bytes, out->cells[1], PANE_CELL);
}

static void list_empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	const struct pgview *v = state(ui);
	if (v && *v->error)
		snprintf(buf, len, "%s", v->error);
	else if (v && v->waiting)
		snprintf(buf, len, "asking %s...", v->member);
	else
		snprintf(buf, len, "no tables outside the system schemas");
}

static void list_context(const struct ui *ui, char *buf, size_t len)
{
	snprintf(buf, len, "%u", state(ui) ? state(ui)->serial : 0);
}

static void db_summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)snap;
	const struct pgview *v = state(ui);
	snprintf(buf, len, "on %s  <Enter> tables  V/A whole database  Q query  <Esc> back", v->member);
}

static void age_cell(time_t t, char *buf)
{
	if (!t)
		snprintf(buf, PANE_CELL, "never");
	else
		fmt_age(t, buf, PANE_CELL);
}

static size_t table_count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)snap;
	const struct pgview *v = state(ui);
	return v && v->tables && v->tables->tables ? v->tables->tables->n : 0;
}

static void table_row(const struct ui *ui, const struct sd_snapshot *snap, size_t i,
		      struct pane_row *out)
{
	(void)snap;
	const struct sd_pg_table *t = &state(ui)->tables->tables->items[i];
	snprintf(out->key, sizeof(out->key), "%s.%s", t->schema, t->name);
	if (!strcmp(t->schema, "public"))
		snprintf(out->cells[0], PANE_CELL, "%s", t->name);
	else
		snprintf(out->cells[0], PANE_CELL, "%s.%s", t->schema, t->name);
	fmt_bytes(t->total_bytes, out->cells[1], PANE_CELL);
	fmt_bytes(t->index_bytes, out->cells[2], PANE_CELL);
	fmt_bytes(t->toast_bytes, out->cells[3], PANE_CELL);
	if (t->live_rows >= 0)
		snprintf(out->cells[4], PANE_CELL, "%lld", t->live_rows);
	if (t->dead_rows >= 0)
		snprintf(out->cells[5], PANE_CELL, "%lld", t->dead_rows);
	age_cell(t->last_vacuum, out->cells[6]);
	age_cell(t->last_autovacuum, out->cells[7]);
	age_cell(t->last_analyze, out->cells[8]);
	age_cell(t->last_autoanalyze, out->cells[9]);
	if (t->dead_rows > 1000 && t->dead_rows * 5 > t->live_rows + t->dead_rows) {
		out->role = SD_ROLE_WARNING; /* more than a fifth dead */
		out->cell_role[5] = SD_ROLE_WARNING;
	}
}

static void table_summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf,
			  size_t len)
{
	(void)snap;
	const struct pgview *v = state(ui);
	long long total = 0;
	size_t n = table_count(ui, snap);
	for (size_t i = 0; i < n; i++)
		total += v->tables->tables->items[i].total_bytes;
	char bytes[32];
	fmt_bytes(total, bytes, sizeof(bytes));
	snprintf(buf, len, "%s on %s  %zu tables, %s  i columns/indexes  V vacuum  A analyze  Q query",
		 v->database, v->member, n, bytes);
}

static const struct pane_ops ops_databases = {
	.name = "postgres", .title = "Databases", .scope = SD_SCOPE_POSTGRES,
	.columns = db_columns, .ncolumns = sizeof(db_columns) / sizeof(db_columns[0]),
	.count = db_count, .row = db_row, .empty = list_empty, .summary = db_summary,
	.context = list_context,
};

static const struct pane_ops ops_tables = {
	.name = "postgres", .title = "Tables", .scope = SD_SCOPE_POSTGRES,
	.columns = table_columns, .ncolumns = sizeof(table_columns) / sizeof(table_columns[0]),
	.count = table_count, .row = table_row, .empty = list_empty, .summary = table_summary,
	.context = list_context,
};

static struct pane_env env_of(struct ui *ui)
{
	return (struct pane_env){.ui = ui, .snap = ui->snap, .utf8 = ui->utf8,
				 .border = ui_border_role(ui)};
}

/* ---- asking ---- */

static void ask(struct ui *ui, enum sd_pgmaint_listing_kind kind, const char *schema,
		const char *table)
{
	struct pgview *v = state(ui);
	struct sd_pgmaint_target t = {0};
	sd_strlcpy(t.member, v->member, sizeof(t.member));
	sd_strlcpy(t.database, v->database, sizeof(t.database));
	if (schema)
		sd_strlcpy(t.schema, schema, sizeof(t.schema));
	if (table)
		sd_strlcpy(t.table, table, sizeof(t.table));
	v->error[0] = '\0';
	v->waiting = true;
	if (kind == SD_PGMAINT_TABLES)
		v->asked = sd_now();
	sd_pgmaint_list(ui->core, kind, &t);
}

static void open_tables(struct ui *ui, const char *database)
{
	struct pgview *v = state(ui);
	sd_strlcpy(v->database, database, sizeof(v->database));
	sd_pgmaint_listing_free(v->tables);
	v->tables = NULL;
	v->serial++;
	view_select_first(&v->tview);
	v->kind = PGV_TABLES;
	ask(ui, SD_PGMAINT_TABLES, NULL, NULL);
}

/* Take what the core has answered. */
static void take(struct ui *ui)
{
	struct pgview *v = state(ui);
	struct sd_pgmaint_listing *l;
	while ((l = sd_pgmaint_listing_take(ui->core))) {
		v->waiting = false;
		sd_strlcpy(v->error, l->error, sizeof(v->error));
		struct sd_pgmaint_listing **slot = l->kind == SD_PGMAINT_DATABASES ? &v->dbs
						  : l->kind == SD_PGMAINT_TABLES ? &v->tables
										 : &v->describe;
		if (*l->error && *slot && l->kind != SD_PGMAINT_DESCRIBE) {
			sd_pgmaint_listing_free(l); /* keep the last list; the error shows */
			continue;
		}
		sd_pgmaint_listing_free(*slot);
		*slot = l;
		v->serial++;
		if (l->kind == SD_PGMAINT_DATABASES && !*l->error && v->kind == PGV_DATABASES &&
		    l->ndatabases == 1)
			open_tables(ui, l->databases[0].name); /* one database: no choice to make */
	}
	/* a query the dialog cancelled, or refused before it ran, never answers */
	const char *m = ui->snap->message;
	if (v->query_waiting && ui->mode == UI_NORMAL && m &&
	    (!strcmp(m, "cancelled") || (strstr(m, "pg.query") && (strstr(m, "refused") ||
	     strstr(m, "not run") || strstr(m, "not confirmed")))))
		v->query_waiting = false;
	struct sd_pgmaint_answer *a = sd_pgmaint_answer_take(ui->core);
	if (a) {
		sd_pgmaint_answer_free(v->answer);
		v->answer = a;
		v->query_waiting = false;
		v->text_top = 0;
		v->result_col = 0;
	}
	/* the tables again after a maintenance ended, and every few seconds */
	struct sd_pgmaint_progress p;
	sd_pgmaint_progress_get(ui->core, &p);
	bool ended = v->was_running && !p.running;
	v->was_running = p.running;
	/* a database whose list costs the server more is asked less often (20 times its cost) */
	double every = v->tables && v->tables->seconds * 20 > REFRESH_SECONDS ? v->tables->seconds * 20
									       : REFRESH_SECONDS;
	if (v->kind == PGV_TABLES && !v->waiting && (ended || sd_now() - v->asked > every))
		ask(ui, SD_PGMAINT_TABLES, NULL, NULL);
}

/* ---- opening ---- */

/* The member the views start from: the PostgreSQL pane's selection, else the primary. */
static const char *pane_member(struct ui *ui)
{
	const char *m = ui_selected(ui, PANE_POSTGRES);
	if (m && *m)
		return m;
	const struct sd_pg *pg = ui->snap->pg;
	for (size_t i = 0; pg && i < pg->nmembers; i++)
		if (!strcmp(pg->members[i].role, "primary"))
			return pg->members[i].name;
	return pg && pg->nmembers ? pg->members[0].name : NULL;
}

void pgview_nav_tables(void *p)
{
	struct ui *ui = p;
	const char *member = pane_member(ui);
	if (!member) {
		sd_core_message(ui->core, SD_WARNING, "pg.tables: no PostgreSQL member to ask");
		ui_update(ui);
		return;
	}
	struct pgview *v = state_make(ui);
	if (strcmp(v->member, member) != 0) {
		sd_pgmaint_listing_free(v->dbs);
		sd_pgmaint_listing_free(v->tables);
		v->dbs = v->tables = NULL;
		v->database[0] = '\0';
	}
	sd_strlcpy(v->member, member, sizeof(v->member));
	v->kind = PGV_DATABASES;
	v->serial++;
	view_select_first(&v->dbview);
	ask(ui, SD_PGMAINT_DATABASES, NULL, NULL);
}

bool pgview_shown(const struct ui *ui)
{
	return state(ui) && state(ui)->kind != PGV_NONE;
}

const char *pgview_target(struct ui *ui)
{
	struct pgview *v = state(ui);
	struct pane_env env = env_of(ui);
	if (v && v->kind == PGV_TABLES) {
		const char *key = view_selected_key(&env, &v->tview);
		if (!*key)
			return "";
		snprintf(v->target, sizeof(v->target), "%s/%s/%s", v->member, v->database, key);
		return v->target;
	}
	if (v && v->kind == PGV_DATABASES) {
		const char *key = view_selected_key(&env, &v->dbview);
		if (!*key)
			return "";
		snprintf(v->target, sizeof(v->target), "%s/%s", v->member, key);
		return v->target;
	}
	if (v && v->kind != PGV_NONE)
		return NULL;
	if (ui->focus != PANE_POSTGRES)
		return NULL;
	return ui_selected(ui, PANE_POSTGRES);
}

/* ---- the prompt ---- */

static void history_reload(struct ui *ui)
{
	struct pgview *v = state(ui);
	sd_pgmaint_history_free(v->history, v->nhistory);
	char *path = sd_pgmaint_history_path(ui->config);
	v->history = sd_pgmaint_history_load(path, &v->nhistory);
	free(path);
	v->hist_pos = v->nhistory;
}

static void prompt_open(struct ui *ui)
{
	struct pgview *v = state_make(ui);
	if (v->kind == PGV_NONE) {
		const char *member = pane_member(ui);
		sd_strlcpy(v->member, member ? member : "", sizeof(v->member));
		v->database[0] = '\0';
	}
	if (v->kind == PGV_RESULTS && *v->query_target)
		; /* the next statement goes where the last one went */
	else if (v->kind == PGV_DATABASES || v->kind == PGV_NONE)
		snprintf(v->query_target, sizeof(v->query_target), "%s", v->member);
	else
		snprintf(v->query_target, sizeof(v->query_target), "%s/%s", v->member, v->database);
	if (v->kind != PGV_RESULTS)
		v->before_results = v->kind;
	v->kind = PGV_RESULTS;
	v->prompt = true;
	v->input[0] = '\0';
	history_reload(ui);
}

static void prompt_run(struct ui *ui)
{
	struct pgview *v = state(ui);
	v->prompt = false;
	struct sd_request *req = &ui->request;
	if (sd_action_prepare(ui->core, sd_action_get(SD_ACTION_PG_QUERY), v->query_target, v->input,
			      req) != 0) {
		sd_core_message(ui->core, SD_WARNING, "%s", req->result);
		ui_update(ui);
		return;
	}
	v->query_waiting = true;
	if (req->confirm != SD_CONFIRM_NONE) {
		ui->input[0] = '\0';
		ui->mode = UI_CONFIRM; /* ui.c's dialog submits it */
		return;
	}
	if (sd_action_submit(ui->core, req, NULL) != 0) {
		v->query_waiting = false;
		sd_core_message(ui->core, SD_WARNING, "%s", req->result);
		ui_update(ui);
		return;
	}
	ui->submitted++;
}

static bool prompt_key(struct ui *ui, int key)
{
	struct pgview *v = state(ui);
	size_t len = strlen(v->input);
	if (key == SD_KEY_ESC) {
		v->prompt = false;
		if (!v->answer && !v->query_waiting)
			v->kind = v->before_results;
	} else if (key == SD_KEY_ENTER) {
		prompt_run(ui);
	} else if (key == SD_KEY_UP || key == SD_KEY_DOWN) {
		if (key == SD_KEY_UP && v->hist_pos > 0)
			v->hist_pos--;
		else if (key == SD_KEY_DOWN && v->hist_pos < v->nhistory)
			v->hist_pos++;
		sd_strlcpy(v->input, v->hist_pos < v->nhistory ? v->history[v->hist_pos] : "",
			   sizeof(v->input));
	} else if (key == SD_KEY_BACKSPACE || key == SD_KEY_CTRL + 'h') {
		v->input[sd_utf8_prev(v->input, len)] = '\0';
	} else if (key == SD_KEY_CTRL + 'u') {
		v->input[0] = '\0';
	} else {
		if (key == SD_KEY_SPACE)
			key = ' ';
		if (key >= 32 && key < SD_KEY_BASE) {
			char mb[8];
			size_t n = sd_utf8_encode((unsigned)key, mb);
			if (len + n < sizeof(v->input) - 1) {
				memcpy(v->input + len, mb, n);
				v->input[len + n] = '\0';
			}
		}
	}
	return true;
}

bool pgview_action(struct ui *ui, const struct sd_action *action)
{
	if (action->id != SD_ACTION_PG_QUERY)
		return false;
	if (sd_core_mode(ui->core) == SD_MODE_WATCH) {
		/* refused (and audited) by the core, without a prompt first */
		struct sd_request req;
		const char *member = pane_member(ui);
		sd_action_prepare(ui->core, action, member ? member : "", "", &req);
		sd_core_message(ui->core, SD_WARNING, "%s", req.result);
		ui_update(ui);
		return true;
	}
	if (!pane_member(ui) && !(state(ui) && *state(ui)->member)) {
		sd_core_message(ui->core, SD_WARNING, "pg.query: no PostgreSQL member to ask");
		ui_update(ui);
		return true;
	}
	if (ui->focus != PANE_POSTGRES && !pgview_shown(ui)) {
		sd_core_message(ui->core, SD_WARNING, "pg.query works in the postgres pane");
		ui_update(ui);
		return true;
	}
	prompt_open(ui);
	return true;
}

/* ---- keys ---- */

static void scroll_text(struct pgview *v, long delta)
{
	long top = v->text_top + delta;
	v->text_top = top < 0 ? 0 : (int)top;
}

static void back(struct ui *ui)
{
	struct pgview *v = state(ui);
	switch (v->kind) {
	case PGV_DESCRIBE: v->kind = PGV_TABLES; break;
	case PGV_TABLES:
		v->kind = v->dbs && v->dbs->ndatabases > 1 ? PGV_DATABASES : PGV_NONE;
		break;
	case PGV_RESULTS: v->kind = v->before_results; break;
	default: v->kind = PGV_NONE; break;
	}
}

static void describe_selected(struct ui *ui)
{
	struct pgview *v = state(ui);
	struct pane_env env = env_of(ui);
	const char *key = view_selected_key(&env, &v->tview);
	if (!*key)
		return;
	char schema[64], table[128];
	const char *dot = strchr(key, '.');
	snprintf(schema, sizeof(schema), "%.*s", dot ? (int)(dot - key) : 0, key);
	sd_strlcpy(table, dot ? dot + 1 : key, sizeof(table));
	sd_pgmaint_listing_free(v->describe);
	v->describe = NULL;
	v->text_top = 0;
	v->kind = PGV_DESCRIBE;
	ask(ui, SD_PGMAINT_DESCRIBE, schema, table);
}

/* The list's filter, typed as in the panes: Enter keeps it, Esc clears it. */
static bool filter_key(struct ui *ui, int key)
{
	struct pgview *v = state(ui);
	struct pane_view *list = v->kind == PGV_DATABASES ? &v->dbview : &v->tview;
	size_t len = strlen(list->filter);
	if (key == SD_KEY_ESC) {
		list->filter[0] = '\0';
		v->filtering = false;
	} else if (key == SD_KEY_ENTER) {
		v->filtering = false;
	} else if (key == SD_KEY_BACKSPACE || key == SD_KEY_CTRL + 'h') {
		list->filter[sd_utf8_prev(list->filter, len)] = '\0';
	} else if (key >= 32 && key < 127 && len + 1 < sizeof(list->filter)) {
		list->filter[len] = (char)key;
		list->filter[len + 1] = '\0';
	}
	view_select_first(list);
	struct pane_env env = env_of(ui);
	view_rebuild(&env, list);
	view_select_first(list);
	return true;
}

bool pgview_key(struct ui *ui, int key)
{
	struct pgview *v = state(ui);
	if (!v || v->kind == PGV_NONE)
		return false;
	take(ui);
	if (v->prompt)
		return prompt_key(ui, key);
	if (v->filtering)
		return filter_key(ui, key);
	const struct sd_action *a = sd_keymap_lookup(ui->keymap, SD_SCOPE_POSTGRES, key);
	struct pane_view *list = v->kind == PGV_DATABASES ? &v->dbview
				 : v->kind == PGV_TABLES ? &v->tview : NULL;
	struct pane_env env = env_of(ui);
	if ((key == 'i' && (!a || !strcmp(a->name, "inspect"))) && v->kind == PGV_TABLES) {
		describe_selected(ui);
		return true;
	}
	if (v->kind == PGV_RESULTS && (key == SD_KEY_LEFT || key == SD_KEY_RIGHT)) {
		if (key == SD_KEY_LEFT && v->result_col > 0)
			v->result_col--;
		else if (key == SD_KEY_RIGHT && v->answer && v->answer->result &&
			 v->result_col + 1 < v->answer->result->ncols)
			v->result_col++;
		return true;
	}
	if (!a)
		return true; /* nothing else is bound here */
	long page = list && list->height > 1 ? list->height - 1 : LINES - 8;
	switch (a->id) {
	case SD_ACTION_CURSOR_UP:
	case SD_ACTION_CURSOR_DOWN:
	case SD_ACTION_PAGE_UP:
	case SD_ACTION_PAGE_DOWN:
	case SD_ACTION_CURSOR_TOP:
	case SD_ACTION_CURSOR_BOTTOM: {
		long delta = a->id == SD_ACTION_CURSOR_UP ? -1 : a->id == SD_ACTION_CURSOR_DOWN ? 1
			   : a->id == SD_ACTION_PAGE_UP ? -page : a->id == SD_ACTION_PAGE_DOWN ? page
			   : a->id == SD_ACTION_CURSOR_TOP ? -1000000 : 1000000;
		if (list)
			view_move(&env, list, delta);
		else
			scroll_text(v, delta);
		return true;
	}
	case SD_ACTION_OPEN:
		if (v->kind == PGV_DATABASES) {
			const char *db = view_selected_key(&env, &v->dbview);
			if (*db)
				open_tables(ui, db);
		} else if (v->kind == PGV_TABLES) {
			describe_selected(ui);
		}
		return true;
	case SD_ACTION_BACK:
		if (list && *list->filter)
			list->filter[0] = '\0';
		else
			back(ui);
		return true;
	case SD_ACTION_SORT_NEXT:
		if (list) {
			int next = list->sort_column + 1;
			list->sort_column = next >= (int)list->ops->ncolumns ? -1 : next;
		}
		return true;
	case SD_ACTION_REFRESH:
		if (v->kind == PGV_TABLES)
			ask(ui, SD_PGMAINT_TABLES, NULL, NULL);
		else if (v->kind == PGV_DATABASES)
			ask(ui, SD_PGMAINT_DATABASES, NULL, NULL);
		return false; /* and the panes too */
	case SD_ACTION_PG_TABLES:
		if (v->kind == PGV_TABLES || v->kind == PGV_DESCRIBE)
			return true;
		return false;
	case SD_ACTION_FILTER:
		if (list)
			v->filtering = true;
		return true;
	case SD_ACTION_FOCUS_NEXT: case SD_ACTION_FOCUS_PREV: case SD_ACTION_FOCUS_NODES:
	case SD_ACTION_FOCUS_SERVICES: case SD_ACTION_FOCUS_TASKS: case SD_ACTION_FOCUS_POSTGRES:
	case SD_ACTION_FOCUS_REDIS: case SD_ACTION_FOCUS_BACKUPS:
		v->kind = PGV_NONE; /* back to the panes, then focus */
		return false;
	default:
		return false; /* quit, help, screen.save, pg.vacuum, pg.analyze, pg.query ... */
	}
}

/* ---- drawing ---- */

static void put_line(int y, const char *text, int attr)
{
	term_put(y, 0, text, COLS, attr);
}

static void draw_describe(struct ui *ui, int top, int height)
{
	struct pgview *v = state(ui);
	char title[256];
	snprintf(title, sizeof(title), " Table %s/%s  <Esc> back", v->member, v->database);
	put_line(top, title, term_attr(SD_ROLE_TITLE) | (int)A_BOLD);
	const char *text = v->describe ? (*v->describe->error ? v->describe->error : v->describe->text)
				       : v->waiting ? "asking..." : "";
	int attr = v->describe && *v->describe->error ? term_attr(SD_ROLE_CRITICAL) : term_attr(SD_ROLE_DEFAULT);
	int line = 0, y = top + 1;
	const char *p = text ? text : "";
	while (*p && y < top + height) {
		size_t n = strcspn(p, "\n");
		if (line++ >= v->text_top) {
			char buf[512];
			snprintf(buf, sizeof(buf), " %.*s", (int)(n < 500 ? n : 500), p);
			put_line(y++, buf, attr);
		}
		p += n + (p[n] == '\n');
	}
	while (y < top + height)
		put_line(y++, "", term_attr(SD_ROLE_DEFAULT));
}

/* Column widths of the results: the name or the widest of the first rows, at most 40. */
static void result_widths(const struct sd_pg_result *r, int *w)
{
	for (size_t c = 0; c < r->ncols; c++) {
		w[c] = text_width(r->columns[c]);
		for (size_t i = 0; i < r->nrows && i < 500; i++) {
			const char *cell = r->cells[i * r->ncols + c];
			int cw = cell ? text_width(cell) : 4;
			if (cw > w[c])
				w[c] = cw;
		}
		if (w[c] > 40)
			w[c] = 40;
	}
}

static void draw_results(struct ui *ui, int top, int height)
{
	struct pgview *v = state(ui);
	const struct sd_pgmaint_answer *a = v->answer;
	char line[1024];
	char where[320];
	if (a)
		sd_pgmaint_target_format(&a->target, where, sizeof(where));
	snprintf(line, sizeof(line), " Query on %s (read-only)  %s", a ? where : v->query_target,
		 "<Up>/<Down> rows  <Left>/<Right> columns  Q new statement  <Esc> back");
	put_line(top, line, term_attr(SD_ROLE_TITLE) | (int)A_BOLD);
	int y = top + 1, end = top + height;
	int dattr = term_attr(SD_ROLE_DEFAULT);
	if (v->query_waiting || !a) {
		put_line(y++, v->query_waiting ? " running..." : " type a statement; <Enter> runs it", dattr);
	} else {
		snprintf(line, sizeof(line), " > %s", a->sql);
		put_line(y++, line, dattr);
		const struct sd_pg_result *r = a->result;
		if (!r) {
			snprintf(line, sizeof(line), " %s", a->error);
			put_line(y++, line, term_attr(SD_ROLE_CRITICAL));
		} else if (r->error) {
			if (r->position > 0) { /* a caret under the character the server points at */
				snprintf(line, sizeof(line), "   %*s^", r->position - 1, "");
				put_line(y++, line, term_attr(SD_ROLE_CRITICAL));
			}
			const char *p = r->error;
			while (*p && y < end) {
				size_t n = strcspn(p, "\n");
				snprintf(line, sizeof(line), " %.*s", (int)(n < 1000 ? n : 1000), p);
				put_line(y++, line, term_attr(SD_ROLE_CRITICAL));
				p += n + (p[n] == '\n');
			}
			if (r->position > 0 && y < end) {
				snprintf(line, sizeof(line), " (SQLSTATE %s, at character %d)", r->sqlstate, r->position);
				put_line(y++, line, term_attr(SD_ROLE_CRITICAL));
			} else if (y < end) {
				snprintf(line, sizeof(line), " (SQLSTATE %s)", r->sqlstate);
				put_line(y++, line, term_attr(SD_ROLE_CRITICAL));
			}
		} else {
			snprintf(line, sizeof(line), " %s  %zu row%s%s  %.3fs", r->status ? r->status : "",
				 r->nrows, r->nrows == 1 ? "" : "s",
				 r->capped ? " shown (capped at 10000; the rest were not read)" : "",
				 r->seconds);
			put_line(y++, line, term_attr(SD_ROLE_STATUS));
			int w[PANE_MAX_COLUMNS * 40];
			size_t ncols = r->ncols < sizeof(w) / sizeof(w[0]) ? r->ncols : sizeof(w) / sizeof(w[0]);
			if (ncols)
				result_widths(r, w);
			/* header */
			int x = 1;
			term_put(y, 0, "", COLS, term_attr(SD_ROLE_COLUMN));
			for (size_t c = v->result_col; c < ncols && x < COLS; c++) {
				term_put(y, x, r->columns[c], w[c] < COLS - x ? w[c] : COLS - x,
					 term_attr(SD_ROLE_COLUMN) | (int)A_BOLD);
				x += w[c] + 2;
			}
			if (ncols)
				y++;
			int rows = end - y;
			if (rows < 1)
				rows = 1;
			if (v->text_top > 0 && (size_t)v->text_top + (size_t)rows > r->nrows)
				v->text_top = r->nrows > (size_t)rows ? (int)(r->nrows - (size_t)rows) : 0;
			for (size_t i = (size_t)v->text_top; i < r->nrows && y < end; i++) {
				term_put(y, 0, "", COLS, dattr);
				x = 1;
				for (size_t c = v->result_col; c < ncols && x < COLS; c++) {
					const char *cell = r->cells[i * r->ncols + c];
					term_put(y, x, cell ? cell : "NULL", w[c] < COLS - x ? w[c] : COLS - x,
						 cell ? dattr : term_attr(SD_ROLE_STALE));
					x += w[c] + 2;
				}
				y++;
			}
		}
	}
	while (y < end)
		put_line(y++, "", dattr);
}

void pgview_draw(struct ui *ui, int top, int height)
{
	struct pgview *v = state(ui);
	take(ui);
	struct sd_pgmaint_progress p;
	sd_pgmaint_progress_get(ui->core, &p);
	int bottom = 0;
	if (p.present)
		bottom++;
	if (v->prompt || v->filtering)
		bottom++;
	int h = height - bottom;
	struct pane_env env = env_of(ui);
	switch (v->kind) {
	case PGV_DATABASES:
		v->dbview.ops = &ops_databases;
		view_rebuild(&env, &v->dbview);
		view_draw(&env, &v->dbview, 4, top, 0, h, COLS, true);
		break;
	case PGV_TABLES:
		v->tview.ops = &ops_tables;
		view_rebuild(&env, &v->tview);
		view_draw(&env, &v->tview, 4, top, 0, h, COLS, true);
		break;
	case PGV_DESCRIBE: draw_describe(ui, top, h); break;
	case PGV_RESULTS: draw_results(ui, top, h); break;
	default: break;
	}
	int y = top + h;
	if (p.present) {
		char line[1024];
		sd_pgmaint_progress_line(&p, ui->utf8, 30, line, sizeof(line));
		put_line(y++, line, term_attr(p.running ? SD_ROLE_STATUS
					      : p.status == 0 ? SD_ROLE_OK : SD_ROLE_CRITICAL));
	}
	if (v->filtering) {
		char line[256];
		snprintf(line, sizeof(line), "/%s", v->kind == PGV_DATABASES ? v->dbview.filter : v->tview.filter);
		put_line(y++, line, term_attr(SD_ROLE_STATUS));
	}
	if (v->prompt) {
		char line[1024];
		snprintf(line, sizeof(line), "SQL on %s (read-only, <Up> history %zu)> %s", v->query_target,
			 v->nhistory, v->input);
		put_line(y++, line, term_attr(SD_ROLE_STATUS) | (int)A_BOLD);
	}
}

size_t pgview_pane_lines(const struct ui *ui, char (*lines)[256], size_t max)
{
	if (max == 0)
		return 0;
	struct sd_pgmaint_progress p;
	sd_pgmaint_progress_get(ui->core, &p);
	if (!p.present || (!p.running && sd_now() - (p.started + p.seconds) > 60))
		return 0;
	char line[1024];
	sd_pgmaint_progress_line(&p, ui->utf8, 20, line, sizeof(line));
	snprintf(lines[0], 256, " %.250s", line);
	return 1;
}

void pgview_free(struct ui *ui)
{
	struct pgview *v = state(ui);
	sd_pgmaint_forget(ui->core); /* and a running VACUUM is cancelled */
	if (!v)
		return;
	sd_pgmaint_listing_free(v->dbs);
	sd_pgmaint_listing_free(v->tables);
	sd_pgmaint_listing_free(v->describe);
	sd_pgmaint_answer_free(v->answer);
	sd_pgmaint_history_free(v->history, v->nhistory);
	free(v->dbview.rows);
	free(v->tview.rows);
	free(v);
	ui->pgview = NULL;
}
