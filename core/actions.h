/* actions.h - the one registry of actions. Keys, drills and every mode reach the stack only
 * through here: the registry names what a keymap may bind, writes the help overlay, refuses
 * mutating actions in watch mode, holds each running action's targets and audits every
 * mutating request.
 *
 * Contract:
 * - Every entry has an id (enum sd_action_id) and sd_action_get(id) is that entry: code names
 *   an action by its id (a misspelt id does not compile) and a keymap by its name (an unknown
 *   name does not load: the keymap stores the entry). Nothing is dispatched by a string.
 * - Mutating entries carry their check and run. Navigation entries are the front end's work:
 *   the registry holds the entry and an empty handler slot; the front end fills every slot
 *   at start with sd_actions_bind_navigation, which refuses a table that leaves one empty or
 *   gives a handler to an entry that is not navigation.
 * - A mutating action holds its targets (a service, a node, the PostgreSQL cluster, the Redis
 *   master, the backup folder) from the moment it is queued until it has run; another
 *   mutating action on a held target is refused, with the holder and since when, and audited.
 * - Every guard is checked when the action is prepared and again on the worker right before
 *   it runs, against the newest snapshot; a guard that fails then fails the action. */
#ifndef SD_ACTIONS_H
#define SD_ACTIONS_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum sd_confirm {
	SD_CONFIRM_NONE = 0,     /* run at once */
	SD_CONFIRM_YES,          /* answer "yes" (y) */
	SD_CONFIRM_TYPE_NAME,    /* type the target's name */
};

/* What a mutating action's target parameter names (the pane it is taken from). */
enum sd_target {
	SD_TARGET_NONE = 0, SD_TARGET_NODE, SD_TARGET_SERVICE, SD_TARGET_PG_MEMBER,
	SD_TARGET_REDIS_MASTER, SD_TARGET_BACKUP, SD_TARGET_BACKUP_KIND,
	SD_TARGET_PG_TABLE,      /* MEMBER[/DATABASE[/SCHEMA.TABLE]] (pgmaint.h) */
	SD_TARGET_PG_SESSION,    /* "MEMBER:PID", from the sessions view */
};

/* Every action, in help order. sd_action_get(id)->id == id. */
enum sd_action_id {
	/* navigation */
	SD_ACTION_QUIT, SD_ACTION_HELP, SD_ACTION_REFRESH, SD_ACTION_FOCUS_NEXT,
	SD_ACTION_FOCUS_PREV, SD_ACTION_FOCUS_NODES, SD_ACTION_FOCUS_SERVICES,
	SD_ACTION_FOCUS_TASKS, SD_ACTION_FOCUS_POSTGRES, SD_ACTION_FOCUS_REDIS,
	SD_ACTION_FOCUS_BACKUPS, SD_ACTION_CURSOR_UP, SD_ACTION_CURSOR_DOWN, SD_ACTION_CURSOR_TOP,
	SD_ACTION_CURSOR_BOTTOM, SD_ACTION_PAGE_UP, SD_ACTION_PAGE_DOWN, SD_ACTION_FILTER,
	SD_ACTION_SORT_NEXT, SD_ACTION_OPEN, SD_ACTION_BACK, SD_ACTION_SCREEN_SAVE,
	SD_ACTION_PANE_ZOOM,
	/* stacks and Swarm objects: the services grouped by stack, pane 8 */
	SD_ACTION_SERVICES_GROUP, SD_ACTION_FOCUS_OBJECTS,
	/* logs and inspect: the full-screen text views and their own keys (the logs scope) */
	SD_ACTION_LOGS, SD_ACTION_INSPECT, SD_ACTION_LOGS_FOLLOW, SD_ACTION_LOGS_WRAP,
	SD_ACTION_LOGS_TIMESTAMPS, SD_ACTION_LOGS_SEARCH, SD_ACTION_LOGS_NEXT, SD_ACTION_LOGS_PREV,
	SD_ACTION_LOGS_FILTER, SD_ACTION_LOGS_SAVE,
	/* the timeline, the alerts */
	SD_ACTION_FOCUS_EVENTS, SD_ACTION_FOCUS_ALERTS,
	/* several clusters: the fleet view (pane 0) and the switch */
	SD_ACTION_FOCUS_FLEET, SD_ACTION_CLUSTER_SWITCH,
	/* Swarm */
	SD_ACTION_SERVICE_SCALE, SD_ACTION_SERVICE_ROLLBACK, SD_ACTION_SERVICE_REDEPLOY,
	SD_ACTION_NODE_DRAIN, SD_ACTION_NODE_PAUSE, SD_ACTION_NODE_ACTIVATE, SD_ACTION_NODE_PROMOTE,
	SD_ACTION_NODE_DEMOTE,
	/* rollouts and node edits (actions_swarm.c) */
	SD_ACTION_SERVICE_UPDATE, SD_ACTION_NODE_LABEL, SD_ACTION_NODE_REMOVE,
	/* quorum lost: the last resort (actions_swarm.c) */
	SD_ACTION_SWARM_RECOVER,
	/* data tier and backups */
	SD_ACTION_PG_PROMOTE,
	/* PostgreSQL sessions (core/actions_pg.c) */
	SD_ACTION_PG_CANCEL, SD_ACTION_PG_TERMINATE,
	SD_ACTION_REDIS_FAILOVER, SD_ACTION_BACKUP_TAKE,
	SD_ACTION_BACKUP_VERIFY, SD_ACTION_BACKUP_RESTORE,
	/* PostgreSQL tables, maintenance and the read-only query prompt (actions_pgmaint.c) */
	SD_ACTION_PG_TABLES, SD_ACTION_PG_VACUUM, SD_ACTION_PG_ANALYZE, SD_ACTION_PG_QUERY,
	/* off-site copies of the backups (actions_offsite.c) */
	SD_ACTION_BACKUP_UPLOAD, SD_ACTION_BACKUP_SYNC,
	SD_ACTION_COUNT
};

