/* remote.c - the off-site copies of the backups on a WebDAV store (backup.remote): upload,
 * checking, the remote side of the list, remote retention and the download a restore of a
 * remote-only backup starts with. The client is the WebDAV backend's.
 *
 * Contract.
 * - Upload: the file goes up as ".NAME.partial" (a stale one from a cut upload is deleted
 *   first, so a retry restarts cleanly), is MOVEd to NAME, then checked: its size by
 *   PROPFIND and the SHA-256 of a full read back (GET of the whole file: the copy the
 *   server would give a restore) against the local manifest. Only then the manifest goes
 *   beside it (".NAME.manifest.json.partial", MOVEd to NAME.manifest.json). A copy that
 *   fails the check is deleted. An upload cut midway leaves nothing under NAME; the local
 *   copy is only read.
 * - A remote copy counts as verified when its manifest is there (it is written only after
 *   the check) and the store's size agrees with it; a file without a manifest is "no",
 *   one whose size differs "failed".
 * - Remote retention deletes a remote copy older than backup.remote.retention_days only
 *   when a newer verified remote copy of the same kind (and database) exists.
 * - Download: a remote-only backup comes down as ".NAME.partial" with its SHA-256 computed
 *   on the way; a mismatch with the remote manifest deletes it and fails before anything
 *   else is touched; a match is renamed to NAME with the manifest beside it.
 * - The password stays in the WebDAV backend; manifests never hold it. */

#include "backup/internal.h"
#include "backup/manifest.h"
#include "backends/webdav/webdav.h"
#include "base/arena.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_LIMIT (64 * 1024)   /* a remote manifest larger than this is refused */

/* ---- the client ---- */

void remote_open(struct sd_backup_runner *r)
{
	const struct sd_config *c = r->config;
	if (!c->backup.remote.configured)
		return;
	struct sd_webdav_config wc = {
		.url = c->backup.remote.url, .user = c->backup.remote.user,
		.password_file = c->backup.remote.password_file,
		.timeout_ms = c->backup.remote.timeout_ms,
	};
	r->dav = sd_webdav_open(&wc, r->dav_error, sizeof(r->dav_error));
}

void remote_close(struct sd_backup_runner *r)
{
	sd_webdav_close(r->dav);
	r->dav = NULL;
	free(r->manifests);
	r->manifests = NULL;
	r->nmanifests = 0;
}

static int remote_ready(struct sd_backup_runner *r, char *err, size_t errlen)
{
	if (!r->config->backup.remote.configured) {
		sd_set_error(err, errlen, "no backup.remote in the configuration");
		return -1;
	}
	if (!r->dav) {
		sd_set_error(err, errlen, "remote: %s", r->dav_error);
		return -1;
	}
	return 0;
}

bool sd_backup_remote_configured(const struct sd_backup_runner *r)
{
	return r->config->backup.remote.configured;
}

/* ---- remote manifests (cached: a manifest never changes once written) ---- */

struct text_sink {
	char *buf;
	size_t len, cap;
};

static int text_sink(void *ctx, const void *data, size_t len)
{
	struct text_sink *t = ctx;
	if (t->len + len > MANIFEST_LIMIT)
		return -1;
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	t->buf[t->len] = '\0';
	return 0;
}

static void cache_put(struct sd_backup_runner *r, const char *name, const struct sd_backup_manifest *m)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nmanifests; i++)
		if (!strcmp(r->manifests[i].file, name)) {
			r->manifests[i] = *m;
			sd_strlcpy(r->manifests[i].file, name, sizeof(r->manifests[i].file));
			pthread_mutex_unlock(&r->lock);
			return;
		}
	r->manifests = xrealloc(r->manifests, (r->nmanifests + 1) * sizeof(*r->manifests));
	r->manifests[r->nmanifests] = *m;
	sd_strlcpy(r->manifests[r->nmanifests].file, name, sizeof(r->manifests[0].file));
	r->nmanifests++;
	pthread_mutex_unlock(&r->lock);
}

static void cache_drop(struct sd_backup_runner *r, const char *name)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nmanifests; i++)
		if (!strcmp(r->manifests[i].file, name)) {
			r->manifests[i] = r->manifests[--r->nmanifests];
			break;
		}
	pthread_mutex_unlock(&r->lock);
}

