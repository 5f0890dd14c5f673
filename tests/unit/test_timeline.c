/* test_timeline.c - the timeline (core/timeline.h): order and sameness in memory, the file
 * written and read back, its rotation, a corrupt line named by file:line, the changes found
 * between two swarms, PostgreSQL looks and backup lists, the engine's /events lines, the
 * Sentinel ring, the audit log read as it grows, the snapshot JSON's events and the drill
 * condition that counts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "conf/condition.h"
#include "conf/config.h"
#include "conf/drill.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "timeline.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sd-test-timeline-%d", (int)getpid());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	return setup(state);
}

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static size_t file_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int c;
	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static void write_file(const char *path, const char *text, const char *mode)
{
	char *d = xstrdup(path);
	*strrchr(d, '/') = '\0';
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", d);
	assert_int_equal(system(cmd), 0);
	free(d);
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- memory ---- */

static void test_order_and_sameness(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	assert_int_equal(sd_timeline_add(tl, 1000.5, "swarm", "node-state", "worker-1",
					 "down (was ready)"), 1);
	/* the same change seen by another way a few seconds later is the same event */
	assert_int_equal(sd_timeline_add(tl, 1003.0, "swarm", "node-state", "worker-1",
					 "down (was ready)"), 0);
	/* ... a longer telling of it (with the engine's message) too */
	assert_int_equal(sd_timeline_add(tl, 1001.0, "swarm", "node-state", "worker-1",
					 "down (was ready): heartbeat failure"), 0);
	/* but not once the window has passed, nor another target */
	assert_int_equal(sd_timeline_add(tl, 1000.5 + SD_TIMELINE_SAME_WINDOW + 1, "swarm",
					 "node-state", "worker-1", "down (was ready)"), 1);
	assert_int_equal(sd_timeline_add(tl, 1000.5, "swarm", "node-state", "worker-2",
					 "down (was ready)"), 1);
	/* an older event goes in its place; equal times keep the order they came in */
	assert_int_equal(sd_timeline_add(tl, 900, "audit", "node.drain", "worker-1", "alice ok"), 1);
	assert_int_equal(sd_timeline_add(tl, 0, "audit", "x", "y", "no time"), 0);
	assert_int_equal(sd_timeline_add(tl, 5, "", "x", "y", "no source"), 0);

	struct sd_events *ev = sd_timeline_events(tl, 100);
	assert_int_equal(ev->n, 4);
	assert_true(ev->items[0].time > 1010);                 /* newest first */
	assert_string_equal(ev->items[1].target, "worker-2");  /* came after worker-1's, same time */
	assert_string_equal(ev->items[2].target, "worker-1");
	assert_string_equal(ev->items[3].kind, "node.drain");
	/* a second call without a change hands out the same part */
	struct sd_events *again = sd_timeline_events(tl, 100);
	assert_ptr_equal(ev, again);
	sd_part_unref(again);
	struct sd_events *two = sd_timeline_events(tl, 2);
	assert_int_equal(two->n, 2);
	sd_part_unref(two);
	sd_part_unref(ev); /* outlives nothing: the timeline keeps its own reference */
	assert_true(sd_timeline_newest(tl, "audit") == 900);
	assert_true(sd_timeline_newest(tl, "redis") == 0);
	sd_timeline_free(tl);
}

static void test_memory_bounded(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 10);
	for (int i = 0; i < 50; i++) {
		char target[16];
		snprintf(target, sizeof(target), "n%d", i);
		sd_timeline_add(tl, 100.0 + i, "swarm", "node-state", target, "down (was ready)");
	}
	assert_int_equal(sd_timeline_count(tl), 10);
	struct sd_events *ev = sd_timeline_events(tl, 100);
	assert_string_equal(ev->items[0].target, "n49");
	assert_string_equal(ev->items[9].target, "n40");
	sd_part_unref(ev);
	/* older than everything held when full: not kept */
	assert_int_equal(sd_timeline_add(tl, 1, "swarm", "node-state", "old", "x"), 0);
	sd_timeline_free(tl);

	/* a big one drops its oldest eighth at once: between 7/8 of the bound and the bound */
	tl = sd_timeline_open(NULL, 800);
	for (int i = 0; i < 5000; i++) {
		char target[16];
		snprintf(target, sizeof(target), "n%d", i);
		assert_int_equal(sd_timeline_add(tl, 100.0 + i, "swarm", "node-state", target, "x"), 1);
	}
	size_t n = sd_timeline_count(tl);
	assert_true(n >= 700 && n <= 800);
	ev = sd_timeline_events(tl, 1);
	assert_true(ev->items[0].time == 5099.0);
	sd_part_unref(ev);
	sd_timeline_free(tl);
}

