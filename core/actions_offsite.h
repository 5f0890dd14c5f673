/* actions_offsite.h - the registry's entries for the off-site copies of the backups
 * (backup.upload, backup.sync) and the remote steps of backup.take and backup.restore;
 * private to actions.c, which lists them in its table. */
#ifndef SD_ACTIONS_OFFSITE_H
#define SD_ACTIONS_OFFSITE_H

#include "actions.h"

int check_backup_upload(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req);
int run_backup_upload(struct sd_core *core, struct sd_request *req);
int check_backup_sync(struct sd_core *core, const struct sd_snapshot *snap,
		      struct sd_request *req);
int run_backup_sync(struct sd_core *core, struct sd_request *req);

/* backup.take's question: what the upload will do (nothing when no remote is set). */
void offsite_take_question(struct sd_core *core, struct sd_request *req);
/* After a take that succeeded: upload what the remote lacks; RESULT (the take's summary)
 * gets the outcome appended. 0, or -1 when the upload failed. */
int offsite_after_take(struct sd_core *core, char *result, size_t len);
/* backup.restore's question for a backup held only remotely. */
void offsite_restore_question(struct sd_core *core, const struct sd_backup *b,
			      struct sd_request *req);
/* Before a restore: bring a remote-only backup down (checked). 0 or -1 with RESULT. */
int offsite_before_restore(struct sd_core *core, struct sd_request *req);

#endif
