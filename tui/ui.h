/* ui.h - the console: the screen state and the key loop shared by the interactive console,
 * watch mode and drill playback. Keys resolve (through the keymap) to registry entries;
 * mutating ones go to the core, navigation ones run the handler this module binds to the
 * registry at start (ui_bind_navigation). Panes (pane.h), the table view (table.h), the
 * terminal (term.h) and the recorder (record.h) each have their own header. */
#ifndef SD_UI_H
#define SD_UI_H

#include "actions.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "conf/config.h"
#include "core.h"
#include "model/model.h"
#include "pane.h"
#include "view_rollout.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

enum ui_mode { UI_NORMAL, UI_FILTER, UI_PROMPT, UI_CONFIRM, UI_HELP, UI_TOO_SMALL, UI_ROLLOUT,
	       UI_CHOOSE /* cluster.switch: a cluster's name typed */ };

struct recorder;
struct sd_fleet;
struct sd_fleet_line;

struct ui {
	struct sd_core *core;            /* the cluster on screen */
	const struct sd_config *config;  /* its config */
	struct sd_fleet *fleet;          /* every cluster (ui_set_fleet); NULL: this one alone */
	const struct sd_keymap *keymap;
	const struct sd_theme *theme;
	struct sd_snapshot *snap;        /* the one being drawn */
	struct pane_view views[PANE_COUNT];
	enum pane_id focus;
	/* the tasks pane's subject: a node after `open` on a node, else the selected service */
	char tasks_node[128];
	enum pane_id tasks_opened_from;
	enum pane_id alone_from;         /* the grid pane focused before a pane that is alone */
	bool zoomed;                     /* pane.zoom: the focused pane alone on the body */
	/* services.group: `open` on a stack row showed its services (filter STACK_OPEN) */
	bool stack_opened;
	char stack_open[128];
	/* the sessions pane's subject: a PostgreSQL member after `open` on it, "" when closed */
	char sessions_member[128];
	enum ui_mode mode;
	char input[256];                 /* filter / prompt / confirmation being typed */
	char filter_saved[128];          /* the filter before typing started (Esc restores) */
	struct sd_request request;       /* the action waiting for its parameter or answer */
	bool quit, dirty;
	bool utf8, color;
	int help_top;
	const char *drill_step;          /* shown on row UI_DRILL_ROW while a drill plays */
	char screen_dir[512];            /* where screen.save writes */
	bool headless;
	unsigned submitted;              /* actions handed to the core so far */
	struct recorder *recorder;       /* --record: every key goes through it */
	struct rollout_view rollout;     /* service.update's progress view (UI_ROLLOUT) */
	struct pgview *pgview;           /* PostgreSQL tables, query results (view_pg.c) */
	struct textview *text;           /* a full-screen view (logs, inspect) over the panes */
};

/* While a drill plays, its line (name, step, the step itself) takes this row and the alerts
 * and panes move one row down; screen checks leave this row out. */
#define UI_DRILL_ROW 1

/* Set by signal handlers: the loop and drill playback stop. */
extern volatile sig_atomic_t ui_interrupted;

/* Give every navigation entry of the registry its handler. Call once at start, before any
 * key; -1 with ERR when the console's table and the registry disagree (a startup error). */
int ui_bind_navigation(char *err, size_t errlen);

void ui_init(struct ui *ui, struct sd_core *core, const struct sd_config *config,
	     const struct sd_keymap *keymap, const struct sd_theme *theme);
void ui_free(struct ui *ui);
/* Every view back to its start (cursor, filter, sort, subjects), as for a new cluster. */
void ui_reset_views(struct ui *ui);

/* ---- several clusters (ui_cluster.c) ---- */
/* The clusters the console can show: FLEET's, with CORE (ui_init's) among them. */
void ui_set_fleet(struct ui *ui, struct sd_fleet *fleet);
size_t ui_cluster_count(const struct ui *ui);
size_t ui_cluster_shown(const struct ui *ui);
const char *ui_cluster_name(const struct ui *ui, size_t i);
const struct sd_config *ui_cluster_config(const struct ui *ui, size_t i);
/* Cluster I's line of the fleet view; false while its engine has not answered yet. */
bool ui_cluster_line(const struct ui *ui, size_t i, struct sd_fleet_line *out);
/* The clusters' snapshot generations as text: the fleet view rebuilds when it changes. */
void ui_cluster_generations(const struct ui *ui, char *buf, size_t len);
/* Put cluster I on screen (the chooser); the selected line's (the fleet view's open). */
void ui_cluster_switch(struct ui *ui, size_t i);
void ui_cluster_open(struct ui *ui);
/* cluster.switch: start the chooser; its status line; its Enter (false: no such cluster). */
void ui_cluster_choose(struct ui *ui);
void ui_cluster_choose_line(const struct ui *ui, char *buf, size_t len);
bool ui_cluster_choose_enter(struct ui *ui);
/* Take the newest snapshot if there is one. True when it changed. */
bool ui_update(struct ui *ui);
void ui_draw(struct ui *ui);
/* Handle one key (keys.h code). */
void ui_key(struct ui *ui, int key);
/* Run a registry entry, as a key bound to it would (drills and keys both come here). */
void ui_action(struct ui *ui, const struct sd_action *action);
/* The screen as UTF-8 text, one line per row (malloc'ed). */
char *ui_screen_text(void);
int ui_save_screen(struct ui *ui, const char *path, char *err, size_t errlen);
/* The row key selected in a pane ("" when none). */
const char *ui_selected(const struct ui *ui, enum pane_id pane);
/* A horizontal line in the console's style: "─" or "-". */
const char *ui_line(const struct ui *ui);
/* The role borders are drawn in: a protected cluster's own. */
enum sd_color_role ui_border_role(const struct ui *ui);
/* Interactive loop until quit. */
void ui_run(struct ui *ui);

/* --record: start recording what is typed into PATH; write it when done. 0, or -1 with ERR. */
int ui_record_open(struct ui *ui, const char *path, char *err, size_t errlen);
int ui_record_close(struct ui *ui, char *err, size_t errlen);

#endif
