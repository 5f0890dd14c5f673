/* pg.c - the PostgreSQL backend: every member asked at once over kept libpq connections,
 * non-blocking under one deadline, its answers turned into a struct sd_pg.
 *
 * One refresh is one round trip per member (four statements in one simple query) on a
 * connection kept from the previous refresh; a connection that broke is made again once
 * within the same deadline. Nothing here blocks without a bound: connecting
 * (PQconnectStartParams/PQconnectPoll), sending and reading all go through poll() with
 * the deadline max(connect_timeout, statement_timeout), so a member that accepts TCP and
 * never answers (SIGSTOPped, partitioned) costs that long and no more, and the members
 * are waited for side by side, not one after the other. (Host names are resolved by
 * libpq without a bound: configure addresses when DNS may hang.)
 *
 * Passwords: password_file (the member's, else postgres.password_file) is a libpq password
 * file in PGPASSFILE format ("host:port:database:user:password", "*" matches anything)
 * handed to libpq with the passfile keyword. swarmdeck never reads the password itself;
 * with no password_file libpq's own rules apply (PGPASSFILE, ~/.pgpass). */
#include "backends/pg/pg.h"
#include "backends/pg/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <libpq-fe.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_RESULTS 8
#define PROMOTE_WAIT_SECONDS 60

struct member {
	char *name;
	char *conninfo;         /* as configured */
	char *conninfo_safe;    /* the same without a password */
	char *password;         /* a password written in the conninfo itself, to scrub; or NULL */
	char *passfile;         /* password file for libpq, or NULL */
	char *options;          /* the conninfo's own "options", or NULL */
	char *host, *port;      /* its first host and port, to recognise a standby's upstream */
	bool invalid;           /* the conninfo cannot be parsed */
	PGconn *conn;           /* kept between fetches; used by the fetching thread only */
	int64_t sizes_at_ms;    /* when its databases' sizes were last asked (monotonic), 0 never */
};

struct sd_pg_backend {
	pthread_mutex_t lock;   /* one fetch at a time (the kept connections) */
	long connect_timeout;   /* seconds */
	long statement_timeout_ms;
	struct member *members;
	size_t n;
};

/* ---- small helpers ---- */

void pg_tidy_message(char *s, const char *secret)
{
	if (secret && *secret) {
		size_t len = strlen(secret);
		for (char *p = strstr(s, secret); p; p = strstr(p + 3, secret)) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + len, strlen(p + len) + 1);
		}
	}
	char *w = s;
	bool space = false;
	for (const char *r = s; *r; r++) {
		if (*r == '\n' || *r == '\t' || *r == '\r' || *r == ' ') {
			space = w != s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = '\0';
}

/* "X/Y" -> 64-bit position; false when not an LSN */
static bool parse_lsn(const char *s, uint64_t *lsn)
{
	unsigned int hi, lo;
	if (!s || sscanf(s, "%X/%X", &hi, &lo) != 2)
		return false;
	*lsn = (uint64_t)hi << 32 | lo;
	return true;
}

static void append_value(char **buf, size_t *len, size_t *cap, const char *keyword,
			 const char *value)
{
	size_t need = *len + strlen(keyword) + 2 * strlen(value) + 8;
	if (need > *cap) {
		*cap = need * 2;
		*buf = xrealloc(*buf, *cap);
	}
	char *p = *buf + *len;
	if (*len)
		*p++ = ' ';
	p += sprintf(p, "%s='", keyword);
	for (const char *v = value; *v; v++) {
		if (*v == '\'' || *v == '\\')
			*p++ = '\\';
		*p++ = *v;
	}
	*p++ = '\'';
	*p = '\0';
	*len = (size_t)(p - *buf);
}

/* Rebuild a conninfo from parsed OPTS without the password (for display). */
static char *conninfo_safe_build(const PQconninfoOption *opts)
{
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	for (const PQconninfoOption *o = opts; o && o->keyword; o++) {
		if (!o->val || !strcmp(o->keyword, "password"))
			continue;
		append_value(&buf, &len, &cap, o->keyword, o->val);
	}
	return buf;
}

static char *first_of_list(const char *list)
{
	if (!list || !*list)
		return NULL;
	return xstrndup(list, strcspn(list, ","));
}

/* The password file must exist, be private (libpq ignores it otherwise, with a warning on
 * stderr that would tear a curses screen) and look like a password file. */
static bool check_passfile(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		sd_set_error(err, errlen, "password file %s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		sd_set_error(err, errlen, "password file %s is not a regular file", path);
		return false;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		sd_set_error(err, errlen,
			"password file %s has group or world access; permissions should be 0600 "
			"or less",
			path);
		return false;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		sd_set_error(err, errlen, "password file %s: %s", path, strerror(errno));
		return false;
	}
	char line[1024];
	bool entry = false;
	while (!entry && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		int colons = 0;
		for (const char *p = line; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == ':')
				colons++;
		}
		entry = colons >= 4;
	}
	memset(line, 0, sizeof(line));
	fclose(f);
	if (!entry) {
		sd_set_error(err, errlen,
			"password file %s has no entry in PGPASSFILE format "
			"(host:port:database:user:password, e.g. *:*:*:*:secret)",
			path);
		return false;
	}
	return true;
}

