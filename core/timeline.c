/* timeline.c - the timeline (timeline.h): a sorted array of events in memory, appended to a
 * JSON-lines file and rotated, fed by the snapshot diffs, the engine's /events, the Sentinel
 * ring and the audit log. */
#include "timeline.h"
#include "conf/paths.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "model/snapjson.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AUDIT_TAIL (1 << 20)   /* bytes of the audit log read back at the first look */
#define LINE_MAX_BYTES 65536   /* a longer line in the file is no event of ours */

struct event {
	double time;
	uint64_t seq;          /* arrival order: equal times keep it */
	char *source, *kind, *target, *message;
};

struct sd_timeline {
	pthread_mutex_t lock;
	char *path;
	size_t max;
	bool recording;
	struct event *ev;      /* oldest first */
	size_t n, cap;
	uint64_t seq, generation;
	size_t file_lines;     /* lines in the current file, for rotation */
	struct sd_events *cached;
	uint64_t cached_generation;
	size_t cached_n;
	/* the audit log: where the last read stopped; the cluster whose lines it keeps */
	char *cluster;
	bool audit_seen;
	dev_t audit_dev;
	ino_t audit_ino;
	off_t audit_off;
};

/* ---- times ---- */
const char *sd_timeline_time_text(double t, char *buf, size_t size)
{
	return sd_time_rfc3339_ms(t, buf, size);
}

double sd_timeline_parse_time(const char *text)
{
	if (!text)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	double frac = 0;
	if (*p == '.') {
		char *end;
		frac = strtod(p, &end);
		if (end == p + 1)
			return -1;
		p = end;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (double)t + frac;
}

/* ---- paths ---- */
char *sd_timeline_default_path(void) { return sd_state_path("timeline.jsonl"); }

/* ---- life cycle ---- */
struct sd_timeline *sd_timeline_open(const char *path, size_t max_events)
{
	struct sd_timeline *tl = xcalloc(1, sizeof(*tl));
	pthread_mutex_init(&tl->lock, NULL);
	tl->path = path ? xstrdup(path) : NULL;
	tl->max = max_events ? max_events : SD_TIMELINE_MAX_DEFAULT;
	return tl;
}

static void event_free(struct event *e)
{
	free(e->source);
	free(e->kind);
	free(e->target);
	free(e->message);
}

void sd_timeline_free(struct sd_timeline *tl)
{
	if (!tl)
		return;
	for (size_t i = 0; i < tl->n; i++)
		event_free(&tl->ev[i]);
	free(tl->ev);
	sd_part_unref(tl->cached);
	free(tl->path);
	free(tl->cluster);
	pthread_mutex_destroy(&tl->lock);
	free(tl);
}

void sd_timeline_audit_cluster(struct sd_timeline *tl, const char *cluster)
{
	pthread_mutex_lock(&tl->lock);
	free(tl->cluster);
	tl->cluster = cluster ? xstrdup(cluster) : NULL;
	pthread_mutex_unlock(&tl->lock);
}

const char *sd_timeline_path(const struct sd_timeline *tl) { return tl->path ? tl->path : ""; }

void sd_timeline_record(struct sd_timeline *tl, bool on)
{
	pthread_mutex_lock(&tl->lock);
	tl->recording = on && tl->path;
	pthread_mutex_unlock(&tl->lock);
}

/* ---- memory ---- */

/* "drain (was active): why" and "drain (was active)" tell the same change. */
static bool same_message(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la == lb)
		return memcmp(a, b, la) == 0;
	const char *longer = la > lb ? a : b, *shorter = la > lb ? b : a;
	size_t ls = la > lb ? lb : la;
	return ls > 0 && memcmp(longer, shorter, ls) == 0 && longer[ls] == ':';
}

/* Is an equal event held within the window around TIME? Caller holds the lock. */
static bool held_locked(const struct sd_timeline *tl, double time, const char *source,
			const char *kind, const char *target, const char *message)
{
	for (size_t i = tl->n; i-- > 0;) {
		const struct event *e = &tl->ev[i];
		if (e->time < time - SD_TIMELINE_SAME_WINDOW)
			break;
		if (e->time > time + SD_TIMELINE_SAME_WINDOW)
			continue;
		if (!strcmp(e->kind, kind) && !strcmp(e->target, target) &&
		    !strcmp(e->source, source) && same_message(e->message, message))
			return true;
	}
	return false;
}

