/* test_rollout.c - service.update, node.label and node.remove: their checks against a
 * snapshot (questions, refusals with the reason, watch mode refused and audited), the
 * placement-constraint reading, the engine requests they send (against the fake engine: the
 * new image in the spec posted with its version, the label change, DELETE of the node, no
 * request at all from a read-only client), the registry auth header as the CLI builds it,
 * and the decoder's new fields (update config, UpdateStatus times, constraints, task image). */
#include "actions.h"
#include "actions_swarm.h"
#include "backends/docker/docker.h"
#include "conf/config.h"
#include "core.h"
#include "../fake/fake_engine.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char audit_path[256];

static struct sd_swarm *make_swarm(void)
{
	static const char *const hosts[] = {"manager-1", "manager-2", "manager-3", "worker-1",
					    "worker-2"};
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	sw->nnodes = 5;
	sw->nodes = sd_arena_alloc(a, 5 * sizeof(struct sd_node));
	for (size_t i = 0; i < 5; i++) {
		struct sd_node *n = &sw->nodes[i];
		bool manager = i < 3;
		n->id = sd_arena_printf(a, "id-%s", hosts[i]);
		n->hostname = hosts[i];
		n->role = manager ? "manager" : "worker";
		n->state = i == 4 ? "down" : "ready";
		n->manager = !manager ? "" : i == 0 ? "leader" : "reachable";
		n->availability = "active";
		n->engine = n->addr = n->message = "";
		if (manager)
			sw->managers++, sw->managers_reachable++;
	}
	struct sd_label *labels = sd_arena_alloc(a, sizeof(*labels));
	labels[0] = (struct sd_label){"zone", "a"};
	sw->nodes[3].labels = labels;
	sw->nodes[3].nlabels = 1;
	sw->nodes[4].tasks = 2;
	sw->leader = "manager-1";
	sw->nservices = 2;
	sw->services = sd_services_new(a, 2);
	static const char *const names[] = {"app_backend", "app_db"};
	for (size_t i = 0; i < 2; i++) {
		struct sd_service *s = sw->services[i];
		s->id = sd_arena_printf(a, "sid-%s", names[i]);
		s->name = names[i];
		s->mode = "replicated";
		s->update_state = s->update_message = s->stack = "";
		s->image = "sdlab/busybox:1";
		s->desired = s->running = 3;
		s->update_parallelism = 1;
		s->update_delay = 2;
		s->update_monitor = 10;
		s->update_order = "stop-first";
		s->update_failure_action = "rollback";
	}
	const char **c = sd_arena_alloc(a, 2 * sizeof(*c));
	c[0] = "node.role == worker";
	c[1] = "node.labels.type==db";
	sw->services[1]->constraints = c;
	sw->services[1]->nconstraints = 2;
	sw->engine_name = "manager-1";
	return sw;
}

static struct sd_core *make_core(struct sd_config *config, enum sd_mode mode)
{
	memset(config, 0, sizeof(*config));
	config->docker.host = (char *)"unix:///nonexistent/docker.sock";
	config->docker.timeout_ms = 2000;
	config->docker.tls_verify = -1;
	config->interval = 2;
	config->scale_max = 10;
	snprintf(audit_path, sizeof(audit_path), "/tmp/sd-test-rollout-%d/audit.log", (int)getpid());
	config->audit_log = audit_path;
	unlink(audit_path);
	struct sd_error err;
	struct sd_core *core = sd_core_new(config, mode, &err);
	assert_non_null(core);
	sd_core_put_swarm(core, make_swarm());
	return core;
}

static int audit_count(const char *a, const char *b)
{
	FILE *f = fopen(audit_path, "r");
	int n = 0;
	char line[8192];
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, a) && (!b || strstr(line, b));
	if (f)
		fclose(f);
	return n;
}

static int prepare(struct sd_core *core, enum sd_action_id id, const char *target,
		   const char *param, struct sd_request *req)
{
	return sd_action_prepare(core, sd_action_get(id), target, param, req);
}

