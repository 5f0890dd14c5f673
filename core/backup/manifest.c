/* manifest.c - FILE.manifest.json beside each backup: kind, file, time, size, SHA-256,
 * source, database and the last verification. Written to a temporary file, fsync'd and
 * renamed over the old one. */

#include "backup/manifest.h"
#include "backup/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "model/snapjson.h"

#include <jansson.h>

#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The file name of PATH (after its last slash). */
const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The extension of a backup of KIND (postgres, redis, swarm); NULL for an unknown kind. */
const char *kind_extension(const char *kind)
{
	if (!strcmp(kind, "postgres"))
		return "dump";
	if (!strcmp(kind, "redis"))
		return "rdb";
	if (!strcmp(kind, "swarm"))
		return "json";
	return NULL;
}

#define MANIFEST_MAX (1 << 20)        /* bytes: a manifest is a few hundred */

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

/* A string field: absent or null gives "" unless REQUIRED; anything else but a string that
 * fits is refused. */
static int string_field(json_t *root, const char *key, bool required, char *out, size_t size,
			char *err, size_t errlen)
{
	out[0] = '\0';
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		sd_set_error(err, errlen, "%s: missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		sd_set_error(err, errlen, "%s: not a string", key);
		return -1;
	}
	if (json_string_length(v) >= size) {
		sd_set_error(err, errlen, "%s: longer than %zu bytes", key, size - 1);
		return -1;
	}
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	if (strlen(out) != json_string_length(v)) {
		sd_set_error(err, errlen, "%s: holds a NUL byte", key);
		return -1;
	}
	return 0;
}

static int time_field(json_t *root, const char *key, bool required, time_t *out, char *err,
		      size_t errlen)
{
	char text[64];
	*out = 0;
	if (string_field(root, key, required, text, sizeof(text), err, errlen) < 0)
		return -1;
	if (!text[0] && !required)
		return 0;
	if (parse_time(text, out) < 0) {
		sd_set_error(err, errlen, "%s: not a time like 2024-01-31T23:59:00Z", key);
		return -1;
	}
	return 0;
}

int sd_backup_manifest_parse(const char *text, size_t len, struct sd_backup_manifest *m,
			     char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	json_error_t jerr;
	json_t *root = text ? json_loadb(text, len, 0, &jerr) : NULL;
	if (!root) {
		if (text)
			sd_set_error(err, errlen, "not JSON: line %d column %d: %s", jerr.line,
				     jerr.column, jerr.text);
		else
			sd_set_error(err, errlen, "not JSON: no text");
		return -1;
	}
	int rc = -1;
	if (!json_is_object(root)) {
		sd_set_error(err, errlen, "not a JSON object");
		goto done;
	}
	if (string_field(root, "kind", true, m->kind, sizeof(m->kind), err, errlen) < 0)
		goto done;
	if (!kind_extension(m->kind)) {
		sd_set_error(err, errlen, "kind: '%s' is not postgres, redis or swarm", m->kind);
		goto done;
	}
	if (time_field(root, "time", true, &m->time, err, errlen) < 0)
		goto done;
	json_t *size = json_object_get(root, "size");
	if (!size) {
		sd_set_error(err, errlen, "size: missing");
		goto done;
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0) {
		sd_set_error(err, errlen, "size: not an integer of 0 or more");
		goto done;
	}
	m->size = json_integer_value(size);
	if (string_field(root, "sha256", true, m->sha256, sizeof(m->sha256), err, errlen) < 0)
		goto done;
	if (strlen(m->sha256) != 64 || strspn(m->sha256, "0123456789abcdefABCDEF") != 64) {
		sd_set_error(err, errlen, "sha256: not 64 hexadecimal digits");
		goto done;
	}
	if (string_field(root, "file", false, m->file, sizeof(m->file), err, errlen) < 0 ||
	    string_field(root, "source", false, m->source, sizeof(m->source), err, errlen) < 0 ||
	    string_field(root, "database", false, m->database, sizeof(m->database), err, errlen) < 0 ||
	    string_field(root, "verified", false, m->verified, sizeof(m->verified), err, errlen) < 0 ||
	    string_field(root, "verify_message", false, m->verify_message, sizeof(m->verify_message),
			 err, errlen) < 0 ||
	    time_field(root, "verified_at", false, &m->verified_at, err, errlen) < 0)
		goto done;
	if (strcmp(m->verified, "yes") && strcmp(m->verified, "failed"))
		strcpy(m->verified, "no");
	rc = 0;
done:
	json_decref(root);
	return rc;
}

int sd_backup_manifest_read(const char *path, struct sd_backup_manifest *m, char *err,
			    size_t errlen)
{
	memset(m, 0, sizeof(*m));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sd_set_error(err, errlen, "no manifest %s (%s): not a backup swarmdeck made", base_name(path),
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > MANIFEST_MAX) {
		sd_set_error(err, errlen, "%s: not a manifest (%s)", path,
			     S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size, len = 0;
	char *text = xmalloc(size + 1);
	while (len < size) {
		ssize_t n = read(fd, text + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	int saved = errno;
	close(fd);
	if (len < size) {
		sd_set_error(err, errlen, "%s: %s", path, len ? "cut short while reading" : strerror(saved));
		free(text);
		return -1;
	}
	char why[512];
	int rc = sd_backup_manifest_parse(text, len, m, why, sizeof(why));
	free(text);
	if (rc < 0)
		sd_set_error(err, errlen, "%s: %s", path, why);
	return rc;
}

/* Write M as PATH: a temporary file, fsync'd, renamed over PATH. */
int sd_backup_manifest_write(const char *path, const struct sd_backup_manifest *m, char *err,
			     size_t errlen)
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

