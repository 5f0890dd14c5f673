/* test_config.c - configuration, key names, keymaps and themes: good files read into the
 * expected structs, a user's keymap merged over a shipped one, every bad file fails at the
 * exact file:line:column, and every shipped keymap binds every action (its listing is
 * compared with tests/fixtures/config/keymaps.txt; SD_UPDATE_GOLDEN=1 rewrites that file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "actions.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "conf/embedded.h"
#include "base/error.h"
#include "conf/config.h"
#include "conf/keys.h"
#include "conf/yamltree.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The action names of the contract (PRODUCT.md). */
static const char *const contract_actions[] = {
	"quit", "help", "refresh", "focus.next", "focus.prev", "focus.nodes", "focus.services",
	"focus.tasks", "focus.postgres", "focus.redis", "focus.backups", "cursor.up",
	"cursor.down", "cursor.top", "cursor.bottom", "page.up", "page.down", "filter",
	"sort.next", "open", "back", "screen.save", "pane.zoom",
	"service.scale", "service.rollback", "service.redeploy", "node.drain", "node.pause",
	"node.activate", "node.promote", "node.demote", "pg.promote", "redis.failover",
	"backup.take", "backup.verify", "backup.restore", NULL,
};

/* Fixtures are found from the project root or from build/tests. */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	static const char *const prefixes[] = {"", "../../", "../../../", NULL};
	for (const char *const *p = prefixes; *p; p++) {
		snprintf(path, sizeof(path), "%stests/fixtures/config/%s", *p, name);
		if (access(path, F_OK) == 0)
			return path;
	}
	snprintf(path, sizeof(path), "tests/fixtures/config/%s", name);
	return path;
}

/* ---- yamltree ---- */
static void test_yaml_positions(void **state)
{
	(void)state;
	const char *text = "a: 1\nb:\n  - x\n  - 'y'\nc: {d: e}\n";
	struct sd_error err;
	struct sd_yaml *root = sd_yaml_load_string("t.yaml", text, strlen(text), &err);
	assert_non_null(root);
	assert_int_equal(root->kind, SD_YAML_MAP);
	assert_int_equal(root->n, 3);
	assert_int_equal(root->key_lines[1], 2);
	assert_int_equal(root->key_columns[1], 1);
	struct sd_yaml *b = sd_yaml_get(root, "b");
	assert_non_null(b);
	assert_int_equal(b->kind, SD_YAML_SEQ);
	assert_int_equal(b->items[1]->line, 4);
	assert_int_equal(b->items[1]->column, 5);
	assert_true(b->items[1]->quoted);
	assert_false(b->items[0]->quoted);
	struct sd_yaml *c = sd_yaml_get(root, "c");
	assert_string_equal(sd_yaml_get(c, "d")->value, "e");
	assert_int_equal(sd_yaml_get(c, "d")->column, 8);
	assert_null(sd_yaml_get(root, "z"));
	sd_yaml_free(root);

	root = sd_yaml_load_string("t.yaml", "", 0, &err);
	assert_non_null(root);
	assert_int_equal(root->kind, SD_YAML_MAP);
	assert_int_equal(root->n, 0);
	sd_yaml_free(root);
}

