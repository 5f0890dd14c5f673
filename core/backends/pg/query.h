/* query.h - one SQL statement run read-only on one member: BEGIN READ ONLY, a statement
 * timeout, the statement, ROLLBACK. Rows are read one at a time and capped; the server's
 * error comes back verbatim with its position. */
#ifndef SD_PG_QUERY_H
#define SD_PG_QUERY_H

#include "backends/pg/pg.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_pg_result {
	size_t ncols, nrows;
	char **columns;        /* ncols names */
	char **cells;          /* nrows * ncols, row by row; NULL for SQL NULL */
	bool capped;           /* more rows came than were kept (the rest were not read) */
	char *status;          /* the command tag: "SELECT 3", "SHOW" */
	char *error;           /* the server's message verbatim (ERROR: ..., LINE 1: ...), or NULL */
	char *sqlstate;        /* with error: 25006, 57014, 42601, ... */
	int position;          /* with error: the character it points at (1-based), 0: none */
	double seconds;        /* from sending to the last row */
};

/* Run SQL on MEMBER's DATABASE (NULL: the conninfo's) in a READ ONLY transaction with
 * statement_timeout TIMEOUT_MS, keeping at most MAX_ROWS rows. 0 with *OUT (the statement's
 * own failure is in (*OUT)->error), or -1 with ERR when it could not be run at all
 * (connection refused). */
int sd_pg_query(struct sd_pg_backend *backend, const char *member, const char *database,
		const char *sql, long timeout_ms, size_t max_rows, struct sd_pg_result **out,
		char *err, size_t errlen);
void sd_pg_result_free(struct sd_pg_result *result);

#endif
