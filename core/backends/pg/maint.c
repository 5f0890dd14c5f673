/* maint.c - VACUUM and ANALYZE with progress (see maint.h). Two connections to the primary:
 * one sends the statement and is only read from when its socket says so; the other asks the
 * progress view for the first one's pid. Neither blocks longer than POLL_MS at a time. */
#include "backends/pg/maint.h"
#include "backends/pg/conn.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void quote_ident(char **buf, size_t *len, const char *name)
{
	size_t need = *len + 2 * strlen(name) + 3;
	*buf = xrealloc(*buf, need + 1);
	char *p = *buf + *len;
	*p++ = '"';
	for (const char *s = name; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	*len = (size_t)(p - *buf);
}

char *sd_pg_maint_statement(enum sd_pg_maint kind, const char *schema, const char *table)
{
	const char *verb = kind == SD_PG_VACUUM ? "VACUUM" : "ANALYZE";
	size_t len = strlen(verb);
	char *sql = xstrdup(verb);
	if (table && *table) {
		sql = xrealloc(sql, len + 2);
		sql[len++] = ' ';
		sql[len] = '\0';
		if (schema && *schema) {
			quote_ident(&sql, &len, schema);
			sql = xrealloc(sql, len + 2);
			sql[len++] = '.';
			sql[len] = '\0';
		}
		quote_ident(&sql, &len, table);
	}
	return sql;
}

/* One look at the progress view for PID; keeps P's fields when the row is gone. */
static void look(PGconn *watch, enum sd_pg_maint kind, int pid, struct sd_pg_progress *p)
{
	char text[32];
	snprintf(text, sizeof(text), "%d", pid);
	const char *params[] = {text};
	const char *sql = kind == SD_PG_VACUUM
		? "select phase, heap_blks_total, heap_blks_scanned, coalesce(relid::regclass::text, '') "
		  "from pg_stat_progress_vacuum where pid = $1::int"
		: "select phase, sample_blks_total, sample_blks_scanned, coalesce(relid::regclass::text, '') "
		  "from pg_stat_progress_analyze where pid = $1::int";
	PGresult *res = PQexecParams(watch, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		const char *rel = PQgetvalue(res, 0, 3);
		if (*p->relation && strcmp(p->relation, rel) != 0)
			p->tables_done++;
		sd_strlcpy(p->phase, PQgetvalue(res, 0, 0), sizeof(p->phase));
		sd_strlcpy(p->relation, rel, sizeof(p->relation));
		p->total = atoll(PQgetvalue(res, 0, 1));
		p->done = atoll(PQgetvalue(res, 0, 2));
	}
	PQclear(res);
}

int sd_pg_maintain(struct sd_pg_backend *backend, const char *member, const char *database,
		   const char *schema, const char *table, enum sd_pg_maint kind, long poll_ms,
		   long timeout_ms, sd_pg_progress_fn *progress, void *arg, char *err,
		   size_t errlen)
{
	const char *app = kind == SD_PG_VACUUM ? "swarmdeck vacuum" : "swarmdeck analyze";
	PGconn *run = pg_conn_open(backend, member, database, app, 0, true, err, errlen);
	if (!run)
		return -1;
	int rc = -1;
	PGconn *watch = NULL;
	PGresult *res = PQexec(run, "select pg_is_in_recovery()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_conn_error(run, res, err, errlen);
		PQclear(res);
		goto done;
	}
	bool standby = *PQgetvalue(res, 0, 0) == 't';
	PQclear(res);
	if (standby) {
		sd_set_error(err, errlen, "%s is a standby (in recovery): %s runs on the primary only",
			     member, kind == SD_PG_VACUUM ? "VACUUM" : "ANALYZE");
		goto done;
	}
	watch = pg_conn_open(backend, member, database, "swarmdeck progress", timeout_ms, false,
			     err, errlen);
	if (!watch)
		goto done;
	struct sd_pg_progress p = {.pid = PQbackendPID(run)};
	char *sql = sd_pg_maint_statement(kind, schema, table);
	int sent = PQsendQuery(run, sql);
	free(sql);
	if (!sent) {
		pg_conn_error(run, NULL, err, errlen);
		goto done;
	}
	rc = 0;
	bool failed = false, cancelled = false;
	for (;;) {
		struct pollfd fd = {.fd = PQsocket(run), .events = POLLIN};
		int ready = poll(&fd, 1, (int)(poll_ms > 0 ? poll_ms : 250));
		if (ready > 0 && !PQconsumeInput(run)) {
			pg_conn_error(run, NULL, err, errlen);
			rc = -1;
			break;
		}
		if (!PQisBusy(run)) {
			while ((res = PQgetResult(run))) {
				if (PQresultStatus(res) != PGRES_COMMAND_OK && !failed) {
					pg_conn_error(run, res, err, errlen);
					failed = true;
				}
				PQclear(res);
			}
			rc = failed ? -1 : 0;
			break;
		}
		look(watch, kind, p.pid, &p);
		if (progress && !progress(arg, &p) && !cancelled) {
			PGcancel *cancel = PQgetCancel(run);
			char why[256];
			if (cancel)
				PQcancel(cancel, why, sizeof(why));
			PQfreeCancel(cancel);
			cancelled = true;
		}
	}
done:
	PQfinish(watch);
	PQfinish(run);
	return rc;
}
