/* test_tui_fleet.c - a console over several clusters: a core per cluster of a `clusters:`
 * config (read_only ones in watch mode), the fleet view's line per cluster, the JSON of
 * --once over all of them, and the keys that switch clusters (pane 0's open, cluster.switch's
 * chooser) on an off-screen terminal, with cores fed by sd_core_put_swarm. Every change
 * names its cluster: the question and the audit line. */
#include "actions.h"
#include "audit.h"
#include "conf/config.h"
#include "conf/keymap.h"
#include "conf/keys.h"
#include "conf/theme.h"
#include "core.h"
#include "fleet.h"
#include "model/snapjson.h"
#include "term.h"
#include "ui.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui_keys.h"
#include <jansson.h>

static char dir[128];

/* NODES nodes (the first DOWN of them down) with one manager, SERVICES services (the first
 * DEGRADED of them short of a replica). */
static struct sd_swarm *make_swarm(size_t nodes, size_t down, size_t services, size_t degraded)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	sw->nnodes = nodes;
	sw->nodes = sd_arena_alloc(a, nodes * sizeof(struct sd_node));
	for (size_t i = 0; i < nodes; i++) {
		struct sd_node *n = &sw->nodes[i];
		n->id = sd_arena_printf(a, "id-node-%zu", i);
		n->hostname = sd_arena_printf(a, "node-%zu", i);
		n->role = i == nodes - 1 ? "manager" : "worker";
		n->state = i < down ? "down" : "ready";
		n->manager = i == nodes - 1 ? "leader" : "";
		n->availability = "active";
		n->engine = n->addr = n->message = "";
	}
	sw->managers = sw->managers_reachable = 1;
	sw->leader = sw->engine_name = sw->nodes[nodes - 1].hostname;
	sw->nservices = services;
	sw->services = sd_services_new(a, services);
	for (size_t i = 0; i < services; i++) {
		struct sd_service *s = sw->services[i];
		s->id = sd_arena_printf(a, "sid-%zu", i);
		s->name = sd_arena_printf(a, "app_%zu", i);
		s->mode = "replicated";
		s->update_state = s->update_message = s->stack = s->image = "";
		s->desired = 2;
		s->running = i < degraded ? 1 : 2;
	}
	return sw;
}

static void write_config(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "interval: 1\naudit_log: %s/audit.log\ntimeline: {path: %s/timeline.jsonl}\n"
		   "clusters:\n"
		   "  lab:\n    protected: true\n    docker: {host: unix:///nonexistent/lab.sock, timeout_ms: 200}\n"
		   "  beta:\n    docker: {host: unix:///nonexistent/beta.sock, timeout_ms: 200}\n"
		   "  watch:\n    read_only: true\n    docker: {host: unix:///nonexistent/w.sock, timeout_ms: 200}\n",
		dir, dir);
	fclose(f);
}

/* Is TEXT on the screen? The screen is printed when that is not what WANT says. */
static bool on_screen(const char *text, bool want)
{
	char *screen = ui_screen_text();
	bool found = strstr(screen, text) != NULL;
	if (found != want)
		print_message("screen %s \"%s\":\n%s\n", want ? "without" : "with", text, screen);
	free(screen);
	return found;
}
#define screen_has(text) on_screen(text, true)
#define screen_lacks(text) !on_screen(text, false)

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sd-test-fleet-%d", (int)getpid());
	mkdir(dir, 0700);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_fleet_cores_and_lines(void **state)
{
	(void)state;
	char path[256];
	snprintf(path, sizeof(path), "%s/fleet.yaml", dir);
	write_config(path);
	struct sd_config config;
	struct sd_error e;
	if (sd_config_load(path, &config, &e) != 0)
		fail_msg("%s", e.text);
	struct sd_fleet *fleet = sd_fleet_new(&config, SD_MODE_LIVE, 1, &e);
	assert_non_null(fleet);
	assert_int_equal(sd_fleet_count(fleet), 3);
	assert_int_equal(sd_fleet_shown(fleet), 1);
	assert_string_equal(sd_fleet_name(fleet, 2), "watch");
	assert_int_equal(sd_core_mode(sd_fleet_core(fleet, 0)), SD_MODE_LIVE);
	assert_int_equal(sd_core_mode(sd_fleet_core(fleet, 2)), SD_MODE_WATCH); /* read_only */

	sd_core_put_swarm(sd_fleet_core(fleet, 0), make_swarm(5, 1, 4, 2));
	sd_core_put_swarm(sd_fleet_core(fleet, 1), make_swarm(2, 0, 1, 0));
	struct sd_snapshot *lab = sd_core_snapshot(sd_fleet_core(fleet, 0));
	struct sd_fleet_line l;
	sd_fleet_summarize(lab, sd_fleet_config(fleet, 0), time(NULL), &l);
	assert_true(l.reachable);
	assert_int_equal(l.nodes, 5);
	assert_int_equal(l.nodes_down, 1);
	assert_int_equal(l.managers, 1);
	assert_true(l.quorum);
	assert_int_equal(l.services, 4);
	assert_int_equal(l.degraded, 2);
	assert_int_equal(l.updating, 0);
	assert_int_equal(l.worst_lag, -1);     /* no PostgreSQL section */
	assert_int_equal(l.ckquorum, -1);
	assert_int_equal(l.rpo_age, -1);
	assert_int_equal(l.alerts_firing, -1);
	/* a cluster never reached: nothing known */
	struct sd_snapshot *watch = sd_core_snapshot(sd_fleet_core(fleet, 2));
	sd_fleet_summarize(watch, sd_fleet_config(fleet, 2), time(NULL), &l);
	assert_false(l.reachable);
	assert_int_equal(l.nodes, -1);

	/* --once --json over all: keyed by name, the worst health */
	struct sd_snapshot *beta = sd_core_snapshot(sd_fleet_core(fleet, 1));
	struct sd_snapshot *snaps[] = {lab, beta, watch};
	const char *names[] = {"lab", "beta", "watch"};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(sd_fleet_write_json(names, snaps, 3, SD_CRITICAL, out), 0);
	fclose(out);
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	if (!root)
		fail_msg("not JSON (%s at %d:%d):\n%s", jerr.text, jerr.line, jerr.column, text);
	assert_string_equal(json_string_value(json_object_get(root, "health")), "CRITICAL");
	assert_true(json_is_string(json_object_get(root, "version")));
	assert_true(json_is_string(json_object_get(root, "time")));
	json_t *clusters = json_object_get(root, "clusters");
	assert_int_equal(json_object_size(clusters), 3);
	json_t *b = json_object_get(clusters, "beta");
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "cluster"), "name")),
			    "beta");
	assert_int_equal(json_array_size(json_object_get(b, "nodes")), 2);
	json_decref(root);
	free(text);
	sd_snapshot_unref(lab);
	sd_snapshot_unref(beta);
	sd_snapshot_unref(watch);
	sd_fleet_free(fleet);
	sd_config_free(&config);
}