/* ---- the file ---- */

static void test_file_round_trip(void **state)
{
	(void)state;
	char *path = path_of("state/swarmdeck/timeline.jsonl");
	struct sd_timeline *tl = sd_timeline_open(path, 0);
	/* not recording (--once): nothing is written */
	sd_timeline_add(tl, 2000, "swarm", "node-state", "worker-1", "down (was ready)");
	assert_int_equal(access(path, F_OK), -1);
	sd_timeline_record(tl, true);
	sd_timeline_add(tl, 2001.25, "audit", "node.drain", "worker-1", "alice ok: drained");
	sd_timeline_add(tl, 2050, "swarm", "node-state", "worker-1", "ready (was down)");
	sd_timeline_add(tl, 2060, "redis", "switch-master", "mymaster", "caf\xc3\xa9 \xff bad byte");
	sd_timeline_free(tl);
	assert_int_equal(file_lines(path), 3);

	tl = sd_timeline_open(path, 0);
	char warn[256] = "x";
	assert_int_equal(sd_timeline_load(tl, warn, sizeof(warn)), 0);
	assert_string_equal(warn, "");
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 3);
	assert_string_equal(ev->items[0].kind, "switch-master");
	assert_string_equal(ev->items[0].message, "caf\xc3\xa9 \xef\xbf\xbd bad byte");
	assert_string_equal(ev->items[1].message, "ready (was down)");
	assert_string_equal(ev->items[2].message, "alice ok: drained");
	assert_true(ev->items[2].time > 2001.2 && ev->items[2].time < 2001.3); /* milliseconds kept */
	sd_part_unref(ev);
	sd_timeline_free(tl);
	free(path);
}

static void test_rotation(void **state)
{
	(void)state;
	char *path = path_of("rot/timeline.jsonl");
	char *older = xasprintf("%s.1", path);
	struct sd_timeline *tl = sd_timeline_open(path, 10);
	sd_timeline_record(tl, true);
	for (int i = 0; i < 25; i++) {
		char target[16];
		snprintf(target, sizeof(target), "n%d", i);
		sd_timeline_add(tl, 3000.0 + i, "swarm", "node-state", target, "down (was ready)");
	}
	sd_timeline_free(tl);
	/* 25 events, 10 a file: two rotations, the oldest file gone */
	assert_int_equal(file_lines(older), 10);
	assert_int_equal(file_lines(path), 5);

	/* read back: the newest 10 of both files; the count goes on so the next rotation is
	 * after 10 lines in the current file */
	tl = sd_timeline_open(path, 10);
	assert_int_equal(sd_timeline_load(tl, NULL, 0), 0);
	assert_int_equal(sd_timeline_count(tl), 10);
	struct sd_events *ev = sd_timeline_events(tl, 100);
	assert_string_equal(ev->items[0].target, "n24");
	assert_string_equal(ev->items[9].target, "n15");
	sd_part_unref(ev);
	sd_timeline_record(tl, true);
	for (int i = 25; i < 31; i++) {
		char target[16];
		snprintf(target, sizeof(target), "n%d", i);
		sd_timeline_add(tl, 3000.0 + i, "swarm", "node-state", target, "down (was ready)");
	}
	sd_timeline_free(tl);
	assert_int_equal(file_lines(older), 10);
	assert_int_equal(file_lines(path), 1);
	free(older);
	free(path);
}

