/* pane.h - panes as ops structs (tig's view_ops): one file per pane fills one struct
 * pane_ops; the shared table view (table.h) draws any of them. A pane's functions get the
 * console as an opaque pointer to read its own subject from (ui.h) and the snapshot on
 * screen; they return values and never change anything. */
#ifndef SD_PANE_H
#define SD_PANE_H

#include "conf/config.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PANE_MAX_COLUMNS 13
#define PANE_CELL 96

enum pane_id {
	PANE_NODES, PANE_SERVICES, PANE_TASKS, PANE_POSTGRES, PANE_REDIS, PANE_BACKUPS,
	PANE_EVENTS,             /* the timeline (pane 7) */
	PANE_OBJECTS,
	PANE_SESSIONS,           /* a PostgreSQL member's sessions, after `open` on it */
	PANE_ALERTS,             /* findings and Prometheus's alerts (pane 9) */
	PANE_FLEET,              /* every cluster of the config, a line each (pane 0) */
	PANE_COUNT
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

struct pane_ops {
	const char *name;        /* "nodes": the keymap scope's name */
	const char *title;       /* "Nodes" */
	enum sd_scope scope;
	const struct pane_column *columns;
	size_t ncolumns;
	/* Drawn alone on the whole body when focused, never in the grid (panes 7 and up: the
	 * timeline, the objects); Tab and Shift-Tab pass them by. */
	bool alone;
	/* The pane's key in its title ("8 Objects"); 0: its place in enum pane_id, plus 1 (but
	 * for the fleet's pane 0). */
	int number;
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
	pane_backups, pane_events, pane_objects, pane_sessions, pane_alerts, pane_fleet,
	pane_nodes_metrics;

/* The finding or the Prometheus alert on row INDEX of the alerts pane (pane_alerts.c): one
 * of the two is NULL. */
const struct sd_alert *pane_alerts_finding_at(const struct sd_snapshot *snap, size_t index);
const struct sd_prom_alert *pane_alerts_prom_at(const struct sd_snapshot *snap, size_t index);

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

/* What a view is built and drawn from. */
struct pane_env {
	const struct ui *ui;            /* handed to the pane's ops as it is */
	const struct sd_snapshot *snap; /* the snapshot on screen */
	bool utf8;                      /* line drawing characters, else ASCII */
	enum sd_color_role border;      /* the title lines' (a protected cluster's own) */
};

#endif
