/* actions_pg.h - the checks and runs of pg.cancel and pg.terminate (actions_pg.c), for the
 * registry in actions.c. */
#ifndef SD_ACTIONS_PG_H
#define SD_ACTIONS_PG_H

#include "actions.h"

int sd_actions_pg_check_cancel(struct sd_core *core, const struct sd_snapshot *snap,
			       struct sd_request *req);
int sd_actions_pg_check_terminate(struct sd_core *core, const struct sd_snapshot *snap,
				  struct sd_request *req);
int sd_actions_pg_run_cancel(struct sd_core *core, struct sd_request *req);
int sd_actions_pg_run_terminate(struct sd_core *core, struct sd_request *req);

#endif
