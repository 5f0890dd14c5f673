/* health.h - the rules that turn a snapshot into alerts and one overall level. */
#ifndef SD_HEALTH_H
#define SD_HEALTH_H

#include "conf/config.h"
#include "model/model.h"

/* Fill SNAP->alerts (in the snapshot's arena) and SNAP->health. */
void sd_health_evaluate(struct sd_snapshot *snap, const struct sd_config *config);

/* Time of the newest verified backup of KIND, 0 when none. */
time_t sd_backup_newest_verified(const struct sd_backups *backups, const char *kind);
/* The newest backup of KIND with a verified remote (off-site) copy, 0 when none. */
time_t sd_backup_newest_offsite(const struct sd_backups *backups, const char *kind);

/* Raft quorum of MANAGERS managers. */
int sd_quorum(int managers);
/* The worse of two levels: CRITICAL, then UNKNOWN, then WARNING, then OK. */
enum sd_level sd_level_worse(enum sd_level a, enum sd_level b);

#endif
