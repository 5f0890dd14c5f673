/* test_health.c - the health rules and the action registry's checks, on swarms built in the
 * test: quorum edges, service and node levels, refusals of bad scale input, the quorum-loss
 * demote that asks for the typed name, watch mode refusing in the core, and the audit lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "actions.h"
#include "base/error.h"
#include "core.h"
#include "model/health.h"
#include "model/model.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node_spec { const char *host, *role, *state, *manager, *availability; };
struct service_spec { const char *name, *mode, *update; long desired, running; };

static struct sd_swarm *make_swarm(const struct node_spec *nodes, size_t nn,
				   const struct service_spec *services, size_t ns)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	sw->nodes = sd_arena_alloc(a, (nn + 1) * sizeof(struct sd_node));
	sw->nnodes = nn;
	for (size_t i = 0; i < nn; i++) {
		struct sd_node *n = &sw->nodes[i];
		n->id = sd_arena_printf(a, "id-%s", nodes[i].host);
		n->hostname = nodes[i].host;
		n->role = nodes[i].role;
		n->state = nodes[i].state;
		n->manager = nodes[i].manager;
		n->availability = nodes[i].availability ? nodes[i].availability : "active";
		n->engine = n->addr = n->message = "";
		if (!strcmp(n->role, "manager")) {
			sw->managers++;
			if (!strcmp(n->manager, "leader") || !strcmp(n->manager, "reachable"))
				sw->managers_reachable++;
			if (!strcmp(n->manager, "leader"))
				sw->leader = n->hostname;
		}
	}
	sw->services = sd_services_new(a, ns + 1);
	sw->nservices = ns;
	for (size_t i = 0; i < ns; i++) {
		struct sd_service *s = sw->services[i];
		s->id = sd_arena_printf(a, "sid-%s", services[i].name);
		s->name = services[i].name;
		s->mode = services[i].mode;
		s->update_state = services[i].update ? services[i].update : "";
		s->update_message = s->stack = s->image = "";
		s->desired = services[i].desired;
		s->running = services[i].running;
		s->has_previous_spec = true;
	}
	sw->engine_name = "manager-1";
	return sw;
}

static const struct node_spec three_managers[] = {
	{"manager-1", "manager", "ready", "leader", NULL},
	{"manager-2", "manager", "ready", "reachable", NULL},
	{"manager-3", "manager", "ready", "reachable", NULL},
	{"worker-1", "worker", "ready", "", NULL},
	{"worker-2", "worker", "ready", "", NULL},
};

static const struct service_spec healthy[] = {
	{"app_backend", "replicated", NULL, 3, 3},
	{"app_agent", "global", NULL, 5, 5},
};

/* Evaluate a snapshot holding SW (taken over). */
static struct sd_snapshot *evaluate(struct sd_swarm *sw)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->swarm = sw;
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	sd_health_evaluate(snap, NULL);
	return snap;
}

static bool has_alert(const struct sd_snapshot *s, enum sd_level level, const char *target)
{
	for (size_t i = 0; i < s->nalerts; i++)
		if (s->alerts[i].level == level && !strcmp(s->alerts[i].target, target))
			return true;
	return false;
}

static void test_healthy_is_ok(void **state)
{
	(void)state;
	struct sd_snapshot *s = evaluate(make_swarm(three_managers, 5, healthy, 2));
	assert_int_equal(s->health, SD_OK);
	assert_int_equal(s->nalerts, 0);
	sd_snapshot_unref(s);
}

static void test_service_levels(void **state)
{
	(void)state;
	const struct service_spec services[] = {
		{"a_degraded", "replicated", NULL, 3, 2},
		{"b_dead", "replicated", NULL, 2, 0},
		{"c_zero", "replicated", NULL, 0, 0},
		{"d_paused", "replicated", "paused", 1, 1},
		{"e_rolling", "replicated", "rollback_started", 1, 1},
		{"f_updating", "replicated", "updating", 1, 1},
	};
	struct sd_snapshot *s = evaluate(make_swarm(three_managers, 5, services, 6));
	assert_true(has_alert(s, SD_WARNING, "a_degraded"));
	assert_true(has_alert(s, SD_CRITICAL, "b_dead"));
	assert_false(has_alert(s, SD_CRITICAL, "c_zero"));
	assert_false(has_alert(s, SD_WARNING, "c_zero"));
	assert_true(has_alert(s, SD_WARNING, "d_paused"));
	assert_true(has_alert(s, SD_WARNING, "e_rolling"));
	assert_false(has_alert(s, SD_WARNING, "f_updating"));
	assert_int_equal(s->health, SD_CRITICAL);
	assert_int_equal(s->alerts[0].level, SD_CRITICAL); /* most severe first */
	sd_snapshot_unref(s);
}