static void test_yaml_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *error;
	} cases[] = {
		{"a: 1\nb: 2\na: 3\n", "t.yaml:3:1: duplicate key 'a' (first at line 1)"},
		{"a: &x 1\nb: *x\n", "t.yaml:1:4: anchors and aliases are not supported"},
		{"a: [1, 2\nb: 3\n", "t.yaml:2:2: "},
		{"a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document per file"},
		{"a: \"\xff\"\n", "t.yaml:1:5: invalid leading UTF-8 octet"},
		{"? [a]\n: b\n", "t.yaml:1:3: a key must be a plain string, not a list"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_error err = {""};
		struct sd_yaml *root =
			sd_yaml_load_string("t.yaml", cases[i].text, strlen(cases[i].text), &err);
		assert_null(root);
		if (strncmp(err.text, cases[i].error, strlen(cases[i].error)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.text, cases[i].error);
	}
	struct sd_error err;
	assert_null(sd_yaml_load_file("/nonexistent/x.yaml", &err));
	assert_string_equal(err.text, "/nonexistent/x.yaml: No such file or directory");
}


/* Duplicate keys are found through a search tree: thousands of keys load, a duplicate far
 * from its first use is still named with both lines, and the same key in two mappings is
 * no duplicate. */
static void test_yaml_many_keys(void **state)
{
	(void)state;
	size_t keys = 20000, cap = keys * 24 + 64, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (size_t i = 0; i < keys; i++)
		len += (size_t)snprintf(text + len, cap - len, "key%zu: %zu\n", i, i);
	struct sd_error err = {""};
	struct sd_yaml *root = sd_yaml_load_string("t.yaml", text, len, &err);
	if (!root)
		fail_msg("%s", err.text);
	assert_int_equal(root->n, keys);
	assert_string_equal(sd_yaml_get(root, "key19999")->value, "19999");
	sd_yaml_free(root);

	snprintf(text + len, cap - len, "key7: again\n");
	assert_null(sd_yaml_load_string("t.yaml", text, strlen(text), &err));
	assert_string_equal(err.text, "t.yaml:20001:1: duplicate key 'key7' (first at line 8)");
	free(text);

	static const char nested[] = "a: {x: 1, y: 2}\nb: {x: 1, y: 2}\nc: {y: 1, x: 2, y: 3}\n";
	assert_null(sd_yaml_load_string("t.yaml", nested, strlen(nested), &err));
	assert_string_equal(err.text, "t.yaml:3:17: duplicate key 'y' (first at line 3)");
}

/* ---- key names ---- */
static void test_key_names(void **state)
{
	(void)state;
	static const struct {
		const char *name, *canonical;
		int key;
	} cases[] = {
		{"s", "s", 's'},
		{"P", "P", 'P'},
		{"?", "?", '?'},
		{"é", "é", 0xE9},
		{"語", "語", 0x8A9E},
		{"<", "<lt>", '<'},
		{"<lt>", "<lt>", '<'},
		{">", ">", '>'},
		{" ", "<Space>", SD_KEY_SPACE},
		{"<Space>", "<Space>", SD_KEY_SPACE},
		{"<Enter>", "<Enter>", SD_KEY_ENTER},
		{"<enter>", "<Enter>", SD_KEY_ENTER},
		{"<CR>", "<Enter>", SD_KEY_ENTER},
		{"<Return>", "<Enter>", SD_KEY_ENTER},
		{"<Esc>", "<Esc>", SD_KEY_ESC},
		{"<Tab>", "<Tab>", SD_KEY_TAB},
		{"<S-Tab>", "<S-Tab>", SD_KEY_BTAB},
		{"<s-tab>", "<S-Tab>", SD_KEY_BTAB},
		{"<Up>", "<Up>", SD_KEY_UP},
		{"<Down>", "<Down>", SD_KEY_DOWN},
		{"<Left>", "<Left>", SD_KEY_LEFT},
		{"<Right>", "<Right>", SD_KEY_RIGHT},
		{"<PageUp>", "<PageUp>", SD_KEY_PPAGE},
		{"<PAGEDOWN>", "<PageDown>", SD_KEY_NPAGE},
		{"<Home>", "<Home>", SD_KEY_HOME},
		{"<End>", "<End>", SD_KEY_END},
		{"<BS>", "<BS>", SD_KEY_BACKSPACE},
		{"<Backspace>", "<BS>", SD_KEY_BACKSPACE},
		{"<Del>", "<Del>", SD_KEY_DELETE},
		{"<F1>", "<F1>", SD_KEY_F0 + 1},
		{"<f12>", "<F12>", SD_KEY_F0 + 12},
		{"<C-a>", "<C-a>", SD_KEY_CTRL + 'a'},
		{"<C-X>", "<C-x>", SD_KEY_CTRL + 'x'},
		{"<c-z>", "<C-z>", SD_KEY_CTRL + 'z'},
		{"<C-i>", "<Tab>", SD_KEY_TAB},
		{"<C-m>", "<Enter>", SD_KEY_ENTER},
		/* characters that do not print have a name that reads back */
		{"\x1d", "<U+001D>", 0x1D},
		{"<U+001D>", "<U+001D>", 0x1D},
		{"\xc2\x85", "<U+0085>", 0x85},
		{"<u+00e9>", "\xc3\xa9", 0xE9},
		{"<U+10FFFF>", "\xf4\x8f\xbf\xbf", 0x10FFFF},
	};
	char buf[16];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int key = sd_key_from_name(cases[i].name);
		if (key != cases[i].key)
			fail_msg("'%s': got %d, want %d", cases[i].name, key, cases[i].key);
		assert_string_equal(sd_key_name(key, buf, sizeof(buf)), cases[i].canonical);
		/* the canonical name reads back as the same key */
		assert_int_equal(sd_key_from_name(cases[i].canonical), key);
	}
	static const char *const bad[] = {
		"", "ab", "Enter", "<>", "<Entr>", "<F0>", "<F13>", "<F01>", "<C-1>", "<C-ab>",
		"<lt", "\xff", "é!", "<U+0000>", "<U+D800>", "<U+110000>", "<U+12G4>", "<U+12>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sd_key_from_name(bad[i]) != SD_KEY_NONE)
			fail_msg("'%s' should not be a key name", bad[i]);
	assert_int_equal(sd_key_from_name(NULL), SD_KEY_NONE);

	/* what a terminal sends meets what a keymap says */
	assert_int_equal(sd_key_normalize('\n'), SD_KEY_ENTER);
	assert_int_equal(sd_key_normalize('\r'), SD_KEY_ENTER);
	assert_int_equal(sd_key_normalize('\t'), SD_KEY_TAB);
	assert_int_equal(sd_key_normalize(27), SD_KEY_ESC);
	assert_int_equal(sd_key_normalize(127), SD_KEY_BACKSPACE);
	assert_int_equal(sd_key_normalize(12), SD_KEY_CTRL + 'l');
	assert_int_equal(sd_key_normalize(' '), SD_KEY_SPACE);
	assert_int_equal(sd_key_normalize('x'), 'x');
	assert_string_equal(sd_key_name('\n', buf, sizeof(buf)), "<Enter>");
	assert_string_equal(sd_key_name(SD_KEY_RESIZE, buf, sizeof(buf)), "<Resize>");
}

static void test_keys_parse(void **state)
{
	(void)state;
	int keys[32];
	size_t bad = 99;
	int n = sd_keys_parse("1/wörker-1<Enter>d", keys, 32, &bad);
	assert_int_equal(n, 12);
	assert_int_equal(keys[0], '1');
	assert_int_equal(keys[1], '/');
	assert_int_equal(keys[3], 0xF6);
	assert_int_equal(keys[10], SD_KEY_ENTER);
	assert_int_equal(keys[11], 'd');

	n = sd_keys_parse("<lt>a> b<c-l><F5>", keys, 32, &bad);
	assert_int_equal(n, 7);
	assert_int_equal(keys[0], '<');
	assert_int_equal(keys[2], '>');
	assert_int_equal(keys[3], SD_KEY_SPACE);
	assert_int_equal(keys[5], SD_KEY_CTRL + 'l');
	assert_int_equal(keys[6], SD_KEY_F0 + 5);

	/* counting only, and a short array */
	assert_int_equal(sd_keys_parse("abc<Esc>", NULL, 0, &bad), 4);
	keys[1] = -7;
	assert_int_equal(sd_keys_parse("abc", keys, 1, &bad), 3);
	assert_int_equal(keys[1], -7);
	assert_int_equal(sd_keys_parse("", keys, 32, &bad), 0);

	static const struct {
		const char *text;
		size_t bad_at;
	} errors[] = {
		{"1/worker-1<Entr>d", 10}, {"a<b", 1}, {"ab<", 2}, {"é<nope>", 2},
		{"ok\xffno", 2}, {"<C-1>", 0}, {"x<averyveryverylongname>", 1},
	};
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		bad = 99;
		assert_int_equal(sd_keys_parse(errors[i].text, keys, 32, &bad), -1);
		if (bad != errors[i].bad_at)
			fail_msg("'%s': bad at %zu, want %zu", errors[i].text, bad, errors[i].bad_at);
	}
}

