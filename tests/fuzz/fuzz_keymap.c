/* fuzz_keymap.c - keymap files on any bytes, both ways the program reads them: as the
 * keymap (sd_keymap_load) and as the user's keymap merged over the default one
 * (sd_keymap_merge, which must leave the keymap unchanged when it refuses). */
#include "fuzz.h"
#include "actions.h"
#include "conf/keymap.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".yaml");
	struct sd_keymap keymap;
	struct sd_error err = {""};
	if (sd_keymap_load(path, sd_action_find, &keymap, &err) == 0)
		sd_keymap_free(&keymap);
	else
		FUZZ_ASSERT(strncmp(err.text, path, strlen(path)) == 0, "error \"%s\"", err.text);

	struct sd_keymap base;
	FUZZ_ASSERT(sd_keymap_load(NULL, sd_action_find, &base, &err) == 0, "default keymap: %s", err.text);
	size_t before = base.n;
	if (sd_keymap_merge(&base, path, sd_action_find, &err) < 0) {
		FUZZ_ASSERT(strncmp(err.text, path, strlen(path)) == 0, "error \"%s\"", err.text);
		FUZZ_ASSERT(base.n == before, "a refused merge changed the keymap");
	}
	for (size_t i = 0; i < base.n; i++)
		FUZZ_ASSERT(base.bindings[i].action != NULL, "binding %zu without action", i);
	sd_keymap_free(&base);
	return 0;
}
