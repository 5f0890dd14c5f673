/* test_pg_overview.c - a PostgreSQL member's overview and sessions parsed from results made
 * in the test (PQmakeEmptyPGresult): counters, rates from two refreshes, who blocks whom;
 * the health rules on them (connection pool > 90 % WARNING in the documents' words, > 97 %
 * CRITICAL, long transactions, lock waits over a minute, wraparound margin); and the JSON:
 * unknown lag is null, never -1, with where the lag comes from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/pg/internal.h"
#include "conf/config.h"
#include "model/health.h"
#include "model/model.h"
#include "model/snapjson.h"

#include <libpq-fe.h>
#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a result of NCOLS text columns and the rows in CELLS (NULL: SQL NULL) */
static PGresult *result(int ncols, int nrows, const char *const *cells)
{
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	PGresAttDesc attrs[16];
	char names[16][16];
	memset(attrs, 0, sizeof(attrs));
	for (int c = 0; c < ncols; c++) {
		snprintf(names[c], sizeof(names[c]), "c%d", c);
		attrs[c].name = names[c];
		attrs[c].typid = 25;
		attrs[c].typlen = -1;
		attrs[c].atttypmod = -1;
	}
	assert_true(PQsetResultAttrs(res, ncols, attrs));
	for (int r = 0; r < nrows; r++)
		for (int c = 0; c < ncols; c++) {
			const char *v = cells[r * ncols + c];
			assert_true(PQsetvalue(res, r, c, (char *)(v ? v : NULL), v ? (int)strlen(v) : -1));
		}
	return res;
}

static PGresult *stats(const char *connections_max, const char *commits, const char *lsn,
		       const char *at, const char *frozen)
{
	const char *cells[] = {connections_max, "3", commits, "2", "990", "10", "1", "4096", "1",
			       frozen, "7", "2", lsn, at};
	return result(14, 1, cells);
}

/* pid user db app client state wait_type wait_event xact query state_age query blocking self */
static const char *const sessions_cells[] = {
	"100", "app", "app", "holder", "10.0.0.5:4000", "idle in transaction", "Client", "ClientRead",
	"400", "399", "399", "lock table t", NULL, "f",
	"101", "app", "app", "waiter", "10.0.0.5:4001", "active", "Lock", "relation",
	"70", "70", "70", "select * from t", "{100}", "f",
	"102", "app", "app", "waiter2", "10.0.0.5:4002", "active", "Lock", "relation",
	"5", "5", "5", "select 1 from t", "{100,101}", "f",
	"103", "swarmdeck", "postgres", "swarmdeck", "local", "active", NULL, NULL,
	"0", "0", "0", "SELECT ...", NULL, "t",
};

static struct sd_pg *one_member(void)
{
	struct sd_pg *pg = sd_part_new(sizeof(*pg));
	pg->nmembers = 1;
	pg->members = sd_arena_alloc(pg->part.arena, sizeof(*pg->members));
	struct sd_pg_member *m = &pg->members[0];
	m->name = "pg-1";
	m->role = "primary";
	m->reachable = true;
	m->repl_state = m->sync_state = m->upstream = m->lag_source = "";
	m->lag_bytes = m->write_lag_bytes = m->flush_lag_bytes = m->sent_lag_bytes = -1;
	m->write_lag_seconds = m->flush_lag_seconds = m->replay_lag_seconds = -1;
	return pg;
}

static void fill(struct sd_pg *pg, const char *max, const char *commits, const char *lsn,
		 const char *at, const char *frozen, int nsessions, const struct sd_pg_member *old)
{
	PGresult *s = stats(max, commits, lsn, at, frozen);
	const char *db[] = {"app", "1048576", "postgres", "8000000"};
	PGresult *d = result(2, 2, db);
	PGresult *a = result(14, nsessions, sessions_cells);
	pg_overview_fill(pg->part.arena, &pg->members[0], s, d, true, a, old);
	PQclear(s);
	PQclear(d);
	PQclear(a);
}