static void quiet_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* ---- open / close ---- */

struct sd_pg_backend *sd_pg_open(const struct sd_config *config)
{
	struct sd_pg_backend *b = xcalloc(1, sizeof(*b));
	pthread_mutex_init(&b->lock, NULL);
	b->connect_timeout = config && config->postgres.connect_timeout > 0
				     ? config->postgres.connect_timeout : 3;
	b->statement_timeout_ms = config && config->postgres.statement_timeout_ms > 0
					  ? config->postgres.statement_timeout_ms : 3000;
	if (!config || !config->postgres.nmembers)
		return b;
	b->n = config->postgres.nmembers;
	b->members = xcalloc(b->n, sizeof(*b->members));
	for (size_t i = 0; i < b->n; i++) {
		const struct sd_pg_member_config *mc = &config->postgres.members[i];
		struct member *m = &b->members[i];
		m->name = xstrdup(mc->name ? mc->name : "");
		m->conninfo = xstrdup(mc->conninfo ? mc->conninfo : "");
		const char *pf = mc->password_file ? mc->password_file : config->postgres.password_file;
		m->passfile = pf && *pf ? xstrdup(pf) : NULL;
		char *perr = NULL;
		PQconninfoOption *opts = PQconninfoParse(m->conninfo, &perr);
		if (!opts) {
			/* not PERR: it may quote a piece of the string */
			PQfreemem(perr);
			m->invalid = true;
			m->conninfo_safe = xstrdup("(conninfo cannot be parsed)");
			continue;
		}
		m->conninfo_safe = conninfo_safe_build(opts);
		for (PQconninfoOption *o = opts; o->keyword; o++) {
			if (!o->val || !*o->val)
				continue;
			if (!strcmp(o->keyword, "password"))
				m->password = xstrdup(o->val);
			else if (!strcmp(o->keyword, "options"))
				m->options = xstrdup(o->val);
			else if (!strcmp(o->keyword, "host") && !m->host)
				m->host = first_of_list(o->val);
			else if (!strcmp(o->keyword, "hostaddr") && !m->host)
				m->host = first_of_list(o->val);
			else if (!strcmp(o->keyword, "port"))
				m->port = first_of_list(o->val);
		}
		PQconninfoFree(opts);
		if (!m->port)
			m->port = xstrdup("5432");
	}
	return b;
}

void sd_pg_close(struct sd_pg_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		struct member *m = &b->members[i];
		if (m->conn)
			PQfinish(m->conn);
		if (m->password) {
			memset(m->password, 0, strlen(m->password));
			free(m->password);
		}
		if (m->conninfo) {
			memset(m->conninfo, 0, strlen(m->conninfo));
			free(m->conninfo);
		}
		free(m->name);
		free(m->conninfo_safe);
		free(m->passfile);
		free(m->options);
		free(m->host);
		free(m->port);
	}
	free(b->members);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* ---- the non-blocking engine: one job = one query on one member's connection ---- */

enum phase { PHASE_CONNECTING, PHASE_SENDING, PHASE_READING, PHASE_DONE };

struct job {
	const struct member *member;
	PGconn **conn;            /* where the connection lives (kept, or the caller's) */
	const char *sql;
	long connect_timeout;     /* seconds, for the conninfo */
	long statement_timeout_ms;
	enum phase phase;
	short events;
	bool fresh;               /* the connection was made by this job */
	bool answered;            /* every statement came back */
	PGresult *results[MAX_RESULTS];
	int nresults;
	char error[512];          /* the first failure, or "" */
};

static void job_drop_connection(struct job *job)
{
	if (*job->conn)
		PQfinish(*job->conn);
	*job->conn = NULL;
}

static void job_fail(struct job *job, const char *message)
{
	if (!job->error[0]) {
		sd_strlcpy(job->error, message && *message ? message : "connection failed",
			   sizeof(job->error));
		pg_tidy_message(job->error, job->member->password);
	}
	job_drop_connection(job);
	job->phase = PHASE_DONE;
}

static void job_connect(struct job *job)
{
	const struct member *m = job->member;
	char err[512];
	if (m->invalid) {
		job_fail(job, "the conninfo cannot be parsed");
		return;
	}
	if (m->passfile && !check_passfile(m->passfile, err, sizeof(err))) {
		job_fail(job, err);
		return;
	}
	char timeout[32], options[1024];
	snprintf(timeout, sizeof(timeout), "%ld", job->connect_timeout);
	snprintf(options, sizeof(options), "-c statement_timeout=%ld%s%s",
		 job->statement_timeout_ms, m->options ? " " : "", m->options ? m->options : "");
	const char *keywords[8], *values[8];
	int k = 0;
	keywords[k] = "dbname", values[k++] = m->conninfo;   /* expanded: later keys win */
	if (m->passfile)
		keywords[k] = "passfile", values[k++] = m->passfile;
	keywords[k] = "connect_timeout", values[k++] = timeout;
	keywords[k] = "options", values[k++] = options;
	keywords[k] = "fallback_application_name", values[k++] = "swarmdeck";
	keywords[k] = NULL, values[k] = NULL;
	job_drop_connection(job);
	*job->conn = PQconnectStartParams(keywords, values, 1);
	job->fresh = true;
	if (!*job->conn) {
		job_fail(job, "out of memory");
		return;
	}
	if (PQstatus(*job->conn) == CONNECTION_BAD) {
		job_fail(job, PQerrorMessage(*job->conn));
		return;
	}
	PQsetNoticeProcessor(*job->conn, quiet_notices, NULL);
	job->phase = PHASE_CONNECTING;
	job->events = POLLOUT;    /* as if PQconnectPoll had said PGRES_POLLING_WRITING */
}

