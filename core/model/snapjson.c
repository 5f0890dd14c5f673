/* snapjson.c - the snapshot as a JSON tree: the schema of PRODUCT.md. Sections a deployment
 * does not configure are null, never absent. Whatever a string holds, every item is there
 * and the output is valid JSON: a malformed UTF-8 byte (the backends replace them, but a
 * string may come from anywhere) is written as U+FFFD, never the reason an object is lost. */
#include "model/snapjson.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *sd_time_rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (t <= 0 || !gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%s", "");
	return buf;
}

const char *sd_time_rfc3339_ms(double t, char *buf, size_t size)
{
	long long all = llround(t * 1000.0);   /* 0.12 is 120 ms, not 119 */
	time_t secs = (time_t)(all / 1000);
	int ms = (int)(all % 1000);
	struct tm tm;
	char base[32];
	if (t <= 0 || !gmtime_r(&secs, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(buf, size, "%s", "");
	else
		snprintf(buf, size, "%s.%03dZ", base, ms < 0 ? 0 : ms > 999 ? 999 : ms);
	return buf;
}

json_t *sd_json_str(const char *s)
{
	if (!s)
		s = "";
	size_t len = strlen(s);
	if (sd_utf8_valid(s, len))
		return json_stringn_nocheck(s, len);
	char *fixed = xmalloc(3 * len + 1);
	size_t n = sd_utf8_sanitize(s, len, fixed);
	json_t *j = json_stringn_nocheck(fixed, n);
	free(fixed);
	return j;
}

void sd_json_set(json_t *obj, const char *key, json_t *value)
{
	if (!key)
		key = "";
	size_t len = strlen(key);
	if (sd_utf8_valid(key, len)) {
		json_object_setn_new_nocheck(obj, key, len, value);
		return;
	}
	char *fixed = xmalloc(3 * len + 1);
	size_t n = sd_utf8_sanitize(key, len, fixed);
	json_object_setn_new_nocheck(obj, fixed, n, value);
	free(fixed);
}

/* ITEM into the array A: null in its place should it be missing, so counts stay right. */
static void append(json_t *a, json_t *item)
{
	json_array_append_new(a, item ? item : json_null());
}

static json_t *time_or_null(time_t t)
{
	char buf[32];
	return t > 0 ? json_string(sd_time_rfc3339(t, buf, sizeof(buf))) : json_null();
}

static json_t *error_or_null(const struct sd_backend_status *st)
{
	return st->answered && !st->reachable ? sd_json_str(st->error) : json_null();
}

static json_t *cluster_json(const struct sd_snapshot *snap)
{
	const struct sd_swarm *sw = snap->swarm;
	json_t *c = json_object();
	json_object_set_new(c, "name", sd_json_str(snap->cluster_name));
	json_object_set_new(c, "reachable", json_boolean(snap->docker_status.reachable));
	json_object_set_new(c, "error", error_or_null(&snap->docker_status));
	json_object_set_new(c, "unreachable_since", time_or_null(snap->docker_status.unreachable_since));
	json_object_set_new(c, "stale", json_boolean(sw && !snap->docker_status.reachable));
	json_object_set_new(c, "engine", sw ? sd_json_str(sw->engine_name) : json_null());
	/* the engine asked, and whether it is another manager than the one configured first */
	json_object_set_new(c, "endpoint", sw && sw->endpoint ? sd_json_str(sw->endpoint) : json_null());
	json_object_set_new(c, "failover", json_boolean(sw && sw->endpoint_index > 0));
	json_object_set_new(c, "managers", json_integer(sw ? sw->managers : 0));
	json_object_set_new(c, "managers_reachable", json_integer(sw ? sw->managers_reachable : 0));
	json_object_set_new(c, "leader", sw && sw->leader && *sw->leader ? sd_json_str(sw->leader) : json_null());
	return c;
}

static json_t *nodes_json(const struct sd_swarm *sw)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sw->nnodes; i++) {
		const struct sd_node *n = &sw->nodes[i];
		json_t *labels = json_object();
		for (size_t j = 0; j < n->nlabels; j++)
			sd_json_set(labels, n->labels[j].key, sd_json_str(n->labels[j].value));
		append(a, json_pack("{s:o s:o s:o s:o s:o s:o s:o s:o s:o s:i}",
			"id", sd_json_str(n->id), "hostname", sd_json_str(n->hostname), "role", sd_json_str(n->role),
			"availability", sd_json_str(n->availability), "state", sd_json_str(n->state),
			"manager", n->manager && *n->manager ? sd_json_str(n->manager) : json_null(),
			"engine", sd_json_str(n->engine), "addr", sd_json_str(n->addr), "labels", labels,
			"tasks", n->tasks));
	}
	return a;
}

