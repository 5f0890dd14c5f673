/* internal.h - what the files of the PostgreSQL backend (pg.c, session.c, overview.c) share,
 * private to them. */
#ifndef SD_PG_INTERNAL_H
#define SD_PG_INTERNAL_H

#include "model/model.h"

#include <libpq-fe.h>

/* libpq messages span lines ("...failed: FATAL:  ...\n\tIs the server running..."): one
 * line, single spaces, no trailing blank; SECRET (may be NULL) replaced by "***". */
void pg_tidy_message(char *s, const char *secret);

/* The overview's three statements, sent after the replication ones in the same round trip:
 * totals of pg_stat_database and the settings, the databases' sizes, the client backends of
 * pg_stat_activity. Each is cheap (no table is read; pg_blocking_pids only for the sessions
 * waiting on a lock) and bounded by the connection's statement_timeout. They work on a
 * primary and a standby of PostgreSQL 12 and later (checkpoints read NULL where
 * pg_stat_bgwriter has no checkpoint counters, 17 and later). The sizes (pg_database_size
 * looks at every file: the dearest of them) are asked every PG_SIZES_EVERY_MS only; in
 * between PG_OVERVIEW_SQL_NO_SIZES asks nothing in their place and the last ones carry
 * over. */
#define PG_SIZES_EVERY_MS 30000
#define PG_OVERVIEW_SQL PG_OVERVIEW_STATS_SQL PG_OVERVIEW_SIZES_SQL PG_OVERVIEW_ACTIVITY_SQL
#define PG_OVERVIEW_SQL_NO_SIZES                                                           \
	PG_OVERVIEW_STATS_SQL "SELECT NULL::name, NULL::bigint WHERE false;"                \
	PG_OVERVIEW_ACTIVITY_SQL
#define PG_OVERVIEW_STATS_SQL                                                              \
	"SELECT current_setting('max_connections')::int,"                                  \
	" current_setting('superuser_reserved_connections')::int"                          \
	"  + coalesce(current_setting('reserved_connections', true)::int, 0),"             \
	" sum(xact_commit)::bigint, sum(xact_rollback)::bigint, sum(blks_hit)::bigint,"    \
	" sum(blks_read)::bigint, sum(deadlocks)::bigint, sum(temp_bytes)::bigint,"        \
	" sum(temp_files)::bigint,"                                                        \
	" (SELECT max(age(datfrozenxid)) FROM pg_database),"                               \
	" (SELECT to_jsonb(b) ->> 'checkpoints_timed' FROM pg_stat_bgwriter b),"           \
	" (SELECT to_jsonb(b) ->> 'checkpoints_req' FROM pg_stat_bgwriter b),"             \
	" CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"                     \
	"  ELSE pg_current_wal_lsn() END,"                                                 \
	" extract(epoch FROM clock_timestamp())"                                           \
	" FROM pg_stat_database;"
#define PG_OVERVIEW_SIZES_SQL                                                              \
	"SELECT datname, pg_database_size(oid) FROM pg_database WHERE datallowconn"         \
	" ORDER BY datname;"
#define PG_OVERVIEW_ACTIVITY_SQL                                                           \
	"SELECT pid, usename, datname, application_name,"                                  \
	" CASE WHEN client_port = -1 THEN 'local'"                                         \
	"  ELSE host(client_addr) || ':' || client_port END,"                              \
	" state, wait_event_type, wait_event,"                                             \
	" extract(epoch FROM now() - xact_start), extract(epoch FROM now() - query_start),"\
	" extract(epoch FROM now() - state_change), left(query, 2048),"                    \
	" CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END,"              \
	" pid = pg_backend_pid()"                                                          \
	" FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY pid"

enum { PG_OVERVIEW_STATEMENTS = 3 };

/* Fill PM->overview and PM->sessions (in A) from the three results (any may be NULL: that
 * part stays unknown); OLD (may be NULL) is the member's previous part, for the rates and,
 * when SIZES_ASKED is false, the databases' sizes. */
void pg_overview_fill(struct sd_arena *a, struct sd_pg_member *pm, const PGresult *stats,
		      const PGresult *databases, bool sizes_asked, const PGresult *activity,
		      const struct sd_pg_member *old);

#endif