/* A kept connection that breaks gets one new try within the deadline. */
static void job_fail_or_retry(struct job *job, const char *message, int64_t deadline)
{
	if (!job->fresh && sd_now_ms() < deadline) {
		for (int i = 0; i < job->nresults; i++)
			PQclear(job->results[i]);
		job->nresults = 0;
		job_connect(job);
		return;
	}
	job_fail(job, message);
}

static void job_flush(struct job *job, int64_t deadline)
{
	int rc = PQflush(*job->conn);
	if (rc < 0)
		job_fail_or_retry(job, PQerrorMessage(*job->conn), deadline);
	else if (rc > 0)
		job->phase = PHASE_SENDING, job->events = POLLOUT | POLLIN;
	else
		job->phase = PHASE_READING, job->events = POLLIN;
}

static void job_send(struct job *job, int64_t deadline)
{
	if (PQsetnonblocking(*job->conn, 1) != 0 || !PQsendQuery(*job->conn, job->sql)) {
		job_fail_or_retry(job, PQerrorMessage(*job->conn), deadline);
		return;
	}
	job_flush(job, deadline);
}

static void job_start(struct job *job, int64_t deadline)
{
	job->phase = PHASE_DONE;
	job->fresh = false;
	job->answered = false;
	job->nresults = 0;
	job->error[0] = '\0';
	PGconn *c = *job->conn;
	if (c && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE)
		job_send(job, deadline);
	else
		job_connect(job);
}

static void job_read(struct job *job, int64_t deadline)
{
	PGconn *c = *job->conn;
	if (!PQconsumeInput(c)) {
		job_fail_or_retry(job, PQerrorMessage(c), deadline);
		return;
	}
	while (!PQisBusy(c)) {
		PGresult *res = PQgetResult(c);
		if (!res) {
			job->answered = true;
			job->phase = PHASE_DONE;
			if (PQstatus(c) != CONNECTION_OK)
				job_drop_connection(job);
			return;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_FATAL_ERROR && !job->error[0]) {
			const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			sd_strlcpy(job->error, primary ? primary : PQresultErrorMessage(res),
				   sizeof(job->error));
			pg_tidy_message(job->error, job->member->password);
		}
		if (job->nresults < MAX_RESULTS && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK))
			job->results[job->nresults++] = res;
		else
			PQclear(res);
		if (PQstatus(c) == CONNECTION_BAD) {
			job_fail_or_retry(job, PQerrorMessage(c), deadline);
			return;
		}
	}
}

static void job_step(struct job *job, short revents, int64_t deadline)
{
	PGconn *c = *job->conn;
	switch (job->phase) {
	case PHASE_CONNECTING:
		switch (PQconnectPoll(c)) {
		case PGRES_POLLING_READING:
			job->events = POLLIN;
			break;
		case PGRES_POLLING_WRITING:
			job->events = POLLOUT;
			break;
		case PGRES_POLLING_OK:
			job_send(job, deadline);
			break;
		default:
			job_fail(job, PQerrorMessage(c));
			break;
		}
		break;
	case PHASE_SENDING:
		if ((revents & POLLIN) && !PQconsumeInput(c)) {
			job_fail_or_retry(job, PQerrorMessage(c), deadline);
			break;
		}
		job_flush(job, deadline);
		break;
	case PHASE_READING:
		job_read(job, deadline);
		break;
	case PHASE_DONE:
		break;
	}
}

/* Run JOBS side by side until each is done or DEADLINE (monotonic ms) passes. */
static void jobs_run(struct job *jobs, size_t n, int64_t deadline)
{
	struct pollfd *fds = xcalloc(n ? n : 1, sizeof(*fds));
	size_t *which = xcalloc(n ? n : 1, sizeof(*which));
	for (size_t i = 0; i < n; i++)
		job_start(&jobs[i], deadline);
	for (;;) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (jobs[i].phase == PHASE_DONE)
				continue;
			int fd = PQsocket(*jobs[i].conn);
			if (fd < 0) {
				job_fail(&jobs[i], PQerrorMessage(*jobs[i].conn));
				continue;
			}
			fds[k] = (struct pollfd){.fd = fd, .events = jobs[i].events};
			which[k++] = i;
		}
		if (!k)
			break;
		int64_t left = deadline - sd_now_ms();
		if (left <= 0) {
			char why[128];
			for (size_t j = 0; j < k; j++) {
				struct job *job = &jobs[which[j]];
				snprintf(why, sizeof(why), "no answer within %.1f s (%s)",
					 (double)(job->statement_timeout_ms > job->connect_timeout * 1000
							  ? job->statement_timeout_ms
							  : job->connect_timeout * 1000) / 1000.0,
					 job->phase == PHASE_CONNECTING ? "connecting" : "query");
				job_fail(job, why);
			}
			break;
		}
		int rc = poll(fds, k, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno != EINTR) {
			for (size_t j = 0; j < k; j++)
				job_fail(&jobs[which[j]], strerror(errno));
			break;
		}
		for (size_t j = 0; rc > 0 && j < k; j++)
			if (fds[j].revents)
				job_step(&jobs[which[j]], fds[j].revents, deadline);
	}
	free(fds);
	free(which);
}