static json_t *services_json(const struct sd_swarm *sw)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sw->nservices; i++) {
		const struct sd_service *s = sw->services[i];
		json_t *ports = json_array();
		for (size_t j = 0; j < s->nports; j++)
			append(ports, json_pack("{s:I s:I s:o s:o}",
				"published", (json_int_t)s->ports[j].published,
				"target", (json_int_t)s->ports[j].target,
				"protocol", sd_json_str(s->ports[j].protocol), "mode", sd_json_str(s->ports[j].mode)));
		json_t *svc = json_pack("{s:o s:o s:o s:o s:I s:I s:o s:o s:o}",
			"id", sd_json_str(s->id), "name", sd_json_str(s->name), "stack", sd_json_str(s->stack),
			"mode", sd_json_str(s->mode), "desired", (json_int_t)s->desired,
			"running", (json_int_t)s->running, "image", sd_json_str(s->image),
			"update_state", *s->update_state ? sd_json_str(s->update_state) : json_null(),
			"ports", ports);
		/* the rollout: UpdateStatus as the engine reports it, null before any */
		sd_json_set(svc, "update", s->update_state && *s->update_state
			? json_pack("{s:o s:o s:o s:o}", "state", sd_json_str(s->update_state),
				    "started", time_or_null(s->update_started),
				    "completed", time_or_null(s->update_completed),
				    "message", sd_json_str(s->update_message))
			: json_null());
		append(a, svc);
	}
	return a;
}

/* ---- stacks and Swarm objects: names and sizes, never a secret's value nor a config's data */

static json_t *names_json(const char **names, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		append(a, sd_json_str(names[i]));
	return a;
}

static json_t *stacks_json(const struct sd_swarm *sw)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sw->nstacks; i++) {
		const struct sd_stack *st = &sw->stacks[i];
		append(a, json_pack("{s:o s:I s:I s:I s:I s:I}", "name", sd_json_str(st->name),
			"services", (json_int_t)st->services, "degraded", (json_int_t)st->degraded,
			"updating", (json_int_t)st->updating, "running", (json_int_t)st->running,
			"desired", (json_int_t)st->desired));
	}
	return a;
}

static json_t *networks_json(const struct sd_swarm *sw)
{
	if (!sw->objects_read && !sw->nnetworks)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < sw->nnetworks; i++) {
		const struct sd_network *n = &sw->networks[i];
		append(a, json_pack("{s:o s:o s:o s:o s:o s:b s:b s:b s:o s:o s:o}",
			"id", sd_json_str(n->id), "name", sd_json_str(n->name), "driver", sd_json_str(n->driver),
			"scope", sd_json_str(n->scope), "stack", *n->stack ? sd_json_str(n->stack) : json_null(),
			"attachable", n->attachable, "internal", n->internal, "ingress", n->ingress,
			"subnets", names_json(n->subnets, n->nsubnets),
			"services", names_json(n->services, n->nservices),
			"created", time_or_null(n->created)));
	}
	return a;
}