struct sd_core;
struct sd_request;

struct sd_action {
	enum sd_action_id id;
	const char *name;        /* service.scale */
	const char *group;       /* Navigation, Swarm, PostgreSQL, Redis, Backups */
	const char *help;        /* one line */
	bool mutates;
	enum sd_target target;
	const char *prompt;      /* asks for a parameter first ("Replicas"), or NULL */
	enum sd_confirm confirm; /* the least confirmation; check may raise it */
	/* Validate against the snapshot, fill the question, the targets held and raise the
	 * confirmation. 0 to go on, -1 to refuse (req->result says why). Runs on the caller's
	 * thread when prepared and again on the worker before the run. */
	int (*check)(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req);
	/* Do it (on the action worker). 0 or -1; req->result gets the outcome either way. */
	int (*run)(struct sd_core *core, struct sd_request *req);
	/* The prompt's starting answer, for the operator to edit (service.update: the image the
	 * target runs now), or NULL: the prompt starts empty. */
	void (*prefill)(const struct sd_snapshot *snap, const char *target, char *buf, size_t len);
};

/* One target a running action holds: KEY identifies it ("service iot-guardian_backend",
 * "postgres"), LABEL is what a refusal says ("iot-guardian_backend", "the PostgreSQL
 * cluster"). */
#define SD_HOLDS_MAX 34
struct sd_hold {
	char key[160];
	char label[128];
};

struct sd_request {
	const struct sd_action *action;
	char target[256];        /* id, member name or file */
	char target_name[256];   /* what the operator sees and, for TYPE_NAME, must type */
	char param[768];         /* the prompt's answer (pg.query: the statement) */
	enum sd_confirm confirm; /* after check */
	char question[1024];     /* the dialog's text (may hold several lines) */
	char result[1024];       /* the outcome or the refusal, for the status line and audit */
	int status;              /* 0 ok, -1 failed or refused */
	double started, duration;/* seconds */
	struct sd_hold holds[SD_HOLDS_MAX]; /* filled by check */
	size_t nholds;
	uint64_t ticket;         /* set when queued: whose holds are whose */
	char part_of[64];        /* audit: "backup.restore" for a step of another action */
	char cluster[64];        /* the cluster it acts on (its name in the header), for the audit */
};

/* The registry, in help order; NULL-terminated. */
const struct sd_action *const *sd_actions(void);
/* The entry of ID (never NULL for an id of the enum). */
const struct sd_action *sd_action_get(enum sd_action_id id);
/* By name, for readers of names (keymaps, --keys): NULL when there is none. */
const struct sd_action *sd_action_find(const char *name);

/* ---- navigation: the front end's handlers ---- */
typedef void sd_navigate_fn(void *frontend);
struct sd_navigation {
	enum sd_action_id id;
	sd_navigate_fn *run;
};
/* Fill the navigation slots from TABLE (N entries). Every navigation entry must get exactly
 * one handler and no other entry any: otherwise -1 with ERR naming the first fault, and no
 * slot is changed. */
int sd_actions_bind_navigation(const struct sd_navigation *table, size_t n, char *err,
			       size_t errlen);
/* True when the navigation entry ACTION has its handler. */
bool sd_action_bound(const struct sd_action *action);
/* Run navigation entry ACTION's handler with FRONTEND. -1 (nothing done) for a mutating
 * entry or one not bound. */
int sd_action_navigate(const struct sd_action *action, void *frontend);

/* ---- mutating actions ---- */

/* Step 1: check ACTION against the newest snapshot. In watch mode a mutating action is
 * refused here and audited, as is one whose target another action holds. Returns 0 when the
 * caller should now ask REQ->confirm (or submit at once for SD_CONFIRM_NONE), -1 when
 * refused. */
int sd_action_prepare(struct sd_core *core, const struct sd_action *action, const char *target,
		      const char *param, struct sd_request *req);
/* Step 2: ANSWER is what the operator typed at the confirmation ("yes"/"y" or the name;
 * ignored for SD_CONFIRM_NONE). Takes the targets and queues the run on an action worker;
 * the result appears as the snapshot's message. -1 when refused now (wrong answer, watch
 * mode, a target held); audited. */
int sd_action_submit(struct sd_core *core, struct sd_request *req, const char *answer);
/* On the worker: check REQ's guards again against the newest snapshot, then run it. A guard
 * that fails, or one that now asks for more confirmation than was given, fails the action
 * with the reason. 0 or -1; REQ->result says what happened. */
int sd_action_run(struct sd_core *core, struct sd_request *req);

#endif
