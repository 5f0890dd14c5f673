/* backup.h - backups: PostgreSQL (pg_dump -Fc of the current primary), Redis (BGSAVE on the
 * master, the RDB copied out), Swarm state (service specs, node labels and availability,
 * networks, configs and secret names, never secret values). Files are written under a
 * temporary name and renamed when complete; a manifest beside each holds its SHA-256 and the
 * last verification. */
#ifndef SD_BACKUP_H
#define SD_BACKUP_H

#include "conf/config.h"
#include "backends/docker/docker.h"
#include "model/model.h"
#include "backends/pg/pg.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_backup_runner;

struct sd_backup_runner *sd_backup_open(const struct sd_config *config, struct sd_pg_backend *pg,
					struct sd_docker *docker);
void sd_backup_close(struct sd_backup_runner *runner);

/* Scan the backup folder and manifests into a new part, newest first, with the progress of a
 * backup or restore under way (set by the functions below, from another thread). */
int sd_backup_list(struct sd_backup_runner *runner, struct sd_backups **out, char *err,
		   size_t errlen);

/* KIND: postgres | redis | swarm. SNAP tells the current primary / master / stack. On success
 * FILE gets the final path. Long running: progress goes to the runner (bytes, rate). On
 * failure no file is left under a final name and ERR says why. */
int sd_backup_take(struct sd_backup_runner *runner, const char *kind,
		   const struct sd_snapshot *snap, char *file, size_t filelen, char *err,
		   size_t errlen);

/* Checksum against the manifest, and for PostgreSQL dumps `pg_restore --list`; the result is
 * stored in the manifest. 0 verified, -1 failed (RESULT says why either way). */
int sd_backup_verify(struct sd_backup_runner *runner, const char *file, char *result,
		     size_t resultlen);

/* Retention: the files older than retention_days that may go (a newer verified backup of the
 * same kind exists). malloc'ed NULL-terminated list (free each and the list). */
char **sd_backup_expired(struct sd_backup_runner *runner);
int sd_backup_delete(struct sd_backup_runner *runner, char **files, char *err, size_t errlen);

/* How the restore scales services: through the registry's checks, never the Docker backend
 * directly. */
struct sd_backup_scaler {
	/* scale SERVICE to REPLICAS through the registry's checks; 0 or -1 with ERR */
	int (*scale)(void *ctx, const char *service, long replicas, char *err, size_t errlen);
	void *ctx;
};

/* Restore a PostgreSQL dump into DATABASE on the current primary, following the recovery
 * flow as visible steps: scale config.backup.services to 0 (remembering their replicas),
 * pg_restore --clean --if-exists, scale them back. Stops at the first failing step with the
 * services put back as they were. Refuses a standby target. Every scaling (down, back, and
 * back after a failure) goes through SCALER->scale; the replicas to put back are read from
 * the engine just before (SNAP says which services exist), and the wait for their tasks
 * asks the Docker backend (sd_docker_service_active_tasks). */
int sd_backup_restore(struct sd_backup_runner *runner, const char *file, const char *database,
		      const struct sd_snapshot *snap, const struct sd_backup_scaler *scaler,
		      char *result, size_t resultlen);

/* ---- the off-site copies (backup.remote, a WebDAV store; remote.c) ---- */

bool sd_backup_remote_configured(const struct sd_backup_runner *runner);
/* Upload FILE (in the backup folder) and check the remote copy: size by PROPFIND, SHA-256 of
 * a full read back; its manifest goes beside it last. 0, or -1; RESULT says which. */
int sd_backup_upload(struct sd_backup_runner *runner, const char *file, char *result,
		     size_t resultlen);
/* Upload every local backup the remote lacks a verified copy of (after a take). */
int sd_backup_upload_missing(struct sd_backup_runner *runner, char *result, size_t resultlen);
/* The same, then remote retention. */
int sd_backup_sync(struct sd_backup_runner *runner, char *result, size_t resultlen);
/* Remote retention: the remote copies (names) older than backup.remote.retention_days with
 * a newer verified remote copy of the same kind; NULL-terminated, malloc'ed. ERR says why
 * the list is empty when the remote did not answer. */
char **sd_backup_remote_expired(struct sd_backup_runner *runner, char *err, size_t errlen);
int sd_backup_remote_delete(struct sd_backup_runner *runner, char **names, char *err,
			    size_t errlen);
/* FILE held only by the remote: download it into the backup folder (temporary name, SHA-256
 * checked against the remote manifest, then renamed). 0 when FILE is local already or has
 * come down; -1 with RESULT, nothing left behind, on a mismatch or failure. */
int sd_backup_fetch(struct sd_backup_runner *runner, const char *file, char *result,
		    size_t resultlen);

#endif
