/* actions_pg.c - pg.cancel and pg.terminate: pg_cancel_backend / pg_terminate_backend on a
 * session of a PostgreSQL member, from the sessions view.
 *
 * The target is "MEMBER:PID" (the sessions view's row key): that session; or
 * "MEMBER:PID+": every session PID blocks (pg_blocking_pids), the blocker itself left alone.
 * The check finds the session(s) in the newest snapshot (a session that has gone is refused),
 * writes the question (pid, user, database, application, state, how long, who blocks whom,
 * the first part of the query), holds "pg session MEMBER:PID" and names the target for the
 * audit as "MEMBER pid PID (USER: QUERY...)"; a password in the query is never shown. The
 * role swarmdeck connects as needs pg_signal_backend (a superuser's sessions stay refused). */
#include "actions_pg.h"
#include "request.h"
#include "backends/pg/pg.h"
#include "base/text.h"
#include "core.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUERY_SHOWN 60

static void hold(struct sd_request *req, const char *member, long pid)
{
	if (req->nholds == SD_HOLDS_MAX)
		return;
	struct sd_hold *h = &req->holds[req->nholds++];
	snprintf(h->key, sizeof(h->key), "pg session %s:%ld", member, pid);
	snprintf(h->label, sizeof(h->label), "session %ld on %s", pid, member);
}

/* The first part of QUERY on one line, a password never shown. */
static void query_start(const char *query, char *buf, size_t len)
{
	size_t n = 0;
	bool space = false;
	for (const char *p = query; *p && n + 4 < len && n < QUERY_SHOWN; p++) {
		if (isspace((unsigned char)*p)) {
			space = n > 0;
			continue;
		}
		if (space)
			buf[n++] = ' ';
		space = false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	char *pw = strcasestr(buf, "password");
	if (pw || strcasestr(query, "password")) {
		if (!pw)
			pw = buf + n;
		snprintf(pw, len - (size_t)(pw - buf), "%s", pw == buf + n ? " PASSWORD ***" : "PASSWORD ***");
	} else if (strlen(query) > n) {
		snprintf(buf + n, len - n, "...");
	}
}

/* "MEMBER:PID[+]" */
static bool parse_target(const char *target, char *member, size_t memberlen, long *pid, bool *blocked)
{
	const char *colon = strrchr(target, ':');
	if (!colon || colon == target || (size_t)(colon - target) >= memberlen)
		return false;
	char *end;
	*pid = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *pid <= 0)
		return false;
	*blocked = *end == '+';
	if (*end && strcmp(end, "+") != 0)
		return false;
	memcpy(member, target, (size_t)(colon - target));
	member[colon - target] = '\0';
	return true;
}

static const struct sd_pg_activity *find_session(const struct sd_pg_member *m, long pid)
{
	for (size_t i = 0; i < m->nsessions; i++)
		if (m->sessions[i].pid == pid)
			return &m->sessions[i];
	return NULL;
}

static bool blocked_by(const struct sd_pg_activity *s, long pid)
{
	for (int k = 0; k < s->nblocked_by; k++)
		if (s->blocked_by[k] == pid)
			return true;
	return false;
}

static void describe(struct sd_request *req, const struct sd_pg_activity *s)
{
	char q[QUERY_SHOWN + 32];
	query_start(s->query, q, sizeof(q));
	double t = !strcmp(s->state, "active") ? s->query_seconds : s->xact_seconds;
	sd_request_ask(req, "\n  pid %ld  %s@%s  %s  %s", s->pid, s->user, s->database,
	    *s->application ? s->application : "-", s->state);
	if (t >= 0)
		sd_request_ask(req, " %.0fs", t);
	if (*s->wait_type)
		sd_request_ask(req, "  waits %s:%s", s->wait_type, s->wait_event);
	if (s->nblocked_by > 0) {
		sd_request_ask(req, "  blocked by");
		for (int k = 0; k < s->nblocked_by; k++)
			sd_request_ask(req, "%s%ld", k ? "," : " ", s->blocked_by[k]);
	}
	if (s->blocks > 0)
		sd_request_ask(req, "  BLOCKS %d session%s", s->blocks, s->blocks == 1 ? "" : "s");
	sd_request_ask(req, "\n    %s", q);
}

