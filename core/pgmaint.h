/* pgmaint.h - PostgreSQL tables, maintenance and the read-only query prompt, between the core
 * and the screen. The screen never waits on the server: it asks for a listing (databases,
 * tables, one table's columns and indexes) and takes the answer when it is there; VACUUM,
 * ANALYZE and queries run as registry actions (actions_pgmaint.c) on the action worker and
 * leave their progress and results here for the screen to take.
 *
 * Targets of pg.vacuum and pg.analyze (and of pg.query) are written MEMBER,
 * MEMBER/DATABASE or MEMBER/DATABASE/SCHEMA.TABLE; a missing database is the one the
 * member's conninfo names. */
#ifndef SD_PGMAINT_H
#define SD_PGMAINT_H

#include "backends/pg/maint.h"
#include "backends/pg/query.h"
#include "backends/pg/tables.h"
#include "conf/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sd_core;

struct sd_pgmaint_target {
	char member[64], database[64], schema[64], table[128]; /* "" when not given */
};

/* 0, or -1 with ERR naming what is wrong with TEXT. */
int sd_pgmaint_target_parse(const char *text, struct sd_pgmaint_target *target, char *err,
			    size_t errlen);
void sd_pgmaint_target_format(const struct sd_pgmaint_target *target, char *buf, size_t len);

/* ---- listings for the tables view (one request at a time; the newest wins) ---- */
enum sd_pgmaint_listing_kind { SD_PGMAINT_DATABASES, SD_PGMAINT_TABLES, SD_PGMAINT_DESCRIBE };

struct sd_pgmaint_listing {
	enum sd_pgmaint_listing_kind kind;
	struct sd_pgmaint_target target;   /* what was asked */
	char error[512];                   /* "" when it answered */
	struct sd_pg_dbname *databases;  /* DATABASES */
	size_t ndatabases;
	struct sd_pg_tables *tables;       /* TABLES */
	char *text;                        /* DESCRIBE */
	double seconds;                    /* how long the server took */
};

/* Ask for a listing of KIND at TARGET in the background. */
void sd_pgmaint_list(struct sd_core *core, enum sd_pgmaint_listing_kind kind,
		     const struct sd_pgmaint_target *target);
/* The newest answer not taken yet (free it with sd_pgmaint_listing_free), or NULL. */
struct sd_pgmaint_listing *sd_pgmaint_listing_take(struct sd_core *core);
void sd_pgmaint_listing_free(struct sd_pgmaint_listing *listing);
/* True while a listing is being fetched. */
bool sd_pgmaint_listing_busy(struct sd_core *core);

/* ---- maintenance progress (the newest VACUUM or ANALYZE) ---- */
struct sd_pgmaint_progress {
	bool present, running;
	char verb[16];                     /* VACUUM, ANALYZE */
	char target[256];                  /* as written above */
	struct sd_pg_progress now;
	double started, seconds;           /* monotonic start; how long it took (or runs) */
	int status;                        /* when done: 0 or -1 */
	char result[512];
};
void sd_pgmaint_progress_get(struct sd_core *core, struct sd_pgmaint_progress *out);
/* One line with a bar of WIDTH cells: "VACUUM pg-1/app/public.t  [#####.....]  52%
 * scanning heap  1234/2345 blocks  pid 4321 (pg.cancel stops it)". */
void sd_pgmaint_progress_line(const struct sd_pgmaint_progress *p, bool utf8, int width,
			      char *buf, size_t len);

/* ---- query answers ---- */
struct sd_pgmaint_answer {
	struct sd_pgmaint_target target;
	char *sql;
	struct sd_pg_result *result;       /* NULL when it could not run: see error */
	char error[512];
	uint64_t serial;
};
/* The newest answer not taken yet (free it with sd_pgmaint_answer_free), or NULL. */
struct sd_pgmaint_answer *sd_pgmaint_answer_take(struct sd_core *core);
void sd_pgmaint_answer_free(struct sd_pgmaint_answer *answer);

/* ---- statement history: one statement a line in the state folder ---- */
/* $XDG_STATE_HOME/swarmdeck/query_history beside the audit log (malloc'ed). */
char *sd_pgmaint_history_path(const struct sd_config *config);
/* The statements of PATH, oldest first (at most 500); *N gets how many. Free with
 * sd_pgmaint_history_free. A missing file is an empty history. */
char **sd_pgmaint_history_load(const char *path, size_t *n);
void sd_pgmaint_history_free(char **lines, size_t n);
/* Append SQL (newlines made spaces, a password literal masked); the file keeps the newest
 * 500. 0, or -1 with errno. */
int sd_pgmaint_history_add(const char *path, const char *sql);

/* A copy of SQL with the literal after PASSWORD replaced by '***' (malloc'ed). */
char *sd_pgmaint_mask_password(const char *sql);

/* Stop the listing thread and free this core's state (before sd_core_free). A VACUUM or
 * ANALYZE still running is cancelled (it has no timeout, and the core's workers are joined
 * when it goes); its state then stays until the process ends. */
void sd_pgmaint_forget(struct sd_core *core);
/* True once sd_pgmaint_forget was called for CORE. */
bool sd_pgmaint_stopping(struct sd_core *core);

/* ---- for actions_pgmaint.c ---- */
struct sd_pgmaint_state;
struct sd_pgmaint_state *sd_pgmaint_state(struct sd_core *core);
void sd_pgmaint_progress_start(struct sd_core *core, const char *verb, const char *target);
void sd_pgmaint_progress_update(struct sd_core *core, const struct sd_pg_progress *now);
void sd_pgmaint_progress_end(struct sd_core *core, int status, const char *result);
void sd_pgmaint_answer_put(struct sd_core *core, struct sd_pgmaint_answer *answer);
/* pg.query asks for confirmation once per core (session). */
bool sd_pgmaint_query_confirmed(struct sd_core *core);
void sd_pgmaint_query_confirm(struct sd_core *core);

#endif
