/* query.c - the read-only query prompt's runner (see query.h). The transaction is READ ONLY
 * and rolled back whatever the statement did; a statement that tries to end it (COMMIT,
 * ROLLBACK, a second BEGIN) only ends a read-only transaction. Rows arrive in single-row
 * mode, so a huge result never sits in memory: past MAX_ROWS the statement is cancelled. */
#include "backends/pg/query.h"
#include "backends/pg/conn.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLICATION "swarmdeck query"

void sd_pg_result_free(struct sd_pg_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->ncols; i++)
		free(r->columns[i]);
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cells[i]);
	free(r->columns);
	free(r->cells);
	free(r->status);
	free(r->error);
	free(r->sqlstate);
	free(r);
}

static void take_error(struct sd_pg_result *r, PGconn *conn, const PGresult *res)
{
	if (r->error)
		return;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	r->error = xstrdup(msg && *msg ? msg : PQerrorMessage(conn));
	size_t n = strlen(r->error);
	while (n && (r->error[n - 1] == '\n' || r->error[n - 1] == ' '))
		r->error[--n] = '\0';
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	r->sqlstate = xstrdup(state ? state : "");
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	r->position = pos ? atoi(pos) : 0;
}

static void keep_row(struct sd_pg_result *r, const PGresult *res, size_t *cap)
{
	if (r->ncols == 0 && PQnfields(res) > 0) {
		r->ncols = (size_t)PQnfields(res);
		r->columns = xcalloc(r->ncols, sizeof(char *));
		for (size_t c = 0; c < r->ncols; c++)
			r->columns[c] = xstrdup(PQfname(res, (int)c));
	}
	if (PQntuples(res) == 0 || (size_t)PQnfields(res) != r->ncols)
		return;
	if (r->nrows == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r->cells = xrealloc(r->cells, *cap * r->ncols * sizeof(char *));
	}
	for (size_t c = 0; c < r->ncols; c++)
		r->cells[r->nrows * r->ncols + c] =
			PQgetisnull(res, 0, (int)c) ? NULL : xstrdup(PQgetvalue(res, 0, (int)c));
	r->nrows++;
}

static int exec_ok(PGconn *conn, const char *sql, struct sd_pg_result *r)
{
	PGresult *res = PQexec(conn, sql);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc)
		take_error(r, conn, res);
	PQclear(res);
	return rc;
}

int sd_pg_query(struct sd_pg_backend *backend, const char *member, const char *database,
		const char *sql, long timeout_ms, size_t max_rows, struct sd_pg_result **out,
		char *err, size_t errlen)
{
	*out = NULL;
	PGconn *conn = pg_conn_open(backend, member, database, APPLICATION, 0, false, err, errlen);
	if (!conn)
		return -1;
	struct sd_pg_result *r = xcalloc(1, sizeof(*r));
	double started = sd_now();
	char set[64];
	snprintf(set, sizeof(set), "set local statement_timeout = %ld", timeout_ms > 0 ? timeout_ms : 1);
	if (exec_ok(conn, "begin transaction read only", r) == 0 && exec_ok(conn, set, r) == 0) {
		/* the extended protocol takes one statement only: no "select 1; commit; delete ..." */
		if (!PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0)) {
			take_error(r, conn, NULL);
		} else {
			PQsetSingleRowMode(conn);
			size_t cap = 0;
			PGresult *res;
			while ((res = PQgetResult(conn))) {
				ExecStatusType st = PQresultStatus(res);
				if (st == PGRES_SINGLE_TUPLE) {
					if (r->nrows < max_rows) {
						keep_row(r, res, &cap);
					} else if (!r->capped) {
						r->capped = true;
						PGcancel *cancel = PQgetCancel(conn);
						char why[256];
						if (cancel)
							PQcancel(cancel, why, sizeof(why));
						PQfreeCancel(cancel);
					}
				} else if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
					keep_row(r, res, &cap); /* the column names of an empty result */
					free(r->status);
					r->status = xstrdup(PQcmdStatus(res));
				} else if (!(r->capped && st == PGRES_FATAL_ERROR)) {
					take_error(r, conn, res);
				}
				PQclear(res);
			}
		}
	}
	r->seconds = sd_now() - started;
	if (r->capped && !r->status)
		r->status = xstrdup("SELECT (cancelled after the cap)");
	PGresult *end = PQexec(conn, "rollback");
	PQclear(end);
	PQfinish(conn);
	*out = r;
	return 0;
}
