/* test_recover.c - swarm.recover against a fake engine whose swarm lost its leader (GET
 * /nodes answers 503 "The swarm does not have a leader"): the finding says what that means,
 * the action is offered only then and only on the manager the console asks, asks for its
 * name typed, and posts /swarm/init with ForceNewCluster and the node's address; with
 * quorum held, or in watch mode, it is refused and nothing is posted. */
#include "actions.h"
#include "actions_swarm.h"
#include "conf/config.h"
#include "core.h"
#include "../fake/fake_engine.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char info[] = "{\"Name\":\"manager-1\",\"Swarm\":{\"Cluster\":{\"ID\":\"c1\"}}}";
static const char nodes[] =
	"[{\"ID\":\"n1\",\"Description\":{\"Hostname\":\"manager-1\"},\"Spec\":{\"Role\":\"manager\","
	"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.1\"},"
	"\"ManagerStatus\":{\"Leader\":true,\"Reachability\":\"reachable\"}},"
	"{\"ID\":\"n2\",\"Description\":{\"Hostname\":\"manager-2\"},\"Spec\":{\"Role\":\"manager\","
	"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.2\"},"
	"\"ManagerStatus\":{\"Reachability\":\"reachable\"}},"
	"{\"ID\":\"n3\",\"Description\":{\"Hostname\":\"manager-3\"},\"Spec\":{\"Role\":\"manager\","
	"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.3\"},"
	"\"ManagerStatus\":{\"Reachability\":\"reachable\"}}]";
static const char no_leader[] =
	"{\"message\":\"rpc error: code = Unknown desc = The swarm does not have a leader. It's "
	"possible that too few managers are online. Make sure more than half of the managers "
	"are online.\"}";

static char dir[64], sock[128], audit[128];
static struct fake_engine *engine;

static struct fake_route *route(const char *method, const char *path)
{
	for (int i = 0; i < engine->nroutes; i++)
		if (!strcmp(engine->routes[i].method, method) && !strcmp(engine->routes[i].path, path))
			return &engine->routes[i];
	return NULL;
}

static struct sd_core *start(struct sd_config *config, enum sd_mode mode)
{
	memset(config, 0, sizeof(*config));
	static char host[160];
	snprintf(host, sizeof(host), "unix://%s", sock);
	config->docker.host = host;
	config->docker.timeout_ms = 2000;
	config->docker.tls_verify = -1;
	config->interval = 0.3;
	config->scale_max = 10;
	config->audit_log = audit;
	struct sd_error e;
	struct sd_core *core = sd_core_new(config, mode, &e);
	assert_non_null(core);
	sd_core_start(core);
	assert_true(sd_core_wait_first(core, 10));
	return core;
}

/* Wait until the engine's swarm says it has no leader (the poller's next look). */
static void lose_leader(struct sd_core *core)
{
	pthread_mutex_lock(&engine->lock);
	struct fake_route *r = route("GET", "/v1.41/nodes");
	r->status = 503;
	r->body = no_leader;
	pthread_mutex_unlock(&engine->lock);
	sd_core_refresh(core);
	for (int i = 0; i < 100; i++) {
		struct sd_snapshot *s = sd_core_snapshot(core);
		bool lost = sd_swarm_quorum_lost(s);
		sd_snapshot_unref(s);
		if (lost)
			return;
		usleep(50000);
	}
	fail_msg("the console never saw the leader lost");
}

static void test_recover(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = start(&config, SD_MODE_LIVE);
	struct sd_request req;
	/* quorum holds: nothing to recover */
	assert_int_equal(sd_action_prepare(core, sd_action_find("swarm.recover"), "n1", "", &req), -1);
	assert_non_null(strstr(req.result, "quorum holds (3/3"));

	lose_leader(core);
	struct sd_snapshot *s = sd_core_snapshot(core);
	bool said = false;
	for (size_t i = 0; i < s->nalerts; i++)
		said |= s->alerts[i].level == SD_CRITICAL && !strcmp(s->alerts[i].kind, "quorum-lost") &&
			strstr(s->alerts[i].message, "nothing is scheduled or changed") &&
			strstr(s->alerts[i].message, "swarm.recover");
	assert_true(said);
	assert_non_null(s->swarm);              /* the last nodes stay, to choose from */
	sd_snapshot_unref(s);

	/* a manager other than the one the console asks: refused */
	assert_int_equal(sd_action_prepare(core, sd_action_find("swarm.recover"), "n2", "", &req), -1);
	assert_non_null(strstr(req.result, "the console asks manager-1, not manager-2"));
	/* the manager asked: its name typed */
	assert_int_equal(sd_action_prepare(core, sd_action_find("swarm.recover"), "n1", "", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_TYPE_NAME);
	assert_non_null(strstr(req.question, "DANGER: quorum is lost"));
	assert_int_equal(sd_action_submit(core, &req, "yes"), -1);
	assert_null(fake_engine_last(engine, "POST"));
	assert_int_equal(sd_action_prepare(core, sd_action_find("swarm.recover"), "n1", "", &req), 0);
	assert_int_equal(sd_action_submit(core, &req, "manager-1"), 0);
	struct sd_request done;
	assert_int_equal(sd_core_wait_done(core, req.ticket, 10, &done), 0);
	assert_int_equal(done.status, 0);
	assert_non_null(strstr(done.result, "a new cluster on manager-1"));
	const struct fake_request *post = fake_engine_last(engine, "POST");
	assert_non_null(post);
	assert_string_equal(post->target, "/v1.41/swarm/init");
	assert_non_null(strstr(post->body, "\"ForceNewCluster\":true"));
	assert_non_null(strstr(post->body, "\"AdvertiseAddr\":\"10.0.0.1\""));
	assert_non_null(strstr(post->body, "\"ListenAddr\":\"0.0.0.0:2377\""));
	sd_core_free(core);

	/* watch mode: refused, nothing posted */
	int posts = fake_engine_count(engine, "POST", "/v1.41/swarm/init");
	core = start(&config, SD_MODE_WATCH);
	lose_leader(core);
	assert_int_equal(sd_action_prepare(core, sd_action_find("swarm.recover"), "n1", "", &req), -1);
	assert_non_null(strstr(req.result, "watch mode"));
	sd_core_free(core);
	assert_int_equal(fake_engine_count(engine, "POST", "/v1.41/swarm/init"), posts);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sd-recover-%d", (int)getpid());
	snprintf(sock, sizeof(sock), "%s/engine.sock", dir);
	snprintf(audit, sizeof(audit), "%s/audit.log", dir);
	char cmd[128], err[256];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	if (system(cmd) != 0)
		return -1;
	engine = fake_engine_start(sock, "1.41", err, sizeof(err));
	if (!engine)
		return -1;
	fake_engine_route(engine, "GET", "/v1.41/info", 200, info, FAKE_SEND_WHOLE);
	fake_engine_route(engine, "GET", "/v1.41/nodes", 200, nodes, FAKE_SEND_WHOLE);
	fake_engine_route(engine, "GET", "/v1.41/services", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(engine, "GET", "/v1.41/tasks", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(engine, "POST", "/v1.41/swarm/init", 200, "\"n1\"", FAKE_SEND_WHOLE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_engine_stop(engine);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recover),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
