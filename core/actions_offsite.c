/* actions_offsite.c - the registry's checks and runs for the off-site copies: backup.upload
 * (the selected backup, for a copy that failed or predates the remote), backup.sync
 * (everything local the remote lacks, then remote retention, shown in the question), and
 * the remote steps of backup.take (upload after take and verify) and backup.restore
 * (download of a remote-only backup, checked, before today's restore flow). Each holds the
 * backup folder and the remote. */
#include "actions_offsite.h"
#include "request.h"

#include "backup/backup.h"
#include "base/text.h"
#include "core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void hold_offsite(struct sd_request *req)
{
	sd_request_hold(req, "backups", "the backup folder");
	sd_request_hold(req, "backups remote", "the off-site remote");
}

static const struct sd_backup *find_backup(const struct sd_snapshot *snap, const char *file)
{
	for (size_t i = 0; snap->backups && i < snap->backups->nitems; i++)
		if (!strcmp(snap->backups->items[i].file, file))
			return &snap->backups->items[i];
	return NULL;
}

static const struct sd_backup_copy *copy_at(const struct sd_backup *b, const char *where)
{
	for (size_t i = 0; i < b->ncopies; i++)
		if (!strcmp(b->copies[i].where, where))
			return &b->copies[i];
	return NULL;
}

static int need_remote(struct sd_core *core, struct sd_request *req)
{
	if (!sd_core_backup(core))
		return sd_request_refuse(req, "no backup section in the configuration");
	if (!sd_backup_remote_configured(sd_core_backup(core)))
		return sd_request_refuse(req, "no backup.remote in the configuration: nowhere to copy to");
	return 0;
}

int check_backup_upload(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req)
{
	if (need_remote(core, req) < 0)
		return -1;
	const struct sd_backup *b = find_backup(snap, req->target);
	if (!b)
		return sd_request_refuse(req, "no backup '%s'", req->target);
	const char *base = strrchr(b->file, '/');
	sd_strlcpy(req->target_name, base ? base + 1 : b->file, sizeof(req->target_name));
	hold_offsite(req);
	if (!b->local)
		return sd_request_refuse(req, "%s is held only by the remote: nothing to upload", req->target_name);
	const struct sd_backup_copy *remote = copy_at(b, "remote");
	sd_request_ask(req, "Upload %s (%lld bytes) to %s and check it there (size, SHA-256 read back)?",
	    req->target_name, b->size, snap->backups->remote_url);
	if (remote)
		sd_request_ask(req, "\nThe remote copy there now (verified: %s) is replaced.", remote->verified);
	if (strcmp(b->verified, "yes") != 0)
		sd_request_ask(req, "\nWARNING: the local copy is not verified (%s).", b->verified);
	return 0;
}

int run_backup_upload(struct sd_core *core, struct sd_request *req)
{
	return sd_backup_upload(sd_core_backup(core), req->target, req->result,
				sizeof(req->result));
}

int check_backup_sync(struct sd_core *core, const struct sd_snapshot *snap,
		      struct sd_request *req)
{
	if (need_remote(core, req) < 0)
		return -1;
	sd_strlcpy(req->target, "remote", sizeof(req->target));
	sd_strlcpy(req->target_name, "remote", sizeof(req->target_name));
	hold_offsite(req);
	const struct sd_backups *list = snap->backups;
	if (list && list->remote_error && *list->remote_error)
		return sd_request_refuse(req, "backup.sync: the remote does not answer: %s", list->remote_error);
	size_t missing = 0;
	for (size_t i = 0; list && i < list->nitems; i++) {
		const struct sd_backup_copy *remote = copy_at(&list->items[i], "remote");
		if (list->items[i].local && (!remote || strcmp(remote->verified, "yes") != 0)) {
			const char *base = strrchr(list->items[i].file, '/');
			if (missing++ < 5)
				sd_request_ask(req, "%s%s", missing == 1 ? "Upload to the remote (and check):\n  " : ", ",
				    base ? base + 1 : list->items[i].file);
		}
	}
	if (missing > 5)
		sd_request_ask(req, " and %zu more", missing - 5);
	if (!missing)
		sd_request_ask(req, "The remote holds a verified copy of every local backup.");
	char why[512] = "";
	char **expired = sd_backup_remote_expired(sd_core_backup(core), why, sizeof(why));
	size_t n = 0;
	for (char **e = expired; *e; e++, n++)
		if (n < 5)
			sd_request_ask(req, "%s%s", n == 0 ? "\nRemote retention deletes (older than its days, a newer "
						  "verified remote copy exists):\n  " : ", ", *e);
	if (n > 5)
		sd_request_ask(req, " and %zu more", n - 5);
	for (char **e = expired; *e; e++)
		free(*e);
	free(expired);
	sd_request_ask(req, "\nSync with %s?", list && list->remote_url ? list->remote_url : "the remote");
	return 0;
}

int run_backup_sync(struct sd_core *core, struct sd_request *req)
{
	return sd_backup_sync(sd_core_backup(core), req->result, sizeof(req->result));
}

void offsite_take_question(struct sd_core *core, struct sd_request *req)
{
	if (!sd_backup_remote_configured(sd_core_backup(core)))
		return;
	sd_request_hold(req, "backups remote", "the off-site remote");
	sd_request_ask(req, "\nOnce verified, it is uploaded to %s and checked there.",
	    sd_core_config(core)->backup.remote.url);
}

int offsite_after_take(struct sd_core *core, char *result, size_t len)
{
	struct sd_backup_runner *runner = sd_core_backup(core);
	if (!sd_backup_remote_configured(runner))
		return 0;
	char upload[768];
	int rc = sd_backup_upload_missing(runner, upload, sizeof(upload));
	size_t used = strlen(result);
	snprintf(result + used, len - used, "; %s%s", rc == 0 ? "remote: " : "verified locally, but the "
		 "off-site upload FAILED: ", upload);
	return rc;
}

void offsite_restore_question(struct sd_core *core, const struct sd_backup *b,
			      struct sd_request *req)
{
	(void)core;
	if (b->local)
		return;
	const struct sd_backup_copy *remote = copy_at(b, "remote");
	sd_request_hold(req, "backups remote", "the off-site remote");
	sd_request_ask(req, "\nOnly the remote holds it: it is downloaded first (%lld bytes) and its SHA-256 "
		 "checked against the manifest; a mismatch stops before anything is scaled.",
	    b->size);
	if (remote && strcmp(remote->verified, "yes") != 0)
		sd_request_ask(req, "\nWARNING: the remote copy is not verified (%s).", remote->verified);
}

int offsite_before_restore(struct sd_core *core, struct sd_request *req)
{
	struct stat st;
	if (stat(req->target, &st) == 0)
		return 0;
	char result[1024];
	if (sd_backup_fetch(sd_core_backup(core), req->target, result, sizeof(result)) != 0)
		return sd_request_refuse(req, "restore not started: %s", result);
	return 0;
}