static void test_switch_by_keys(void **state)
{
	(void)state;
	char err[256], path[256];
	assert_int_equal(ui_bind_navigation(err, sizeof(err)), 0);
	setenv("TERM", "xterm-256color", 1);
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "160", 1);
	snprintf(path, sizeof(path), "%s/fleet.yaml", dir);
	write_config(path);
	struct sd_config config;
	struct sd_theme theme;
	struct sd_keymap keymap;
	struct sd_error e;
	assert_int_equal(sd_config_load(path, &config, &e), 0);
	assert_int_equal(sd_theme_load(NULL, &theme, &e), 0);
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &keymap, &e), 0);
	struct sd_fleet *fleet = sd_fleet_new(&config, SD_MODE_LIVE, 0, &e);
	assert_non_null(fleet);
	sd_core_put_swarm(sd_fleet_core(fleet, 0), make_swarm(5, 0, 3, 0));
	sd_core_put_swarm(sd_fleet_core(fleet, 1), make_swarm(2, 0, 1, 1));
	bool utf8, color;
	assert_int_equal(term_start(true, &theme, &utf8, &color), 0);
	struct ui ui;
	ui_init(&ui, sd_fleet_core(fleet, 0), sd_fleet_config(fleet, 0), &keymap, &theme);
	ui_set_fleet(&ui, fleet);
	ui_update(&ui);
	ui_draw(&ui);
	assert_true(screen_has("cluster lab PROTECTED"));

	keys(&ui, "0");                                 /* focus.fleet: a line each */
	assert_int_equal(ui.focus, PANE_FLEET);
	assert_true(screen_has("0 Fleet (3)"));
	assert_true(screen_has("waiting"));             /* watch: not answered yet */
	assert_string_equal(ui_selected(&ui, PANE_FLEET), "lab");
	keys(&ui, "j<Enter>");                          /* open: beta on screen */
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 1));
	assert_ptr_equal(ui.config, sd_fleet_config(fleet, 1));
	assert_int_equal(sd_fleet_shown(fleet), 1);
	assert_int_equal(ui.focus, PANE_SERVICES);
	assert_true(screen_has("cluster beta"));
	assert_true(screen_lacks("PROTECTED"));
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-0");

	/* every change names its cluster: the question, and the audit line */
	struct sd_request req;
	assert_int_equal(sd_action_prepare(ui.core, sd_action_find("service.scale"), "sid-0", "3",
					   &req), 0);
	assert_string_equal(req.cluster, "beta");
	assert_true(strncmp(req.question, "cluster beta: ", 14) == 0);
	assert_int_equal(req.confirm, SD_CONFIRM_YES);
	char audit[256];
	snprintf(audit, sizeof(audit), "%s/audit.log", dir);
	assert_int_equal(sd_audit_append(audit, &req, "refused"), 0);
	json_error_t jerr;
	json_t *line = json_load_file(audit, 0, &jerr);
	assert_non_null(line);
	assert_string_equal(json_string_value(json_object_get(line, "cluster")), "beta");
	json_decref(line);

	keys(&ui, "Clab<Enter>");                       /* cluster.switch, the whole name */
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 0));
	assert_true(screen_has("cluster lab PROTECTED"));
	assert_int_equal(sd_action_prepare(ui.core, sd_action_find("service.scale"), "sid-0", "3",
					   &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_TYPE_NAME);  /* protected: the name typed */
	assert_true(strncmp(req.question, "PROTECTED cluster lab: ", 23) == 0);
	keys(&ui, "Cw<Enter>");                         /* a name's start */
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 2));
	assert_int_equal(ui.snap->mode, SD_MODE_WATCH);
	keys(&ui, "C<Enter>");                          /* Enter alone: the next, round */
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 0));
	keys(&ui, "Cgamma<Enter>");                     /* no such cluster: stays */
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 0));
	assert_true(screen_has("no cluster is named 'gamma'"));
	keys(&ui, "C");                                 /* Esc cancels the chooser */
	assert_int_equal(ui.mode, UI_CHOOSE);
	assert_true(screen_has("cluster (lab, beta, watch"));
	keys(&ui, "<Esc>");
	assert_int_equal(ui.mode, UI_NORMAL);
	assert_ptr_equal(ui.core, sd_fleet_core(fleet, 0));

	ui_free(&ui);
	term_stop();
	sd_fleet_free(fleet);
	sd_keymap_free(&keymap);
	sd_theme_free(&theme);
	sd_config_free(&config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fleet_cores_and_lines),
		cmocka_unit_test(test_switch_by_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
