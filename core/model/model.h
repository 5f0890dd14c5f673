/* model.h - the snapshot: one immutable view of the stack that panes, --once and drills read.
 *
 * A snapshot is made of parts (swarm, postgres, redis, backups, vip), each produced by one backend
 * and owning all its memory in one arena. Parts are reference counted, so a new snapshot that
 * changes only the Redis part shares the others. Nothing in a published part is ever modified. */
#ifndef SD_MODEL_H
#define SD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/arena.h"

/* ---- parts: reference counted, arena owned ---- */
struct sd_part {
	int refs;                 /* atomic */
	struct sd_arena *arena;   /* everything of the part, the part itself included */
	/* parts whose memory this one points into (a swarm refreshed in place of one service
	 * keeps the strings of the parts it was built from): referenced, dropped with it */
	struct sd_part **shares;
	size_t nshares;
};
void *sd_part_new(size_t size);  /* a zeroed part of SIZE bytes (first member struct sd_part) */
void *sd_part_ref(void *part);   /* NULL-safe */
void sd_part_unref(void *part);  /* NULL-safe; frees the arena at zero */

enum sd_level { SD_OK = 0, SD_WARNING = 1, SD_CRITICAL = 2, SD_UNKNOWN = 3 };
const char *sd_level_name(enum sd_level level);           /* "OK", "WARNING", ... */

enum sd_mode { SD_MODE_LIVE = 0, SD_MODE_WATCH, SD_MODE_DRILL };
const char *sd_mode_name(enum sd_mode mode);              /* "live", "watch", "drill" */

/* ---- Swarm ---- */
struct sd_label { const char *key, *value; };

struct sd_node {
	const char *id, *hostname;
	const char *role;          /* manager | worker */
	const char *availability;  /* active | pause | drain */
	const char *state;         /* ready | down | unknown | disconnected */
	const char *manager;       /* leader | reachable | unreachable | "" for workers */
	const char *engine, *addr, *message;
	const char *manager_addr;  /* ManagerStatus.Addr ("10.0.0.1:2377"), "" for workers */
	struct sd_label *labels;
	size_t nlabels;
	uint64_t version;
	int tasks;                 /* tasks desired running on this node */
};

struct sd_port { long published, target; const char *protocol, *mode; };

/* What a service's tasks attach to or mount, by object ID (objects.c fills it). */
struct sd_service_uses {
	const char **networks, **secrets, **configs;
	size_t nnetworks, nsecrets, nconfigs;
};

struct sd_service {
	const char *id, *name, *stack;   /* stack: com.docker.stack.namespace label or "" */
	const char *mode;                /* replicated | global | replicated-job | global-job */
	const char *image;               /* without the @sha256 digest */
	const char *update_state;        /* updating | paused | completed | rollback_started |
	                                    rollback_paused | rollback_completed | "" */
	const char *update_message;
	uint64_t version;
	long desired, running;
	struct sd_port *ports;
	size_t nports;
	bool has_previous_spec;
	struct sd_task *tasks;           /* its own tasks (by slot, newest first): an event that
	                                    changes one service changes this array alone */
	size_t task_count;
	time_t updated_at;
	/* rollouts: UpdateStatus times (0 when none) and Spec.UpdateConfig as the engine has it
	 * (-1 / "" where the spec leaves a field out: the engine's defaults apply) */
	time_t update_started, update_completed;
	long update_parallelism;
	double update_delay, update_monitor;       /* seconds */
	const char *update_order, *update_failure_action;
	const char **constraints;        /* TaskTemplate.Placement.Constraints, as written */
	size_t nconstraints;
	struct sd_service_uses uses;
};

struct sd_task {
	const char *id, *service_id, *service;  /* service: name */
	const char *node_id, *node;             /* node: hostname ("" when unassigned) */
	const char *desired_state, *state;      /* running | shutdown | failed | ... */
	const char *error, *message;
	long slot;                              /* 0 for global services */
	time_t since;                           /* Status.Timestamp */
	const char *image;                      /* Spec.ContainerSpec.Image, no @digest */
};