static void job_clear(struct job *job)
{
	for (int i = 0; i < job->nresults; i++)
		PQclear(job->results[i]);
	job->nresults = 0;
}

/* ---- fetch ---- */

/* Seven statements, one round trip (four for replication, then the overview's); every one
 * of them works on a primary and a standby. Lag is measured on the primary, at one moment,
 * against its own current LSN: never negative (a walsender may report a position a little
 * past the LSN read an instant before), and a NULL lag time means 0 only when the standby has
 * applied everything sent.
 * A standby's timeline: the one its WAL receiver is on; without a receiver (its primary is
 * gone) the newest of its last restartpoint's and its minimum recovery point's, which can
 * trail what it replayed until the next restartpoint. */
#define FETCH_REPLICATION_SQL \
	"SELECT pg_is_in_recovery()," \
	" CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END," \
	" pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()," \
	" extract(epoch FROM pg_last_xact_replay_timestamp())::bigint," \
	" CASE WHEN pg_is_in_recovery()" \
	"  THEN greatest((SELECT received_tli FROM pg_stat_wal_receiver)," \
	"                (SELECT timeline_id FROM pg_control_checkpoint())," \
	"                (SELECT min_recovery_end_timeline FROM pg_control_recovery()))" \
	"  ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END," \
	" (SELECT sender_host FROM pg_stat_wal_receiver)," \
	" (SELECT sender_port FROM pg_stat_wal_receiver)," \
	" CASE WHEN NOT pg_is_in_recovery() THEN NULL" \
	"  WHEN pg_last_wal_receive_lsn() IS NOT NULL" \
	"   AND pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn() THEN 0" \
	"  ELSE greatest(0, extract(epoch FROM now() - pg_last_xact_replay_timestamp())) END;" \
	"SELECT application_name, host(client_addr), state, sync_state," \
	" greatest(0, pg_wal_lsn_diff(w.lsn, sent_lsn))::bigint," \
	" greatest(0, pg_wal_lsn_diff(w.lsn, write_lsn))::bigint," \
	" greatest(0, pg_wal_lsn_diff(w.lsn, flush_lsn))::bigint," \
	" greatest(0, pg_wal_lsn_diff(w.lsn, replay_lsn))::bigint," \
	" CASE WHEN write_lag IS NULL AND write_lsn >= sent_lsn THEN 0" \
	"  ELSE extract(epoch FROM write_lag) END," \
	" CASE WHEN flush_lag IS NULL AND flush_lsn >= sent_lsn THEN 0" \
	"  ELSE extract(epoch FROM flush_lag) END," \
	" CASE WHEN replay_lag IS NULL AND replay_lsn >= sent_lsn THEN 0" \
	"  ELSE extract(epoch FROM replay_lag) END" \
	" FROM pg_stat_replication, (SELECT CASE WHEN pg_is_in_recovery()" \
	"  THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END AS lsn) AS w" \
	" ORDER BY application_name;" \
	"SELECT slot_name, slot_type, active," \
	" pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn()" \
	"  ELSE pg_current_wal_lsn() END, restart_lsn)::bigint" \
	" FROM pg_replication_slots ORDER BY slot_name;" \
	"SELECT current_setting('archive_mode'), archived_count, last_archived_wal," \
	" extract(epoch FROM last_archived_time)::bigint, failed_count, last_failed_wal," \
	" extract(epoch FROM last_failed_time)::bigint FROM pg_stat_archiver;"

static const char FETCH_SQL[] =
	FETCH_REPLICATION_SQL
	PG_OVERVIEW_SQL;

/* the same without the databases' sizes (asked every PG_SIZES_EVERY_MS only) */
static const char FETCH_SQL_NO_SIZES[] =
	FETCH_REPLICATION_SQL
	PG_OVERVIEW_SQL_NO_SIZES;

enum { RES_STATUS, RES_REPLICATION, RES_SLOTS, RES_ARCHIVER, RES_STATS, RES_DATABASES,
       RES_ACTIVITY, RES_COUNT };
_Static_assert(RES_COUNT == 4 + PG_OVERVIEW_STATEMENTS, "one result per statement");
_Static_assert(RES_COUNT <= MAX_RESULTS, "room for every result");

