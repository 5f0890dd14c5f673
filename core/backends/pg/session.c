/* session.c - private sessions of the PostgreSQL backend: one connection to one member for
 * watching a long operation from the side (a restore's lock waits), made from the same
 * conninfo as everything else (sd_pg_member_conninfo). A session is used by one thread;
 * every statement on it is bounded by the statement_timeout its request asks for. */
#include "backends/pg/pg.h"
#include "backends/pg/internal.h"
#include "backends/pg/conn.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sd_pg_session {
	PGconn *conn;
};

struct sd_pg_session *sd_pg_session_open(struct sd_pg_backend *backend, const char *member,
					 const struct sd_pg_conninfo_request *want, char *err,
					 size_t errlen)
{
	PGconn *conn = pg_connect(backend, member, want, err, errlen);
	if (!conn)
		return NULL;
	struct sd_pg_session *s = xcalloc(1, sizeof(*s));
	s->conn = conn;
	return s;
}

void sd_pg_session_close(struct sd_pg_session *s)
{
	if (!s)
		return;
	PQfinish(s->conn);
	free(s);
}

int sd_pg_lock_waiter(struct sd_pg_session *s, const char *application_name, long *seconds,
		      long *pid, char *holders, size_t holderslen, char *err, size_t errlen)
{
	static const char sql[] =
		"select extract(epoch from now() - a.query_start)::int, a.pid, "
		"  coalesce((select string_agg(coalesce(nullif(b.application_name, ''), b.usename, 'a session') "
		"     || ' (pid ' || b.pid || coalesce(', ' || host(b.client_addr), '') || ')', ', ') "
		"   from pg_stat_activity b where b.pid = any(pg_blocking_pids(a.pid))), 'another session') "
		"from pg_stat_activity a "
		"where a.application_name = $1 and a.wait_event_type = 'Lock' "
		"order by 1 desc limit 1";
	const char *params[] = {application_name};
	PGresult *res = PQexecParams(s->conn, sql, 1, NULL, params, NULL, NULL, 0);
	int rc;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		sd_set_error(err, errlen, "%s", PQerrorMessage(s->conn));
		if (err && errlen)
			pg_tidy_message(err, NULL);
		rc = -1;
	} else if (PQntuples(res) == 0) {
		rc = 0;
	} else {
		*seconds = atol(PQgetvalue(res, 0, 0));
		*pid = atol(PQgetvalue(res, 0, 1));
		sd_strlcpy(holders, PQgetvalue(res, 0, 2), holderslen);
		rc = 1;
	}
	PQclear(res);
	return rc;
}

int sd_pg_terminate(struct sd_pg_session *s, long pid, char *err, size_t errlen)
{
	char text[32];
	snprintf(text, sizeof(text), "%ld", pid);
	const char *params[] = {text};
	PGresult *res = PQexecParams(s->conn, "select pg_terminate_backend($1::int)", 1, NULL,
				     params, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		sd_set_error(err, errlen, "%s", PQerrorMessage(s->conn));
		if (err && errlen)
			pg_tidy_message(err, NULL);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

int sd_pg_signal_backend(struct sd_pg_backend *backend, const char *member, long pid,
			 bool terminate, char *err, size_t errlen)
{
	const struct sd_pg_conninfo_request want = {.application_name = "swarmdeck",
						    .options = "-c statement_timeout=5000"};
	struct sd_pg_session *s = sd_pg_session_open(backend, member, &want, err, errlen);
	if (!s)
		return -1;
	char text[32];
	snprintf(text, sizeof(text), "%ld", pid);
	const char *params[] = {text};
	PGresult *res = PQexecParams(s->conn, terminate ? "select pg_terminate_backend($1::int)"
							 : "select pg_cancel_backend($1::int)",
				     1, NULL, params, NULL, NULL, 0);
	int rc;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		sd_set_error(err, errlen, "%s: %s", member,
			     primary ? primary : PQerrorMessage(s->conn));
		if (err && errlen)
			pg_tidy_message(err, NULL);
		rc = -1;
	} else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		sd_set_error(err, errlen, "%s: pid %ld is not a PostgreSQL session there (any more)",
			     member, pid);
		rc = 0;
	} else {
		rc = 1;
	}
	PQclear(res);
	sd_pg_session_close(s);
	return rc;
}