/* Into the sorted array; the oldest goes when it is full. False when it is older than all
 * a full timeline holds. Caller holds the lock. */
static bool insert_locked(struct sd_timeline *tl, double time, const char *source,
			  const char *kind, const char *target, const char *message)
{
	if (tl->n == tl->max) {
		/* full: the oldest eighth goes at once, so reading back two full files moves the
		 * array a few times, not once an event (an event older than all held is dropped
		 * itself) */
		if (time < tl->ev[0].time)
			return false;
		size_t drop = tl->max / 8 ? tl->max / 8 : 1;
		for (size_t i = 0; i < drop; i++)
			event_free(&tl->ev[i]);
		memmove(tl->ev, tl->ev + drop, (tl->n - drop) * sizeof(*tl->ev));
		tl->n -= drop;
	}
	if (tl->n == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 64;
		if (tl->cap > tl->max)
			tl->cap = tl->max;
		tl->ev = xrealloc(tl->ev, tl->cap * sizeof(*tl->ev));
	}
	size_t at = tl->n;
	while (at > 0 && tl->ev[at - 1].time > time)
		at--;
	memmove(tl->ev + at + 1, tl->ev + at, (tl->n - at) * sizeof(*tl->ev));
	tl->ev[at] = (struct event){.time = time, .seq = ++tl->seq, .source = xstrdup(source),
				    .kind = xstrdup(kind), .target = xstrdup(target),
				    .message = xstrdup(message)};
	tl->n++;
	tl->generation++;
	return true;
}