static void test_counters_rates_and_sessions(void **state)
{
	(void)state;
	struct sd_pg *first = one_member();
	fill(first, "60", "1000", "0/1000000", "100.0", "1000", 4, NULL);
	const struct sd_pg_overview *o = &first->members[0].overview;
	assert_true(o->present);
	assert_int_equal(o->max_connections, 60);
	assert_int_equal(o->reserved_connections, 3);
	assert_int_equal(o->connections, 4);            /* swarmdeck's own counted */
	assert_int_equal(o->active, 3);
	assert_int_equal(o->idle_in_xact, 1);
	assert_int_equal(o->ndatabases, 2);
	assert_true(o->databases[1].size_bytes == 8000000);
	assert_true(o->cache_hit_ratio > 0.989 && o->cache_hit_ratio < 0.991);
	assert_true(o->commits_per_second < 0);         /* one refresh: no rate yet */
	assert_true(o->checkpoints_timed == 7 && o->checkpoints_req == 2);
	assert_true(o->wraparound_margin > 99.9);
	assert_true(o->oldest_xact_seconds == 400);
	assert_int_equal(o->waiting_lock, 2);
	assert_int_equal(o->blocked_long, 1);           /* 101 waits 70 s, 102 only 5 s */

	const struct sd_pg_member *m = &first->members[0];
	assert_int_equal(m->nsessions, 3);              /* its own session left out */
	assert_int_equal(m->sessions[0].pid, 100);
	assert_int_equal(m->sessions[0].blocks, 2);
	assert_int_equal(m->sessions[1].blocks, 1);
	assert_int_equal(m->sessions[2].nblocked_by, 2);
	assert_int_equal(m->sessions[2].blocked_by[1], 101);
	assert_string_equal(m->sessions[0].wait_type, "Client");
	assert_string_equal(m->sessions[1].client, "10.0.0.5:4001");

	struct sd_pg *second = one_member();
	fill(second, "60", "1500", "0/1100000", "102.0", "1000", 4, &first->members[0]);
	o = &second->members[0].overview;
	assert_true(o->commits_per_second > 249.9 && o->commits_per_second < 250.1);
	assert_true(o->rollbacks_per_second == 0);
	assert_true(o->wal_bytes_per_second > 524287 && o->wal_bytes_per_second < 524289);

	/* a refresh without the sizes (asked every 30 s) keeps the last ones */
	struct sd_pg *light = one_member();
	PGresult *ls = stats("60", "1600", "0/1100000", "103.0", "1000");
	PGresult *la = result(14, 4, sessions_cells);
	pg_overview_fill(light->part.arena, &light->members[0], ls, NULL, false, la,
			 &second->members[0]);
	PQclear(ls);
	PQclear(la);
	assert_int_equal(light->members[0].overview.ndatabases, 2);
	assert_string_equal(light->members[0].overview.databases[0].name, "app");
	assert_true(light->members[0].overview.databases[0].size_bytes == 1048576);
	assert_true(light->members[0].overview.sizes_at == 102.0);
	sd_part_unref(light);

	/* a counter that went back (a stats reset): no rate, never a negative one */
	struct sd_pg *third = one_member();
	fill(third, "60", "10", "0/1200000", "104.0", "1000", 4, &second->members[0]);
	assert_true(third->members[0].overview.commits_per_second < 0);
	sd_part_unref(first);
	sd_part_unref(second);
	sd_part_unref(third);
}

static void test_no_answer_leaves_it_unknown(void **state)
{
	(void)state;
	struct sd_pg *pg = one_member();
	pg_overview_fill(pg->part.arena, &pg->members[0], NULL, NULL, true, NULL, NULL);
	assert_false(pg->members[0].overview.present);
	assert_int_equal(pg->members[0].nsessions, 0);
	assert_true(pg->members[0].overview.wraparound_margin < 0);
	sd_part_unref(pg);
}

static struct sd_snapshot *snapshot_of(struct sd_pg *pg)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	snap->pg_status = snap->docker_status;
	snap->pg = pg;
	return snap;
}

static const struct sd_alert *alert_with(const struct sd_snapshot *s, const char *text)
{
	for (size_t i = 0; i < s->nalerts; i++)
		if (strstr(s->alerts[i].message, text))
			return &s->alerts[i];
	return NULL;
}

/* connections: 4 of MAX */
static enum sd_level pool_level(const char *max, bool *found)
{
	struct sd_pg *pg = one_member();
	fill(pg, max, "1", "0/1", "1", "1000", 4, NULL);
	struct sd_snapshot *snap = snapshot_of(pg);
	sd_health_evaluate(snap, NULL);
	const struct sd_alert *a = alert_with(snap, "database connection pool nearly exhausted");
	*found = a != NULL;
	enum sd_level level = a ? a->level : SD_OK;
	if (a)
		assert_string_equal(a->target, "pg-1");
	sd_part_unref(pg);
	snap->pg = NULL;
	sd_snapshot_unref(snap);
	return level;
}

