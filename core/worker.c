/* worker.c - a core's action workers: a request is queued once none of its targets is
 * held by another (the table of held targets says by which action since when), run by one
 * of WORKERS threads, audited, and kept among the last finished for sd_core_wait_done;
 * every poller then refreshes. */
#include "core_internal.h"
#include "audit.h"
#include "timeline.h"
#include "base/clock.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The holder of one of REQ's targets other than REQ's ticket, or NULL. Caller holds the lock. */
static const struct held *conflict_locked(const struct sd_core *core, const struct sd_request *req,
					  const struct sd_hold **which)
{
	for (size_t i = 0; i < req->nholds; i++)
		for (size_t j = 0; j < core->nheld; j++)
			if (core->held[j].ticket != req->ticket &&
			    !strcmp(core->held[j].hold.key, req->holds[i].key)) {
				*which = &req->holds[i];
				return &core->held[j];
			}
	return NULL;
}

static int say_held(const struct held *h, const struct sd_hold *which, char *why, size_t len)
{
	char since[16];
	struct tm tm;
	localtime_r(&h->since, &tm);
	strftime(since, sizeof(since), "%H:%M:%S", &tm);
	snprintf(why, len, "%s is held by %s since %s", which->label, h->holder, since);
	return -1;
}

int sd_core_check_holds(struct sd_core *core, const struct sd_request *req, char *why,
			size_t whylen)
{
	pthread_mutex_lock(&core->lock);
	const struct sd_hold *which = NULL;
	const struct held *h = conflict_locked(core, req, &which);
	int rc = h ? say_held(h, which, why, whylen) : 0;
	pthread_mutex_unlock(&core->lock);
	return rc;
}

int sd_core_enqueue(struct sd_core *core, struct sd_request *req, char *why, size_t whylen)
{
	pthread_mutex_lock(&core->lock);
	int rc = -1;
	const struct sd_hold *which = NULL;
	req->ticket = 0;
	const struct held *h = conflict_locked(core, req, &which);
	if (h) {
		say_held(h, which, why, whylen);
	} else if (core->qlen >= QUEUE_SIZE) {
		snprintf(why, whylen, "%s: too many actions queued", req->action->name);
	} else {
		req->ticket = ++core->next_ticket;
		if (core->nheld + req->nholds > core->heldcap) {
			core->heldcap = (core->nheld + req->nholds) * 2;
			core->held = xrealloc(core->held, core->heldcap * sizeof(*core->held));
		}
		time_t now = time(NULL);
		for (size_t i = 0; i < req->nholds; i++) {
			struct held *slot = &core->held[core->nheld++];
			slot->hold = req->holds[i];
			sd_strlcpy(slot->holder, req->action->name, sizeof(slot->holder));
			slot->ticket = req->ticket;
			slot->since = now;
		}
		core->queue[(core->qhead + core->qlen) % QUEUE_SIZE] = *req;
		core->qlen++;
		rc = 0;
		pthread_cond_broadcast(&core->wake);
	}
	pthread_mutex_unlock(&core->lock);
	return rc;
}

static void release_locked(struct sd_core *core, uint64_t ticket)
{
	size_t kept = 0;
	for (size_t i = 0; i < core->nheld; i++)
		if (core->held[i].ticket != ticket)
			core->held[kept++] = core->held[i];
	core->nheld = kept;
}

void sd_core_audit(struct sd_core *core, const struct sd_request *req, const char *result)
{
	int rc = sd_audit_append(core->audit_path, req, result);
	if (core->timeline_live) {
		int saved = errno;
		core_timeline_publish(core, sd_timeline_audit(core->timeline, core->audit_path));
		errno = saved;
	}
	if (rc != 0) {
		/* an audit failure is said, never silent */
		pthread_mutex_lock(&core->lock);
		snprintf(core->message, sizeof(core->message), "audit log %s: %s", core->audit_path,
			 strerror(errno));
		core->message_level = SD_WARNING;
		pthread_mutex_unlock(&core->lock);
	}
}

static void *worker_main(void *arg)
{
	struct sd_core *core = arg;
	pthread_mutex_lock(&core->lock);
	for (;;) {
		while (!core->stop && core->qlen == 0)
			pthread_cond_wait(&core->wake, &core->lock);
		if (core->stop)
			break;
		struct sd_request req = core->queue[core->qhead];
		core->qhead = (core->qhead + 1) % QUEUE_SIZE;
		core->qlen--;
		core->busy++;
		snprintf(core->message, sizeof(core->message), "%s %s ...", req.action->name,
			 req.target_name);
		core->message_level = SD_OK;
		core_publish_locked(core);
		pthread_mutex_unlock(&core->lock);

		req.started = sd_now();
		int rc = sd_action_run(core, &req); /* guards again, then the run */
		req.status = rc;
		req.duration = sd_now() - req.started;
		sd_core_audit(core, &req, rc == 0 ? "ok" : "failed");

		pthread_mutex_lock(&core->lock);
		release_locked(core, req.ticket);
		core->busy--;
		core->action_epoch++;
		snprintf(core->message, sizeof(core->message), "%s %s: %s", req.action->name,
			 req.target_name, req.result[0] ? req.result : (rc == 0 ? "done" : "failed"));
		core->message_level = rc == 0 ? SD_OK : SD_CRITICAL;
		core->done[core->ndone++ % DONE_KEPT] = req;
		for (int i = 0; i < B_COUNT; i++)
			core->pollers[i].dirty = true;
		pthread_cond_broadcast(&core->wake);
		core_publish_locked(core);
	}
	pthread_mutex_unlock(&core->lock);
	return NULL;
}

int sd_core_wait_done(struct sd_core *core, uint64_t ticket, double timeout,
		      struct sd_request *out)
{
	struct timespec until = sd_deadline_after(timeout);
	pthread_mutex_lock(&core->lock);
	int rc = -1;
	while (rc != 0) {
		for (size_t i = 0; i < DONE_KEPT && i < core->ndone; i++)
			if (core->done[i].ticket == ticket) {
				*out = core->done[i];
				rc = 0;
			}
		if (rc != 0 && (core->stop ||
				pthread_cond_timedwait(&core->wake, &core->lock, &until) == ETIMEDOUT))
			break;
	}
	pthread_mutex_unlock(&core->lock);
	return rc;
}

void sd_core_start_workers(struct sd_core *core)
{
	for (int i = 0; i < WORKERS; i++)
		if (!core->worker_running[i])
			core->worker_running[i] =
				pthread_create(&core->workers[i], NULL, worker_main, core) == 0;
}