/* ---- the file ---- */
static char *event_line(double time, const char *source, const char *kind, const char *target,
			const char *message)
{
	char when[40];
	json_t *o = json_pack("{s:s s:s? s:s? s:s? s:s?}", "time",
			      sd_timeline_time_text(time, when, sizeof(when)), "source", source,
			      "kind", kind, "target", target, "message", message);
	if (!o) /* a string that is not UTF-8: written with its bad bytes replaced */
		return NULL;
	char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

static void append_locked(struct sd_timeline *tl, const char *line)
{
	if (tl->file_lines >= tl->max) {
		char *older = xasprintf("%s.1", tl->path);
		if (rename(tl->path, older) == 0 || errno == ENOENT)
			tl->file_lines = 0;
		free(older);
	}
	sd_make_parents(tl->path);
	int fd = open(tl->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t len = strlen(line);
	char *buf = xmalloc(len + 2);
	memcpy(buf, line, len);
	buf[len] = '\n';
	if (write(fd, buf, len + 1) == (ssize_t)(len + 1))
		tl->file_lines++;
	free(buf);
	close(fd);
}

static char *fix_utf8(const char *s)
{
	size_t len = strlen(s ? s : "");
	char *out = xmalloc(3 * len + 1);
	size_t n = sd_utf8_sanitize(s ? s : "", len, out);
	out[n] = '\0';
	return out;
}

int sd_timeline_add(struct sd_timeline *tl, double time, const char *source, const char *kind,
		    const char *target, const char *message)
{
	if (!tl || time <= 0 || !source || !*source || !kind || !*kind)
		return 0;
	char *s = fix_utf8(source), *k = fix_utf8(kind), *t = fix_utf8(target),
	     *m = fix_utf8(message);
	int kept = 0;
	pthread_mutex_lock(&tl->lock);
	if (!held_locked(tl, time, s, k, t, m) && insert_locked(tl, time, s, k, t, m)) {
		kept = 1;
		if (tl->recording) {
			char *line = event_line(time, s, k, t, m);
			if (line)
				append_locked(tl, line);
			free(line);
		}
	}
	pthread_mutex_unlock(&tl->lock);
	free(s);
	free(k);
	free(t);
	free(m);
	return kept;
}

/* One line of the file into memory: 0, or -1 with WHY. */
static int load_line(struct sd_timeline *tl, const char *line, size_t len, char *why,
		     size_t whylen)
{
	json_error_t je;
	json_t *o = json_loadb(line, len, 0, &je);
	int rc = -1;
	if (!o) {
		snprintf(why, whylen, "not JSON: %s", je.text);
		return -1;
	}
	const char *when = json_string_value(json_object_get(o, "time"));
	const char *source = json_string_value(json_object_get(o, "source"));
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *target = json_string_value(json_object_get(o, "target"));
	const char *message = json_string_value(json_object_get(o, "message"));
	double t = sd_timeline_parse_time(when);
	if (!json_is_object(o))
		snprintf(why, whylen, "not an object");
	else if (t <= 0)
		snprintf(why, whylen, "no time (or not one like 2026-12-01T22:50:01.123Z)");
	else if (!source || !*source || !kind || !*kind)
		snprintf(why, whylen, "no source or kind");
	else {
		insert_locked(tl, t, source, kind, target ? target : "", message ? message : "");
		rc = 0;
	}
	json_decref(o);
	return rc;
}

/* Lines of FILE into memory; the number of lines in *LINES. */
static size_t load_file(struct sd_timeline *tl, const char *file, size_t *lines, char *warn,
			size_t warnlen, bool *warned)
{
	FILE *f = fopen(file, "re");
	*lines = 0;
	if (!f)
		return 0;
	size_t bad = 0, cap = 0;
	char *line = NULL;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		(*lines)++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		char why[200];
		if (len > LINE_MAX_BYTES)
			snprintf(why, sizeof(why), "a line of %zd bytes", len);
		else if (load_line(tl, line, (size_t)len, why, sizeof(why)) == 0)
			continue;
		if (!*warned && warn && warnlen) {
			snprintf(warn, warnlen, "%s:%zu: %s", file, *lines, why);
			*warned = true;
		}
		bad++;
	}
	free(line);
	fclose(f);
	return bad;
}

size_t sd_timeline_load(struct sd_timeline *tl, char *warn, size_t warnlen)
{
	if (warn && warnlen)
		warn[0] = '\0';
	if (!tl->path)
		return 0;
	pthread_mutex_lock(&tl->lock);
	char *older = xasprintf("%s.1", tl->path);
	size_t lines = 0;
	bool warned = false;
	size_t bad = load_file(tl, older, &lines, warn, warnlen, &warned);
	bad += load_file(tl, tl->path, &lines, warn, warnlen, &warned);
	tl->file_lines = lines;
	free(older);
	pthread_mutex_unlock(&tl->lock);
	return bad;
}

/* ---- reading ---- */
double sd_timeline_newest(struct sd_timeline *tl, const char *source)
{
	double t = 0;
	pthread_mutex_lock(&tl->lock);
	for (size_t i = tl->n; i-- > 0;)
		if (!source || !strcmp(tl->ev[i].source, source)) {
			t = tl->ev[i].time;
			break;
		}
	pthread_mutex_unlock(&tl->lock);
	return t;
}

size_t sd_timeline_count(struct sd_timeline *tl)
{
	pthread_mutex_lock(&tl->lock);
	size_t n = tl->n;
	pthread_mutex_unlock(&tl->lock);
	return n;
}

uint64_t sd_timeline_generation(struct sd_timeline *tl)
{
	pthread_mutex_lock(&tl->lock);
	uint64_t g = tl->generation;
	pthread_mutex_unlock(&tl->lock);
	return g;
}

struct sd_events *sd_timeline_events(struct sd_timeline *tl, size_t n)
{
	pthread_mutex_lock(&tl->lock);
	if (!tl->cached || tl->cached_generation != tl->generation || tl->cached_n != n) {
		sd_part_unref(tl->cached);
		struct sd_events *part = sd_part_new(sizeof(*part));
		struct sd_arena *a = part->part.arena;
		size_t take = tl->n < n ? tl->n : n;
		part->items = sd_arena_alloc(a, (take + 1) * sizeof(*part->items));
		for (size_t i = 0; i < take; i++) {
			const struct event *e = &tl->ev[tl->n - 1 - i];
			part->items[i] = (struct sd_event){
				.time = e->time, .source = sd_arena_strdup(a, e->source),
				.kind = sd_arena_strdup(a, e->kind),
				.target = sd_arena_strdup(a, e->target),
				.message = sd_arena_strdup(a, e->message)};
		}
		part->n = take;
		tl->cached = part;
		tl->cached_generation = tl->generation;
		tl->cached_n = n;
	}
	struct sd_events *ref = sd_part_ref(tl->cached);
	pthread_mutex_unlock(&tl->lock);
	return ref;
}

/* ---- Swarm ---- */
static const struct sd_node *node_by_id(const struct sd_swarm *sw, const char *id)
{
	for (size_t i = 0; i < sw->nnodes; i++)
		if (!strcmp(sw->nodes[i].id, id))
			return &sw->nodes[i];
	return NULL;
}

static bool task_failed(const struct sd_task *t)
{
	return !strcmp(t->state, "failed") || !strcmp(t->state, "rejected");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int add_fmt(struct sd_timeline *tl, double time, const char *source, const char *kind,
		   const char *target, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int add_fmt(struct sd_timeline *tl, double time, const char *source, const char *kind,
		   const char *target, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return sd_timeline_add(tl, time, source, kind, target, message);
}

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

/* The tasks of a whole swarm (ALL), or one service's. */
struct tasks_iter {
	const struct sd_swarm *all;
	struct sd_task_walk walk;
	const struct sd_task *tasks;
	size_t count, next;
};

static const struct sd_task *iter_next(struct tasks_iter *it)
{
	if (it->all)
		return sd_swarm_next_task(it->all, &it->walk);
	return it->next < it->count ? &it->tasks[it->next++] : NULL;
}

/* What changed on one node: O (NULL: new) against N (NULL: removed). */
static size_t node_changes(struct sd_timeline *tl, double now, const struct sd_node *o,
			   const struct sd_node *n)
{
	if (!n)
		return o ? add_fmt(tl, now, "swarm", "node-removed", o->hostname, "removed") : 0;
	if (!o)
		return add_fmt(tl, now, "swarm", "node-added", n->hostname, "%s %s", n->role, n->state);
	size_t kept = 0;
	if (strcmp(n->state, o->state))
		kept += add_fmt(tl, now, "swarm", "node-state", n->hostname, "%s (was %s)", n->state,
				o->state);
	if (strcmp(n->availability, o->availability))
		kept += add_fmt(tl, now, "swarm", "node-availability", n->hostname, "%s (was %s)",
				n->availability, o->availability);
	if (strcmp(n->role, o->role))
		kept += add_fmt(tl, now, "swarm", "node-role", n->hostname, "%s (was %s)", n->role,
				o->role);
	return kept;
}

/* A rollout's state that moved on one service. */
static size_t service_changes(struct sd_timeline *tl, double now, const struct sd_service *o,
			      const struct sd_service *s)
{
	if (!o || !s || !*s->update_state || !strcmp(s->update_state, o->update_state))
		return 0;
	return add_fmt(tl, now, "swarm", "service-update", s->name, "%s (was %s)%s%s",
		       s->update_state, or_dash(o->update_state), *s->update_message ? ": " : "",
		       s->update_message);
}

static int cmp_service_id(const void *a, const void *b)
{
	return strcmp((*(const struct sd_service *const *)a)->id,
		      (*(const struct sd_service *const *)b)->id);
}

size_t sd_timeline_swarm(struct sd_timeline *tl, const struct sd_swarm *old,
			 const struct sd_swarm *new, double now)
{
	if (!old || !new)
		return 0;
	size_t kept = 0;
	/* a part refreshed from OLD for one object: that object is all that can differ, and
	 * the part names it in both */
	bool only = new->derived_from == old && new->changed_kind;
	bool nodes = !only || !strcmp(new->changed_kind, "node");
	/* the console moved to another manager (docker.hosts): which, and which it left */
	if (old->endpoint && new->endpoint && strcmp(old->endpoint, new->endpoint))
		kept += add_fmt(tl, now, "swarm", "manager-switch", new->engine_name,
				"the console now asks %s (%s); %s (%s) stopped answering",
				or_dash(new->engine_name), new->endpoint, or_dash(old->engine_name),
				old->endpoint);
	if (only && nodes)
		return kept + node_changes(tl, now, new->changed_was, new->changed_now);
	for (size_t i = 0; nodes && i < new->nnodes; i++)
		kept += node_changes(tl, now, node_by_id(old, new->nodes[i].id), &new->nodes[i]);
	for (size_t i = 0; nodes && i < old->nnodes; i++)
		if (!node_by_id(new, old->nodes[i].id))
			kept += node_changes(tl, now, &old->nodes[i], NULL);

	/* the services, and the failed tasks the old look did not have failed: of the one
	 * service, or of all (the old services found by ID through a sorted index) */
	struct tasks_iter io = {.all = old, .count = old->ntasks}, in = {.all = new};
	if (only) {
		const struct sd_service *o = new->changed_was, *s = new->changed_now;
		kept += service_changes(tl, now, o, s);
		io = (struct tasks_iter){.tasks = o ? o->tasks : NULL, .count = o ? o->task_count : 0};
		in = (struct tasks_iter){.tasks = s ? s->tasks : NULL, .count = s ? s->task_count : 0};
	} else {
		const struct sd_service **index = xmalloc((old->nservices + 1) * sizeof(*index));
		for (size_t i = 0; i < old->nservices; i++)
			index[i] = old->services[i];
		qsort(index, old->nservices, sizeof(*index), cmp_service_id);
		for (size_t i = 0; i < new->nservices; i++) {
			const struct sd_service *s = new->services[i], **o;
			o = bsearch(&s, index, old->nservices, sizeof(*index), cmp_service_id);
			kept += service_changes(tl, now, o ? *o : NULL, s);
		}
		free(index);
	}
	const char **seen = xmalloc((io.count + 1) * sizeof(*seen));
	size_t nseen = 0;
	for (const struct sd_task *t; (t = iter_next(&io));)
		if (task_failed(t))
			seen[nseen++] = t->id;
	qsort(seen, nseen, sizeof(*seen), cmp_str);
	for (const struct sd_task *t; (t = iter_next(&in));) {
		if (!task_failed(t) || bsearch(&t->id, seen, nseen, sizeof(*seen), cmp_str))
			continue;
		char target[160], id[13];
		if (t->slot > 0)
			snprintf(target, sizeof(target), "%s.%ld", t->service, t->slot);
		else
			snprintf(target, sizeof(target), "%s.%s", t->service, or_dash(t->node));
		sd_strlcpy(id, t->id, sizeof(id));
		kept += add_fmt(tl, t->since > 0 ? (double)t->since : now, "swarm", "task-failed",
				target, "%s (task %s on %s)",
				*t->error ? t->error : or_dash(t->message), id, or_dash(t->node));
	}
	free(seen);
	return kept;
}

/* ---- the engine's /events ---- */
size_t sd_timeline_docker_event(struct sd_timeline *tl, const char *json, size_t len)
{
	json_t *ev = json_loadb(json, len, 0, NULL);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return 0;
	}
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
	const char *name = json_string_value(json_object_get(attrs, "name"));
	json_t *nano = json_object_get(ev, "timeNano");
	double t = json_is_integer(nano) ? (double)json_integer_value(nano) / 1e9
					 : (double)json_integer_value(json_object_get(ev, "time"));
	size_t kept = 0;
#define ATTR(k) json_string_value(json_object_get(attrs, k))
	if (!type || !action || !name || t <= 0) {
		/* nothing to say */
	} else if (!strcmp(type, "node") && !strcmp(action, "update")) {
		static const char *const fields[][2] = {{"state", "node-state"},
							{"availability", "node-availability"},
							{"role", "node-role"}};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			char knew[32], kold[32];
			snprintf(knew, sizeof(knew), "%s.new", fields[i][0]);
			snprintf(kold, sizeof(kold), "%s.old", fields[i][0]);
			const char *nv = ATTR(knew), *ov = ATTR(kold);
			if (nv && ov && strcmp(nv, ov))
				kept += add_fmt(tl, t, "swarm", fields[i][1], name, "%s (was %s)", nv, ov);
		}
	} else if (!strcmp(type, "node") && (!strcmp(action, "create") || !strcmp(action, "remove"))) {
		if (!strcmp(action, "remove"))
			kept += add_fmt(tl, t, "swarm", "node-removed", name, "removed");
	} else if (!strcmp(type, "service") && !strcmp(action, "update")) {
		const char *nv = ATTR("updatestate.new"), *ov = ATTR("updatestate.old");
		if (nv && *nv && (!ov || strcmp(nv, ov)))
			kept += add_fmt(tl, t, "swarm", "service-update", name, "%s (was %s)", nv,
					or_dash(ov));
	}
#undef ATTR
	json_decref(ev);
	return kept;
}

/* ---- PostgreSQL ---- */
static const struct sd_pg_member *member_named(const struct sd_pg *pg, const char *name)
{
	for (size_t i = 0; i < pg->nmembers; i++)
		if (!strcmp(pg->members[i].name, name))
			return &pg->members[i];
	return NULL;
}

static void human_bytes(long long b, char *buf, size_t size)
{
	if (b >= 1048576)
		snprintf(buf, size, "%.1f MB", (double)b / 1048576.0);
	else if (b >= 1024)
		snprintf(buf, size, "%.1f kB", (double)b / 1024.0);
	else
		snprintf(buf, size, "%lld B", b);
}

size_t sd_timeline_pg(struct sd_timeline *tl, const struct sd_pg *old, const struct sd_pg *new,
		      long long lag_threshold, double now)
{
	if (!old || !new)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < new->nmembers; i++) {
		const struct sd_pg_member *m = &new->members[i], *o = member_named(old, m->name);
		if (!o)
			continue;
		if (o->reachable && !m->reachable)
			kept += add_fmt(tl, now, "postgres", "member-lost", m->name, "unreachable: %s",
					or_dash(m->error));
		else if (!o->reachable && m->reachable)
			kept += add_fmt(tl, now, "postgres", "member-back", m->name, "reachable, %s",
					m->role);
		if (!m->reachable || !o->reachable)
			continue;
		if (strcmp(m->role, o->role) && strcmp(m->role, "unknown"))
			kept += add_fmt(tl, now, "postgres", "role", m->name, "%s (was %s)", m->role,
					o->role);
		if (m->timeline > 0 && o->timeline > 0 && m->timeline != o->timeline)
			kept += add_fmt(tl, now, "postgres", "timeline", m->name, "%ld (was %ld)",
					m->timeline, o->timeline);
		if (lag_threshold > 0 && m->lag_bytes >= 0 && o->lag_bytes >= 0) {
			char lag[32], thr[32];
			human_bytes(m->lag_bytes, lag, sizeof(lag));
			human_bytes(lag_threshold, thr, sizeof(thr));
			if (o->lag_bytes <= lag_threshold && m->lag_bytes > lag_threshold)
				kept += add_fmt(tl, now, "postgres", "lag", m->name,
						"above %s: %s behind", thr, lag);
			else if (o->lag_bytes > lag_threshold && m->lag_bytes <= lag_threshold)
				kept += add_fmt(tl, now, "postgres", "lag", m->name,
						"back under %s: %s behind", thr, lag);
		}
	}
	return kept;
}