static const char *cell(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static long long cell_ll(const PGresult *res, int row, int col, long long fallback)
{
	const char *v = cell(res, row, col);
	return v ? strtoll(v, NULL, 10) : fallback;
}

/* lag seconds (the query says 0 for caught up): -1 when unknown, never below 0 */
static double cell_seconds(const PGresult *res, int row, int col)
{
	const char *v = cell(res, row, col);
	if (!v)
		return -1.0;
	double d = strtod(v, NULL);
	return d < 0 ? 0.0 : d;
}

struct answer {                 /* what one member said */
	bool reachable;
	uint64_t current_lsn;       /* primary: pg_current_wal_lsn */
	bool has_current;
	uint64_t replay_lsn;
	bool has_replay;
	uint64_t receive_lsn;       /* standby: pg_last_wal_receive_lsn */
	bool has_receive;
	double replay_age;          /* standby: seconds since it replayed, 0 caught up; -1 */
};

static void fill_from_status(struct sd_arena *a, struct sd_pg_member *pm, struct answer *ans,
			     const PGresult *res)
{
	bool recovery = !strcmp(PQgetvalue(res, 0, 0), "t");
	pm->role = recovery ? "standby" : "primary";
	const char *current = cell(res, 0, 1), *receive = cell(res, 0, 2), *replay = cell(res, 0, 3);
	pm->receive_lsn = sd_arena_strdup(a, receive);
	pm->replay_lsn = sd_arena_strdup(a, replay);
	pm->lsn = sd_arena_strdup(a, recovery ? replay : current);
	pm->last_replay = (time_t)cell_ll(res, 0, 4, 0);
	pm->timeline = (long)cell_ll(res, 0, 5, 0);
	ans->has_current = parse_lsn(current, &ans->current_lsn);
	ans->has_replay = parse_lsn(replay, &ans->replay_lsn);
	ans->has_receive = parse_lsn(receive, &ans->receive_lsn);
	ans->replay_age = PQnfields(res) > 8 ? cell_seconds(res, 0, 8) : -1;
}

/* The member whose first host and port are HOST:PORT (a standby's sender), or -1. */
static long member_by_address(const struct sd_pg_backend *b, const char *host, const char *port)
{
	if (!host)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		if (b->members[i].host && !strcmp(b->members[i].host, host) &&
		    (!port || !strcmp(b->members[i].port, port)))
			return (long)i;
	return -1;
}

/* The row of pg_stat_replication RES that is member M: application_name = its name,
 * else client_addr = its host. -1 if none. */
static int replication_row(const PGresult *res, const struct member *m)
{
	int rows = PQntuples(res);
	for (int r = 0; r < rows; r++)
		if (cell(res, r, 0) && !strcmp(cell(res, r, 0), m->name))
			return r;
	for (int r = 0; m->host && r < rows; r++)
		if (cell(res, r, 1) && !strcmp(cell(res, r, 1), m->host))
			return r;
	return -1;
}

static const struct sd_pg_member *previous_member(const struct sd_pg *previous, const char *name)
{
	for (size_t i = 0; previous && i < previous->nmembers; i++)
		if (previous->members[i].name && !strcmp(previous->members[i].name, name))
			return &previous->members[i];
	return NULL;
}

int sd_pg_fetch(struct sd_pg_backend *b, const struct sd_pg *previous, struct sd_pg **out,
		char *err, size_t errlen)
{
	*out = NULL;
	if (!b) {
		sd_set_error(err, errlen, "PostgreSQL is not configured");
		return -1;
	}
	pthread_mutex_lock(&b->lock);
	struct sd_pg *pg = sd_part_new(sizeof(*pg));
	struct sd_arena *a = pg->part.arena;
	pg->fetched_at = time(NULL);
	pg->nmembers = b->n;
	pg->members = sd_arena_alloc(a, (b->n ? b->n : 1) * sizeof(*pg->members));
	struct job *jobs = xcalloc(b->n ? b->n : 1, sizeof(*jobs));
	struct answer *answers = xcalloc(b->n ? b->n : 1, sizeof(*answers));

	int64_t started = sd_now_ms();
	bool *sizes = xcalloc(b->n ? b->n : 1, sizeof(*sizes));
	for (size_t i = 0; i < b->n; i++) {
		struct member *m = &b->members[i];
		sizes[i] = !m->sizes_at_ms || started - m->sizes_at_ms >= PG_SIZES_EVERY_MS ||
			   !previous_member(previous, m->name) ||
			   !previous_member(previous, m->name)->overview.present;
		jobs[i] = (struct job){.member = m, .conn = &m->conn,
				       .sql = sizes[i] ? FETCH_SQL : FETCH_SQL_NO_SIZES,
				       .connect_timeout = b->connect_timeout,
				       .statement_timeout_ms = b->statement_timeout_ms};
	}
	long long budget = b->connect_timeout * 1000 > b->statement_timeout_ms
				   ? b->connect_timeout * 1000 : b->statement_timeout_ms;
	jobs_run(jobs, b->n, sd_now_ms() + budget);

	/* each member on its own */
	size_t answered = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct sd_pg_member *pm = &pg->members[i];
		const struct member *m = &b->members[i];
		struct job *job = &jobs[i];
		pm->name = sd_arena_strdup(a, m->name);
		pm->conninfo_safe = sd_arena_strdup(a, m->conninfo_safe);
		pm->role = "unknown";
		pm->lsn = pm->receive_lsn = pm->replay_lsn = "";
		pm->repl_state = pm->sync_state = pm->upstream = pm->lag_source = "";
		pm->sent_lag_bytes = pm->write_lag_bytes = pm->flush_lag_bytes = pm->lag_bytes = -1;
		pm->write_lag_seconds = pm->flush_lag_seconds = pm->replay_lag_seconds = -1;
		pm->error = sd_arena_strdup(a, job->error);
		if (job->nresults >= 1 && PQntuples(job->results[RES_STATUS]) == 1 &&
		    PQnfields(job->results[RES_STATUS]) >= 8) {
			answers[i].reachable = true;
			fill_from_status(a, pm, &answers[i], job->results[RES_STATUS]);
			pg_overview_fill(a, pm, job->nresults > RES_STATS ? job->results[RES_STATS] : NULL,
					 job->nresults > RES_DATABASES ? job->results[RES_DATABASES] : NULL,
					 sizes[i],
					 job->nresults > RES_ACTIVITY ? job->results[RES_ACTIVITY] : NULL,
					 previous_member(previous, m->name));
			if (sizes[i] && pm->overview.present)
				b->members[i].sizes_at_ms = started;
		} else if (job->answered) {
			answers[i].reachable = true;     /* it answered, with an error */
		}
		pm->reachable = answers[i].reachable;
		if (pm->reachable)
			answered++;
		else if (!*pm->error)
			pm->error = "no answer";
	}

	/* the primaries' view of the standbys, and the standbys' view of their upstream */
	long best_primary = -1;
	for (size_t i = 0; i < b->n; i++) {
		struct sd_pg_member *pm = &pg->members[i];
		if (!strcmp(pm->role, "primary") &&
		    (best_primary < 0 || pm->timeline > pg->members[best_primary].timeline))
			best_primary = (long)i;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct sd_pg_member *pm = &pg->members[i];
		if (!strcmp(pm->role, "primary"))
			continue;
		/* upstream: the sender its WAL receiver talks to */
		long up = -1;
		if (answers[i].reachable && jobs[i].nresults > RES_STATUS &&
		    PQnfields(jobs[i].results[RES_STATUS]) >= 8)
			up = member_by_address(b, cell(jobs[i].results[RES_STATUS], 0, 6),
					       cell(jobs[i].results[RES_STATUS], 0, 7));
		/* the row about it: on its upstream first, then on any primary */
		long source = -1;
		int row = -1;
		for (int pass = 0; pass < 2 && row < 0; pass++)
			for (size_t p = 0; p < b->n && row < 0; p++) {
				if (p == i || strcmp(pg->members[p].role, "primary") != 0)
					continue;
				if (pass == 0 && (long)p != up)
					continue;
				if (jobs[p].nresults <= RES_REPLICATION)
					continue;
				row = replication_row(jobs[p].results[RES_REPLICATION], &b->members[i]);
				if (row >= 0)
					source = (long)p;
			}
		if (row >= 0) {
			const PGresult *res = jobs[source].results[RES_REPLICATION];
			pm->repl_state = sd_arena_strdup(a, cell(res, row, 2));
			pm->sync_state = sd_arena_strdup(a, cell(res, row, 3));
			pm->sent_lag_bytes = cell_ll(res, row, 4, -1);
			pm->write_lag_bytes = cell_ll(res, row, 5, -1);
			pm->flush_lag_bytes = cell_ll(res, row, 6, -1);
			pm->lag_bytes = cell_ll(res, row, 7, -1);
			pm->write_lag_seconds = cell_seconds(res, row, 8);
			pm->flush_lag_seconds = cell_seconds(res, row, 9);
			pm->replay_lag_seconds = cell_seconds(res, row, 10);
			pm->lag_source = "pg_stat_replication";
			if (up < 0)
				up = source;
		} else if (!strcmp(pm->role, "standby") && best_primary >= 0 &&
			   answers[best_primary].has_current && answers[i].has_replay) {
			/* not connected to a primary: how far behind the newest one it is (asked at
			 * another moment, so ahead counts as caught up) */
			pm->lag_bytes = answers[best_primary].current_lsn >= answers[i].replay_lsn
						? (long long)(answers[best_primary].current_lsn -
							      answers[i].replay_lsn)
						: 0;
			pm->lag_source = "primary_lsn";
		} else if (!strcmp(pm->role, "standby") && best_primary < 0 && answers[i].has_replay &&
			   answers[i].has_receive) {
			/* no primary can be asked: what it received and has not replayed yet */
			pm->lag_bytes = answers[i].receive_lsn >= answers[i].replay_lsn
						? (long long)(answers[i].receive_lsn - answers[i].replay_lsn)
						: 0;
			pm->replay_lag_seconds = answers[i].replay_age;
			pm->lag_source = "standby";
		}
		if (up >= 0)
			pm->upstream = pg->members[up].name;
	}

	/* slots of every primary, the archiver of the newest one */
	size_t nslots = 0;
	for (size_t p = 0; p < b->n; p++)
		if (!strcmp(pg->members[p].role, "primary") && jobs[p].nresults > RES_SLOTS)
			nslots += (size_t)PQntuples(jobs[p].results[RES_SLOTS]);
	pg->slots = sd_arena_alloc(a, (nslots ? nslots : 1) * sizeof(*pg->slots));
	for (size_t p = 0; p < b->n; p++) {
		if (strcmp(pg->members[p].role, "primary") != 0 || jobs[p].nresults <= RES_SLOTS)
			continue;
		const PGresult *res = jobs[p].results[RES_SLOTS];
		for (int r = 0; r < PQntuples(res); r++) {
			struct sd_pg_slot *s = &pg->slots[pg->nslots++];
			s->member = pg->members[p].name;
			s->name = sd_arena_strdup(a, cell(res, r, 0));
			s->type = sd_arena_strdup(a, cell(res, r, 1));
			s->active = cell(res, r, 2) && !strcmp(cell(res, r, 2), "t");
			s->retained_bytes = cell_ll(res, r, 3, 0);
		}
	}
	struct sd_pg_archiver *arch = &pg->archiver;
	arch->last_archived_wal = arch->last_failed_wal = "";
	if (best_primary >= 0 && jobs[best_primary].nresults > RES_ARCHIVER &&
	    PQntuples(jobs[best_primary].results[RES_ARCHIVER]) == 1) {
		const PGresult *res = jobs[best_primary].results[RES_ARCHIVER];
		arch->present = cell(res, 0, 0) && strcmp(cell(res, 0, 0), "off") != 0;
		arch->archived_count = cell_ll(res, 0, 1, 0);
		arch->last_archived_wal = sd_arena_strdup(a, cell(res, 0, 2));
		arch->last_archived_time = (time_t)cell_ll(res, 0, 3, 0);
		arch->failed_count = cell_ll(res, 0, 4, 0);
		arch->last_failed_wal = sd_arena_strdup(a, cell(res, 0, 5));
		arch->last_failed_time = (time_t)cell_ll(res, 0, 6, 0);
	}

	/* what carries over from the previous part */
	for (size_t i = 0; i < b->n; i++) {
		struct sd_pg_member *pm = &pg->members[i];
		const struct sd_pg_member *old = previous_member(previous, pm->name);
		if (!pm->reachable)
			pm->unreachable_since = old && !old->reachable && old->unreachable_since
							? old->unreachable_since : pg->fetched_at;
		int n = 0;
		if (old) {
			n = old->nhistory < 0 ? 0 : old->nhistory > 60 ? 60 : old->nhistory;
			memcpy(pm->lag_history, old->lag_history, (size_t)n * sizeof(double));
		}
		if (pm->lag_bytes >= 0) {
			if (n == 60) {
				memmove(pm->lag_history, pm->lag_history + 1, 59 * sizeof(double));
				n = 59;
			}
			pm->lag_history[n++] = (double)pm->lag_bytes;
		}
		pm->nhistory = n;
	}

	for (size_t i = 0; i < b->n; i++)
		job_clear(&jobs[i]);
	free(jobs);
	free(answers);
	free(sizes);
	pthread_mutex_unlock(&b->lock);
	*out = pg;
	if (!b->n) {
		sd_set_error(err, errlen, "no PostgreSQL members configured");
		return -1;
	}
	if (!answered) {
		const struct sd_pg_member *first = &pg->members[0];
		sd_set_error(err, errlen, "no PostgreSQL member answered (%s: %s%s)", first->name,
			first->error, b->n > 1 ? ", ..." : "");
		return -1;
	}
	return 0;
}