/* ---- stacks and Swarm objects (pane 8): names, never a secret's value nor a config's data */
struct sd_stack {
	const char *name;                /* com.docker.stack.namespace, as the CLI reads it */
	size_t services, degraded, updating;
	long running, desired;
};

struct sd_network {
	const char *id, *name, *driver, *scope, *stack;
	bool attachable, internal, ingress;
	const char **subnets;            /* IPAM.Config[].Subnet */
	size_t nsubnets;
	const char **services;           /* names of the services attached, in services order */
	size_t nservices;
	time_t created;
};

/* A secret or a config. */
struct sd_swarm_object {
	const char *id, *name, *stack;
	time_t created, updated;
	long long size;                  /* a config's data in bytes; -1 for a secret */
	const char **services;           /* names of the services that use it */
	size_t nservices;
};

struct sd_swarm {
	struct sd_part part;
	time_t fetched_at;
	const char *engine_name;        /* hostname of the engine we talk to */
	const char *engine_version, *api_version;
	const char *endpoint;           /* the engine asked: unix:///path or tcp://host:port */
	int endpoint_index;             /* 0: the one configured first; else a failover's */
	const char *cluster_id, *leader; /* leader: hostname */
	int managers, managers_reachable;
	struct sd_node *nodes;
	size_t nnodes;
	struct sd_service **services;   /* sorted by name; each points into the part that decoded
	                                   it, so a change copies pointers, not services */
	size_t nservices;
	size_t ntasks;                  /* every task: the services' (sd_swarm_next_task) ... */
	struct sd_task *orphans;        /* ... and those whose service the list no longer has */
	size_t norphans;
	struct sd_stack *stacks;        /* sorted by name; services without the label in none */
	size_t nstacks;
	struct sd_stack totals;         /* every service's sums (no name) */
	struct sd_network *networks;    /* swarm scope, sorted by name */
	struct sd_swarm_object *secrets, *configs;   /* sorted by name */
	size_t nnetworks, nsecrets, nconfigs;
	bool objects_read;              /* the three lists were asked for (and answered) */
	const char *objects_error;      /* why one of them could not be read, or "" */
	/* a part refreshed from DERIVED_FROM (never dereferenced: compared with the part it
	 * replaces) for one object, CHANGED_KIND ("service" | "node") CHANGED_ID; all NULL
	 * for a full fetch. Networks, secrets and configs (and what services use them) are the
	 * full fetch's until the next one. */
	const void *derived_from;
	const char *changed_kind, *changed_id;
	const void *changed_was, *changed_now;   /* that node or service in DERIVED_FROM and in
	                                            this part (NULL: not there) */
};

/* ---- PostgreSQL ---- */

/* One client backend of a member's pg_stat_activity (the sessions view). */
struct sd_pg_activity {
	long pid;
	const char *user, *database, *application, *client, *state;
	const char *wait_type, *wait_event;   /* "" when not waiting */
	const char *query;                    /* its first 2,048 bytes */
	double xact_seconds, query_seconds, state_seconds; /* ages; -1 when none */
	long *blocked_by;                     /* pg_blocking_pids (only asked of lock waiters) */
	int nblocked_by;
	int blocks;                           /* how many sessions of the member it blocks */
};

struct sd_pg_database {
	const char *name;
	long long size_bytes;
};

/* A member's overview: cheap statistics, asked on every refresh. Counters are the server's
 * totals; rates are deltas against the previous refresh (-1 until there are two). */
