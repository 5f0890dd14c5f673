/* tui_keys.h - for the console's unit tests (after cmocka.h and ui.h): type TEXT (keys as a
 * keymap or drill writes them) into the console, each key handled, the newest snapshot taken
 * and the screen drawn, as the key loop does. */
#ifndef SD_TEST_TUI_KEYS_H
#define SD_TEST_TUI_KEYS_H

#include "conf/keys.h"
#include "ui.h"

static void keys(struct ui *ui, const char *text)
{
	int codes[64];
	size_t bad;
	int n = sd_keys_parse(text, codes, 64, &bad);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		ui_key(ui, codes[i]);
		ui_update(ui);
		ui_draw(ui);
	}
}

#endif
