/* actions_pgmaint.h - the checks and runs of pg.vacuum, pg.analyze and pg.query for the
 * registry (actions.c); the state they leave for the screen is in pgmaint.h. */
#ifndef SD_ACTIONS_PGMAINT_H
#define SD_ACTIONS_PGMAINT_H

#include "actions.h"

int sd_check_pg_vacuum(struct sd_core *core, const struct sd_snapshot *snap,
		       struct sd_request *req);
int sd_check_pg_analyze(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req);
int sd_run_pg_vacuum(struct sd_core *core, struct sd_request *req);
int sd_run_pg_analyze(struct sd_core *core, struct sd_request *req);
int sd_check_pg_query(struct sd_core *core, const struct sd_snapshot *snap,
		      struct sd_request *req);
int sd_run_pg_query(struct sd_core *core, struct sd_request *req);

/* pg.query keeps at most this many rows of a result. */
#define SD_PG_QUERY_MAX_ROWS 10000

#endif
