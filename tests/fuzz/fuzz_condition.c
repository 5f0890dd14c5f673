/* fuzz_condition.c - drill conditions: the first section of the input is a condition
 * (sd_condition_parse), the second a JSON document it is evaluated against
 * (sd_condition_eval), as a drill's until step does with the snapshot JSON. */
#include "fuzz.h"
#include "conf/drill.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[2];
	size_t lens[2];
	size_t n = fuzz_sections(data, size, parts, lens, 2);
	char *text = fuzz_string((const uint8_t *)parts[0], lens[0]);
	struct sd_condition cond;
	char err[256] = "";
	if (sd_condition_parse(text, &cond, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0], "refused without a message");
		free(text);
		return 0;
	}
	FUZZ_ASSERT(cond.path && cond.value, "parsed without path or value");
	json_t *root = n > 1 ? json_loadb(parts[1], lens[1], JSON_DECODE_ANY, NULL) : NULL;
	char actual[64];
	int holds = sd_condition_eval(&cond, root, actual, sizeof(actual));
	FUZZ_ASSERT(holds == 0 || holds == 1, "eval returned %d", holds);
	FUZZ_ASSERT(memchr(actual, '\0', sizeof(actual)), "actual not terminated");
	FUZZ_ASSERT(sd_condition_eval(&cond, root, NULL, 0) == holds, "eval differs without ACTUAL");
	json_decref(root);
	sd_condition_free(&cond);
	free(text);
	return 0;
}
