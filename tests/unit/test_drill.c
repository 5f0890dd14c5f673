/* test_drill.c - drill files and their conditions: good drills read into the expected steps,
 * every bad drill fails at the exact file:line:column, durations, and conditions evaluated
 * over a small snapshot JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/drill.h"
#include "base/error.h"
#include "conf/keys.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	static const char *const prefixes[] = {"", "../../", "../../../", NULL};
	for (const char *const *p = prefixes; *p; p++) {
		snprintf(path, sizeof(path), "%stests/fixtures/drills/%s", *p, name);
		if (access(path, F_OK) == 0)
			return path;
	}
	snprintf(path, sizeof(path), "tests/fixtures/drills/%s", name);
	return path;
}

static void test_drill_worker_loss(void **state)
{
	(void)state;
	struct sd_drill d;
	struct sd_error err = {""};
	const char *path = fixture("worker-loss.yaml");
	if (sd_drill_load(path, &d, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(d.file, path);
	assert_string_equal(d.name, "worker-loss");
	assert_string_equal(d.description,
			    "a worker dies; Swarm reschedules; the operator drains it");
	assert_true(d.target_rto == 30);
	assert_true(d.has_exec);
	assert_int_equal(d.nsteps, 7);

	const struct sd_step *s = d.steps;
	assert_int_equal(s[0].kind, SD_STEP_EXEC);
	assert_string_equal(s[0].text, "tests/lab/lab kill worker-1");
	assert_string_equal(s[0].mark, "fault");
	assert_int_equal(s[0].line, 5);
	assert_int_equal(s[0].column, 5);
	assert_true(s[0].timeout == 60);

	assert_int_equal(s[1].kind, SD_STEP_UNTIL);
	assert_string_equal(s[1].cond.path, "nodes[hostname=worker-1].state");
	assert_int_equal(s[1].cond.op, SD_OP_EQ);
	assert_string_equal(s[1].cond.value, "down");
	assert_false(s[1].cond.value_is_number);
	assert_true(s[1].timeout == 60);
	assert_null(s[1].mark);

	assert_int_equal(s[2].kind, SD_STEP_KEYS);
	assert_string_equal(s[2].text, "1/worker-1<Enter>d");
	assert_int_equal(s[2].nkeys, 12);
	assert_int_equal(s[2].keys[0], '1');
	assert_int_equal(s[2].keys[10], SD_KEY_ENTER);
	assert_int_equal(s[2].keys[11], 'd');

	assert_int_equal(s[3].kind, SD_STEP_CONFIRM);
	assert_string_equal(s[3].text, "yes");

	assert_int_equal(s[4].kind, SD_STEP_UNTIL);
	assert_string_equal(s[4].cond.path, "services[name=iot-guardian_backend].running");
	assert_true(s[4].cond.value_is_number);
	assert_true(s[4].cond.number == 3);
	assert_string_equal(s[4].mark, "recovered");

	assert_int_equal(s[5].kind, SD_STEP_EXPECT_SCREEN);
	assert_string_equal(s[5].text, "worker-1.*drain");
	assert_true(s[5].timeout == 10);

	assert_int_equal(s[6].kind, SD_STEP_SAVE_SCREEN);
	assert_string_equal(s[6].text, "worker-loss.txt");
	assert_int_equal(s[6].line, 15);
	sd_drill_free(&d);
	assert_null(d.steps);
}

static void test_drill_all_steps(void **state)
{
	(void)state;
	struct sd_drill d;
	struct sd_error err = {""};
	if (sd_drill_load(fixture("all-steps.yaml"), &d, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(d.name, "all-steps"); /* from the file name */
	assert_null(d.description);
	assert_true(d.target_rto == 0);
	assert_false(d.has_exec);
	assert_int_equal(d.nsteps, 7);
	const struct sd_step *s = d.steps;

	assert_int_equal(s[0].kind, SD_STEP_WAIT);
	assert_true(s[0].timeout == 90);

	assert_int_equal(s[1].kind, SD_STEP_KEYS);
	assert_int_equal(s[1].nkeys, 6);
	static const int keys[] = {'<', 'x', SD_KEY_CTRL + 'l', 0xE9, SD_KEY_SPACE, SD_KEY_TAB};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(s[1].keys[i], keys[i]);
	assert_true(s[1].timeout == 0);

	assert_int_equal(s[2].kind, SD_STEP_UNTIL);
	assert_string_equal(s[2].cond.path, "len(postgres.members)");
	assert_int_equal(s[2].cond.op, SD_OP_GE);
	assert_true(s[2].timeout == 30);

	assert_int_equal(s[3].cond.op, SD_OP_NE);
	assert_string_equal(s[3].cond.value, "my master");
	assert_true(s[3].timeout == 1.5);

	assert_int_equal(s[4].kind, SD_STEP_EXPECT_SCREEN);
	assert_true(s[4].timeout == 0.5);
	assert_int_equal(s[5].kind, SD_STEP_SAVE_SCREEN);
	assert_int_equal(s[6].kind, SD_STEP_CONFIRM);
	assert_string_equal(s[6].text, "pg-2");
	sd_drill_free(&d);
}

