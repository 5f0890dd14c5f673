/* overview.c - a member's overview and its sessions, from the answers to PG_OVERVIEW_SQL
 * (internal.h): connections by state against max_connections, databases' sizes, the cache
 * hit ratio, commits, rollbacks and WAL per second (deltas against the previous refresh),
 * deadlocks, temporary bytes, the oldest transaction and query, the transaction-ID
 * wraparound margin, checkpoints; and every client backend with who blocks it. Pure
 * parsing: nothing here talks to a server. */
#include "backends/pg/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XID_HORIZON 2147483648.0      /* 2^31: how far datfrozenxid may age before wraparound */
#define BLOCKED_LONG_SECONDS 60

static const char *value(const PGresult *res, int row, int col)
{
	if (!res || row >= PQntuples(res) || col >= PQnfields(res) || PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

static long long number(const PGresult *res, int row, int col, long long fallback)
{
	const char *v = value(res, row, col);
	return v ? strtoll(v, NULL, 10) : fallback;
}

static double real(const PGresult *res, int row, int col, double fallback)
{
	const char *v = value(res, row, col);
	return v ? strtod(v, NULL) : fallback;
}

static const char *text(struct sd_arena *a, const PGresult *res, int row, int col)
{
	return sd_arena_strdup(a, value(res, row, col));
}

/* "{12,34}" -> pids in A */
static int parse_pids(struct sd_arena *a, const char *s, long **out)
{
	*out = NULL;
	if (!s || *s != '{')
		return 0;
	int n = 0;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	if (!strcmp(s, "{}"))
		return 0;
	n++;
	long *pids = sd_arena_alloc(a, (size_t)n * sizeof(*pids));
	int k = 0;
	for (const char *p = s + 1; *p && *p != '}' && k < n;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		pids[k++] = pid;
		p = *end == ',' ? end + 1 : end;
	}
	*out = pids;
	return k;
}

static bool lsn_value(const char *s, uint64_t *lsn)
{
	unsigned int hi, lo;
	if (!s || sscanf(s, "%X/%X", &hi, &lo) != 2)
		return false;
	*lsn = (uint64_t)hi << 32 | lo;
	return true;
}

static double rate(long long now, long long before, double seconds)
{
	if (seconds <= 0 || now < before)
		return -1;
	return (double)(now - before) / seconds;
}

static void fill_stats(struct sd_pg_overview *o, const PGresult *res, const struct sd_pg_overview *old)
{
	o->max_connections = (long)number(res, 0, 0, 0);
	o->reserved_connections = (long)number(res, 0, 1, 0);
	o->xact_commit = number(res, 0, 2, 0);
	o->xact_rollback = number(res, 0, 3, 0);
	o->blks_hit = number(res, 0, 4, 0);
	o->blks_read = number(res, 0, 5, 0);
	o->deadlocks = number(res, 0, 6, 0);
	o->temp_bytes = number(res, 0, 7, 0);
	o->temp_files = number(res, 0, 8, 0);
	o->max_frozen_xid_age = number(res, 0, 9, -1);
	o->checkpoints_timed = number(res, 0, 10, -1);
	o->checkpoints_req = number(res, 0, 11, -1);
	bool has_lsn = lsn_value(value(res, 0, 12), &o->wal_lsn);
	o->sampled_at = real(res, 0, 13, 0);
	long long blocks = o->blks_hit + o->blks_read;
	o->cache_hit_ratio = blocks > 0 ? (double)o->blks_hit / (double)blocks : -1;
	o->wraparound_margin = o->max_frozen_xid_age >= 0
				       ? 100.0 * (XID_HORIZON - (double)o->max_frozen_xid_age) / XID_HORIZON
				       : -1;
	if (o->wraparound_margin < 0 && o->max_frozen_xid_age >= 0)
		o->wraparound_margin = 0;
	o->commits_per_second = o->rollbacks_per_second = o->wal_bytes_per_second = -1;
	if (old && old->present && old->sampled_at > 0) {
		double dt = o->sampled_at - old->sampled_at;
		o->commits_per_second = rate(o->xact_commit, old->xact_commit, dt);
		o->rollbacks_per_second = rate(o->xact_rollback, old->xact_rollback, dt);
		if (has_lsn && old->wal_lsn && o->wal_lsn >= old->wal_lsn)
			o->wal_bytes_per_second = rate((long long)o->wal_lsn, (long long)old->wal_lsn, dt);
	}
	o->present = true;
}

static void fill_databases(struct sd_arena *a, struct sd_pg_overview *o, const PGresult *res,
			   bool asked, const struct sd_pg_overview *old)
{
	if (!asked) {
		size_t n = old && old->present ? old->ndatabases : 0;
		o->databases = sd_arena_alloc(a, (n ? n : 1) * sizeof(*o->databases));
		for (size_t i = 0; i < n; i++) {
			o->databases[i].name = sd_arena_strdup(a, old->databases[i].name);
			o->databases[i].size_bytes = old->databases[i].size_bytes;
		}
		o->ndatabases = n;
		o->sizes_at = n ? old->sizes_at : 0;
		return;
	}
	o->sizes_at = o->sampled_at;
	int rows = res ? PQntuples(res) : 0;
	o->databases = sd_arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*o->databases));
	for (int r = 0; r < rows; r++) {
		o->databases[o->ndatabases].name = text(a, res, r, 0);
		o->databases[o->ndatabases++].size_bytes = number(res, r, 1, 0);
	}
}