/* Secrets and configs: no value in the model to print, and none printed. */
static json_t *objects_json(const struct sd_swarm *sw, const struct sd_swarm_object *items,
			    size_t n, bool configs)
{
	if (!sw->objects_read && !n)
		return json_null();
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct sd_swarm_object *x = &items[i];
		json_t *o = json_pack("{s:o s:o s:o s:o s:o s:o}", "id", sd_json_str(x->id),
			"name", sd_json_str(x->name), "stack", *x->stack ? sd_json_str(x->stack) : json_null(),
			"created", time_or_null(x->created), "updated", time_or_null(x->updated),
			"services", names_json(x->services, x->nservices));
		if (o && configs)
			json_object_set_new(o, "size", json_integer(x->size));
		append(a, o);
	}
	return a;
}

static json_t *task_json(const struct sd_task *t)
{
	return json_pack("{s:o s:o s:I s:o s:o s:o s:o s:o}",
		"id", sd_json_str(t->id), "service", sd_json_str(t->service), "slot", (json_int_t)t->slot,
		"node", sd_json_str(t->node), "desired_state", sd_json_str(t->desired_state),
		"state", sd_json_str(t->state), "error", sd_json_str(t->error), "since", time_or_null(t->since));
}

static json_t *tasks_json(const struct sd_swarm *sw)
{
	json_t *a = json_array();
	struct sd_task_walk w = {0};
	for (const struct sd_task *t; (t = sd_swarm_next_task(sw, &w));)
		append(a, task_json(t));
	return a;
}

/* PostgreSQL: unknown is null, never -1 */
static json_t *bytes_or_null(long long v) { return v >= 0 ? json_integer(v) : json_null(); }
static json_t *seconds_or_null(double v) { return v >= 0 ? json_real(v) : json_null(); }

static json_t *pg_overview_json(const struct sd_pg_member *m)
{
	const struct sd_pg_overview *o = &m->overview;
	if (!o->present)
		return json_null();
	json_t *dbs = json_array();
	for (size_t i = 0; i < o->ndatabases; i++)
		append(dbs, json_pack("{s:o s:I}", "name", sd_json_str(o->databases[i].name), "size_bytes",
				      (json_int_t)o->databases[i].size_bytes));
	json_t *j = json_pack("{s:I s:I s:I s:{s:I s:I s:I s:I} s:I}",
		"connections", (json_int_t)o->connections,
		"max_connections", (json_int_t)o->max_connections,
		"reserved_connections", (json_int_t)o->reserved_connections,
		"by_state", "active", (json_int_t)o->active, "idle", (json_int_t)o->idle,
		"idle_in_transaction", (json_int_t)o->idle_in_xact, "other", (json_int_t)o->other_state,
		"waiting_on_lock", (json_int_t)o->waiting_lock);
	json_object_set_new(j, "databases", dbs);
	json_object_set_new(j, "cache_hit_ratio", seconds_or_null(o->cache_hit_ratio));
	json_object_set_new(j, "commits_per_second", seconds_or_null(o->commits_per_second));
	json_object_set_new(j, "rollbacks_per_second", seconds_or_null(o->rollbacks_per_second));
	json_object_set_new(j, "wal_bytes_per_second", seconds_or_null(o->wal_bytes_per_second));
	json_object_set_new(j, "deadlocks", json_integer(o->deadlocks));
	json_object_set_new(j, "temp_bytes", json_integer(o->temp_bytes));
	json_object_set_new(j, "oldest_xact_seconds", seconds_or_null(o->oldest_xact_seconds));
	json_object_set_new(j, "oldest_query_seconds", seconds_or_null(o->oldest_query_seconds));
	json_object_set_new(j, "max_frozen_xid_age", bytes_or_null(o->max_frozen_xid_age));
	json_object_set_new(j, "wraparound_margin_percent", seconds_or_null(o->wraparound_margin));
	json_object_set_new(j, "checkpoints_timed", bytes_or_null(o->checkpoints_timed));
	json_object_set_new(j, "checkpoints_requested", bytes_or_null(o->checkpoints_req));
	return j;
}

