/* pg.h - the PostgreSQL backend (libpq), in the model's terms. Every call is bounded in time:
 * connect_timeout plus a client-side deadline, so a member that accepts and never answers
 * costs at most the timeout and never more. */
#ifndef SD_PG_H
#define SD_PG_H

#include "conf/config.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

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

/* What a child program (pg_dump, pg_restore) or a private session needs on top of a
 * member's configured conninfo. */
struct sd_pg_conninfo_request {
	const char *database;          /* in place of the conninfo's dbname; NULL keeps it */
	const char *application_name;  /* NULL: none */
	const char *options;           /* appended to the conninfo's own options; NULL: none */
	bool read_write;               /* target_session_attrs=read-write: a standby is refused */
	bool keepalives;               /* TCP keepalives (a dead peer noticed in about 20 s)
					* unless the conninfo sets its own */
};

/* The libpq conninfo of MEMBER (a name from the config) with WANT applied, parsed with
 * PQconninfoParse and rebuilt quoted: its own keywords, the member's password file as
 * passfile (the config's, else the conninfo's own), connect_timeout (the conninfo's, else
 * the backend's). Never a password: the config refuses one in a conninfo, and one written
 * there anyway is left out. malloc'ed; NULL with ERR naming the member. */
char *sd_pg_member_conninfo(struct sd_pg_backend *backend, const char *member,
			    const struct sd_pg_conninfo_request *want, char *err, size_t errlen);

/* A private session to MEMBER with WANT applied (sd_pg_member_conninfo), for watching a long
 * operation from the side; ask for a statement_timeout in WANT->options. NULL with ERR. */
struct sd_pg_session;
struct sd_pg_session *sd_pg_session_open(struct sd_pg_backend *backend, const char *member,
					 const struct sd_pg_conninfo_request *want, char *err,
					 size_t errlen);
void sd_pg_session_close(struct sd_pg_session *session);

/* Of the sessions named APPLICATION_NAME, the one waiting longest for a lock: 1 with how long
 * it has waited (*SECONDS, since its statement began), its *PID and who holds the lock
 * (HOLDERS: "name (pid N, address), ..."); 0 when none waits; -1 with ERR. */
int sd_pg_lock_waiter(struct sd_pg_session *session, const char *application_name,
		      long *seconds, long *pid, char *holders, size_t holderslen, char *err,
		      size_t errlen);

/* pg_terminate_backend(PID) on the session's server. 0, or -1 with ERR. */
int sd_pg_terminate(struct sd_pg_session *session, long pid, char *err, size_t errlen);

/* pg_cancel_backend(PID) (TERMINATE false) or pg_terminate_backend(PID) on MEMBER, over a
 * connection of its own bounded by the statement timeout. The swarmdeck role needs
 * pg_signal_backend (or to be the session's role; a superuser's sessions are refused to
 * it). 1 when signalled, 0 when PID is no longer a backend there (ERR says so), -1 with ERR
 * (the server's message verbatim). */
int sd_pg_signal_backend(struct sd_pg_backend *backend, const char *member, long pid,
			 bool terminate, char *err, size_t errlen);

#endif