static void test_update_check(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_LIVE);
	struct sd_request req;
	assert_int_equal(prepare(core, SD_ACTION_SERVICE_UPDATE, "sid-app_backend", "  ", &req), -1);
	assert_non_null(strstr(req.result, "no image given"));
	assert_int_equal(prepare(core, SD_ACTION_SERVICE_UPDATE, "sid-app_backend",
				 "sdlab/busybox:1", &req), -1);
	assert_non_null(strstr(req.result, "runs sdlab/busybox:1 already"));
	assert_int_equal(prepare(core, SD_ACTION_SERVICE_UPDATE, "sid-app_backend", "a b", &req), -1);
	assert_int_equal(prepare(core, SD_ACTION_SERVICE_UPDATE, "sid-app_backend",
				 " sdlab/busybox:rollout ", &req), 0);
	assert_string_equal(req.param, "sdlab/busybox:rollout");
	assert_int_equal(req.confirm, SD_CONFIRM_YES);
	assert_non_null(strstr(req.question, "from sdlab/busybox:1"));
	assert_non_null(strstr(req.question, "to   sdlab/busybox:rollout"));
	assert_non_null(strstr(req.question, "parallelism 1, delay 2s, order stop-first, "
					     "failure_action rollback, monitor 10s"));
	assert_non_null(strstr(req.question, "3 tasks replaced one at a time"));
	assert_non_null(strstr(req.question, "rolls the service back to sdlab/busybox:1"));
	assert_int_equal(req.nholds, 1);
	assert_string_equal(req.holds[0].key, "service app_backend");
	/* the prompt starts with the image the service runs */
	struct sd_snapshot *snap = sd_core_snapshot(core);
	char buf[256];
	sd_action_get(SD_ACTION_SERVICE_UPDATE)->prefill(snap, "sid-app_backend", buf, sizeof(buf));
	assert_string_equal(buf, "sdlab/busybox:1");
	sd_snapshot_unref(snap);
	sd_core_free(core);
}

static void test_label_check(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_LIVE);
	struct sd_request req;
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "type=db", &req), 0);
	assert_string_equal(req.target_name, "worker-1");
	assert_non_null(strstr(req.question, "Add label type=db to node worker-1?"));
	assert_non_null(strstr(req.question, "app_db: node.labels.type==db: now matches this node"));
	assert_null(strstr(req.question, "app_backend"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "zone=b", &req), 0);
	assert_non_null(strstr(req.question, "Change label zone on node worker-1 from a to b?"));
	assert_non_null(strstr(req.question, "No service's placement constraints read "
					     "node.labels.zone."));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "-zone", &req), 0);
	assert_non_null(strstr(req.question, "Remove label zone (=a) from node worker-1?"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "-type", &req), -1);
	assert_non_null(strstr(req.result, "worker-1 has no label type"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "zone=a", &req), -1);
	assert_non_null(strstr(req.result, "has zone=a already"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "junk", &req), -1);
	assert_non_null(strstr(req.result, "neither key=value"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "=x", &req), -1);
	assert_int_equal(audit_count("\"node.label\"", "\"refused\""), 4);
	sd_core_free(core);
}

static void test_constraints(void **state)
{
	(void)state;
	struct sd_label l[] = {{"type", "DB"}, {"zone", "a"}};
	assert_true(sd_constraint_reads_label("node.labels.type==db", "type"));
	assert_true(sd_constraint_reads_label(" node.labels.type != db ", "type"));
	assert_false(sd_constraint_reads_label("node.labels.typex==db", "type"));
	assert_false(sd_constraint_reads_label("node.role==worker", "type"));
	assert_true(sd_constraint_label_holds("node.labels.type==db", l, 2)); /* as swarmkit: any case */
	assert_false(sd_constraint_label_holds("node.labels.type!=db", l, 2));
	assert_false(sd_constraint_label_holds("node.labels.type==db", l + 1, 1));
	assert_true(sd_constraint_label_holds("node.labels.type!=db", l + 1, 1));
}

static void test_remove_check(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_LIVE);
	struct sd_request req;
	assert_int_equal(prepare(core, SD_ACTION_NODE_REMOVE, "id-manager-2", "", &req), -1);
	assert_non_null(strstr(req.result, "manager-2 is a manager: demote it first"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_REMOVE, "id-worker-1", "", &req), -1);
	assert_non_null(strstr(req.result, "worker-1 is ready: only a node that is down"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_REMOVE, "id-worker-2", "", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_TYPE_NAME);
	assert_string_equal(req.target_name, "worker-2");
	assert_non_null(strstr(req.question, "Its 2 tasks desired running are rescheduled"));
	/* the name typed must match; "yes" is not enough */
	assert_int_equal(sd_action_submit(core, &req, "yes"), -1);
	assert_non_null(strstr(req.result, "the name typed did not match"));
	assert_int_equal(audit_count("\"node.remove\"", "\"refused\""), 3);
	sd_core_free(core);
}