/* ---- configuration ---- */
static void test_config_good(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err = {""};
	const char *path = fixture("good.yaml");
	if (sd_config_load(path, &c, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(c.path, path);
	assert_string_equal(c.cluster_name, "lab");
	assert_string_equal(c.docker.host, "unix:///run/swarmdeck-lab/manager-1.sock");
	assert_int_equal(c.docker.tls_verify, 0);
	assert_string_equal(c.docker.cert_path, "/etc/docker/certs");
	assert_int_equal(c.docker.timeout_ms, 4000);
	assert_true(c.interval == 1.5);
	assert_true(c.resync_interval == 45);
	assert_int_equal(c.scale_max, 20);
	assert_string_equal(c.audit_log, "/var/log/swarmdeck/audit.log");
	assert_string_equal(c.theme, "high-contrast");
	assert_string_equal(c.keymap, "vim");

	assert_true(c.postgres.configured);
	assert_string_equal(c.postgres.password_file, "/run/secrets/pg_password");
	assert_int_equal(c.postgres.connect_timeout, 2);
	assert_int_equal(c.postgres.statement_timeout_ms, 2500);
	assert_int_equal(c.postgres.lag_warning_bytes, 2097152);
	assert_int_equal(c.postgres.nmembers, 2);
	assert_string_equal(c.postgres.members[0].name, "pg-1");
	assert_string_equal(c.postgres.members[0].conninfo,
			    "host=192.168.213.21 port=5432 user=monitor dbname=postgres");
	assert_null(c.postgres.members[0].password_file);
	assert_string_equal(c.postgres.members[1].name, "pg-2");
	assert_string_equal(c.postgres.members[1].password_file, "/run/secrets/pg2_password");

	assert_true(c.redis.configured);
	assert_string_equal(c.redis.master_name, "appmaster");
	assert_int_equal(c.redis.nsentinels, 3);
	assert_string_equal(c.redis.sentinels[0], "192.168.213.11:26379");
	assert_string_equal(c.redis.sentinels[2], "[fd00::13]:26379");
	assert_string_equal(c.redis.password_file, "/run/secrets/redis_password");
	assert_string_equal(c.redis.sentinel_password_file, "/run/secrets/sentinel_password");
	assert_int_equal(c.redis.timeout_ms, 1500);

	assert_true(c.backup.configured);
	assert_string_equal(c.backup.dir, "/var/backups/swarmdeck");
	assert_int_equal(c.backup.retention_days, 14);
	assert_int_equal(c.backup.rpo_seconds, 600);
	assert_int_equal(c.backup.ndatabases, 2);
	assert_string_equal(c.backup.databases[1], "audit");
	assert_int_equal(c.backup.nservices, 2);
	assert_string_equal(c.backup.services[0], "iot-guardian_backend");
	assert_string_equal(c.backup.stack, "iot-guardian");
	sd_config_free(&c);
	assert_null(c.path);
}

/* clusters: each a config of its own, the top level's shared settings inherited */
static void test_config_clusters(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err = {""};
	if (sd_config_load(fixture("clusters.yaml"), &c, &err) < 0)
		fail_msg("%s", err.text);
	assert_int_equal(c.nclusters, 2);
	assert_int_equal(sd_config_ncluster(&c), 2);
	const struct sd_config *prod = sd_config_cluster(&c, 0), *beta = sd_config_cluster(&c, 1);
	assert_string_equal(prod->cluster_name, "prod");
	assert_string_equal(beta->cluster_name, "beta");
	assert_int_equal(sd_config_find_cluster(&c, "beta"), 1);
	assert_int_equal(sd_config_find_cluster(&c, "gamma"), -1);
	assert_true(prod->protected_cluster && !prod->read_only);
	assert_true(beta->read_only && !beta->protected_cluster);
	assert_string_equal(prod->docker.host, "tcp://10.0.0.1:2376");
	assert_int_equal(prod->docker.nhosts, 2);
	assert_string_equal(beta->docker.host, "unix:///run/beta.sock");
	assert_true(prod->postgres.configured && !beta->postgres.configured);
	assert_true(prod->backup.configured && !beta->backup.configured);
	assert_int_equal(prod->backup.rpo_seconds, 600);
	/* inherited, and overridden where the cluster says so */
	assert_true(prod->interval == 1.5 && beta->interval == 5);
	assert_string_equal(prod->audit_log, "/var/log/swarmdeck/audit.log");
	assert_string_equal(beta->audit_log, "/var/log/swarmdeck/audit.log");
	assert_int_equal(beta->timeline.max_events, 500);
	/* a timeline each, beside the one named */
	assert_string_equal(prod->timeline.path, "/var/lib/swarmdeck/timeline-prod.jsonl");
	assert_string_equal(beta->timeline.path, "/var/lib/swarmdeck/timeline-beta.jsonl");
	assert_string_equal(prod->path, c.path);
	sd_config_free(&c);
	assert_int_equal(c.nclusters, 0);

	/* a file without clusters is one cluster: itself */
	assert_int_equal(sd_config_load(fixture("minimal.yaml"), &c, &err), 0);
	assert_int_equal(sd_config_ncluster(&c), 1);
	assert_ptr_equal(sd_config_cluster(&c, 0), &c);
	assert_int_equal(sd_config_find_cluster(&c, "small"), 0);
	sd_config_free(&c);
}

static void assert_defaults(const struct sd_config *c)
{
	assert_null(c->docker.host);
	assert_int_equal(c->docker.tls_verify, -1);
	assert_null(c->docker.cert_path);
	assert_int_equal(c->docker.timeout_ms, 5000);
	assert_true(c->interval == 2);
	assert_true(c->resync_interval == 30);
	assert_int_equal(c->scale_max, 100);
	assert_null(c->theme);
	assert_null(c->keymap);
	assert_false(c->postgres.configured);
	assert_int_equal(c->postgres.nmembers, 0);
	assert_int_equal(c->postgres.connect_timeout, 3);
	assert_int_equal(c->postgres.statement_timeout_ms, 3000);
	assert_int_equal(c->postgres.lag_warning_bytes, 1048576);
	assert_false(c->redis.configured);
	assert_string_equal(c->redis.master_name, "mymaster");
	assert_int_equal(c->redis.timeout_ms, 2000);
	assert_false(c->backup.configured);
	assert_int_equal(c->backup.retention_days, 7);
	assert_int_equal(c->backup.rpo_seconds, 300);
}

static void test_config_defaults(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err = {""};

	setenv("XDG_STATE_HOME", "/srv/state", 1);
	assert_int_equal(sd_config_load(NULL, &c, &err), 0);
	assert_null(c.path);
	assert_null(c.cluster_name);
	assert_defaults(&c);
	assert_string_equal(c.audit_log, "/srv/state/swarmdeck/audit.log");
	sd_config_free(&c);

	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/operator", 1);
	assert_int_equal(sd_config_load(fixture("minimal.yaml"), &c, &err), 0);
	assert_string_equal(c.cluster_name, "small");
	assert_defaults(&c);
	assert_string_equal(c.audit_log, "/home/operator/.local/state/swarmdeck/audit.log");
	sd_config_free(&c);

	assert_int_equal(sd_config_load(fixture("empty.yaml"), &c, &err), 0);
	assert_null(c.cluster_name);
	assert_defaults(&c);
	sd_config_free(&c);
}

/* Each bad file fails with exactly this "file:line:column: message" (after the path). */
static void test_config_errors(void **state)
{
	(void)state;
	static const struct {
		const char *file, *error;
	} cases[] = {
		{"bad-unknown-key.yaml", ":3:3: unknown key 'hots' in docker"},
		{"bad-unknown-top.yaml", ":2:1: unknown key 'intervall'"},
		{"bad-number.yaml", ":1:11: interval: expected a number, got 'fast'"},
		{"bad-interval.yaml", ":2:11: interval: must be more than 0 seconds, got 0"},
		{"bad-resync-interval.yaml",
		 ":2:18: resync_interval: must be more than 0 seconds, got -1"},
		{"bad-timeout.yaml", ":1:22: docker.timeout_ms: must be at least 1, got -5"},
		{"bad-password.yaml",
		 ":4:17: conninfo of 'pg-1' contains a password; passwords are read from files: "
		 "use password_file (or PGPASSFILE), never the config text"},
		{"bad-password-uri.yaml", ":3:30: conninfo of 'pg-1' contains a password"},
		{"bad-list.yaml", ":2:14: redis.sentinels: expected a list, got a string"},
		{"bad-mapping.yaml", ":1:9: backup: expected a mapping, got a list"},
		{"bad-bool.yaml", ":2:15: docker.tls_verify: expected true or false, got maybe"},
		{"bad-sentinel.yaml",
		 ":4:7: redis.sentinels: expected host:port, got '192.168.213.12'"},
		{"bad-syntax.yaml", ":3:9: "},
		{"bad-duplicate.yaml", ":3:1: duplicate key 'cluster_name' (first at line 1)"},
		{"bad-alias.yaml", ":1:15: anchors and aliases are not supported"},
		{"bad-no-members.yaml", ":1:1: postgres: needs at least one member"},
		{"bad-clusters-section.yaml",
		 ":3:1: docker: goes inside a cluster when the file names clusters"},
		{"bad-clusters-name.yaml", ":3:3: clusters: 'a/b' is not a cluster name"},
		{"bad-clusters-key.yaml", ":3:5: unknown key 'cluster_name' in clusters.prod"},
		{"bad-clusters-empty.yaml",
		 ":1:1: clusters: expected a mapping of cluster names to their settings, got an empty mapping"},
		{"bad-clusters-value.yaml", ":3:26: cluster prod: docker.timeout_ms: must be at least 1, got 0"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_config c;
		struct sd_error err = {""};
		const char *path = fixture(cases[i].file);
		char want[600];
		snprintf(want, sizeof(want), "%s%s", path, cases[i].error);
		if (sd_config_load(path, &c, &err) == 0)
			fail_msg("%s: loaded, want \"%s\"", cases[i].file, want);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, err.text, want);
		/* a failed load leaves nothing to free, and freeing again is harmless */
		assert_null(c.path);
		sd_config_free(&c);
	}
	struct sd_config c;
	struct sd_error err;
	assert_int_equal(sd_config_load("/nonexistent/swarmdeck.yaml", &c, &err), -1);
	assert_string_equal(err.text, "/nonexistent/swarmdeck.yaml: No such file or directory");
}

static void test_config_default_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/sd-config-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[256], file[512];
	snprintf(sub, sizeof(sub), "%s/swarmdeck", dir);
	snprintf(file, sizeof(file), "%s/config.yaml", sub);

	setenv("SWARMDECK_CONFIG", "/etc/lab/config.yaml", 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	char *path = sd_config_default_path();
	assert_string_equal(path, "/etc/lab/config.yaml");
	free(path);

	unsetenv("SWARMDECK_CONFIG");
	assert_null(sd_config_default_path()); /* no file there yet */
	assert_int_equal(mkdir(sub, 0700), 0);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	path = sd_config_default_path();
	assert_string_equal(path, file);
	free(path);

	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", dir, 1);
	assert_null(sd_config_default_path()); /* ~/.config/swarmdeck/config.yaml is absent */

	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* ---- keymaps ---- */
static bool bound(const struct sd_keymap *k, const char *action)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->bindings[i].action->name, action) == 0)
			return true;
	return false;
}