/* ---- promote ---- */

static const struct member *find_member(const struct sd_pg_backend *b, const char *name)
{
	for (size_t i = 0; b && name && i < b->n; i++)
		if (!strcmp(b->members[i].name, name))
			return &b->members[i];
	return NULL;
}

/* SQL on a private connection *CONN (made if NULL) within TIMEOUT_MS; the first value of
 * the last result into VALUE. -1 with ERR. */
static int private_query(const struct sd_pg_backend *b, const struct member *m, PGconn **conn,
			 const char *sql, long timeout_ms, char *value, size_t valuelen,
			 char *err, size_t errlen)
{
	struct job job = {.member = m, .conn = conn, .sql = sql,
			  .connect_timeout = b->connect_timeout,
			  .statement_timeout_ms = timeout_ms};
	jobs_run(&job, 1, sd_now_ms() + timeout_ms + b->connect_timeout * 1000);
	int rc = -1;
	if (job.error[0])
		sd_set_error(err, errlen, "%s: %s", m->name, job.error);
	else if (!job.answered || job.nresults < 1 || PQntuples(job.results[job.nresults - 1]) < 1)
		sd_set_error(err, errlen, "%s: no answer", m->name);
	else {
		sd_strlcpy(value, PQgetvalue(job.results[job.nresults - 1], 0, 0), valuelen);
		rc = 0;
	}
	job_clear(&job);
	return rc;
}