static void test_watch_mode_refuses(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, SD_MODE_WATCH);
	struct sd_request req;
	assert_int_equal(prepare(core, SD_ACTION_SERVICE_UPDATE, "sid-app_backend", "x:2", &req), -1);
	assert_non_null(strstr(req.result, "watch mode"));
	assert_int_equal(prepare(core, SD_ACTION_NODE_LABEL, "id-worker-1", "a=b", &req), -1);
	assert_int_equal(prepare(core, SD_ACTION_NODE_REMOVE, "id-worker-2", "", &req), -1);
	req.action = sd_action_get(SD_ACTION_NODE_REMOVE);
	assert_int_equal(sd_action_submit(core, &req, "worker-2"), -1);
	assert_int_equal(audit_count("watch mode", "\"refused\""), 4);
	sd_core_free(core);
}

/* ---- the engine requests ---- */

static const char service_json[] =
	"{\"ID\":\"svc1\",\"Version\":{\"Index\":42},\"Spec\":{\"Name\":\"app_backend\","
	"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"sdlab/busybox:1\"}},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":3}}}}";
static const char node_json[] =
	"{\"ID\":\"node1\",\"Version\":{\"Index\":7},\"Spec\":{\"Role\":\"worker\","
	"\"Availability\":\"active\",\"Labels\":{\"zone\":\"a\"}},"
	"\"Description\":{\"Hostname\":\"worker-1\"},\"Status\":{\"State\":\"down\"}}";

