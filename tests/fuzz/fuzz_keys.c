/* fuzz_keys.c - key names and key sequences (keys.h) on any text: sd_keys_parse counts what
 * it then stores, a refusal points inside the text, and every key read back through its
 * canonical name (sd_key_name, sd_key_from_name) is the same key. */
#include "fuzz.h"
#include "conf/keys.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	size_t len = strlen(text), bad = 0;
	int one = sd_key_from_name(text);
	char name[32];
	if (one != SD_KEY_NONE) {
		sd_key_name(one, name, sizeof(name));
		FUZZ_ASSERT(sd_key_from_name(name) == one, "'%s' -> %d -> '%s'", text, one, name);
	}
	int n = sd_keys_parse(text, NULL, 0, &bad);
	if (n < 0) {
		FUZZ_ASSERT(bad < len || (len == 0 && bad == 0), "bad_at %zu past %zu", bad, len);
	} else {
		int *keys = calloc((size_t)n + 1, sizeof(int));
		FUZZ_ASSERT(sd_keys_parse(text, keys, (size_t)n, &bad) == n, "count changed");
		for (int i = 0; i < n; i++) {
			sd_key_name(keys[i], name, sizeof(name));
			FUZZ_ASSERT(sd_key_from_name(name) == keys[i] ||
				    sd_key_from_name(name) == sd_key_normalize(keys[i]),
				    "key %d -> '%s' -> %d", keys[i], name, sd_key_from_name(name));
		}
		free(keys);
	}
	free(text);
	return 0;
}
