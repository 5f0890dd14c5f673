/* restore.c - the restore of a PostgreSQL dump as visible steps: check the dump, scale the
 * services down, wait for their tasks, pg_restore in one transaction (watched for lock
 * waits), scale them back; on any failure the services are put back as they were. */

#include "backup/internal.h"
#include "backup/manifest.h"
#include "base/child.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <jansson.h>

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct restore_tick {
	struct sd_backup_runner *runner;
	const char *path;            /* as /proc shows it: symbolic links resolved */
	long long size;
	/* restores: a second session that watches pg_restore's for lock waits */
	struct sd_pg_session *watch;
	double next_watch;
	char blocked[512];           /* why pg_restore was stopped, "" */
};

/* How far a child has read PATH: its position in /proc/PID/fdinfo. */
static void tick_file_position(void *user, pid_t pid)
{
	struct restore_tick *t = user;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char link[PATH_MAX + 64], target[PATH_MAX];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, t->path) != 0)
			continue;
		char info[PATH_MAX + 64];
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
		FILE *f = fopen(info, "re");
		long long pos = -1;
		if (f) {
			if (fscanf(f, "pos: %lld", &pos) != 1)
				pos = -1;
			fclose(f);
		}
		if (pos >= 0)
			runner_bytes(t->runner, pos, t->size);
		break;
	}
	closedir(d);
}

#define RESTORE_APP "swarmdeck-restore"
#define RESTORE_LOCK_LIMIT 60    /* seconds pg_restore may wait for a lock */

/* pg_restore sets lock_timeout = 0 itself (the archive says so), so a session holding a
 * table would keep the restore, and the services scaled down, waiting for ever: a second
 * session looks at pg_restore's and stops it after RESTORE_LOCK_LIMIT seconds on one lock,
 * naming who holds it. */
static void watch_locks(struct restore_tick *t, pid_t pid)
{
	if (!t->watch || t->blocked[0] || sd_now() < t->next_watch)
		return;
	t->next_watch = sd_now() + 2.0;
	long seconds = 0, waiter = 0;
	char holders[384];
	if (sd_pg_lock_waiter(t->watch, RESTORE_APP, &seconds, &waiter, holders, sizeof(holders),
			      NULL, 0) == 1 &&
	    seconds >= RESTORE_LOCK_LIMIT) {
		snprintf(t->blocked, sizeof(t->blocked),
			 "pg_restore waited %ld s for a lock held by %s and was stopped", seconds,
			 holders);
		kill(-pid, SIGKILL);
		/* and its session, so that its transaction rolls back now, not when the lock
		 * comes */
		sd_pg_terminate(t->watch, waiter, NULL, 0);
	}
}

static void tick_restore(void *user, pid_t pid)
{
	tick_file_position(user, pid);
	watch_locks(user, pid);
}
/* ------------------------------------------------------------------------------------------ */
/* restore                                                                                     */

struct scaled {
	char name[256];
	long previous;
	bool down;                   /* we scaled it to 0 */
};

/* Put every service we scaled down back to its count; "NAME 0->3, ..." into RESULT. */
static bool put_back(const struct sd_backup_scaler *scaler, struct scaled *s, size_t n,
		     char *result, size_t resultlen)
{
	bool all_ok = true;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].down)
			continue;
		char e[512] = "";
		int rc = -1;
		for (int attempt = 0; attempt < 3 && rc < 0; attempt++) {
			if (attempt)
				sd_sleep(1.0);
			rc = scaler->scale(scaler->ctx, s[i].name, s[i].previous, e, sizeof(e));
		}
		if (result[0])
			append(result, resultlen, ", ");
		if (rc == 0) {
			append(result, resultlen, "%s 0->%ld", s[i].name, s[i].previous);
			s[i].down = false;
		} else {
			append(result, resultlen, "COULD NOT scale %s back to %ld: %s", s[i].name,
			       s[i].previous, e);
			all_ok = false;
		}
	}
	return all_ok;
}

/* SERVICE's replicas as the engine has them now: the snapshot may be a refresh old, and a
 * count read there would be the one put back. */
