/* actions_pgmaint.c - pg.vacuum, pg.analyze and pg.query (see actions_pgmaint.h).
 *
 * VACUUM and ANALYZE run on a reachable primary only: a standby is refused with the reason,
 * before the dialog and again on the worker. Each holds its database on its member ("one
 * maintenance per database at a time") and runs on the action worker with its own
 * connections, so the screen stays live; its progress goes to pgmaint.h.
 * pg.query runs one statement in a READ ONLY transaction on any reachable member (standbys
 * too). A read-only transaction can still call functions with effects, so it is a mutating
 * action: refused in watch mode, confirmed the first time in a core (a console run), audited
 * with the statement text. A statement that holds a password literal is refused and audited
 * with the literal masked. */
#include "actions_pgmaint.h"
#include "request.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "core.h"
#include "pgmaint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *primary_name(const struct sd_pg *pg)
{
	for (size_t i = 0; pg && i < pg->nmembers; i++)
		if (pg->members[i].reachable && !strcmp(pg->members[i].role, "primary"))
			return pg->members[i].name;
	return NULL;
}

/* The member of REQ's target, checked reachable; NULL after refusing. */
static const struct sd_pg_member *target_member(struct sd_core *core,
						const struct sd_snapshot *snap,
						struct sd_request *req, struct sd_pgmaint_target *t)
{
	char why[256];
	if (!sd_core_pg(core)) {
		sd_request_refuse(req, "no postgres section in the configuration");
		return NULL;
	}
	if (sd_pgmaint_target_parse(req->target, t, why, sizeof(why)) != 0) {
		sd_request_refuse(req, "%s: %s", req->action->name, why);
		return NULL;
	}
	const struct sd_pg_member *m = sd_pg_member_named(snap->pg, t->member);
	if (!m) {
		sd_request_refuse(req, "no PostgreSQL member '%s'", t->member);
		return NULL;
	}
	if (!m->reachable) {
		sd_request_refuse(req, "%s is unreachable: %s", m->name, m->error ? m->error : "no answer");
		return NULL;
	}
	return m;
}

static int check_maint(struct sd_core *core, const struct sd_snapshot *snap,
		       struct sd_request *req, const char *verb)
{
	struct sd_pgmaint_target t;
	const struct sd_pg_member *m = target_member(core, snap, req, &t);
	if (!m)
		return -1;
	char what[256];
	if (*t.table)
		snprintf(what, sizeof(what), "%s.%s", t.schema, t.table);
	else
		snprintf(what, sizeof(what), "database %s", *t.database ? t.database : "(the conninfo's)");
	sd_pgmaint_target_format(&t, req->target_name, sizeof(req->target_name));
	char key[160], label[128];
	snprintf(key, sizeof(key), "pgmaint %s/%s", t.member, t.database);
	snprintf(label, sizeof(label), "maintenance of %.40s on %.40s", *t.database ? t.database : "its database",
		 t.member);
	sd_request_hold(req, key, label);
	if (strcmp(m->role, "primary") != 0) {
		const char *p = primary_name(snap->pg);
		return sd_request_refuse(req, "refused: %s is a %s: %s runs on the primary only%s%s%s", m->name,
			      m->role, verb, p ? " (the primary is " : "", p ? p : "", p ? ")" : "");
	}
	snprintf(req->question, sizeof(req->question),
		 "%s %s%s%s on %s (primary)?\n"
		 "It runs on its own connection with no timeout; the progress bar shows its pid:\n"
		 "pg.cancel on that session (in the sessions view) stops it.",
		 verb, what, *t.table && *t.database ? " in " : "", *t.table ? t.database : "", m->name);
	return 0;
}

int sd_check_pg_vacuum(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req)
{
	return check_maint(core, snap, req, "VACUUM");
}

int sd_check_pg_analyze(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req)
{
	return check_maint(core, snap, req, "ANALYZE");
}

struct progress_arg {
	struct sd_core *core;
};

static bool on_progress(void *arg, const struct sd_pg_progress *p)
{
	struct sd_core *core = ((struct progress_arg *)arg)->core;
	sd_pgmaint_progress_update(core, p);
	return !sd_pgmaint_stopping(core);
}