static void test_node_down_levels(void **state)
{
	(void)state;
	struct node_spec nodes[5];
	memcpy(nodes, three_managers, sizeof(nodes));
	nodes[4].state = "down";
	struct sd_snapshot *s = evaluate(make_swarm(nodes, 5, healthy, 2));
	assert_true(has_alert(s, SD_WARNING, "worker-2"));
	assert_int_equal(s->health, SD_WARNING);
	sd_snapshot_unref(s);

	nodes[4].state = "ready";
	nodes[2].state = "down";
	nodes[2].manager = "unreachable";
	s = evaluate(make_swarm(nodes, 5, healthy, 2));
	assert_true(has_alert(s, SD_CRITICAL, "manager-3"));
	/* 2 of 3 reachable: one more loss breaks quorum */
	assert_true(has_alert(s, SD_WARNING, "quorum"));
	assert_int_equal(s->health, SD_CRITICAL);
	sd_snapshot_unref(s);
}

static void test_quorum(void **state)
{
	(void)state;
	assert_int_equal(sd_quorum(1), 1);
	assert_int_equal(sd_quorum(2), 2);
	assert_int_equal(sd_quorum(3), 2);
	assert_int_equal(sd_quorum(4), 3);
	assert_int_equal(sd_quorum(5), 3);
	struct node_spec nodes[5];
	memcpy(nodes, three_managers, sizeof(nodes));
	nodes[1].manager = nodes[2].manager = "unreachable";
	struct sd_snapshot *s = evaluate(make_swarm(nodes, 5, healthy, 2));
	assert_true(has_alert(s, SD_CRITICAL, "quorum"));
	sd_snapshot_unref(s);
}

static void test_unreachable_engine_is_unknown(void **state)
{
	(void)state;
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->docker_status.configured = snap->docker_status.answered = true;
	strcpy(snap->docker_status.error, "connection refused");
	sd_health_evaluate(snap, NULL);
	assert_int_equal(snap->health, SD_UNKNOWN);
	/* a known outage outranks what cannot be seen */
	sd_snapshot_unref(snap);
	struct node_spec nodes[5];
	memcpy(nodes, three_managers, sizeof(nodes));
	nodes[0].state = "down";
	struct sd_snapshot *s = evaluate(make_swarm(nodes, 5, healthy, 2));
	s->docker_status.reachable = false;
	sd_health_evaluate(s, NULL);
	assert_int_equal(s->health, SD_CRITICAL);
	sd_snapshot_unref(s);
}

/* ---- the data tier ---- */

static struct sd_snapshot *data_snapshot(void)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->swarm = make_swarm(three_managers, 5, healthy, 2);
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	snap->pg_status = snap->redis_status = snap->docker_status;
	struct sd_pg *pg = sd_part_new(sizeof(*pg));
	pg->nmembers = 3;
	pg->members = sd_arena_alloc(pg->part.arena, 3 * sizeof(struct sd_pg_member));
	const char *names[] = {"pg-1", "pg-2", "pg-3"};
	for (int i = 0; i < 3; i++) {
		struct sd_pg_member *m = &pg->members[i];
		m->name = names[i];
		m->reachable = true;
		m->role = i == 0 ? "primary" : "standby";
		m->repl_state = i == 0 ? "" : "streaming";
		m->sync_state = i == 1 ? "sync" : "async";
	}
	snap->pg = pg;
	struct sd_redis *r = sd_part_new(sizeof(*r));
	r->master = (struct sd_redis_master){.name = "mymaster", .addr = "10.0.0.1:6379",
					     .flags = "master", .quorum = 2, .ckquorum = true,
					     .reachable = true};
	r->nsentinels = 3;
	r->sentinels = sd_arena_alloc(r->part.arena, 3 * sizeof(struct sd_redis_sentinel));
	const char *addrs[] = {"10.0.0.11:26379", "10.0.0.12:26379", "10.0.0.13:26379"};
	for (int i = 0; i < 3; i++)
		r->sentinels[i] = (struct sd_redis_sentinel){.addr = addrs[i], .flags = "sentinel",
							     .reachable = true,
							     .master_addr = "10.0.0.1:6379"};
	snap->redis = r;
	return snap;
}