/* The remote manifest of backup NAME: 0, or -1 with ERR. */
static int remote_manifest(struct sd_backup_runner *r, const char *name,
			   struct sd_backup_manifest *m, char *err, size_t errlen)
{
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->nmanifests; i++)
		if (!strcmp(r->manifests[i].file, name)) {
			*m = r->manifests[i];
			pthread_mutex_unlock(&r->lock);
			return 0;
		}
	pthread_mutex_unlock(&r->lock);
	char mname[300];
	snprintf(mname, sizeof(mname), "%s%s", name, MANIFEST_SUFFIX);
	struct text_sink t = {0};
	int rc = sd_webdav_get(r->dav, mname, -1, -1, text_sink, &t, NULL, NULL, err, errlen);
	if (rc == 0 && sd_backup_manifest_parse(t.buf ? t.buf : "", t.len, m, err, errlen) < 0)
		rc = -1;
	free(t.buf);
	if (rc == 0) {
		sd_strlcpy(m->file, name, sizeof(m->file));
		cache_put(r, name, m);
	}
	return rc;
}

/* ---- upload ---- */

static int upload_progress(void *ctx, long long done, long long total)
{
	runner_bytes(ctx, done, total > 0 ? total : -1);
	return 0;
}

struct hash_sink {
	EVP_MD_CTX *md;
	long long bytes;
	int fd;                      /* >= 0: the bytes are written there too */
	int error;
};

