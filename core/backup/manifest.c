/* manifest.c - FILE.manifest.json beside each backup: kind, file, time, size, SHA-256,
 * source, database and the last verification. Written to a temporary file, fsync'd and
 * renamed over the old one. */

#include "backup/manifest.h"
#include "backup/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "model/snapjson.h"
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* manifests                                                                                  */


static int parse_time(const char *text, time_t *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!text)
		return -1;
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static void copy_json_string(json_t *root, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(root, key));
	sd_strlcpy(out, s ? s : "", size);
}

int manifest_read(const char *path, struct manifest *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	struct stat st;
	if (stat(path, &st) < 0) {
		sd_set_error(err, errlen, "no manifest %s (%s): not a backup swarmdeck made", base_name(path),
			strerror(errno));
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		sd_set_error(err, errlen, "%s: %s (line %d)", path, jerr.text, jerr.line);
		return -1;
	}
	int rc = -1;
	if (!json_is_object(root)) {
		sd_set_error(err, errlen, "%s: not a JSON object", path);
		goto done;
	}
	copy_json_string(root, "kind", m->kind, sizeof(m->kind));
	copy_json_string(root, "file", m->file, sizeof(m->file));
	copy_json_string(root, "sha256", m->sha256, sizeof(m->sha256));
	copy_json_string(root, "source", m->source, sizeof(m->source));
	copy_json_string(root, "database", m->database, sizeof(m->database));
	copy_json_string(root, "verified", m->verified, sizeof(m->verified));
	copy_json_string(root, "verify_message", m->verify_message, sizeof(m->verify_message));
	json_t *size = json_object_get(root, "size");
	if (!kind_extension(m->kind) || !json_is_integer(size) || strlen(m->sha256) != 64 ||
	    parse_time(json_string_value(json_object_get(root, "time")), &m->time) < 0) {
		sd_set_error(err, errlen, "%s: kind, time, size or sha256 missing or malformed", path);
		goto done;
	}
	m->size = json_integer_value(size);
	if (strcmp(m->verified, "yes") && strcmp(m->verified, "failed"))
		strcpy(m->verified, "no");
	if (parse_time(json_string_value(json_object_get(root, "verified_at")), &m->verified_at) < 0)
		m->verified_at = 0;
	rc = 0;
done:
	json_decref(root);
	return rc;
}

/* Write M as PATH: a temporary file, fsync'd, renamed over PATH. */
int manifest_write(const char *path, const struct manifest *m, char *err, size_t errlen)
{
	char when[32], verified_at[32];
	json_t *root = json_object();
	json_object_set_new(root, "kind", json_string(m->kind));
	json_object_set_new(root, "file", json_string(m->file));
	json_object_set_new(root, "time", json_string(sd_time_rfc3339(m->time, when, sizeof(when))));
	json_object_set_new(root, "size", json_integer(m->size));
	json_object_set_new(root, "sha256", json_string(m->sha256));
	json_object_set_new(root, "source", json_string(m->source));
	json_object_set_new(root, "database", m->database[0] ? json_string(m->database) : json_null());
	json_object_set_new(root, "verified", json_string(m->verified[0] ? m->verified : "no"));
	json_object_set_new(root, "verify_message", json_string(m->verify_message));
	json_object_set_new(root, "verified_at", m->verified_at
		? json_string(sd_time_rfc3339(m->verified_at, verified_at, sizeof(verified_at)))
		: json_null());
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	char tmp[PATH_MAX];
	const char *name = base_name(path);
	snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp", (int)(name - path), path, name);
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		sd_set_error(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		free(text);
		return -1;
	}
	size_t len = strlen(text);
	text[len] = '\0';
	bool ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	int saved = errno;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		sd_set_error(err, errlen, "cannot write %s: %s", tmp, strerror(saved));
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		sd_set_error(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
	} else {
		rc = 0;
	}
	free(text);
	return rc;
}