static int current_replicas(struct sd_backup_runner *r, const char *service, long *replicas,
			    char *err, size_t errlen)
{
	for (const char *p = service; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p)) {
			sd_set_error(err, errlen, "'%s' is not a service name", service);
			return -1;
		}
	}
	char path[320];
	snprintf(path, sizeof(path), "/services/%s", service);
	size_t len = 0;
	char e[512] = "";
	char *body = sd_docker_get(r->docker, path, &len, e, sizeof(e));
	if (!body) {
		sd_set_error(err, errlen, "GET %s: %s", path, e);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	free(body);
	json_t *n = json_object_get(json_object_get(json_object_get(json_object_get(root, "Spec"),
								    "Mode"), "Replicated"), "Replicas");
	int rc = -1;
	if (json_is_integer(n) && json_integer_value(n) >= 0) {
		*replicas = (long)json_integer_value(n);
		rc = 0;
	} else {
		sd_set_error(err, errlen, "GET %s: no Spec.Mode.Replicated.Replicas in the answer", path);
	}
	json_decref(root);
	return rc;
}

int sd_backup_restore(struct sd_backup_runner *r, const char *file, const char *database,
		      const struct sd_snapshot *snap, const struct sd_backup_scaler *scaler,
		      char *result, size_t resultlen)
{
	char path[PATH_MAX], err[1024];
	if (resolve_backup(r, file, path, sizeof(path), result, resultlen) < 0)
		return -1;
	char manifest_path[PATH_MAX + 32];
	snprintf(manifest_path, sizeof(manifest_path), "%s%s", path, MANIFEST_SUFFIX);
	struct sd_backup_manifest m;
	if (sd_backup_manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "refused: %s", err);
		return -1;
	}
	if (strcmp(m.kind, "postgres") != 0) {
		sd_set_error(result, resultlen, "refused: %s is a %s backup; only PostgreSQL dumps are restored here",
			base_name(path), m.kind);
		return -1;
	}
	const struct sd_pg_member *primary = find_primary(snap, err, sizeof(err));
	if (!primary) {
		sd_set_error(result, resultlen, "refused: %s", err);
		return -1;
	}
	const char *db = database && *database ? database : m.database;
	if (!db[0]) {
		sd_set_error(result, resultlen, "refused: no database named (the manifest has none)");
		return -1;
	}
	/* the services to stop, with their replicas now */
	size_t ns = r->config->backup.nservices;
	struct scaled *svc = xcalloc(ns ? ns : 1, sizeof(*svc));
	for (size_t i = 0; i < ns; i++) {
		const char *name = r->config->backup.services[i];
		const struct sd_service *s = snap && snap->swarm ? sd_swarm_service(snap->swarm, name) : NULL;
		if (!s) {
			sd_set_error(result, resultlen, "refused: service %s (backup.services) is not in the swarm%s",
				name, snap && snap->swarm ? "" : " (no data from the engine yet)");
			free(svc);
			return -1;
		}
		if (strcmp(s->mode, "replicated") != 0) {
			sd_set_error(result, resultlen, "refused: service %s is %s and cannot be scaled to 0",
				name, s->mode);
			free(svc);
			return -1;
		}
		sd_strlcpy(svc[i].name, s->name, sizeof(svc[i].name));
		svc[i].previous = s->desired;
	}
	if (ns && !r->docker) {
		sd_set_error(result, resultlen, "refused: no Docker engine to scale the services with");
		free(svc);
		return -1;
	}
	if (ns && (!scaler || !scaler->scale)) {
		sd_set_error(result, resultlen, "refused: no scaler to scale the services with");
		free(svc);
		return -1;
	}
	for (size_t i = 0; i < ns; i++) {
		char e[768];
		if (current_replicas(r, svc[i].name, &svc[i].previous, e, sizeof(e)) < 0) {
			sd_set_error(result, resultlen, "refused: the replicas of %s now: %s", svc[i].name, e);
			free(svc);
			return -1;
		}
	}
	char what[512];
	sd_set_error(what, sizeof(what), "restore %s into %s on %s", base_name(path), db, primary->name);
	if (runner_begin(r, what, -1, false, result, resultlen) < 0) {
		free(svc);
		return -1;
	}
	const int nsteps = ns ? 5 : 2;
	int step = 0;
	char done[1024] = "", failed[1024] = "";
	double t0;

	/* 1: the dump is intact and readable */
	runner_step(r, "step %d/%d: checking the dump", ++step, nsteps);
	char vres[1024];
	if (verify_path(r, path, vres, sizeof(vres)) < 0) {
		sd_set_error(failed, sizeof(failed), "step 1 (check the dump): %s", vres);
		goto out;
	}
	append(done, sizeof(done), "1 dump checked (sha256, pg_restore --list)");

	if (ns) {
		/* 2: scale the services to 0 */
		runner_step(r, "step %d/%d: scaling %zu service%s to 0", ++step, nsteps, ns, ns == 1 ? "" : "s");
		for (size_t i = 0; i < ns; i++) {
			char e[512] = "";
			if (scaler->scale(scaler->ctx, svc[i].name, 0, e, sizeof(e)) < 0) {
				sd_set_error(failed, sizeof(failed), "step 2 (scale %s to 0): %s", svc[i].name, e);
				svc[i].down = true;   /* it may have been applied: put it back anyway */
				goto out;
			}
			svc[i].down = true;
			append(done, sizeof(done), "%s %s %ld->0", i ? "," : "; 2 scaled", svc[i].name,
			       svc[i].previous);
		}
		/* 3: wait until their tasks stopped */
		runner_step(r, "step %d/%d: waiting for the tasks to stop", ++step, nsteps);
		t0 = sd_now();
		for (;;) {
			long active = 0;
			char e[512] = "";
			for (size_t i = 0; i < ns && active >= 0; i++) {
				long a = sd_docker_service_active_tasks(r->docker, svc[i].name, e, sizeof(e));
				active = a < 0 ? -1 : active + a;
			}
			if (active == 0)
				break;
			if (sd_now() - t0 > TASKS_STOP_LIMIT) {
				if (active < 0)
					sd_set_error(failed, sizeof(failed), "step 3 (wait for the tasks to stop): %s", e);
				else
					sd_set_error(failed, sizeof(failed),
						 "step 3 (wait for the tasks to stop): %ld still running after %.0f s",
						 active, TASKS_STOP_LIMIT);
				goto out;
			}
			runner_step(r, "step %d/%d: waiting for %ld task%s to stop", step, nsteps,
				    active < 0 ? 0 : active, active == 1 ? "" : "s");
			sd_sleep(1.0);
		}
		append(done, sizeof(done), "; 3 tasks stopped (%.0f s)", sd_now() - t0);
	}

	/* 4: pg_restore into the primary */
	step++;
	runner_step(r, "step %d/%d: pg_restore into %s on %s", step, nsteps, db, primary->name);
	{
		struct pg_target t;
		if (pg_target_make(r, primary->name, db, RESTORE_APP, NULL, &t, err, sizeof(err)) < 0) {
			sd_set_error(failed, sizeof(failed), "step %d (pg_restore): %s", step, err);
			goto out;
		}
		/* /proc/PID/fd names the file with its links resolved and from the root: a
		 * backup folder given relative or through a link would never match */
		char real[PATH_MAX];
		struct restore_tick tick = {.runner = r, .path = realpath(path, real) ? real : path,
					    .size = m.size};
		const struct sd_pg_conninfo_request watch = {
			.database = db, .application_name = RESTORE_APP "-watch",
			.options = "-c statement_timeout=5000", .read_write = true, .keepalives = true,
		};
		/* the restore goes on unwatched when this session cannot be had */
		tick.watch = sd_pg_session_open(r->pg, primary->name, &watch, NULL, 0);
		const char *argv[] = {"pg_restore", "--clean", "--if-exists", "--single-transaction",
				"-d", t.conninfo, path, NULL};
		t0 = sd_now();
		int rc = sd_child_run(argv, tick_restore, &tick, err, sizeof(err));
		sd_pg_session_close(tick.watch);
		if (rc < 0 && tick.blocked[0])
			sd_strlcpy(err, tick.blocked, sizeof(err));
		pg_target_free(&t);
		if (rc < 0) {
			sd_set_error(failed, sizeof(failed), "step %d (pg_restore into %s on %s, nothing changed: one transaction): %s",
				 step, db, primary->name, err);
			goto out;
		}
		append(done, sizeof(done), "; %d pg_restore into %s on %s (%.1f s)", step, db,
		       primary->name, sd_now() - t0);
	}

out:;
	/* 5 (or after a failure): the services as they were */
	bool put_ok = true;
	char back[1024] = "";
	if (ns) {
		if (!failed[0])
			runner_step(r, "step %d/%d: scaling the services back", nsteps, nsteps);
		put_ok = put_back(scaler, svc, ns, back, sizeof(back));
	}
	free(svc);
	int rc;
	if (failed[0]) {
		sd_set_error(result, resultlen, "restore of %s FAILED at %s. Done before: %s%s%s%s",
			base_name(path), failed, done[0] ? done : "nothing",
			back[0] ? "; put back: " : "", back,
			back[0] && put_ok ? " (services as they were)" : "");
		rc = -1;
	} else {
		sd_set_error(result, resultlen, "restored %s into %s on %s: %s%s%s", base_name(path), db,
			primary->name, done, back[0] ? "; 5 scaled back " : "", back);
		rc = put_ok ? 0 : -1;
	}
	runner_end(r, rc == 0 ? NULL : result);
	return rc;
}

