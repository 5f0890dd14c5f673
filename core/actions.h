/* actions.h - the one registry of actions. Keys, drills and every mode reach the stack only
 * through here: the registry names what a keymap may bind, writes the help overlay, refuses
 * mutating actions in watch mode and audits every mutating request. */
#ifndef SD_ACTIONS_H
#define SD_ACTIONS_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

enum sd_confirm {
	SD_CONFIRM_NONE = 0,     /* run at once */
	SD_CONFIRM_YES,          /* answer "yes" (y) */
	SD_CONFIRM_TYPE_NAME,    /* type the target's name */
};

enum sd_target {
	SD_TARGET_NONE = 0, SD_TARGET_NODE, SD_TARGET_SERVICE, SD_TARGET_PG_MEMBER,
	SD_TARGET_REDIS_MASTER, SD_TARGET_BACKUP, SD_TARGET_BACKUP_KIND,
};

struct sd_core;
struct sd_request;

struct sd_action {
	const char *name;        /* service.scale */
	const char *group;       /* Navigation, Swarm, PostgreSQL, Redis, Backups */
	const char *help;        /* one line */
	bool mutates;
	enum sd_target target;
	const char *prompt;      /* asks for a parameter first ("Replicas"), or NULL */
	enum sd_confirm confirm; /* the least confirmation; check may raise it */
	/* Validate against the snapshot, fill the question and raise the confirmation.
	 * 0 to go on, -1 to refuse (req->result says why). Runs on the caller's thread. */
	int (*check)(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req);
	/* Do it (on the action worker). 0 or -1; req->result gets the outcome either way. */
	int (*run)(struct sd_core *core, struct sd_request *req);
};

struct sd_request {
	const struct sd_action *action;
	char target[256];        /* id, member name or file */
	char target_name[256];   /* what the operator sees and, for TYPE_NAME, must type */
	char param[256];         /* the prompt's answer */
	enum sd_confirm confirm; /* after check */
	char question[1024];     /* the dialog's text (may hold several lines) */
	char result[1024];       /* the outcome or the refusal, for the status line and audit */
	int status;              /* 0 ok, -1 failed or refused */
	double started, duration;/* seconds */
};

/* The registry, in help order; NULL-terminated. */
const struct sd_action *const *sd_actions(void);
const struct sd_action *sd_action_find(const char *name);

/* Step 1: look up NAME and check it against the newest snapshot. In watch mode a mutating
 * action is refused here and audited. Returns 0 when the caller should now ask
 * REQ->confirm (or submit at once for SD_CONFIRM_NONE), -1 when refused. */
int sd_action_prepare(struct sd_core *core, const char *name, const char *target,
		      const char *param, struct sd_request *req);
/* Step 2: ANSWER is what the operator typed at the confirmation ("yes"/"y" or the name;
 * ignored for SD_CONFIRM_NONE). Queues the run on the action worker; the result appears as
 * the snapshot's message. -1 when refused now (wrong answer, watch mode); audited. */
int sd_action_submit(struct sd_core *core, struct sd_request *req, const char *answer);

#endif