/* the sessions summary: counts and who blocks whom (the sessions view has every row) */
static json_t *pg_sessions_json(const struct sd_pg_member *m)
{
	if (!m->overview.present)
		return json_null();
	json_t *blocked = json_array(), *blockers = json_array();
	long waiting = 0;
	for (size_t i = 0; i < m->nsessions; i++) {
		const struct sd_pg_activity *s = &m->sessions[i];
		if (s->blocks > 0)
			append(blockers, json_integer(s->pid));
		if (s->nblocked_by > 0) {
			json_t *by = json_array();
			for (int k = 0; k < s->nblocked_by; k++)
				append(by, json_integer(s->blocked_by[k]));
			append(blocked, json_pack("{s:I s:o s:o s:o}", "pid", (json_int_t)s->pid,
						  "user", sd_json_str(s->user), "seconds",
						  seconds_or_null(s->query_seconds), "blocked_by", by));
		}
		if (!strcmp(s->state, "active"))
			waiting += *s->wait_type != 0;
	}
	json_t *j = json_pack("{s:I s:I}", "count", (json_int_t)m->nsessions, "waiting",
			      (json_int_t)waiting);
	json_object_set_new(j, "blockers", blockers);
	json_object_set_new(j, "blocked", blocked);
	return j;
}

static json_t *postgres_json(const struct sd_snapshot *snap)
{
	const struct sd_pg *pg = snap->pg;
	json_t *o = json_object();
	json_object_set_new(o, "error", error_or_null(&snap->pg_status));
	json_t *members = json_array(), *slots = json_array();
	for (size_t i = 0; pg && i < pg->nmembers; i++) {
		const struct sd_pg_member *m = &pg->members[i];
		json_t *j = json_pack("{s:o s:o s:b s:I s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o s:o}",
			"name", sd_json_str(m->name), "role", sd_json_str(m->role), "reachable", m->reachable,
			"timeline", (json_int_t)m->timeline, "lsn", sd_json_str(m->lsn),
			"lag_bytes", bytes_or_null(m->lag_bytes),
			"write_lag_bytes", bytes_or_null(m->write_lag_bytes),
			"flush_lag_bytes", bytes_or_null(m->flush_lag_bytes),
			"replay_lag_seconds", seconds_or_null(m->replay_lag_seconds),
			"write_lag_seconds", seconds_or_null(m->write_lag_seconds),
			"flush_lag_seconds", seconds_or_null(m->flush_lag_seconds),
			"lag_source", m->lag_source && *m->lag_source ? sd_json_str(m->lag_source) : json_null(),
			"sync_state", m->sync_state && *m->sync_state ? sd_json_str(m->sync_state) : json_null(),
			"state", m->repl_state && *m->repl_state ? sd_json_str(m->repl_state) : json_null(),
			"upstream", m->upstream && *m->upstream ? sd_json_str(m->upstream) : json_null(),
			"error", m->error && *m->error ? sd_json_str(m->error) : json_null());
		json_object_set_new(j, "unreachable_since", time_or_null(m->unreachable_since));
		json_object_set_new(j, "overview", pg_overview_json(m));
		json_object_set_new(j, "sessions", pg_sessions_json(m));
		append(members, j);
	}
	for (size_t i = 0; pg && i < pg->nslots; i++)
		append(slots, json_pack("{s:o s:o s:o s:b s:I}",
			"member", sd_json_str(pg->slots[i].member), "name", sd_json_str(pg->slots[i].name),
			"type", sd_json_str(pg->slots[i].type), "active", pg->slots[i].active,
			"retained_bytes", (json_int_t)pg->slots[i].retained_bytes));
	json_object_set_new(o, "members", members);
	json_object_set_new(o, "slots", slots);
	json_t *arch = json_object();
	if (pg && pg->archiver.present) {
		const struct sd_pg_archiver *a = &pg->archiver;
		json_object_set_new(arch, "archived_count", json_integer(a->archived_count));
		json_object_set_new(arch, "failed_count", json_integer(a->failed_count));
		json_object_set_new(arch, "last_archived_wal", sd_json_str(a->last_archived_wal));
		json_object_set_new(arch, "last_archived_time", time_or_null(a->last_archived_time));
		json_object_set_new(arch, "last_failed_wal", sd_json_str(a->last_failed_wal));
		json_object_set_new(arch, "last_failed_time", time_or_null(a->last_failed_time));
	}
	json_object_set_new(o, "archiver", arch);
	return o;
}

