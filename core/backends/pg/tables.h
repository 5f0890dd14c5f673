/* tables.h - the databases of a member, the tables of a database with their sizes, rows and
 * last (auto)vacuum/(auto)analyze, and one table's columns and indexes. Each call opens its
 * own connection, bounded by the statement timeout it is given, and closes it. */
#ifndef SD_PG_TABLES_H
#define SD_PG_TABLES_H

#include "backends/pg/pg.h"

#include <stddef.h>
#include <time.h>

struct sd_pg_dbname {
	char *name;
	long long bytes;                 /* -1: not allowed to know */
};

struct sd_pg_table {
	char *schema, *name;
	long long total_bytes;           /* table + indexes + TOAST */
	long long table_bytes, index_bytes, toast_bytes;
	long long live_rows, dead_rows;  /* -1: no statistics */
	time_t last_vacuum, last_autovacuum, last_analyze, last_autoanalyze; /* 0: never */
};

struct sd_pg_tables {
	struct sd_pg_table *items;
	size_t n;
};

/* Databases that accept connections (no templates), by name. 0, or -1 with ERR. */
int sd_pg_databases(struct sd_pg_backend *backend, const char *member, long timeout_ms,
		    struct sd_pg_dbname **out, size_t *n, char *err, size_t errlen);
void sd_pg_databases_free(struct sd_pg_dbname *dbs, size_t n);

/* Ordinary, partitioned and materialized tables of DATABASE outside the system schemas,
 * biggest first (at most 2,000). 0 with *OUT (free with sd_pg_tables_free), or -1 with ERR. */
int sd_pg_tables_fetch(struct sd_pg_backend *backend, const char *member, const char *database,
		       long timeout_ms, struct sd_pg_tables **out, char *err, size_t errlen);
void sd_pg_tables_free(struct sd_pg_tables *tables);

/* SCHEMA.TABLE's columns (name, type, not null, default) and indexes (definition, size,
 * scans) as lines of text (malloc'ed, '\n' between lines). NULL with ERR. */
char *sd_pg_table_describe(struct sd_pg_backend *backend, const char *member,
			   const char *database, const char *schema, const char *table,
			   long timeout_ms, char *err, size_t errlen);

#endif