static void fill_sessions(struct sd_arena *a, struct sd_pg_member *pm, const PGresult *res)
{
	struct sd_pg_overview *o = &pm->overview;
	int rows = res ? PQntuples(res) : 0;
	pm->sessions = sd_arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*pm->sessions));
	o->oldest_xact_seconds = o->oldest_query_seconds = -1;
	for (int r = 0; r < rows; r++) {
		o->connections++;
		const char *state = value(res, r, 5);
		if (!state)
			o->other_state++;
		else if (!strcmp(state, "active"))
			o->active++;
		else if (!strcmp(state, "idle"))
			o->idle++;
		else if (!strncmp(state, "idle in transaction", 19))
			o->idle_in_xact++;
		else
			o->other_state++;
		const char *self = value(res, r, 13);
		if (self && !strcmp(self, "t"))
			continue;
		struct sd_pg_activity *s = &pm->sessions[pm->nsessions++];
		s->pid = (long)number(res, r, 0, 0);
		s->user = text(a, res, r, 1);
		s->database = text(a, res, r, 2);
		s->application = text(a, res, r, 3);
		s->client = text(a, res, r, 4);
		s->state = text(a, res, r, 5);
		s->wait_type = text(a, res, r, 6);
		s->wait_event = text(a, res, r, 7);
		s->xact_seconds = real(res, r, 8, -1);
		s->query_seconds = real(res, r, 9, -1);
		s->state_seconds = real(res, r, 10, -1);
		s->query = text(a, res, r, 11);
		s->nblocked_by = parse_pids(a, value(res, r, 12), &s->blocked_by);
		if (s->xact_seconds > o->oldest_xact_seconds)
			o->oldest_xact_seconds = s->xact_seconds;
		if (!strcmp(s->state, "active") && s->query_seconds > o->oldest_query_seconds)
			o->oldest_query_seconds = s->query_seconds;
		if (!strcmp(s->wait_type, "Lock")) {
			o->waiting_lock++;
			if (s->query_seconds > BLOCKED_LONG_SECONDS)
				o->blocked_long++;
		}
	}
	for (size_t i = 0; i < pm->nsessions; i++)
		for (int k = 0; k < pm->sessions[i].nblocked_by; k++)
			for (size_t j = 0; j < pm->nsessions; j++)
				if (pm->sessions[j].pid == pm->sessions[i].blocked_by[k])
					pm->sessions[j].blocks++;
}

void pg_overview_fill(struct sd_arena *a, struct sd_pg_member *pm, const PGresult *stats,
		      const PGresult *databases, bool sizes_asked, const PGresult *activity,
		      const struct sd_pg_member *old)
{
	memset(&pm->overview, 0, sizeof(pm->overview));
	pm->sessions = NULL;
	pm->nsessions = 0;
	struct sd_pg_overview *o = &pm->overview;
	o->cache_hit_ratio = o->commits_per_second = o->rollbacks_per_second = -1;
	o->wal_bytes_per_second = o->wraparound_margin = -1;
	o->oldest_xact_seconds = o->oldest_query_seconds = -1;
	o->checkpoints_timed = o->checkpoints_req = o->max_frozen_xid_age = -1;
	if (!stats || PQntuples(stats) != 1 || PQnfields(stats) < 14)
		return;
	fill_stats(o, stats, old ? &old->overview : NULL);
	fill_databases(a, o, databases, sizes_asked, old ? &old->overview : NULL);
	fill_sessions(a, pm, activity);
}