static struct fake_engine *start_engine(void)
{
	char path[108], err[256];
	snprintf(path, sizeof(path), "/tmp/sdtest-rollout-%d.sock", (int)getpid());
	struct fake_engine *f = fake_engine_start(path, "1.41", err, sizeof(err));
	if (!f)
		fail_msg("fake engine: %s", err);
	fake_engine_route(f, "GET", "/v1.41/services/svc1", 200, service_json, FAKE_SEND_WHOLE);
	fake_engine_route(f, "POST", "/v1.41/services/svc1/update", 200, "{\"Warnings\":null}",
			  FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/nodes/node1", 200, node_json, FAKE_SEND_WHOLE);
	fake_engine_route(f, "POST", "/v1.41/nodes/node1/update", 200, "", FAKE_SEND_WHOLE);
	fake_engine_route(f, "DELETE", "/v1.41/nodes/node1", 200, "", FAKE_SEND_WHOLE);
	return f;
}

static struct sd_docker *client(struct fake_engine *f, bool read_only)
{
	char host[160], err[256];
	snprintf(host, sizeof(host), "unix://%s", f->path);
	struct sd_docker_config c = {.host = host, .tls_verify = 0, .timeout_ms = 3000,
				     .read_only = read_only};
	struct sd_docker *d = sd_docker_open(&c, err, sizeof(err));
	assert_non_null(d);
	return d;
}

static void test_engine_requests(void **state)
{
	(void)state;
	setenv("DOCKER_CONFIG", "/nonexistent-docker-config", 1);
	struct fake_engine *f = start_engine();
	struct sd_docker *d = client(f, false);
	char err[512] = "";
	bool auth = true;
	assert_int_equal(sd_docker_service_update_image(d, "svc1", "sdlab/busybox:rollout", &auth,
							err, sizeof(err)), 0);
	assert_false(auth);
	assert_string_equal(fake_engine_last(f, "POST")->registry_auth, "");
	assert_int_equal(fake_engine_count(f, "POST", "/v1.41/services/svc1/update?version=42"), 1);
	const struct fake_request *r = fake_engine_last(f, "POST");
	assert_non_null(r);
	assert_non_null(strstr(r->body, "\"Image\":\"sdlab/busybox:rollout\""));
	assert_non_null(strstr(r->body, "\"Replicas\":3"));

	assert_int_equal(sd_docker_node_label(d, "node1", "type", "db", err, sizeof(err)), 0);
	r = fake_engine_last(f, "POST");
	assert_string_equal(r->target, "/v1.41/nodes/node1/update?version=7");
	assert_non_null(strstr(r->body, "\"type\":\"db\""));
	assert_non_null(strstr(r->body, "\"zone\":\"a\""));
	assert_int_equal(sd_docker_node_label(d, "node1", "zone", NULL, err, sizeof(err)), 0);
	r = fake_engine_last(f, "POST");
	assert_null(strstr(r->body, "zone"));
	assert_int_equal(sd_docker_node_label(d, "node1", "nope", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has no label nope"));

	assert_int_equal(sd_docker_node_remove(d, "node1", err, sizeof(err)), 0);
	assert_int_equal(fake_engine_count(f, "DELETE", "/v1.41/nodes/node1"), 1);
	sd_docker_close(d);

	/* read-only: refused before anything leaves the process */
	int before = f->nlog;
	d = client(f, true);
	assert_int_equal(sd_docker_service_update_image(d, "svc1", "x:2", NULL, err, sizeof(err)), -1);
	assert_int_equal(sd_docker_node_label(d, "node1", "a", "b", err, sizeof(err)), -1);
	assert_int_equal(sd_docker_node_remove(d, "node1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "read-only"));
	assert_int_equal(f->nlog, before);
	sd_docker_close(d);
	fake_engine_stop(f);
	unsetenv("DOCKER_CONFIG");
}

static long b64url_decode(const char *in, char *out, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = 0;
	unsigned v = 0;
	int bits = 0;
	for (const char *p = in; *p && *p != '='; p++) {
		const char *at = strchr(alphabet, *p);
		if (!at)
			return -1;
		v = (v << 6) | (unsigned)(at - alphabet);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)((v >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (long)n;
}

static void test_registry_auth(void **state)
{
	(void)state;
	char dir[128], path[192];
	snprintf(dir, sizeof(dir), "/tmp/sd-test-rollout-auth-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	/* "deploy:s3cret" and a Hub entry with separate fields */
	fputs("{\"auths\":{\"https://registry.example.com:5000/v2/\":{\"auth\":\"ZGVwbG95OnMzY3JldA==\"},"
	      "\"https://index.docker.io/v1/\":{\"username\":\"hubuser\",\"password\":\"hubpass\"}}}",
	      f);
	fclose(f);
	char out[4096], json[4096];
	assert_int_equal(sd_docker_registry_auth("registry.example.com:5000/app/api:2", path, out,
						 sizeof(out)), 1);
	assert_null(strpbrk(out, "+/"));
	assert_true(b64url_decode(out, json, sizeof(json)) > 0);
	assert_non_null(strstr(json, "\"username\":\"deploy\""));
	assert_non_null(strstr(json, "\"password\":\"s3cret\""));
	assert_non_null(strstr(json, "\"serveraddress\":\"https://registry.example.com:5000/v2/\""));
	assert_int_equal(sd_docker_registry_auth("library/busybox:1", path, out, sizeof(out)), 1);
	assert_true(b64url_decode(out, json, sizeof(json)) > 0);
	assert_non_null(strstr(json, "\"username\":\"hubuser\""));
	assert_int_equal(sd_docker_registry_auth("other.example.org/x:1", path, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(sd_docker_registry_auth("x:1", "/nonexistent/config.json", out,
						 sizeof(out)), 0);
	/* DOCKER_CONFIG names the folder, as for the CLI */
	setenv("DOCKER_CONFIG", dir, 1);
	assert_int_equal(sd_docker_registry_auth("registry.example.com:5000/a:1", NULL, out,
						 sizeof(out)), 1);
	unsetenv("DOCKER_CONFIG");
	unlink(path);
	rmdir(dir);
}

/* With credentials for the image's registry the update carries X-Registry-Auth; what the
 * caller gets back (the error, the flag) never holds them. */
static void test_auth_header_sent(void **state)
{
	(void)state;
	char dir[128], path[192];
	snprintf(dir, sizeof(dir), "/tmp/sd-test-rollout-hdr-%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *cf = fopen(path, "w");
	assert_non_null(cf);
	fputs("{\"auths\":{\"registry.example.com\":{\"auth\":\"ZGVwbG95OnMzY3JldA==\"}}}", cf);
	fclose(cf);
	setenv("DOCKER_CONFIG", dir, 1);
	struct fake_engine *f = start_engine();
	struct sd_docker *d = client(f, false);
	char err[512] = "", json[2048];
	bool auth = false;
	assert_int_equal(sd_docker_service_update_image(d, "svc1", "registry.example.com/app:2",
							&auth, err, sizeof(err)), 0);
	assert_true(auth);
	const struct fake_request *r = fake_engine_last(f, "POST");
	assert_true(b64url_decode(r->registry_auth, json, sizeof(json)) > 0);
	assert_non_null(strstr(json, "\"password\":\"s3cret\""));
	assert_null(strstr(r->body, "s3cret"));
	/* a refusal from the engine: its message, not the credentials */
	fake_engine_route(f, "POST", "/v1.41/services/svc2/update", 500,
			  "{\"message\":\"update out of sequence\"}", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/services/svc2", 200,
			  "{\"ID\":\"svc2\",\"Version\":{\"Index\":1},\"Spec\":{\"Name\":\"b\","
			  "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"x:1\"}}}}",
			  FAKE_SEND_WHOLE);
	assert_int_equal(sd_docker_service_update_image(d, "svc2", "registry.example.com/app:2",
							&auth, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "update out of sequence"));
	assert_null(strstr(err, "s3cret"));
	assert_null(strstr(err, "ZGVwbG95"));
	sd_docker_close(d);
	fake_engine_stop(f);
	unsetenv("DOCKER_CONFIG");
	unlink(path);
	rmdir(dir);
}

static void test_decode_fields(void **state)
{
	(void)state;
	static const char services[] =
		"[{\"ID\":\"s1\",\"Version\":{\"Index\":3},\"Spec\":{\"Name\":\"app_db\","
		"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"sdlab/busybox:2@sha256:abc\"},"
		"\"Placement\":{\"Constraints\":[\"node.labels.type==db\",\"node.role==worker\"]}},"
		"\"Mode\":{\"Replicated\":{\"Replicas\":2}},\"UpdateConfig\":{\"Parallelism\":2,"
		"\"Delay\":2000000000,\"FailureAction\":\"rollback\",\"Monitor\":10000000000,"
		"\"MaxFailureRatio\":0,\"Order\":\"start-first\"}},"
		"\"UpdateStatus\":{\"State\":\"rollback_completed\",\"StartedAt\":"
		"\"2026-12-01T10:00:00.5Z\",\"CompletedAt\":\"2026-12-01T10:01:00Z\","
		"\"Message\":\"rollback completed\"}}]";
	static const char tasks[] =
		"[{\"ID\":\"t1\",\"ServiceID\":\"s1\",\"Slot\":1,\"DesiredState\":\"running\","
		"\"Spec\":{\"ContainerSpec\":{\"Image\":\"sdlab/busybox:1@sha256:def\"}},"
		"\"Status\":{\"State\":\"running\"}}]";
	struct sd_swarm *sw = NULL;
	char err[256];
	assert_int_equal(sd_docker_decode(NULL, 0, "[]", 2, services, strlen(services), tasks,
					  strlen(tasks), &sw, err, sizeof(err)), 0);
	const struct sd_service *s = sw->services[0];
	assert_string_equal(s->image, "sdlab/busybox:2");
	assert_int_equal(s->nconstraints, 2);
	assert_string_equal(s->constraints[0], "node.labels.type==db");
	assert_int_equal(s->update_parallelism, 2);
	assert_true(s->update_delay == 2.0 && s->update_monitor == 10.0);
	assert_string_equal(s->update_order, "start-first");
	assert_string_equal(s->update_failure_action, "rollback");
	assert_int_equal((long)(s->update_completed - s->update_started), 60);
	assert_string_equal(s->tasks[0].image, "sdlab/busybox:1");
	sd_part_unref(sw);
}

int main(void)
{
	char dir[128];
	snprintf(dir, sizeof(dir), "/tmp/sd-test-rollout-%d", (int)getpid());
	mkdir(dir, 0700);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update_check),   cmocka_unit_test(test_label_check),
		cmocka_unit_test(test_constraints),    cmocka_unit_test(test_remove_check),
		cmocka_unit_test(test_watch_mode_refuses), cmocka_unit_test(test_engine_requests),
		cmocka_unit_test(test_registry_auth),  cmocka_unit_test(test_auth_header_sent),
		cmocka_unit_test(test_decode_fields),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(audit_path);
	rmdir(dir);
	return failed;
}