static void test_corrupt_line(void **state)
{
	(void)state;
	char *path = path_of("bad/timeline.jsonl");
	write_file(path,
		   "{\"time\":\"2026-11-30T03:00:05.120Z\",\"source\":\"swarm\",\"kind\":\"node-state\","
		   "\"target\":\"worker-1\",\"message\":\"down (was ready)\"}\n"
		   "\n"
		   "cut short by a full disk {\"time\":\n"
		   "{\"time\":\"yesterday\",\"source\":\"swarm\",\"kind\":\"x\"}\n"
		   "{\"time\":\"2026-11-30T03:00:06Z\",\"kind\":\"x\"}\n"
		   "[1,2]\n"
		   "{\"time\":\"2026-11-30T03:04:40.250Z\",\"source\":\"swarm\",\"kind\":\"node-state\","
		   "\"target\":\"worker-1\",\"message\":\"ready (was down)\"}\n"
		   "{\"time\":\"2026-11-30T03:05:00Z\",\"source\":\"audit\",\"kind\":\"node.drain\"}",
		   "w");
	struct sd_timeline *tl = sd_timeline_open(path, 0);
	char warn[512];
	assert_int_equal(sd_timeline_load(tl, warn, sizeof(warn)), 4);
	/* the first bad line, by file and line (the empty line 2 is no error) */
	char *want = xasprintf("%s:3: not JSON", path);
	assert_true(strncmp(warn, want, strlen(want)) == 0);
	free(want);
	/* the good lines around them are kept, the last one without its newline too */
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 3);
	assert_string_equal(ev->items[0].kind, "node.drain");
	assert_string_equal(ev->items[0].target, "");
	assert_string_equal(ev->items[1].message, "ready (was down)");
	sd_part_unref(ev);
	sd_timeline_free(tl);
	free(path);
}

static void test_times(void **state)
{
	(void)state;
	char buf[40];
	assert_string_equal(sd_timeline_time_text(1796007605.12, buf, sizeof(buf)),
			    "2026-11-30T03:00:05.120Z");
	assert_true(sd_timeline_parse_time("2026-11-30T03:00:05.120Z") > 1796007605.11);
	assert_true(sd_timeline_parse_time("2026-11-30T03:00:05Z") == 1796007605.0);
	assert_true(sd_timeline_parse_time("2026-11-30T03:00:05") < 0);
	assert_true(sd_timeline_parse_time("2026-11-30T03:00:05.Z") < 0);
	assert_true(sd_timeline_parse_time(NULL) < 0);
}

/* ---- changes between two looks ---- */

struct swarm_spec {
	const char *w1_state, *w1_avail, *update_state, *update_message;
	const char *task_state;
};

static struct sd_swarm *make_swarm(const struct swarm_spec *s)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	sw->nnodes = 2;
	sw->nodes = sd_arena_alloc(a, 2 * sizeof(*sw->nodes));
	const char *names[] = {"manager-1", "worker-1"};
	for (int i = 0; i < 2; i++) {
		struct sd_node *n = &sw->nodes[i];
		n->id = sd_arena_printf(a, "id-%s", names[i]);
		n->hostname = names[i];
		n->role = i ? "worker" : "manager";
		n->state = i ? s->w1_state : "ready";
		n->availability = i ? s->w1_avail : "active";
		n->manager = i ? "" : "leader";
		n->engine = n->addr = n->message = "";
	}
	sw->nservices = 1;
	sw->services = sd_services_new(a, 1);
	*sw->services[0] = (struct sd_service){.id = "sid-backend", .name = "app_backend",
					      .update_state = s->update_state,
					      .update_message = s->update_message, .mode = "replicated",
					      .image = "", .stack = ""};
	sw->ntasks = 2;
	struct sd_task *tasks = sd_arena_alloc(a, 2 * sizeof(*tasks));
	sw->services[0]->tasks = tasks;
	sw->services[0]->task_count = 2;
	tasks[0] = (struct sd_task){.id = "task0000000000000001", .service_id = "sid-backend",
					.service = "app_backend", .node_id = "id-worker-1",
					.node = "worker-1", .desired_state = "shutdown",
					.state = s->task_state, .error = "task: non-zero exit (1)",
					.message = "started", .slot = 2, .since = 4000};
	tasks[1] = (struct sd_task){.id = "task0000000000000002", .service_id = "sid-backend",
					.service = "app_backend", .node_id = "id-manager-1",
					.node = "manager-1", .desired_state = "running",
					.state = "running", .error = "", .message = "", .slot = 1};
	return sw;
}