static void test_drill_errors(void **state)
{
	(void)state;
	static const struct {
		const char *file, *error;
	} cases[] = {
		{"bad-step-key.yaml", ":4:5: unknown step key 'untill'"},
		{"bad-two-actions.yaml",
		 ":4:5: a step does one thing: 'keys' and 'until' (make them two steps)"},
		{"bad-keys.yaml", ":3:22: keys: bad key name '<Entr>'"},
		{"bad-keys-plain.yaml", ":3:13: keys: bad key name '<C-1>'"},
		{"bad-condition.yaml",
		 ":3:12: until: malformed condition: '=' compares nothing: write '=='"},
		{"bad-condition-path.yaml",
		 ":3:12: until: malformed condition: a '[', '(' or quote is not closed"},
		{"bad-field.yaml", ":3:12: until: the snapshot has no 'node'"},
		{"bad-regex.yaml", ":3:20: expect_screen: bad regular expression: "},
		{"bad-duration.yaml", ":4:14: timeout: bad duration '30 seconds'"},
		{"bad-rto.yaml", ":2:13: target_rto: bad duration 'soon'"},
		{"bad-no-action.yaml", ":4:5: step without an action"},
		{"bad-mark-twice.yaml",
		 ":6:11: mark 'fault' is set twice (first in the step at line 3)"},
		{"bad-no-steps.yaml", ":1:1: a drill needs steps"},
		{"bad-order-string.yaml",
		 ":3:12: until: malformed condition: '>' compares numbers, and 'OK' is not one"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_drill d;
		struct sd_error err = {""};
		const char *path = fixture(cases[i].file);
		char want[600];
		snprintf(want, sizeof(want), "%s%s", path, cases[i].error);
		if (sd_drill_load(path, &d, &err) == 0)
			fail_msg("%s: loaded, want \"%s\"", cases[i].file, want);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, err.text, want);
		assert_null(d.steps);
		sd_drill_free(&d);
	}
	struct sd_drill d;
	struct sd_error err;
	assert_int_equal(sd_drill_load("/nonexistent/drill.yaml", &d, &err), -1);
	assert_string_equal(err.text, "/nonexistent/drill.yaml: No such file or directory");
}

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double seconds;
	} cases[] = {
		{"30s", 30}, {"2m", 120}, {"500ms", 0.5}, {"1.5", 1.5}, {"60", 60},
		{"1h", 3600}, {"1m30s", 90}, {"1h2m3s", 3723}, {"0.25s", 0.25}, {".5s", 0.5},
		{"0", 0}, {"1s500ms", 1.5},
		{"", -1}, {"s", -1}, {"30 s", -1}, {" 30s", -1}, {"-5s", -1}, {"+5s", -1},
		{"5x", -1}, {"1m30", -1}, {"ms", -1}, {"5sec", -1}, {"1e3s", -1}, {"inf", -1}, {".s", -1}, {"1.s", 1},
		{"nan", -1}, {"0x10", -1}, {"1..2s", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = sd_parse_duration(cases[i].text);
		if (fabs(got - cases[i].seconds) > 1e-9)
			fail_msg("'%s': got %g, want %g", cases[i].text, got, cases[i].seconds);
	}
	assert_true(sd_parse_duration(NULL) == -1);
}

