/* fuzz_manifest.c - backup manifests (FILE.manifest.json) read by the backup module's own
 * reader (sd_backup_manifest_parse) on any bytes: 0 or -1, a refusal always says why, and
 * a manifest that reads has a known kind and a 64-digit SHA-256. Built once
 * core/backup/manifest.h declares the reader (the Makefile looks for it). */
#include "fuzz.h"
#include "backup/manifest.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_backup_manifest m;
	char err[512] = "";
	int rc = sd_backup_manifest_parse((const char *)data, size, &m, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1, "returned %d", rc);
	if (rc < 0)
		FUZZ_ASSERT(err[0], "refused without a message");
	return 0;
}