int sd_pg_promote(struct sd_pg_backend *b, const char *name, long *timeline, char *err,
		  size_t errlen)
{
	const struct member *m = find_member(b, name);
	if (!m) {
		sd_set_error(err, errlen, "no PostgreSQL member '%s'", name ? name : "");
		return -1;
	}
	PGconn *conn = NULL;
	char value[64];
	int rc = -1;
	long short_ms = b->statement_timeout_ms;
	long promote_ms = (PROMOTE_WAIT_SECONDS + 15) * 1000L;
	if (private_query(b, m, &conn, "SELECT pg_is_in_recovery()", short_ms, value,
			  sizeof(value), err, errlen) < 0)
		goto out;
	if (strcmp(value, "t") != 0) {
		sd_set_error(err, errlen, "%s is not a standby (it is a primary): nothing to promote",
			m->name);
		goto out;
	}
	/* the connection was made with the short statement timeout: lift it for this one */
	if (private_query(b, m, &conn, "SET statement_timeout = 0; SELECT pg_promote(true, 60)",
			  promote_ms, value, sizeof(value), err, errlen) < 0)
		goto out;
	if (strcmp(value, "t") != 0) {
		sd_set_error(err, errlen, "%s: promotion did not finish within %d seconds", m->name,
			PROMOTE_WAIT_SECONDS);
		goto out;
	}
	if (private_query(b, m, &conn,
			  "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))"
			  "::bit(32)::int",
			  short_ms, value, sizeof(value), err, errlen) < 0)
		goto out;
	if (timeline)
		*timeline = strtol(value, NULL, 10);
	rc = 0;
out:
	if (conn)
		PQfinish(conn);
	return rc;
}