static void test_condition_parse(void **state)
{
	(void)state;
	struct sd_condition c;
	char err[256];

	assert_int_equal(sd_condition_parse("  len(tasks)<=3  ", &c, err, sizeof(err)), 0);
	assert_string_equal(c.path, "len(tasks)");
	assert_int_equal(c.op, SD_OP_LE);
	assert_true(c.value_is_number);
	assert_true(c.number == 3);
	sd_condition_free(&c);

	assert_int_equal(sd_condition_parse("nodes[hostname=\"a == b\"].state != 'x y'", &c, err,
					    sizeof(err)), 0);
	assert_string_equal(c.path, "nodes[hostname=\"a == b\"].state");
	assert_int_equal(c.op, SD_OP_NE);
	assert_string_equal(c.value, "x y");
	sd_condition_free(&c);

	assert_int_equal(sd_condition_parse("cluster.managers_reachable>-1.5e1", &c, err,
					    sizeof(err)), 0);
	assert_int_equal(c.op, SD_OP_GT);
	assert_true(c.number == -15);
	sd_condition_free(&c);

	/* a quoted number is a string */
	assert_int_equal(sd_condition_parse("version == \"3\"", &c, err, sizeof(err)), 0);
	assert_false(c.value_is_number);
	sd_condition_free(&c);

	static const struct {
		const char *text, *error;
	} bad[] = {
		{"health", "expected PATH OP VALUE with OP one of ==, !=, <, <=, >, >="},
		{"health = OK", "'=' compares nothing: write '=='"},
		{"== OK", "missing path before '=='"},
		{"health ==", "missing value after '=='"},
		{"health == OK now", "unexpected 'now' after the value (quote a value with spaces)"},
		{"health == 'OK", "missing closing '"},
		{"health >= OK", "'>=' compares numbers, and 'OK' is not one"},
		{"nodes[x.state == down", "a '[', '(' or quote is not closed"},
		{"nodes[] == x", "expected [N], [key=value] or [\"key\"], got []"},
		{"nodes[a b] == x", "expected [N], [key=value] or [\"key\"], got [a b]"},
		{"nodes[=x].state == x", "missing field name before '=' in a selector"},
		{"nodes[a=].state == x", "missing value in a [key=value] selector"},
		{"nodes..state == x", "expected a field name at '.state'"},
		{"nodes. == x", "expected a field name at the end"},
		{"len(nodes == 1", "a '[', '(' or quote is not closed"},
		{"len(nodes)x == 1", "unexpected 'x' in the path"},
		{"nodes state == x", "unexpected 'state' in the path"},
		{"$x == 1", "expected a field name at '$x'"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (sd_condition_parse(bad[i].text, &c, err, sizeof(err)) == 0)
			fail_msg("'%s' parsed", bad[i].text);
		if (strcmp(err, bad[i].error) != 0)
			fail_msg("'%s': got \"%s\", want \"%s\"", bad[i].text, err, bad[i].error);
		assert_null(c.path);
	}
}

static const char snapshot[] =
	"{\"version\": \"0.1\", \"health\": \"WARNING\", \"mode\": \"drill\","
	" \"cluster\": {\"reachable\": true, \"managers\": 3, \"managers_reachable\": 2,"
	"  \"leader\": \"manager-1\"},"
	" \"nodes\": ["
	"  {\"hostname\": \"manager-1\", \"state\": \"ready\", \"manager\": \"leader\","
	"   \"tasks\": 3, \"labels\": {\"com.docker.role\": \"db\"}},"
	"  {\"hostname\": \"worker-1\", \"state\": \"down\", \"availability\": \"active\","
	"   \"tasks\": 0, \"labels\": {}}],"
	" \"services\": [{\"name\": \"iot-guardian_backend\", \"desired\": 3, \"running\": 2}],"
	" \"postgres\": {\"members\": ["
	"  {\"name\": \"pg-1\", \"role\": \"primary\", \"reachable\": true, \"lag_bytes\": 0},"
	"  {\"name\": \"pg-2\", \"role\": \"standby\", \"reachable\": false,"
	"   \"lag_bytes\": 2048.5, \"error\": null}]},"
	" \"redis\": null, \"alerts\": []}";

static void test_condition_eval(void **state)
{
	(void)state;
	json_error_t jerr;
	json_t *root = json_loads(snapshot, 0, &jerr);
	if (!root)
		fail_msg("snapshot JSON: %s", jerr.text);
	static const struct {
		const char *cond;
		int holds;
		const char *actual;
	} cases[] = {
		{"nodes[hostname=worker-1].state == down", 1, "down"},
		{"nodes[hostname=worker-1].state != down", 0, "down"},
		{"nodes[hostname=worker-9].state == down", 0, "(none)"},
		{"nodes[hostname=worker-9].state != down", 0, "(none)"},
		{"services[name=iot-guardian_backend].running == 3", 0, "2"},
		{"services[name=iot-guardian_backend].running < 3", 1, "2"},
		{"services[name=\"iot-guardian_backend\"].running >= 2", 1, "2"},
		{"services[name=iot-guardian_backend].running > 2", 0, "2"},
		{"services[name=iot-guardian_backend].running <= 1.5", 0, "2"},
		{"len(nodes) == 2", 1, "2"},
		{"len(alerts) == 0", 1, "0"},
		{"len(redis) == 0", 1, "0"},
		{"len(postgres.members[role=primary].name) == 4", 1, "4"},
		{"len(nodes[0].labels) == 1", 1, "1"},
		{"len(cluster.managers) == 1", 0, "(none)"},
		{"nodes[0].hostname == manager-1", 1, "manager-1"},
		{"nodes[-1].hostname == worker-1", 1, "worker-1"},
		{"nodes[5].hostname == worker-1", 0, "(none)"},
		{"nodes[tasks=3].hostname == manager-1", 1, "manager-1"},
		{"nodes[labels.com=x].hostname == manager-1", 0, "(none)"},
		{"nodes[0].labels[\"com.docker.role\"] == db", 1, "db"},
		{"postgres.members[reachable=false].name == pg-2", 1, "pg-2"},
		{"postgres.members[1].reachable == false", 1, "false"},
		{"postgres.members[0].reachable == true", 1, "true"},
		{"postgres.members[0].reachable == \"true\"", 1, "true"},
		{"postgres.members[1].error == null", 1, "null"},
		{"postgres.members[1].lag_bytes > 1024", 1, "2048.5"},
		{"postgres.members[1].lag_bytes > 1048576", 0, "2048.5"},
		{"postgres.members[0].lag_bytes == 0", 1, "0"},
		{"redis == null", 1, "null"},
		{"redis.master.name == mymaster", 0, "(none)"},
		{"health == \"WARNING\"", 1, "WARNING"},
		{"health != OK", 1, "WARNING"},
		{".health == WARNING", 1, "WARNING"},
		{"version == 0.1", 1, "0.1"},
		{"cluster.managers_reachable < 3", 1, "2"},
		{"cluster.reachable == true", 1, "true"},
		{"cluster.reachable > 0", 0, "true"},
		{"nodes == x", 0, "[{\"hostname\":\"manager-1\""},
		{"nodes != x", 1, "[{"},
		{"missing == x", 0, "(none)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_condition c;
		char err[256], actual[64];
		if (sd_condition_parse(cases[i].cond, &c, err, sizeof(err)) < 0)
			fail_msg("'%s': %s", cases[i].cond, err);
		int holds = sd_condition_eval(&c, root, actual, sizeof(actual));
		if (holds != cases[i].holds)
			fail_msg("'%s': %d (found %s), want %d", cases[i].cond, holds, actual,
				 cases[i].holds);
		if (strncmp(actual, cases[i].actual, strlen(cases[i].actual)) != 0)
			fail_msg("'%s': found \"%s\", want \"%s\"", cases[i].cond, actual,
				 cases[i].actual);
		/* without a place for what was found, and without a snapshot */
		assert_int_equal(sd_condition_eval(&c, root, NULL, 0), cases[i].holds);
		assert_int_equal(sd_condition_eval(&c, NULL, actual, sizeof(actual)), 0);
		assert_string_equal(actual, "(none)");
		sd_condition_free(&c);
	}
	json_decref(root);
}


/* A drill written to a temporary file from TEXT; the caller unlinks PATH. */
static void write_drill(char *path, size_t size, const char *text)
{
	snprintf(path, size, "/tmp/test_drill-XXXXXX.yaml");
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void expect_drill_error(const char *text, const char *error)
{
	char path[64], want[600];
	write_drill(path, sizeof(path), text);
	struct sd_drill d;
	struct sd_error err = {""};
	snprintf(want, sizeof(want), "%s%s", path, error);
	int rc = sd_drill_load(path, &d, &err);
	unlink(path);
	if (rc == 0)
		fail_msg("loaded, want \"%s\"", want);
	if (strncmp(err.text, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s\"", err.text, want);
	sd_drill_free(&d);
}

/* expect_screen patterns are bounded before regcomp: nested or large counts are refused at
 * the count (or the repetition) that goes past the bound; patterns within it load. */
static void test_drill_pattern_bounds(void **state)
{
	(void)state;
	/* 1.1 GB in regcomp before the bound */
	expect_drill_error("steps:\n  - expect_screen: \"(((a{1,100}){1,100}){1,100})\"\n",
			   ":2:33: expect_screen: pattern too large once its repetitions are "
			   "expanded (more than 2000 items");
	expect_drill_error("steps:\n  - expect_screen: 'x a{1,10000}'\n",
			   ":2:27: expect_screen: repetition count 10000 is above 255");
	expect_drill_error("steps:\n  - expect_screen: 'b{300}'\n",
			   ":2:23: expect_screen: repetition count 300 is above 255");
	expect_drill_error("steps:\n  - expect_screen: '[{]a{1,255}b{1,255}c{1,255}d{1,255}"
			   "e{1,255}f{1,255}g{1,255}h{1,255}'\n",
			   ":2:80: expect_screen: pattern too large");
	char text[1200] = "steps:\n  - expect_screen: '";
	size_t n = strlen(text);
	memset(text + n, 'x', 1001);
	snprintf(text + n + 1001, sizeof(text) - n - 1001, "'\n");
	expect_drill_error(text, ":2:1021: expect_screen: pattern longer than 1000 bytes");

	/* at the bound, and braces that are no count */
	static const char *const good[] = {
		"(a{0,40}){0,50}", "[a{9999}]", "a\\\\{9999}", "x{,5}", "Managers: 3 -> 4",
		"iot-guardian_frontend .*rollback_completed", "(a|b|c){0,255}",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char path[64], body[256];
		snprintf(body, sizeof(body), "steps:\n  - expect_screen: \"%s\"\n", good[i]);
		write_drill(path, sizeof(path), body);
		struct sd_drill d;
		struct sd_error err = {""};
		int rc = sd_drill_load(path, &d, &err);
		unlink(path);
		if (rc != 0)
			fail_msg("'%s': %s", good[i], err.text);
		sd_drill_free(&d);
	}
}

/* Marks are checked in a search tree: many distinct marks load; a mark set twice names the
 * first step that set it, however far apart the two are. */
static void test_drill_many_marks(void **state)
{
	(void)state;
	size_t steps = 5000, cap = steps * 48 + 128, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "steps:\n");
	for (size_t i = 0; i < steps; i++)
		len += (size_t)snprintf(text + len, cap - len, "  - {wait: 1ms, mark: m%zu}\n", i);
	char path[64];
	write_drill(path, sizeof(path), text);
	struct sd_drill d;
	struct sd_error err = {""};
	int rc = sd_drill_load(path, &d, &err);
	unlink(path);
	if (rc != 0)
		fail_msg("%s", err.text);
	assert_int_equal(d.nsteps, steps);
	assert_string_equal(d.steps[steps - 1].mark, "m4999");
	sd_drill_free(&d);

	/* the same, and step 5001 sets m2 again (m2 is on line 4) */
	snprintf(text + len, cap - len, "  - {keys: x, mark: m2}\n");
	expect_drill_error(text, ":5002:21: mark 'm2' is set twice (first in the step at line 4)");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drill_worker_loss),
		cmocka_unit_test(test_drill_all_steps),
		cmocka_unit_test(test_drill_errors),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_condition_parse),
		cmocka_unit_test(test_condition_eval),
		cmocka_unit_test(test_drill_pattern_bounds),
		cmocka_unit_test(test_drill_many_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