static void expect_binding(const struct sd_keymap *k, enum sd_scope scope, const char *key,
			   const char *action)
{
	const struct sd_action *got = sd_keymap_lookup(k, scope, sd_key_from_name(key));
	if (!got || strcmp(got->name, action) != 0)
		fail_msg("%s: %s in %s is %s, want %s", k->source, key, sd_scope_name(scope),
			 got ? got->name : "unbound", action);
}

static void test_keymap_default(void **state)
{
	(void)state;
	struct sd_keymap k;
	struct sd_error err = {""};
	if (sd_keymap_load(NULL, sd_action_find, &k, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(k.source, "default");
	for (const char *const *a = contract_actions; *a; a++)
		if (!bound(&k, *a))
			fail_msg("the default keymap does not bind %s", *a);
	for (size_t i = 0; i < k.n; i++)
		assert_ptr_equal(sd_action_find(k.bindings[i].action->name), k.bindings[i].action);

	/* the card's verbs, by pane */
	expect_binding(&k, SD_SCOPE_SERVICES, "s", "service.scale");
	expect_binding(&k, SD_SCOPE_NODES, "d", "node.drain");
	expect_binding(&k, SD_SCOPE_NODES, "p", "node.promote");
	expect_binding(&k, SD_SCOPE_POSTGRES, "p", "pg.promote");
	expect_binding(&k, SD_SCOPE_REDIS, "p", "redis.failover");
	expect_binding(&k, SD_SCOPE_SERVICES, "r", "service.rollback");
	expect_binding(&k, SD_SCOPE_BACKUPS, "b", "backup.take");
	expect_binding(&k, SD_SCOPE_GENERIC, "1", "focus.nodes");
	expect_binding(&k, SD_SCOPE_GENERIC, "2", "focus.services");
	expect_binding(&k, SD_SCOPE_GENERIC, "3", "focus.tasks");
	expect_binding(&k, SD_SCOPE_GENERIC, "4", "focus.postgres");
	expect_binding(&k, SD_SCOPE_GENERIC, "5", "focus.redis");
	expect_binding(&k, SD_SCOPE_GENERIC, "6", "focus.backups");
	expect_binding(&k, SD_SCOPE_TASKS, "?", "help");
	expect_binding(&k, SD_SCOPE_REDIS, "q", "quit");
	expect_binding(&k, SD_SCOPE_NODES, "/", "filter");
	expect_binding(&k, SD_SCOPE_GENERIC, "<Tab>", "focus.next");
	expect_binding(&k, SD_SCOPE_GENERIC, "<S-Tab>", "focus.prev");
	expect_binding(&k, SD_SCOPE_GENERIC, "<Enter>", "open");
	expect_binding(&k, SD_SCOPE_GENERIC, "<Esc>", "back");
	/* the pane's map first, then generic; nothing elsewhere */
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_SERVICES, 'p'));
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_GENERIC, 'p'));
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_GENERIC, SD_KEY_F0 + 12));
	/* a terminal's raw Enter finds <Enter> */
	assert_ptr_equal(sd_keymap_lookup(&k, SD_SCOPE_NODES, '\r'), sd_action_get(SD_ACTION_OPEN));
	sd_keymap_free(&k);
	assert_null(k.bindings);

	/* "default" by name is the same */
	assert_int_equal(sd_keymap_load("default", sd_action_find, &k, &err), 0);
	sd_keymap_free(&k);
}

