/* pg.h - the PostgreSQL backend (libpq), in the model's terms. Every call is bounded in time:
 * connect_timeout plus a client-side deadline, so a member that accepts and never answers
 * costs at most the timeout and never more. */
#ifndef SD_PG_H
#define SD_PG_H

#include "conf/config.h"
#include "model/model.h"

struct sd_pg_backend;

struct sd_pg_backend *sd_pg_open(const struct sd_config *config);
void sd_pg_close(struct sd_pg_backend *backend);

/* Query every member; PREVIOUS (may be NULL) carries lag history and unreachable_since.
 * Returns 0 when at least one member answered, -1 with ERR when none did (a part is still
 * made in *OUT, listing every member unreachable). */
int sd_pg_fetch(struct sd_pg_backend *backend, const struct sd_pg *previous, struct sd_pg **out,
		char *err, size_t errlen);

/* SELECT pg_promote(true, 60) on MEMBER (a name from the config); *TIMELINE gets the new
 * timeline. -1 with ERR (the server's message verbatim). */
int sd_pg_promote(struct sd_pg_backend *backend, const char *member, long *timeline, char *err,
		  size_t errlen);

/* A libpq conninfo for MEMBER with its password resolved (for pg_dump/pg_restore, which get
 * it through a private PGPASSFILE, never the command line). NULL if unknown. malloc'ed. */
char *sd_pg_conninfo(struct sd_pg_backend *backend, const char *member);

#endif