/* ---- conninfo for pg_dump / pg_restore ---- */

static bool keyword_is(const char *keyword, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(keyword, list[i]))
			return true;
	return false;
}

char *sd_pg_member_conninfo(struct sd_pg_backend *b, const char *name,
			    const struct sd_pg_conninfo_request *want, char *err, size_t errlen)
{
	static const struct sd_pg_conninfo_request none = {0};
	if (!want)
		want = &none;
	const struct member *m = find_member(b, name);
	if (!m) {
		sd_set_error(err, errlen, "no PostgreSQL member '%s'", name ? name : "");
		return NULL;
	}
	PQconninfoOption *opts = m->invalid ? NULL : PQconninfoParse(m->conninfo, NULL);
	if (!opts) {
		/* never libpq's message: it may quote the string */
		sd_set_error(err, errlen, "the conninfo of %s cannot be parsed", m->name);
		return NULL;
	}
	/* set below from the member and WANT, never copied as they are */
	static const char *const ours[] = {"password", "dbname", "passfile", "connect_timeout",
					   "options", "application_name", "target_session_attrs",
					   NULL};
	const char *dbname = NULL, *passfile = NULL, *timeout = NULL, *options = NULL;
	bool has_keepalive = false;
	size_t len = 0, cap = 256;
	char *buf = xmalloc(cap);
	buf[0] = '\0';
	for (const PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "dbname"))
			dbname = o->val;
		else if (!strcmp(o->keyword, "passfile"))
			passfile = o->val;
		else if (!strcmp(o->keyword, "connect_timeout"))
			timeout = o->val;
		else if (!strcmp(o->keyword, "options"))
			options = o->val;
		if (keyword_is(o->keyword, ours))
			continue;
		has_keepalive = has_keepalive || !strncmp(o->keyword, "keepalives", 10) ||
				!strcmp(o->keyword, "tcp_user_timeout");
		append_value(&buf, &len, &cap, o->keyword, o->val);
	}
	if (want->database ? *want->database : dbname != NULL)
		append_value(&buf, &len, &cap, "dbname", want->database ? want->database : dbname);
	if (m->passfile || passfile)
		append_value(&buf, &len, &cap, "passfile", m->passfile ? m->passfile : passfile);
	char own_timeout[32];
	snprintf(own_timeout, sizeof(own_timeout), "%ld", b->connect_timeout);
	append_value(&buf, &len, &cap, "connect_timeout", timeout ? timeout : own_timeout);
	if (options || want->options) {
		char *joined = xmalloc((options ? strlen(options) : 0) +
				       (want->options ? strlen(want->options) : 0) + 2);
		sprintf(joined, "%s%s%s", options ? options : "", options && want->options ? " " : "",
			want->options ? want->options : "");
		append_value(&buf, &len, &cap, "options", joined);
		free(joined);
	}
	if (want->application_name)
		append_value(&buf, &len, &cap, "application_name", want->application_name);
	if (want->read_write)
		append_value(&buf, &len, &cap, "target_session_attrs", "read-write");
	if (want->keepalives && !has_keepalive) {
		static const char *const keepalive[] = {"keepalives", "1", "keepalives_idle", "5",
							"keepalives_interval", "3", "keepalives_count", "3",
							"tcp_user_timeout", "20000", NULL};
		for (size_t i = 0; keepalive[i]; i += 2)
			append_value(&buf, &len, &cap, keepalive[i], keepalive[i + 1]);
	}
	PQconninfoFree(opts);
	return buf;
}