/* Every shipped keymap loads, binds every action, and lists as the saved copy says. */
static void test_keymap_shipped(void **state)
{
	(void)state;
	const char *const *names = sd_embedded_names("keymaps");
	size_t count = 0;
	size_t cap = 65536, len = 0;
	char *listing = malloc(cap);
	assert_non_null(listing);
	listing[0] = '\0';
	for (; names[count]; count++) {
		struct sd_keymap k;
		struct sd_error err = {""};
		if (sd_keymap_load(names[count], sd_action_find, &k, &err) < 0)
			fail_msg("keymap %s: %s", names[count], err.text);
		for (const char *const *a = contract_actions; *a; a++)
			if (!bound(&k, *a))
				fail_msg("keymap %s does not bind %s", names[count], *a);
		for (const struct sd_action *const *a = sd_actions(); *a; a++)
			if (!bound(&k, (*a)->name))
				fail_msg("keymap %s does not bind %s", names[count], (*a)->name);
		len += (size_t)snprintf(listing + len, cap - len, "# keymaps/%s.yaml\n",
					names[count]);
		for (size_t i = 0; i < k.n; i++) {
			char key[16];
			len += (size_t)snprintf(listing + len, cap - len, "%s\t%s\t%s\n",
						sd_scope_name(k.bindings[i].scope),
						sd_key_name(k.bindings[i].key, key, sizeof(key)),
						k.bindings[i].action->name);
			assert_true(len < cap);
		}
		sd_keymap_free(&k);
	}
	assert_true(count >= 2);
	bool found_vim = false;
	for (size_t i = 0; i < count; i++)
		found_vim = found_vim || strcmp(names[i], "vim") == 0;
	assert_true(found_vim);

	const char *golden = fixture("keymaps.txt");
	if (getenv("SD_UPDATE_GOLDEN")) {
		FILE *f = fopen(golden, "w");
		assert_non_null(f);
		fputs(listing, f);
		fclose(f);
	}
	FILE *f = fopen(golden, "r");
	if (!f)
		fail_msg("%s missing: run with SD_UPDATE_GOLDEN=1 to write it", golden);
	char *saved = calloc(1, cap);
	assert_non_null(saved);
	size_t got = fread(saved, 1, cap - 1, f);
	fclose(f);
	saved[got] = '\0';
	if (strcmp(saved, listing) != 0) {
		fprintf(stderr, "---- bindings now ----\n%s", listing);
		fail_msg("the shipped keymaps changed: compare with %s (SD_UPDATE_GOLDEN=1 "
			 "rewrites it)", golden);
	}
	free(saved);
	free(listing);
}

static void test_keymap_file(void **state)
{
	(void)state;
	struct sd_keymap k;
	struct sd_error err = {""};
	const char *path = fixture("keymap-good.yaml");
	if (sd_keymap_load(path, sd_action_find, &k, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(k.source, path);
	assert_int_equal(k.n, 8);
	expect_binding(&k, SD_SCOPE_GENERIC, "x", "quit");
	expect_binding(&k, SD_SCOPE_NODES, "x", "node.drain");
	expect_binding(&k, SD_SCOPE_SERVICES, "<C-r>", "refresh");
	expect_binding(&k, SD_SCOPE_GENERIC, "<Enter>", "open");
	expect_binding(&k, SD_SCOPE_GENERIC, "é", "help");
	expect_binding(&k, SD_SCOPE_GENERIC, "<lt>", "focus.prev");
	expect_binding(&k, SD_SCOPE_GENERIC, ">", "focus.next");
	expect_binding(&k, SD_SCOPE_GENERIC, " ", "page.down");
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_GENERIC, 'q'));
	assert_int_equal(k.bindings[1].line, 3);
	assert_int_equal(k.bindings[1].column, 3);
	sd_keymap_free(&k);
}

