/* core.c - a running core: one poller thread per backend, event watchers that make them
 * refresh early, and the store that publishes immutable snapshots; the action workers are
 * worker.c's. core->stop is written atomically: the
 * backends' event streams read it without the lock.
 *
 * The swarm while the engine's /events stream is up: an event that names a service or a
 * node (a container names its service) refreshes that object alone, applied to the part
 * before (backends/docker/delta.c); a service an event named is asked again every interval
 * while it converges (running short of desired, an update under way: its tasks have no
 * events of their own), for up to resync_interval; a node's event brings the next full
 * fetch to one interval later (its tasks move without events); a
 * full fetch runs every resync_interval, after an action, on a refresh asked for, on
 * anything else the stream says (networks, secrets, configs) and whenever an in-place
 * refresh cannot be had. With the stream down, a full fetch every interval, as before.
 * Every poller answers the first request after a quiet time at once and takes the ones
 * that come within COALESCE of its last refresh together. */
#include "core.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "actions.h"
#include "audit.h"
#include "timeline.h"
#include "backup/backup.h"
#include "backends/docker/docker.h"
#include "backends/docker/context.h"
#include "model/health.h"
#include "backends/pg/pg.h"
#include "backends/redis/sentinel.h"
#include "backends/prom/prom.h"
#include "backends/vip/vip.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_internal.h"

/* ---- the store ---- */

/* Wall time to the millisecond, for the timeline's events. */
static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_status_locked(struct sd_core *core, enum backend which, int rc, const char *err);

void core_publish_locked(struct sd_core *core)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	struct sd_arena *arena = snap->part.arena;
	snap->generation = ++core->generation;
	snap->time = time(NULL);
	snap->mode = core->mode;
	snap->cluster_name = sd_arena_strdup(arena, core->config->cluster_name);
	snap->docker_status = core->status[B_DOCKER];
	snap->pg_status = core->status[B_POSTGRES];
	snap->redis_status = core->status[B_REDIS];
	snap->backups_status = core->status[B_BACKUPS];
	snap->prom_status = core->status[B_PROM];
	snap->prom = sd_part_ref(core->prom);
	snap->vip_status = core->status[B_VIP];
	snap->vip = sd_part_ref(core->vip);
	snap->backups = sd_part_ref(core->backups);
	snap->swarm = sd_part_ref(core->swarm);
	snap->pg = sd_part_ref(core->pg);
	snap->redis = sd_part_ref(core->redis);
	snap->message = sd_arena_strdup(arena, core->message);
	snap->message_level = core->message_level;
	if ((!snap->cluster_name || !*snap->cluster_name) && snap->swarm)
		snap->cluster_name = sd_arena_strdup(arena, snap->swarm->engine_name);
	sd_health_evaluate(snap, core->config);
	if (core->timeline_live) /* alerts raised and cleared (the timeline's lock nests in ours) */
		sd_timeline_alerts(core->timeline, core->current, snap, wall_now());
	snap->events = sd_timeline_events(core->timeline, SD_TIMELINE_SNAPSHOT);

	struct sd_snapshot *old = core->current;
	core->current = snap;
	sd_snapshot_unref(old);
	if (core->notify[1] >= 0) {
		char byte = 1;
		ssize_t n = write(core->notify[1], &byte, 1); /* full pipe: already notified */
		(void)n;
	}
}

struct sd_snapshot *sd_core_snapshot(struct sd_core *core)
{
	pthread_mutex_lock(&core->lock);
	struct sd_snapshot *snap = sd_part_ref(core->current);
	pthread_mutex_unlock(&core->lock);
	return snap;
}

int sd_core_notify_fd(const struct sd_core *core) { return core->notify[0]; }

void sd_core_drain_notify(struct sd_core *core)
{
	char buf[64];
	while (read(core->notify[0], buf, sizeof(buf)) > 0)
		;
}