static void test_connection_pool_rule(void **state)
{
	(void)state;
	bool found;
	pool_level("5", &found);                       /* 80 % */
	assert_false(found);
	assert_int_equal(pool_level("4", &found), SD_CRITICAL); /* 100 % */
	/* 4 of 4.3 cannot be written: the thresholds with a bigger pool below */
	struct sd_pg *pg = one_member();
	fill(pg, "60", "1", "0/1", "1", "1000", 4, NULL);
	struct sd_pg_overview *o = &pg->members[0].overview;
	struct sd_snapshot *snap = snapshot_of(pg);
	o->connections = 54;                           /* 90 %: not above */
	sd_health_evaluate(snap, NULL);
	assert_null(alert_with(snap, "connection pool"));
	o->connections = 55;                           /* 91.7 % */
	sd_health_evaluate(snap, NULL);
	assert_non_null(alert_with(snap, "connection pool"));
	assert_int_equal(alert_with(snap, "connection pool")->level, SD_WARNING);
	o->connections = 58;                           /* 96.7 % */
	sd_health_evaluate(snap, NULL);
	assert_int_equal(alert_with(snap, "connection pool")->level, SD_WARNING);
	o->connections = 59;                           /* 98.3 % */
	sd_health_evaluate(snap, NULL);
	assert_int_equal(alert_with(snap, "connection pool")->level, SD_CRITICAL);
	sd_part_unref(pg);
	snap->pg = NULL;
	sd_snapshot_unref(snap);
}

static void test_long_transactions_locks_and_wraparound(void **state)
{
	(void)state;
	struct sd_pg *pg = one_member();
	fill(pg, "60", "1", "0/1", "1", "2000000000", 4, NULL);
	struct sd_snapshot *snap = snapshot_of(pg);
	sd_health_evaluate(snap, NULL);
	/* the holder's transaction is 400 s old (> 300 by default) */
	const struct sd_alert *a = alert_with(snap, "transaction of pid 100");
	assert_non_null(a);
	assert_int_equal(a->level, SD_WARNING);
	a = alert_with(snap, "1 session blocked on a lock for more than 60 s");
	assert_non_null(a);
	assert_int_equal(a->level, SD_WARNING);
	a = alert_with(snap, "wraparound margin");
	assert_non_null(a);                            /* 2e9 of 2^31: 6.9 % left */
	assert_int_equal(a->level, SD_CRITICAL);
	/* postgres.long_query_seconds raised above it: no warning */
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	config.postgres.long_query_seconds = 500;
	config.postgres.lag_warning_bytes = 1048576;
	sd_health_evaluate(snap, &config);
	assert_null(alert_with(snap, "transaction of pid"));
	sd_part_unref(pg);
	snap->pg = NULL;
	sd_snapshot_unref(snap);
}

static void test_json_unknown_is_null(void **state)
{
	(void)state;
	struct sd_pg *pg = sd_part_new(sizeof(*pg));
	pg->nmembers = 2;
	pg->members = sd_arena_alloc(pg->part.arena, 2 * sizeof(*pg->members));
	for (int i = 0; i < 2; i++) {
		struct sd_pg_member *m = &pg->members[i];
		m->name = i ? "pg-2" : "pg-1";
		m->role = i ? "standby" : "primary";
		m->reachable = true;
		m->lsn = m->receive_lsn = m->replay_lsn = "";
		m->repl_state = m->sync_state = m->upstream = m->lag_source = "";
		m->lag_bytes = m->write_lag_bytes = m->flush_lag_bytes = m->sent_lag_bytes = -1;
		m->write_lag_seconds = m->flush_lag_seconds = m->replay_lag_seconds = -1;
	}
	pg->members[1].lag_bytes = 192;
	pg->members[1].replay_lag_seconds = 0.003;
	pg->members[1].lag_source = "pg_stat_replication";
	struct sd_snapshot *snap = snapshot_of(pg);
	json_t *root = sd_snapshot_json(snap);
	json_t *members = json_object_get(json_object_get(root, "postgres"), "members");
	json_t *primary = json_array_get(members, 0), *standby = json_array_get(members, 1);
	assert_true(json_is_null(json_object_get(primary, "lag_bytes")));
	assert_true(json_is_null(json_object_get(primary, "replay_lag_seconds")));
	assert_true(json_is_null(json_object_get(primary, "lag_source")));
	assert_true(json_is_null(json_object_get(primary, "overview")));
	assert_int_equal(json_integer_value(json_object_get(standby, "lag_bytes")), 192);
	assert_true(json_is_null(json_object_get(standby, "write_lag_bytes")));
	assert_true(json_real_value(json_object_get(standby, "replay_lag_seconds")) == 0.003);
	assert_string_equal(json_string_value(json_object_get(standby, "lag_source")),
			    "pg_stat_replication");
	json_decref(root);
	sd_part_unref(pg);
	snap->pg = NULL;
	sd_snapshot_unref(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_rates_and_sessions),
		cmocka_unit_test(test_no_answer_leaves_it_unknown),
		cmocka_unit_test(test_connection_pool_rule),
		cmocka_unit_test(test_long_transactions_locks_and_wraparound),
		cmocka_unit_test(test_json_unknown_is_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