struct sd_pg_overview {
	bool present;                         /* the statements answered */
	long max_connections, reserved_connections; /* reserved: superuser_reserved (+ reserved) */
	long connections;                     /* client backends, swarmdeck's own included */
	long active, idle, idle_in_xact, other_state;
	long waiting_lock;                    /* waiting on a lock */
	struct sd_pg_database *databases;     /* asked every 30 s, carried over in between */
	size_t ndatabases;
	double sizes_at;                      /* when the sizes were asked (server's clock) */
	long long xact_commit, xact_rollback, blks_hit, blks_read, deadlocks, temp_bytes,
		temp_files;
	double cache_hit_ratio;               /* blks_hit / (hit + read), -1 when none read */
	double commits_per_second, rollbacks_per_second, wal_bytes_per_second; /* -1: unknown */
	double oldest_xact_seconds, oldest_query_seconds; /* -1: none */
	long long max_frozen_xid_age;         /* max(age(datfrozenxid)) */
	double wraparound_margin;             /* % of the 2^31 XID horizon left; -1 unknown */
	long long checkpoints_timed, checkpoints_req; /* -1 when the server has no such view */
	uint64_t wal_lsn;                     /* current (primary) or replayed (standby) */
	double sampled_at;                    /* the server's clock, epoch seconds */
	long blocked_long;                    /* sessions waiting on a lock for more than 60 s */
};

struct sd_pg_member {
	const char *name, *conninfo_safe;    /* conninfo without password */
	const char *role;                     /* primary | standby | unknown */
	bool reachable;
	const char *error;
	time_t unreachable_since;
	long timeline;
	const char *lsn;                      /* current (primary) or replay (standby) LSN */
	const char *receive_lsn, *replay_lsn;
	time_t last_replay;                   /* pg_last_xact_replay_timestamp, 0 if none */
	/* as seen from the primary's pg_stat_replication (standbys only; -1 when unknown, never
	 * another negative number) */
	const char *repl_state, *sync_state;
	long long sent_lag_bytes, write_lag_bytes, flush_lag_bytes, lag_bytes; /* lag = replay */
	double write_lag_seconds, flush_lag_seconds, replay_lag_seconds;
	/* where the lag comes from: "pg_stat_replication" (the primary's view of it), "primary_lsn"
	 * (it does not stream: the primary's current LSN against its replayed one), "standby" (the
	 * primary cannot be asked: its own received against replayed), "" unknown */
	const char *lag_source;
	struct sd_pg_overview overview;
	struct sd_pg_activity *sessions;      /* by pid; swarmdeck's own left out */
	size_t nsessions;
	const char *upstream;                 /* name of the member it follows, "" if none known */
	double lag_history[60];               /* bytes, oldest first, nhistory valid */
	int nhistory;
};

struct sd_pg_slot {
	const char *member, *name, *type;
	bool active;
	long long retained_bytes;
};

struct sd_pg_archiver {
	bool present;
	long long archived_count, failed_count;
	const char *last_archived_wal, *last_failed_wal;
	time_t last_archived_time, last_failed_time;
};

struct sd_pg {
	struct sd_part part;
	time_t fetched_at;
	struct sd_pg_member *members;
	size_t nmembers;
	struct sd_pg_slot *slots;
	size_t nslots;
	struct sd_pg_archiver archiver;
};

/* ---- Redis Sentinel ---- */
struct sd_redis_master {
	const char *name, *addr, *flags;
	long quorum;
	bool ckquorum;
	const char *ckquorum_message;
	long num_other_sentinels, num_slaves;
	/* as seen by swarmdeck itself (INFO replication on the master) */
	bool reachable;
	const char *error;                   /* "" when it answered as a master */
	long long offset;                    /* master_repl_offset, -1 when unknown */
};

struct sd_redis_replica {
	const char *addr, *flags, *link;     /* link: up | down | "" */
	long long offset, lag_bytes;
	bool reachable;
	const char *error;                   /* why INFO failed, or a wrong role; "" */
};

struct sd_redis_sentinel {
	const char *addr, *flags;
	bool reachable;
	const char *master_addr;             /* what this sentinel thinks the master is */
	const char *error;
};

struct sd_redis_event {
	time_t time;
	const char *sentinel, *channel, *message;
};

struct sd_redis {
	struct sd_part part;
	time_t fetched_at;
	struct sd_redis_master master;
	struct sd_redis_replica *replicas;
	size_t nreplicas;
	struct sd_redis_sentinel *sentinels;
	size_t nsentinels;
	struct sd_redis_event *events;       /* newest last */
	size_t nevents;
	const char *failover;                /* failover in progress: last state, or "" */
};

