/* fuzz_theme.c - theme files (sd_theme_load) on any bytes: a theme that loads has every
 * colour in range; a refusal names the file. */
#include "fuzz.h"
#include "conf/theme.h"

#include <string.h>

static bool color_ok(int c)
{
	return c == SD_COLOR_DEFAULT || (c >= 0 && c <= 255) ||
	       (c & ~0xffffff) == SD_COLOR_RGB;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".yaml");
	struct sd_theme theme;
	struct sd_error err = {""};
	if (sd_theme_load(path, &theme, &err) == 0) {
		for (int i = 0; i < SD_ROLE_COUNT; i++)
			FUZZ_ASSERT(color_ok(theme.styles[i].fg) && color_ok(theme.styles[i].bg),
				    "role %d: fg %d bg %d", i, theme.styles[i].fg,
				    theme.styles[i].bg);
		sd_theme_free(&theme);
	} else {
		FUZZ_ASSERT(strncmp(err.text, path, strlen(path)) == 0, "error \"%s\"", err.text);
	}
	return 0;
}
