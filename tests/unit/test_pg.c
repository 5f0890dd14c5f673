/* test_pg.c - the PostgreSQL backend: bounded time against a server that never answers,
 * no password in anything it returns, password file checks, history carried over; and,
 * when the lab is up (SWARMDECK_LAB_CONFIG or /run/swarmdeck-lab/swarmdeck.yaml), the real
 * primary and standbys. The lab part is skipped when the lab is not there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/config.h"
#include "base/clock.h"
#include "base/error.h"
#include "model/model.h"
#include "backends/pg/pg.h"

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A TCP port that accepts connections (the kernel completes the handshake) and never says
 * a word: a SIGSTOPped server, as far as a client can tell. */
static int silent_listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* a refused port: bound, not listening */
static int closed_port(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct fake_config {
	struct sd_config config;
	struct sd_pg_member_config members[4];
	char conninfo[4][256];
	char name[4][32];
};

static void fake_config_init(struct fake_config *fc, size_t n, long connect_timeout,
			     long statement_timeout_ms, char *password_file)
{
	memset(fc, 0, sizeof(*fc));
	fc->config.postgres.configured = true;
	fc->config.postgres.members = fc->members;
	fc->config.postgres.nmembers = n;
	fc->config.postgres.connect_timeout = connect_timeout;
	fc->config.postgres.statement_timeout_ms = statement_timeout_ms;
	fc->config.postgres.password_file = password_file;
	for (size_t i = 0; i < n; i++) {
		snprintf(fc->name[i], sizeof(fc->name[i]), "pg-%zu", i + 1);
		fc->members[i].name = fc->name[i];
		fc->members[i].conninfo = fc->conninfo[i];
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_silent_members_cost_one_timeout(void **state)
{
	(void)state;
	int ports[3], fds[3];
	struct fake_config fc;
	fake_config_init(&fc, 3, 1, 500, NULL);
	for (int i = 0; i < 3; i++) {
		fds[i] = silent_listener(&ports[i]);
		snprintf(fc.conninfo[i], sizeof(fc.conninfo[i]),
			 "host=127.0.0.1 port=%d user=swarmdeck dbname=postgres sslmode=disable",
			 ports[i]);
	}
	struct sd_pg_backend *b = sd_pg_open(&fc.config);
	struct sd_pg *pg = NULL;
	char err[256] = "";
	double t0 = sd_now();
	int rc = sd_pg_fetch(b, NULL, &pg, err, sizeof(err));
	double took = sd_now() - t0;
	assert_int_equal(rc, -1);
	assert_non_null(pg);
	assert_int_equal(pg->nmembers, 3);
	/* three silent members side by side: one connect_timeout (1 s), not three */
	assert_true(took >= 0.9);
	assert_true(took < 1.6);
	for (size_t i = 0; i < 3; i++) {
		assert_false(pg->members[i].reachable);
		assert_string_equal(pg->members[i].role, "unknown");
		assert_non_null(strstr(pg->members[i].error, "no answer within"));
		assert_true(pg->members[i].unreachable_since > 0);
	}
	assert_non_null(strstr(err, "no PostgreSQL member answered"));
	sd_part_unref(pg);
	sd_pg_close(b);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

static void test_no_password_in_conninfo_safe_or_errors(void **state)
{
	(void)state;
	int port, fd = closed_port(&port);
	struct fake_config fc;
	fake_config_init(&fc, 1, 1, 500, NULL);
	snprintf(fc.conninfo[0], sizeof(fc.conninfo[0]),
		 "host=127.0.0.1 port=%d user=swarmdeck password=Sekr1tPw dbname=postgres", port);
	struct sd_pg_backend *b = sd_pg_open(&fc.config);
	struct sd_pg *pg = NULL;
	char err[256] = "";
	assert_int_equal(sd_pg_fetch(b, NULL, &pg, err, sizeof(err)), -1);
	const struct sd_pg_member *m = &pg->members[0];
	assert_false(m->reachable);
	assert_null(strstr(m->conninfo_safe, "Sekr1tPw"));
	assert_null(strstr(m->conninfo_safe, "password"));
	assert_non_null(strstr(m->conninfo_safe, "user='swarmdeck'"));
	assert_null(strstr(m->error, "Sekr1tPw"));
	assert_null(strstr(err, "Sekr1tPw"));
	assert_non_null(strstr(m->error, "refused"));
	sd_part_unref(pg);
	sd_pg_close(b);
	close(fd);
}

static void test_password_file_problems_are_errors(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_pg.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char open_file[64], bare_file[64], missing[64], good[64];
	snprintf(open_file, sizeof(open_file), "%s/open.pgpass", dir);
	snprintf(bare_file, sizeof(bare_file), "%s/bare.pass", dir);
	snprintf(missing, sizeof(missing), "%s/missing.pgpass", dir);
	snprintf(good, sizeof(good), "%s/good.pgpass", dir);
	write_file(open_file, "*:*:*:swarmdeck:pw\n", 0644);
	write_file(bare_file, "justapassword\n", 0600);
	write_file(good, "# comment\n*:*:*:swarmdeck:pw\\:with\\:colons\n", 0600);

	int port, fd = closed_port(&port);
	struct fake_config fc;
	fake_config_init(&fc, 4, 1, 500, good);
	for (int i = 0; i < 4; i++)
		snprintf(fc.conninfo[i], sizeof(fc.conninfo[i]), "host=127.0.0.1 port=%d user=x", port);
	fc.members[0].password_file = open_file;
	fc.members[1].password_file = bare_file;
	fc.members[2].password_file = missing;
	/* members[3] uses the default, which is fine: it gets as far as the refused port */
	struct sd_pg_backend *b = sd_pg_open(&fc.config);
	struct sd_pg *pg = NULL;
	char err[256];
	assert_int_equal(sd_pg_fetch(b, NULL, &pg, err, sizeof(err)), -1);
	assert_non_null(strstr(pg->members[0].error, "group or world access"));
	assert_non_null(strstr(pg->members[1].error, "PGPASSFILE format"));
	assert_non_null(strstr(pg->members[2].error, "No such file"));
	assert_non_null(strstr(pg->members[3].error, "refused"));

	/* pg_dump gets the password file by keyword, never the password */
	char *ci = sd_pg_member_conninfo(b, "pg-4", NULL, err, sizeof(err));
	assert_non_null(ci);
	assert_non_null(strstr(ci, "passfile='"));
	assert_non_null(strstr(ci, good));
	assert_non_null(strstr(ci, "connect_timeout='1'"));
	assert_null(strstr(ci, "pw"));
	free(ci);
	ci = sd_pg_member_conninfo(b, "pg-1", NULL, err, sizeof(err));
	assert_non_null(strstr(ci, open_file));
	free(ci);
	assert_null(sd_pg_member_conninfo(b, "nobody", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "no PostgreSQL member 'nobody'"));
	/* a private session to a refused port: NULL, naming the member, one line */
	assert_null(sd_pg_session_open(b, "pg-4", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "pg-4: "));
	assert_non_null(strstr(err, "refused"));
	assert_null(strchr(err, '\n'));

	long tl = 0;
	assert_int_equal(sd_pg_promote(b, "nobody", &tl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no PostgreSQL member"));
	assert_int_equal(sd_pg_promote(b, "pg-4", &tl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pg-4"));

	sd_part_unref(pg);
	sd_pg_close(b);
	close(fd);
	unlink(open_file);
	unlink(bare_file);
	unlink(good);
	rmdir(dir);
}

/* The value of KEYWORD in the conninfo CI as libpq reads it, or NULL. malloc'ed. */
static char *conninfo_value(const char *ci, const char *keyword)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(ci, &perr);
	if (!opts)
		fail_msg("libpq cannot parse '%s': %s", ci, perr ? perr : "?");
	char *v = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, keyword) && o->val)
			v = strdup(o->val);
	PQconninfoFree(opts);
	return v;
}

static void keyword_equals(const char *ci, const char *keyword, const char *expect)
{
	char *v = conninfo_value(ci, keyword);
	if (!expect) {
		if (v)
			fail_msg("%s: expected no %s, got '%s'", ci, keyword, v);
		return;
	}
	if (!v || strcmp(v, expect) != 0)
		fail_msg("%s: expected %s='%s', got '%s'", ci, keyword, expect, v ? v : "(none)");
	free(v);
}

/* The target handed to pg_dump and pg_restore: libpq parameters of a member with the
 * database substituted, read back by libpq itself. */
static void test_member_conninfo(void **state)
{
	(void)state;
	struct fake_config fc;
	char passfile[] = "/etc/swarmdeck/pg pass";
	fake_config_init(&fc, 3, 4, 500, passfile);
	snprintf(fc.conninfo[0], sizeof(fc.conninfo[0]),
		 "host=10.0.0.5 port=5433 user='o\\'brien' dbname=postgres sslmode=disable "
		 "password=Sekr1tPw application_name=mine target_session_attrs=any "
		 "options='-c search_path=app'");
	snprintf(fc.conninfo[1], sizeof(fc.conninfo[1]),
		 "postgresql://replicator@pg-2:5432/postgres?connect_timeout=9&keepalives=0");
	snprintf(fc.conninfo[2], sizeof(fc.conninfo[2]), "host='unterminated");
	struct sd_pg_backend *b = sd_pg_open(&fc.config);
	char err[256] = "";
	const struct sd_pg_conninfo_request want = {
		.database = "my app", .application_name = "swarmdeck-backup",
		.options = "-c statement_timeout=5000", .read_write = true, .keepalives = true,
	};
	char *ci = sd_pg_member_conninfo(b, "pg-1", &want, err, sizeof(err));
	if (!ci)
		fail_msg("pg-1: %s", err);
	keyword_equals(ci, "host", "10.0.0.5");
	keyword_equals(ci, "port", "5433");
	keyword_equals(ci, "user", "o'brien");
	keyword_equals(ci, "sslmode", "disable");
	keyword_equals(ci, "dbname", "my app");
	keyword_equals(ci, "passfile", passfile);
	keyword_equals(ci, "connect_timeout", "4");
	keyword_equals(ci, "application_name", "swarmdeck-backup");
	keyword_equals(ci, "target_session_attrs", "read-write");
	keyword_equals(ci, "options", "-c search_path=app -c statement_timeout=5000");
	keyword_equals(ci, "keepalives", "1");
	keyword_equals(ci, "tcp_user_timeout", "20000");
	keyword_equals(ci, "password", NULL);
	assert_null(strstr(ci, "Sekr1tPw"));
	free(ci);

	/* a URI: its own connect_timeout and keepalives kept; nothing asked, nothing added */
	ci = sd_pg_member_conninfo(b, "pg-2", NULL, err, sizeof(err));
	if (!ci)
		fail_msg("pg-2: %s", err);
	keyword_equals(ci, "host", "pg-2");
	keyword_equals(ci, "user", "replicator");
	keyword_equals(ci, "dbname", "postgres");
	keyword_equals(ci, "connect_timeout", "9");
	keyword_equals(ci, "keepalives", "0");
	keyword_equals(ci, "target_session_attrs", NULL);
	keyword_equals(ci, "application_name", NULL);
	free(ci);
	const struct sd_pg_conninfo_request db_only = {.database = "app", .keepalives = true};
	ci = sd_pg_member_conninfo(b, "pg-2", &db_only, err, sizeof(err));
	keyword_equals(ci, "dbname", "app");
	keyword_equals(ci, "keepalives", "0");
	keyword_equals(ci, "keepalives_idle", NULL);
	free(ci);

	/* a conninfo libpq cannot parse: refused, naming the member, not quoting the text */
	assert_null(sd_pg_member_conninfo(b, "pg-3", &want, err, sizeof(err)));
	assert_non_null(strstr(err, "pg-3"));
	assert_null(strstr(err, "unterminated"));
	sd_pg_close(b);
}

static void test_history_and_unreachable_since_carry_over(void **state)
{
	(void)state;
	int port, fd = closed_port(&port);
	struct fake_config fc;
	fake_config_init(&fc, 1, 1, 500, NULL);
	snprintf(fc.conninfo[0], sizeof(fc.conninfo[0]), "host=127.0.0.1 port=%d", port);
	struct sd_pg *previous = sd_part_new(sizeof(*previous));
	previous->nmembers = 1;
	previous->members = sd_arena_alloc(previous->part.arena, sizeof(*previous->members));
	previous->members[0].name = "pg-1";
	previous->members[0].reachable = false;
	previous->members[0].unreachable_since = 1000;
	previous->members[0].nhistory = 60;
	for (int i = 0; i < 60; i++)
		previous->members[0].lag_history[i] = i;
	struct sd_pg_backend *b = sd_pg_open(&fc.config);
	struct sd_pg *pg = NULL;
	char err[256];
	assert_int_equal(sd_pg_fetch(b, previous, &pg, err, sizeof(err)), -1);
	assert_int_equal(pg->members[0].unreachable_since, 1000);
	assert_int_equal(pg->members[0].nhistory, 60);      /* no new sample: lag unknown */
	assert_true(pg->members[0].lag_history[59] == 59.0);
	assert_true(pg->members[0].lag_bytes == -1);
	sd_part_unref(pg);
	sd_part_unref(previous);
	sd_pg_close(b);
	close(fd);
}

static void test_no_members(void **state)
{
	(void)state;
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	struct sd_pg_backend *b = sd_pg_open(&config);
	struct sd_pg *pg = NULL;
	char err[256];
	assert_int_equal(sd_pg_fetch(b, NULL, &pg, err, sizeof(err)), -1);
	assert_non_null(pg);
	assert_int_equal(pg->nmembers, 0);
	sd_part_unref(pg);
	sd_pg_close(b);
}

/* ---- the lab ---- */

static const char *lab_config_path(void)
{
	const char *p = getenv("SWARMDECK_LAB_CONFIG");
	return p && *p ? p : "/run/swarmdeck-lab/swarmdeck.yaml";
}

static void test_lab_replication(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_error cerr;
	memset(&config, 0, sizeof(config));
	if (access(lab_config_path(), R_OK) != 0 ||
	    sd_config_load(lab_config_path(), &config, &cerr) != 0 || !config.postgres.configured) {
		fprintf(stderr, "# lab not up (no %s with a postgres section): skipped\n",
			lab_config_path());
		skip();
	}
	struct sd_pg_backend *b = sd_pg_open(&config);
	struct sd_pg *pg = NULL, *again = NULL;
	char err[256] = "";
	double t0 = sd_now();
	int rc = sd_pg_fetch(b, NULL, &pg, err, sizeof(err));
	double cold = sd_now() - t0;
	if (rc != 0) {
		fprintf(stderr, "# lab PostgreSQL not answering (%s): skipped\n", err);
		sd_part_unref(pg);
		sd_pg_close(b);
		sd_config_free(&config);
		skip();
	}
	t0 = sd_now();
	assert_int_equal(sd_pg_fetch(b, pg, &again, err, sizeof(err)), 0);
	double warm = sd_now() - t0;
	fprintf(stderr, "# sd_pg_fetch over %zu members: %.1f ms connecting, %.1f ms reusing\n",
		again->nmembers, cold * 1000, warm * 1000);

	size_t primaries = 0, standbys = 0;
	const struct sd_pg_member *primary = NULL;
	for (size_t i = 0; i < again->nmembers; i++) {
		const struct sd_pg_member *m = &again->members[i];
		fprintf(stderr, "#   %-5s %-8s tl %ld lsn %-10s state %-10s sync %-9s lag %lld B "
				"replay %.3f s upstream %s%s%s\n",
			m->name, m->role, m->timeline, m->lsn, m->repl_state, m->sync_state,
			m->lag_bytes, m->replay_lag_seconds, m->upstream, *m->error ? " error: " : "",
			m->error);
		assert_null(strstr(m->conninfo_safe, "password"));
		if (!m->reachable)
			continue;
		assert_true(m->timeline > 0);
		assert_true(*m->lsn);
		if (!strcmp(m->role, "primary")) {
			primaries++;
			primary = m;
		} else if (!strcmp(m->role, "standby")) {
			standbys++;
			assert_true(m->nhistory >= 1 || m->lag_bytes < 0);
		}
	}
	if (primaries != 1 || standbys < 1) {
		/* a drill is running on the lab (a primary killed, a split brain): not our case */
		fprintf(stderr, "# lab PostgreSQL has %zu primaries and %zu standbys answering: "
				"skipped\n", primaries, standbys);
		sd_part_unref(pg);
		sd_part_unref(again);
		sd_pg_close(b);
		sd_config_free(&config);
		skip();
	}
	for (size_t i = 0; i < again->nmembers; i++) {
		const struct sd_pg_member *m = &again->members[i];
		if (m->reachable && !strcmp(m->role, "standby") && !strcmp(m->repl_state, "streaming")) {
			assert_true(m->lag_bytes >= 0);
			assert_true(*m->sync_state);
			assert_string_equal(m->upstream, primary->name);
			assert_int_equal(m->timeline, primary->timeline);
		}
	}
	for (size_t i = 0; i < again->nslots; i++)
		fprintf(stderr, "#   slot %s on %s %s active=%d retains %lld B\n", again->slots[i].name,
			again->slots[i].member, again->slots[i].type, again->slots[i].active,
			again->slots[i].retained_bytes);
	assert_true(again->nslots >= 1);
	assert_true(again->archiver.present);
	fprintf(stderr, "#   archiver: %lld archived (last %s), %lld failed\n",
		again->archiver.archived_count, again->archiver.last_archived_wal,
		again->archiver.failed_count);

	/* a lock wait seen from a private session, and the waiter stopped: one session holds an
	 * advisory lock (no table touched), a second one named for the test waits for it */
	struct sd_pg_session *watch = sd_pg_session_open(b, primary->name, NULL, err, sizeof(err));
	if (!watch)
		fail_msg("session to %s: %s", primary->name, err);
	long seconds = -1, waiter = 0;
	char holders[256] = "";
	assert_int_equal(sd_pg_lock_waiter(watch, "swarmdeck-test-waiter", &seconds, &waiter,
					   holders, sizeof(holders), err, sizeof(err)), 0);
	const struct sd_pg_conninfo_request holder_req = {.application_name = "swarmdeck-test-holder"};
	const struct sd_pg_conninfo_request waiter_req = {.application_name = "swarmdeck-test-waiter"};
	char *hci = sd_pg_member_conninfo(b, primary->name, &holder_req, err, sizeof(err));
	char *wci = sd_pg_member_conninfo(b, primary->name, &waiter_req, err, sizeof(err));
	PGconn *holder = PQconnectdb(hci), *waiting = PQconnectdb(wci);
	free(hci);
	free(wci);
	assert_int_equal(PQstatus(holder), CONNECTION_OK);
	assert_int_equal(PQstatus(waiting), CONNECTION_OK);
	PGresult *res = PQexec(holder, "select pg_advisory_lock(424242)");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	PQclear(res);
	assert_int_equal(PQsendQuery(waiting, "select pg_advisory_lock(424242)"), 1);
	int found = 0;
	for (int i = 0; i < 50 && found != 1; i++) {
		found = sd_pg_lock_waiter(watch, "swarmdeck-test-waiter", &seconds, &waiter, holders,
					  sizeof(holders), err, sizeof(err));
		if (found != 1)
			sd_sleep(0.1);
	}
	if (found != 1)
		fail_msg("the waiting session was not seen (%d: %s)", found, err);
	assert_int_equal(waiter, PQbackendPID(waiting));
	assert_true(seconds >= 0);
	assert_non_null(strstr(holders, "swarmdeck-test-holder (pid "));
	assert_int_equal(sd_pg_terminate(watch, waiter, err, sizeof(err)), 0);
	/* the waiter's connection is gone: its query ends in an error */
	PGresult *last = NULL;
	while ((res = PQgetResult(waiting)) != NULL) {
		PQclear(last);
		last = res;
	}
	assert_true(last == NULL || PQresultStatus(last) == PGRES_FATAL_ERROR);
	PQclear(last);
	PQfinish(waiting);
	PQfinish(holder);
	sd_pg_session_close(watch);

	/* pg_promote is refused on a primary without touching it */
	long tl = 0;
	assert_int_equal(sd_pg_promote(b, primary->name, &tl, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a standby"));

	sd_part_unref(pg);
	sd_part_unref(again);
	sd_pg_close(b);
	sd_config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_members_cost_one_timeout),
		cmocka_unit_test(test_no_password_in_conninfo_safe_or_errors),
		cmocka_unit_test(test_password_file_problems_are_errors),
		cmocka_unit_test(test_member_conninfo),
		cmocka_unit_test(test_history_and_unreachable_since_carry_over),
		cmocka_unit_test(test_no_members),
		cmocka_unit_test(test_lab_replication),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
