/* maint.h - VACUUM and ANALYZE of one table or a whole database on the primary, watched
 * from a second connection through pg_stat_progress_vacuum / pg_stat_progress_analyze.
 * VACUUM cannot run inside a transaction block: the statement is sent alone, in autocommit,
 * on its own connection, with no statement timeout (it may take hours); cancelling it is a
 * pg_cancel_backend of the pid the progress reports. */
#ifndef SD_PG_MAINT_H
#define SD_PG_MAINT_H

#include "backends/pg/pg.h"

#include <stdbool.h>
#include <stddef.h>

enum sd_pg_maint { SD_PG_VACUUM, SD_PG_ANALYZE };

struct sd_pg_progress {
	int pid;                  /* the backend running it (for pg.cancel) */
	char phase[64];           /* "scanning heap", "acquiring sample rows", ... ("" before) */
	char relation[256];       /* the table being worked on */
	long long done, total;    /* blocks (vacuum: scanned of total; analyze: sampled) */
	long long tables_done;    /* tables finished so far (whole database) */
};

/* Called from the running thread about every POLL_MS with the newest progress; returning
 * false cancels the statement (the result is then the server's cancel message). */
typedef bool sd_pg_progress_fn(void *arg, const struct sd_pg_progress *progress);

/* Run KIND on MEMBER's DATABASE: on SCHEMA.TABLE, or the whole database when TABLE is NULL.
 * A standby is refused (read-write session wanted, and pg_is_in_recovery checked). PROGRESS
 * (may be NULL) is told at start and then every POLL_MS; TIMEOUT_MS bounds the progress
 * queries. 0, or -1 with ERR (the server's message: "canceling statement due to user
 * request" after a cancel). */
int sd_pg_maintain(struct sd_pg_backend *backend, const char *member, const char *database,
		   const char *schema, const char *table, enum sd_pg_maint kind, long poll_ms,
		   long timeout_ms, sd_pg_progress_fn *progress, void *arg, char *err,
		   size_t errlen);

/* "VACUUM" / "ANALYZE" of SCHEMA.TABLE quoted as identifiers (TABLE NULL: the database). */
char *sd_pg_maint_statement(enum sd_pg_maint kind, const char *schema, const char *table);

#endif