static json_t *redis_json(const struct sd_snapshot *snap)
{
	const struct sd_redis *r = snap->redis;
	json_t *o = json_object();
	json_object_set_new(o, "error", error_or_null(&snap->redis_status));
	json_t *replicas = json_array(), *sentinels = json_array();
	json_t *master = json_null();
	if (r) {
		const struct sd_redis_master *m = &r->master;
		master = json_pack("{s:o s:o s:o s:I s:b}", "name", sd_json_str(m->name), "addr", sd_json_str(m->addr),
				   "flags", sd_json_str(m->flags), "quorum", (json_int_t)m->quorum,
				   "ckquorum", m->ckquorum);
		for (size_t i = 0; i < r->nreplicas; i++)
			append(replicas, json_pack("{s:o s:o s:o s:I}",
				"addr", sd_json_str(r->replicas[i].addr), "flags", sd_json_str(r->replicas[i].flags),
				"link", sd_json_str(r->replicas[i].link),
				"lag_bytes", (json_int_t)r->replicas[i].lag_bytes));
		for (size_t i = 0; i < r->nsentinels; i++)
			append(sentinels, json_pack("{s:o s:o s:b s:o}",
				"addr", sd_json_str(r->sentinels[i].addr), "flags", sd_json_str(r->sentinels[i].flags),
				"reachable", r->sentinels[i].reachable,
				"master_addr", sd_json_str(r->sentinels[i].master_addr)));
		json_object_set_new(o, "failover", r->failover && *r->failover ? sd_json_str(r->failover)
									    : json_null());
	}
	json_object_set_new(o, "master", master);
	json_object_set_new(o, "replicas", replicas);
	json_object_set_new(o, "sentinels", sentinels);
	return o;
}

/* The timeline's newest events, newest first (the Sentinels' among them). */
/* "vip": {"address", "holder", "error", "holder_since", "nodes": [{"name", "answers",
 * "says", "error"}]}; holder, error and says are null when there is none. */
static json_t *vip_json(const struct sd_snapshot *snap)
{
	const struct sd_vip *v = snap->vip;
	json_t *o = json_object();
	if (!v) { /* configured, not looked at yet */
		sd_json_set(o, "address", json_null());
		sd_json_set(o, "holder", json_null());
		sd_json_set(o, "error", error_or_null(&snap->vip_status));
		sd_json_set(o, "holder_since", json_null());
		sd_json_set(o, "nodes", json_array());
		return o;
	}
	sd_json_set(o, "address", sd_json_str(v->address));
	sd_json_set(o, "holder", *v->holder ? sd_json_str(v->holder) : json_null());
	sd_json_set(o, "error", *v->error ? sd_json_str(v->error) : json_null());
	sd_json_set(o, "holder_since", time_or_null(v->holder_since));
	json_t *nodes = json_array();
	for (size_t i = 0; i < v->nnodes; i++) {
		const struct sd_vip_node *n = &v->nodes[i];
		json_t *one = json_object();
		sd_json_set(one, "name", sd_json_str(n->name));
		sd_json_set(one, "answers", json_boolean(n->answers));
		sd_json_set(one, "says", *n->says ? sd_json_str(n->says) : json_null());
		sd_json_set(one, "error", *n->error ? sd_json_str(n->error) : json_null());
		append(nodes, one);
	}
	sd_json_set(o, "nodes", nodes);
	return o;
}

static json_t *events_json(const struct sd_events *ev)
{
	json_t *a = json_array();
	for (size_t i = 0; ev && i < ev->n; i++) {
		const struct sd_event *e = &ev->items[i];
		char when[40];
		sd_time_rfc3339_ms(e->time, when, sizeof(when));
		append(a, json_pack("{s:s s:o s:o s:o s:o}", "time", when, "source", sd_json_str(e->source),
				    "kind", sd_json_str(e->kind), "target", sd_json_str(e->target),
				    "message", sd_json_str(e->message)));
	}
	return a;
}