static const struct sd_event *find(const struct sd_events *ev, const char *kind,
				   const char *target)
{
	for (size_t i = 0; i < ev->n; i++)
		if (!strcmp(ev->items[i].kind, kind) && !strcmp(ev->items[i].target, target))
			return &ev->items[i];
	return NULL;
}

static void test_swarm_changes(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct swarm_spec a = {"ready", "active", "", "", "running"};
	struct swarm_spec b = {"down", "drain", "paused", "update paused due to failure", "failed"};
	struct sd_swarm *s1 = make_swarm(&a), *s2 = make_swarm(&b), *s3 = make_swarm(&b);
	assert_int_equal(sd_timeline_swarm(tl, NULL, s1, 5000), 0); /* the first look: no change */
	assert_int_equal(sd_timeline_swarm(tl, s1, s1, 5000), 0);
	assert_int_equal(sd_timeline_swarm(tl, s1, s2, 5000), 4);
	assert_int_equal(sd_timeline_swarm(tl, s2, s3, 5002), 0);   /* nothing new */
	struct sd_events *ev = sd_timeline_events(tl, 10);
	const struct sd_event *e = find(ev, "node-state", "worker-1");
	assert_non_null(e);
	assert_string_equal(e->message, "down (was ready)");
	assert_string_equal(e->source, "swarm");
	assert_non_null(e = find(ev, "node-availability", "worker-1"));
	assert_string_equal(e->message, "drain (was active)");
	assert_non_null(e = find(ev, "service-update", "app_backend"));
	assert_string_equal(e->message, "paused (was -): update paused due to failure");
	assert_non_null(e = find(ev, "task-failed", "app_backend.2"));
	assert_string_equal(e->message, "task: non-zero exit (1) (task task00000000 on worker-1)");
	assert_true(e->time == 4000); /* when the task failed, not when it was seen */
	sd_part_unref(ev);

	/* the engine's own event of the same change is the same event; its other news is not */
	const char *down = "{\"Type\":\"node\",\"Action\":\"update\",\"Actor\":{\"ID\":\"id-worker-1\","
			   "\"Attributes\":{\"name\":\"worker-1\",\"state.new\":\"down\","
			   "\"state.old\":\"ready\"}},\"scope\":\"swarm\",\"time\":4999,"
			   "\"timeNano\":4999500000000}";
	assert_int_equal(sd_timeline_docker_event(tl, down, strlen(down)), 0);
	const char *ready = "{\"Type\":\"node\",\"Action\":\"update\",\"Actor\":{\"ID\":\"id-worker-1\","
			    "\"Attributes\":{\"name\":\"worker-1\",\"state.new\":\"ready\","
			    "\"state.old\":\"down\",\"availability.new\":\"active\","
			    "\"availability.old\":\"drain\"}},\"scope\":\"swarm\",\"time\":5100,"
			    "\"timeNano\":5100250000000}";
	assert_int_equal(sd_timeline_docker_event(tl, ready, strlen(ready)), 2);
	const char *svc = "{\"Type\":\"service\",\"Action\":\"update\",\"Actor\":{\"ID\":\"sid\","
			  "\"Attributes\":{\"name\":\"app_backend\",\"updatestate.new\":\"rollback_started\","
			  "\"updatestate.old\":\"paused\"}},\"time\":5200}";
	assert_int_equal(sd_timeline_docker_event(tl, svc, strlen(svc)), 1);
	const char *noise[] = {"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"Attributes\":"
			       "{\"name\":\"x\"}},\"time\":5300}",
			       "{\"Type\":\"node\",\"Action\":\"update\",\"Actor\":{\"Attributes\":"
			       "{\"name\":\"worker-2\"}},\"time\":5300}",
			       "not json", "[]"};
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		assert_int_equal(sd_timeline_docker_event(tl, noise[i], strlen(noise[i])), 0);
	ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 7);
	assert_string_equal(ev->items[0].kind, "service-update");
	assert_string_equal(ev->items[0].message, "rollback_started (was paused)");
	assert_true(ev->items[1].time == 5100.25);
	sd_part_unref(ev);
	sd_part_unref(s1);
	sd_part_unref(s2);
	sd_part_unref(s3);
	sd_timeline_free(tl);
}

