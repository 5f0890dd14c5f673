/* test_paths.c - where swarmdeck looks and writes (conf/paths.h): named themes and keymaps
 * from the user's folder, the built-ins and the installed data folder, in that order; the
 * state folder of the audit log under XDG_STATE_HOME or ~/.local/state. Every case runs in a
 * scratch folder of its own, with HOME and the XDG variables pointed into it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "audit.h"
#include "conf/config.h"
#include "conf/keymap.h"
#include "conf/paths.h"
#include "conf/theme.h"
#include "actions.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch[256];

static void write_file(const char *path, const char *text)
{
	char *dir = xstrdup(path);
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
	free(dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/sd-paths.XXXXXX");
	assert_non_null(mkdtemp(scratch));
	char *home = xasprintf("%s/home", scratch), *config = xasprintf("%s/config", scratch);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", config, 1);
	unsetenv("XDG_STATE_HOME");
	free(home);
	free(config);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", scratch);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

static void test_data_dir_is_the_installed_folder(void **state)
{
	(void)state;
	/* PREFIX/share/swarmdeck unless PKGDATADIR said otherwise: absolute either way */
	const char *dir = sd_data_dir();
	assert_non_null(dir);
	assert_true(dir[0] == '/');
}

/* user folder, then built in, then the data folder; nothing found anywhere: NULL */
static void test_named_lookup_order(void **state)
{
	(void)state;
	char *data = xasprintf("%s/share", scratch);
	char *site = xasprintf("%s/themes/corp.yaml", data);
	write_file(site, "ok: {fg: green}\n");
	bool builtin = true;
	char *found = sd_named_file("themes", "corp", data, &builtin);
	assert_false(builtin);
	assert_non_null(found);
	assert_string_equal(found, site);
	free(found);

	/* a built-in wins over the data folder's copy of it */
	char *copy = xasprintf("%s/themes/monochrome.yaml", data);
	write_file(copy, "ok: {fg: red}\n");
	found = sd_named_file("themes", "monochrome", data, &builtin);
	assert_null(found);
	assert_true(builtin);

	/* the user's own file wins over both */
	char *user = xasprintf("%s/config/swarmdeck/themes/monochrome.yaml", scratch);
	write_file(user, "ok: {fg: blue}\n");
	found = sd_named_file("themes", "monochrome", data, &builtin);
	assert_false(builtin);
	assert_non_null(found);
	assert_string_equal(found, user);
	free(found);

	found = sd_named_file("themes", "nowhere", data, &builtin);
	assert_null(found);
	assert_false(builtin);
	/* a folder of that name is not a file */
	char *folder = xasprintf("%s/config/swarmdeck/keymaps/odd.yaml/x", scratch);
	write_file(folder, "");
	*strrchr(folder, '/') = '\0';
	assert_null(sd_named_file("keymaps", "odd", data, &builtin));
	free(folder);
	free(data);
	free(site);
	free(copy);
	free(user);
}

/* without XDG_CONFIG_HOME the user folder is ~/.config/swarmdeck */
static void test_user_folder_falls_back_to_home(void **state)
{
	(void)state;
	unsetenv("XDG_CONFIG_HOME");
	char *user = xasprintf("%s/home/.config/swarmdeck/keymaps/mine.yaml", scratch);
	write_file(user, "generic:\n  Q: quit\n");
	bool builtin;
	char *found = sd_named_file("keymaps", "mine", NULL, &builtin);
	assert_non_null(found);
	assert_string_equal(found, user);
	free(found);
	/* a relative XDG_CONFIG_HOME is ignored, as the XDG spec says */
	setenv("XDG_CONFIG_HOME", "relative/config", 1);
	found = sd_named_file("keymaps", "mine", NULL, &builtin);
	assert_non_null(found);
	assert_string_equal(found, user);
	free(found);
	free(user);
}

/* the loaders go through the lookup: the source is the file read, errors name it */
static void test_loaders_read_named_files(void **state)
{
	(void)state;
	char *theme_file = xasprintf("%s/config/swarmdeck/themes/night.yaml", scratch);
	write_file(theme_file, "ok: {fg: green}\n");
	struct sd_theme theme;
	struct sd_error err = {{0}};
	assert_int_equal(sd_theme_load("night", &theme, &err), 0);
	assert_string_equal(theme.source, theme_file);
	sd_theme_free(&theme);

	char *keymap_file = xasprintf("%s/config/swarmdeck/keymaps/mine.yaml", scratch);
	write_file(keymap_file, "generic:\n  Q: quit\n  q: no.such.action\n");
	struct sd_keymap keymap;
	assert_int_equal(sd_keymap_load("mine", sd_action_find, &keymap, &err), -1);
	char *where = xasprintf("%s:3:", keymap_file);
	assert_non_null(strstr(err.text, where));
	free(where);

	/* built-ins still load by name, and an unknown name says what there is */
	assert_int_equal(sd_keymap_load("vim", sd_action_find, &keymap, &err), 0);
	assert_string_equal(keymap.source, "vim");
	sd_keymap_free(&keymap);
	assert_int_equal(sd_theme_load("rainbow", &theme, &err), -1);
	assert_non_null(strstr(err.text, "unknown theme 'rainbow'"));
	free(theme_file);
	free(keymap_file);
}

static void test_state_folder(void **state)
{
	(void)state;
	char *expect = xasprintf("%s/home/.local/state/swarmdeck/audit.log", scratch);
	char *path = sd_audit_default_path();
	assert_string_equal(path, expect);
	free(path);
	struct sd_config config;
	struct sd_error err = {{0}};
	assert_int_equal(sd_config_load(NULL, &config, &err), 0);
	assert_string_equal(config.audit_log, expect);
	sd_config_free(&config);
	free(expect);

	setenv("XDG_STATE_HOME", "/var/tmp/sd-state", 1);
	path = sd_state_path("history");
	assert_string_equal(path, "/var/tmp/sd-state/swarmdeck/history");
	free(path);
	path = sd_audit_default_path();
	assert_string_equal(path, "/var/tmp/sd-state/swarmdeck/audit.log");
	free(path);
	setenv("XDG_STATE_HOME", "state", 1); /* relative: ignored */
	expect = xasprintf("%s/home/.local/state/swarmdeck/history", scratch);
	path = sd_state_path("history");
	assert_string_equal(path, expect);
	free(path);
	free(expect);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_dir_is_the_installed_folder),
		cmocka_unit_test_setup_teardown(test_named_lookup_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_folder_falls_back_to_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loaders_read_named_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_folder, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