/* ---- Redis Sentinel ---- */
static bool same_redis_event(const struct sd_redis_event *a, const struct sd_redis_event *b)
{
	return a->time == b->time && !strcmp(a->sentinel, b->sentinel) &&
	       !strcmp(a->channel, b->channel) && !strcmp(a->message, b->message);
}

/* "+sdown" "master mymaster 10.0.0.1 6379" -> kind "sdown", target "mymaster"; a leading
 * '-' (cleared) is kept: "-sdown". */
static void redis_one(struct sd_timeline *tl, const struct sd_redis_event *e, size_t *kept)
{
	const char *kind = e->channel[0] == '+' ? e->channel + 1 : e->channel;
	if (!*kind || e->time <= 0)
		return;
	char target[128] = "";
	const char *m = e->message ? e->message : "";
	const char *sp = strchr(m, ' ');
	size_t first = sp ? (size_t)(sp - m) : strlen(m);
	if (sp && ((first == 6 && !strncmp(m, "master", 6)) || (first == 5 && !strncmp(m, "slave", 5)) ||
		   (first == 8 && !strncmp(m, "sentinel", 8)))) {
		const char *name = sp + 1, *end = strchr(name, ' ');
		size_t len = end ? (size_t)(end - name) : strlen(name);
		snprintf(target, sizeof(target), "%.*s", (int)len, name);
	} else {
		snprintf(target, sizeof(target), "%.*s", (int)first, m);
	}
	*kept += (size_t)add_fmt(tl, (double)e->time, "redis", kind, target, "%s %s", e->channel, m);
}