static int hash_sink(void *ctx, const void *data, size_t len)
{
	struct hash_sink *h = ctx;
	EVP_DigestUpdate(h->md, data, len);
	h->bytes += (long long)len;
	const char *p = data;
	while (h->fd >= 0 && len > 0) {
		ssize_t n = write(h->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			h->error = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* GET NAME whole: its SHA-256 into HEX (and its bytes into FD when >= 0). */
static int remote_read_sha(struct sd_backup_runner *r, const char *name, int fd, char hex[65],
			   long long *bytes, char *err, size_t errlen)
{
	struct hash_sink h = {.md = EVP_MD_CTX_new(), .fd = fd};
	if (!h.md || EVP_DigestInit_ex(h.md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h.md);
		sd_set_error(err, errlen, "SHA-256 is not available");
		return -1;
	}
	int rc = sd_webdav_get(r->dav, name, -1, -1, hash_sink, &h, upload_progress, r, err, errlen);
	if (rc != 0 && h.error)
		sd_set_error(err, errlen, "writing the download of %s: %s", name, strerror(h.error));
	sha256_hex(h.md, hex);
	EVP_MD_CTX_free(h.md);
	*bytes = h.bytes;
	return rc;
}

/* Upload the backup at PATH (its local manifest M) and check it; SUMMARY says how. */
static int upload_one(struct sd_backup_runner *r, const char *path,
		      const struct sd_backup_manifest *m, char *summary, size_t len)
{
	const char *name = base_name(path);
	char partial[300], what[400], why[1024] = "";
	snprintf(partial, sizeof(partial), ".%s%s", name, PARTIAL_SUFFIX);
	struct stat st;
	if (stat(path, &st) < 0) {
		sd_set_error(summary, len, "upload %s: %s", name, strerror(errno));
		return -1;
	}
	if (st.st_size != m->size) {
		sd_set_error(summary, len, "upload %s: refused: %lld bytes on disk, %lld in the manifest",
			     name, (long long)st.st_size, m->size);
		return -1;
	}
	snprintf(what, sizeof(what), "upload %s", name);
	runner_what(r, what, st.st_size, true);
	double started = sd_now();
	sd_webdav_delete(r->dav, partial, why, sizeof(why));  /* a cut upload's leftover */
	if (sd_webdav_put_file(r->dav, path, partial, upload_progress, r, why, sizeof(why)) != 0 ||
	    sd_webdav_move(r->dav, partial, name, why, sizeof(why)) != 0) {
		sd_set_error(summary, len, "upload %s failed: %s", name, why);
		return -1;
	}
	double took = sd_now() - started;
	/* the check: size by PROPFIND, then the SHA-256 of what the server gives back */
	snprintf(what, sizeof(what), "check %s on the remote (SHA-256 of a full read)", name);
	runner_what(r, what, st.st_size, true);
	long long size = -1, bytes = 0;
	char hex[65];
	const char *fault = NULL;
	int src = sd_webdav_stat(r->dav, name, &size, why, sizeof(why));
	if (src != 0)
		fault = src > 0 ? "PROPFIND: not there after the MOVE" : why;
	else if (size != m->size)
		fault = "size";
	else if (remote_read_sha(r, name, -1, hex, &bytes, why, sizeof(why)) != 0)
		fault = why;
	else if (strcmp(hex, m->sha256) != 0)
		fault = "sha";
	if (fault) {
		char detail[1200];
		if (!strcmp(fault, "size"))
			snprintf(detail, sizeof(detail), "the remote says %lld bytes, the manifest %lld", size, m->size);
		else if (!strcmp(fault, "sha"))
			snprintf(detail, sizeof(detail), "SHA-256 read back %.12s..., manifest %.12s...", hex, m->sha256);
		else
			snprintf(detail, sizeof(detail), "%s", fault);
		char ignored[256];
		sd_webdav_delete(r->dav, name, ignored, sizeof(ignored)); /* no unchecked copy stays */
		sd_set_error(summary, len, "upload %s: the remote copy failed its check (%s); deleted", name,
			     detail);
		return -1;
	}
	/* the manifest last: its presence says the copy was checked */
	char local_tmp[PATH_MAX + 300], mname[300], mpartial[320];
	snprintf(local_tmp, sizeof(local_tmp), "%s/.%s.remote-manifest", r->config->backup.dir, name);
	snprintf(mname, sizeof(mname), "%s%s", name, MANIFEST_SUFFIX);
	snprintf(mpartial, sizeof(mpartial), ".%s%s", mname, PARTIAL_SUFFIX);
	struct sd_backup_manifest copy = *m;
	sd_strlcpy(copy.file, name, sizeof(copy.file));
	int rc = sd_backup_manifest_write(local_tmp, &copy, why, sizeof(why));
	if (rc == 0)
		rc = sd_webdav_put_file(r->dav, local_tmp, mpartial, NULL, NULL, why, sizeof(why));
	if (rc == 0)
		rc = sd_webdav_move(r->dav, mpartial, mname, why, sizeof(why));
	unlink(local_tmp);
	if (rc != 0) {
		sd_set_error(summary, len, "upload %s: the manifest did not go up: %s", name, why);
		return -1;
	}
	cache_put(r, name, &copy);
	char amount[32];
	format_mb(st.st_size, amount, sizeof(amount));
	sd_set_error(summary, len, "%s uploaded (%s in %.1f s, %.1f MB/s), checked: size by PROPFIND, "
		     "SHA-256 of a full read back", name, amount, took,
		     took > 0 ? (double)st.st_size / 1e6 / took : 0.0);
	return 0;
}

/* Read the local manifest of backup PATH. */
static int local_manifest(const char *path, struct sd_backup_manifest *m, char *err, size_t errlen)
{
	char mpath[PATH_MAX + 32];
	snprintf(mpath, sizeof(mpath), "%s%s", path, MANIFEST_SUFFIX);
	return sd_backup_manifest_read(mpath, m, err, errlen);
}

int sd_backup_upload(struct sd_backup_runner *r, const char *file, char *result, size_t len)
{
	char path[PATH_MAX], why[768];
	struct sd_backup_manifest m;
	if (remote_ready(r, result, len) < 0 || resolve_backup(r, file, path, sizeof(path), result, len) < 0)
		return -1;
	if (local_manifest(path, &m, why, sizeof(why)) < 0) {
		sd_set_error(result, len, "refused: %s", why);
		return -1;
	}
	char what[400];
	snprintf(what, sizeof(what), "upload %s", base_name(path));
	if (runner_begin(r, what, m.size, true, result, len) < 0)
		return -1;
	int rc = upload_one(r, path, &m, result, len);
	runner_end(r, rc == 0 ? NULL : result);
	return rc;
}

/* The remote's files: backups (with manifest or not) and manifests. */
struct remote_view {
	struct sd_webdav_entry *entries;
	size_t n;
};

static bool has_entry(const struct remote_view *v, const char *name, long long *size)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->entries[i].name, name)) {
			if (size)
				*size = v->entries[i].size;
			return true;
		}
	return false;
}

/* NAME's remote copy is verified: its file and manifest are there and agree in size. */
static bool remote_verified(struct sd_backup_runner *r, const struct remote_view *v,
			    const char *name)
{
	char mname[300];
	long long size = -1;
	snprintf(mname, sizeof(mname), "%s%s", name, MANIFEST_SUFFIX);
	if (!has_entry(v, name, &size) || !has_entry(v, mname, NULL))
		return false;
	struct sd_backup_manifest m;
	char err[256];
	return remote_manifest(r, name, &m, err, sizeof(err)) == 0 && m.size == size;
}

