/* views.h - the full-screen views opened from a pane (logs, inspect), each a text view
 * (textview.h) over a source of its own. Opening reads the console's focus and selection;
 * the network work happens on the views' own threads. */
#ifndef SD_VIEWS_H
#define SD_VIEWS_H

#include "textview.h"

#include <stddef.h>

struct ui;

/* The logs of the selected service, task or node (its tasks' logs). NULL with ERR when the
 * focused pane has nothing to show logs of. */
struct textview *logs_view_open(struct ui *ui, char *err, size_t errlen);
/* The selected service, task, node, PostgreSQL member or the Redis master as text. */
struct textview *inspect_view_open(struct ui *ui, char *err, size_t errlen);

#endif
