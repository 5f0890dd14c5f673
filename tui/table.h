/* table.h - the one table view every pane shares: filter, sort, cursor, scroll and drawing
 * of a pane's rows. It reads only the pane's ops and what ENV hands it. */
#ifndef SD_TABLE_H
#define SD_TABLE_H

#include "pane.h"

/* Rebuild the visible rows when the snapshot, filter, sort or subject changed. */
void view_rebuild(const struct pane_env *env, struct pane_view *view);
/* Move the cursor by DELTA rows (clamped); the selection follows. */
void view_move(const struct pane_env *env, struct pane_view *view, long delta);
void view_select_first(struct pane_view *view);
/* Draw the view with its title bar (NUMBER: the pane's key, "2 Services"). */
void view_draw(const struct pane_env *env, struct pane_view *view, int number, int y, int x,
	       int height, int width, bool focused);
/* The key of the selected row, "" when none (static storage). */
const char *view_selected_key(const struct pane_env *env, struct pane_view *view);

#endif