void sd_snapshot_json_events_since(json_t *root, double since)
{
	json_t *a = json_object_get(root, "events");
	size_t keep = 0;
	/* newest first: what is older than SINCE is the tail */
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *when = json_string_value(json_object_get(json_array_get(a, i), "time"));
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *rest = when ? strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
		double t = rest ? (double)timegm(&tm) + (*rest == '.' ? strtod(rest, NULL) : 0) : 0;
		if (t < since)
			break;
		keep = i + 1;
	}
	while (json_array_size(a) > keep)
		json_array_remove(a, json_array_size(a) - 1);
}

static json_t *backups_json(const struct sd_backups *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < b->nitems; i++) {
		const struct sd_backup *x = &b->items[i];
		json_t *copies = json_array();
		for (size_t j = 0; j < x->ncopies; j++) {
			const struct sd_backup_copy *c = &x->copies[j];
			append(copies, json_pack("{s:o s:o s:I s:o}", "where", sd_json_str(c->where),
						 "verified", sd_json_str(c->verified), "size", (json_int_t)c->size,
						 "time", time_or_null(c->time)));
		}
		append(a, json_pack("{s:o s:o s:o s:I s:o s:o s:o s:o s:o s:o}",
			"kind", sd_json_str(x->kind), "file", sd_json_str(x->file), "time", time_or_null(x->time),
			"size", (json_int_t)x->size, "verified", sd_json_str(x->verified),
			"verify_message", sd_json_str(x->verify_message), "sha256", sd_json_str(x->sha256),
			"source", sd_json_str(x->source), "database", sd_json_str(x->database), "copies", copies));
	}
	return a;
}

json_t *sd_snapshot_json(const struct sd_snapshot *snap)
{
	return sd_snapshot_json_tasks(snap, true);
}

json_t *sd_snapshot_json_tasks(const struct sd_snapshot *snap, bool with_tasks)
{
	json_t *root = json_object();
	char when[32];
	json_object_set_new(root, "version", json_string(SD_VERSION));
	json_object_set_new(root, "time", json_string(sd_time_rfc3339(snap->time, when, sizeof(when))));
	json_object_set_new(root, "mode", json_string(sd_mode_name(snap->mode)));
	json_object_set_new(root, "health", json_string(sd_level_name(snap->health)));
	json_t *alerts = json_array();
	for (size_t i = 0; i < snap->nalerts; i++) {
		const struct sd_alert *a = &snap->alerts[i];
		char level[16];
		snprintf(level, sizeof(level), "%s", sd_level_name(a->level));
		append(alerts, json_pack("{s:s s:o s:o s:o s:o}", "level", level,
			"source", sd_json_str(a->source), "kind", sd_json_str(a->kind),
			"target", sd_json_str(a->target), "message", sd_json_str(a->message)));
	}
	json_object_set_new(root, "alerts", alerts);
	json_object_set_new(root, "cluster", cluster_json(snap));
	const struct sd_swarm *sw = snap->swarm;
	json_object_set_new(root, "nodes", sw ? nodes_json(sw) : json_null());
	json_object_set_new(root, "services", sw ? services_json(sw) : json_null());
	json_object_set_new(root, "tasks", sw && with_tasks ? tasks_json(sw) : json_null());
	json_object_set_new(root, "stacks", sw ? stacks_json(sw) : json_null());
	json_object_set_new(root, "networks", sw ? networks_json(sw) : json_null());
	json_object_set_new(root, "secrets", sw ? objects_json(sw, sw->secrets, sw->nsecrets, false)
					     : json_null());
	json_object_set_new(root, "configs", sw ? objects_json(sw, sw->configs, sw->nconfigs, true)
					     : json_null());
	bool objects_failed = sw && sw->objects_error && *sw->objects_error;
	json_object_set_new(root, "objects_error", objects_failed ? sd_json_str(sw->objects_error)
								  : json_null());
	json_object_set_new(root, "postgres", snap->pg_status.configured ? postgres_json(snap)
									 : json_null());
	json_object_set_new(root, "redis", snap->redis_status.configured ? redis_json(snap)
								       : json_null());
	json_object_set_new(root, "backups", snap->backups ? backups_json(snap->backups)
							   : json_null());
	json_object_set_new(root, "vip", snap->vip_status.configured ? vip_json(snap) : json_null());
	json_object_set_new(root, "events", events_json(snap->events));
	json_object_set_new(root, "prometheus", sd_snapshot_json_prom(snap));
	const struct sd_backups *b = snap->backups;
	json_object_set_new(root, "backups_remote",
			    b && b->remote_configured
				    ? json_pack("{s:o s:o s:I}", "url", sd_json_str(b->remote_url), "error",
						sd_json_str(b->remote_error), "retention_days",
						(json_int_t)b->remote_retention_days)
				    : json_null());
	return root;
}