static struct sd_pg *make_pg(const char *role2, bool reachable2, long tl2, long long lag2)
{
	struct sd_pg *pg = sd_part_new(sizeof(*pg));
	pg->nmembers = 2;
	pg->members = sd_arena_alloc(pg->part.arena, 2 * sizeof(*pg->members));
	pg->members[0] = (struct sd_pg_member){.name = "pg-1", .role = "primary", .reachable = true,
					       .timeline = 1, .lag_bytes = -1, .error = ""};
	pg->members[1] = (struct sd_pg_member){.name = "pg-2", .role = role2,
					       .reachable = reachable2, .timeline = tl2,
					       .lag_bytes = lag2,
					       .error = reachable2 ? "" : "connection refused"};
	return pg;
}

static void test_pg_changes(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct sd_pg *p[] = {make_pg("standby", true, 1, 0), make_pg("standby", true, 1, 5 << 20),
			     make_pg("standby", false, 1, -1), make_pg("primary", true, 2, -1),
			     make_pg("primary", true, 2, 0)};
	assert_int_equal(sd_timeline_pg(tl, p[0], p[1], 1 << 20, 100), 1);   /* lag crosses */
	assert_int_equal(sd_timeline_pg(tl, p[1], p[2], 1 << 20, 200), 1);   /* lost */
	/* back: as what it is now (its role and timeline while it was away are not known) */
	assert_int_equal(sd_timeline_pg(tl, p[2], p[3], 1 << 20, 300), 1);
	assert_int_equal(sd_timeline_pg(tl, p[0], p[3], 1 << 20, 350), 2);   /* role, timeline */
	assert_int_equal(sd_timeline_pg(tl, p[3], p[4], 1 << 20, 400), 0);
	assert_int_equal(sd_timeline_pg(tl, NULL, p[4], 1 << 20, 400), 0);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	const struct sd_event *e;
	assert_non_null(e = find(ev, "lag", "pg-2"));
	assert_string_equal(e->message, "above 1.0 MB: 5.0 MB behind");
	assert_non_null(e = find(ev, "member-lost", "pg-2"));
	assert_string_equal(e->message, "unreachable: connection refused");
	assert_non_null(e = find(ev, "member-back", "pg-2"));
	assert_string_equal(e->message, "reachable, primary");
	assert_non_null(e = find(ev, "role", "pg-2"));
	assert_string_equal(e->message, "primary (was standby)");
	assert_non_null(e = find(ev, "timeline", "pg-2"));
	assert_string_equal(e->message, "2 (was 1)");
	assert_string_equal(e->source, "postgres");
	sd_part_unref(ev);
	for (size_t i = 0; i < 5; i++)
		sd_part_unref(p[i]);
	sd_timeline_free(tl);
}

static struct sd_redis *make_redis(size_t n)
{
	static const struct sd_redis_event all[] = {
		{1000, "s1:26379", "+sdown", "master mymaster 10.0.0.1 6379"},
		{1000, "s2:26379", "+sdown", "master mymaster 10.0.0.1 6379"},
		{1001, "s1:26379", "+odown", "master mymaster 10.0.0.1 6379 #quorum 2/2"},
		{1005, "s1:26379", "+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379"},
		{1005, "s2:26379", "+switch-master", "mymaster 10.0.0.1 6379 10.0.0.2 6379"},
		{1006, "s2:26379", "+sdown", "slave 10.0.0.1:6379 10.0.0.1 6379 @ mymaster 10.0.0.2 6379"},
	};
	struct sd_redis *r = sd_part_new(sizeof(*r));
	r->events = sd_arena_alloc(r->part.arena, (n + 1) * sizeof(*r->events));
	memcpy(r->events, all, n * sizeof(*all));
	r->nevents = n;
	return r;
}

