/* test_tui_stacks.c - the services pane grouped by stack and pane 8, by keys of the default
 * keymap on an off-screen terminal with a core that runs no pollers: t groups, open lists a
 * stack's services, back returns to the stack, a service action on a stack row is refused,
 * COLUMN:VALUE filters are exact, 8 shows the objects alone and Esc and Tab leave it.
 * Links the tui objects. */
#include "actions.h"
#include "backends/docker/docker.h"
#include "conf/config.h"
#include "conf/keymap.h"
#include "conf/keys.h"
#include "conf/theme.h"
#include "core.h"
#include "pane_services.h"
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

static const char services[] =
	"[{\"ID\":\"svc-b\",\"Spec\":{\"Name\":\"app_backend\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"},\"TaskTemplate\":{\"ContainerSpec\":"
	"{\"Image\":\"img\",\"Secrets\":[{\"SecretID\":\"s1\",\"SecretName\":\"app_db\"}]}},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":3}}},\"ServiceStatus\":{\"RunningTasks\":3}},"
	"{\"ID\":\"svc-f\",\"Spec\":{\"Name\":\"app_frontend\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":2}}},\"ServiceStatus\":{\"RunningTasks\":1}},"
	"{\"ID\":\"svc-m\",\"Spec\":{\"Name\":\"mon_agent\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"mon\"},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":1}}},\"ServiceStatus\":{\"RunningTasks\":1}},"
	"{\"ID\":\"svc-t\",\"Spec\":{\"Name\":\"tools\",\"Mode\":{\"Replicated\":{\"Replicas\":1}}},"
	"\"ServiceStatus\":{\"RunningTasks\":1}}]";
static const char secrets[] =
	"[{\"ID\":\"s1\",\"CreatedAt\":\"2026-11-20T10:00:00Z\",\"Spec\":{\"Name\":\"app_db\"}}]";

static bool on_screen(const char *text)
{
	char *screen = ui_screen_text();
	bool found = strstr(screen, text) != NULL;
	if (!found)
		print_message("not on screen: %s\n%s\n", text, screen);
	free(screen);
	return found;
}

static void test_stacks_and_objects_by_keys(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(ui_bind_navigation(err, sizeof(err)), 0);
	setenv("TERM", "xterm-256color", 1);
	setenv("LINES", "40", 1);
	setenv("COLUMNS", "160", 1);
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	config.docker.host = (char *)"unix:///nonexistent/docker.sock";
	config.docker.timeout_ms = 200;
	config.docker.tls_verify = -1;
	config.interval = 2;
	config.scale_max = 10;
	char audit[128];
	snprintf(audit, sizeof(audit), "/tmp/sd-test-stacks-%d/audit.log", (int)getpid());
	config.audit_log = audit;
	struct sd_theme theme;
	struct sd_keymap keymap;
	struct sd_error e;
	assert_int_equal(sd_theme_load(NULL, &theme, &e), 0);
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &keymap, &e), 0);
	struct sd_core *core = sd_core_new(&config, SD_MODE_LIVE, &e);
	assert_non_null(core);
	struct sd_docker_bodies b = {.services = services, .services_len = sizeof(services) - 1,
				     .secrets = secrets, .secrets_len = sizeof(secrets) - 1};
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), 0);
	sd_core_put_swarm(core, sw);
	bool utf8, color;
	assert_int_equal(term_start(true, &theme, &utf8, &color), 0);
	struct ui ui;
	ui_init(&ui, core, &config, &keymap, &theme);
	ui_update(&ui);
	ui_draw(&ui);

	keys(&ui, "2t");                          /* services.group */
	assert_true(services_grouped(&ui));
	assert_true(on_screen("2 Stacks (3)"));   /* app, mon and the loose one */
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "stack:app");
	assert_true(on_screen("degraded"));       /* app_frontend runs 1 of 2 */
	keys(&ui, "j");
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "stack:mon");
	keys(&ui, "<Enter>");                     /* open: the stack's services */
	assert_false(services_grouped(&ui));
	assert_string_equal(ui.views[PANE_SERVICES].filter, "stack:mon");
	assert_int_equal(ui.views[PANE_SERVICES].nrows, 1);
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "svc-m");
	assert_int_equal(ui.focus, PANE_SERVICES);
	keys(&ui, "<Esc>");                       /* back: the stacks, mon selected */
	assert_true(services_grouped(&ui));
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "stack:mon");
	keys(&ui, "G<Enter>");                    /* the services in no stack */
	assert_string_equal(ui.views[PANE_SERVICES].filter, "stack:-");
	assert_string_equal(ui_selected(&ui, PANE_SERVICES), "svc-t");
	keys(&ui, "<Esc>s");                      /* scale on a stack row: refused */
	assert_int_equal(ui.mode, UI_NORMAL);
	assert_int_equal(ui.submitted, 0);
	assert_true(on_screen("select a service"));
	keys(&ui, "<Esc>t");                      /* every service again */
	assert_false(services_grouped(&ui));
	keys(&ui, "/stack:app<Enter>");           /* COLUMN:VALUE, exact */
	assert_int_equal(ui.views[PANE_SERVICES].nrows, 2);
	keys(&ui, "/<C-u>STACK:APP<Enter>");      /* case aside */
	assert_int_equal(ui.views[PANE_SERVICES].nrows, 2);
	keys(&ui, "/<C-u>stack:ap<Enter>");       /* not a prefix */
	assert_int_equal(ui.views[PANE_SERVICES].nrows, 0);
	keys(&ui, "/<C-u>app_<Enter>");           /* any other filter: a substring */
	assert_int_equal(ui.views[PANE_SERVICES].nrows, 2);
	keys(&ui, "<Esc>8");                      /* focus.objects: alone on the body */
	assert_int_equal(ui.focus, PANE_OBJECTS);
	assert_true(on_screen("8 Objects (1)"));
	assert_true(on_screen("app_backend"));
	keys(&ui, "<Esc>");                       /* back to the pane it came from */
	assert_int_equal(ui.focus, PANE_SERVICES);
	keys(&ui, "8<Tab>");                      /* Tab passes it by */
	assert_int_equal(ui.focus, PANE_TASKS);

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
		cmocka_unit_test(test_stacks_and_objects_by_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
