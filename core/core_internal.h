/* core_internal.h - what core.c (the pollers, the store, the life cycle) and worker.c (the
 * action workers and the targets they hold) share of a running core: its struct. Nothing
 * outside core/core.c and core/worker.c includes it. */
#ifndef SD_CORE_INTERNAL_H
#define SD_CORE_INTERNAL_H

#include "core.h"
#include "actions.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define QUEUE_SIZE 16
#define COALESCE 0.15 /* seconds: requests this close to the last refresh wait to be merged */
#define MAX_CHANGES 32 /* objects named by events awaiting refresh; more: a full fetch */
#define FOLLOW_MAX 16  /* services followed after their events (the oldest makes room) */
#define DONE_KEPT 8    /* finished requests kept for sd_core_wait_done */
#define WORKERS 2     /* actions that may run at once: a long backup never holds up a scale */

enum backend { B_DOCKER, B_POSTGRES, B_REDIS, B_BACKUPS, B_PROM, B_VIP, B_COUNT };

struct poller {
	struct sd_core *core;
	enum backend which;
	bool configured, running;
	pthread_t thread;
	bool dirty;                 /* a refresh was asked for */
	uint64_t completed_epoch;   /* action epoch seen at the start of the last finished cycle */
	bool answered;
	double quiet_since;         /* sd_now() when the last cycle ended */
};

/* A service or node an event named, waiting for the Docker poller. */
struct change {
	const char *kind;           /* "service" | "node" (static) */
	char id[72];
};

/* A target held by a queued or running action. */
struct held {
	struct sd_hold hold;
	char holder[64];            /* the action's name */
	uint64_t ticket;
	time_t since;
};

struct sd_core {
	const struct sd_config *config;
	enum sd_mode mode;
	char *audit_path;
	struct sd_timeline *timeline;  /* the stack's history (timeline.h) */
	bool timeline_live;            /* recording: diffs, /events, Sentinels, the audit log */

	pthread_mutex_t lock;
	pthread_cond_t wake;        /* pollers and the worker wait on it */
	int stop;
	bool background;            /* another cluster is on screen: poll slower (fleet.h) */

	/* store */
	struct sd_snapshot *current;
	uint64_t generation;
	struct sd_swarm *swarm;
	struct sd_pg *pg;
	struct sd_redis *redis;
	struct sd_backups *backups;
	struct sd_prom *prom;
	struct sd_vip *vip;
	struct sd_backend_status status[B_COUNT];
	char message[2048];
	enum sd_level message_level;
	int notify[2];

	/* backends */
	struct sd_docker *docker;
	struct sd_pg_backend *pgb;
	struct sd_sentinel_backend *sentinel;
	struct sd_backup_runner *backup;
	struct sd_prom_backend *promb;
	pthread_t prom_push;        /* posts the findings to Alertmanager (alertmanager.push) */
	bool prom_push_running;
	struct sd_vip_backend *vipb;
	struct poller pollers[B_COUNT];
	/* the Docker poller's work from the events stream */
	struct change changes[MAX_CHANGES];
	size_t nchanges;
	bool changes_overflow;      /* more than MAX_CHANGES named: a full fetch */
	bool events_up;             /* the stream is being followed */
	double last_full;           /* sd_now() when the last full fetch began */
	/* services an event named lately: asked again every interval while they converge */
	struct followed {
		char id[72];
		double until;       /* sd_now() after which the resync is left to see it */
	} followed[FOLLOW_MAX];
	size_t nfollowed;
	double started_wall;        /* the first stream replays the events since then */
	pthread_t docker_events, redis_events;
	bool docker_events_running, redis_events_running;

	/* action worker */
	struct sd_request queue[QUEUE_SIZE];
	size_t qhead, qlen;
	int busy;                   /* actions running now */
	uint64_t action_epoch;      /* bumped when an action finishes */
	pthread_t workers[WORKERS];
	bool worker_running[WORKERS];
	struct held *held;
	size_t nheld, heldcap;
	uint64_t next_ticket;
	/* the last actions finished, for sd_core_wait_done (--do) */
	struct sd_request done[DONE_KEPT];
	size_t ndone;
};

/* Compose and publish a new snapshot from the current parts. Caller holds the lock. */
void core_publish_locked(struct sd_core *core);
/* After the timeline kept KEPT new events: publish them (takes the lock). */
void core_timeline_publish(struct sd_core *core, size_t kept);

#endif