static void test_data_tier_rules(void **state)
{
	(void)state;
	struct sd_snapshot *s = data_snapshot();
	sd_health_evaluate(s, NULL);
	assert_int_equal(s->health, SD_OK);

	s->pg->members[2].lag_bytes = 2 * 1048576; /* seed 004: more than 1 MiB behind */
	s->pg->members[1].repl_state = "catchup";
	sd_health_evaluate(s, NULL);
	assert_true(has_alert(s, SD_WARNING, "pg-3"));
	assert_true(has_alert(s, SD_WARNING, "pg-2"));
	assert_int_equal(s->health, SD_WARNING);

	s->pg->members[0].reachable = false; /* the primary is gone */
	sd_health_evaluate(s, NULL);
	assert_true(has_alert(s, SD_CRITICAL, "primary"));

	s->pg->members[0].reachable = true;
	s->pg->members[1].role = "primary"; /* a standby promoted while the primary answers */
	sd_health_evaluate(s, NULL);
	assert_true(has_alert(s, SD_CRITICAL, "primary"));
	bool split = false;
	for (size_t i = 0; i < s->nalerts; i++)
		split |= strstr(s->alerts[i].message, "SPLIT BRAIN") != NULL;
	assert_true(split);
	sd_snapshot_unref(s);

	s = data_snapshot();
	s->redis->sentinels[2].master_addr = "10.0.0.2:6379"; /* disagreement */
	s->redis->sentinels[1].reachable = false;            /* and one missing */
	sd_health_evaluate(s, NULL);
	assert_true(has_alert(s, SD_WARNING, "10.0.0.13:26379"));
	assert_true(has_alert(s, SD_WARNING, "10.0.0.12:26379"));
	assert_int_equal(s->health, SD_WARNING);
	s->redis->master.flags = "master,o_down";
	s->redis->master.ckquorum = false;
	sd_health_evaluate(s, NULL);
	assert_true(has_alert(s, SD_CRITICAL, "mymaster"));
	assert_int_equal(s->health, SD_CRITICAL);
	sd_snapshot_unref(s);
}

static void test_backup_rpo(void **state)
{
	(void)state;
	struct sd_config config = {0};
	config.backup.rpo_seconds = 300;
	struct sd_snapshot *s = data_snapshot();
	s->time = 100000;
	s->backups_status = s->docker_status;
	struct sd_backups *b = sd_part_new(sizeof(*b));
	b->nitems = 2;
	b->items = sd_arena_alloc(b->part.arena, 2 * sizeof(struct sd_backup));
	b->items[0] = (struct sd_backup){.kind = "postgres", .file = "/b/new.dump", .verified = "no",
					 .time = 100000 - 10};
	b->items[1] = (struct sd_backup){.kind = "postgres", .file = "/b/old.dump", .verified = "yes",
					 .time = 100000 - 400};
	s->backups = b;
	sd_health_evaluate(s, &config);
	/* the unverified newer dump does not count: 400 s > RPO */
	assert_true(has_alert(s, SD_WARNING, "rpo"));
	b->items[1].time = 100000 - 700;   /* past twice the RPO */
	sd_health_evaluate(s, &config);
	assert_true(has_alert(s, SD_CRITICAL, "rpo"));
	b->items[0].verified = "yes";      /* a fresh verified dump */
	b->items[1].verified = "failed";
	sd_health_evaluate(s, &config);
	assert_false(has_alert(s, SD_WARNING, "rpo"));
	assert_false(has_alert(s, SD_CRITICAL, "rpo"));
	assert_true(has_alert(s, SD_WARNING, "/b/old.dump"));
	sd_snapshot_unref(s);
}

/* ---- the registry's checks, through a core that never starts its pollers ---- */

static char audit_path[256];

static struct sd_core *make_core(struct sd_config *config, enum sd_mode mode)
{
	memset(config, 0, sizeof(*config));
	config->docker.host = (char *)"unix:///nonexistent/docker.sock";
	config->docker.timeout_ms = 200;
	config->docker.tls_verify = -1;
	config->interval = 2;
	config->scale_max = 10;
	snprintf(audit_path, sizeof(audit_path), "/tmp/sd-test-audit-%d/audit.log", (int)getpid());
	config->audit_log = audit_path;
	struct sd_error err;
	struct sd_core *core = sd_core_new(config, mode, &err);
	assert_non_null(core);
	sd_core_put_swarm(core, make_swarm(three_managers, 5, healthy, 2));
	return core;
}

static int audit_lines(const char *needle)
{
	FILE *f = fopen(audit_path, "r");
	int n = 0;
	char line[4096];
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

static void test_scale_checks(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_LIVE);
	struct sd_request req;
	unlink(audit_path);

	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "app_backend", "abc", &req), -1);
	assert_non_null(strstr(req.result, "'abc' is not a number"));
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "app_backend", "-1", &req), -1);
	assert_non_null(strstr(req.result, "negative"));
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "app_backend", "11", &req), -1);
	assert_non_null(strstr(req.result, "scale_max (10)"));
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "app_agent", "2", &req), -1);
	assert_non_null(strstr(req.result, "global"));
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "nope", "2", &req), -1);
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "app_backend", " 5 ", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_YES);
	assert_string_equal(req.param, "5");
	assert_non_null(strstr(req.question, "from 3 to 5"));
	/* a wrong answer is refused and audited */
	assert_int_equal(sd_action_submit(core, &req, "no"), -1);
	assert_int_equal(audit_lines("\"result\":\"refused\""), 6);
	assert_int_equal(audit_lines("\"value\":\"abc\""), 1);
	sd_core_free(core);
}