/* ---- Backups ---- */
/* One copy of a backup: in the local folder or on the off-site remote. */
struct sd_backup_copy {
	const char *where;                   /* "local" | "remote" */
	const char *verified;                /* "yes" | "no" | "failed" */
	long long size;
	time_t time;                         /* local: the file's; remote: the store's date */
};

struct sd_backup {
	const char *kind;                    /* postgres | redis | swarm */
	const char *file, *sha256;
	time_t time;
	long long size;
	const char *verified;                /* "yes" | "no" | "failed" */
	const char *verify_message;
	time_t verified_at;
	const char *source;                  /* member, master address or engine it came from */
	const char *database;                /* postgres: the database dumped; "" otherwise */
	struct sd_backup_copy *copies;       /* local first, then remote */
	size_t ncopies;
	bool local;                          /* a copy is in the local folder */
};

struct sd_backups {
	struct sd_part part;
	time_t fetched_at;
	const char *dir;
	struct sd_backup *items;             /* newest first */
	size_t nitems;
	const char *running;                 /* a backup in progress: "postgres 12.3 MB 40 MB/s" */
	double progress;                     /* 0..1, < 0 when unknown */
	/* backup.remote, when configured */
	bool remote_configured;
	const char *remote_url;
	const char *remote_error;            /* "" when the remote answered the last look */
	long remote_retention_days;
};

/* ---- Prometheus and Alertmanager: the alerts that fire, node_exporter's figures ---- */
struct sd_prom_alert {
	const char *name;                    /* labels.alertname */
	const char *state;                   /* firing | pending | suppressed */
	const char *severity;                /* the severity label as written, "" when none */
	enum sd_level level;                 /* from the severity (prometheus.severities) */
	const char *summary;                 /* annotations.summary, else .description, else "" */
	const char *target;                  /* the node, instance, service or job it is about */
	struct sd_label *labels, *annotations;  /* sorted by key */
	size_t nlabels, nannotations;
	time_t since;                        /* startsAt (Alertmanager) or activeAt (Prometheus) */
	bool own;                            /* one of this console's findings, pushed */
};

#define SD_METRIC_HISTORY 60
/* One Swarm node's node_exporter figures; NAN where the series is missing. */
struct sd_node_metrics {
	const char *node;                    /* the Swarm node's hostname */
	const char *instance;                /* the value of prometheus.node_label matched */
	double cpu_busy;                     /* percent of all CPUs, 0..100 */
	double mem_available, mem_total;     /* bytes */
	double disk_free, disk_size;         /* bytes, the root filesystem */
	double net_rx, net_tx;               /* bytes per second, all interfaces but lo */
	double cpu_history[SD_METRIC_HISTORY];  /* oldest first, nhistory valid; NAN: a gap */
	int nhistory;
};

struct sd_prom {
	struct sd_part part;
	time_t fetched_at;
	const char *alerts_from;             /* "alertmanager" | "prometheus" | "" */
	const char *alerts_error;            /* why the alerts could not be read, or "" */
	const char *metrics_error;           /* why the node queries failed, or "" */
	const char *push_error;              /* why the last push failed, or "" */
	struct sd_prom_alert *alerts;        /* worst level first, then oldest */
	size_t nalerts;
	struct sd_node_metrics *nodes;       /* in the swarm's node order; none when no series */
	size_t nnodes;
	size_t pushed;                       /* findings held open at Alertmanager */
	bool push;                           /* alertmanager.push is on */
};

/* ---- the front door: keepalived's virtual IP (backends/vip) ---- */
struct sd_vip_node {
	const char *name, *url;
	bool answers;                        /* its own check URL answered 200 */
	const char *says;                    /* the first line of that answer, "" when none */
	const char *error;                   /* why it did not answer (or said nothing), "" */
};

struct sd_vip {
	struct sd_part part;
	time_t fetched_at;
	const char *address;                 /* the virtual IP */
	const char *check_url;
	const char *holder;                  /* the node the VIP's answer named, "" when none */
	const char *error;                   /* why the VIP did not answer, "" when it did */
	const char *last_holder;             /* the newest holder named (this look or before) */
	time_t holder_since;                 /* since when HOLDER (or no answer) holds */
	struct sd_vip_node *nodes;           /* in the config's order */
	size_t nnodes;
};