size_t sd_timeline_redis(struct sd_timeline *tl, const struct sd_redis *old,
			 const struct sd_redis *new)
{
	if (!new)
		return 0;
	size_t from = 0, kept = 0;
	if (old && old->nevents) {
		/* what follows OLD's newest in NEW's ring; all of it when the ring moved past */
		const struct sd_redis_event *last = &old->events[old->nevents - 1];
		for (size_t i = new->nevents; i-- > 0;)
			if (same_redis_event(&new->events[i], last)) {
				from = i + 1;
				break;
			}
	}
	for (size_t i = from; i < new->nevents; i++)
		redis_one(tl, &new->events[i], &kept);
	return kept;
}

/* ---- backups ---- */
static const struct sd_backup *backup_file(const struct sd_backups *b, const char *file)
{
	for (size_t i = 0; i < b->nitems; i++)
		if (!strcmp(b->items[i].file, file))
			return &b->items[i];
	return NULL;
}

size_t sd_timeline_backups(struct sd_timeline *tl, const struct sd_backups *old,
			   const struct sd_backups *new, double now)
{
	if (!old || !new)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < new->nitems; i++) {
		const struct sd_backup *b = &new->items[i], *o = backup_file(old, b->file);
		char size[32];
		human_bytes(b->size, size, sizeof(size));
		if (!o)
			kept += add_fmt(tl, b->time > 0 ? (double)b->time : now, "backups",
					"backup-taken", b->kind, "%s %s from %s", b->file, size,
					or_dash(b->source));
		const char *was = o ? o->verified : "no";
		if (strcmp(b->verified, was) && !strcmp(b->verified, "yes"))
			kept += add_fmt(tl, b->verified_at > 0 ? (double)b->verified_at : now,
					"backups", "backup-verified", b->kind, "%s", b->file);
		else if (strcmp(b->verified, was) && !strcmp(b->verified, "failed"))
			kept += add_fmt(tl, b->verified_at > 0 ? (double)b->verified_at : now,
					"backups", "backup-verify-failed", b->kind, "%s: %s", b->file,
					or_dash(b->verify_message));
	}
	return kept;
}

