/* conn.c - the backend's private connections: sessions (session.c), tables.c, maint.c and
 * query.c (see conn.h). The conninfo
 * comes from the one place that makes them (sd_pg_member_conninfo); notices are dropped. */
#include "backends/pg/conn.h"
#include "backends/pg/internal.h"
#include "base/error.h"

#include <stdio.h>
#include <stdlib.h>

static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

PGconn *pg_connect(struct sd_pg_backend *backend, const char *member,
		   const struct sd_pg_conninfo_request *want, char *err, size_t errlen)
{
	char *conninfo = sd_pg_member_conninfo(backend, member, want, err, errlen);
	if (!conninfo)
		return NULL;
	PGconn *conn = PQconnectdb(conninfo);
	free(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		sd_set_error(err, errlen, "%s: %s", member, conn ? PQerrorMessage(conn) : "out of memory");
		if (err && errlen)
			pg_tidy_message(err, NULL);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return conn;
}

PGconn *pg_conn_open(struct sd_pg_backend *backend, const char *member, const char *database,
		     const char *application, long timeout_ms, bool read_write, char *err,
		     size_t errlen)
{
	char options[64];
	snprintf(options, sizeof(options), "-c statement_timeout=%ld", timeout_ms > 0 ? timeout_ms : 0);
	struct sd_pg_conninfo_request want = {
		.database = database, .application_name = application, .options = options,
		.read_write = read_write, .keepalives = true,
	};
	return pg_connect(backend, member, &want, err, errlen);
}

void pg_conn_error(PGconn *conn, const PGresult *res, char *err, size_t errlen)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (primary)
		sd_set_error(err, errlen, "%s", primary);
	else
		sd_set_error(err, errlen, "%s", PQerrorMessage(conn));
	if (err && errlen)
		pg_tidy_message(err, NULL);
}
