/* pane_services.h - the services pane's grouping by stack (services.group), for the console's
 * navigation handlers: the pane's view shows either pane_services' rows or pane_stacks'. */
#ifndef SD_PANE_SERVICES_H
#define SD_PANE_SERVICES_H

#include "pane.h"

#include <stdbool.h>

struct ui;

/* One row per stack (com.docker.stack.namespace), plus "-" for services outside any. */
extern const struct pane_ops pane_stacks;

/* True while the services pane shows stack rows. */
bool services_grouped(const struct ui *ui);
/* services.group: stack rows, or back to the services (cursor, sort and filter reset). */
void services_group_toggle(struct ui *ui);
/* open in the services pane: on a stack row, the stack's services (filter stack:NAME), and
 * true; false when the pane shows services (open means their tasks then). */
bool services_open_stack(struct ui *ui);
/* back in the services pane: from a stack's services (still filtered by it) to the stack
 * rows, the stack selected, and true; false otherwise. */
bool services_back_to_stacks(struct ui *ui);

#endif
