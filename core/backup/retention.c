/* retention.c - the backup folder as a list (files with a readable manifest, newest
 * first, with the runner's progress), the backups retention lets go, and their deletion. */

#include "backup/internal.h"
#include "backup/manifest.h"
#include "base/arena.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* list and retention                                                                          */

struct entry {
	struct sd_backup_manifest m;
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
		if (sd_backup_manifest_read(mpath, &x->m, NULL, 0) < 0)
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

int local_list(struct sd_backup_runner *r, struct sd_backups **out, char *err, size_t errlen)
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
		const struct sd_backup_manifest *m = &list[i].m;
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

int sd_backup_list(struct sd_backup_runner *r, struct sd_backups **out, char *err, size_t errlen)
{
	if (local_list(r, out, err, errlen) < 0)
		return -1;
	remote_merge(r, *out);
	return 0;
}

/* Same kind, and for dumps the same database. */
static bool same_series(const struct sd_backup_manifest *a, const struct sd_backup_manifest *b)
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