/* ---- the timeline (core/timeline.h keeps it) ---- */
struct sd_event {
	double time;                         /* epoch seconds, to the millisecond */
	const char *source;                  /* swarm | postgres | redis | backups | audit */
	const char *kind;                    /* node-state, task-failed, switch-master, ... */
	const char *target, *message;
};

struct sd_events {
	struct sd_part part;
	struct sd_event *items;              /* newest first */
	size_t n;
};

/* ---- snapshot ---- */
struct sd_backend_status {
	bool configured;
	bool reachable;      /* the last attempt succeeded */
	bool answered;       /* at least one attempt finished */
	char error[256];     /* why the last attempt failed */
	time_t unreachable_since, last_ok;
};

struct sd_alert {
	enum sd_level level;
	const char *source;  /* swarm | postgres | redis | backups */
	const char *target;
	const char *message;
	const char *kind;    /* the rule that found it, stable ("node-down"): with source and
	                        target the finding's identity (pushed to Alertmanager) */
};

struct sd_snapshot {
	struct sd_part part;
	uint64_t generation;
	time_t time;
	enum sd_mode mode;
	const char *cluster_name;
	struct sd_backend_status docker_status, pg_status, redis_status, backups_status;
	struct sd_backend_status prom_status;
	struct sd_backend_status vip_status;  /* the front door's poller (configured: vip:) */
	struct sd_swarm *swarm;      /* NULL until the first answer; stale when !docker_status.reachable */
	struct sd_pg *pg;            /* NULL when not configured or not yet answered */
	struct sd_redis *redis;
	struct sd_backups *backups;
	struct sd_prom *prom;        /* NULL when neither prometheus nor alertmanager is set */
	struct sd_vip *vip;          /* NULL when not configured or not yet looked at */
	struct sd_events *events;    /* the timeline's newest events; NULL: none kept */
	struct sd_alert *alerts;
	size_t nalerts;
	enum sd_level health;
	const char *message;         /* last action result for the status line, "" if none */
	enum sd_level message_level;
};

/* Drop a reference to a snapshot (and its references to the parts). NULL-safe. */
void sd_snapshot_unref(struct sd_snapshot *snap);

/* lookups (linear; fine for the sizes we draw) */
const struct sd_node *sd_swarm_node(const struct sd_swarm *swarm, const char *id_or_name);
const struct sd_service *sd_swarm_service(const struct sd_swarm *swarm, const char *id_or_name);
/* Every task of SWARM, each service's in services order, then the orphans: start with
 * WALK zeroed, call until NULL. */
struct sd_task_walk {
	size_t service, index;
};
const struct sd_task *sd_swarm_next_task(const struct sd_swarm *swarm, struct sd_task_walk *walk);
const struct sd_task *sd_swarm_task(const struct sd_swarm *swarm, const char *id);
/* A replicated-job or a global-job: its tasks run to completion, none running is no fault. */
bool sd_service_is_job(const struct sd_service *svc);
/* N zeroed services in ARENA and the array of pointers to them that sd_swarm.services is. */
struct sd_service **sd_services_new(struct sd_arena *arena, size_t n);
/* SW's stack of that name (stacks are sorted by name), or NULL. */
struct sd_stack *sd_swarm_stack(struct sd_swarm *sw, const char *name);
/* SW's stacks summed again from its services, in ARENA: one per distinct label, sorted. */
void sd_swarm_sum_stacks(struct sd_swarm *sw, struct sd_arena *arena);
/* A service's share of a stack's sums (or the swarm's totals): added (SIGN 1) or taken off (-1). */
void sd_stack_count(struct sd_stack *stack, const struct sd_service *svc, int sign);
const struct sd_pg_member *sd_pg_member_named(const struct sd_pg *pg, const char *name);
const struct sd_node_metrics *sd_prom_node(const struct sd_prom *prom, const char *hostname);

#endif
