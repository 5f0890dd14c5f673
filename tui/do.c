/* do.c - `swarmdeck --do ACTION [TARGET] [VALUE]`: one registry action without the screen
 * (a timer's daily backup, a script). The action goes through the same path as a key: the
 * registry's check (watch mode refused, targets held), the confirmation policy, the action
 * worker and the audit log. Contract:
 * - A plain confirmation is answered only by --yes; a typed-name confirmation only by
 *   --confirm NAME (NAME must be what the dialog would ask for); without them the action is
 *   refused and audited as refused, nothing runs.
 * - Exactly one result line on stdout ("ok|failed|refused ACTION TARGET: message", or one
 *   JSON object with --json); exit 0 only when the action ran and succeeded, 1 when it was
 *   refused or failed, 2 for a usage error (an unknown or navigation action). */
#include "do.h"

#include "actions.h"
#include "base/text.h"
#include "core.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define DO_RUN_LIMIT (6 * 3600.0) /* seconds an action may run (a large dump, an upload) */

static void say(const struct do_options *o, const struct sd_request *req, const char *name,
		const char *verdict)
{
	const char *target = req->target_name[0] ? req->target_name : req->target;
	if (o->json) {
		json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:f}", "action", name, "target", target,
					 "result", verdict, "message", req->result,
					 "duration", req->duration);
		char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
		printf("%s\n", text ? text : "{}");
		free(text);
		json_decref(line);
	} else {
		printf("%s %s%s%s: %s\n", verdict, name, *target ? " " : "", target, req->result);
	}
	fflush(stdout);
}

/* TARGET as the registry names it: a backup by its file name is a path in the backup
 * folder; a backup kind is the action's parameter. */
static void place_arguments(const struct sd_config *config, const struct sd_action *a,
			    const struct do_options *o, char *target, size_t tlen, char *param,
			    size_t plen)
{
	const char *t = o->target ? o->target : "";
	const char *v = o->value ? o->value : "";
	target[0] = param[0] = '\0';
	if (a->target == SD_TARGET_BACKUP_KIND) {
		snprintf(param, plen, "%s", *v ? v : t);
		return;
	}
	if (a->target == SD_TARGET_BACKUP && *t && !strchr(t, '/') && config->backup.dir)
		snprintf(target, tlen, "%s/%s", config->backup.dir, t);
	else
		snprintf(target, tlen, "%s", t);
	snprintf(param, plen, "%s", v);
}

int do_action(struct sd_core *core, const struct sd_config *config, const struct do_options *o)
{
	const struct sd_action *a = sd_action_find(o->action);
	if (!a) {
		fprintf(stderr, "swarmdeck: --do: no action '%s' (swarmdeck --keys lists them)\n",
			o->action);
		return 2;
	}
	if (!a->mutates) {
		fprintf(stderr, "swarmdeck: --do: %s is navigation; only actions that change the "
				"stack run without the screen\n", a->name);
		return 2;
	}
	sd_core_start_pollers(core);
	double wait = config->docker.timeout_ms / 1000.0 + 2;
	if (config->postgres.configured)
		wait += config->postgres.connect_timeout + config->postgres.statement_timeout_ms / 1000.0;
	sd_core_wait_first(core, wait);
	sd_core_start_workers(core);

	char target[256], param[256];
	place_arguments(config, a, o, target, sizeof(target), param, sizeof(param));
	struct sd_request req;
	if (sd_action_prepare(core, a, target, param, &req) != 0) {
		say(o, &req, a->name, "refused");
		return 1;
	}
	const char *answer = NULL;
	if (req.confirm == SD_CONFIRM_YES)
		answer = o->yes || o->confirm ? "yes" : NULL;
	else if (req.confirm == SD_CONFIRM_TYPE_NAME)
		answer = o->confirm;
	if (req.confirm != SD_CONFIRM_NONE && !answer) {
		/* refused through submit, so that it is audited like a dialog answered wrong */
		sd_action_submit(core, &req, NULL);
		snprintf(req.result, sizeof(req.result), "not confirmed: %s",
			 req.confirm == SD_CONFIRM_TYPE_NAME
				 ? "this action asks for the target's name: give --confirm NAME"
				 : "give --yes to answer the confirmation");
		say(o, &req, a->name, "refused");
		return 1;
	}
	if (sd_action_submit(core, &req, answer) != 0) {
		say(o, &req, a->name, "refused");
		return 1;
	}
	struct sd_request done;
	if (sd_core_wait_done(core, req.ticket, DO_RUN_LIMIT, &done) != 0) {
		snprintf(req.result, sizeof(req.result), "no result after %.0f s", DO_RUN_LIMIT);
		say(o, &req, a->name, "failed");
		return 1;
	}
	say(o, &done, a->name, done.status == 0 ? "ok" : "failed");
	return done.status == 0 ? 0 : 1;
}
