/* theme.h - themes: the colour roles of the console and their styles (see theme.c). */
#ifndef SD_THEME_H
#define SD_THEME_H

#include "base/error.h"

#include <stdbool.h>

enum sd_color_role {
	SD_ROLE_DEFAULT = 0, SD_ROLE_HEADER, SD_ROLE_TITLE, SD_ROLE_TITLE_FOCUS, SD_ROLE_BORDER,
	SD_ROLE_COLUMN, SD_ROLE_CURSOR, SD_ROLE_OK, SD_ROLE_WARNING, SD_ROLE_CRITICAL,
	SD_ROLE_UNKNOWN, SD_ROLE_STALE, SD_ROLE_STATUS, SD_ROLE_DIALOG, SD_ROLE_DIALOG_BORDER,
	SD_ROLE_DRILL, SD_ROLE_WATCH, SD_ROLE_DIM,
	SD_ROLE_PROTECTED,      /* the header and borders of a protected cluster */
	SD_ROLE_COUNT
};
const char *sd_color_role_name(enum sd_color_role role);

#define SD_COLOR_DEFAULT (-1)          /* terminal default */
#define SD_COLOR_RGB 0x1000000         /* SD_COLOR_RGB | 0xrrggbb */

struct sd_style {
	int fg, bg;                        /* 0..255, SD_COLOR_DEFAULT, or SD_COLOR_RGB | rgb */
	bool bold, underline, reverse, dim;
};

struct sd_theme {
	char *source;
	struct sd_style styles[SD_ROLE_COUNT];
};

/* NAME_OR_FILE as for keymaps (built in: default, high-contrast, monochrome, ...).
 * Unknown roles and colours are errors. */
int sd_theme_load(const char *name_or_file, struct sd_theme *theme, struct sd_error *err);
void sd_theme_free(struct sd_theme *theme);

#endif