static int check(struct sd_core *core, const struct sd_snapshot *snap, struct sd_request *req,
		 bool terminate)
{
	if (!sd_core_pg(core))
		return sd_request_refuse(req, "no postgres section in the configuration");
	char name[128];
	long pid;
	bool blocked;
	if (!parse_target(req->target, name, sizeof(name), &pid, &blocked))
		return sd_request_refuse(req, "'%s' is not a session (MEMBER:PID, or MEMBER:PID+ for the "
				   "sessions PID blocks)", req->target);
	const struct sd_pg_member *m = sd_pg_member_named(snap->pg, name);
	if (!m)
		return sd_request_refuse(req, "no PostgreSQL member '%s'", name);
	if (!m->reachable)
		return sd_request_refuse(req, "%s is unreachable: its sessions cannot be signalled", m->name);
	const struct sd_pg_activity *s = find_session(m, pid);
	if (!s)
		return sd_request_refuse(req, "pid %ld is no longer a session of %s", pid, m->name);
	const char *verb = terminate ? "Terminate" : "Cancel the statement of";
	char q[QUERY_SHOWN + 32];
	query_start(s->query, q, sizeof(q));
	req->question[0] = '\0';
	if (!blocked) {
		snprintf(req->target_name, sizeof(req->target_name), "%s pid %ld (%s: %s)", m->name,
			 pid, s->user, q);
		hold(req, m->name, pid);
		sd_request_ask(req, "%s session %ld on %s (%s)?", verb, pid, m->name,
		    terminate ? "pg_terminate_backend: its connection is closed, its transaction "
				"rolled back" : "pg_cancel_backend: its statement fails");
		describe(req, s);
		return 0;
	}
	int n = 0;
	for (size_t i = 0; i < m->nsessions; i++)
		n += blocked_by(&m->sessions[i], pid);
	if (n == 0)
		return sd_request_refuse(req, "pid %ld on %s blocks no session (any more)", pid, m->name);
	snprintf(req->target_name, sizeof(req->target_name), "%s sessions blocked by pid %ld (%s: %s)",
		 m->name, pid, s->user, q);
	sd_request_ask(req, "%s the %d session%s blocked by pid %ld on %s (%s)?", verb, n, n == 1 ? "" : "s",
	    pid, m->name, terminate ? "pg_terminate_backend" : "pg_cancel_backend");
	for (size_t i = 0; i < m->nsessions; i++)
		if (blocked_by(&m->sessions[i], pid)) {
			hold(req, m->name, m->sessions[i].pid);
			describe(req, &m->sessions[i]);
		}
	sd_request_ask(req, "\nThe blocker:");
	describe(req, s);
	return 0;
}

static int run(struct sd_core *core, struct sd_request *req, bool terminate)
{
	char name[128];
	long pid;
	bool blocked;
	if (!parse_target(req->target, name, sizeof(name), &pid, &blocked))
		return sd_request_refuse(req, "'%s' is not a session", req->target);
	const char *done = terminate ? "terminated" : "cancelled";
	/* the held sessions are the ones to signal */
	char err[512], text[sizeof(req->result)];
	int ok = 0, failed = 0;
	size_t len = 0;
	text[0] = '\0';
	for (size_t i = 0; i < req->nholds; i++) {
		const char *key = req->holds[i].key + strlen("pg session ");
		const char *colon = strrchr(key, ':');
		long target = colon ? strtol(colon + 1, NULL, 10) : 0;
		if (target <= 0)
			continue;
		int rc = sd_pg_signal_backend(sd_core_pg(core), name, target, terminate, err, sizeof(err));
		if (rc == 1) {
			ok++;
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%ld", ok > 1 ? ", " : "",
						target);
		} else {
			failed++;
			snprintf(req->result, sizeof(req->result), "%s", err);
		}
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
	}
	if (failed && !ok)
		return -1;          /* req->result has the server's reason */
	if (failed) {
		char first[sizeof(req->result)];
		sd_strlcpy(first, req->result, sizeof(first));
		snprintf(req->result, sizeof(req->result), "%s %.300s on %s; %d failed: %.300s", done, text,
			 name, failed, first);
		req->status = -1;
		return -1;
	}
	snprintf(req->result, sizeof(req->result), "%s pid %.600s on %s%s", done, text, name,
		 terminate ? "" : " (its statement fails with \"canceling statement due to user "
				  "request\")");
	return 0;
}

int sd_actions_pg_check_cancel(struct sd_core *c, const struct sd_snapshot *s, struct sd_request *r)
{
	return check(c, s, r, false);
}

int sd_actions_pg_check_terminate(struct sd_core *c, const struct sd_snapshot *s,
				  struct sd_request *r)
{
	return check(c, s, r, true);
}

int sd_actions_pg_run_cancel(struct sd_core *c, struct sd_request *r) { return run(c, r, false); }
int sd_actions_pg_run_terminate(struct sd_core *c, struct sd_request *r) { return run(c, r, true); }