/* Upload every local backup without a verified remote copy. */
int remote_upload_missing(struct sd_backup_runner *r, size_t *uploaded, char *result, size_t len)
{
	*uploaded = 0;
	result[0] = '\0';
	struct remote_view v = {0};
	char why[1024];
	if (sd_webdav_list(r->dav, &v.entries, &v.n, why, sizeof(why)) != 0) {
		sd_set_error(result, len, "remote: %s", why);
		return -1;
	}
	struct sd_backups *local = NULL;
	size_t skipped = 0;
	int rc = local_list(r, &local, why, sizeof(why));
	for (size_t i = 0; rc == 0 && local && i < local->nitems; i++) {
		const char *path = local->items[i].file;
		if (remote_verified(r, &v, base_name(path)))
			continue;
		if (!strcmp(local->items[i].verified, "failed")) {
			skipped++;             /* a damaged copy is no off-site backup */
			continue;
		}
		struct sd_backup_manifest m;
		if (local_manifest(path, &m, why, sizeof(why)) < 0 ||
		    upload_one(r, path, &m, why, sizeof(why)) < 0) {
			append(result, len, "%s%s", result[0] ? "; " : "", why);
			rc = -1;
			break;
		}
		(*uploaded)++;
	}
	if (rc == 0 && *uploaded == 0)
		append(result, len, "the remote holds every local backup");
	else if (rc == 0)
		append(result, len, "%zu backup%s uploaded and checked (size by PROPFIND, SHA-256 of a full read back)",
		       *uploaded, *uploaded == 1 ? "" : "s");
	if (rc == 0 && skipped)
		append(result, len, "; %zu not uploaded: failed local verification", skipped);
	sd_part_unref(local);
	free(v.entries);
	return rc;
}

int sd_backup_upload_missing(struct sd_backup_runner *r, char *result, size_t len)
{
	if (remote_ready(r, result, len) < 0)
		return -1;
	if (runner_begin(r, "upload to the remote", -1, true, result, len) < 0)
		return -1;
	size_t uploaded = 0;
	int rc = remote_upload_missing(r, &uploaded, result, len);
	runner_end(r, rc == 0 ? NULL : result);
	return rc;
}

/* ---- remote retention ---- */

struct remote_item {
	struct sd_backup_manifest m;
	bool verified;
};

static int item_newest_first(const void *a, const void *b)
{
	const struct remote_item *x = a, *y = b;
	if (x->m.time != y->m.time)
		return x->m.time < y->m.time ? 1 : -1;
	return strcmp(y->m.file, x->m.file);
}

/* The remote backups with a readable manifest, newest first. */
static int remote_items(struct sd_backup_runner *r, const struct remote_view *v,
			struct remote_item **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	size_t n = 0;
	struct remote_item *list = xcalloc(v->n ? v->n : 1, sizeof(*list));
	for (size_t i = 0; i < v->n; i++) {
		const char *name = v->entries[i].name;
		if (name[0] == '.' || ends_with(name, MANIFEST_SUFFIX))
			continue;
		char err[256];
		if (remote_manifest(r, name, &list[n].m, err, sizeof(err)) != 0)
			continue;
		list[n].verified = remote_verified(r, v, name);
		n++;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), item_newest_first);
	*out = list;
	*count = n;
	return 0;
}

char **sd_backup_remote_expired(struct sd_backup_runner *r, char *err, size_t errlen)
{
	char **result = xcalloc(1, sizeof(char *));
	if (remote_ready(r, err, errlen) < 0)
		return result;
	struct remote_view v = {0};
	if (sd_webdav_list(r->dav, &v.entries, &v.n, err, errlen) != 0)
		return result;
	struct remote_item *list;
	size_t n, count = 0;
	remote_items(r, &v, &list, &n);
	time_t limit = time(NULL) - (time_t)r->config->backup.remote.retention_days * 86400;
	for (size_t i = 0; i < n; i++) {
		if (list[i].m.time >= limit)
			continue;
		bool newer_verified = false;
		for (size_t j = 0; j < i && !newer_verified; j++)
			newer_verified = list[j].m.time > list[i].m.time && list[j].verified &&
					 !strcmp(list[j].m.kind, list[i].m.kind) &&
					 !strcmp(list[j].m.database, list[i].m.database);
		if (!newer_verified)
			continue;
		result = xrealloc(result, (count + 2) * sizeof(char *));
		result[count++] = xstrdup(list[i].m.file);
		result[count] = NULL;
	}
	free(list);
	free(v.entries);
	return result;
}