static void test_sentinel_ring(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct sd_redis *r2 = make_redis(2), *r6 = make_redis(6);
	/* two Sentinels telling the same +sdown: one event */
	assert_int_equal(sd_timeline_redis(tl, NULL, r2), 1);
	assert_int_equal(sd_timeline_redis(tl, r2, r2), 0);
	/* only what the ring gained */
	assert_int_equal(sd_timeline_redis(tl, r2, r6), 3);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 4);
	assert_string_equal(ev->items[0].kind, "sdown");
	assert_string_equal(ev->items[0].target, "10.0.0.1:6379");
	assert_string_equal(ev->items[1].kind, "switch-master");
	assert_string_equal(ev->items[1].target, "mymaster");
	assert_string_equal(ev->items[1].message, "+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379");
	assert_string_equal(ev->items[1].source, "redis");
	assert_string_equal(ev->items[2].kind, "odown");
	sd_part_unref(ev);
	sd_part_unref(r2);
	sd_part_unref(r6);
	sd_timeline_free(tl);
}

static void test_backup_changes(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct sd_backups *b[3];
	for (int i = 0; i < 3; i++) {
		b[i] = sd_part_new(sizeof(*b[i]));
		b[i]->items = sd_arena_alloc(b[i]->part.arena, 2 * sizeof(struct sd_backup));
		b[i]->nitems = i ? 1 : 0;
		b[i]->items[0] = (struct sd_backup){.kind = "postgres", .file = "/b/pg-1.dump",
						    .time = 7000, .size = 2048, .source = "pg-1",
						    .verified = i == 2 ? "yes" : "no",
						    .verified_at = i == 2 ? 7100 : 0,
						    .verify_message = ""};
	}
	assert_int_equal(sd_timeline_backups(tl, b[0], b[1], 7050), 1);
	assert_int_equal(sd_timeline_backups(tl, b[1], b[2], 7150), 1);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_string_equal(ev->items[0].kind, "backup-verified");
	assert_true(ev->items[0].time == 7100);
	assert_string_equal(ev->items[1].kind, "backup-taken");
	assert_string_equal(ev->items[1].message, "/b/pg-1.dump 2.0 kB from pg-1");
	sd_part_unref(ev);
	for (int i = 0; i < 3; i++)
		sd_part_unref(b[i]);
	sd_timeline_free(tl);
}

/* ---- alerts ---- */

static struct sd_snapshot *make_snap(bool answered, const struct sd_alert *alerts, size_t n)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->docker_status.configured = snap->pg_status.configured = true;
	snap->docker_status.answered = true;
	snap->pg_status.answered = answered;
	snap->alerts = sd_arena_alloc(snap->part.arena, (n + 1) * sizeof(*alerts));
	if (n)
		memcpy(snap->alerts, alerts, n * sizeof(*alerts));
	snap->nalerts = n;
	return snap;
}

static void test_alerts(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	const struct sd_alert a[] = {
		{SD_WARNING, "postgres", "pg-2", "replication lag 2.0 MB", NULL},
		{SD_CRITICAL, "postgres", "pg-2", "replication lag 9.0 MB", NULL},
		{SD_CRITICAL, "swarm", "worker-1", "node down", NULL},
		{SD_WARNING, "postgres", "pg-2", "replication lag 3.5 MB", NULL},
	};
	struct sd_snapshot *first = make_snap(false, a + 2, 1), *s0 = make_snap(true, a + 2, 1),
			   *s1 = make_snap(true, a, 1), *s2 = make_snap(true, a + 3, 1),
			   *s3 = make_snap(true, a + 1, 1), *s4 = make_snap(true, NULL, 0);
	/* before every backend has answered: no baseline yet */
	assert_int_equal(sd_timeline_alerts(tl, first, s0, 100), 0);
	assert_int_equal(sd_timeline_alerts(tl, s0, s0, 100), 0);
	/* pg-2 raised, worker-1 cleared */
	assert_int_equal(sd_timeline_alerts(tl, s0, s1, 200), 2);
	/* the same alert with another figure is no news */
	assert_int_equal(sd_timeline_alerts(tl, s1, s2, 300), 0);
	/* its level rises: said once, nothing cleared */
	assert_int_equal(sd_timeline_alerts(tl, s2, s3, 400), 1);
	assert_int_equal(sd_timeline_alerts(tl, s3, s4, 500), 1);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 4);
	assert_string_equal(ev->items[0].kind, "alert-cleared");
	assert_string_equal(ev->items[0].message, "was CRITICAL: replication lag 9.0 MB");
	assert_string_equal(ev->items[1].kind, "alert");
	assert_string_equal(ev->items[1].message, "CRITICAL: replication lag 9.0 MB");
	assert_string_equal(ev->items[1].source, "postgres");
	assert_string_equal(ev->items[1].target, "pg-2");
	sd_part_unref(ev);
	struct sd_snapshot *all[] = {first, s0, s1, s2, s3, s4};
	for (size_t i = 0; i < 6; i++)
		sd_snapshot_unref(all[i]);
	sd_timeline_free(tl);
}

