/* backup.c - backups of the stack: PostgreSQL dumps (pg_dump -Fc of the current primary),
 * Redis snapshots (BGSAVE on the master, the RDB copied out) and Swarm state (service specs,
 * nodes, networks, configs and secret names), each with a manifest beside it; verification,
 * retention and the restore of a PostgreSQL dump with the services scaled down.
 *
 * Files. A backup is written as ".NAME.partial" (mode 600), its SHA-256 computed while the
 * bytes go by, fsync'd, then renamed to NAME (never over an existing file) and its manifest
 * NAME.manifest.json written the same way. A backup that fails leaves nothing under a final
 * name. Names: KIND_YYYYMMDD_HHMMSS.EXT in UTC (postgres .dump, redis .rdb, swarm .json);
 * with several databases configured the dump also names its database
 * (postgres_YYYYMMDD_HHMMSS_DB.dump).
 *
 * PostgreSQL. pg_dump -Fc writes to a pipe; the dump goes from the pipe to the file with its
 * checksum in one pass. Written to a pipe, a custom-format dump has no data offsets in its
 * table of contents: pg_restore reads it front to back, which is what a full restore does
 * anyway. The connection goes to the member the snapshot calls primary, and libpq is told
 * target_session_attrs=read-write, so a member that has become a standby is refused by the
 * connection itself. The password stays in a password file (the member's passfile, or a
 * private one of mode 600 when the conninfo carried one): never on a command line.
 *
 * Redis. BGSAVE on the master, then INFO persistence until rdb_bgsave_in_progress:0 and
 * LASTSAVE has moved. The RDB is copied from the master's `dir`/`dbfilename` when this host
 * can read it (the same machine or a shared volume: the file must start with REDIS and be
 * no older than LASTSAVE); otherwise, or when CONFIG is disabled, it is streamed over the
 * replication protocol like `redis-cli --rdb` (REPLCONF rdb-only, SYNC): that snapshot is
 * the master's data at the moment of the transfer.
 *
 * Swarm. One JSON document: the stack's services (label com.docker.stack.namespace), the
 * nodes' role, availability and labels, swarm-scoped networks, configs, and of the secrets
 * only ID, Name and Labels.
 *
 * Progress (bytes, rate, percentage when the total is known, the restore's step) lives in
 * the runner under a mutex and goes into every part sd_backup_list makes. When an operation
 * fails, its reason stays in the part's `running` text ("failed ...") until the next one. */
#include "backup/backup.h"
#include "base/child.h"
#include "base/secret.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "model/snapjson.h"
#include "base/xalloc.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define IO_BUFFER (1 << 20)           /* reads, writes and the pipe from pg_dump */
#define MANIFEST_SUFFIX ".manifest.json"
#define PARTIAL_SUFFIX ".partial"
#define DUMP_IDLE_LIMIT 120.0          /* seconds without a byte from pg_dump: kill it */
#define LOCK_WAIT_MS 30000             /* pg_dump --lock-wait-timeout */
#define BGSAVE_LIMIT 1800.0            /* seconds a BGSAVE may take */
#define STREAM_IDLE_LIMIT 60.0         /* seconds without a byte from a SYNC transfer */
#define TASKS_STOP_LIMIT 90.0          /* seconds for the tasks of scaled-down services */

struct sd_backup_runner {
	const struct sd_config *config;
	struct sd_pg_backend *pg;
	struct sd_docker *docker;

	pthread_mutex_t lock;          /* everything below */
	bool busy;
	char what[192];                /* "postgres backup of app on pg-1" */
	char step[192];                /* restore: "step 3/5 pg_restore into app" */
	long long bytes, total;        /* total < 0: unknown */
	bool show_rate;
	double started;                /* monotonic seconds */
	char failure[768];             /* the last operation that failed, "" when it did not */
};

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                              */