void sd_core_message(struct sd_core *core, enum sd_level level, const char *fmt, ...)
{
	pthread_mutex_lock(&core->lock);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(core->message, sizeof(core->message), fmt, ap);
	va_end(ap);
	core->message_level = level;
	core_publish_locked(core);
	pthread_mutex_unlock(&core->lock);
}

void sd_core_put_swarm(struct sd_core *core, struct sd_swarm *swarm)
{
	pthread_mutex_lock(&core->lock);
	sd_part_unref(core->swarm);
	core->swarm = swarm;
	set_status_locked(core, B_DOCKER, 0, NULL);
	core_publish_locked(core);
	pthread_mutex_unlock(&core->lock);
}

bool sd_core_clear_message(struct sd_core *core)
{
	pthread_mutex_lock(&core->lock);
	bool had = core->message[0] != '\0';
	if (had) {
		core->message[0] = '\0';
		core_publish_locked(core);
	}
	pthread_mutex_unlock(&core->lock);
	return had;
}

/* Record the outcome of one backend attempt. */
static void set_status_locked(struct sd_core *core, enum backend which, int rc, const char *err)
{
	struct sd_backend_status *st = &core->status[which];
	time_t now = time(NULL);
	st->answered = true;
	if (rc == 0) {
		st->reachable = true;
		st->error[0] = '\0';
		st->unreachable_since = 0;
		st->last_ok = now;
	} else {
		if (st->reachable || !st->unreachable_since)
			st->unreachable_since = now;
		st->reachable = false;
		sd_strlcpy(st->error, err && *err ? err : "no answer", sizeof(st->error));
	}
}

/* ---- the timeline: what changed from one part to the next ---- */

void core_timeline_publish(struct sd_core *core, size_t kept)
{
	if (!kept)
		return;
	pthread_mutex_lock(&core->lock);
	core_publish_locked(core);
	pthread_mutex_unlock(&core->lock);
}

/* OLD and NEW are the part before and after a fetch (references the caller drops). */
static void timeline_note(struct sd_core *core, enum backend which, void *old, void *new)
{
	if (!core->timeline_live || !old || !new || old == new)
		return;
	double now = wall_now();
	size_t kept = 0;
	switch (which) {
	case B_DOCKER:
		kept = sd_timeline_swarm(core->timeline, old, new, now);
		kept += sd_timeline_audit(core->timeline, core->audit_path); /* other consoles' */
		break;
	case B_POSTGRES:
		kept = sd_timeline_pg(core->timeline, old, new,
				      core->config->postgres.lag_warning_bytes, now);
		break;
	case B_REDIS:
		kept = sd_timeline_redis(core->timeline, old, new);
		break;
	case B_PROM:
		kept = sd_timeline_prom(core->timeline, old, new, now);
		break;
	case B_VIP:
		kept = sd_timeline_vip(core->timeline, old, new, now);
		break;
	default:
		kept = sd_timeline_backups(core->timeline, old, new, now);
		break;
	}
	core_timeline_publish(core, kept);
}

/* ---- pollers ---- */

/* A core's parts are typed pointers (core->pg, core->vip, ...); the two helpers below take
 * the address of one and copy the pointer with memcpy, which may stand for any type. */

/* The part in SLOT, referenced under the lock: what a backend builds its next one on. */
static void *part_now(struct sd_core *core, const void *slot)
{
	void *part;
	pthread_mutex_lock(&core->lock);
	memcpy(&part, slot, sizeof(part));
	sd_part_ref(part);
	pthread_mutex_unlock(&core->lock);
	return part;
}

/* One attempt of WHICH is over: PART (handed over; NULL keeps the last one, marked stale by
 * the status) goes into SLOT, the status and a snapshot are published, and the timeline is
 * told what changed from the part it replaced. */
static void install_part(struct sd_core *core, enum backend which, void *slot, void *part,
			 int rc, const char *err)
{
	void *old = NULL;
	pthread_mutex_lock(&core->lock);
	if (part) {
		memcpy(&old, slot, sizeof(old));
		memcpy(slot, &part, sizeof(part));
	}
	set_status_locked(core, which, rc, err);
	core_publish_locked(core);
	pthread_mutex_unlock(&core->lock);
	timeline_note(core, which, old, part);
	sd_part_unref(old);
}

