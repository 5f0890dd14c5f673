/* test_tui_navigation.c - the console's navigation table against the registry: every
 * navigation entry gets the console's handler at start, and keys of the default keymap
 * reach them through the entries (cursor, focus, help, filter, open and back) on an
 * off-screen terminal, with a core that runs no pollers. Links the tui objects. */
#include "actions.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "conf/config.h"
#include "conf/keys.h"
#include "core.h"
#include "term.h"
#include "ui.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tui_keys.h"

static void test_every_navigation_entry_bound(void **state)
{
	(void)state;
	char err[256] = "";
	if (ui_bind_navigation(err, sizeof(err)) != 0)
		fail_msg("%s", err);
	size_t navigation = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++) {
		if ((*a)->mutates) {
			assert_false(sd_action_bound(*a));
		} else {
			navigation++;
			if (!sd_action_bound(*a))
				fail_msg("%s has no handler in the console", (*a)->name);
		}
	}
	assert_true(navigation >= 24); /* the contract's navigation entries at least */
}

static struct sd_swarm *make_swarm(void)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	static const char *const hosts[] = {"manager-1", "worker-1", "worker-2"};
	sw->nnodes = 3;
	sw->nodes = sd_arena_alloc(a, 4 * sizeof(struct sd_node));
	for (size_t i = 0; i < 3; i++) {
		struct sd_node *n = &sw->nodes[i];
		n->id = sd_arena_printf(a, "id-%s", hosts[i]);
		n->hostname = hosts[i];
		n->role = i == 0 ? "manager" : "worker";
		n->state = "ready";
		n->manager = i == 0 ? "leader" : "";
		n->availability = "active";
		n->engine = n->addr = n->message = "";
	}
	sw->managers = sw->managers_reachable = 1;
	sw->leader = "manager-1";
	static const char *const services[] = {"app_backend", "app_frontend", "app_worker"};
	sw->nservices = 3;
	sw->services = sd_services_new(a, 4);
	for (size_t i = 0; i < 3; i++) {
		struct sd_service *s = sw->services[i];
		s->id = sd_arena_printf(a, "sid-%s", services[i]);
		s->name = services[i];
		s->mode = "replicated";
		s->update_state = s->update_message = s->stack = s->image = "";
		s->desired = s->running = 2;
	}
	sw->engine_name = "manager-1";
	return sw;
}

static void test_keys_reach_handlers(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(ui_bind_navigation(err, sizeof(err)), 0);
	setenv("TERM", "xterm-256color", 1);
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "120", 1);
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	config.docker.host = (char *)"unix:///nonexistent/docker.sock";
	config.docker.timeout_ms = 200;
	config.docker.tls_verify = -1;
	config.interval = 2;
	config.scale_max = 10;
	char audit[128];
	snprintf(audit, sizeof(audit), "/tmp/sd-test-tui-%d/audit.log", (int)getpid());
	config.audit_log = audit;
	struct sd_theme theme;
	struct sd_keymap keymap;
	struct sd_error e;
	assert_int_equal(sd_theme_load(NULL, &theme, &e), 0);
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &keymap, &e), 0);
	struct sd_core *core = sd_core_new(&config, SD_MODE_LIVE, &e);
	assert_non_null(core);
	sd_core_put_swarm(core, make_swarm());
	bool utf8, color;
	assert_int_equal(term_start(true, &theme, &utf8, &color), 0);
	struct ui ui;
	ui_init(&ui, core, &config, &keymap, &theme);
	ui_update(&ui);
	ui_draw(&ui);

	assert_int_equal(ui.focus, PANE_SERVICES);
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_backend");
	keys(&ui, "jj");                               /* cursor.down twice */
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_worker");
	keys(&ui, "k");                                /* cursor.up */
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_frontend");
	keys(&ui, "g");                                /* cursor.top */
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_backend");
	keys(&ui, "G");                                /* cursor.bottom */
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_worker");
	keys(&ui, "1");                                /* focus.nodes */
	assert_int_equal(ui.focus, PANE_NODES);
	keys(&ui, "<Tab>");                            /* focus.next */
	assert_int_equal(ui.focus, PANE_SERVICES);
	keys(&ui, "?");                                /* help opens ... */
	assert_int_equal(ui.mode, UI_HELP);
	char *screen = ui_screen_text();
	assert_non_null(strstr(screen, "cursor.down"));
	free(screen);
	keys(&ui, "jjk");                              /* ... scrolls ... */
	assert_int_equal(ui.help_top, 1);
	keys(&ui, "2");                                /* ... ignores focus ... */
	assert_int_equal(ui.mode, UI_HELP);
	keys(&ui, "<Esc>");                            /* ... and closes */
	assert_int_equal(ui.mode, UI_NORMAL);
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_worker");
	keys(&ui, "/front<Enter>");                    /* filter */
	assert_string_equal(ui.views[PANE_SERVICES].filter, "front");
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "sid-app_frontend");
	keys(&ui, "<Esc>");                            /* back clears the filter */
	assert_string_equal(ui.views[PANE_SERVICES].filter, "");
	keys(&ui, "<Enter>");                          /* open: the service's tasks */
	assert_int_equal(ui.focus, PANE_TASKS);
	keys(&ui, "<Esc>");                            /* back to where it was opened */
	assert_int_equal(ui.focus, PANE_SERVICES);
	keys(&ui, "q");                                /* quit */
	assert_true(ui.quit);

	ui_free(&ui);
	term_stop();
	sd_core_free(core);
	sd_keymap_free(&keymap);
	sd_theme_free(&theme);
	unlink(audit);
	*strrchr(audit, '/') = '\0';
	rmdir(audit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_navigation_entry_bound),
		cmocka_unit_test(test_keys_reach_handlers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