/* ---- the audit log ---- */

static void test_audit_log(void **state)
{
	(void)state;
	char *audit = path_of("audit/audit.log");
	write_file(audit,
		   "{\"time\":\"2026-11-30T03:00:12Z\",\"user\":\"alice\",\"host\":\"h\",\"action\":"
		   "\"node.drain\",\"target\":\"worker-1\",\"parameters\":{},\"result\":\"ok\","
		   "\"message\":\"worker-1 drained\",\"duration\":0.4}\n"
		   "garbage\n",
		   "w");
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	assert_int_equal(sd_timeline_audit(tl, audit), 1);
	assert_int_equal(sd_timeline_audit(tl, audit), 0); /* read once */
	/* a line being written waits for its end */
	write_file(audit,
		   "{\"time\":\"2026-11-30T03:01:00Z\",\"user\":\"bob\",\"action\":\"service.scale\","
		   "\"target\":\"app\",\"parameters\":{\"value\":\"3\"},\"result\":\"refused\","
		   "\"message\":\"watch mode\",\"part_of\":\"backup.restore\"",
		   "a");
	assert_int_equal(sd_timeline_audit(tl, audit), 0);
	write_file(audit, "}\n", "a");
	assert_int_equal(sd_timeline_audit(tl, audit), 1);
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 2);
	assert_string_equal(ev->items[0].source, "audit");
	assert_string_equal(ev->items[0].kind, "service.scale");
	assert_string_equal(ev->items[0].message, "bob refused: watch mode (part of backup.restore)");
	assert_string_equal(ev->items[1].message, "alice ok: worker-1 drained");
	/* audited when it finished: placed at its second's end */
	assert_true(ev->items[1].time > sd_timeline_parse_time("2026-11-30T03:00:12.9Z"));
	sd_part_unref(ev);
	sd_timeline_free(tl);

	/* a console started later: what its file already holds is not read twice */
	tl = sd_timeline_open(NULL, 0);
	sd_timeline_add(tl, sd_timeline_parse_time("2026-11-30T03:01:00.999Z"), "audit",
			"service.scale", "app", "bob refused: watch mode (part of backup.restore)");
	assert_int_equal(sd_timeline_audit(tl, audit), 0);
	assert_int_equal(sd_timeline_count(tl), 1);
	sd_timeline_free(tl);
	assert_int_equal(sd_timeline_audit(tl = sd_timeline_open(NULL, 0), "/nonexistent/audit"), 0);
	sd_timeline_free(tl);
	free(audit);
}

/* ---- JSON and conditions ---- */