static void fetch_docker(struct sd_core *core)
{
	char err[256] = "";
	struct sd_swarm *swarm = NULL;
	int rc = sd_docker_fetch(core->docker, &swarm, err, sizeof(err));
	if (rc != 0) { /* keep the last good data */
		sd_part_unref(swarm);
		swarm = NULL;
	}
	install_part(core, B_DOCKER, &core->swarm, swarm, rc, err);
}

static void fetch_postgres(struct sd_core *core)
{
	char err[256] = "";
	struct sd_pg *pg = NULL, *previous = part_now(core, &core->pg);
	int rc = sd_pg_fetch(core->pgb, previous, &pg, err, sizeof(err));
	sd_part_unref(previous);
	install_part(core, B_POSTGRES, &core->pg, pg, rc, err);
}

static void fetch_redis(struct sd_core *core)
{
	char err[256] = "";
	struct sd_redis *redis = NULL, *previous = part_now(core, &core->redis);
	int rc = sd_sentinel_fetch(core->sentinel, previous, &redis, err, sizeof(err));
	sd_part_unref(previous);
	install_part(core, B_REDIS, &core->redis, redis, rc, err);
}

static void fetch_backups(struct sd_core *core)
{
	char err[256] = "";
	struct sd_backups *list = NULL;
	int rc = sd_backup_list(core->backup, &list, err, sizeof(err));
	install_part(core, B_BACKUPS, &core->backups, list, rc, err);
}

/* Prometheus and Alertmanager: the nodes of the swarm seen last match the series; a part
 * comes of every attempt (its errors say what could not be read). */
static void fetch_prom(struct sd_core *core)
{
	char err[256] = "";
	struct sd_prom *prom = NULL;
	pthread_mutex_lock(&core->lock);
	/* the first look waits for the engine's (bounded by its timeout): series are matched to
	 * its nodes, and --once shows one look */
	struct timespec until = sd_deadline_after((double)core->config->docker.timeout_ms / 1000.0);
	while (!core->stop && !core->status[B_DOCKER].answered && !core->prom)
		if (pthread_cond_timedwait(&core->wake, &core->lock, &until) == ETIMEDOUT)
			break;
	struct sd_prom *previous = sd_part_ref(core->prom);
	struct sd_swarm *swarm = sd_part_ref(core->swarm);
	pthread_mutex_unlock(&core->lock);
	int rc = sd_prom_fetch(core->promb, previous, swarm, &prom, err, sizeof(err));
	sd_part_unref(previous);
	sd_part_unref(swarm);
	install_part(core, B_PROM, &core->prom, prom, rc, err);
}

/* The push: every interval, the findings of the newest snapshot to Alertmanager, open for
 * a few intervals (so that it resolves them itself if this console dies), from this thread
 * alone so a slow Alertmanager never holds up a snapshot. Not before the engine answered:
 * a first look without the swarm would resolve what still holds. */