int sd_backup_remote_delete(struct sd_backup_runner *r, char **names, char *err, size_t errlen)
{
	if (remote_ready(r, err, errlen) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; names && names[i]; i++) {
		char why[512], mname[300];
		snprintf(mname, sizeof(mname), "%s%s", names[i], MANIFEST_SUFFIX);
		/* the manifest first: a file without one is no verified copy for anyone */
		if (sd_webdav_delete(r->dav, mname, why, sizeof(why)) != 0 ||
		    sd_webdav_delete(r->dav, names[i], why, sizeof(why)) != 0) {
			sd_set_error(err, errlen, "%s", why);
			rc = -1;
			continue;
		}
		cache_drop(r, names[i]);
	}
	return rc;
}

int sd_backup_sync(struct sd_backup_runner *r, char *result, size_t len)
{
	if (remote_ready(r, result, len) < 0)
		return -1;
	if (runner_begin(r, "sync to the remote", -1, true, result, len) < 0)
		return -1;
	size_t uploaded = 0;
	int rc = remote_upload_missing(r, &uploaded, result, len);
	if (rc == 0) {
		char why[512] = "";
		char **expired = sd_backup_remote_expired(r, why, sizeof(why));
		size_t n = 0;
		while (expired[n])
			n++;
		if (n && sd_backup_remote_delete(r, expired, why, sizeof(why)) == 0)
			append(result, len, "; remote retention deleted %zu cop%s older than %ld days", n,
			       n == 1 ? "y" : "ies", r->config->backup.remote.retention_days);
		else if (n)
			append(result, len, "; remote retention: %s", why);
		for (size_t i = 0; i < n; i++)
			free(expired[i]);
		free(expired);
	}
	runner_end(r, rc == 0 ? NULL : result);
	return rc;
}

/* ---- download ---- */

int sd_backup_fetch(struct sd_backup_runner *r, const char *file, char *result, size_t len)
{
	char path[PATH_MAX], why[1024];
	if (resolve_backup(r, file, path, sizeof(path), result, len) < 0)
		return -1;
	struct stat st;
	if (stat(path, &st) == 0)
		return 0;                      /* held locally: nothing to fetch */
	if (remote_ready(r, result, len) < 0)
		return -1;
	const char *name = base_name(path);
	struct sd_backup_manifest m;
	if (remote_manifest(r, name, &m, why, sizeof(why)) != 0) {
		sd_set_error(result, len, "refused: no local copy of %s and no readable remote manifest: %s",
			     name, why);
		return -1;
	}
	char what[400];
	snprintf(what, sizeof(what), "download %s", name);
	if (runner_begin(r, what, m.size, true, result, len) < 0)
		return -1;
	char partial[PATH_MAX + 300];
	snprintf(partial, sizeof(partial), "%s/.%s%s", r->config->backup.dir, name, PARTIAL_SUFFIX);
	mkdir(r->config->backup.dir, 0700);
	unlink(partial);
	int fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sd_set_error(result, len, "cannot create %s: %s", partial, strerror(errno));
		runner_end(r, result);
		return -1;
	}
	char hex[65];
	long long bytes = 0;
	int rc = remote_read_sha(r, name, fd, hex, &bytes, why, sizeof(why));
	if (rc == 0 && fsync(fd) != 0) {
		sd_set_error(why, sizeof(why), "fsync %s: %s", partial, strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0 && (bytes != m.size || strcmp(hex, m.sha256) != 0)) {
		sd_set_error(why, sizeof(why), "the remote copy of %s does not match its manifest (%lld "
			     "bytes, SHA-256 %.12s...; the manifest says %lld bytes, %.12s...): nothing "
			     "was touched", name, bytes, hex, m.size, m.sha256);
		rc = -1;
	}
	if (rc == 0 && renameat2(AT_FDCWD, partial, AT_FDCWD, path, RENAME_NOREPLACE) != 0) {
		sd_set_error(why, sizeof(why), "cannot rename %s: %s", partial, strerror(errno));
		rc = -1;
	}
	if (rc != 0) {
		unlink(partial);
		sd_set_error(result, len, "download failed: %s", why);
		runner_end(r, why);
		return -1;
	}
	char mpath[PATH_MAX + 32];
	snprintf(mpath, sizeof(mpath), "%s%s", path, MANIFEST_SUFFIX);
	sd_strlcpy(m.file, name, sizeof(m.file));
	if (sd_backup_manifest_write(mpath, &m, why, sizeof(why)) != 0) {
		unlink(path);
		sd_set_error(result, len, "download failed: %s", why);
		runner_end(r, why);
		return -1;
	}
	fsync_dir(r->config->backup.dir);
	runner_end(r, NULL);
	char amount[32];
	format_mb(bytes, amount, sizeof(amount));
	sd_set_error(result, len, "downloaded %s (%s), SHA-256 matches the manifest", name, amount);
	return 0;
}