static void test_keymap_errors(void **state)
{
	(void)state;
	static const struct {
		const char *file, *error;
	} cases[] = {
		{"keymap-bad-scope.yaml", ":3:1: unknown scope 'node'"},
		{"keymap-bad-key.yaml", ":3:3: unknown key name '<Entr>' in generic"},
		{"keymap-bad-action.yaml", ":3:6: unknown action 'service.explode'"},
		{"keymap-twice.yaml", ":4:3: key <Enter> is bound twice in generic (lines 2 and 4)"},
		{"bad-syntax.yaml", ":3:9: "},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_keymap k;
		struct sd_error err = {""};
		const char *path = fixture(cases[i].file);
		char want[600];
		snprintf(want, sizeof(want), "%s%s", path, cases[i].error);
		if (sd_keymap_load(path, sd_action_find, &k, &err) == 0)
			fail_msg("%s: loaded, want \"%s\"", cases[i].file, want);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, err.text, want);
		assert_null(k.bindings);
		sd_keymap_free(&k);
	}
	struct sd_keymap k;
	struct sd_error err;
	assert_int_equal(sd_keymap_load("emacs", sd_action_find, &k, &err), -1);
	assert_string_equal(err.text, "unknown keymap 'emacs' (built in: default, vim; a file "
				      "needs a '/' or .yaml)");
	assert_int_equal(sd_keymap_load("missing.yaml", sd_action_find, &k, &err), -1);
	assert_string_equal(err.text, "missing.yaml: No such file or directory");
}

/* A binding's index in K, or -1. */
static long binding_index(const struct sd_keymap *k, enum sd_scope scope, const char *key)
{
	int code = sd_key_from_name(key);
	for (size_t i = 0; i < k->n; i++)
		if (k->bindings[i].scope == scope && k->bindings[i].key == code)
			return (long)i;
	return -1;
}

static void test_keymap_merge(void **state)
{
	(void)state;
	const char *path = fixture("keymap-user.yaml");
	const char *const bases[] = {"default", "vim"};
	for (size_t b = 0; b < 2; b++) {
		struct sd_keymap base, k;
		struct sd_error err = {""};
		assert_int_equal(sd_keymap_load(bases[b], sd_action_find, &base, &err), 0);
		assert_int_equal(sd_keymap_load(bases[b], sd_action_find, &k, &err), 0);
		assert_null(k.user_file);
		long drain_at = binding_index(&k, SD_SCOPE_NODES, "d");
		assert_true(drain_at >= 0);
		if (sd_keymap_merge(&k, path, sd_action_find, &err) < 0)
			fail_msg("%s", err.text);
		assert_string_equal(k.source, bases[b]);
		assert_string_equal(k.user_file, path);
		/* q and nodes' P unbound; Q, <C-q> and nodes' x added */
		assert_int_equal(k.n, base.n - 2 + 3);
		assert_null(sd_keymap_lookup(&k, SD_SCOPE_GENERIC, 'q'));
		assert_null(sd_keymap_lookup(&k, SD_SCOPE_NODES, 'q'));
		expect_binding(&k, SD_SCOPE_GENERIC, "Q", "quit");
		expect_binding(&k, SD_SCOPE_REDIS, "<C-q>", "quit");
		assert_null(sd_keymap_lookup(&k, SD_SCOPE_NODES, 'P'));
		expect_binding(&k, SD_SCOPE_NODES, "x", "node.drain");
		/* a replaced binding keeps its place and says where it now comes from */
		expect_binding(&k, SD_SCOPE_NODES, "d", "node.pause");
		assert_int_equal(binding_index(&k, SD_SCOPE_NODES, "d"), drain_at - 1);
		assert_int_equal(k.bindings[drain_at - 1].line, 8);
		assert_int_equal(k.bindings[drain_at - 1].column, 3);
		/* new keys come last, in the file's order */
		assert_int_equal(binding_index(&k, SD_SCOPE_GENERIC, "Q"), (long)k.n - 3);
		assert_int_equal(binding_index(&k, SD_SCOPE_GENERIC, "<C-q>"), (long)k.n - 2);
		assert_int_equal(binding_index(&k, SD_SCOPE_NODES, "x"), (long)k.n - 1);
		/* unbinding a key the scope does not bind changes nothing */
		assert_null(sd_keymap_lookup(&k, SD_SCOPE_SERVICES, 'p'));
		/* every other binding of the base is still there */
		for (size_t i = 0; i < base.n; i++) {
			const struct sd_binding *o = &base.bindings[i];
			if ((o->scope == SD_SCOPE_GENERIC && o->key == 'q') ||
			    (o->scope == SD_SCOPE_NODES && (o->key == 'P' || o->key == 'd')))
				continue;
			const struct sd_action *got = sd_keymap_lookup(&k, o->scope, o->key);
			char name[32];
			if (got != o->action)
				fail_msg("%s: %s %s lost its binding %s", bases[b],
					 sd_scope_name(o->scope), sd_key_name(o->key, name, sizeof(name)),
					 o->action->name);
		}
		/* merging the same file again changes nothing */
		assert_int_equal(sd_keymap_merge(&k, path, sd_action_find, &err), 0);
		assert_int_equal(k.n, base.n + 1);
		sd_keymap_free(&k);
		assert_null(k.user_file);
		sd_keymap_free(&base);
	}

	/* an empty file changes nothing */
	struct sd_keymap k;
	struct sd_error err = {""};
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &k, &err), 0);
	size_t n = k.n;
	assert_int_equal(sd_keymap_merge(&k, fixture("empty.yaml"), sd_action_find, &err), 0);
	assert_int_equal(k.n, n);
	sd_keymap_free(&k);
}