static void test_json_and_condition(void **state)
{
	(void)state;
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	sd_timeline_add(tl, 1796007605.12, "swarm", "node-state", "worker-1", "down (was ready)");
	sd_timeline_add(tl, 1796007631.5, "redis", "switch-master", "mymaster", "+switch-master a");
	sd_timeline_add(tl, 1796007700, "redis", "switch-master", "mymaster", "+switch-master b");
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->events = sd_timeline_events(tl, SD_TIMELINE_SNAPSHOT);
	json_t *root = sd_snapshot_json(snap);
	json_t *events = json_object_get(root, "events");
	assert_int_equal(json_array_size(events), 3);
	json_t *last = json_array_get(events, 2);
	assert_string_equal(json_string_value(json_object_get(last, "time")),
			    "2026-11-30T03:00:05.120Z");
	assert_string_equal(json_string_value(json_object_get(last, "source")), "swarm");
	assert_string_equal(json_string_value(json_object_get(last, "kind")), "node-state");
	assert_string_equal(json_string_value(json_object_get(last, "target")), "worker-1");
	assert_string_equal(json_string_value(json_object_get(last, "message")), "down (was ready)");

	struct {
		const char *text;
		int holds;
	} cases[] = {
		{"len(events[kind=switch-master]) > 0", 1},
		{"len(events[kind=switch-master]) == 2", 1},
		{"len(events[kind=node-state]) == 1", 1},
		{"len(events[kind=sdown]) == 0", 1},
		{"len(events[kind=sdown]) > 0", 0},
		{"len(events[source=redis]) == 2", 1},
		{"events[kind=switch-master].message == \"+switch-master b\"", 1}, /* the newest */
		{"len(events) == 3", 1},
		{"len(events[0]) == 5", 1},   /* an object's fields, as before */
		{"len(nothing[kind=x]) == 0", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sd_condition cond;
		char err[128], actual[128];
		assert_int_equal(sd_condition_parse(cases[i].text, &cond, err, sizeof(err)), 0);
		int holds = sd_condition_eval(&cond, root, actual, sizeof(actual));
		if (holds != cases[i].holds)
			fail_msg("%s: %d (found %s)", cases[i].text, holds, actual);
		sd_condition_free(&cond);
	}

	/* a drill sees what happened since it began */
	sd_snapshot_json_events_since(root, 1796007631.0);
	assert_int_equal(json_array_size(json_object_get(root, "events")), 2);
	sd_snapshot_json_events_since(root, 1796007701.0);
	assert_int_equal(json_array_size(json_object_get(root, "events")), 0);
	json_decref(root);
	sd_snapshot_unref(snap);
	sd_timeline_free(tl);
}

/* a drill may wait on the timeline: the shipped Redis drills do */
static void test_drill_reads_events(void **state)
{
	(void)state;
	char *path = path_of("drill/failover.yaml");
	write_file(path,
		   "drill: failover\n"
		   "steps:\n"
		   "  - until: len(events[kind=switch-master]) > 0\n"
		   "    timeout: 30s\n",
		   "w");
	struct sd_drill drill;
	struct sd_error err;
	int rc = sd_drill_load(path, &drill, &err);
	if (rc != 0)
		fail_msg("%s", err.text);
	sd_drill_free(&drill);
	assert_int_equal(sd_drill_load("tests/drills/redis-planned-failover.yaml", &drill, &err), 0);
	sd_drill_free(&drill);
	assert_int_equal(sd_drill_load("tests/drills/redis-master-loss.yaml", &drill, &err), 0);
	sd_drill_free(&drill);
	free(path);
}

/* timeline: {path, max_events} in the config, errors by file:line:column */
static void test_config(void **state)
{
	(void)state;
	char *path = path_of("conf/config.yaml");
	struct sd_config c;
	struct sd_error err;
	write_file(path, "interval: 2\ntimeline:\n  path: /var/lib/sd/tl.jsonl\n  max_events: 50\n", "w");
	assert_int_equal(sd_config_load(path, &c, &err), 0);
	assert_string_equal(c.timeline.path, "/var/lib/sd/tl.jsonl");
	assert_int_equal(c.timeline.max_events, 50);
	sd_config_free(&c);
	/* the defaults: under the state folder, 10000 */
	assert_int_equal(sd_config_load(NULL, &c, &err), 0);
	assert_non_null(strstr(c.timeline.path, "swarmdeck/timeline.jsonl"));
	assert_int_equal(c.timeline.max_events, 10000);
	sd_config_free(&c);
	const char *bad[][2] = {
		{"timeline:\n  paht: x\n", ":2:3:"},
		{"timeline:\n  max_events: 3\n", ":2:15:"},
		{"timeline:\n  path: \"\"\n", ":2:9:"},
		{"timeline: [1]\n", ":1:"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i][0], "w");
		assert_int_equal(sd_config_load(path, &c, &err), -1);
		if (!strstr(err.text, path) || !strstr(err.text, bad[i][1]))
			fail_msg("%s: %s", bad[i][0], err.text);
	}
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_sameness),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_line, setup, teardown),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_swarm_changes),
		cmocka_unit_test(test_pg_changes),
		cmocka_unit_test(test_sentinel_ring),
		cmocka_unit_test(test_backup_changes),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test_setup_teardown(test_audit_log, setup, teardown),
		cmocka_unit_test(test_json_and_condition),
		cmocka_unit_test_setup_teardown(test_drill_reads_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