/* Append to BUF (already a string) without overflowing. */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strnlen(buf, size);
	if (used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static void format_mb(long long bytes, char *buf, size_t size)
{
	double mb = (double)bytes / 1e6;
	if (mb < 1)
		snprintf(buf, size, "%.1f kB", (double)bytes / 1e3);
	else if (mb < 10)
		snprintf(buf, size, "%.2f MB", mb);
	else if (mb < 1000)
		snprintf(buf, size, "%.1f MB", mb);
	else
		snprintf(buf, size, "%.2f GB", mb / 1000);
}

/* Replace every occurrence of SECRET in TEXT by "***" (in place; never longer). */
static void scrub(char *text, const char *secret)
{
	if (!text || !secret || strlen(secret) < 3)
		return;
	size_t n = strlen(secret);
	char *p;
	while ((p = strstr(text, secret)) != NULL) {
		memcpy(p, "***", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

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

static const char *kind_extension(const char *kind)
{
	if (!strcmp(kind, "postgres"))
		return "dump";
	if (!strcmp(kind, "redis"))
		return "rdb";
	if (!strcmp(kind, "swarm"))
		return "json";
	return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* progress                                                                                   */

static int runner_begin(struct sd_backup_runner *r, const char *what, long long total,
			bool show_rate, char *err, size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	if (r->busy) {
		sd_set_error(err, errlen, "refused: %s is under way", r->what);
		pthread_mutex_unlock(&r->lock);
		return -1;
	}
	r->busy = true;
	sd_strlcpy(r->what, what, sizeof(r->what));
	r->step[0] = '\0';
	r->bytes = 0;
	r->total = total;
	r->show_rate = show_rate;
	r->started = sd_now();
	r->failure[0] = '\0';
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static void runner_what(struct sd_backup_runner *r, const char *what, long long total, bool rate)
{
	pthread_mutex_lock(&r->lock);
	sd_strlcpy(r->what, what, sizeof(r->what));
	r->step[0] = '\0';
	r->bytes = 0;
	r->total = total;
	r->show_rate = rate;
	r->started = sd_now();
	pthread_mutex_unlock(&r->lock);
}

static void runner_step(struct sd_backup_runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void runner_step(struct sd_backup_runner *r, const char *fmt, ...)
{
	pthread_mutex_lock(&r->lock);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->step, sizeof(r->step), fmt, ap);
	va_end(ap);
	r->bytes = 0;
	r->total = -1;
	r->show_rate = false;
	pthread_mutex_unlock(&r->lock);
}

/* Start counting bytes again (a new pass over a file), keeping the texts. */
static void runner_restart(struct sd_backup_runner *r, long long total)
{
	pthread_mutex_lock(&r->lock);
	r->bytes = 0;
	r->total = total;
	r->started = sd_now();
	pthread_mutex_unlock(&r->lock);
}

static void runner_bytes(struct sd_backup_runner *r, long long bytes, long long total)
{
	pthread_mutex_lock(&r->lock);
	r->bytes = bytes;
	if (total >= 0)
		r->total = total;
	pthread_mutex_unlock(&r->lock);
}

/* End the operation; FAILURE (may be NULL) is why it failed. */
static void runner_end(struct sd_backup_runner *r, const char *failure)
{
	pthread_mutex_lock(&r->lock);
	r->busy = false;
	r->failure[0] = '\0';
	if (failure && *failure) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%H:%M:%SZ", &tm);
		snprintf(r->failure, sizeof(r->failure), "failed %s: %s: %s", when, r->what, failure);
	}
	r->what[0] = r->step[0] = '\0';
	pthread_mutex_unlock(&r->lock);
}

/* The `running` text and progress of a part. */
static void runner_describe(struct sd_backup_runner *r, char *buf, size_t size, double *progress)
{
	pthread_mutex_lock(&r->lock);
	buf[0] = '\0';
	*progress = -1;
	if (r->busy) {
		snprintf(buf, size, "%s", r->what);
		if (r->step[0])
			append(buf, size, ": %s", r->step);
		if (r->bytes > 0 || r->show_rate) {
			char amount[32];
			format_mb(r->bytes, amount, sizeof(amount));
			append(buf, size, " %s", amount);
			if (r->total > 0)
				append(buf, size, " (%.0f%%)", 100.0 * (double)r->bytes / (double)r->total);
			double elapsed = sd_now() - r->started;
			if (r->show_rate && elapsed > 0.2)
				append(buf, size, " %.1f MB/s", (double)r->bytes / 1e6 / elapsed);
		}
		if (r->total > 0)
			*progress = (double)r->bytes / (double)r->total;
	} else if (r->failure[0]) {
		snprintf(buf, size, "%s", r->failure);
	}
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------------------------------ */
/* paths                                                                                      */

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		sd_set_error(err, errlen, "backup dir name too long");
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			sd_set_error(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		sd_set_error(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* FILE (a name in the backup dir, or a path whose folder is the backup dir) as a full path.
 * Anything else is refused: verify, delete and restore only touch the backup folder. */
static int resolve_backup(const struct sd_backup_runner *r, const char *file, char *path,
			  size_t size, char *err, size_t errlen)
{
	const char *dir = r->config->backup.dir;
	if (!file || !*file) {
		sd_set_error(err, errlen, "no backup file given");
		return -1;
	}
	const char *name = base_name(file);
	if (name != file) {
		size_t dlen = (size_t)(name - file) - 1;
		size_t want = strlen(dir);
		while (want > 1 && dir[want - 1] == '/')
			want--;
		if (dlen != want || strncmp(file, dir, dlen) != 0) {
			sd_set_error(err, errlen, "%s is not in the backup folder %s", file, dir);
			return -1;
		}
	}
	if (!*name || name[0] == '.' || ends_with(name, MANIFEST_SUFFIX)) {
		sd_set_error(err, errlen, "%s is not a backup file", file);
		return -1;
	}
	if (snprintf(path, size, "%s/%s", dir, name) >= (int)size) {
		sd_set_error(err, errlen, "backup path too long");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* manifests                                                                                  */

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

static void copy_json_string(json_t *root, const char *key, char *out, size_t size)
{
	const char *s = json_string_value(json_object_get(root, key));
	sd_strlcpy(out, s ? s : "", size);
}

static int manifest_read(const char *path, struct manifest *m, char *err, size_t errlen)
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
static int manifest_write(const char *path, const struct manifest *m, char *err, size_t errlen)
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

/* ------------------------------------------------------------------------------------------ */
/* output: a partial file with its SHA-256 computed on the way                                */

struct out {
	struct sd_backup_runner *runner;
	char dir[PATH_MAX];
	char name[256];              /* final name */
	char final[PATH_MAX + 256], partial[PATH_MAX + 256];
	int fd;
	EVP_MD_CTX *md;
	long long size, total;       /* total: expected size, -1 unknown */
	time_t time;
};

static void sha256_hex(EVP_MD_CTX *md, char hex[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(md, digest, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	hex[64] = '\0';
}

/* Choose the name (KIND_YYYYMMDD_HHMMSS[_SUFFIX].EXT, UTC) and open its partial file. */
static int out_open(struct out *o, struct sd_backup_runner *r, const char *kind,
		    const char *suffix, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->runner = r;
	o->total = -1;
	sd_strlcpy(o->dir, r->config->backup.dir, sizeof(o->dir));
	if (ensure_dir(o->dir, err, errlen) < 0)
		return -1;
	char clean[64] = "";
	for (size_t i = 0; suffix && suffix[i] && i < sizeof(clean) - 1; i++) {
		unsigned char c = (unsigned char)suffix[i];
		clean[i] = (char)(isalnum(c) || c == '-' || c == '.' ? c : '_');
		clean[i + 1] = '\0';
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		o->time = time(NULL);
		struct tm tm;
		gmtime_r(&o->time, &tm);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
		snprintf(o->name, sizeof(o->name), "%s_%s%s%s.%s", kind, stamp, clean[0] ? "_" : "",
			 clean, kind_extension(kind));
		snprintf(o->final, sizeof(o->final), "%s/%s", o->dir, o->name);
		sd_set_error(o->partial, sizeof(o->partial), "%s/.%s%s", o->dir, o->name, PARTIAL_SUFFIX);
		struct stat st;
		if (stat(o->final, &st) == 0) {
			sd_sleep(1.0);      /* another backup of this kind in this second */
			continue;
		}
		o->fd = open(o->partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (o->fd >= 0)
			break;
		if (errno != EEXIST) {
			sd_set_error(err, errlen, "cannot create %s: %s", o->partial, strerror(errno));
			return -1;
		}
		sd_sleep(1.0);
	}
	if (o->fd < 0) {
		sd_set_error(err, errlen, "cannot find a free name for a %s backup in %s", kind, o->dir);
		return -1;
	}
	o->md = EVP_MD_CTX_new();
	if (!o->md || EVP_DigestInit_ex(o->md, EVP_sha256(), NULL) != 1) {
		sd_set_error(err, errlen, "SHA-256 is not available");
		close(o->fd);
		unlink(o->partial);
		o->fd = -1;
		return -1;
	}
	return 0;
}

static int out_write(struct out *o, const void *data, size_t len, char *err, size_t errlen)
{
	const char *p = data;
	EVP_DigestUpdate(o->md, data, len);
	while (len > 0) {
		ssize_t n = write(o->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			sd_set_error(err, errlen, "writing %s: %s", o->partial, strerror(errno));
			return -1;
		}
		p += n;
		len -= (size_t)n;
		o->size += n;
	}
	runner_bytes(o->runner, o->size, o->total);
	return 0;
}

static void out_abort(struct out *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->partial[0])
		unlink(o->partial);
	EVP_MD_CTX_free(o->md);
	o->md = NULL;
}

/* fsync, rename to the final name (never over an existing file), write the manifest. */
static int out_commit(struct out *o, const char *kind, const char *source, const char *database,
		      char *err, size_t errlen)
{
	struct manifest m;
	memset(&m, 0, sizeof(m));
	sd_strlcpy(m.kind, kind, sizeof(m.kind));
	sd_strlcpy(m.file, o->name, sizeof(m.file));
	m.time = o->time;
	m.size = o->size;
	sha256_hex(o->md, m.sha256);
	sd_strlcpy(m.source, source ? source : "", sizeof(m.source));
	sd_strlcpy(m.database, database ? database : "", sizeof(m.database));
	strcpy(m.verified, "no");
	if (fsync(o->fd) < 0) {
		sd_set_error(err, errlen, "fsync %s: %s", o->partial, strerror(errno));
		out_abort(o);
		return -1;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		sd_set_error(err, errlen, "closing %s: %s", o->partial, strerror(errno));
		out_abort(o);
		return -1;
	}
	o->fd = -1;
	if (renameat2(AT_FDCWD, o->partial, AT_FDCWD, o->final, RENAME_NOREPLACE) < 0) {
		sd_set_error(err, errlen, "cannot rename %s to %s: %s", o->partial, o->name, strerror(errno));
		out_abort(o);
		return -1;
	}
	char manifest[PATH_MAX + 300];
	snprintf(manifest, sizeof(manifest), "%s%s", o->final, MANIFEST_SUFFIX);
	if (manifest_write(manifest, &m, err, errlen) < 0) {
		unlink(o->final);
		out_abort(o);
		return -1;
	}
	fsync_dir(o->dir);
	EVP_MD_CTX_free(o->md);
	o->md = NULL;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* PostgreSQL                                                                                  */

/* The primary of the snapshot: the reachable member with role primary (the newest timeline
 * if several say so). NULL with ERR when there is none. */
static const struct sd_pg_member *find_primary(const struct sd_snapshot *snap, char *err,
					       size_t errlen)
{
	if (!snap || !snap->pg) {
		sd_set_error(err, errlen, "no PostgreSQL state yet (is the postgres section configured?)");
		return NULL;
	}
	const struct sd_pg_member *best = NULL;
	bool tie = false;
	for (size_t i = 0; i < snap->pg->nmembers; i++) {
		const struct sd_pg_member *m = &snap->pg->members[i];
		if (!m->reachable || strcmp(m->role, "primary") != 0)
			continue;
		if (!best || m->timeline > best->timeline) {
			best = m;
			tie = false;
		} else if (m->timeline == best->timeline) {
			tie = true;
		}
	}
	if (!best) {
		sd_set_error(err, errlen, "no reachable primary in the snapshot (standbys are never used)");
		return NULL;
	}
	if (tie) {
		sd_set_error(err, errlen, "two members claim to be the primary on timeline %ld: refusing to choose",
			best->timeline);
		return NULL;
	}
	return best;
}

static void conninfo_append(char *buf, size_t size, const char *key, const char *value)
{
	append(buf, size, "%s%s='", buf[0] ? " " : "", key);
	for (const char *p = value; *p; p++)
		append(buf, size, "%s%c", (*p == '\'' || *p == '\\') ? "\\" : "", *p);
	append(buf, size, "'");
}

struct pg_target {
	char conninfo[4096];         /* for -d: no password in it */
	char passfile[PATH_MAX];     /* a private password file we made, or "" */
	char password[512];          /* to scrub from messages, "" when none */
};

static void pg_target_free(struct pg_target *t)
{
	if (t->passfile[0])
		unlink(t->passfile);
	memset(t->password, 0, sizeof(t->password));
	t->passfile[0] = '\0';
}

/* MEMBER's conninfo from the PostgreSQL backend, for DATABASE, refusing standbys at connect
 * time; SETTINGS (may be NULL) are added to its options ("-c lock_timeout=..."). A password
 * found in it goes to a private password file. */
static int pg_target_make(struct sd_backup_runner *r, const char *member, const char *database,
			  const char *purpose, const char *settings, struct pg_target *t,
			  char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (!r->pg) {
		sd_set_error(err, errlen, "PostgreSQL is not configured");
		return -1;
	}
	char *base = sd_pg_conninfo(r->pg, member);
	if (!base) {
		sd_set_error(err, errlen, "no conninfo for member %s", member);
		return -1;
	}
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(base, &perr);
	memset(base, 0, strlen(base));
	free(base);
	if (!opts) {
		/* not PERR: it may quote the string, password included */
		sd_set_error(err, errlen, "the conninfo of %s cannot be parsed", member);
		PQfreemem(perr);
		return -1;
	}
	static const char *const replaced[] = {"password", "dbname", "target_session_attrs",
					       "application_name", NULL};
	bool has_timeout = false, has_keepalive = false;
	char options[1024] = "";
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (!strcmp(o->keyword, "password"))
			sd_strlcpy(t->password, o->val, sizeof(t->password));
		if (settings && !strcmp(o->keyword, "options")) {
			sd_strlcpy(options, o->val, sizeof(options));
			continue;
		}
		bool skip = false;
		for (size_t i = 0; replaced[i]; i++)
			skip = skip || !strcmp(o->keyword, replaced[i]);
		if (skip)
			continue;
		has_timeout = has_timeout || !strcmp(o->keyword, "connect_timeout");
		has_keepalive = has_keepalive || !strncmp(o->keyword, "keepalives", 10);
		conninfo_append(t->conninfo, sizeof(t->conninfo), o->keyword, o->val);
	}
	PQconninfoFree(opts);
	conninfo_append(t->conninfo, sizeof(t->conninfo), "dbname", database);
	conninfo_append(t->conninfo, sizeof(t->conninfo), "target_session_attrs", "read-write");
	conninfo_append(t->conninfo, sizeof(t->conninfo), "application_name", purpose);
	if (settings) {
		append(options, sizeof(options), "%s%s", options[0] ? " " : "", settings);
		conninfo_append(t->conninfo, sizeof(t->conninfo), "options", options);
	}
	if (!has_timeout) {
		char v[32];
		snprintf(v, sizeof(v), "%ld", r->config->postgres.connect_timeout > 0
						      ? r->config->postgres.connect_timeout : 5);
		conninfo_append(t->conninfo, sizeof(t->conninfo), "connect_timeout", v);
	}
	if (!has_keepalive) {
		/* a member that dies or is cut off mid-dump is noticed in about 20 s */
		append(t->conninfo, sizeof(t->conninfo),
		       " keepalives=1 keepalives_idle=5 keepalives_interval=3 keepalives_count=3"
		       " tcp_user_timeout=20000");
	}
	if (t->password[0]) {
		const char *tmpdir = getenv("XDG_RUNTIME_DIR");
		if (!tmpdir || access(tmpdir, W_OK) != 0)
			tmpdir = "/tmp";
		snprintf(t->passfile, sizeof(t->passfile), "%s/swarmdeck-pgpass.XXXXXX", tmpdir);
		int fd = mkostemp(t->passfile, O_CLOEXEC);   /* mode 600 */
		if (fd < 0) {
			sd_set_error(err, errlen, "cannot make a private password file: %s", strerror(errno));
			t->passfile[0] = '\0';
			pg_target_free(t);
			return -1;
		}
		FILE *f = fdopen(fd, "w");
		fputs("*:*:*:*:", f);
		for (const char *p = t->password; *p; p++) {
			if (*p == ':' || *p == '\\')
				fputc('\\', f);
			fputc(*p, f);
		}
		fputc('\n', f);
		if (fclose(f) != 0) {
			sd_set_error(err, errlen, "cannot write a private password file");
			pg_target_free(t);
			return -1;
		}
		conninfo_append(t->conninfo, sizeof(t->conninfo), "passfile", t->passfile);
	}
	return 0;
}

static int take_postgres_one(struct sd_backup_runner *r, const struct sd_pg_member *primary,
			     const char *database, bool several, struct out *o, char *err,
			     size_t errlen)
{
	struct pg_target t;
	if (pg_target_make(r, primary->name, database, "swarmdeck-backup", NULL, &t, err, errlen) < 0)
		return -1;
	if (out_open(o, r, "postgres", several ? database : NULL, err, errlen) < 0) {
		pg_target_free(&t);
		return -1;
	}
	char lock_wait[64];
	snprintf(lock_wait, sizeof(lock_wait), "--lock-wait-timeout=%d", LOCK_WAIT_MS);
	const char *argv[] = {"pg_dump", "-Fc", lock_wait, "-d", t.conninfo, NULL};
	struct sd_child c;
	if (sd_child_start(&c, argv, SD_CHILD_STDOUT_PIPE, err, errlen) < 0) {
		out_abort(o);
		pg_target_free(&t);
		return -1;
	}
	char *buf = xmalloc(IO_BUFFER);
	double last_byte = sd_now();
	int rc = 0;
	char why[1536] = "";
	while (c.out_fd >= 0) {
		struct pollfd p[2] = {{.fd = c.out_fd, .events = POLLIN},
				      {.fd = c.err_fd, .events = POLLIN}};
		int n = poll(p, c.err_fd >= 0 ? 2 : 1, 1000);
		if (n < 0 && errno != EINTR) {
			sd_set_error(why, sizeof(why), "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n > 0 && c.err_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			sd_child_read_errors(&c);
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = read(c.out_fd, buf, IO_BUFFER);
			if (got < 0 && errno != EINTR && errno != EAGAIN) {
				sd_set_error(why, sizeof(why), "reading pg_dump's output: %s", strerror(errno));
				rc = -1;
				break;
			}
			if (got == 0)
				break;
			if (got > 0) {
				last_byte = sd_now();
				if (o->size == 0 && (got < 5 || memcmp(buf, "PGDMP", 5) != 0)) {
					sd_set_error(why, sizeof(why), "pg_dump wrote something that is not a custom-format dump");
					rc = -1;
					break;
				}
				if (out_write(o, buf, (size_t)got, why, sizeof(why)) < 0) {
					rc = -1;
					break;
				}
				/* small reads: let the pipe fill a little so reads stay large */
				if ((size_t)got < IO_BUFFER / 8)
					sd_sleep(0.002);
			}
		}
		if (sd_now() - last_byte > DUMP_IDLE_LIMIT) {
			sd_set_error(why, sizeof(why), "pg_dump wrote nothing for %.0f s (the primary does not answer)",
				DUMP_IDLE_LIMIT);
			rc = -1;
			break;
		}
	}
	free(buf);
	if (rc < 0)
		sd_child_kill(&c);
	char status[1536] = "";
	int exit_rc = sd_child_finish(&c, "pg_dump", status, sizeof(status));
	if (rc == 0 && exit_rc < 0) {
		sd_strlcpy(why, status, sizeof(why));
		rc = -1;
	}
	if (rc == 0 && o->size == 0) {
		sd_set_error(why, sizeof(why), "pg_dump wrote nothing");
		rc = -1;
	}
	if (rc < 0) {
		scrub(why, t.password);
		sd_set_error(err, errlen, "%s", why);
		out_abort(o);
		pg_target_free(&t);
		return -1;
	}
	pg_target_free(&t);
	return out_commit(o, "postgres", primary->name, database, err, errlen);
}

/* ------------------------------------------------------------------------------------------ */
/* Redis                                                                                       */

static int split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr)
		return -1;
	size_t n = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void redis_error(redisContext *c, const redisReply *reply, const char *what, char *err,
			size_t errlen)
{
	if (reply && reply->type == REDIS_REPLY_ERROR)
		sd_set_error(err, errlen, "%s: %s", what, reply->str);
	else if (c && c->err)
		sd_set_error(err, errlen, "%s: %s", what, c->errstr[0] ? c->errstr : "connection failed");
	else
		sd_set_error(err, errlen, "%s: unexpected reply", what);
}

static redisReply *redis_call(redisContext *c, const char *what, char *err, size_t errlen,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (!reply || reply->type == REDIS_REPLY_ERROR) {
		redis_error(c, reply, what, err, errlen);
		if (reply)
			freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

static long long info_number(const char *info, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = info; p && *p;) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static bool info_is(const char *info, const char *key, const char *value)
{
	size_t n = strlen(key), m = strlen(value);
	for (const char *p = info; p && *p;) {
		if (!strncmp(p, key, n) && p[n] == ':' && !strncmp(p + n + 1, value, m) &&
		    (p[n + 1 + m] == '\r' || p[n + 1 + m] == '\n' || !p[n + 1 + m]))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static long long reply_integer(redisReply *reply)
{
	long long v = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
	if (reply)
		freeReplyObject(reply);
	return v;
}

/* CONFIG GET NAME -> VALUE, or -1 (CONFIG renamed, disabled or denied). */
static int redis_config_get(redisContext *c, const char *name, char *value, size_t size)
{
	redisReply *reply = redisCommand(c, "CONFIG GET %s", name);
	int rc = -1;
	if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_STRING) {
		sd_strlcpy(value, reply->element[1]->str, size);
		rc = 0;
	}
	if (reply)
		freeReplyObject(reply);
	return rc;
}

/* A raw connection for the SYNC transfer. */
struct raw {
	int fd;
	char buf[65536];
	size_t off, len;
	double idle_limit;
};

static int raw_connect(struct raw *c, const char *host, int port, long timeout_ms, char *err,
		       size_t errlen)
{
	c->fd = -1;
	c->off = c->len = 0;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(host, service, &hints, &res);
	if (g != 0) {
		sd_set_error(err, errlen, "%s: %s", host, gai_strerror(g));
		return -1;
	}
	int last = 0;
	for (struct addrinfo *a = res; a && c->fd < 0; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (poll(&p, 1, (int)timeout_ms) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			last = soerr ? soerr : ETIMEDOUT;
			close(fd);
			continue;
		}
		c->fd = fd;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		sd_set_error(err, errlen, "connect %s:%d: %s", host, port, strerror(last ? last : ECONNREFUSED));
		return -1;
	}
	return 0;
}

static int raw_fill(struct raw *c, char *err, size_t errlen)
{
	if (c->off == c->len)
		c->off = c->len = 0;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int n = poll(&p, 1, (int)(c->idle_limit * 1000));
	if (n == 0) {
		sd_set_error(err, errlen, "the master sent nothing for %.0f s", c->idle_limit);
		return -1;
	}
	ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0) {
		sd_set_error(err, errlen, "the master closed the connection%s%s", got < 0 ? ": " : "",
			got < 0 ? strerror(errno) : "");
		return -1;
	}
	c->len += (size_t)got;
	return 0;
}

static int raw_send(struct raw *c, const char *data, size_t len, char *err, size_t errlen)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			poll(&p, 1, 1000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sd_set_error(err, errlen, "sending to the master: %s", strerror(errno));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One command as a RESP array. */
static int raw_command(struct raw *c, int argc, const char *const *argv, char *err,
		       size_t errlen)
{
	size_t size = 32;
	for (int i = 0; i < argc; i++)
		size += strlen(argv[i]) + 32;
	char *msg = xmalloc(size);
	int used = snprintf(msg, size, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		used += snprintf(msg + used, size - (size_t)used, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	int rc = raw_send(c, msg, (size_t)used, err, errlen);
	memset(msg, 0, size);
	free(msg);
	return rc;
}

/* A reply line without CRLF; bare "\n" keepalives before it are skipped. */
static int raw_line(struct raw *c, char *line, size_t size, char *err, size_t errlen)
{
	for (;;) {
		while (c->off < c->len && c->buf[c->off] == '\n')
			c->off++;
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl) {
			size_t n = (size_t)(nl - (c->buf + c->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(line, c->buf + c->off, n);
			line[n] = '\0';
			c->off = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->len == sizeof(c->buf) && c->off == 0) {
			sd_set_error(err, errlen, "reply line too long");
			return -1;
		}
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (raw_fill(c, err, errlen) < 0)
			return -1;
	}
}

/* The master's RDB over the replication protocol, into O. */
static int redis_stream(struct sd_backup_runner *r, const char *host, int port,
			const char *password, struct out *o, char *err, size_t errlen)
{
	struct raw c;
	c.idle_limit = STREAM_IDLE_LIMIT;
	long timeout = r->config->redis.timeout_ms > 0 ? r->config->redis.timeout_ms : 2000;
	if (raw_connect(&c, host, port, timeout, err, errlen) < 0)
		return -1;
	char line[256];
	int rc = -1;
	if (password && *password) {
		const char *argv[] = {"AUTH", password};
		if (raw_command(&c, 2, argv, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
			goto done;
		if (line[0] != '+') {
			sd_set_error(err, errlen, "AUTH refused: %s", line + (line[0] == '-'));
			goto done;
		}
	}
	/* Redis >= 7: only the RDB, then the master closes; older ones answer an error */
	const char *rdb_only[] = {"REPLCONF", "rdb-only", "1"};
	if (raw_command(&c, 3, rdb_only, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
		goto done;
	const char *sync[] = {"SYNC"};
	if (raw_command(&c, 1, sync, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
		goto done;
	if (line[0] == '-') {
		sd_set_error(err, errlen, "SYNC refused: %s", line + 1);
		goto done;
	}
	if (line[0] != '$') {
		sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
		goto done;
	}
	if (!strncmp(line, "$EOF:", 5)) {
		/* diskless: the payload ends with the 40-byte mark */
		char mark[41];
		if (strlen(line + 5) != 40) {
			sd_set_error(err, errlen, "SYNC: malformed EOF mark");
			goto done;
		}
		memcpy(mark, line + 5, 41);
		for (;;) {
			size_t have = c.len - c.off;
			if (have >= 40 && !memcmp(c.buf + c.len - 40, mark, 40)) {
				if (out_write(o, c.buf + c.off, have - 40, err, errlen) < 0)
					goto done;
				break;
			}
			if (have > 40) {
				if (out_write(o, c.buf + c.off, have - 40, err, errlen) < 0)
					goto done;
				memmove(c.buf, c.buf + c.len - 40, 40);
				c.off = 0;
				c.len = 40;
			} else if (c.off > 0) {
				memmove(c.buf, c.buf + c.off, have);
				c.off = 0;
				c.len = have;
			}
			if (raw_fill(&c, err, errlen) < 0)
				goto done;
		}
	} else {
		char *end;
		long long want = strtoll(line + 1, &end, 10);
		if (*end || want <= 0) {
			sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
			goto done;
		}
		o->total = want;
		while (o->size < want) {
			if (c.off == c.len && raw_fill(&c, err, errlen) < 0)
				goto done;
			size_t have = c.len - c.off;
			if ((long long)have > want - o->size)
				have = (size_t)(want - o->size);
			if (out_write(o, c.buf + c.off, have, err, errlen) < 0)
				goto done;
			c.off += have;
		}
	}
	rc = 0;
done:
	close(c.fd);
	return rc;
}

/* The RDB file at PATH if it is the master's fresh one (this host sees its folder). */
static int redis_open_local(const char *path, long long lastsave, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char magic[5];
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size < 9 ||
	    (long long)st->st_mtime < lastsave - 2 || pread(fd, magic, 5, 0) != 5 ||
	    memcmp(magic, "REDIS", 5) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int take_redis(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
		      char *how, size_t howlen, char *err, size_t errlen)
{
	const char *addr = snap && snap->redis ? snap->redis->master.addr : NULL;
	if (!addr || !*addr) {
		sd_set_error(err, errlen, "no Redis master in the snapshot (is the redis section configured?)");
		return -1;
	}
	char host[256];
	int port;
	if (split_addr(addr, host, sizeof(host), &port) < 0) {
		sd_set_error(err, errlen, "bad master address '%s'", addr);
		return -1;
	}
	char password[512] = "";
	if (r->config->redis.password_file &&
	    sd_secret_read(r->config->redis.password_file, password, sizeof(password), err, errlen) < 0)
		return -1;
	long timeout_ms = r->config->redis.timeout_ms > 0 ? r->config->redis.timeout_ms : 2000;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	int rc = -1;
	redisReply *reply = NULL;
	if (!c || c->err) {
		sd_set_error(err, errlen, "master %s: %s", addr, c ? c->errstr : "cannot connect");
		goto done;
	}
	redisSetTimeout(c, tv);
	if (password[0] && !(reply = redis_call(c, "AUTH", err, errlen, "AUTH %s", password)))
		goto done;
	freeReplyObject(reply);
	if (!(reply = redis_call(c, "INFO replication", err, errlen, "INFO replication")))
		goto done;
	bool master = reply->type == REDIS_REPLY_STRING && info_is(reply->str, "role", "master");
	freeReplyObject(reply);
	if (!master) {
		sd_set_error(err, errlen, "%s is not a master any more (the Sentinels' view is stale); try again",
			addr);
		goto done;
	}
	/* LASTSAVE has a resolution of one second: start in a second after the last save */
	long long before = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
	if (before < 0)
		goto done;
	if (!(reply = redis_call(c, "TIME", err, errlen, "TIME")))
		goto done;
	long long server_now = reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
					reply->element[0]->type == REDIS_REPLY_STRING
				? strtoll(reply->element[0]->str, NULL, 10) : 0;
	freeReplyObject(reply);
	if (server_now > 0 && server_now <= before)
		sd_sleep(1.1);
	runner_step(r, "BGSAVE on %s", addr);
	double start = sd_now();
	for (int attempt = 0;; attempt++) {
		reply = redisCommand(c, "BGSAVE");
		if (reply && reply->type != REDIS_REPLY_ERROR)
			break;
		bool busy = reply && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "in progress");
		if (!busy || attempt > 0 || sd_now() - start > BGSAVE_LIMIT) {
			redis_error(c, reply, "BGSAVE", err, errlen);
			goto done;
		}
		/* a save or an AOF rewrite is under way: wait for it, then ask for ours */
		freeReplyObject(reply);
		reply = NULL;
		for (;;) {
			redisReply *info = redis_call(c, "INFO persistence", err, errlen, "INFO persistence");
			if (!info)
				goto done;
			bool done_saving = info_number(info->str, "rdb_bgsave_in_progress") == 0 &&
					   info_number(info->str, "aof_rewrite_in_progress") <= 0;
			freeReplyObject(info);
			if (done_saving)
				break;
			if (sd_now() - start > BGSAVE_LIMIT) {
				sd_set_error(err, errlen, "a save on the master did not end in %.0f s", BGSAVE_LIMIT);
				goto done;
			}
			sd_sleep(0.25);
		}
		before = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
		sd_sleep(1.1);
	}
	freeReplyObject(reply);
	reply = NULL;
	long long lastsave = -1;
	for (;;) {
		redisReply *info = redis_call(c, "INFO persistence", err, errlen, "INFO persistence");
		if (!info)
			goto done;
		long long in_progress = info_number(info->str, "rdb_bgsave_in_progress");
		bool failed = info_is(info->str, "rdb_last_bgsave_status", "err");
		freeReplyObject(info);
		if (in_progress == 0) {
			lastsave = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
			if (lastsave > before)
				break;
			if (failed) {
				sd_set_error(err, errlen, "BGSAVE failed on the master (rdb_last_bgsave_status:err; see its log)");
				goto done;
			}
		}
		if (sd_now() - start > BGSAVE_LIMIT) {
			sd_set_error(err, errlen, "BGSAVE did not finish in %.0f s", BGSAVE_LIMIT);
			goto done;
		}
		sd_sleep(0.2);
	}
	/* the file: copied when this host sees the master's folder, else streamed */
	char dir[PATH_MAX] = "", name[256] = "", path[PATH_MAX + 260] = "";
	int fd = -1;
	struct stat st;
	if (redis_config_get(c, "dir", dir, sizeof(dir)) == 0 &&
	    redis_config_get(c, "dbfilename", name, sizeof(name)) == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = redis_open_local(path, lastsave, &st);
	}
	redisFree(c);
	c = NULL;
	if (fd >= 0) {
		runner_step(r, "copying %s", path);
		o->total = st.st_size;
		char *buf = xmalloc(IO_BUFFER);
		ssize_t got;
		rc = 0;
		while ((got = read(fd, buf, IO_BUFFER)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				sd_set_error(err, errlen, "reading %s: %s", path, strerror(errno));
				rc = -1;
				break;
			}
			if (out_write(o, buf, (size_t)got, err, errlen) < 0) {
				rc = -1;
				break;
			}
		}
		free(buf);
		close(fd);
		sd_set_error(how, howlen, "copied from %s", path);
	} else {
		runner_step(r, "streaming the RDB from %s", addr);
		char why[512] = "";
		rc = redis_stream(r, host, port, password, o, why, sizeof(why));
		if (rc < 0)
			sd_set_error(err, errlen, "the master's RDB %s%s is not readable on this host and streaming it failed: %s",
				path[0] ? path : "", path[0] ? "" : "(CONFIG GET refused)", why);
		else
			sd_set_error(how, howlen, "streamed over SYNC (%s not readable here)",
				 path[0] ? path : "the master's folder");
	}
	if (rc == 0 && (o->size < 9)) {
		sd_set_error(err, errlen, "the RDB is empty");
		rc = -1;
	}
done:
	if (c)
		redisFree(c);
	scrub(err, password);
	memset(password, 0, sizeof(password));
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Swarm                                                                                       */

static json_t *docker_json(struct sd_backup_runner *r, const char *path, const char *key,
			   const char *value, char *err, size_t errlen)
{
	size_t len = 0;
	char e[512] = "";
	char *body = key ? sd_docker_get_filtered(r->docker, path, key, value, &len, e, sizeof(e))
			 : sd_docker_get(r->docker, path, &len, e, sizeof(e));
	if (!body) {
		sd_set_error(err, errlen, "GET %s: %s", path, e);
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	free(body);
	if (!root || !json_is_array(root)) {
		sd_set_error(err, errlen, "GET %s: not a JSON list%s%s", path, root ? "" : ": ", root ? "" : jerr.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

static json_t *pick(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return v ? json_incref(v) : json_null();
}

static json_t *swarm_document(struct sd_backup_runner *r, const struct sd_snapshot *snap,
			      char *err, size_t errlen)
{
	const char *stack = r->config->backup.stack;
	char label[512] = "";
	if (stack && *stack)
		snprintf(label, sizeof(label), "com.docker.stack.namespace=%s", stack);
	json_t *services = NULL, *nodes = NULL, *networks = NULL, *configs = NULL, *secrets = NULL;
	json_t *doc = NULL;
	if (!(services = docker_json(r, "/services", label[0] ? "label" : NULL, label, err, errlen)) ||
	    !(nodes = docker_json(r, "/nodes", NULL, NULL, err, errlen)) ||
	    !(networks = docker_json(r, "/networks", NULL, NULL, err, errlen)) ||
	    !(configs = docker_json(r, "/configs", NULL, NULL, err, errlen)) ||
	    !(secrets = docker_json(r, "/secrets", NULL, NULL, err, errlen)))
		goto done;
	json_t *node_list = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(nodes, i, v) {
		json_t *spec = json_object_get(v, "Spec");
		json_t *desc = json_object_get(v, "Description");
		json_t *node = json_pack("{s:o s:o s:o s:o s:o}",
			"ID", pick(v, "ID"), "Hostname", pick(desc, "Hostname"),
			"Role", pick(spec, "Role"), "Availability", pick(spec, "Availability"),
			"Labels", pick(spec, "Labels"));
		if (json_object_get(spec, "Name"))
			json_object_set(node, "Name", json_object_get(spec, "Name"));
		json_array_append_new(node_list, node);
	}
	json_t *network_list = json_array();
	json_array_foreach(networks, i, v) {
		const char *scope = json_string_value(json_object_get(v, "Scope"));
		if (scope && !strcmp(scope, "swarm"))
			json_array_append(network_list, v);
	}
	/* secrets: names only. The API never returns values; Spec.Data is dropped all the same
	 * by keeping nothing but these three fields. */
	json_t *secret_list = json_array();
	json_array_foreach(secrets, i, v) {
		json_t *spec = json_object_get(v, "Spec");
		json_array_append_new(secret_list, json_pack("{s:o s:o s:o}", "ID", pick(v, "ID"),
			"Name", pick(spec, "Name"), "Labels", pick(spec, "Labels")));
	}
	char when[32];
	const char *engine = snap && snap->swarm && snap->swarm->engine_name && *snap->swarm->engine_name
		? snap->swarm->engine_name : sd_docker_host(r->docker);
	doc = json_pack("{s:s s:i s:s s:s s:o s:O s:o s:o s:O s:o}",
		"kind", "swarm", "format", 1, "time", sd_time_rfc3339(time(NULL), when, sizeof(when)),
		"engine", engine ? engine : "",
		"stack", stack && *stack ? json_string(stack) : json_null(),
		"services", services, "nodes", node_list, "networks", network_list,
		"configs", configs, "secrets", secret_list);
done:
	json_decref(services);
	json_decref(nodes);
	json_decref(networks);
	json_decref(configs);
	json_decref(secrets);
	return doc;
}

static int take_swarm(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
		      char *source, size_t sourcelen, char *err, size_t errlen)
{
	if (!r->docker) {
		sd_set_error(err, errlen, "no Docker engine configured");
		return -1;
	}
	runner_step(r, "reading services, nodes, networks, configs and secret names");
	json_t *doc = swarm_document(r, snap, err, errlen);
	if (!doc)
		return -1;
	const char *engine = json_string_value(json_object_get(doc, "engine"));
	sd_strlcpy(source, engine ? engine : "", sourcelen);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text) {
		sd_set_error(err, errlen, "cannot serialise the export");
		return -1;
	}
	size_t len = strlen(text);
	int rc = out_write(o, text, len, err, errlen);
	if (rc == 0)
		rc = out_write(o, "\n", 1, err, errlen);
	free(text);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* verification                                                                                */

struct restore_tick {
	struct sd_backup_runner *runner;
	const char *path;
	long long size;
	/* restores: a second session that watches pg_restore's for lock waits */
	PGconn *watch;
	double next_watch;
	char blocked[512];           /* why pg_restore was stopped, "" */
};

/* How far a child has read PATH: its position in /proc/PID/fdinfo. */
static void tick_file_position(void *user, pid_t pid)
{
	struct restore_tick *t = user;
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char link[PATH_MAX + 64], target[PATH_MAX];
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, t->path) != 0)
			continue;
		char info[PATH_MAX + 64];
		snprintf(info, sizeof(info), "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
		FILE *f = fopen(info, "re");
		long long pos = -1;
		if (f) {
			if (fscanf(f, "pos: %lld", &pos) != 1)
				pos = -1;
			fclose(f);
		}
		if (pos >= 0)
			runner_bytes(t->runner, pos, t->size);
		break;
	}
	closedir(d);
}

#define RESTORE_APP "swarmdeck-restore"
#define RESTORE_LOCK_LIMIT 60    /* seconds pg_restore may wait for a lock */

/* pg_restore sets lock_timeout = 0 itself (the archive says so), so a session holding a
 * table would keep the restore, and the services scaled down, waiting for ever: a second
 * session looks at pg_restore's and stops it after RESTORE_LOCK_LIMIT seconds on one lock,
 * naming who holds it. */
static void watch_locks(struct restore_tick *t, pid_t pid)
{
	if (!t->watch || t->blocked[0] || sd_now() < t->next_watch)
		return;
	t->next_watch = sd_now() + 2.0;
	static const char sql[] =
		"select extract(epoch from now() - a.query_start)::int, a.pid, "
		"  coalesce((select string_agg(coalesce(nullif(b.application_name, ''), b.usename, 'a session') "
		"     || ' (pid ' || b.pid || coalesce(', ' || host(b.client_addr), '') || ')', ', ') "
		"   from pg_stat_activity b where b.pid = any(pg_blocking_pids(a.pid))), 'another session') "
		"from pg_stat_activity a "
		"where a.application_name = '" RESTORE_APP "' and a.wait_event_type = 'Lock' "
		"order by 1 desc limit 1";
	PGresult *res = PQexec(t->watch, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    atol(PQgetvalue(res, 0, 0)) >= RESTORE_LOCK_LIMIT) {
		snprintf(t->blocked, sizeof(t->blocked),
			 "pg_restore waited %s s for a lock held by %s and was stopped",
			 PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
		kill(-pid, SIGKILL);
		/* and its session, so that its transaction rolls back now, not when the lock
		 * comes */
		char terminate[128];
		snprintf(terminate, sizeof(terminate), "select pg_terminate_backend(%ld)",
			 atol(PQgetvalue(res, 0, 1)));
		PQclear(PQexec(t->watch, terminate));
	}
	PQclear(res);
}

static void tick_restore(void *user, pid_t pid)
{
	tick_file_position(user, pid);
	watch_locks(user, pid);
}

/* Checksum PATH against M, then look inside (pg_restore --list, the RDB magic and
 * redis-check-rdb when installed, the JSON of an export). 0 when good; MESSAGE either way. */
static int check_backup(struct sd_backup_runner *r, const char *path, const struct manifest *m,
			char *message, size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sd_set_error(message, msglen, "cannot read %s: %s", base_name(path), strerror(errno));
		return -1;
	}
	struct stat st;
	fstat(fd, &st);
	runner_restart(r, st.st_size);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
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
static int verify_path(struct sd_backup_runner *r, const char *path, char *result, size_t resultlen)
{
	char manifest_path[PATH_MAX + 32];
	snprintf(manifest_path, sizeof(manifest_path), "%s%s", path, MANIFEST_SUFFIX);
	struct manifest m;
	char err[512];
	if (manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "%s: %s", base_name(path), err);
		return -1;
	}
	char message[768];
	int rc = check_backup(r, path, &m, message, sizeof(message));
	strcpy(m.verified, rc == 0 ? "yes" : "failed");
	sd_strlcpy(m.verify_message, message, sizeof(m.verify_message));
	m.verified_at = time(NULL);
	if (manifest_write(manifest_path, &m, err, sizeof(err)) < 0) {
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
	struct manifest m;
	char err[512];
	if (manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
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

/* ------------------------------------------------------------------------------------------ */
/* list and retention                                                                          */

struct entry {
	struct manifest m;
	char path[PATH_MAX];
	long long disk_size;
};

static int entry_newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->m.time != y->m.time)
		return x->m.time < y->m.time ? 1 : -1;
	return strcmp(y->m.file, x->m.file);
}

/* The backups of DIR (files with a readable manifest; partials never). */
static int scan(const char *dir, struct entry **out, size_t *count, char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;                /* made by the first backup */
		sd_set_error(err, errlen, "cannot read %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t n = 0, cap = 0;
	struct entry *list = NULL;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		if (name[0] == '.' || !ends_with(name, MANIFEST_SUFFIX))
			continue;
		size_t flen = strlen(name) - strlen(MANIFEST_SUFFIX);
		if (flen == 0 || flen >= sizeof(list->m.file))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			list = xrealloc(list, cap * sizeof(*list));
		}
		struct entry *x = &list[n];
		char mpath[PATH_MAX + 300];
		snprintf(mpath, sizeof(mpath), "%s/%s", dir, name);
		if (manifest_read(mpath, &x->m, NULL, 0) < 0)
			continue;
		snprintf(x->path, sizeof(x->path), "%s/%.*s", dir, (int)flen, name);
		struct stat st;
		if (stat(x->path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;                /* the manifest of a file that is gone */
		sd_strlcpy(x->m.file, base_name(x->path), sizeof(x->m.file));
		x->disk_size = st.st_size;
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof(*list), entry_newest_first);
	*out = list;
	*count = n;
	return 0;
}

int sd_backup_list(struct sd_backup_runner *r, struct sd_backups **out, char *err, size_t errlen)
{
	*out = NULL;
	struct entry *list;
	size_t n;
	if (scan(r->config->backup.dir, &list, &n, err, errlen) < 0)
		return -1;
	struct sd_backups *part = sd_part_new(sizeof(*part));
	struct sd_arena *a = part->part.arena;
	part->fetched_at = time(NULL);
	part->dir = sd_arena_strdup(a, r->config->backup.dir);
	part->items = sd_arena_alloc(a, (n ? n : 1) * sizeof(*part->items));
	part->nitems = n;
	for (size_t i = 0; i < n; i++) {
		const struct manifest *m = &list[i].m;
		struct sd_backup *b = &part->items[i];
		b->kind = sd_arena_strdup(a, m->kind);
		b->file = sd_arena_strdup(a, list[i].path);
		b->sha256 = sd_arena_strdup(a, m->sha256);
		b->time = m->time;
		b->size = m->size;
		b->verified = sd_arena_strdup(a, m->verified);
		b->verify_message = sd_arena_strdup(a, m->verify_message);
		b->verified_at = m->verified_at;
		b->source = sd_arena_strdup(a, m->source);
		b->database = sd_arena_strdup(a, m->database);
		if (list[i].disk_size != m->size) {
			/* cheap and telling: a file cut short or grown since the backup */
			b->verified = "failed";
			b->verify_message = sd_arena_printf(a, "%lld bytes on disk, %lld in the manifest",
							   list[i].disk_size, m->size);
		}
	}
	free(list);
	char running[1024];
	runner_describe(r, running, sizeof(running), &part->progress);
	part->running = sd_arena_strdup(a, running);
	*out = part;
	return 0;
}

/* Same kind, and for dumps the same database. */
static bool same_series(const struct manifest *a, const struct manifest *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->database, b->database);
}

char **sd_backup_expired(struct sd_backup_runner *r)
{
	struct entry *list;
	size_t n;
	char **result = xcalloc(1, sizeof(char *));
	if (scan(r->config->backup.dir, &list, &n, NULL, 0) < 0)
		return result;
	long days = r->config->backup.retention_days > 0 ? r->config->backup.retention_days : 7;
	time_t limit = time(NULL) - (time_t)days * 86400;
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (list[i].m.time >= limit)
			continue;
		bool newer_verified = false;
		/* newest first: the newer ones come before i */
		for (size_t j = 0; j < i && !newer_verified; j++)
			newer_verified = list[j].m.time > list[i].m.time &&
					 same_series(&list[j].m, &list[i].m) &&
					 !strcmp(list[j].m.verified, "yes") &&
					 list[j].disk_size == list[j].m.size;
		if (!newer_verified)
			continue;
		result = xrealloc(result, (count + 2) * sizeof(char *));
		result[count++] = xstrdup(list[i].path);
		result[count] = NULL;
	}
	free(list);
	return result;
}

int sd_backup_delete(struct sd_backup_runner *r, char **files, char *err, size_t errlen)
{
	int rc = 0;
	if (err && errlen)
		err[0] = '\0';
	for (size_t i = 0; files && files[i]; i++) {
		char path[PATH_MAX], manifest[PATH_MAX + 32], why[512];
		if (resolve_backup(r, files[i], path, sizeof(path), why, sizeof(why)) < 0) {
			sd_set_error(err, errlen, "%s", why);
			rc = -1;
			continue;
		}
		snprintf(manifest, sizeof(manifest), "%s%s", path, MANIFEST_SUFFIX);
		struct stat st;
		if (stat(manifest, &st) < 0) {
			sd_set_error(err, errlen, "%s: not a backup (no manifest)", base_name(path));
			rc = -1;
			continue;
		}
		/* the file first: a manifest alone is ignored by the list */
		if (unlink(path) < 0 && errno != ENOENT) {
			sd_set_error(err, errlen, "cannot delete %s: %s", path, strerror(errno));
			rc = -1;
			continue;
		}
		unlink(manifest);
	}
	fsync_dir(r->config->backup.dir);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* take                                                                                        */

int sd_backup_take(struct sd_backup_runner *r, const char *kind, const struct sd_snapshot *snap,
		   char *file, size_t filelen, char *err, size_t errlen)
{
	if (file && filelen)
		file[0] = '\0';
	if (!kind || !kind_extension(kind)) {
		sd_set_error(err, errlen, "unknown backup kind '%s' (postgres, redis or swarm)", kind ? kind : "");
		return -1;
	}
	char what[256], why[1024] = "", summary[1024] = "";
	const struct sd_pg_member *primary = NULL;
	size_t ndb = r->config->backup.ndatabases;
	if (!strcmp(kind, "postgres")) {
		if (!(primary = find_primary(snap, err, errlen)))
			return -1;
		if (ndb == 0) {
			sd_set_error(err, errlen, "no databases listed in backup.databases");
			return -1;
		}
		snprintf(what, sizeof(what), "postgres backup of %s%s on %s",
			 r->config->backup.databases[0], ndb > 1 ? "..." : "", primary->name);
	} else if (!strcmp(kind, "redis")) {
		snprintf(what, sizeof(what), "redis backup of %s",
			 snap && snap->redis && snap->redis->master.addr ? snap->redis->master.addr : "?");
	} else {
		snprintf(what, sizeof(what), "swarm export");
	}
	if (runner_begin(r, what, -1, true, err, errlen) < 0)
		return -1;
	double taking = 0, verifying = 0;     /* seconds */
	int rc = 0;
	size_t files = 0;
	long long bytes = 0;
	char first[PATH_MAX] = "", verify_notes[1024] = "";
	bool all_verified = true;
	for (size_t i = 0; rc == 0 && i < (primary ? ndb : 1); i++) {
		double file_started = sd_now();
		struct out o;
		char source[256] = "", how[PATH_MAX + 64] = "";
		if (primary) {
			const char *database = r->config->backup.databases[i];
			snprintf(what, sizeof(what), "postgres backup of %s on %s", database, primary->name);
			runner_what(r, what, -1, true);
			rc = take_postgres_one(r, primary, database, ndb > 1, &o, why, sizeof(why));
		} else {
			if (out_open(&o, r, kind, NULL, why, sizeof(why)) < 0) {
				rc = -1;
				break;
			}
			if (!strcmp(kind, "redis")) {
				rc = take_redis(r, snap, &o, how, sizeof(how), why, sizeof(why));
				if (rc == 0)
					sd_strlcpy(source, snap->redis->master.addr, sizeof(source));
			} else {
				rc = take_swarm(r, snap, &o, source, sizeof(source), why, sizeof(why));
			}
			if (rc == 0)
				rc = out_commit(&o, kind, source, NULL, why, sizeof(why));
			else
				out_abort(&o);
		}
		if (rc < 0)
			break;
		files++;
		bytes += o.size;
		if (!first[0])
			sd_strlcpy(first, o.final, sizeof(first));
		append(summary, sizeof(summary), "%s%s", summary[0] ? ", " : "", o.name);
		if (how[0])
			append(summary, sizeof(summary), " (%s)", how);
		/* a fresh backup is checked at once: checksum from disk and a look inside */
		double verify_started = sd_now();
		taking += verify_started - file_started;
		char vresult[1024];
		sd_set_error(what, sizeof(what), "verify %s", o.name);
		runner_what(r, what, -1, false);
		if (verify_path(r, o.final, vresult, sizeof(vresult)) < 0) {
			all_verified = false;
			append(verify_notes, sizeof(verify_notes), "; %s", vresult);
		}
		verifying += sd_now() - verify_started;
	}
	if (rc < 0) {
		sd_set_error(err, errlen, "%s failed: %s", kind, why);
		runner_end(r, why);
		return -1;
	}
	char amount[32];
	format_mb(bytes, amount, sizeof(amount));
	sd_set_error(err, errlen, "%s backup %s: %s in %.1f s (%.1f MB/s)%s%.1f s%s", kind, summary,
		amount, taking, taking > 0 ? (double)bytes / 1e6 / taking : 0.0,
		all_verified ? ", verified in " : ", verification took ", verifying, verify_notes);
	/* retention, now that a newer verified backup may exist */
	char **expired = sd_backup_expired(r);
	size_t nexpired = 0;
	while (expired[nexpired])
		nexpired++;
	if (nexpired) {
		char derr[512];
		if (sd_backup_delete(r, expired, derr, sizeof(derr)) == 0)
			append(err, errlen, "; %zu expired backup%s deleted", nexpired, nexpired == 1 ? "" : "s");
		else
			append(err, errlen, "; expired backups not all deleted: %s", derr);
	}
	for (size_t i = 0; i < nexpired; i++)
		free(expired[i]);
	free(expired);
	if (file && filelen)
		sd_strlcpy(file, first, filelen);
	runner_end(r, all_verified ? NULL : verify_notes + 2);
	(void)files;
	return all_verified ? 0 : -1;
}

/* ------------------------------------------------------------------------------------------ */
/* restore                                                                                     */

struct scaled {
	char name[256];
	long previous;
	bool down;                   /* we scaled it to 0 */
};

/* Put every service we scaled down back to its count; "NAME 0->3, ..." into RESULT. */
static bool put_back(const struct sd_backup_scaler *scaler, struct scaled *s, size_t n,
		     char *result, size_t resultlen)
{
	bool all_ok = true;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].down)
			continue;
		char e[512] = "";
		int rc = -1;
		for (int attempt = 0; attempt < 3 && rc < 0; attempt++) {
			if (attempt)
				sd_sleep(1.0);
			rc = scaler->scale(scaler->ctx, s[i].name, s[i].previous, e, sizeof(e));
		}
		if (result[0])
			append(result, resultlen, ", ");
		if (rc == 0) {
			append(result, resultlen, "%s 0->%ld", s[i].name, s[i].previous);
			s[i].down = false;
		} else {
			append(result, resultlen, "COULD NOT scale %s back to %ld: %s", s[i].name,
			       s[i].previous, e);
			all_ok = false;
		}
	}
	return all_ok;
}

int sd_backup_restore(struct sd_backup_runner *r, const char *file, const char *database,
		      const struct sd_snapshot *snap, const struct sd_backup_scaler *scaler,
		      char *result, size_t resultlen)
{
	char path[PATH_MAX], err[1024];
	if (resolve_backup(r, file, path, sizeof(path), result, resultlen) < 0)
		return -1;
	char manifest_path[PATH_MAX + 32];
	snprintf(manifest_path, sizeof(manifest_path), "%s%s", path, MANIFEST_SUFFIX);
	struct manifest m;
	if (manifest_read(manifest_path, &m, err, sizeof(err)) < 0) {
		sd_set_error(result, resultlen, "refused: %s", err);
		return -1;
	}
	if (strcmp(m.kind, "postgres") != 0) {
		sd_set_error(result, resultlen, "refused: %s is a %s backup; only PostgreSQL dumps are restored here",
			base_name(path), m.kind);
		return -1;
	}
	const struct sd_pg_member *primary = find_primary(snap, err, sizeof(err));
	if (!primary) {
		sd_set_error(result, resultlen, "refused: %s", err);
		return -1;
	}
	const char *db = database && *database ? database : m.database;
	if (!db[0]) {
		sd_set_error(result, resultlen, "refused: no database named (the manifest has none)");
		return -1;
	}
	/* the services to stop, with their replicas now */
	size_t ns = r->config->backup.nservices;
	struct scaled *svc = xcalloc(ns ? ns : 1, sizeof(*svc));
	for (size_t i = 0; i < ns; i++) {
		const char *name = r->config->backup.services[i];
		const struct sd_service *s = snap && snap->swarm ? sd_swarm_service(snap->swarm, name) : NULL;
		if (!s) {
			sd_set_error(result, resultlen, "refused: service %s (backup.services) is not in the swarm%s",
				name, snap && snap->swarm ? "" : " (no data from the engine yet)");
			free(svc);
			return -1;
		}
		if (strcmp(s->mode, "replicated") != 0) {
			sd_set_error(result, resultlen, "refused: service %s is %s and cannot be scaled to 0",
				name, s->mode);
			free(svc);
			return -1;
		}
		sd_strlcpy(svc[i].name, s->name, sizeof(svc[i].name));
		svc[i].previous = s->desired;
	}
	if (ns && (!r->docker || !scaler || !scaler->scale)) {
		sd_set_error(result, resultlen, "refused: no Docker engine to scale the services with");
		free(svc);
		return -1;
	}
	char what[512];
	sd_set_error(what, sizeof(what), "restore %s into %s on %s", base_name(path), db, primary->name);
	if (runner_begin(r, what, -1, false, result, resultlen) < 0) {
		free(svc);
		return -1;
	}
	const int nsteps = ns ? 5 : 2;
	int step = 0;
	char done[1024] = "", failed[1024] = "";
	double t0;

	/* 1: the dump is intact and readable */
	runner_step(r, "step %d/%d: checking the dump", ++step, nsteps);
	char vres[1024];
	if (verify_path(r, path, vres, sizeof(vres)) < 0) {
		sd_set_error(failed, sizeof(failed), "step 1 (check the dump): %s", vres);
		goto out;
	}
	append(done, sizeof(done), "1 dump checked (sha256, pg_restore --list)");

	if (ns) {
		/* 2: scale the services to 0 */
		runner_step(r, "step %d/%d: scaling %zu service%s to 0", ++step, nsteps, ns, ns == 1 ? "" : "s");
		for (size_t i = 0; i < ns; i++) {
			char e[512] = "";
			if (scaler->scale(scaler->ctx, svc[i].name, 0, e, sizeof(e)) < 0) {
				sd_set_error(failed, sizeof(failed), "step 2 (scale %s to 0): %s", svc[i].name, e);
				svc[i].down = true;   /* it may have been applied: put it back anyway */
				goto out;
			}
			svc[i].down = true;
			append(done, sizeof(done), "%s %s %ld->0", i ? "," : "; 2 scaled", svc[i].name,
			       svc[i].previous);
		}
		/* 3: wait until their tasks stopped */
		runner_step(r, "step %d/%d: waiting for the tasks to stop", ++step, nsteps);
		t0 = sd_now();
		for (;;) {
			long active = 0;
			char e[512] = "";
			for (size_t i = 0; i < ns && active >= 0; i++) {
				long a = sd_docker_service_active_tasks(r->docker, svc[i].name, e, sizeof(e));
				active = a < 0 ? -1 : active + a;
			}
			if (active == 0)
				break;
			if (sd_now() - t0 > TASKS_STOP_LIMIT) {
				if (active < 0)
					sd_set_error(failed, sizeof(failed), "step 3 (wait for the tasks to stop): %s", e);
				else
					sd_set_error(failed, sizeof(failed),
						 "step 3 (wait for the tasks to stop): %ld still running after %.0f s",
						 active, TASKS_STOP_LIMIT);
				goto out;
			}
			runner_step(r, "step %d/%d: waiting for %ld task%s to stop", step, nsteps,
				    active < 0 ? 0 : active, active == 1 ? "" : "s");
			sd_sleep(1.0);
		}
		append(done, sizeof(done), "; 3 tasks stopped (%.0f s)", sd_now() - t0);
	}

	/* 4: pg_restore into the primary */
	step++;
	runner_step(r, "step %d/%d: pg_restore into %s on %s", step, nsteps, db, primary->name);
	{
		struct pg_target t, w;
		if (pg_target_make(r, primary->name, db, RESTORE_APP, NULL, &t, err, sizeof(err)) < 0) {
			sd_set_error(failed, sizeof(failed), "step %d (pg_restore): %s", step, err);
			goto out;
		}
		struct restore_tick tick = {.runner = r, .path = path, .size = m.size};
		if (pg_target_make(r, primary->name, db, RESTORE_APP "-watch", "-c statement_timeout=5000",
				   &w, err, sizeof(err)) == 0) {
			tick.watch = PQconnectdb(w.conninfo);
			if (PQstatus(tick.watch) != CONNECTION_OK) {
				PQfinish(tick.watch);       /* the restore goes on, unwatched */
				tick.watch = NULL;
			}
			pg_target_free(&w);
		}
		const char *argv[] = {"pg_restore", "--clean", "--if-exists", "--single-transaction",
				"-d", t.conninfo, path, NULL};
		t0 = sd_now();
		int rc = sd_child_run(argv, tick_restore, &tick, err, sizeof(err));
		if (tick.watch)
			PQfinish(tick.watch);
		if (rc < 0 && tick.blocked[0])
			sd_strlcpy(err, tick.blocked, sizeof(err));
		scrub(err, t.password);
		pg_target_free(&t);
		if (rc < 0) {
			sd_set_error(failed, sizeof(failed), "step %d (pg_restore into %s on %s, nothing changed: one transaction): %s",
				 step, db, primary->name, err);
			goto out;
		}
		append(done, sizeof(done), "; %d pg_restore into %s on %s (%.1f s)", step, db,
		       primary->name, sd_now() - t0);
	}

out:;
	/* 5 (or after a failure): the services as they were */
	bool put_ok = true;
	char back[1024] = "";
	if (ns) {
		if (!failed[0])
			runner_step(r, "step %d/%d: scaling the services back", nsteps, nsteps);
		put_ok = put_back(scaler, svc, ns, back, sizeof(back));
	}
	free(svc);
	int rc;
	if (failed[0]) {
		sd_set_error(result, resultlen, "restore of %s FAILED at %s. Done before: %s%s%s%s",
			base_name(path), failed, done[0] ? done : "nothing",
			back[0] ? "; put back: " : "", back,
			back[0] && put_ok ? " (services as they were)" : "");
		rc = -1;
	} else {
		sd_set_error(result, resultlen, "restored %s into %s on %s: %s%s%s", base_name(path), db,
			primary->name, done, back[0] ? "; 5 scaled back " : "", back);
		rc = put_ok ? 0 : -1;
	}
	runner_end(r, rc == 0 ? NULL : result);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */

struct sd_backup_runner *sd_backup_open(const struct sd_config *config, struct sd_pg_backend *pg,
					struct sd_docker *docker)
{
	struct sd_backup_runner *r = xcalloc(1, sizeof(*r));
	r->config = config;
	r->pg = pg;
	r->docker = docker;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void sd_backup_close(struct sd_backup_runner *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}
