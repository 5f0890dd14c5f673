/* actions.c - the action registry: every action's id, name, help, confirmation, check, the
 * targets it holds and its run. Navigation actions are listed here too with an empty handler
 * slot the front end fills at start, so that keymaps, help and drills know one set of
 * entries. The restore scales its services through this file's own service.scale checks. */
#include "actions.h"
#include "request.h"
#include "actions_swarm.h"
#include "actions_pgmaint.h"
#include "actions_pg.h"
#include "actions_offsite.h"
#include "base/text.h"
#include "backup/backup.h"
#include "core.h"
#include "backends/docker/docker.h"
#include "model/health.h"
#include "backends/pg/pg.h"
#include "backends/redis/sentinel.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- Swarm: services ---- */

static int check_scale(struct sd_core *core, const struct sd_snapshot *snap,
		       struct sd_request *req)
{
	const struct sd_service *s = sd_request_service(snap, req);
	if (!s)
		return sd_request_refuse(req, "no service '%s'", req->target);
	if (strcmp(s->mode, "replicated") != 0)
		return sd_request_refuse(req, "%s is a %s service: it runs one task per node and cannot be scaled",
			      s->name, s->mode);
	const char *p = req->param;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return sd_request_refuse(req, "scale %s: no number of replicas given", s->name);
	char *end;
	errno = 0;
	long n = strtol(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (*end || errno)
		return sd_request_refuse(req, "scale %s: '%s' is not a number of replicas", s->name, req->param);
	if (n < 0)
		return sd_request_refuse(req, "scale %s: %ld replicas: the number cannot be negative", s->name, n);
	long max = sd_core_config(core)->scale_max;
	if (n > max)
		return sd_request_refuse(req, "scale %s: %ld replicas is more than scale_max (%ld)", s->name, n, max);
	snprintf(req->param, sizeof(req->param), "%ld", n);
	sd_request_ask(req, "Scale %s from %ld to %ld replicas?", s->name, s->desired, n);
	if (n == 0)
		sd_request_ask(req, "\n0 stops every task of %s.", s->name);
	return 0;
}

static int run_scale(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	if (sd_docker_service_scale(sd_core_docker(core), req->target, atol(req->param), err,
				    sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "scaled to %s", req->param);
	return 0;
}

static int check_rollback(struct sd_core *core, const struct sd_snapshot *snap,
			  struct sd_request *req)
{
	(void)core;
	const struct sd_service *s = sd_request_service(snap, req);
	if (!s)
		return sd_request_refuse(req, "no service '%s'", req->target);
	if (!s->has_previous_spec)
		return sd_request_refuse(req, "%s has no previous spec to roll back to", s->name);
	sd_request_ask(req, "Roll back %s to its previous spec?", s->name);
	if (*s->update_state)
		sd_request_ask(req, "\nIts update state is %s.", s->update_state);
	return 0;
}

static int run_rollback(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	if (sd_docker_service_rollback(sd_core_docker(core), req->target, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "rollback started");
	return 0;
}

static int check_redeploy(struct sd_core *core, const struct sd_snapshot *snap,
			  struct sd_request *req)
{
	(void)core;
	const struct sd_service *s = sd_request_service(snap, req);
	if (!s)
		return sd_request_refuse(req, "no service '%s'", req->target);
	sd_request_ask(req, "Redeploy %s (force update: every task is replaced, one by one)?", s->name);
	return 0;
}

static int run_redeploy(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	if (sd_docker_service_redeploy(sd_core_docker(core), req->target, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "redeploy started");
	return 0;
}

/* ---- Swarm: nodes ---- */

static int check_availability(const struct sd_snapshot *snap, struct sd_request *req,
			      const char *availability)
{
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	if (!strcmp(n->availability, availability))
		return sd_request_refuse(req, "%s is already %s", n->hostname, availability);
	if (!strcmp(availability, "drain"))
		sd_request_ask(req, "Drain %s? Its %d task%s move to other nodes.", n->hostname, n->tasks,
		    n->tasks == 1 ? "" : "s");
	else if (!strcmp(availability, "pause"))
		sd_request_ask(req, "Pause %s? No new tasks will be placed on it; running ones stay.",
		    n->hostname);
	else
		sd_request_ask(req, "Activate %s? It takes new tasks again.", n->hostname);
	if (!strcmp(n->role, "manager") && strcmp(availability, "active") != 0)
		sd_request_ask(req, "\n%s stays a manager (it keeps voting in Raft).", n->hostname);
	return 0;
}

static int check_drain(struct sd_core *c, const struct sd_snapshot *s, struct sd_request *r)
{
	(void)c;
	return check_availability(s, r, "drain");
}

static int check_pause(struct sd_core *c, const struct sd_snapshot *s, struct sd_request *r)
{
	(void)c;
	return check_availability(s, r, "pause");
}

static int check_activate(struct sd_core *c, const struct sd_snapshot *s, struct sd_request *r)
{
	(void)c;
	return check_availability(s, r, "active");
}

static int run_availability(struct sd_core *core, struct sd_request *req, const char *avail)
{
	char err[512];
	if (sd_docker_node_availability(sd_core_docker(core), req->target, avail, err,
					sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "availability %s", avail);
	return 0;
}

static int run_drain(struct sd_core *c, struct sd_request *r) { return run_availability(c, r, "drain"); }
static int run_pause(struct sd_core *c, struct sd_request *r) { return run_availability(c, r, "pause"); }
static int run_activate(struct sd_core *c, struct sd_request *r) { return run_availability(c, r, "active"); }

static void quorum_note(struct sd_request *req, int managers)
{
	if (managers < 3)
		sd_request_ask(req, "\nWARNING: %d manager%s tolerate%s no manager failure (3 or more advised).",
		    managers, managers == 1 ? "" : "s", managers == 1 ? "s" : "");
	else if (managers % 2 == 0)
		sd_request_ask(req, "\nWARNING: %d managers (even) tolerate no more failures than %d.", managers,
		    managers - 1);
}

static int check_promote(struct sd_core *core, const struct sd_snapshot *snap,
			 struct sd_request *req)
{
	(void)core;
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	if (!strcmp(n->role, "manager"))
		return sd_request_refuse(req, "%s is already a manager", n->hostname);
	if (strcmp(n->state, "ready") != 0)
		return sd_request_refuse(req, "%s is %s: only a ready node can become a manager", n->hostname,
			      n->state);
	int after = snap->swarm->managers + 1;
	sd_request_ask(req, "Promote %s to manager? Managers: %d -> %d (quorum %d).", n->hostname,
	    snap->swarm->managers, after, sd_quorum(after));
	quorum_note(req, after);
	return 0;
}

static int check_demote(struct sd_core *core, const struct sd_snapshot *snap,
			struct sd_request *req)
{
	(void)core;
	const struct sd_node *n = sd_request_node(snap, req);
	if (!n)
		return sd_request_refuse(req, "no node '%s'", req->target);
	if (strcmp(n->role, "manager") != 0)
		return sd_request_refuse(req, "%s is not a manager", n->hostname);
	const struct sd_swarm *sw = snap->swarm;
	if (sw->managers <= 1)
		return sd_request_refuse(req, "%s is the last manager: a swarm needs at least one", n->hostname);
	int after = sw->managers - 1;
	bool reachable = !strcmp(n->manager, "leader") || !strcmp(n->manager, "reachable");
	int reachable_after = sw->managers_reachable - (reachable ? 1 : 0);
	sd_request_ask(req, "Demote %s to worker? Managers: %d -> %d (quorum %d, %d reachable after).",
	    n->hostname, sw->managers, after, sd_quorum(after), reachable_after);
	if (!strcmp(n->manager, "leader"))
		sd_request_ask(req, "\n%s is the leader: a new leader will be elected.", n->hostname);
	quorum_note(req, after);
	if (reachable_after < sd_quorum(after)) {
		sd_request_ask(req, "\nDANGER: quorum would be LOST (%d reachable of %d needed): the swarm stops "
			 "accepting changes. Type the node's name to go on.",
		    reachable_after, sd_quorum(after));
		req->confirm = SD_CONFIRM_TYPE_NAME;
	}
	return 0;
}

static int run_role(struct sd_core *core, struct sd_request *req, const char *role)
{
	char err[512];
	if (sd_docker_node_role(sd_core_docker(core), req->target, role, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result), "role %s", role);
	return 0;
}

static int run_promote(struct sd_core *c, struct sd_request *r) { return run_role(c, r, "manager"); }
static int run_demote(struct sd_core *c, struct sd_request *r) { return run_role(c, r, "worker"); }

/* ---- PostgreSQL ---- */

#define HOLD_POSTGRES "postgres", "the PostgreSQL cluster"
#define HOLD_BACKUPS "backups", "the backup folder"

static void describe_standby(struct sd_request *req, const struct sd_pg_member *m, time_t now)
{
	sd_request_ask(req, "\n  %-10s %-11s lag %lld B", m->name, m->reachable ? "reachable" : "UNREACHABLE",
	    m->lag_bytes < 0 ? 0 : m->lag_bytes);
	if (m->last_replay > 0)
		sd_request_ask(req, ", replayed %lds ago", (long)(now - m->last_replay));
	sd_request_ask(req, ", %s", m->sync_state && *m->sync_state ? m->sync_state : "async");
	if (!m->reachable)
		sd_request_ask(req, "  (not eligible: unreachable)");
}

static int check_pg_promote(struct sd_core *core, const struct sd_snapshot *snap,
			    struct sd_request *req)
{
	if (!sd_core_pg(core))
		return sd_request_refuse(req, "no postgres section in the configuration");
	const struct sd_pg_member *m = sd_pg_member_named(snap->pg, req->target);
	if (!m)
		return sd_request_refuse(req, "no PostgreSQL member '%s'", req->target);
	sd_strlcpy(req->target_name, m->name, sizeof(req->target_name));
	sd_request_hold(req, HOLD_POSTGRES);
	if (!m->reachable)
		return sd_request_refuse(req, "%s is unreachable: it cannot be promoted", m->name);
	if (strcmp(m->role, "standby") != 0)
		return sd_request_refuse(req, "%s is a %s, not a standby: nothing to promote", m->name, m->role);
	const struct sd_pg_member *primary = NULL;
	for (size_t i = 0; i < snap->pg->nmembers; i++)
		if (snap->pg->members[i].reachable && !strcmp(snap->pg->members[i].role, "primary"))
			primary = &snap->pg->members[i];
	sd_request_ask(req, "Promote standby %s to primary (pg_promote)?\nStandbys:", m->name);
	time_t now = time(NULL);
	for (size_t i = 0; i < snap->pg->nmembers; i++)
		if (!strcmp(snap->pg->members[i].role, "standby"))
			describe_standby(req, &snap->pg->members[i], now);
	if (primary) {
		sd_request_ask(req, "\nDANGER: primary %s still answers and accepts writes: promoting %s makes "
			 "TWO primaries (split brain). Type %s to go on.",
		    primary->name, m->name, m->name);
		req->confirm = SD_CONFIRM_TYPE_NAME;
	}
	return 0;
}

static int run_pg_promote(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	long timeline = 0;
	if (sd_pg_promote(sd_core_pg(core), req->target, &timeline, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result),
		 "promoted, timeline %ld. Next: point applications and the other standbys "
		 "(primary_conninfo) at %s",
		 timeline, req->target);
	return 0;
}

/* ---- Redis ---- */

static int check_failover(struct sd_core *core, const struct sd_snapshot *snap,
			  struct sd_request *req)
{
	if (!sd_core_sentinel(core))
		return sd_request_refuse(req, "no redis section in the configuration");
	const struct sd_redis *r = snap->redis;
	if (!r || !r->master.addr || !*r->master.addr)
		return sd_request_refuse(req, "no Sentinel answers: the master is unknown");
	sd_strlcpy(req->target, r->master.name, sizeof(req->target));
	sd_strlcpy(req->target_name, r->master.name, sizeof(req->target_name));
	sd_request_hold(req, "redis", "the Redis master");
	if (r->failover && *r->failover)
		return sd_request_refuse(req, "a failover of %s is already in progress (%s)", r->master.name,
			      r->failover);
	sd_request_ask(req, "Fail over Redis master %s (%s) to a replica (SENTINEL FAILOVER)?", r->master.name,
	    r->master.addr);
	return 0;
}

static int run_failover(struct sd_core *core, struct sd_request *req)
{
	char err[512];
	if (sd_sentinel_failover(sd_core_sentinel(core), err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	snprintf(req->result, sizeof(req->result),
		 "failover started; watch the event log for +switch-master");
	return 0;
}

/* ---- backups ---- */

static const struct sd_pg_member *reachable_primary(const struct sd_snapshot *snap)
{
	for (size_t i = 0; snap->pg && i < snap->pg->nmembers; i++)
		if (snap->pg->members[i].reachable && !strcmp(snap->pg->members[i].role, "primary"))
			return &snap->pg->members[i];
	return NULL;
}

static const struct sd_backup *find_backup(const struct sd_snapshot *snap, const char *file)
{
	for (size_t i = 0; snap->backups && i < snap->backups->nitems; i++)
		if (!strcmp(snap->backups->items[i].file, file))
			return &snap->backups->items[i];
	return NULL;
}

static const char *backup_kind(const char *answer)
{
	static const char *const kinds[] = {"postgres", "redis", "swarm"};
	for (size_t i = 0; i < 3; i++)
		if (*answer && !strncasecmp(kinds[i], answer, strlen(answer)))
			return kinds[i];
	return NULL;
}

static int check_backup_take(struct sd_core *core, const struct sd_snapshot *snap,
			     struct sd_request *req)
{
	const struct sd_config *config = sd_core_config(core);
	if (!sd_core_backup(core))
		return sd_request_refuse(req, "no backup section in the configuration");
	/* <Enter> alone takes the daily backup of the planning documents: PostgreSQL */
	const char *kind = req->param[0] ? backup_kind(req->param) : "postgres";
	if (!kind)
		return sd_request_refuse(req, "backup: '%s' is not one of postgres, redis, swarm", req->param);
	snprintf(req->param, sizeof(req->param), "%s", kind);
	snprintf(req->target, sizeof(req->target), "%s", kind);
	snprintf(req->target_name, sizeof(req->target_name), "%s backup", kind);
	sd_request_hold(req, HOLD_BACKUPS);
	if (!strcmp(kind, "postgres")) {
		const struct sd_pg_member *p = reachable_primary(snap);
		if (!p)
			return sd_request_refuse(req, "backup: no reachable PostgreSQL primary (a standby is never dumped)");
		sd_request_ask(req, "Take a PostgreSQL backup (pg_dump -Fc) of");
		for (size_t i = 0; i < config->backup.ndatabases; i++)
			sd_request_ask(req, " %s", config->backup.databases[i]);
		sd_request_ask(req, " from the primary %s into %s?", p->name, config->backup.dir);
	} else if (!strcmp(kind, "redis")) {
		if (!snap->redis || !snap->redis->master.addr || !*snap->redis->master.addr)
			return sd_request_refuse(req, "backup: the Redis master is unknown (no Sentinel answers)");
		sd_request_ask(req, "Take a Redis backup (BGSAVE) of the master %s into %s?",
		    snap->redis->master.addr, config->backup.dir);
	} else {
		if (!snap->docker_status.reachable)
			return sd_request_refuse(req, "backup: the engine is unreachable");
		sd_request_ask(req, "Export the Swarm state (%s%s service specs, nodes, networks, configs, secret "
			 "names without values) into %s?",
		    config->backup.stack ? "stack " : "all", config->backup.stack ? config->backup.stack : "",
		    config->backup.dir);
	}
	char **expired = sd_backup_expired(sd_core_backup(core));
	size_t n = 0;
	for (char **e = expired; e && *e; e++)
		if (strstr(*e, kind) && n++ < 5)
			sd_request_ask(req, "%s %s", n == 1 ? "\nRetention: once this backup is verified, deletes" : ",",
			    strrchr(*e, '/') ? strrchr(*e, '/') + 1 : *e);
	if (n > 5)
		sd_request_ask(req, " and %zu more", n - 5);
	for (char **e = expired; e && *e; e++)
		free(*e);
	free(expired);
	offsite_take_question(core, req);
	return 0;
}

/* sd_backup_take verifies what it wrote and applies retention itself; its summary (size,
 * rate, verification, deletions) becomes the result. */
static int run_backup_take(struct sd_core *core, struct sd_request *req)
{
	struct sd_snapshot *snap = sd_core_snapshot(core);
	char file[1024], summary[768];
	int rc = sd_backup_take(sd_core_backup(core), req->param, snap, file, sizeof(file), summary,
				sizeof(summary));
	sd_snapshot_unref(snap);
	snprintf(req->result, sizeof(req->result), "%s%s", rc == 0 ? "" : "backup failed: ", summary);
	if (rc == 0)
		rc = offsite_after_take(core, req->result, sizeof(req->result));
	return rc;
}

static int check_backup_verify(struct sd_core *core, const struct sd_snapshot *snap,
			       struct sd_request *req)
{
	if (!sd_core_backup(core))
		return sd_request_refuse(req, "no backup section in the configuration");
	const struct sd_backup *b = find_backup(snap, req->target);
	if (!b)
		return sd_request_refuse(req, "no backup '%s'", req->target);
	const char *base = strrchr(b->file, '/');
	sd_strlcpy(req->target_name, base ? base + 1 : b->file, sizeof(req->target_name));
	sd_request_hold(req, HOLD_BACKUPS);
	return 0;
}

static int run_backup_verify(struct sd_core *core, struct sd_request *req)
{
	char verdict[768];
	int rc = sd_backup_verify(sd_core_backup(core), req->target, verdict, sizeof(verdict));
	snprintf(req->result, sizeof(req->result), "%s: %s", rc == 0 ? "verified" : "verification FAILED",
		 verdict);
	return rc;
}

static int check_backup_restore(struct sd_core *core, const struct sd_snapshot *snap,
				struct sd_request *req)
{
	const struct sd_config *config = sd_core_config(core);
	if (!sd_core_backup(core))
		return sd_request_refuse(req, "no backup section in the configuration");
	const struct sd_backup *b = find_backup(snap, req->target);
	if (!b)
		return sd_request_refuse(req, "no backup '%s'", req->target);
	if (strcmp(b->kind, "postgres") != 0)
		return sd_request_refuse(req, "only PostgreSQL dumps are restored from the console (this is a %s backup)",
			      b->kind);
	const struct sd_pg_member *p = reachable_primary(snap);
	if (!p)
		return sd_request_refuse(req, "restore: no reachable primary; a standby is never restored into");
	const char *db = b->database && *b->database ? b->database
			 : config->backup.ndatabases ? config->backup.databases[0] : "";
	if (!*db)
		return sd_request_refuse(req, "restore: the backup does not say which database it holds");
	if (config->backup.nservices + 2 > SD_HOLDS_MAX)
		return sd_request_refuse(req, "restore: backup.services names %zu services, at most %d are scaled",
			      config->backup.nservices, SD_HOLDS_MAX - 2);
	sd_strlcpy(req->param, db, sizeof(req->param));
	sd_strlcpy(req->target_name, db, sizeof(req->target_name));
	sd_request_hold(req, HOLD_BACKUPS);
	sd_request_hold(req, HOLD_POSTGRES);
	const char *base = strrchr(b->file, '/');
	sd_request_ask(req, "RESTORE %s into database %s on the primary %s.\nSteps:", base ? base + 1 : b->file,
	    db, p->name);
	long max = config->scale_max;
	for (size_t i = 0; i < config->backup.nservices; i++) {
		const char *name = config->backup.services[i];
		const struct sd_service *s = sd_swarm_service(snap->swarm, name);
		/* scaled through service.scale's checks: one it would refuse is refused here */
		if (s && s->desired > max)
			return sd_request_refuse(req, "restore: %s has %ld replicas, more than scale_max (%ld): it "
					   "could not be scaled back",
				      s->name, s->desired, max);
		sd_request_hold_service(req, s ? s->name : name);
		sd_request_ask(req, "\n  scale %s from %ld to 0", name, s ? s->desired : -1L);
	}
	sd_request_ask(req, "\n  pg_restore --clean --if-exists into %s (its current data is REPLACED)", db);
	sd_request_ask(req, "\n  scale the services back; on any failure they are put back as they were");
	if (strcmp(b->verified, "yes") != 0)
		sd_request_ask(req, "\nWARNING: this backup is not verified (%s).", b->verified);
	offsite_restore_question(core, b, req);
	sd_request_ask(req, "\nDANGER: type the database name %s to go on.", db);
	req->confirm = SD_CONFIRM_TYPE_NAME;
	return 0;
}

/* The restore's scaler: each scale is a service.scale step of the restore, checked and run
 * like one (watch mode, the service's mode, scale_max, the holds: the restore holds the
 * service itself, so only another holder refuses it) and audited as part of the restore. */
struct restore_scaler {
	struct sd_core *core;
	const struct sd_request *restore;
};

static int restore_scale(void *ctx, const char *service, long replicas, char *err, size_t errlen)
{
	const struct restore_scaler *rs = ctx;
	struct sd_request step;
	memset(&step, 0, sizeof(step));
	step.action = sd_action_get(SD_ACTION_SERVICE_SCALE);
	sd_strlcpy(step.target, service, sizeof(step.target));
	sd_strlcpy(step.target_name, service, sizeof(step.target_name));
	snprintf(step.param, sizeof(step.param), "%ld", replicas);
	step.confirm = SD_CONFIRM_TYPE_NAME; /* the restore's confirmation covers its steps */
	step.ticket = rs->restore->ticket;
	snprintf(step.part_of, sizeof(step.part_of), "%s", rs->restore->action->name);
	sd_strlcpy(step.cluster, rs->restore->cluster, sizeof(step.cluster));
	int rc = sd_action_run(rs->core, &step);
	sd_core_audit(rs->core, &step, rc == 0 ? "ok" : "failed");
	if (rc != 0)
		snprintf(err, errlen, "%s", step.result);
	return rc;
}

static int run_backup_restore(struct sd_core *core, struct sd_request *req)
{
	struct sd_snapshot *snap = sd_core_snapshot(core);
	struct restore_scaler ctx = {.core = core, .restore = req};
	struct sd_backup_scaler scaler = {.scale = restore_scale, .ctx = &ctx};
	if (offsite_before_restore(core, req) != 0) {
		sd_snapshot_unref(snap);
		return -1;
	}
	int rc = sd_backup_restore(sd_core_backup(core), req->target, req->param, snap, &scaler,
				   req->result, sizeof(req->result));
	sd_snapshot_unref(snap);
	req->status = rc;
	return rc;
}

#define NAV(i, n, h) [i] = {.id = i, .name = n, .group = "Navigation", .help = h}
#define VIEW(i, n, h) [i] = {.id = i, .name = n, .group = "Logs and inspect", .help = h}
#define SWARM(i, n, h, t, p, c, ck, rn) \
	[i] = {.id = i, .name = n, .group = "Swarm", .help = h, .mutates = true, .target = t, \
	       .prompt = p, .confirm = c, .check = ck, .run = rn}

static const struct sd_action registry[] = {
	NAV(SD_ACTION_QUIT, "quit", "leave swarmdeck"),
	NAV(SD_ACTION_HELP, "help", "show the keys of this pane and every pane"),
	NAV(SD_ACTION_REFRESH, "refresh", "ask every backend for fresh data now"),
	NAV(SD_ACTION_FOCUS_NEXT, "focus.next", "focus the next pane"),
	NAV(SD_ACTION_FOCUS_PREV, "focus.prev", "focus the previous pane"),
	NAV(SD_ACTION_FOCUS_NODES, "focus.nodes", "focus the nodes pane"),
	NAV(SD_ACTION_FOCUS_SERVICES, "focus.services", "focus the services pane"),
	NAV(SD_ACTION_FOCUS_TASKS, "focus.tasks", "focus the tasks pane"),
	NAV(SD_ACTION_FOCUS_POSTGRES, "focus.postgres", "focus the PostgreSQL pane"),
	NAV(SD_ACTION_FOCUS_REDIS, "focus.redis", "focus the Redis Sentinel pane"),
	NAV(SD_ACTION_FOCUS_BACKUPS, "focus.backups", "focus the backups pane"),
	NAV(SD_ACTION_CURSOR_UP, "cursor.up", "move the cursor up"),
	NAV(SD_ACTION_CURSOR_DOWN, "cursor.down", "move the cursor down"),
	NAV(SD_ACTION_CURSOR_TOP, "cursor.top", "move to the first row"),
	NAV(SD_ACTION_CURSOR_BOTTOM, "cursor.bottom", "move to the last row"),
	NAV(SD_ACTION_PAGE_UP, "page.up", "one page up"),
	NAV(SD_ACTION_PAGE_DOWN, "page.down", "one page down"),
	NAV(SD_ACTION_FILTER, "filter", "filter rows (Enter keeps it, Esc clears it)"),
	NAV(SD_ACTION_SORT_NEXT, "sort.next", "sort by the next column"),
	NAV(SD_ACTION_OPEN, "open", "show the tasks of the selected service or node, a PostgreSQL member's sessions, or enter the selected cluster"),
	NAV(SD_ACTION_BACK, "back", "close the dialog, filter or task view"),
	NAV(SD_ACTION_SCREEN_SAVE, "screen.save", "save the screen as text"),
	NAV(SD_ACTION_PANE_ZOOM, "pane.zoom", "show the focused pane alone on the whole screen, and back"),
	/* stacks and Swarm objects */
	NAV(SD_ACTION_SERVICES_GROUP, "services.group", "group the services by stack, and back"),
	NAV(SD_ACTION_FOCUS_OBJECTS, "focus.objects", "show the networks, secrets and configs (pane 8)"),
	/* logs and inspect: the full-screen text views and their own keys (the logs scope) */
	VIEW(SD_ACTION_LOGS, "logs", "follow the logs of the selected service, task or node's tasks"),
	VIEW(SD_ACTION_INSPECT, "inspect", "the selected object as text; a service's rollback diff"),
	VIEW(SD_ACTION_LOGS_FOLLOW, "logs.follow", "follow new lines on or off"),
	VIEW(SD_ACTION_LOGS_WRAP, "logs.wrap", "wrap long lines on or off"),
	VIEW(SD_ACTION_LOGS_TIMESTAMPS, "logs.timestamps", "show the engine's timestamps on or off"),
	VIEW(SD_ACTION_LOGS_SEARCH, "logs.search", "search (a regular expression), matches highlighted"),
	VIEW(SD_ACTION_LOGS_NEXT, "logs.next", "the next match"),
	VIEW(SD_ACTION_LOGS_PREV, "logs.prev", "the previous match"),
	VIEW(SD_ACTION_LOGS_FILTER, "logs.filter", "keep only the lines that match"),
	VIEW(SD_ACTION_LOGS_SAVE, "logs.save", "save the lines held to a file"),
	/* the timeline */
	NAV(SD_ACTION_FOCUS_EVENTS, "focus.events", "show the timeline: what happened, newest first"),
	NAV(SD_ACTION_FOCUS_ALERTS, "focus.alerts", "show what is wrong now: findings and Prometheus's alerts (pane 9)"),
	NAV(SD_ACTION_FOCUS_FLEET, "focus.fleet", "show every cluster of the config, a line each (pane 0); open enters one"),
	NAV(SD_ACTION_CLUSTER_SWITCH, "cluster.switch", "switch to another cluster of the config, chosen by name"),
	SWARM(SD_ACTION_SERVICE_SCALE, "service.scale", "set a service's number of replicas",
	      SD_TARGET_SERVICE, "Replicas", SD_CONFIRM_YES, check_scale, run_scale),
	SWARM(SD_ACTION_SERVICE_ROLLBACK, "service.rollback", "roll a service back to its previous spec",
	      SD_TARGET_SERVICE, NULL, SD_CONFIRM_YES, check_rollback, run_rollback),
	SWARM(SD_ACTION_SERVICE_REDEPLOY, "service.redeploy", "force-update a service: replace every task",
	      SD_TARGET_SERVICE, NULL, SD_CONFIRM_YES, check_redeploy, run_redeploy),
	SWARM(SD_ACTION_NODE_DRAIN, "node.drain", "drain a node: move its tasks away", SD_TARGET_NODE,
	      NULL, SD_CONFIRM_YES, check_drain, run_drain),
	SWARM(SD_ACTION_NODE_PAUSE, "node.pause", "pause a node: no new tasks", SD_TARGET_NODE, NULL,
	      SD_CONFIRM_YES, check_pause, run_pause),
	SWARM(SD_ACTION_NODE_ACTIVATE, "node.activate", "make a node active again", SD_TARGET_NODE,
	      NULL, SD_CONFIRM_YES, check_activate, run_activate),
	SWARM(SD_ACTION_NODE_PROMOTE, "node.promote", "promote a worker to manager", SD_TARGET_NODE,
	      NULL, SD_CONFIRM_YES, check_promote, run_promote),
	SWARM(SD_ACTION_NODE_DEMOTE, "node.demote", "demote a manager to worker (quorum checked)",
	      SD_TARGET_NODE, NULL, SD_CONFIRM_YES, check_demote, run_demote),
	/* rollouts and node edits (actions_swarm.c) */
	[SD_ACTION_SERVICE_UPDATE] = {.id = SD_ACTION_SERVICE_UPDATE, .name = "service.update",
	 .group = "Swarm", .help = "roll a service out to a new image (progress shown)",
	 .mutates = true, .target = SD_TARGET_SERVICE, .prompt = "Image",
	 .confirm = SD_CONFIRM_YES, .check = sd_check_service_update,
	 .run = sd_run_service_update, .prefill = sd_prefill_service_update},
	SWARM(SD_ACTION_NODE_LABEL, "node.label", "add (key=value) or remove (-key) a node label",
	      SD_TARGET_NODE, "Label (key=value or -key)", SD_CONFIRM_YES, sd_check_node_label,
	      sd_run_node_label),
	SWARM(SD_ACTION_NODE_REMOVE, "node.remove", "remove a down worker from the swarm (name typed)",
	      SD_TARGET_NODE, NULL, SD_CONFIRM_TYPE_NAME, sd_check_node_remove, sd_run_node_remove),
	SWARM(SD_ACTION_SWARM_RECOVER, "swarm.recover",
	      "quorum lost: force a new cluster on the surviving manager the console asks (name typed)",
	      SD_TARGET_NODE, NULL, SD_CONFIRM_TYPE_NAME, sd_check_swarm_recover,
	      sd_run_swarm_recover),
	[SD_ACTION_PG_PROMOTE] = {.id = SD_ACTION_PG_PROMOTE, .name = "pg.promote",
	 .group = "PostgreSQL", .help = "promote a standby to primary", .mutates = true,
	 .target = SD_TARGET_PG_MEMBER, .confirm = SD_CONFIRM_YES, .check = check_pg_promote,
	 .run = run_pg_promote},
	/* PostgreSQL sessions: pg_cancel_backend / pg_terminate_backend (actions_pg.c) */
	[SD_ACTION_PG_CANCEL] = {.id = SD_ACTION_PG_CANCEL, .name = "pg.cancel",
	 .group = "PostgreSQL", .help = "cancel the selected session's statement (pg_cancel_backend)",
	 .mutates = true, .target = SD_TARGET_PG_SESSION, .confirm = SD_CONFIRM_YES,
	 .check = sd_actions_pg_check_cancel, .run = sd_actions_pg_run_cancel},
	[SD_ACTION_PG_TERMINATE] = {.id = SD_ACTION_PG_TERMINATE, .name = "pg.terminate",
	 .group = "PostgreSQL", .help = "terminate the selected session (pg_terminate_backend)",
	 .mutates = true, .target = SD_TARGET_PG_SESSION, .confirm = SD_CONFIRM_YES,
	 .check = sd_actions_pg_check_terminate, .run = sd_actions_pg_run_terminate},
	[SD_ACTION_REDIS_FAILOVER] = {.id = SD_ACTION_REDIS_FAILOVER, .name = "redis.failover",
	 .group = "Redis", .help = "Sentinel failover of the master", .mutates = true,
	 .target = SD_TARGET_REDIS_MASTER, .confirm = SD_CONFIRM_YES, .check = check_failover,
	 .run = run_failover},
	[SD_ACTION_BACKUP_TAKE] = {.id = SD_ACTION_BACKUP_TAKE, .name = "backup.take",
	 .group = "Backups", .help = "take a backup (PostgreSQL, Redis, Swarm)", .mutates = true,
	 .target = SD_TARGET_BACKUP_KIND, .prompt = "Backup: postgres, redis or swarm [postgres]",
	 .confirm = SD_CONFIRM_YES, .check = check_backup_take, .run = run_backup_take},
	[SD_ACTION_BACKUP_VERIFY] = {.id = SD_ACTION_BACKUP_VERIFY, .name = "backup.verify",
	 .group = "Backups", .help = "verify a backup's checksum and contents", .mutates = true,
	 .target = SD_TARGET_BACKUP, .confirm = SD_CONFIRM_NONE, .check = check_backup_verify,
	 .run = run_backup_verify},
	[SD_ACTION_BACKUP_RESTORE] = {.id = SD_ACTION_BACKUP_RESTORE, .name = "backup.restore",
	 .group = "Backups", .help = "restore a PostgreSQL backup (services scaled down and back)",
	 .mutates = true, .target = SD_TARGET_BACKUP, .confirm = SD_CONFIRM_TYPE_NAME,
	 .check = check_backup_restore, .run = run_backup_restore},
	/* PostgreSQL tables, maintenance and the read-only query prompt (actions_pgmaint.c) */
	[SD_ACTION_PG_TABLES] = {.id = SD_ACTION_PG_TABLES, .name = "pg.tables",
	 .group = "PostgreSQL", .help = "tables of a database: sizes, rows, last (auto)vacuum"},
	[SD_ACTION_PG_VACUUM] = {.id = SD_ACTION_PG_VACUUM, .name = "pg.vacuum",
	 .group = "PostgreSQL",
	 .help = "VACUUM a table or database on the primary (pg.cancel on its session stops it)",
	 .mutates = true,
	 .target = SD_TARGET_PG_TABLE, .confirm = SD_CONFIRM_YES, .check = sd_check_pg_vacuum,
	 .run = sd_run_pg_vacuum},
	[SD_ACTION_PG_ANALYZE] = {.id = SD_ACTION_PG_ANALYZE, .name = "pg.analyze",
	 .group = "PostgreSQL",
	 .help = "ANALYZE a table or database on the primary (pg.cancel stops it too)",
	 .mutates = true, .target = SD_TARGET_PG_TABLE, .confirm = SD_CONFIRM_YES,
	 .check = sd_check_pg_analyze, .run = sd_run_pg_analyze},
	[SD_ACTION_PG_QUERY] = {.id = SD_ACTION_PG_QUERY, .name = "pg.query",
	 .group = "PostgreSQL", .help = "run one SQL statement read-only on the selected member",
	 .mutates = true, .target = SD_TARGET_PG_MEMBER, .prompt = "SQL",
	 .confirm = SD_CONFIRM_NONE, .check = sd_check_pg_query, .run = sd_run_pg_query},
	/* off-site copies of the backups */
	[SD_ACTION_BACKUP_UPLOAD] = {.id = SD_ACTION_BACKUP_UPLOAD, .name = "backup.upload",
	 .group = "Backups", .help = "upload the selected backup to the remote and check it there",
	 .mutates = true, .target = SD_TARGET_BACKUP, .confirm = SD_CONFIRM_YES,
	 .check = check_backup_upload, .run = run_backup_upload},
	[SD_ACTION_BACKUP_SYNC] = {.id = SD_ACTION_BACKUP_SYNC, .name = "backup.sync",
	 .group = "Backups", .help = "upload what the remote lacks, then remote retention",
	 .mutates = true, .target = SD_TARGET_NONE, .confirm = SD_CONFIRM_YES,
	 .check = check_backup_sync, .run = run_backup_sync},
};

#define NACTIONS (sizeof(registry) / sizeof(registry[0]))
_Static_assert(NACTIONS == SD_ACTION_COUNT, "one registry entry per action id");

/* The front end's navigation handlers, by id; filled once at start, before any thread that
 * could read them runs. */
static sd_navigate_fn *navigation[SD_ACTION_COUNT];

static const struct sd_action *list[NACTIONS + 1];
static pthread_once_t list_once = PTHREAD_ONCE_INIT;

static void list_fill(void)
{
	for (size_t i = 0; i < NACTIONS; i++)
		list[i] = &registry[i];
}

const struct sd_action *const *sd_actions(void)
{
	pthread_once(&list_once, list_fill);
	return list;
}

const struct sd_action *sd_action_get(enum sd_action_id id)
{
	return (unsigned)id < NACTIONS ? &registry[id] : NULL;
}

const struct sd_action *sd_action_find(const char *name)
{
	for (size_t i = 0; name && i < NACTIONS; i++)
		if (!strcmp(registry[i].name, name))
			return &registry[i];
	return NULL;
}

int sd_actions_bind_navigation(const struct sd_navigation *table, size_t n, char *err,
			       size_t errlen)
{
	sd_navigate_fn *slots[SD_ACTION_COUNT] = {0};
	for (size_t i = 0; i < n; i++) {
		const struct sd_navigation *b = &table[i];
		const struct sd_action *a = sd_action_get(b->id);
		if (!a) {
			snprintf(err, errlen, "navigation handler %zu: action id %d is not in the registry",
				 i, (int)b->id);
			return -1;
		}
		if (a->mutates) {
			snprintf(err, errlen, "navigation handler %zu: %s is not a navigation action "
					      "(the core runs it)", i, a->name);
			return -1;
		}
		if (!b->run) {
			snprintf(err, errlen, "navigation handler %zu: %s is given no function", i, a->name);
			return -1;
		}
		if (slots[b->id]) {
			snprintf(err, errlen, "navigation handler %zu: %s has a handler already", i, a->name);
			return -1;
		}
		slots[b->id] = b->run;
	}
	for (size_t i = 0; i < NACTIONS; i++)
		if (!registry[i].mutates && !slots[i]) {
			snprintf(err, errlen, "navigation action %s has no handler", registry[i].name);
			return -1;
		}
	memcpy(navigation, slots, sizeof(navigation));
	return 0;
}

bool sd_action_bound(const struct sd_action *action)
{
	return action && !action->mutates && navigation[action->id];
}

int sd_action_navigate(const struct sd_action *action, void *frontend)
{
	if (!sd_action_bound(action))
		return -1;
	navigation[action->id](frontend);
	return 0;
}

/* The checks shared by prepare and run: watch mode, a target given, engine data there, the
 * action's own check. */
static int check_request(struct sd_core *core, const struct sd_snapshot *snap,
			 struct sd_request *req)
{
	const struct sd_action *a = req->action;
	if (sd_core_mode(core) == SD_MODE_WATCH)
		return sd_request_refuse(req, "refused: watch mode is read-only (%s)", a->name);
	if (!a->check || !a->run)
		return sd_request_refuse(req, "%s is not available", a->name);
	if (a->target != SD_TARGET_NONE && a->target != SD_TARGET_REDIS_MASTER &&
	    a->target != SD_TARGET_BACKUP_KIND && !*req->target)
		return sd_request_refuse(req, "%s: nothing selected", a->name);
	if ((a->target == SD_TARGET_NODE || a->target == SD_TARGET_SERVICE) && !snap->swarm)
		return sd_request_refuse(req, "%s: no data from the engine yet", a->name);
	return a->check(core, snap, req);
}

/* Every change names its cluster (the config's name, else the engine's, as the header does):
 * the question starts with it and the audit line carries it. On a protected cluster every
 * change asks for its target's name typed (the cluster's own name for an action on none). */
static void name_cluster(const struct sd_config *config, const struct sd_snapshot *snap,
			 struct sd_request *req)
{
	const char *cluster = snap->cluster_name && *snap->cluster_name ? snap->cluster_name : "";
	sd_strlcpy(req->cluster, cluster, sizeof(req->cluster));
	if (req->confirm == SD_CONFIRM_NONE)
		return;
	bool guarded = config->protected_cluster;
	if (guarded) {
		req->confirm = SD_CONFIRM_TYPE_NAME;
		if (!*req->target_name)
			sd_strlcpy(req->target_name, *cluster ? cluster : "this cluster",
				   sizeof(req->target_name));
	}
	if (!*cluster && !guarded)
		return;
	char question[sizeof(req->question) + 160];
	snprintf(question, sizeof(question), "%scluster %.120s: %s", guarded ? "PROTECTED " : "",
		 *cluster ? cluster : "(unnamed)", req->question);
	sd_strlcpy(req->question, question, sizeof(req->question));
}

int sd_action_prepare(struct sd_core *core, const struct sd_action *action, const char *target,
		      const char *param, struct sd_request *req)
{
	memset(req, 0, sizeof(*req));
	req->action = action;
	sd_strlcpy(req->target, target, sizeof(req->target));
	sd_strlcpy(req->target_name, target, sizeof(req->target_name));
	sd_strlcpy(req->param, param, sizeof(req->param));
	if (!action)
		return sd_request_refuse(req, "no action given");
	req->confirm = action->confirm;
	if (!action->mutates)
		return 0;
	struct sd_snapshot *snap = sd_core_snapshot(core);
	int rc = check_request(core, snap, req);
	if (rc == 0)
		rc = sd_core_check_holds(core, req, req->result, sizeof(req->result));
	name_cluster(sd_core_config(core), snap, req);
	sd_snapshot_unref(snap);
	if (rc != 0) {
		req->status = -1;
		sd_core_audit(core, req, "refused");
		return rc;
	}
	return 0;
}

static bool answer_accepts(const struct sd_request *req, const char *answer)
{
	if (req->confirm == SD_CONFIRM_NONE)
		return true;
	if (!answer)
		return false;
	if (req->confirm == SD_CONFIRM_TYPE_NAME)
		return !strcmp(answer, req->target_name);
	return !strcasecmp(answer, "yes") || !strcasecmp(answer, "y");
}

int sd_action_submit(struct sd_core *core, struct sd_request *req, const char *answer)
{
	if (!req->action || !req->action->mutates)
		return sd_request_refuse(req, "%s is not an action the core runs",
			      req->action ? req->action->name : "?");
	int rc = 0;
	if (sd_core_mode(core) == SD_MODE_WATCH)
		rc = sd_request_refuse(req, "refused: watch mode is read-only (%s)", req->action->name);
	else if (!req->action->run)
		rc = sd_request_refuse(req, "%s is not available", req->action->name);
	else if (!answer_accepts(req, answer))
		rc = sd_request_refuse(req, "%s %s: not confirmed%s", req->action->name, req->target_name,
			    req->confirm == SD_CONFIRM_TYPE_NAME ? " (the name typed did not match)" : "");
	else if (sd_core_enqueue(core, req, req->result, sizeof(req->result)) != 0)
		rc = -1, req->status = -1;
	if (rc != 0)
		sd_core_audit(core, req, "refused");
	return rc;
}

/* The line of QUESTION that says why more confirmation is needed (DANGER, else WARNING). */
static const char *danger_line(const char *question, char *buf, size_t len)
{
	const char *at = strstr(question, "DANGER");
	if (!at)
		at = strstr(question, "WARNING");
	if (!at)
		return "it now needs more confirmation";
	size_t n = strcspn(at, "\n");
	const char *type = strstr(at, " Type "); /* the dialog's "Type NAME to go on." */
	if (type && (size_t)(type - at) < n)
		n = (size_t)(type - at);
	snprintf(buf, len, "%.*s", (int)n, at);
	return buf;
}

int sd_action_run(struct sd_core *core, struct sd_request *req)
{
	const struct sd_action *a = req->action;
	if (!a || !a->mutates)
		return sd_request_refuse(req, "%s is not an action the core runs", a ? a->name : "?");
	/* the guards again, on the newest snapshot: what was true at the dialog may not be now */
	struct sd_request again = *req;
	again.question[0] = again.result[0] = '\0';
	again.nholds = 0;
	again.confirm = a->confirm;
	struct sd_snapshot *snap = sd_core_snapshot(core);
	int rc = check_request(core, snap, &again);
	sd_snapshot_unref(snap);
	if (rc != 0)
		return sd_request_refuse(req, "not run: %s", again.result);
	if (again.confirm > req->confirm) {
		char line[512];
		return sd_request_refuse(req, "not run: the situation changed since it was confirmed: %s",
			      danger_line(again.question, line, sizeof(line)));
	}
	/* and no other action may hold what it changes (its own holds are its ticket's) */
	again.ticket = req->ticket;
	char why[512];
	if (sd_core_check_holds(core, &again, why, sizeof(why)) != 0)
		return sd_request_refuse(req, "not run: %s", why);
	sd_strlcpy(req->param, again.param, sizeof(req->param));
	rc = a->run(core, req);
	req->status = rc;
	return rc;
}
