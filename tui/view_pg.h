/* view_pg.h - the PostgreSQL full-screen views over the panes: databases of a member, the
 * tables of a database (sizes, rows, last (auto)vacuum/(auto)analyze), one table's columns
 * and indexes, the read-only query prompt with its history and the query results; and the
 * VACUUM/ANALYZE progress bar. ui.c calls these hooks and nothing else of it. */
#ifndef SD_VIEW_PG_H
#define SD_VIEW_PG_H

#include "actions.h"

#include <stdbool.h>
#include <stddef.h>

struct ui;

/* True while a view covers the panes. */
bool pgview_shown(const struct ui *ui);
/* Draw the view in rows TOP .. TOP+HEIGHT-1 (takes the newest answers first). */
void pgview_draw(struct ui *ui, int top, int height);
/* A key in normal mode while a view or the prompt is open: true when it was taken. */
bool pgview_key(struct ui *ui, int key);
/* An action about to run: true when the view did it (pg.query opens the prompt). */
bool pgview_action(struct ui *ui, const struct sd_action *action);
/* The target of pg.vacuum / pg.analyze: the selected table or database in the view, else
 * the selected member of the PostgreSQL pane; NULL outside both. */
const char *pgview_target(struct ui *ui);
/* The pg.tables navigation handler (a struct ui *). */
void pgview_nav_tables(void *ui);
/* Lines for the PostgreSQL pane: the running maintenance's progress bar (and its outcome
 * for a minute after). Fills up to MAX of LINES; returns how many. */
size_t pgview_pane_lines(const struct ui *ui, char (*lines)[256], size_t max);
/* Free what the views hold (before the core goes). */
void pgview_free(struct ui *ui);

#endif
