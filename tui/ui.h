/* ui.h - the console: panes as ops structs, the screen state, and the key loop shared by the
 * interactive console, watch mode and drill playback. */
#ifndef SD_UI_H
#define SD_UI_H

#include "actions.h"
#include "conf/config.h"
#include "core.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

#define PANE_MAX_COLUMNS 10
#define PANE_CELL 96

enum pane_id {
	PANE_NODES, PANE_SERVICES, PANE_TASKS, PANE_POSTGRES, PANE_REDIS, PANE_BACKUPS, PANE_COUNT
};

struct pane_column {
	const char *title;
	int min_width;           /* columns get at least this ... */
	int weight;              /* ... and share what is left by weight (0: fixed) */
	bool numeric;            /* sorts as a number, right-aligned */
};

struct pane_row {
	char cells[PANE_MAX_COLUMNS][PANE_CELL];
	enum sd_color_role role; /* colour of the row (ok, warning, critical, stale, ...) */
	enum sd_color_role cell_role[PANE_MAX_COLUMNS]; /* 0 (SD_ROLE_DEFAULT): the row's */
	char key[128];           /* identity: what actions target and selection follows */
};

struct ui;

/* One pane = one file filling one of these (tig's view_ops). */
struct pane_ops {
	const char *name;        /* "nodes": the keymap scope's name */
	const char *title;       /* "Nodes" */
	enum sd_scope scope;
	const struct pane_column *columns;
	size_t ncolumns;
	/* Is the pane shown at all (its backend configured)? NULL: always. */
	bool (*shown)(const struct ui *ui, const struct sd_snapshot *snap);
	/* Rows in the data (before filtering) and one row's cells. */
	size_t (*count)(const struct ui *ui, const struct sd_snapshot *snap);
	void (*row)(const struct ui *ui, const struct sd_snapshot *snap, size_t index,
		    struct pane_row *out);
	/* What to say where there are no rows (and why). */
	void (*empty)(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len);
	/* One line of facts for the title bar ("3/3 managers, leader manager-1"). */
	void (*summary)(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len);
	/* Lines drawn under the rows (slots, archiver, event log, sparklines); may be NULL.
	 * Returns how many lines it would like; fills up to MAX. */
	size_t (*extra)(const struct ui *ui, const struct sd_snapshot *snap, size_t selected,
			char (*lines)[256], size_t max);
	/* A string that changes when the rows would change for reasons other than the snapshot
	 * (the tasks pane's subject). NULL: none. */
	void (*context)(const struct ui *ui, char *buf, size_t len);
};

extern const struct pane_ops pane_nodes, pane_services, pane_tasks, pane_postgres, pane_redis,
	pane_backups;

/* A pane's view state: cursor, scroll, sort, filter and the cached visible rows. */
struct pane_view {
	const struct pane_ops *ops;
	size_t cursor, top;
	int sort_column;         /* -1: natural order */
	char filter[128];
	char selected[128];      /* key of the selected row, kept across refreshes */
	size_t *rows;            /* visible rows (indices into the data), filtered and sorted */
	size_t nrows, cap;
	uint64_t built_generation;
	int built_sort;
	char built_filter[128], built_context[256];
	bool built;
	int height;              /* rows on screen at the last draw */
};

enum ui_mode { UI_NORMAL, UI_FILTER, UI_PROMPT, UI_CONFIRM, UI_HELP, UI_TOO_SMALL };

struct ui {
	struct sd_core *core;
	const struct sd_config *config;
	const struct sd_keymap *keymap;
	const struct sd_theme *theme;
	struct sd_snapshot *snap;        /* the one being drawn */
	struct pane_view views[PANE_COUNT];
	enum pane_id focus;
	/* the tasks pane's subject: a node after `open` on a node, else the selected service */
	char tasks_node[128];
	enum pane_id tasks_opened_from;
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
};

/* While a drill plays, its line (name, step, the step itself) takes this row and the alerts
 * and panes move one row down; screen checks leave this row out. */
#define UI_DRILL_ROW 1

/* Set by signal handlers: the loop and drill playback stop. */
#include <signal.h>
extern volatile sig_atomic_t ui_interrupted;

/* ui.c */
void ui_init(struct ui *ui, struct sd_core *core, const struct sd_config *config,
	     const struct sd_keymap *keymap, const struct sd_theme *theme);
void ui_free(struct ui *ui);
/* Take the newest snapshot if there is one. True when it changed. */
bool ui_update(struct ui *ui);
void ui_draw(struct ui *ui);
/* Handle one key (keys.h code). */
void ui_key(struct ui *ui, int key);
/* Run an action by name, as a key bound to it would (drills and keys both come here). */
void ui_action(struct ui *ui, const char *name);
/* The screen as UTF-8 text, one line per row (malloc'ed). */
char *ui_screen_text(void);
int ui_save_screen(struct ui *ui, const char *path, char *err, size_t errlen);
/* The row key selected in a pane ("" when none). */
const char *ui_selected(const struct ui *ui, enum pane_id pane);
/* Interactive loop until quit. */
void ui_run(struct ui *ui);

/* table.c: the generic view of a pane */
void view_rebuild(struct ui *ui, struct pane_view *view);
void view_move(struct ui *ui, struct pane_view *view, long delta);
void view_select_first(struct pane_view *view);
void view_draw(struct ui *ui, struct pane_view *view, int y, int x, int height, int width,
	       bool focused);
const char *view_selected_key(struct ui *ui, struct pane_view *view);

/* record.c: --record writes what the operator does as a drill file */
struct recorder *recorder_open(const char *path, char *err, size_t errlen);
/* Call before ui_key with the key, and recorder_after_key after it. */
void recorder_key(struct recorder *rec, struct ui *ui, int key);
void recorder_after_key(struct recorder *rec, struct ui *ui);
/* Write the drill (the last key, quit, is left out). 0, or -1 with ERR. */
int recorder_close(struct recorder *rec, struct ui *ui, char *err, size_t errlen);

/* term.c: ncurses setup, colours, key codes */
int term_start(bool headless, const struct sd_theme *theme, bool *utf8, bool *color);
void term_stop(void);
int term_read_key(int timeout_ms);          /* keys.h code, SD_KEY_NONE on timeout */
int term_attr(enum sd_color_role role);     /* attributes for a colour role */
void term_put(int y, int x, const char *utf8, int width, int attr); /* clipped, padded */
int text_width(const char *utf8);           /* terminal columns of a UTF-8 string */

/* format helpers shared by panes */
void fmt_age(time_t since, char *buf, size_t len);       /* "3m", "2h", "5d" */
void fmt_bytes(long long bytes, char *buf, size_t len);  /* "1.2 MiB" */
const char *ui_line(const struct ui *ui);                /* "─" or "-" */

#endif
