/* test_pgmaint.c - the parts of PostgreSQL tables, maintenance and the query prompt that need
 * no server: targets written MEMBER/DATABASE/SCHEMA.TABLE, VACUUM/ANALYZE statements with
 * quoted names, password literals masked, the statement history file, the progress line, and
 * a query against a member that does not answer failing within its connect timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/clock.h"
#include "base/error.h"
#include "backends/pg/maint.h"
#include "backends/pg/query.h"
#include "conf/config.h"
#include "pgmaint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_targets(void **state)
{
	(void)state;
	struct sd_pgmaint_target t;
	char err[256], text[320];
	assert_int_equal(sd_pgmaint_target_parse("pg-1", &t, err, sizeof(err)), 0);
	assert_string_equal(t.member, "pg-1");
	assert_string_equal(t.database, "");
	assert_string_equal(t.table, "");
	assert_int_equal(sd_pgmaint_target_parse("pg-1/app", &t, err, sizeof(err)), 0);
	assert_string_equal(t.database, "app");
	assert_int_equal(sd_pgmaint_target_parse("pg-2/app/public.pgbench_accounts", &t, err,
						 sizeof(err)), 0);
	assert_string_equal(t.member, "pg-2");
	assert_string_equal(t.schema, "public");
	assert_string_equal(t.table, "pgbench_accounts");
	sd_pgmaint_target_format(&t, text, sizeof(text));
	assert_string_equal(text, "pg-2/app/public.pgbench_accounts");
	/* no schema: public */
	assert_int_equal(sd_pgmaint_target_parse("pg-1/app/orders", &t, err, sizeof(err)), 0);
	assert_string_equal(t.schema, "public");
	assert_string_equal(t.table, "orders");
	/* what cannot be a target */
	assert_int_equal(sd_pgmaint_target_parse("", &t, err, sizeof(err)), -1);
	assert_int_equal(sd_pgmaint_target_parse("/app", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no member"));
	assert_int_equal(sd_pgmaint_target_parse("pg-1//t", &t, err, sizeof(err)), -1);
	assert_int_equal(sd_pgmaint_target_parse("pg-1/app/.t", &t, err, sizeof(err)), -1);
	assert_int_equal(sd_pgmaint_target_parse("pg-1/app/s.", &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "SCHEMA.TABLE"));
}

static void test_statements_quote_names(void **state)
{
	(void)state;
	char *sql = sd_pg_maint_statement(SD_PG_VACUUM, "public", "pgbench_accounts");
	assert_string_equal(sql, "VACUUM \"public\".\"pgbench_accounts\"");
	free(sql);
	sql = sd_pg_maint_statement(SD_PG_ANALYZE, "Odd", "a\"b; drop table x");
	assert_string_equal(sql, "ANALYZE \"Odd\".\"a\"\"b; drop table x\"");
	free(sql);
	sql = sd_pg_maint_statement(SD_PG_VACUUM, NULL, NULL);
	assert_string_equal(sql, "VACUUM");
	free(sql);
}

static void mask_is(const char *sql, const char *want)
{
	char *got = sd_pgmaint_mask_password(sql);
	if (strcmp(got, want) != 0)
		fail_msg("mask(%s) = %s, want %s", sql, got, want);
	free(got);
}

static void test_passwords_masked(void **state)
{
	(void)state;
	mask_is("alter role app password 'hunter2'", "alter role app password '***'");
	mask_is("ALTER ROLE app PASSWORD 'it''s secret' valid until 'x'",
		"ALTER ROLE app PASSWORD '***' valid until 'x'");
	mask_is("create user u with encrypted password E'a\\'b'", "create user u with encrypted password E'***'");
	mask_is("select dblink('host=x password=hunter2 user=y')",
		"select dblink('host=x password=*** user=y')");
	mask_is("select 1", "select 1");
	mask_is("select password_encryption from x", "select password_encryption from x");
	mask_is("select * from pg_stat_activity -- password", "select * from pg_stat_activity -- password");
}

static void test_history(void **state)
{
	(void)state;
	char dir[] = "/tmp/sdpgmaintXXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/state/swarmdeck/query_history", dir);
	size_t n;
	char **lines = sd_pgmaint_history_load(path, &n);
	assert_int_equal(n, 0); /* no file yet: empty */
	sd_pgmaint_history_free(lines, n);
	assert_int_equal(sd_pgmaint_history_add(path, "select 1"), 0);
	assert_int_equal(sd_pgmaint_history_add(path, "select 1"), 0); /* no repeat in a row */
	assert_int_equal(sd_pgmaint_history_add(path, "select\n  2"), 0);
	assert_int_equal(sd_pgmaint_history_add(path, "alter role x password 'pw'"), 0);
	lines = sd_pgmaint_history_load(path, &n);
	assert_int_equal(n, 3);
	assert_string_equal(lines[0], "select 1");
	assert_string_equal(lines[1], "select   2");
	assert_string_equal(lines[2], "alter role x password '***'");
	sd_pgmaint_history_free(lines, n);
	for (int i = 0; i < 510; i++) {
		char sql[32];
		snprintf(sql, sizeof(sql), "select %d", i);
		assert_int_equal(sd_pgmaint_history_add(path, sql), 0);
	}
	lines = sd_pgmaint_history_load(path, &n);
	assert_int_equal(n, 500);
	assert_string_equal(lines[0], "select 10");
	assert_string_equal(lines[499], "select 509");
	sd_pgmaint_history_free(lines, n);
	/* beside the audit log */
	struct sd_config c = {0};
	c.audit_log = (char *)"/var/state/swarmdeck/audit.log";
	char *h = sd_pgmaint_history_path(&c);
	assert_string_equal(h, "/var/state/swarmdeck/query_history");
	free(h);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_progress_line(void **state)
{
	(void)state;
	struct sd_pgmaint_progress p = {.present = true, .running = true, .verb = "VACUUM",
					.target = "pg-1/app/public.t", .seconds = 3};
	p.now.pid = 4242;
	snprintf(p.now.phase, sizeof(p.now.phase), "scanning heap");
	p.now.done = 25;
	p.now.total = 100;
	char line[1024];
	sd_pgmaint_progress_line(&p, false, 20, line, sizeof(line));
	assert_non_null(strstr(line, "VACUUM pg-1/app/public.t [#####...............]  25%  scanning heap"));
	assert_non_null(strstr(line, "25/100 blocks"));
	assert_non_null(strstr(line, "pid 4242"));
	assert_non_null(strstr(line, "pg.cancel"));
	sd_pgmaint_progress_line(&p, true, 4, line, sizeof(line));
	assert_non_null(strstr(line, "[█░░░]"));
	p.now.total = 0; /* before the first look: an empty bar, not a division by zero */
	sd_pgmaint_progress_line(&p, false, 10, line, sizeof(line));
	assert_non_null(strstr(line, "[..........]   0%"));
	p.running = false;
	p.status = -1;
	snprintf(p.result, sizeof(p.result), "canceling statement due to user request");
	sd_pgmaint_progress_line(&p, false, 10, line, sizeof(line));
	assert_non_null(strstr(line, "VACUUM pg-1/app/public.t FAILED in 3.0s: canceling statement"));
	struct sd_pgmaint_progress none = {0};
	sd_pgmaint_progress_line(&none, false, 10, line, sizeof(line));
	assert_string_equal(line, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_statements_quote_names),
		cmocka_unit_test(test_passwords_masked),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_progress_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
