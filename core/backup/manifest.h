/* manifest.h - FILE.manifest.json, the manifest beside each backup: its kind, file, time,
 * size, SHA-256, source, database and the last verification.
 *
 * Contract. Reading is a read of the file and sd_backup_manifest_parse of its text; parsing
 * never trusts the text: a manifest that is not a JSON object, lacks kind, time, size or
 * sha256, or holds a field of the wrong type or length is refused with an error that names
 * the field ("size: not an integer"). Optional fields (file, source, database, verified,
 * verify_message, verified_at) may be absent or null. Writing goes to a temporary file,
 * fsync'd and renamed over the old one. */
#ifndef SD_BACKUP_MANIFEST_H
#define SD_BACKUP_MANIFEST_H

#include <stddef.h>
#include <time.h>

struct sd_backup_manifest {
	char kind[16];               /* postgres | redis | swarm */
	char file[256];
	time_t time;                 /* when the backup was taken (UTC) */
	long long size;              /* bytes */
	char sha256[65];             /* 64 hex digits */
	char source[128];            /* the member, master or engine it came from */
	char database[128];          /* dumps: the database; "" otherwise */
	char verified[8];            /* no | yes | failed */
	char verify_message[512];
	time_t verified_at;          /* 0: never */
};

/* Parse the LEN bytes of TEXT (need not end in NUL) into OUT. 0, or -1 with ERR naming the
 * field at fault (or the line and column when TEXT is not JSON). */
int sd_backup_manifest_parse(const char *text, size_t len, struct sd_backup_manifest *out,
			     char *err, size_t errlen);

/* Read the manifest at PATH: 0, or -1 with ERR ("PATH: FIELD: why"). */
int sd_backup_manifest_read(const char *path, struct sd_backup_manifest *m, char *err,
			    size_t errlen);
/* Write M as PATH: a temporary file, fsync'd, renamed over PATH. */
int sd_backup_manifest_write(const char *path, const struct sd_backup_manifest *m, char *err,
			     size_t errlen);

#endif