static void test_demote_quorum(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_LIVE);
	struct sd_request req;
	/* 3 managers, all reachable: demote leaves 2 (warned), quorum kept */
	assert_int_equal(sd_action_prepare(core, sd_action_find("node.demote"), "manager-2", "", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_YES);
	assert_non_null(strstr(req.question, "WARNING"));
	/* one manager down: demoting another loses quorum -> the name must be typed */
	struct node_spec nodes[5];
	memcpy(nodes, three_managers, sizeof(nodes));
	nodes[2].state = "down";
	nodes[2].manager = "unreachable";
	sd_core_put_swarm(core, make_swarm(nodes, 5, healthy, 2));
	assert_int_equal(sd_action_prepare(core, sd_action_find("node.demote"), "manager-2", "", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_TYPE_NAME);
	assert_string_equal(req.target_name, "manager-2");
	assert_int_equal(sd_action_submit(core, &req, "yes"), -1);
	assert_non_null(strstr(req.result, "did not match"));
	/* workers are not demoted, managers not promoted */
	assert_int_equal(sd_action_prepare(core, sd_action_find("node.demote"), "worker-1", "", &req), -1);
	assert_int_equal(sd_action_prepare(core, sd_action_find("node.promote"), "manager-1", "", &req), -1);
	/* promoting to 4 managers warns of an even count */
	sd_core_put_swarm(core, make_swarm(three_managers, 5, healthy, 2));
	assert_int_equal(sd_action_prepare(core, sd_action_find("node.promote"), "worker-1", "", &req), 0);
	assert_non_null(strstr(req.question, "even"));
	sd_core_free(core);
}

static void test_watch_mode_refuses(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_WATCH);
	unlink(audit_path);
	int mutating = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++) {
		struct sd_request req;
		int rc = sd_action_prepare(core, *a, "app_backend", "3", &req);
		if ((*a)->mutates) {
			mutating++;
			assert_int_equal(rc, -1);
			assert_non_null(strstr(req.result, "watch mode"));
			/* and submit refuses too, whatever the caller does */
			req.action = *a;
			assert_int_equal(sd_action_submit(core, &req, "yes"), -1);
		} else {
			assert_int_equal(rc, 0);
		}
	}
	assert_true(mutating >= 13);
	assert_int_equal(audit_lines("watch mode"), 2 * mutating);
	sd_core_free(core);
}

static void test_registry_names(void **state)
{
	(void)state;
	static const char *const contract[] = {
		"quit", "help", "refresh", "focus.next", "focus.prev", "focus.nodes",
		"focus.services", "focus.tasks", "focus.postgres", "focus.redis", "focus.backups",
		"cursor.up", "cursor.down", "cursor.top", "cursor.bottom", "page.up", "page.down",
		"filter", "sort.next", "open", "back", "screen.save", "pane.zoom", "service.scale",
		"service.rollback", "service.redeploy", "node.drain", "node.pause", "node.activate",
		"node.promote", "node.demote", "pg.promote", "redis.failover", "backup.take",
		"backup.verify", "backup.restore", "service.update", "node.label", "node.remove",
		"pg.tables", "pg.vacuum", "pg.analyze", "pg.query", "pg.cancel",
		"pg.terminate", "logs", "inspect", "backup.upload",
		"backup.sync", NULL,
	};
	for (size_t i = 0; contract[i]; i++)
		assert_non_null(sd_action_find(contract[i]));
	size_t n = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++, n++)
		assert_non_null((*a)->help);
	assert_int_equal(n, SD_ACTION_COUNT);
	assert_null(sd_action_find("service.scael"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_is_ok),
		cmocka_unit_test(test_service_levels),
		cmocka_unit_test(test_node_down_levels),
		cmocka_unit_test(test_quorum),
		cmocka_unit_test(test_unreachable_engine_is_unknown),
		cmocka_unit_test(test_data_tier_rules),
		cmocka_unit_test(test_backup_rpo),
		cmocka_unit_test(test_scale_checks),
		cmocka_unit_test(test_demote_quorum),
		cmocka_unit_test(test_watch_mode_refuses),
		cmocka_unit_test(test_registry_names),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (*audit_path) {
		unlink(audit_path);
		*strrchr(audit_path, '/') = '\0';
		rmdir(audit_path);
	}
	return failed;
}
