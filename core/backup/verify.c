/* verify.c - verification: the checksum against the manifest, then a look inside
 * (pg_restore --list, the RDB header and redis-check-rdb, the JSON of an export); the
 * outcome is stored in the manifest. */

#include "backup/internal.h"
#include "backup/manifest.h"
#include "base/child.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <jansson.h>
#include <openssl/evp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* verification                                                                                */


/* Checksum PATH against M, then look inside (pg_restore --list, the RDB magic and
 * redis-check-rdb when installed, the JSON of an export). 0 when good; MESSAGE either way. */
static int check_backup(struct sd_backup_runner *r, const char *path, const struct sd_backup_manifest *m,
			char *message, size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sd_set_error(message, msglen, "cannot read %s: %s", base_name(path), strerror(errno));
		return -1;
	}
	struct stat st;
	int stat_rc = fstat(fd, &st);
	if (stat_rc < 0 || !S_ISREG(st.st_mode)) {
		sd_set_error(message, msglen, "cannot read %s: %s", base_name(path),
			     stat_rc < 0 ? strerror(errno) : "not a regular file");
		close(fd);
		return -1;
	}
	runner_restart(r, st.st_size);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		sd_set_error(message, msglen, "SHA-256 is not available");
		EVP_MD_CTX_free(md);
		close(fd);
		return -1;
	}
	char *buf = xmalloc(IO_BUFFER);
	long long total = 0;
	ssize_t got;
	char head[8] = "";
	while ((got = read(fd, buf, IO_BUFFER)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sd_set_error(message, msglen, "reading %s: %s", base_name(path), strerror(errno));
			free(buf);
			close(fd);
			EVP_MD_CTX_free(md);
			return -1;
		}
		if (total == 0)
			memcpy(head, buf, got < 8 ? (size_t)got : 8);
		EVP_DigestUpdate(md, buf, (size_t)got);
		total += got;
		runner_bytes(r, total, st.st_size);
	}
	free(buf);
	close(fd);
	char hex[65];
	sha256_hex(md, hex);
	EVP_MD_CTX_free(md);
	if (total != m->size) {
		sd_set_error(message, msglen, "size %lld differs from the manifest's %lld (sha256 %s)", total,
			m->size, hex);
		return -1;
	}
	if (strcasecmp(hex, m->sha256) != 0) {
		sd_set_error(message, msglen, "sha256 mismatch: file %s, manifest %s", hex, m->sha256);
		return -1;
	}
	if (!strcmp(m->kind, "postgres")) {
		const char *argv[] = {"pg_restore", "--list", path, NULL};
		char why[1024];
		if (sd_child_run(argv, NULL, NULL, why, sizeof(why)) < 0) {
			sd_set_error(message, msglen, "sha256 ok; %s", why);
			return -1;
		}
		sd_set_error(message, msglen, "sha256 ok, pg_restore --list ok");
	} else if (!strcmp(m->kind, "redis")) {
		if (memcmp(head, "REDIS", 5) != 0) {
			sd_set_error(message, msglen, "sha256 ok, but the file does not start like an RDB");
			return -1;
		}
		const char *argv[] = {"redis-check-rdb", path, NULL};
		char why[1024];
		if (sd_child_run(argv, NULL, NULL, why, sizeof(why)) < 0) {
			if (strstr(why, "not installed") || strstr(why, "No such file")) {
				sd_set_error(message, msglen, "sha256 ok, RDB header ok (redis-check-rdb not installed)");
				return 0;
			}
			sd_set_error(message, msglen, "sha256 ok; %s", why);
			return -1;
		}
		sd_set_error(message, msglen, "sha256 ok, redis-check-rdb ok");
	} else {
		json_error_t jerr;
		json_t *doc = json_load_file(path, 0, &jerr);
		bool ok = doc && json_is_array(json_object_get(doc, "services"));
		json_decref(doc);
		if (!ok) {
			sd_set_error(message, msglen, "sha256 ok, but not a Swarm export: %s", doc ? "no services" : jerr.text);
			return -1;
		}
		sd_set_error(message, msglen, "sha256 ok, JSON ok");
	}
	return 0;
}

/* Verify PATH and record the outcome in its manifest. */
int verify_path(struct sd_backup_runner *r, const char *path, char *result, size_t resultlen)
{
	char manifest_path[PATH_MAX + 32];
	snprintf(manifest_path, sizeof(manifest_path), "%s%s", path, MANIFEST_SUFFIX);
	struct sd_backup_manifest m;
	char err[512];
	if (sd_backup_manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "%s: %s", base_name(path), err);
		return -1;
	}
	char message[768];
	int rc = check_backup(r, path, &m, message, sizeof(message));
	strcpy(m.verified, rc == 0 ? "yes" : "failed");
	sd_strlcpy(m.verify_message, message, sizeof(m.verify_message));
	m.verified_at = time(NULL);
	if (sd_backup_manifest_write(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "%s: %s; and the manifest could not be updated: %s",
			base_name(path), message, err);
		return -1;
	}
	sd_set_error(result, resultlen, "%s %s: %s", base_name(path), rc == 0 ? "verified" : "FAILED verification",
		message);
	return rc;
}

int sd_backup_verify(struct sd_backup_runner *r, const char *file, char *result, size_t resultlen)
{
	char path[PATH_MAX];
	if (resolve_backup(r, file, path, sizeof(path), result, resultlen) < 0)
		return -1;
	/* a missing or unreadable manifest is a refusal, not a failed verification */
	char manifest_path[PATH_MAX + 32];
	snprintf(manifest_path, sizeof(manifest_path), "%s%s", path, MANIFEST_SUFFIX);
	struct sd_backup_manifest m;
	char err[512];
	if (sd_backup_manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "refused: %s", err);
		return -1;
	}
	char what[256];
	sd_set_error(what, sizeof(what), "verify %s", base_name(path));
	if (runner_begin(r, what, -1, false, result, resultlen) < 0)
		return -1;
	int rc = verify_path(r, path, result, resultlen);
	/* the part says "failed HH:MM:SSZ: verify NAME: WHY" */
	const char *why = strstr(result, ": ");
	runner_end(r, rc == 0 ? NULL : why ? why + 2 : result);
	return rc;
}