/* ---- the remote side of the list ---- */

static struct sd_backup_copy *add_copy(struct sd_arena *a, struct sd_backup *b, const char *where,
				       const char *verified, long long size, time_t when)
{
	struct sd_backup_copy *copies = sd_arena_alloc(a, (b->ncopies + 1) * sizeof(*copies));
	if (b->ncopies)
		memcpy(copies, b->copies, b->ncopies * sizeof(*copies));
	struct sd_backup_copy *c = &copies[b->ncopies];
	c->where = where;
	c->verified = verified;
	c->size = size;
	c->time = when;
	b->copies = copies;
	b->ncopies++;
	return c;
}

static int backup_newest_first(const void *a, const void *b)
{
	const struct sd_backup *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	return strcmp(y->file, x->file);
}

void remote_merge(struct sd_backup_runner *r, struct sd_backups *part)
{
	struct sd_arena *a = part->part.arena;
	for (size_t i = 0; i < part->nitems; i++) {
		struct sd_backup *b = &part->items[i];
		b->local = true;
		add_copy(a, b, "local", b->verified, b->size, b->time);
	}
	if (!r->config->backup.remote.configured)
		return;
	part->remote_configured = true;
	part->remote_url = sd_arena_strdup(a, r->config->backup.remote.url);
	part->remote_retention_days = r->config->backup.remote.retention_days;
	part->remote_error = "";
	char why[1024];
	if (remote_ready(r, why, sizeof(why)) < 0) {
		part->remote_error = sd_arena_strdup(a, why);
		return;
	}
	struct remote_view v = {0};
	if (sd_webdav_list(r->dav, &v.entries, &v.n, why, sizeof(why)) != 0) {
		part->remote_error = sd_arena_strdup(a, why);
		return;
	}
	size_t extra = 0;
	struct sd_backup *items = sd_arena_alloc(a, (part->nitems + v.n + 1) * sizeof(*items));
	memcpy(items, part->items, part->nitems * sizeof(*items));
	size_t n = part->nitems;
	for (size_t i = 0; i < v.n; i++) {
		const struct sd_webdav_entry *e = &v.entries[i];
		if (e->name[0] == '.' || ends_with(e->name, MANIFEST_SUFFIX))
			continue;
		struct sd_backup_manifest m;
		char mname[300];
		snprintf(mname, sizeof(mname), "%s%s", e->name, MANIFEST_SUFFIX);
		bool have_manifest = has_entry(&v, mname, NULL) &&
				     remote_manifest(r, e->name, &m, why, sizeof(why)) == 0;
		const char *verified = !have_manifest ? "no" : m.size == e->size ? "yes" : "failed";
		struct sd_backup *b = NULL;
		for (size_t j = 0; j < part->nitems && !b; j++)
			if (!strcmp(base_name(items[j].file), e->name))
				b = &items[j];
		if (!b) {
			if (!have_manifest)
				continue;          /* a file the list cannot name the kind of */
			b = &items[n++];
			extra++;
			memset(b, 0, sizeof(*b));
			b->kind = sd_arena_strdup(a, m.kind);
			b->file = sd_arena_printf(a, "%s/%s", r->config->backup.dir, e->name);
			b->sha256 = sd_arena_strdup(a, m.sha256);
			b->time = m.time;
			b->size = m.size;
			b->verified = verified;
			b->verify_message = strcmp(verified, "yes") ? "the remote copy's size differs from its manifest" : "";
			b->source = sd_arena_strdup(a, m.source);
			b->database = sd_arena_strdup(a, m.database);
		}
		add_copy(a, b, "remote", verified, e->size, e->modified ? e->modified : b->time);
	}
	free(v.entries);
	part->items = items;
	part->nitems = n;
	if (extra && n > 1)
		qsort(part->items, n, sizeof(*part->items), backup_newest_first);
}
