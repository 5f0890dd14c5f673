/* conn.h - one private connection of the sessions, maintenance and query modules (session.c,
 * tables.c, maint.c, query.c) to one member and database, made from the member's configured conninfo
 * (sd_pg_member_conninfo); private to the PostgreSQL backend. */
#ifndef SD_PG_CONN_H
#define SD_PG_CONN_H

#include "backends/pg/pg.h"

#include <libpq-fe.h>

#include <stdbool.h>
#include <stddef.h>

/* Connect to MEMBER with the conninfo WANT asks for, notices dropped. NULL with ERR
 * ("pg-1: ..." with libpq's message on one line). */
PGconn *pg_connect(struct sd_pg_backend *backend, const char *member,
		   const struct sd_pg_conninfo_request *want, char *err, size_t errlen);

/* Connect to MEMBER's DATABASE (NULL: the conninfo's) as application APPLICATION, with
 * statement_timeout TIMEOUT_MS (0: none) in the session's options; READ_WRITE refuses a
 * standby. NULL with ERR ("pg-1: ..." with libpq's message on one line). */
PGconn *pg_conn_open(struct sd_pg_backend *backend, const char *member, const char *database,
		     const char *application, long timeout_ms, bool read_write, char *err,
		     size_t errlen);

/* The failure of RES (or of CONN when RES has none) in ERR, on one line. */
void pg_conn_error(PGconn *conn, const PGresult *res, char *err, size_t errlen);

#endif
