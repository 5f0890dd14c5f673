/* runner.c - the backup runner: progress under a mutex (what is under way, bytes, rate, the
 * restore's step, the last failure), the backup folder's paths, output files written under a
 * partial name with their SHA-256 computed on the way, and the small helpers the other
 * files share. See internal.h for the layout of core/backup/. */

#include "backup/internal.h"
#include "backup/manifest.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* small helpers                                                                              */

/* Append to BUF (already a string) without overflowing. */
void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strnlen(buf, size);
	if (used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

void format_mb(long long bytes, char *buf, size_t size)
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
void scrub(char *text, const char *secret)
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

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* progress                                                                                   */

int runner_begin(struct sd_backup_runner *r, const char *what, long long total,
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

void runner_what(struct sd_backup_runner *r, const char *what, long long total, bool rate)
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

void runner_step(struct sd_backup_runner *r, const char *fmt, ...)
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
void runner_restart(struct sd_backup_runner *r, long long total)
{
	pthread_mutex_lock(&r->lock);
	r->bytes = 0;
	r->total = total;
	r->started = sd_now();
	pthread_mutex_unlock(&r->lock);
}

void runner_bytes(struct sd_backup_runner *r, long long bytes, long long total)
{
	pthread_mutex_lock(&r->lock);
	r->bytes = bytes;
	if (total >= 0)
		r->total = total;
	pthread_mutex_unlock(&r->lock);
}

/* End the operation; FAILURE (may be NULL) is why it failed. */
void runner_end(struct sd_backup_runner *r, const char *failure)
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
void runner_describe(struct sd_backup_runner *r, char *buf, size_t size, double *progress)
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
int resolve_backup(const struct sd_backup_runner *r, const char *file, char *path,
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
/* output: a partial file with its SHA-256 computed on the way                                */


void sha256_hex(EVP_MD_CTX *md, char hex[65])
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(md, digest, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
	hex[64] = '\0';
}

/* Choose the name (KIND_YYYYMMDD_HHMMSS[_SUFFIX].EXT, UTC) and open its partial file. */
int out_open(struct out *o, struct sd_backup_runner *r, const char *kind,
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

int out_write(struct out *o, const void *data, size_t len, char *err, size_t errlen)
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

void out_abort(struct out *o)
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
int out_commit(struct out *o, const char *kind, const char *source, const char *database,
		      char *err, size_t errlen)
{
	struct sd_backup_manifest m;
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
	if (sd_backup_manifest_write(manifest, &m, err, errlen) < 0) {
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

struct sd_backup_runner *sd_backup_open(const struct sd_config *config, struct sd_pg_backend *pg,
					struct sd_docker *docker)
{
	struct sd_backup_runner *r = xcalloc(1, sizeof(*r));
	r->config = config;
	r->pg = pg;
	r->docker = docker;
	pthread_mutex_init(&r->lock, NULL);
	remote_open(r);
	return r;
}

void sd_backup_close(struct sd_backup_runner *r)
{
	if (!r)
		return;
	remote_close(r);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