static void test_keymap_merge_pane_unbind(void **state)
{
	(void)state;
	char dir[] = "/tmp/sd-keymap-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[256];
	snprintf(file, sizeof(file), "%s/keymap.yaml", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	/* nodes binds j itself, then unbinds it: generic's j shows through again */
	fputs("nodes:\n  j: node.drain\n  b: none\ngeneric:\n  b: none\n", f);
	fclose(f);
	struct sd_keymap k;
	struct sd_error err = {""};
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &k, &err), 0);
	if (sd_keymap_merge(&k, file, sd_action_find, &err) < 0)
		fail_msg("%s", err.text);
	expect_binding(&k, SD_SCOPE_NODES, "j", "node.drain");
	expect_binding(&k, SD_SCOPE_SERVICES, "j", "cursor.down");
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_NODES, 'b'));
	assert_null(sd_keymap_lookup(&k, SD_SCOPE_BACKUPS, 'b'));
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("nodes:\n  j: none\n", f);
	fclose(f);
	assert_int_equal(sd_keymap_merge(&k, file, sd_action_find, &err), 0);
	expect_binding(&k, SD_SCOPE_NODES, "j", "cursor.down");
	sd_keymap_free(&k);
	unlink(file);
	rmdir(dir);
}

static void test_keymap_merge_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *error;
	} cases[] = {
		{"generic:\n  Q: quit\n  x: service.explode\n", ":3:6: unknown action 'service.explode'"},
		{"nodes:\n  <Entr>: open\n", ":2:3: unknown key name '<Entr>' in nodes"},
		{"generic:\n  q: none\nnode:\n  x: node.drain\n", ":3:1: unknown scope 'node'"},
		{"services:\n  <Enter>: open\n  <CR>: none\n",
		 ":3:3: key <Enter> is bound twice in services (lines 2 and 3)"},
		{"generic:\n  x: [quit]\n", ":2:6: generic: expected an action name for 'x' (or none), "
					  "got a list"},
		{"generic: quit\n", ":1:10: generic: expected a mapping of key: action, got a plain "
				    "value"},
		{"- generic\n", ":1:1: expected a mapping of scopes (generic, nodes, ...), got a list"},
		{"generic:\n  x: 'none\n", ":3:1: found unexpected end of stream"},
	};
	char dir[] = "/tmp/sd-keymap-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[256];
	snprintf(file, sizeof(file), "%s/keymap.yaml", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FILE *f = fopen(file, "w");
		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		struct sd_keymap k, base;
		struct sd_error err = {""};
		assert_int_equal(sd_keymap_load(NULL, sd_action_find, &k, &err), 0);
		assert_int_equal(sd_keymap_load(NULL, sd_action_find, &base, &err), 0);
		char want[600];
		snprintf(want, sizeof(want), "%s%s", file, cases[i].error);
		if (sd_keymap_merge(&k, file, sd_action_find, &err) == 0)
			fail_msg("case %zu: merged, want \"%s\"", i, want);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.text, want);
		/* nothing of the file was taken */
		assert_null(k.user_file);
		assert_int_equal(k.n, base.n);
		assert_memory_equal(k.bindings, base.bindings, k.n * sizeof(*k.bindings));
		sd_keymap_free(&k);
		sd_keymap_free(&base);
	}
	unlink(file);
	rmdir(dir);

	struct sd_keymap k;
	struct sd_error err = {""};
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &k, &err), 0);
	assert_int_equal(sd_keymap_merge(&k, "/nonexistent/keymap.yaml", sd_action_find, &err), -1);
	assert_string_equal(err.text, "/nonexistent/keymap.yaml: No such file or directory");
	sd_keymap_free(&k);
	/* none unbinds in a user's keymap only: a keymap named on its own binds every key */
	snprintf(file, sizeof(file), "%s", fixture("keymap-user.yaml"));
	assert_int_equal(sd_keymap_load(file, sd_action_find, &k, &err), -1);
	char want[600];
	snprintf(want, sizeof(want), "%s:4:6: unknown action 'none'", file);
	assert_string_equal(err.text, want);
}