/* The tasks, one object at a time, so 20,000 of them never stand in memory as one tree. */
static int write_tasks(FILE *out, const struct sd_swarm *sw)
{
	fputs("[", out);
	struct sd_task_walk w = {0};
	size_t i = 0;
	for (const struct sd_task *t; (t = sd_swarm_next_task(sw, &w)); i++) {
		json_t *one = task_json(t);
		char *text = one ? json_dumps(one, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
		fputs(i ? ",\n    " : "\n    ", out);
		fputs(text ? text : "null", out);   /* an element in every place, never a bare comma */
		free(text);
		json_decref(one);
	}
	fputs(sw->ntasks ? "\n  ]" : "]", out);
	return 0;
}

int sd_snapshot_write_json(const struct sd_snapshot *snap, FILE *out)
{
	json_t *root = sd_snapshot_json_tasks(snap, false);
	const char *key;
	json_t *value;
	bool first = true;
	fputs("{", out);
	json_object_foreach(root, key, value) {
		fprintf(out, "%s\n  ", first ? "" : ",");
		first = false;
		json_t *name = json_string(key);
		json_dumpf(name, out, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		json_decref(name);
		fputs(": ", out);
		if (!strcmp(key, "tasks") && snap->swarm)
			write_tasks(out, snap->swarm);
		else {
			/* nested one level: indent every line of the value by two */
			char *text = json_dumps(value, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
			for (const char *c = text ? text : "null"; *c; c++) {
				fputc(*c, out);
				if (*c == '\n')
					fputs("  ", out);
			}
			free(text);
		}
	}
	fputs("\n}\n", out);
	json_decref(root);
	return ferror(out) ? -1 : 0;
}

int sd_fleet_write_json(const char *const *names, struct sd_snapshot *const *snaps, size_t n,
			enum sd_level health, FILE *out)
{
	char when[32];
	fprintf(out, "{\n  \"version\": \"%s\",\n  \"time\": \"%s\",\n  \"health\": \"%s\",\n  \"clusters\": {",
		SD_VERSION, sd_time_rfc3339(time(NULL), when, sizeof(when)), sd_level_name(health));
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		if (!mem || sd_snapshot_write_json(snaps[i], mem) != 0) {
			if (mem)
				fclose(mem);
			free(text);
			return -1;
		}
		fclose(mem);
		while (len > 0 && text[len - 1] == '\n') /* the object's own last newline */
			text[--len] = '\0';
		fprintf(out, "%s\n    ", i ? "," : "");
		json_t *name = sd_json_str(names[i]);
		json_dumpf(name, out, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		json_decref(name);
		fputs(": ", out);
		for (const char *c = text; *c; c++) { /* nested two levels: indent by four */
			fputc(*c, out);
			if (*c == '\n')
				fputs("    ", out);
		}
		free(text);
	}
	fputs("\n  }\n}\n", out);
	return ferror(out) ? -1 : 0;
}