static void *prom_push_main(void *arg)
{
	struct sd_core *core = arg;
	double interval = core->config->interval > 0 ? core->config->interval : 2;
	double hold = interval * 5 > 30 ? interval * 5 : 30;
	pthread_mutex_lock(&core->lock);
	while (!core->stop) {
		struct sd_snapshot *snap = sd_part_ref(core->current);
		pthread_mutex_unlock(&core->lock);
		if (snap && snap->docker_status.answered) {
			char err[256];
			sd_prom_push(core->promb, snap, hold, time(NULL), err, sizeof(err));
		}
		sd_snapshot_unref(snap);
		pthread_mutex_lock(&core->lock);
		struct timespec until = sd_deadline_after(interval);
		while (!core->stop &&
		       pthread_cond_timedwait(&core->wake, &core->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&core->lock);
	return NULL;
}

/* The front door: the VIP's check URL and each keepalived node's (backends/vip). */
static void fetch_vip(struct sd_core *core)
{
	char err[256] = "";
	struct sd_vip *vip = NULL, *previous = part_now(core, &core->vip);
	int rc = sd_vip_fetch(core->vipb, previous, &vip, err, sizeof(err));
	sd_part_unref(previous);
	install_part(core, B_VIP, &core->vip, vip, rc, err);
}

static void (*const fetchers[B_COUNT])(struct sd_core *) = {fetch_docker, fetch_postgres,
							      fetch_redis, fetch_backups,
							      fetch_prom, fetch_vip};

/* Seconds until the poller's next look; a backup under way is followed closely. With the
 * events stream up, the swarm's full fetch waits for resync_interval, but the converging
 * services are looked at every interval. */
static double poll_interval(struct sd_core *core, enum backend which)
{
	if (which == B_BACKUPS && core->backups && core->backups->running &&
	    *core->backups->running)
		return 0.5;
	double interval = core->config->interval;
	if (core->background) /* not on screen: at a quarter of the pace, at least every 5 s */
		return interval * 4 > 5 ? interval * 4 : 5;
	return interval;
}

void sd_core_set_background(struct sd_core *core, bool background)
{
	pthread_mutex_lock(&core->lock);
	bool sooner = core->background && !background;
	core->background = background;
	pthread_mutex_unlock(&core->lock);
	if (sooner) /* coming on screen: a fresh look now rather than at the slow pace's end */
		sd_core_refresh(core);
}

/* Whether the swarm's next cycle fetches it whole. Caller holds the lock. */
static bool docker_full_due_locked(struct sd_core *core)
{
	double resync = core->config->resync_interval > 0 ? core->config->resync_interval : 30;
	return !core->events_up || !core->swarm || core->changes_overflow ||
	       sd_now() - core->last_full >= resync;
}

static bool converging(const struct sd_service *s)
{
	bool counted = !strcmp(s->mode, "replicated") || !strcmp(s->mode, "global");
	return (counted && s->running != s->desired) || !strcmp(s->update_state, "updating") ||
	       !strcmp(s->update_state, "rollback_started");
}

/* Add a change unless it is queued already. Caller holds the lock. */
static void queue_change_locked(struct sd_core *core, const char *kind, const char *id)
{
	if (!id || !*id || strlen(id) >= sizeof(core->changes[0].id)) {
		core->changes_overflow = true;
		return;
	}
	for (size_t i = 0; i < core->nchanges; i++)
		if (core->changes[i].kind == kind && !strcmp(core->changes[i].id, id))
			return;
	if (core->nchanges >= MAX_CHANGES) {
		core->changes_overflow = true;
		return;
	}
	core->changes[core->nchanges].kind = kind;
	sd_strlcpy(core->changes[core->nchanges].id, id, sizeof(core->changes[0].id));
	core->nchanges++;
}

/* Follow the service ID for a while after its event. Caller holds the lock. */
static void follow_locked(struct sd_core *core, const char *id, double resync)
{
	size_t i = 0;
	while (i < core->nfollowed && strcmp(core->followed[i].id, id))
		i++;
	if (i == core->nfollowed) {
		if (core->nfollowed == FOLLOW_MAX) /* the oldest makes room */
			memmove(core->followed, core->followed + 1,
				--core->nfollowed * sizeof(*core->followed));
		i = core->nfollowed++;
		sd_strlcpy(core->followed[i].id, id, sizeof(core->followed[i].id));
	}
	core->followed[i].until = sd_now() + resync;
}

/* The followed services still converging, as changes; the others are let go. Caller holds
 * the lock. */
static void queue_converging_locked(struct sd_core *core)
{
	double now = sd_now();
	size_t kept = 0;
	for (size_t i = 0; i < core->nfollowed; i++) {
		const struct sd_service *s = sd_swarm_service(core->swarm, core->followed[i].id);
		if (now > core->followed[i].until || !s || !converging(s))
			continue;
		queue_change_locked(core, "service", s->id);
		core->followed[kept++] = core->followed[i];
	}
	core->nfollowed = kept;
}

/* The objects in WORK asked again one by one, each applied to the part before and
 * installed (the timeline compares that object); a change that cannot be applied in place
 * makes it a full fetch. */
static void refresh_docker_objects(struct sd_core *core, const struct change *work, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char err[256] = "";
		struct sd_swarm *base = part_now(core, &core->swarm), *swarm = NULL;
		int rc = sd_docker_refresh_object(core->docker, base, work[i].kind, work[i].id,
						  &swarm, err, sizeof(err));
		sd_part_unref(base);
		if (rc == 0) {
			install_part(core, B_DOCKER, &core->swarm, swarm, 0, NULL);
			continue;
		}
		if (rc < 0) /* said at once; the next cycle fetches it whole */
			install_part(core, B_DOCKER, &core->swarm, NULL, rc, err);
		pthread_mutex_lock(&core->lock);
		core->pollers[B_DOCKER].dirty = true;
		pthread_mutex_unlock(&core->lock);
		return;
	}
}

/* Sleep until the poller's next look is due or somebody asks for a refresh; a request that
 * comes within COALESCE of the last refresh waits the rest of it, so a burst is one
 * refresh, while the first after a quiet time goes at once. Caller holds the lock. */
static void wait_for_work_locked(struct sd_core *core, struct poller *p)
{
	bool docker = p->which == B_DOCKER;
	double wait = poll_interval(core, p->which);
	if (docker && core->events_up) {
		double resync = core->config->resync_interval > 0 ? core->config->resync_interval
								  : 30;
		double left = core->last_full + resync - sd_now();
		if (left < wait)
			wait = left > 0 ? left : 0;
	}
	struct timespec until = sd_deadline_after(wait);
	bool asked = false;
	while (!core->stop) {
		asked = p->dirty || (docker && (core->nchanges || core->changes_overflow));
		if (asked || pthread_cond_timedwait(&core->wake, &core->lock, &until) == ETIMEDOUT)
			break;
	}
	double early = p->quiet_since + COALESCE - sd_now();
	if (asked && early > 0) {
		struct timespec quiet = sd_deadline_after(early);
		while (!core->stop &&
		       pthread_cond_timedwait(&core->wake, &core->lock, &quiet) != ETIMEDOUT)
			;
	}
	if (docker && !asked && !core->stop && !docker_full_due_locked(core))
		queue_converging_locked(core);   /* the interval's look at what has no events */
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;
	struct sd_core *core = p->core;
	pthread_mutex_lock(&core->lock);
	while (!core->stop) {
		uint64_t epoch = core->action_epoch;
		/* an action's refresh (dirty, set with the epoch) is always a full one */
		bool full = p->dirty || p->which != B_DOCKER || docker_full_due_locked(core);
		struct change work[MAX_CHANGES];
		size_t nwork = 0;
		p->dirty = false;
		if (p->which == B_DOCKER) {
			if (full)
				core->last_full = sd_now();
			else
				memcpy(work, core->changes, (nwork = core->nchanges) * sizeof(*work));
			core->nchanges = 0;
			core->changes_overflow = false;
		}
		pthread_mutex_unlock(&core->lock);
		if (full)
			fetchers[p->which](core);
		else
			refresh_docker_objects(core, work, nwork);
		pthread_mutex_lock(&core->lock);
		p->completed_epoch = epoch;
		p->answered = true;
		p->quiet_since = sd_now();
		pthread_cond_broadcast(&core->wake);
		wait_for_work_locked(core, p);
	}
	pthread_mutex_unlock(&core->lock);
	return NULL;
}

static void mark_dirty(struct sd_core *core, enum backend which)
{
	pthread_mutex_lock(&core->lock);
	core->pollers[which].dirty = true;
	pthread_cond_broadcast(&core->wake);
	pthread_mutex_unlock(&core->lock);
}

void sd_core_refresh(struct sd_core *core)
{
	pthread_mutex_lock(&core->lock);
	for (int i = 0; i < B_COUNT; i++)
		core->pollers[i].dirty = true;
	pthread_cond_broadcast(&core->wake);
	pthread_mutex_unlock(&core->lock);
}

/* What an event names: a service or a node refreshed alone, a container its service (a
 * container of no service is not the swarm's), anything else a full fetch. */
static void on_docker_event(void *user, const struct sd_docker_event *ev)
{
	struct sd_core *core = user;
	double resync = core->config->resync_interval > 0 ? core->config->resync_interval : 30;
	const char *service = !strcmp(ev->type, "service")	 ? ev->id
			      : !strcmp(ev->type, "container") ? ev->service_id
							       : NULL;
	pthread_mutex_lock(&core->lock);
	if (service && *service) {
		queue_change_locked(core, "service", service);
		follow_locked(core, service, resync);
	} else if (!strcmp(ev->type, "node")) {
		queue_change_locked(core, "node", ev->id);
		double due = sd_now() - resync + core->config->interval;
		if (core->last_full > due) /* its tasks move (rescheduled) without events */
			core->last_full = due;
	} else if (strcmp(ev->type, "container"))
		core->pollers[B_DOCKER].dirty = true;
	pthread_cond_broadcast(&core->wake);
	pthread_mutex_unlock(&core->lock);
}

/* Sleep up to SECONDS unless the core stops. Returns false when stopping. */
static bool pause_unless_stopped(struct sd_core *core, double seconds)
{
	pthread_mutex_lock(&core->lock);
	struct timespec until = sd_deadline_after(seconds);
	while (!core->stop && pthread_cond_timedwait(&core->wake, &core->lock, &until) != ETIMEDOUT)
		;
	bool go_on = !core->stop;
	pthread_mutex_unlock(&core->lock);
	return go_on;
}

/* An event's own line: node and service changes go on the timeline. */
static void on_docker_raw(void *user, const char *json, size_t len)
{
	struct sd_core *core = user;
	core_timeline_publish(core, sd_timeline_docker_event(core->timeline, json, len));
}

static void *docker_events_main(void *arg)
{
	struct sd_core *core = arg;
	do {
		char err[256];
		/* from the newest Swarm event held (the file of an earlier console): the engine
		 * replays what this console missed, then follows */
		double since = sd_timeline_newest(core->timeline, "swarm");
		if (since <= 0)
			since = sd_timeline_newest(core->timeline, NULL);
		if (since > 0)
			since -= 1;
		else /* what happened since this console started, its first fetch included */
			since = core->started_wall - 1;
		pthread_mutex_lock(&core->lock);
		core->events_up = true;
		pthread_mutex_unlock(&core->lock);
		sd_docker_follow_events(core->docker, since, on_docker_event,
					core->timeline_live ? on_docker_raw : NULL, core, &core->stop,
					err, sizeof(err));
		/* the stream ended (engine gone or restarted): resync now and poll every
		 * interval until it is back, retry shortly */
		pthread_mutex_lock(&core->lock);
		core->events_up = false;
		pthread_mutex_unlock(&core->lock);
		mark_dirty(core, B_DOCKER);
	} while (pause_unless_stopped(core, 1.0));
	return NULL;
}

static void on_sentinel_event(void *user, const char *channel)
{
	(void)channel;
	mark_dirty(user, B_REDIS);
}

static void *redis_events_main(void *arg)
{
	struct sd_core *core = arg;
	sd_sentinel_watch_events(core->sentinel, on_sentinel_event, core, &core->stop);
	return NULL;
}

/* ---- the action worker ---- */

bool sd_core_settled(struct sd_core *core)
{
	pthread_mutex_lock(&core->lock);
	bool settled = core->busy == 0 && core->qlen == 0;
	for (int i = 0; settled && i < B_COUNT; i++) {
		const struct poller *p = &core->pollers[i];
		if (p->configured && (!p->answered || p->completed_epoch < core->action_epoch))
			settled = false;
	}
	pthread_mutex_unlock(&core->lock);
	return settled;
}

bool sd_core_wait_first(struct sd_core *core, double timeout)
{
	struct timespec until = sd_deadline_after(timeout);
	pthread_mutex_lock(&core->lock);
	bool all = false;
	for (;;) {
		all = true;
		for (int i = 0; i < B_COUNT; i++)
			if (core->pollers[i].configured && !core->pollers[i].answered)
				all = false;
		if (all || pthread_cond_timedwait(&core->wake, &core->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&core->lock);
	return all;
}

/* ---- life cycle ---- */

struct sd_core *sd_core_new(const struct sd_config *config, enum sd_mode mode,
			    struct sd_error *err)
{
	struct sd_core *core = xcalloc(1, sizeof(*core));
	core->config = config;
	core->mode = mode;
	core->audit_path = config->audit_log ? xstrdup(config->audit_log) : sd_audit_default_path();
	{
		char *path = config->timeline.path ? xstrdup(config->timeline.path)
						   : sd_timeline_default_path();
		core->timeline = sd_timeline_open(path, config->timeline.max_events > 0
								? (size_t)config->timeline.max_events
								: 0);
		free(path);
		/* a named cluster's timeline leaves out the actions on the others */
		sd_timeline_audit_cluster(core->timeline, config->cluster_name);
		char warn[512];
		if (sd_timeline_load(core->timeline, warn, sizeof(warn)) > 0) {
			/* a damaged line is said (on the status line), never the reason to stop */
			snprintf(core->message, sizeof(core->message), "timeline: skipped %s", warn);
			core->message_level = SD_WARNING;
		}
	}
	pthread_mutex_init(&core->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&core->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pipe2(core->notify, O_NONBLOCK | O_CLOEXEC) != 0) {
		sd_error_set(err, "swarmdeck", 0, 0, "pipe: %s", strerror(errno));
		free(core->audit_path);
		sd_timeline_free(core->timeline);
		free(core);
		return NULL;
	}

	char why[1024] = "";
	struct sd_docker_target target;
	if (sd_docker_resolve(config->docker.context, sd_config_context_from(config),
			      config->docker.host, &target, why,
			      sizeof(why)) < 0) {
		sd_error_set(err, config->path ? config->path : "docker", 0, 0, "%s", why);
		sd_core_free(core);
		return NULL;
	}
	struct sd_docker_config dc = {
		.host = target.host,
		.tls_verify = target.tls ? 1 : config->docker.tls_verify,
		.cert_path = target.tls ? target.cert_path : config->docker.cert_path,
		.skip_verify = target.skip_verify,
		.timeout_ms = config->docker.timeout_ms,
		.read_only = mode == SD_MODE_WATCH,
		.hosts = (const char *const *)config->docker.hosts,
		.nhosts = config->docker.nhosts,
	};
	core->docker = sd_docker_open(&dc, why, sizeof(why));
	if (!core->docker) {
		sd_error_set(err, config->path ? config->path : "DOCKER_HOST", 0, 0, "%s", why);
		sd_core_free(core);
		return NULL;
	}
	if (config->postgres.configured)
		core->pgb = sd_pg_open(config);
	if (config->redis.configured)
		core->sentinel = sd_sentinel_open(config);
	if (config->backup.configured)
		core->backup = sd_backup_open(config, core->pgb, core->docker);
	core->promb = sd_prom_open(config); /* NULL: neither prometheus nor alertmanager */
	if (config->vip.configured)
		core->vipb = sd_vip_open(config);

	for (int i = 0; i < B_COUNT; i++) {
		core->pollers[i].core = core;
		core->pollers[i].which = (enum backend)i;
	}
	core->pollers[B_DOCKER].configured = true;
	core->pollers[B_POSTGRES].configured = core->pgb != NULL;
	core->pollers[B_REDIS].configured = core->sentinel != NULL;
	core->pollers[B_BACKUPS].configured = core->backup != NULL;
	core->pollers[B_PROM].configured = core->promb != NULL;
	core->pollers[B_VIP].configured = core->vipb != NULL;
	for (int i = 0; i < B_COUNT; i++)
		core->status[i].configured = core->pollers[i].configured;
	pthread_mutex_lock(&core->lock);
	core_publish_locked(core);
	pthread_mutex_unlock(&core->lock);
	return core;
}

void sd_core_start_pollers(struct sd_core *core)
{
	for (int i = 0; i < B_COUNT; i++) {
		struct poller *p = &core->pollers[i];
		if (p->configured && !p->running)
			p->running = pthread_create(&p->thread, NULL, poller_main, p) == 0;
	}
}

void sd_core_start(struct sd_core *core)
{
	/* a running console records; --once (pollers only) just reads the file back */
	core->timeline_live = true;
	core->started_wall = wall_now();
	sd_timeline_record(core->timeline, true);
	core_timeline_publish(core, sd_timeline_audit(core->timeline, core->audit_path));
	sd_core_start_pollers(core);
	core->docker_events_running =
		pthread_create(&core->docker_events, NULL, docker_events_main, core) == 0;
	if (core->sentinel)
		core->redis_events_running =
			pthread_create(&core->redis_events, NULL, redis_events_main, core) == 0;
	if (sd_prom_push_enabled(core->promb))
		core->prom_push_running =
			pthread_create(&core->prom_push, NULL, prom_push_main, core) == 0;
	sd_core_start_workers(core);
}

void sd_core_free(struct sd_core *core)
{
	if (!core)
		return;
	pthread_mutex_lock(&core->lock);
	__atomic_store_n(&core->stop, 1, __ATOMIC_RELEASE); /* the event streams read it unlocked */
	pthread_cond_broadcast(&core->wake);
	pthread_mutex_unlock(&core->lock);
	for (int i = 0; i < B_COUNT; i++)
		if (core->pollers[i].running)
			pthread_join(core->pollers[i].thread, NULL);
	if (core->docker_events_running)
		pthread_join(core->docker_events, NULL);
	if (core->redis_events_running)
		pthread_join(core->redis_events, NULL);
	if (core->prom_push_running)
		pthread_join(core->prom_push, NULL);
	for (int i = 0; i < WORKERS; i++)
		if (core->worker_running[i])
			pthread_join(core->workers[i], NULL);
	sd_docker_close(core->docker);
	if (core->pgb)
		sd_pg_close(core->pgb);
	if (core->sentinel)
		sd_sentinel_close(core->sentinel);
	if (core->backup)
		sd_backup_close(core->backup);
	sd_prom_close(core->promb);
	sd_vip_close(core->vipb);
	sd_snapshot_unref(core->current);
	sd_part_unref(core->swarm);
	sd_part_unref(core->pg);
	sd_part_unref(core->redis);
	sd_part_unref(core->backups);
	sd_part_unref(core->prom);
	sd_part_unref(core->vip);
	for (int i = 0; i < 2; i++)
		if (core->notify[i] >= 0)
			close(core->notify[i]);
	pthread_cond_destroy(&core->wake);
	pthread_mutex_destroy(&core->lock);
	free(core->held);
	free(core->audit_path);
	sd_timeline_free(core->timeline);
	free(core);
}

enum sd_mode sd_core_mode(const struct sd_core *core) { return core->mode; }
const struct sd_config *sd_core_config(const struct sd_core *core) { return core->config; }
struct sd_docker *sd_core_docker(struct sd_core *core) { return core->docker; }
struct sd_pg_backend *sd_core_pg(struct sd_core *core) { return core->pgb; }
struct sd_sentinel_backend *sd_core_sentinel(struct sd_core *core) { return core->sentinel; }
struct sd_backup_runner *sd_core_backup(struct sd_core *core) { return core->backup; }