static void test_keymap_user_path(void **state)
{
	(void)state;
	char dir[] = "/tmp/sd-keymap-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sub[256], file[512], home_sub[512], home_file[600];
	snprintf(sub, sizeof(sub), "%s/swarmdeck", dir);
	snprintf(file, sizeof(file), "%s/keymap.yaml", sub);
	snprintf(home_sub, sizeof(home_sub), "%s/.config", dir);
	snprintf(home_file, sizeof(home_file), "%s/.config/swarmdeck/keymap.yaml", dir);

	setenv("HOME", dir, 1);
	setenv("XDG_CONFIG_HOME", dir, 1);
	assert_null(sd_keymap_user_path()); /* no file there yet */
	assert_int_equal(mkdir(sub, 0700), 0);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	char *path = sd_keymap_user_path();
	assert_string_equal(path, file);
	free(path);

	/* without XDG_CONFIG_HOME (or with a relative one) it is ~/.config/swarmdeck/ */
	unsetenv("XDG_CONFIG_HOME");
	assert_null(sd_keymap_user_path());
	assert_int_equal(mkdir(home_sub, 0700), 0);
	char home_dir[560];
	snprintf(home_dir, sizeof(home_dir), "%s/swarmdeck", home_sub);
	assert_int_equal(mkdir(home_dir, 0700), 0);
	f = fopen(home_file, "w");
	assert_non_null(f);
	fclose(f);
	path = sd_keymap_user_path();
	assert_string_equal(path, home_file);
	free(path);
	setenv("XDG_CONFIG_HOME", "relative/config", 1);
	path = sd_keymap_user_path();
	assert_string_equal(path, home_file);
	free(path);
	unsetenv("XDG_CONFIG_HOME");

	unlink(home_file);
	rmdir(home_dir);
	rmdir(home_sub);
	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* ---- themes ---- */
static void expect_style(const struct sd_theme *t, enum sd_color_role role, int fg, int bg,
			 bool bold, bool underline, bool reverse, bool dim)
{
	const struct sd_style *s = &t->styles[role];
	if (s->fg != fg || s->bg != bg || s->bold != bold || s->underline != underline ||
	    s->reverse != reverse || s->dim != dim)
		fail_msg("%s: role %s is fg %d bg %d bold %d underline %d reverse %d dim %d",
			 t->source, sd_color_role_name(role), s->fg, s->bg, s->bold, s->underline,
			 s->reverse, s->dim);
}

static void test_theme_builtin(void **state)
{
	(void)state;
	struct sd_theme t;
	struct sd_error err = {""};
	if (sd_theme_load(NULL, &t, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(t.source, "default");
	expect_style(&t, SD_ROLE_DEFAULT, SD_COLOR_DEFAULT, SD_COLOR_DEFAULT, 0, 0, 0, 0);
	expect_style(&t, SD_ROLE_HEADER, 7, 4, 1, 0, 0, 0);
	expect_style(&t, SD_ROLE_OK, 2, SD_COLOR_DEFAULT, 0, 0, 0, 0);
	expect_style(&t, SD_ROLE_CRITICAL, 1, SD_COLOR_DEFAULT, 1, 0, 0, 0);
	sd_theme_free(&t);

	const char *const *names = sd_embedded_names("themes");
	static const char *const expected[] = {"default", "high-contrast", "monochrome",
					       "solarized-dark"};
	for (size_t i = 0; i < 4; i++) {
		bool found = false;
		for (const char *const *n = names; *n; n++)
			found = found || strcmp(*n, expected[i]) == 0;
		if (!found)
			fail_msg("theme %s is not built in", expected[i]);
	}
	for (const char *const *n = names; *n; n++) {
		if (sd_theme_load(*n, &t, &err) < 0)
			fail_msg("theme %s: %s", *n, err.text);
		assert_string_equal(t.source, *n);
		sd_theme_free(&t);
	}

	/* monochrome: attributes only, not one colour */
	assert_int_equal(sd_theme_load("monochrome", &t, &err), 0);
	for (int r = 0; r < SD_ROLE_COUNT; r++) {
		assert_int_equal(t.styles[r].fg, SD_COLOR_DEFAULT);
		assert_int_equal(t.styles[r].bg, SD_COLOR_DEFAULT);
	}
	expect_style(&t, SD_ROLE_CURSOR, SD_COLOR_DEFAULT, SD_COLOR_DEFAULT, 0, 0, 1, 0);
	sd_theme_free(&t);

	assert_int_equal(sd_theme_load("solarized-dark", &t, &err), 0);
	expect_style(&t, SD_ROLE_DEFAULT, 244, 234, 0, 0, 0, 0);
	sd_theme_free(&t);
	assert_int_equal(sd_theme_load("high-contrast", &t, &err), 0);
	expect_style(&t, SD_ROLE_OK, 10, 0, 1, 0, 0, 0);
	sd_theme_free(&t);

	assert_null(sd_embedded_names("nothing")[0]);
	size_t len = 0;
	assert_non_null(sd_embedded_file("keymaps/default.yaml", &len));
	assert_true(len > 0);
	assert_null(sd_embedded_file("keymaps/none.yaml", &len));
}

static void test_theme_file(void **state)
{
	(void)state;
	struct sd_theme t;
	struct sd_error err = {""};
	const char *path = fixture("theme-good.yaml");
	if (sd_theme_load(path, &t, &err) < 0)
		fail_msg("%s", err.text);
	assert_string_equal(t.source, path);
	expect_style(&t, SD_ROLE_HEADER, 11, 17, 1, 0, 0, 0);
	expect_style(&t, SD_ROLE_OK, SD_COLOR_RGB | 0x00ff7f, SD_COLOR_DEFAULT, 0, 1, 0, 0);
	expect_style(&t, SD_ROLE_CRITICAL, SD_COLOR_DEFAULT, SD_COLOR_DEFAULT, 0, 0, 1, 0);
	/* roles the file leaves out are the default theme's */
	expect_style(&t, SD_ROLE_TITLE, 6, SD_COLOR_DEFAULT, 1, 0, 0, 0);
	expect_style(&t, SD_ROLE_WARNING, 3, SD_COLOR_DEFAULT, 1, 0, 0, 0);
	sd_theme_free(&t);
	assert_null(t.source);
}

static void test_theme_errors(void **state)
{
	(void)state;
	static const struct {
		const char *file, *error;
	} cases[] = {
		{"theme-bad-role.yaml", ":2:1: unknown role 'sucess'"},
		{"theme-bad-color.yaml", ":3:7: unknown colour 'purple'"},
		{"theme-unquoted-hex.yaml",
		 ":2:6: ok.fg: missing colour (quote \"#rrggbb\": an unquoted # starts a YAML "
		 "comment)"},
		{"theme-bad-attribute.yaml", ":1:21: unknown key 'blink' in title"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_theme t;
		struct sd_error err = {""};
		const char *path = fixture(cases[i].file);
		char want[600];
		snprintf(want, sizeof(want), "%s%s", path, cases[i].error);
		if (sd_theme_load(path, &t, &err) == 0)
			fail_msg("%s: loaded, want \"%s\"", cases[i].file, want);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, err.text, want);
		assert_null(t.source);
	}
	struct sd_theme t;
	struct sd_error err;
	assert_int_equal(sd_theme_load("rainbow", &t, &err), -1);
	assert_string_equal(err.text, "unknown theme 'rainbow' (built in: default, high-contrast, "
				      "monochrome, solarized-dark; a file needs a '/' or .yaml)");
}

int main(void)
{
	/* no user's environment leaks into the defaults under test */
	unsetenv("SWARMDECK_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_positions),
		cmocka_unit_test(test_yaml_errors),
		cmocka_unit_test(test_yaml_many_keys),
		cmocka_unit_test(test_key_names),
		cmocka_unit_test(test_keys_parse),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_clusters),
		cmocka_unit_test(test_config_default_path),
		cmocka_unit_test(test_keymap_default),
		cmocka_unit_test(test_keymap_shipped),
		cmocka_unit_test(test_keymap_file),
		cmocka_unit_test(test_keymap_errors),
		cmocka_unit_test(test_keymap_merge),
		cmocka_unit_test(test_keymap_merge_pane_unbind),
		cmocka_unit_test(test_keymap_merge_errors),
		cmocka_unit_test(test_keymap_user_path),
		cmocka_unit_test(test_theme_builtin),
		cmocka_unit_test(test_theme_file),
		cmocka_unit_test(test_theme_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