/* ---- alerts ---- */
static bool all_answered(const struct sd_snapshot *s)
{
	const struct sd_backend_status *st[] = {&s->docker_status, &s->pg_status, &s->redis_status,
						&s->backups_status, &s->prom_status,
						&s->vip_status};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		if (st[i]->configured && !st[i]->answered)
			return false;
	return true;
}

static bool same_str(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

/* Has S an alert on A's source and target (of A's level when LEVEL)? */
static bool alert_in(const struct sd_snapshot *s, const struct sd_alert *a, bool level)
{
	for (size_t i = 0; i < s->nalerts; i++)
		if (same_str(s->alerts[i].source, a->source) &&
		    same_str(s->alerts[i].target, a->target) &&
		    (!level || s->alerts[i].level == a->level))
			return true;
	return false;
}

/* Prometheus's alerts have their own events (sd_timeline_prom: alert-firing, -resolved) */
static bool has_own_events(const struct sd_alert *a)
{
	return a->kind && !strcmp(a->kind, "prometheus-alert");
}

size_t sd_timeline_alerts(struct sd_timeline *tl, const struct sd_snapshot *old,
			  const struct sd_snapshot *new, double now)
{
	if (!old || !new || !all_answered(old) || !all_answered(new))
		return 0;
	size_t kept = 0;
	/* raised, or at another level than before; the message's figures (ages, bytes) move
	 * without making it a new alert */
	for (size_t i = 0; i < new->nalerts; i++) {
		const struct sd_alert *a = &new->alerts[i];
		if (!has_own_events(a) && !alert_in(old, a, true))
			kept += add_fmt(tl, now, a->source ? a->source : "?", "alert",
					a->target ? a->target : "", "%s: %s",
					sd_level_name(a->level), a->message ? a->message : "");
	}
	for (size_t i = 0; i < old->nalerts; i++) {
		const struct sd_alert *o = &old->alerts[i];
		if (!has_own_events(o) && !alert_in(new, o, false))
			kept += add_fmt(tl, now, o->source ? o->source : "?", "alert-cleared",
					o->target ? o->target : "", "was %s: %s",
					sd_level_name(o->level), o->message ? o->message : "");
	}
	return kept;
}

/* ---- the audit log ---- */
static void audit_line(struct sd_timeline *tl, const char *line, size_t len, double after,
		       size_t *kept)
{
	json_t *o = json_loadb(line, len, 0, NULL);
	const char *when = json_string_value(json_object_get(o, "time"));
	const char *user = json_string_value(json_object_get(o, "user"));
	const char *action = json_string_value(json_object_get(o, "action"));
	const char *target = json_string_value(json_object_get(o, "target"));
	const char *result = json_string_value(json_object_get(o, "result"));
	const char *message = json_string_value(json_object_get(o, "message"));
	const char *part_of = json_string_value(json_object_get(o, "part_of"));
	const char *cluster = json_string_value(json_object_get(o, "cluster"));
	if (tl->cluster && cluster && strcmp(cluster, tl->cluster) != 0) {
		json_decref(o); /* another cluster's action, from a console over several */
		return;
	}
	double t = sd_timeline_parse_time(when);
	/* the line is written when the action has finished: its second's end keeps it after
	 * what the action caused to be seen in the same second */
	if (t > 0 && t == floor(t))
		t += 0.999;
	if (json_is_object(o) && t > 0 && t >= after && action && *action)
		*kept += (size_t)add_fmt(tl, t, "audit", action, target ? target : "",
					 "%s %s%s%s%s%s%s", user ? user : "?", result ? result : "?",
					 message && *message ? ": " : "", message ? message : "",
					 part_of && *part_of ? " (part of " : "",
					 part_of && *part_of ? part_of : "",
					 part_of && *part_of ? ")" : "");
	json_decref(o);
}

size_t sd_timeline_audit(struct sd_timeline *tl, const char *audit_path)
{
	if (!audit_path)
		return 0;
	int fd = open(audit_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return 0;
	}
	pthread_mutex_lock(&tl->lock);
	bool first = !tl->audit_seen || tl->audit_dev != st.st_dev || tl->audit_ino != st.st_ino ||
		     st.st_size < tl->audit_off;
	off_t from = first ? (st.st_size > AUDIT_TAIL ? st.st_size - AUDIT_TAIL : 0) : tl->audit_off;
	bool partial_first_line = first && from > 0;
	pthread_mutex_unlock(&tl->lock);
	/* at the first look, what the file of the timeline has is not read twice */
	double after = 0;
	if (first) {
		after = sd_timeline_newest(tl, "audit");
		after = after > 0 ? floor(after) : 0;
	}
	size_t kept = 0;
	if (st.st_size > from) {
		size_t len = (size_t)(st.st_size - from);
		char *buf = xmalloc(len + 1);
		ssize_t got = pread(fd, buf, len, from);
		size_t used = 0;
		if (got > 0) {
			buf[got] = '\0';
			char *p = buf, *end = buf + got;
			if (partial_first_line) {
				char *nl = memchr(p, '\n', (size_t)(end - p));
				p = nl ? nl + 1 : end;
			}
			char *nl;
			while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
				audit_line(tl, p, (size_t)(nl - p), after, &kept);
				p = nl + 1;
			}
			used = (size_t)(p - buf);   /* an unfinished last line waits */
		}
		free(buf);
		from += (off_t)used;
	}
	pthread_mutex_lock(&tl->lock);
	tl->audit_seen = true;
	tl->audit_dev = st.st_dev;
	tl->audit_ino = st.st_ino;
	tl->audit_off = from;
	pthread_mutex_unlock(&tl->lock);
	close(fd);
	return kept;
}
