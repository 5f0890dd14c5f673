/* manifest.h - FILE.manifest.json, the manifest beside each backup: its kind, file, time,
 * size, SHA-256, source, database and the last verification. */
#ifndef SD_BACKUP_MANIFEST_H
#define SD_BACKUP_MANIFEST_H

#include <stddef.h>
#include <time.h>

struct manifest {
	char kind[16];
	char file[256];
	time_t time;
	long long size;
	char sha256[65];
	char source[128];
	char database[128];
	char verified[8];            /* no | yes | failed */
	char verify_message[512];
	time_t verified_at;          /* 0: never */
};

int manifest_read(const char *path, struct manifest *m, char *err, size_t errlen);
/* Write M as PATH: a temporary file, fsync'd, renamed over PATH. */
int manifest_write(const char *path, const struct manifest *m, char *err, size_t errlen);

#endif
