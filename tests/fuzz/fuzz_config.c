/* fuzz_config.c - the configuration file reader (sd_config_load) on any bytes: no crash,
 * leak or sanitizer report, and a refusal always names the file. */
#include "fuzz.h"
#include "conf/config.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size, ".yaml");
	struct sd_config config;
	struct sd_error err = {""};
	if (sd_config_load(path, &config, &err) == 0)
		sd_config_free(&config);
	else
		FUZZ_ASSERT(strncmp(err.text, path, strlen(path)) == 0, "error \"%s\"", err.text);
	return 0;
}
