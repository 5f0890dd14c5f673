/* fuzz_drill.c - drill files (sd_drill_load) on any bytes: keys, conditions, durations,
 * marks and expect_screen patterns (bounded before regcomp, so -rss_limit_mb catches a
 * pattern that gets past the bound). A drill that loads has steps with text; a refusal
 * names the file. */
#include "fuzz.h"
#include "conf/drill.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".yaml");
	struct sd_drill drill;
	struct sd_error err = {""};
	if (sd_drill_load(path, &drill, &err) == 0) {
		FUZZ_ASSERT(drill.nsteps > 0 && drill.name, "a drill without steps or name");
		for (size_t i = 0; i < drill.nsteps; i++)
			FUZZ_ASSERT(drill.steps[i].text && drill.steps[i].line > 0,
				    "step %zu without text or line", i);
		sd_drill_free(&drill);
	} else {
		FUZZ_ASSERT(strncmp(err.text, path, strlen(path)) == 0, "error \"%s\"", err.text);
	}
	return 0;
}