static int run_maint(struct sd_core *core, struct sd_request *req, enum sd_pg_maint kind)
{
	const char *verb = kind == SD_PG_VACUUM ? "VACUUM" : "ANALYZE";
	struct sd_pgmaint_target t;
	char err[512];
	if (sd_pgmaint_target_parse(req->target, &t, err, sizeof(err)) != 0)
		return sd_request_refuse(req, "%s", err);
	char shown[256];
	sd_pgmaint_target_format(&t, shown, sizeof(shown));
	sd_pgmaint_progress_start(core, verb, shown);
	struct progress_arg arg = {core};
	const struct sd_config *c = sd_core_config(core);
	int rc = sd_pg_maintain(sd_core_pg(core), t.member, *t.database ? t.database : NULL,
				*t.table ? t.schema : NULL, *t.table ? t.table : NULL, kind, 250,
				c->postgres.statement_timeout_ms, on_progress, &arg, err, sizeof(err));
	struct sd_pgmaint_progress p;
	sd_pgmaint_progress_get(core, &p);
	if (rc != 0) {
		sd_pgmaint_progress_end(core, -1, err);
		if (sd_pgmaint_stopping(core))
			return sd_request_refuse(req, "%s %s cancelled: the console quit while it ran (%s)", verb,
				      shown, err);
		return sd_request_refuse(req, "%s %s failed: %s", verb, shown, err);
	}
	snprintf(req->result, sizeof(req->result), "%s %s done in %.1fs", verb, shown, p.seconds);
	sd_pgmaint_progress_end(core, 0, "ok");
	return 0;
}

int sd_run_pg_vacuum(struct sd_core *core, struct sd_request *req)
{
	return run_maint(core, req, SD_PG_VACUUM);
}

int sd_run_pg_analyze(struct sd_core *core, struct sd_request *req)
{
	return run_maint(core, req, SD_PG_ANALYZE);
}

/* ---- pg.query ---- */

static bool has_password_literal(const char *sql)
{
	char *masked = sd_pgmaint_mask_password(sql);
	bool differs = strcmp(masked, sql) != 0;
	free(masked);
	return differs;
}

int sd_check_pg_query(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req)
{
	struct sd_pgmaint_target t;
	const struct sd_pg_member *m = target_member(core, snap, req, &t);
	if (!m)
		return -1;
	sd_strlcpy(req->target_name, m->name, sizeof(req->target_name));
	char key[160], label[128];
	snprintf(key, sizeof(key), "pgquery %s", m->name);
	snprintf(label, sizeof(label), "a query on %s", m->name);
	sd_request_hold(req, key, label);
	const char *p = req->param;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return sd_request_refuse(req, "pg.query: no statement given");
	if (has_password_literal(req->param)) {
		char *masked = sd_pgmaint_mask_password(req->param);
		sd_strlcpy(req->param, masked, sizeof(req->param));
		free(masked);
		return sd_request_refuse(req, "pg.query: a statement with a password in it is not run (it would be "
				   "kept in the audit log and the history)");
	}
	if (strlen(req->param) >= sizeof(req->param) - 1)
		return sd_request_refuse(req, "pg.query: the statement is longer than %zu bytes",
			      sizeof(req->param) - 2);
	long timeout = sd_core_config(core)->postgres.query_timeout_ms;
	if (!sd_pgmaint_query_confirmed(core)) {
		req->confirm = SD_CONFIRM_YES;
		snprintf(req->question, sizeof(req->question),
			 "Run SQL on %s (%s) in a READ ONLY transaction, timeout %.1fs?\n  %.200s%s\n"
			 "A read-only transaction can still call functions with effects "
			 "(pg_terminate_backend, ...).\nAsked once: later statements run at once.",
			 m->name, m->role, timeout / 1000.0, p, strlen(p) > 200 ? "..." : "");
	}
	return 0;
}

int sd_run_pg_query(struct sd_core *core, struct sd_request *req)
{
	sd_pgmaint_query_confirm(core);
	const struct sd_config *c = sd_core_config(core);
	struct sd_pgmaint_answer *a = xcalloc(1, sizeof(*a));
	char err[512];
	sd_pgmaint_target_parse(req->target, &a->target, err, sizeof(err));
	a->sql = xstrdup(req->param);
	char *history = sd_pgmaint_history_path(c);
	sd_pgmaint_history_add(history, req->param);
	free(history);
	int rc = sd_pg_query(sd_core_pg(core), a->target.member,
			     *a->target.database ? a->target.database : NULL, req->param,
			     c->postgres.query_timeout_ms, SD_PG_QUERY_MAX_ROWS, &a->result, a->error,
			     sizeof(a->error));
	if (rc != 0) {
		sd_request_refuse(req, "%s", a->error);
		rc = -1;
	} else if (a->result->error) {
		size_t first = strcspn(a->result->error, "\n");
		char at[48] = "";
		if (a->result->position > 0)
			snprintf(at, sizeof(at), " (at character %d)", a->result->position);
		sd_request_refuse(req, "%.*s%s", (int)first, a->result->error, at);
		rc = -1;
	} else {
		snprintf(req->result, sizeof(req->result), "%s, %zu row%s%s in %.2fs",
			 a->result->status ? a->result->status : "done",
			 a->result->nrows, a->result->nrows == 1 ? "" : "s",
			 a->result->capped ? " (capped: more were not read)" : "", a->result->seconds);
		rc = 0;
	}
	sd_pgmaint_answer_put(core, a);
	return rc;
}
