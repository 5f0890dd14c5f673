/* test_docker.c - the Docker backend: decoding of the captured lab responses field by field
 * (checked against jansson's reading of the same files), sorting and grouping, quorum counts,
 * digests, broken JSON, DOCKER_HOST parsing, the read-only refusal, and fetch, mutations and
 * events against a fake engine on a unix socket that records every request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/docker/docker.h"
#include "base/jsonscan.h"
#include "base/text.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "../fake/fake_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* the captured lab responses; SD_FIXTURE_DIR points elsewhere */
static const char *fixture_dir(void)
{
	const char *dir = getenv("SD_FIXTURE_DIR");
	return dir && *dir ? dir : "tests/fixtures/docker";
}

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                  */

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* The captured responses come from the lab (tests/lab/capture-fixtures; the *-worker-down and
 * *-rollback* files only with --scenarios). A checkout without them skips the tests that need
 * them, saying which file is missing. */
struct fixture_set {
	const char *info, *nodes, *services, *tasks;
};

static const struct fixture_set steady = {"info.json", "nodes.json", "services.json", "tasks.json"};
static const struct fixture_set worker_down = {"info.json", "nodes-worker-down.json",
					       "services-worker-down.json", "tasks-worker-down.json"};
static const struct fixture_set rollback_started = {"info.json", "nodes.json",
						    "services-rollback-started.json",
						    "tasks-backend-rollback.json"};

static void need_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	if (access(path, R_OK) != 0) {
		print_message("skipped: no %s (captured from the lab)\n", path);
		skip();
	}
}

static void need_set(const struct fixture_set *set)
{
	need_file(set->info);
	need_file(set->nodes);
	need_file(set->services);
	need_file(set->tasks);
}

static char *fixture(const char *name, size_t *len)
{
	need_file(name);
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	return read_text(path, len);
}

static json_t *fixture_json(const char *name)
{
	need_file(name);
	char path[256];
	json_error_t jerr;
	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root)
		fail_msg("%s: %s", path, jerr.text);
	return root;
}

struct fixtures {
	char *info, *nodes, *services, *tasks;
	size_t info_len, nodes_len, services_len, tasks_len;
};

static void load_set(struct fixtures *f, const struct fixture_set *set)
{
	need_set(set);
	f->info = fixture(set->info, &f->info_len);
	f->nodes = fixture(set->nodes, &f->nodes_len);
	f->services = fixture(set->services, &f->services_len);
	f->tasks = fixture(set->tasks, &f->tasks_len);
}

static void load_fixtures(struct fixtures *f)
{
	load_set(f, &steady);
}

static void free_fixtures(struct fixtures *f)
{
	free(f->info);
	free(f->nodes);
	free(f->services);
	free(f->tasks);
}

static struct sd_swarm *decode_set(const struct fixture_set *set)
{
	struct fixtures f;
	load_set(&f, set);
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	int rc = sd_docker_decode(f.info, f.info_len, f.nodes, f.nodes_len, f.services,
				  f.services_len, f.tasks, f.tasks_len, &sw, err, sizeof(err));
	free_fixtures(&f);
	if (rc != 0)
		fail_msg("decode of %s/%s/%s failed: %s", set->nodes, set->services, set->tasks, err);
	assert_non_null(sw);
	return sw;
}

static struct sd_swarm *decode_fixtures(void)
{
	return decode_set(&steady);
}

static struct sd_swarm *decode_texts(const char *nodes, const char *services, const char *tasks)
{
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	int rc = sd_docker_decode(NULL, 0, nodes, nodes ? strlen(nodes) : 0, services,
				  services ? strlen(services) : 0, tasks, tasks ? strlen(tasks) : 0,
				  &sw, err, sizeof(err));
	if (rc != 0)
		fail_msg("decode failed: %s", err);
	return sw;
}

static const char *jstr(json_t *obj, const char *path)
{
	/* "A.B.C" */
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = obj;
	for (char *save = NULL, *part = strtok_r(buf, ".", &save); part;
	     part = strtok_r(NULL, ".", &save))
		v = json_object_get(v, part);
	return json_is_string(v) ? json_string_value(v) : "";
}

static long long jint(json_t *obj, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *v = obj;
	for (char *save = NULL, *part = strtok_r(buf, ".", &save); part;
	     part = strtok_r(NULL, ".", &save))
		v = json_object_get(v, part);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* An independent RFC 3339 reading (whole seconds, UTC) for the oracle. */
static time_t oracle_time(const char *s)
{
	struct tm tm = {0};
	if (!s || !*s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	if (tm.tm_year + 1900 <= 1)
		return 0;
	return timegm(&tm);
}

static const struct sd_node *node_by_id(const struct sd_swarm *sw, const char *id)
{
	for (size_t i = 0; i < sw->nnodes; i++)
		if (!strcmp(sw->nodes[i].id, id))
			return &sw->nodes[i];
	return NULL;
}

/* Task I of SW's walk (each service's tasks, then the orphans). */
static struct sd_task *nth_task(const struct sd_swarm *sw, size_t i)
{
	struct sd_task_walk w = {0};
	const struct sd_task *t;
	while ((t = sd_swarm_next_task(sw, &w)) && i--)
		;
	assert_non_null(t);
	return (struct sd_task *)t;
}

static const struct sd_task *task_by_id(const struct sd_swarm *sw, const char *id)
{
	return sd_swarm_task(sw, id);
}

static void assert_all_strings_set(const struct sd_swarm *sw)
{
	for (size_t i = 0; i < sw->nnodes; i++) {
		const struct sd_node *n = &sw->nodes[i];
		const char *s[] = {n->id, n->hostname, n->role, n->availability, n->state,
				   n->manager, n->engine, n->addr, n->message};
		for (size_t j = 0; j < sizeof(s) / sizeof(*s); j++)
			assert_non_null(s[j]);
	}
	for (size_t i = 0; i < sw->nservices; i++) {
		const struct sd_service *v = sw->services[i];
		const char *s[] = {v->id, v->name, v->stack, v->mode, v->image, v->update_state,
				   v->update_message};
		for (size_t j = 0; j < sizeof(s) / sizeof(*s); j++)
			assert_non_null(s[j]);
	}
	for (size_t i = 0; i < sw->ntasks; i++) {
		const struct sd_task *t = nth_task(sw, i);
		const char *s[] = {t->id, t->service_id, t->service, t->node_id, t->node,
				   t->desired_state, t->state, t->error, t->message};
		for (size_t j = 0; j < sizeof(s) / sizeof(*s); j++)
			assert_non_null(s[j]);
	}
	assert_non_null(sw->engine_name);
	assert_non_null(sw->engine_version);
	assert_non_null(sw->api_version);
	assert_non_null(sw->cluster_id);
	assert_non_null(sw->leader);
}

/* ---------------------------------------------------------------------------------------- */
/* decoding the captured lab responses                                                      */

static void test_decode_info_fixture(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_fixtures();
	json_t *info = fixture_json("info.json");
	assert_string_equal(sw->engine_name, jstr(info, "Name"));
	assert_string_equal(sw->cluster_id, jstr(info, "Swarm.Cluster.ID"));
	assert_string_equal(sw->engine_version, jstr(info, "ServerVersion"));
	assert_true(strlen(sw->cluster_id) > 0);
	assert_all_strings_set(sw);
	json_decref(info);
	sd_part_unref(sw);
}

/* Every node of SET as jansson reads it against the decoded part; returns the hostname of the
 * leader. Quorum counts follow the same reading. */
static void check_nodes(const struct sd_swarm *sw, const struct fixture_set *set)
{
	json_t *nodes = fixture_json(set->nodes), *tasks = fixture_json(set->tasks);
	assert_int_equal(sw->nnodes, json_array_size(nodes));
	int managers = 0, reachable = 0;
	const char *leader = "";
	size_t i;
	json_t *jn;
	json_array_foreach(nodes, i, jn) {
		const struct sd_node *n = node_by_id(sw, jstr(jn, "ID"));
		assert_non_null(n);
		assert_string_equal(n->hostname, jstr(jn, "Description.Hostname"));
		assert_string_equal(n->role, jstr(jn, "Spec.Role"));
		assert_string_equal(n->availability, jstr(jn, "Spec.Availability"));
		assert_string_equal(n->state, jstr(jn, "Status.State"));
		assert_string_equal(n->addr, jstr(jn, "Status.Addr"));
		assert_string_equal(n->message, jstr(jn, "Status.Message"));
		assert_string_equal(n->engine, jstr(jn, "Description.Engine.EngineVersion"));
		assert_int_equal(n->version, jint(jn, "Version.Index"));
		json_t *ms = json_object_get(jn, "ManagerStatus");
		const char *want = !ms ? ""
			: json_is_true(json_object_get(ms, "Leader")) ? "leader"
								      : jstr(ms, "Reachability");
		assert_string_equal(n->manager, want);
		if (!strcmp(jstr(jn, "Spec.Role"), "manager")) {
			managers++;
			if (!strcmp(want, "leader") || !strcmp(want, "reachable"))
				reachable++;
		}
		if (!strcmp(want, "leader"))
			leader = jstr(jn, "Description.Hostname");
		json_t *labels = json_object_get(json_object_get(jn, "Spec"), "Labels");
		assert_int_equal(n->nlabels, json_object_size(labels));
		size_t l = 0;
		const char *key;
		json_t *value;
		json_object_foreach(labels, key, value) {
			assert_string_equal(n->labels[l].key, key);
			assert_string_equal(n->labels[l].value, json_string_value(value));
			l++;
		}
		int want_tasks = 0;
		size_t t;
		json_t *jt;
		json_array_foreach(tasks, t, jt)
			if (!strcmp(jstr(jt, "NodeID"), n->id) &&
			    !strcmp(jstr(jt, "DesiredState"), "running"))
				want_tasks++;
		assert_int_equal(n->tasks, want_tasks);
	}
	assert_int_equal(sw->managers, managers);
	assert_int_equal(sw->managers_reachable, reachable);
	assert_string_equal(sw->leader, leader);
	for (i = 1; i < sw->nnodes; i++)
		assert_true(strcmp(sw->nodes[i - 1].hostname, sw->nodes[i].hostname) <= 0);
	json_decref(nodes);
	json_decref(tasks);
}

static void check_services(const struct sd_swarm *sw, const struct fixture_set *set)
{
	json_t *services = fixture_json(set->services), *tasks = fixture_json(set->tasks);
	assert_int_equal(sw->nservices, json_array_size(services));
	size_t i;
	json_t *js;
	json_array_foreach(services, i, js) {
		const struct sd_service *s = sd_swarm_service(sw, jstr(js, "ID"));
		assert_non_null(s);
		assert_string_equal(s->id, jstr(js, "ID"));
		assert_string_equal(s->name, jstr(js, "Spec.Name"));
		assert_ptr_equal(sd_swarm_service(sw, s->name), s);
		json_t *labels = json_object_get(json_object_get(js, "Spec"), "Labels");
		const char *stack = json_string_value(json_object_get(labels,
								      "com.docker.stack.namespace"));
		assert_string_equal(s->stack, stack ? stack : "");
		json_t *mode = json_object_get(json_object_get(js, "Spec"), "Mode");
		if (json_object_get(mode, "Replicated")) {
			assert_string_equal(s->mode, "replicated");
			assert_int_equal(s->desired, jint(mode, "Replicated.Replicas"));
		} else if (json_object_get(mode, "Global")) {
			assert_string_equal(s->mode, "global");
		}
		if (json_object_get(js, "ServiceStatus")) {
			assert_int_equal(s->running, jint(js, "ServiceStatus.RunningTasks"));
			assert_int_equal(s->desired, jint(js, "ServiceStatus.DesiredTasks"));
		}
		char image[256];
		snprintf(image, sizeof(image), "%s", jstr(js, "Spec.TaskTemplate.ContainerSpec.Image"));
		char *at = strchr(image, '@');
		if (at)
			*at = '\0';
		assert_string_equal(s->image, image);
		assert_null(strchr(s->image, '@'));
		assert_string_equal(s->update_state, jstr(js, "UpdateStatus.State"));
		assert_string_equal(s->update_message, jstr(js, "UpdateStatus.Message"));
		assert_int_equal(s->version, jint(js, "Version.Index"));
		assert_int_equal(s->has_previous_spec, json_is_object(json_object_get(js, "PreviousSpec")));
		assert_int_equal(s->updated_at, oracle_time(jstr(js, "UpdatedAt")));
		assert_true(s->updated_at > 1600000000);
		json_t *ports = json_object_get(json_object_get(js, "Endpoint"), "Ports");
		assert_int_equal(s->nports, json_array_size(ports));
		for (size_t p = 0; p < s->nports; p++) {
			json_t *jp = json_array_get(ports, p);
			assert_int_equal(s->ports[p].published, jint(jp, "PublishedPort"));
			assert_int_equal(s->ports[p].target, jint(jp, "TargetPort"));
			assert_string_equal(s->ports[p].protocol, jstr(jp, "Protocol"));
			assert_string_equal(s->ports[p].mode, jstr(jp, "PublishMode"));
		}
		size_t count = 0, t;
		json_t *jt;
		json_array_foreach(tasks, t, jt)
			count += !strcmp(jstr(jt, "ServiceID"), s->id);
		assert_int_equal(s->task_count, count);
	}
	for (i = 1; i < sw->nservices; i++)
		assert_true(strcmp(sw->services[i - 1]->name, sw->services[i]->name) < 0);
	json_decref(services);
	json_decref(tasks);
}

static void assert_task_order(const struct sd_swarm *sw);

static void check_tasks(const struct sd_swarm *sw, const struct fixture_set *set)
{
	json_t *tasks = fixture_json(set->tasks), *nodes = fixture_json(set->nodes);
	assert_int_equal(sw->ntasks, json_array_size(tasks));
	size_t i;
	json_t *jt;
	json_array_foreach(tasks, i, jt) {
		const struct sd_task *t = task_by_id(sw, jstr(jt, "ID"));
		assert_non_null(t);
		assert_string_equal(t->service_id, jstr(jt, "ServiceID"));
		const struct sd_service *s = sd_swarm_service(sw, t->service_id);
		assert_string_equal(t->service, s ? s->name : "");
		assert_string_equal(t->node_id, jstr(jt, "NodeID"));
		const char *hostname = "";
		size_t n;
		json_t *jn;
		json_array_foreach(nodes, n, jn)
			if (!strcmp(jstr(jn, "ID"), t->node_id))
				hostname = jstr(jn, "Description.Hostname");
		assert_string_equal(t->node, *t->node_id && !*hostname ? t->node_id : hostname);
		assert_int_equal(t->slot, json_object_get(jt, "Slot") ? jint(jt, "Slot") : 0);
		assert_string_equal(t->desired_state, jstr(jt, "DesiredState"));
		assert_string_equal(t->state, jstr(jt, "Status.State"));
		assert_string_equal(t->error, jstr(jt, "Status.Err"));
		assert_string_equal(t->message, jstr(jt, "Status.Message"));
		assert_int_equal(t->since, oracle_time(jstr(jt, "Status.Timestamp")));
		assert_true(t->since > 1600000000);
	}
	assert_task_order(sw);
	json_decref(tasks);
	json_decref(nodes);
}

static void test_decode_nodes_fixture(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_fixtures();
	check_nodes(sw, &steady);
	/* the lab: 3 managers, all reachable, one leader */
	assert_int_equal(sw->managers, 3);
	assert_int_equal(sw->managers_reachable, 3);
	assert_true(strlen(sw->leader) > 0);
	assert_non_null(sd_swarm_node(sw, "worker-1"));
	sd_part_unref(sw);
}

static void test_decode_services_fixture(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_fixtures();
	check_services(sw, &steady);
	/* the lab's stack */
	const struct sd_service *nginx = sd_swarm_service(sw, "iot-guardian_nginx");
	assert_non_null(nginx);
	assert_string_equal(nginx->stack, "iot-guardian");
	assert_string_equal(nginx->mode, "replicated");
	assert_true(nginx->nports >= 1);
	assert_int_equal(nginx->ports[0].published, 80);
	assert_string_equal(nginx->ports[0].mode, "host");
	assert_non_null(sd_swarm_service(sw, "iot-guardian_backend"));
	sd_part_unref(sw);
}

static void assert_task_order(const struct sd_swarm *sw)
{
	size_t covered = 0;
	for (size_t i = 0; i < sw->nservices; i++) {
		const struct sd_service *s = sw->services[i];
		if (s->task_count == 0)
			continue;
		assert_ptr_equal(s->tasks, nth_task(sw, covered));   /* the walk: services' order */
		covered += s->task_count;
		for (size_t t = 0; t < s->task_count; t++) {
			assert_string_equal(s->tasks[t].service_id, s->id);
			assert_string_equal(s->tasks[t].service, s->name);
			if (t == 0)
				continue;
			const struct sd_task *a = &s->tasks[t - 1], *b = &s->tasks[t];
			assert_true(a->slot <= b->slot);
			if (a->slot == b->slot && a->slot == 0)
				assert_true(strcmp(a->node, b->node) <= 0);
			if (a->slot == b->slot && (a->slot != 0 || !strcmp(a->node, b->node)))
				assert_true(a->since >= b->since);   /* newest first */
		}
	}
	assert_int_equal(covered + sw->norphans, sw->ntasks);
	for (size_t t = 0; t < sw->norphans; t++)
		assert_string_equal(sw->orphans[t].service, "");   /* only orphans after the groups */
}

static void test_decode_tasks_fixture(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_fixtures();
	check_tasks(sw, &steady);
	sd_part_unref(sw);
}

/* captured with --scenarios: worker-1 killed, and a bad update rolling back */
static void test_scenario_worker_down(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_set(&worker_down);
	check_nodes(sw, &worker_down);
	check_services(sw, &worker_down);
	check_tasks(sw, &worker_down);
	const struct sd_node *w = sd_swarm_node(sw, "worker-1");
	assert_non_null(w);
	assert_string_equal(w->state, "down");
	assert_int_equal(sw->managers, 3);   /* a worker does not touch the quorum */
	sd_part_unref(sw);
}

static void test_scenario_rollback_started(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_set(&rollback_started);
	check_services(sw, &rollback_started);
	check_tasks(sw, &rollback_started);
	const struct sd_service *backend = sd_swarm_service(sw, "iot-guardian_backend");
	assert_non_null(backend);
	assert_string_equal(backend->update_state, "rollback_started");
	/* the engine drops PreviousSpec as the rollback starts: no second rollback from here */
	assert_false(backend->has_previous_spec);
	sd_part_unref(sw);
}

/* ---------------------------------------------------------------------------------------- */
/* decoding: edge cases on small texts                                                      */

static void test_quorum_counts(void **state)
{
	(void)state;
	const char *nodes =
		"[{\"ID\":\"n1\",\"Description\":{\"Hostname\":\"m1\"},\"Spec\":{\"Role\":\"manager\","
		"\"Availability\":\"active\"},\"Status\":{\"State\":\"ready\"},"
		"\"ManagerStatus\":{\"Leader\":true,\"Reachability\":\"reachable\"}},"
		"{\"ID\":\"n2\",\"Description\":{\"Hostname\":\"m2\"},\"Spec\":{\"Role\":\"manager\"},"
		"\"Status\":{\"State\":\"down\"},\"ManagerStatus\":{\"Reachability\":\"unreachable\"}},"
		"{\"ID\":\"n3\",\"Description\":{\"Hostname\":\"m3\"},\"Spec\":{\"Role\":\"manager\"},"
		"\"ManagerStatus\":{\"Reachability\":\"reachable\"}},"
		"{\"ID\":\"n4\",\"Description\":{\"Hostname\":\"m4\"},\"Spec\":{\"Role\":\"manager\"}},"
		"{\"ID\":\"n5\",\"Description\":{\"Hostname\":\"w1\"},\"Spec\":{\"Role\":\"worker\","
		"\"Labels\":null},\"ManagerStatus\":null}]";
	struct sd_swarm *sw = decode_texts(nodes, NULL, NULL);
	assert_int_equal(sw->nnodes, 5);
	assert_int_equal(sw->managers, 4);            /* n4: promoted, not yet in the raft */
	assert_int_equal(sw->managers_reachable, 2);  /* the leader counts */
	assert_string_equal(sw->leader, "m1");
	assert_string_equal(sd_swarm_node(sw, "m1")->manager, "leader");
	assert_string_equal(sd_swarm_node(sw, "m2")->manager, "unreachable");
	assert_string_equal(sd_swarm_node(sw, "m3")->manager, "reachable");
	assert_string_equal(sd_swarm_node(sw, "m4")->manager, "");
	assert_string_equal(sd_swarm_node(sw, "w1")->manager, "");
	assert_int_equal(sd_swarm_node(sw, "w1")->nlabels, 0);
	assert_string_equal(sw->nodes[0].hostname, "m1");
	assert_string_equal(sw->nodes[4].hostname, "w1");
	sd_part_unref(sw);

	sw = decode_texts("[{\"ID\":\"n1\",\"Spec\":{\"Role\":\"manager\"},"
			  "\"ManagerStatus\":{\"Reachability\":\"unreachable\"}}]", NULL, NULL);
	assert_int_equal(sw->managers, 1);
	assert_int_equal(sw->managers_reachable, 0);
	assert_string_equal(sw->leader, "");
	sd_part_unref(sw);
}

static void test_digest_stripped(void **state)
{
	(void)state;
	const char *services =
		"[{\"ID\":\"s1\",\"Spec\":{\"Name\":\"a\",\"TaskTemplate\":{\"ContainerSpec\":"
		"{\"Image\":\"registry.local:5000/team/api:2.1@sha256:0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef\"}},\"Mode\":{\"Replicated\":{\"Replicas\":2}}}},"
		"{\"ID\":\"s2\",\"Spec\":{\"Name\":\"b\",\"TaskTemplate\":{\"ContainerSpec\":"
		"{\"Image\":\"nginx@sha256:abc\"}},\"Mode\":{\"Replicated\":{\"Replicas\":1}}}},"
		"{\"ID\":\"s3\",\"Spec\":{\"Name\":\"c\",\"TaskTemplate\":{\"ContainerSpec\":"
		"{\"Image\":\"redis:7\"}},\"Mode\":{\"Replicated\":{\"Replicas\":1}}}}]";
	struct sd_swarm *sw = decode_texts(NULL, services, NULL);
	assert_string_equal(sd_swarm_service(sw, "a")->image, "registry.local:5000/team/api:2.1");
	assert_string_equal(sd_swarm_service(sw, "b")->image, "nginx");
	assert_string_equal(sd_swarm_service(sw, "c")->image, "redis:7");
	sd_part_unref(sw);
}

static void test_service_modes_and_counts(void **state)
{
	(void)state;
	const char *nodes = "[{\"ID\":\"n1\",\"Description\":{\"Hostname\":\"h1\"}},"
			    "{\"ID\":\"n2\",\"Description\":{\"Hostname\":\"h2\"}}]";
	/* no ServiceStatus (an older API): running and desired come from the tasks */
	const char *services =
		"[{\"ID\":\"g\",\"Spec\":{\"Name\":\"agent\",\"Mode\":{\"Global\":{}},"
		"\"Labels\":{\"com.docker.stack.namespace\":\"mon\",\"x\":\"y\"}},"
		"\"UpdateStatus\":{\"State\":\"rollback_completed\",\"Message\":\"rolled back\"},"
		"\"PreviousSpec\":{\"Name\":\"agent\"}},"
		"{\"ID\":\"r\",\"Spec\":{\"Name\":\"web\",\"Mode\":{\"Replicated\":{\"Replicas\":3}}},"
		"\"PreviousSpec\":null},"
		"{\"ID\":\"j\",\"Spec\":{\"Name\":\"job\",\"Mode\":{\"ReplicatedJob\":"
		"{\"MaxConcurrent\":2,\"TotalCompletions\":5}}}},"
		"{\"ID\":\"gj\",\"Spec\":{\"Name\":\"gjob\",\"Mode\":{\"GlobalJob\":{}}},"
		"\"ServiceStatus\":{\"RunningTasks\":1,\"DesiredTasks\":2,\"CompletedTasks\":0}}]";
	const char *tasks =
		"[{\"ID\":\"t1\",\"ServiceID\":\"g\",\"NodeID\":\"n1\",\"DesiredState\":\"running\","
		"\"Status\":{\"State\":\"running\"}},"
		"{\"ID\":\"t2\",\"ServiceID\":\"g\",\"NodeID\":\"n2\",\"DesiredState\":\"running\","
		"\"Status\":{\"State\":\"starting\"}},"
		"{\"ID\":\"t3\",\"ServiceID\":\"r\",\"NodeID\":\"n1\",\"Slot\":1,\"DesiredState\":\"running\","
		"\"Status\":{\"State\":\"running\"}},"
		"{\"ID\":\"t4\",\"ServiceID\":\"r\",\"NodeID\":\"n2\",\"Slot\":2,\"DesiredState\":\"shutdown\","
		"\"Status\":{\"State\":\"running\"}},"
		"{\"ID\":\"t5\",\"ServiceID\":\"r\",\"Slot\":3,\"DesiredState\":\"running\","
		"\"Status\":{\"State\":\"pending\",\"Err\":\"no suitable node\"}}]";
	struct sd_swarm *sw = decode_texts(nodes, services, tasks);
	const struct sd_service *g = sd_swarm_service(sw, "agent");
	assert_string_equal(g->mode, "global");
	assert_int_equal(g->desired, 2);
	assert_int_equal(g->running, 1);
	assert_string_equal(g->stack, "mon");
	assert_string_equal(g->update_state, "rollback_completed");
	assert_string_equal(g->update_message, "rolled back");
	assert_true(g->has_previous_spec);
	const struct sd_service *r = sd_swarm_service(sw, "web");
	assert_string_equal(r->mode, "replicated");
	assert_int_equal(r->desired, 3);
	assert_int_equal(r->running, 1);   /* t4 runs but is meant to stop */
	assert_false(r->has_previous_spec);
	assert_string_equal(r->stack, "");
	assert_string_equal(r->update_state, "");
	const struct sd_service *j = sd_swarm_service(sw, "job");
	assert_string_equal(j->mode, "replicated-job");
	assert_int_equal(j->desired, 5);
	const struct sd_service *gj = sd_swarm_service(sw, "gjob");
	assert_string_equal(gj->mode, "global-job");
	assert_int_equal(gj->desired, 2);
	assert_int_equal(gj->running, 1);
	const struct sd_task *t5 = &r->tasks[2];
	assert_string_equal(t5->id, "t5");
	assert_string_equal(t5->node, "");
	assert_string_equal(t5->node_id, "");
	assert_string_equal(t5->error, "no suitable node");
	assert_int_equal(sd_swarm_node(sw, "h1")->tasks, 2);
	assert_int_equal(sd_swarm_node(sw, "h2")->tasks, 1);
	sd_part_unref(sw);
}

static void test_task_order(void **state)
{
	(void)state;
	const char *nodes = "[{\"ID\":\"na\",\"Description\":{\"Hostname\":\"alpha\"}},"
			    "{\"ID\":\"nb\",\"Description\":{\"Hostname\":\"beta\"}}]";
	const char *services = "[{\"ID\":\"s2\",\"Spec\":{\"Name\":\"zeta\"}},"
			       "{\"ID\":\"s1\",\"Spec\":{\"Name\":\"alpha\",\"Mode\":{\"Global\":{}}}}]";
#define T(id, svc, node, slot, ts) \
	"{\"ID\":\"" id "\",\"ServiceID\":\"" svc "\",\"NodeID\":\"" node "\",\"Slot\":" #slot \
	",\"Status\":{\"Timestamp\":\"" ts "\"}}"
	const char *tasks = "[" T("z2old", "s2", "na", 2, "2026-01-01T10:00:00.5Z") ","
			    T("z1", "s2", "na", 1, "2026-01-01T10:00:00Z") ","
			    T("gone", "s9", "na", 1, "2026-01-01T10:00:00Z") ","
			    T("z2new", "s2", "nb", 2, "2026-01-01T11:00:00Z") ","
			    T("gb", "s1", "nb", 0, "2026-01-01T09:00:00Z") ","
			    T("ga-old", "s1", "na", 0, "2026-01-01T08:00:00Z") ","
			    T("ga-new", "s1", "na", 0, "2026-01-01T12:00:00Z") ","
			    T("lost", "s2", "n-removed", 3, "2026-01-01T12:00:00Z") "]";
#undef T
	struct sd_swarm *sw = decode_texts(nodes, services, tasks);
	const char *want[] = {"ga-new", "ga-old", "gb", "z1", "z2new", "z2old", "lost", "gone"};
	assert_int_equal(sw->ntasks, 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal((*nth_task(sw, i)).id, want[i]);
	assert_string_equal(sw->services[0]->name, "alpha");
	assert_ptr_equal(sw->services[0]->tasks, nth_task(sw, 0));
	assert_int_equal(sw->services[0]->task_count, 3);
	assert_ptr_equal(sw->services[1]->tasks, nth_task(sw, 3));
	assert_int_equal(sw->services[1]->task_count, 4);
	/* a task of a service that is gone: last, no name; of a node that left: its ID */
	assert_string_equal((*nth_task(sw, 7)).service, "");
	assert_string_equal((*nth_task(sw, 7)).service_id, "s9");
	assert_string_equal((*nth_task(sw, 6)).node, "n-removed");
	assert_int_equal((*nth_task(sw, 0)).since, 1767268800);   /* 2026-01-01T12:00:00Z */
	assert_task_order(sw);
	sd_part_unref(sw);
}

static void test_strings_and_times(void **state)
{
	(void)state;
	const char *nodes =
		"[ {\"ID\" : \"n\\u0031\", \"Description\": {\"Hostname\": \"caf\\u00e9-\\ud83d\\ude00\","
		"\"Engine\": {\"EngineVersion\": \"20.10\"}}, \"Spec\": {\"Labels\": "
		"{\"zone\\\"x\": \"a\\\\b\\/c\\n\", \"empty\": \"\"}, \"Role\": \"worker\"},"
		"\"Status\": {\"State\": \"ready\", \"Message\": \"tab\\there\", \"Addr\": \"10.0.0.1\"},"
		"\"Extra\": [1, -2.5e3, true, false, null, {\"a\": [[]]}, \"]}\\\"\"]} ]\n";
	const char *tasks =
		"[{\"ID\":\"a\",\"Status\":{\"Timestamp\":\"2026-11-21T05:35:46.541969771Z\"}},"
		"{\"ID\":\"b\",\"Status\":{\"Timestamp\":\"2026-11-21T07:35:46+02:00\"}},"
		"{\"ID\":\"c\",\"Status\":{\"Timestamp\":\"0001-01-01T00:00:00Z\"}},"
		"{\"ID\":\"d\",\"Status\":{\"Timestamp\":\"garbage\"}},"
		"{\"ID\":\"e\",\"Status\":{\"Timestamp\":\"2024-02-29T23:59:59.999999999-00:30\"}}]";
	struct sd_swarm *sw = decode_texts(nodes, NULL, tasks);
	const struct sd_node *n = &sw->nodes[0];
	assert_string_equal(n->id, "n1");
	assert_string_equal(n->hostname, "caf\xc3\xa9-\xf0\x9f\x98\x80");
	assert_int_equal(n->nlabels, 2);
	assert_string_equal(n->labels[0].key, "zone\"x");
	assert_string_equal(n->labels[0].value, "a\\b/c\n");
	assert_string_equal(n->labels[1].value, "");
	assert_string_equal(n->message, "tab\there");
	assert_string_equal(n->engine, "20.10");
	assert_int_equal(task_by_id(sw, "a")->since, 1795239346);
	assert_int_equal(task_by_id(sw, "b")->since, 1795239346);
	assert_int_equal(task_by_id(sw, "c")->since, 0);
	assert_int_equal(task_by_id(sw, "d")->since, 0);
	assert_int_equal(task_by_id(sw, "e")->since, 1709251199 + 1800);
	sd_part_unref(sw);
}

static void test_empty_inputs(void **state)
{
	(void)state;
	struct sd_swarm *sw = NULL;
	char err[128] = "";
	assert_int_equal(sd_docker_decode(NULL, 0, NULL, 0, NULL, 0, NULL, 0, &sw, err, sizeof(err)), 0);
	assert_non_null(sw);
	assert_int_equal(sw->nnodes + sw->nservices + sw->ntasks, 0);
	assert_int_equal(sw->managers, 0);
	assert_all_strings_set(sw);
	sd_part_unref(sw);
	sw = decode_texts("[]", " [ ] ", "[]\n");
	assert_int_equal(sw->nnodes + sw->nservices + sw->ntasks, 0);
	sd_part_unref(sw);
}

static void expect_decode_error(const char *nodes, const char *services, const char *tasks,
				const char *fragment)
{
	struct sd_swarm *sw = (struct sd_swarm *)1;
	char err[256] = "";
	int rc = sd_docker_decode(NULL, 0, nodes, nodes ? strlen(nodes) : 0, services,
				  services ? strlen(services) : 0, tasks, tasks ? strlen(tasks) : 0,
				  &sw, err, sizeof(err));
	if (rc != -1 || !strstr(err, fragment))
		fail_msg("expected an error with \"%s\", got rc %d \"%s\" for %s", fragment, rc, err,
			 nodes ? nodes : services ? services : tasks);
	assert_null(sw);
}

static void test_garbled_json(void **state)
{
	(void)state;
	expect_decode_error("[{\"ID\":}]", NULL, NULL, "nodes: bad JSON at byte 7");
	expect_decode_error("[{\"ID\":\"a\"} {\"ID\":\"b\"}]", NULL, NULL, "bad JSON");
	expect_decode_error("[{\"ID\":\"a\",}]", NULL, NULL, "bad JSON");
	expect_decode_error("[1,]", NULL, NULL, "bad JSON");
	expect_decode_error(NULL, "{\"message\":\"page not found\"}", NULL,
			    "services: expected a JSON array");
	expect_decode_error(NULL, NULL, "nope", "tasks: expected a JSON array");
	expect_decode_error(NULL, NULL, "[{\"ID\":tru}]", "bad JSON");
	expect_decode_error(NULL, NULL, "[{\"Slot\":1", "tasks: truncated JSON");
	expect_decode_error("[", NULL, NULL, "nodes: truncated JSON");
	expect_decode_error("[{\"ID\":\"abc", NULL, NULL, "truncated JSON");

	struct sd_swarm *sw = NULL;
	char err[256];
	assert_int_equal(sd_docker_decode("{\"Name\":", 8, NULL, 0, NULL, 0, NULL, 0, &sw, err,
					  sizeof(err)), -1);
	assert_non_null(strstr(err, "info: bad JSON"));

	/* every byte of the captured nodes replaced by something hostile: an error or a
	 * decode, never a crash (the sanitizer build watches) */
	struct fixtures f;
	load_fixtures(&f);
	const char hostile[] = {'}', ']', '"', ',', ':', '\\', 'x', '\0', '{'};
	for (size_t i = 0; i < f.nodes_len; i += 3) {
		char saved = f.nodes[i];
		f.nodes[i] = hostile[i % sizeof(hostile)];
		if (sd_docker_decode(NULL, 0, f.nodes, f.nodes_len, NULL, 0, NULL, 0, &sw, err,
				     sizeof(err)) == 0)
			sd_part_unref(sw);
		else
			assert_true(strlen(err) > 0);
		f.nodes[i] = saved;
	}
	free_fixtures(&f);
}

static void test_truncated_json(void **state)
{
	(void)state;
	struct fixtures f;
	load_fixtures(&f);
	char err[256];
	struct sd_swarm *sw;
	/* every prefix of the nodes, a spread of prefixes of services and tasks (trailing
	 * white space does not count) */
	while (f.nodes_len > 0 && strchr(" \t\r\n", f.nodes[f.nodes_len - 1]))
		f.nodes_len--;
	while (f.services_len > 0 && strchr(" \t\r\n", f.services[f.services_len - 1]))
		f.services_len--;
	while (f.tasks_len > 0 && strchr(" \t\r\n", f.tasks[f.tasks_len - 1]))
		f.tasks_len--;
	for (size_t n = 1; n < f.nodes_len; n++) {
		if (sd_docker_decode(NULL, 0, f.nodes, n, NULL, 0, NULL, 0, &sw, err, sizeof(err)) != -1)
			fail_msg("prefix %zu of nodes decoded", n);
		assert_non_null(strstr(err, "nodes: truncated JSON"));
	}
	for (size_t n = 1; n < f.services_len; n += 7) {
		assert_int_equal(sd_docker_decode(NULL, 0, NULL, 0, f.services, n, NULL, 0, &sw, err,
						  sizeof(err)), -1);
		assert_non_null(strstr(err, "services: truncated JSON"));
	}
	for (size_t n = 1; n < f.tasks_len; n += 61) {
		assert_int_equal(sd_docker_decode(NULL, 0, NULL, 0, NULL, 0, f.tasks, n, &sw, err,
						  sizeof(err)), -1);
		assert_non_null(strstr(err, "tasks: truncated JSON"));
	}
	free_fixtures(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* the streamed decoder: any chunking gives the whole-buffer result, at a linear cost        */

#define SAME_STR(field) do { \
	if (strcmp(a->field, b->field) != 0) \
		fail_msg("%s: %s differs: \"%s\" vs \"%s\"", what, #field, a->field, b->field); \
	} while (0)
#define SAME_NUM(field) do { \
	if (a->field != b->field) \
		fail_msg("%s: %s differs: %lld vs %lld", what, #field, (long long)a->field, \
			 (long long)b->field); \
	} while (0)

static void assert_node_identical(const struct sd_node *a, const struct sd_node *b,
				  const char *what)
{
	SAME_STR(id); SAME_STR(hostname); SAME_STR(role); SAME_STR(availability);
	SAME_STR(state); SAME_STR(manager); SAME_STR(engine); SAME_STR(addr); SAME_STR(message);
	SAME_NUM(nlabels); SAME_NUM(version); SAME_NUM(tasks);
	for (size_t j = 0; j < a->nlabels; j++) {
		assert_string_equal(a->labels[j].key, b->labels[j].key);
		assert_string_equal(a->labels[j].value, b->labels[j].value);
	}
}

static void assert_service_identical(const struct sd_service *a, const struct sd_service *b,
				     const char *what)
{
	SAME_STR(id); SAME_STR(name); SAME_STR(stack); SAME_STR(mode); SAME_STR(image);
	SAME_STR(update_state); SAME_STR(update_message);
	SAME_NUM(version); SAME_NUM(desired); SAME_NUM(running); SAME_NUM(nports);
	SAME_NUM(has_previous_spec); SAME_NUM(task_count);
	SAME_NUM(updated_at);
	for (size_t j = 0; j < a->nports; j++) {
		SAME_NUM(ports[j].published); SAME_NUM(ports[j].target);
		SAME_STR(ports[j].protocol); SAME_STR(ports[j].mode);
	}
}

static void assert_task_identical(const struct sd_task *a, const struct sd_task *b,
				  const char *what)
{
	SAME_STR(id); SAME_STR(service_id); SAME_STR(service); SAME_STR(node_id); SAME_STR(node);
	SAME_STR(desired_state); SAME_STR(state); SAME_STR(error); SAME_STR(message);
	SAME_NUM(slot); SAME_NUM(since);
}

/* Every field of every object the same (fetched_at aside). */
static void assert_swarm_identical(const struct sd_swarm *a, const struct sd_swarm *b,
				   const char *what)
{
	SAME_STR(engine_name); SAME_STR(engine_version); SAME_STR(api_version);
	SAME_STR(cluster_id); SAME_STR(leader);
	SAME_NUM(managers); SAME_NUM(managers_reachable);
	SAME_NUM(nnodes); SAME_NUM(nservices); SAME_NUM(ntasks);
	for (size_t i = 0; i < a->nnodes; i++)
		assert_node_identical(&a->nodes[i], &b->nodes[i], what);
	for (size_t i = 0; i < a->nservices; i++)
		assert_service_identical(a->services[i], b->services[i], what);
	for (size_t i = 0; i < a->ntasks; i++)
		assert_task_identical(nth_task(a, i), nth_task(b, i), what);
}

#undef SAME_STR
#undef SAME_NUM

static struct sd_swarm *decode_pieces(const struct fixtures *f, size_t piece, char *err,
				      size_t errlen)
{
	struct sd_swarm *sw = NULL;
	if (sd_docker_decode_chunks(f->info, f->info_len, f->nodes, f->nodes_len, f->services,
				    f->services_len, f->tasks, f->tasks_len, &piece, 1, &sw, err,
				    errlen) != 0)
		return NULL;
	return sw;
}

/* Elements of every kind the list syntax allows, cut everywhere: strings holding brackets,
 * quotes and escapes, scalars of several lengths, nested arrays, white space. */
static const char odd_nodes[] =
	"  [ {\"ID\":\"a\\\"}]{\",\"Description\":{\"Hostname\":\"h[}\\\\\"},"
	"\"Spec\":{\"Labels\":{\"k\\\\\":\"v]\",\"\\u00e9t\\u00e9\":\"\\ud83d\\ude00\"}}} ,"
	"\n 7 , \"s\\\"x\" ,[ {} , [ ] ] ,true,null, -1.5e3,{\"ID\":\"b\",\"Version\":{\"Index\":"
	"123456}} ]  ";

static void test_stream_any_chunking_is_whole(void **state)
{
	(void)state;
	const struct fixture_set *sets[] = {&steady, &worker_down, &rollback_started};
	char err[256];
	for (size_t k = 0; k < sizeof(sets) / sizeof(*sets); k++) {
		struct fixtures f;
		load_set(&f, sets[k]);
		struct sd_swarm *whole = decode_set(sets[k]);
		size_t longest = f.nodes_len > f.services_len ? f.nodes_len : f.services_len;
		if (f.tasks_len > longest)
			longest = f.tasks_len;
		/* every piece size up to 2 KB (an element is cut at every offset many times
		 * over), then steps up to the whole list */
		for (size_t piece = 1; piece <= longest + 1; piece += piece < 2048 ? 1 : 97) {
			struct sd_swarm *sw = decode_pieces(&f, piece, err, sizeof(err));
			if (!sw)
				fail_msg("%s in pieces of %zu: %s", sets[k]->tasks, piece, err);
			char what[96];
			snprintf(what, sizeof(what), "%s in pieces of %zu", sets[k]->tasks, piece);
			assert_swarm_identical(sw, whole, what);
			sd_part_unref(sw);
		}
		sd_part_unref(whole);
		free_fixtures(&f);
	}

	/* the odd list: the same nodes whatever the pieces */
	struct fixtures odd = {.nodes = (char *)odd_nodes, .nodes_len = strlen(odd_nodes)};
	struct sd_swarm *whole = decode_texts(odd_nodes, NULL, NULL);
	assert_int_equal(whole->nnodes, 8);
	const struct sd_node *a = node_by_id(whole, "a\"}]{");
	assert_non_null(a);
	assert_string_equal(a->hostname, "h[}\\");
	assert_int_equal(a->nlabels, 2);
	assert_int_equal(node_by_id(whole, "b")->version, 123456);
	for (size_t piece = 1; piece <= odd.nodes_len; piece++) {
		struct sd_swarm *sw = decode_pieces(&odd, piece, err, sizeof(err));
		if (!sw)
			fail_msg("odd nodes in pieces of %zu: %s", piece, err);
		assert_swarm_identical(sw, whole, "odd nodes");
		sd_part_unref(sw);
	}
	/* pieces of changing sizes */
	const size_t sizes[] = {1, 7, 2, 33, 3, 1, 64};
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_decode_chunks(NULL, 0, odd_nodes, odd.nodes_len, NULL, 0, NULL,
						 0, sizes, 7, &sw, err, sizeof(err)), 0);
	assert_swarm_identical(sw, whole, "odd nodes in changing pieces");
	sd_part_unref(sw);
	sd_part_unref(whole);
}

/* The same error, at the same byte, whatever the pieces. */
static void test_stream_errors_any_chunking(void **state)
{
	(void)state;
	const char *bad[] = {
		"[{\"ID\":}]", "[{\"ID\":\"a\"} {\"ID\":\"b\"}]", "[{\"ID\":\"a\",}]", "[1,]",
		"{\"message\":\"page not found\"}", "nope", "[{\"ID\":tru}]", "[{\"Slot\":1",
		"[", "[{\"ID\":\"abc", "[{\"ID\":\"a\"},", "[12", "[{\"a\":[1}]", "[{}}]",
		"[{\"a\":\"\\\"}]", "[{}, @]", "[\"abc", "[tru", "[{\"ID\":\"x\"}  ,  ,{}]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		size_t len = strlen(bad[i]);
		struct sd_swarm *sw = NULL;
		char want[256] = "", got[256] = "";
		assert_int_equal(sd_docker_decode(NULL, 0, bad[i], len, NULL, 0, NULL, 0, &sw, want,
						  sizeof(want)), -1);
		assert_null(sw);
		/* the excerpt after "near" may stop at a piece's end; the rest is the same */
		char *cut = strstr(want, " near ");
		if (cut)
			*cut = '\0';
		for (size_t piece = 1; piece <= len; piece++) {
			if (sd_docker_decode_chunks(NULL, 0, bad[i], len, NULL, 0, NULL, 0, &piece, 1,
						    &sw, got, sizeof(got)) != -1)
				fail_msg("%s in pieces of %zu decoded", bad[i], piece);
			if (strncmp(got, want, strlen(want)) != 0)
				fail_msg("%s in pieces of %zu: \"%s\", whole: \"%s\"", bad[i], piece, got,
					 want);
		}
	}
}

/* One node whose labels make about LEN bytes of JSON. */
static char *big_node_list(size_t len, size_t *out_len, size_t *nlabels)
{
	char *buf = malloc(len + 512);
	assert_non_null(buf);
	size_t n = (size_t)sprintf(buf, "[{\"ID\":\"big\",\"Description\":{\"Hostname\":\"big\"},"
				   "\"Spec\":{\"Role\":\"worker\",\"Labels\":{");
	size_t i = 0;
	for (; n + 128 < len; i++)
		n += (size_t)sprintf(buf + n, "%s\"inventory.%07zu\":\"rack-%04zu/serial-%08zx\"",
				     i ? "," : "", i, i % 9973, i * 2654435761u);
	n += (size_t)sprintf(buf + n, "}},\"Status\":{\"State\":\"ready\"}}]");
	*out_len = n;
	*nlabels = i;
	return buf;
}

static void test_stream_big_element_is_linear(void **state)
{
	(void)state;
	/* one element of 512 KB fed as 1 KB pieces: decoded once, so the part's arena holds
	 * about what the element says, not one copy per piece */
	size_t len, nlabels;
	char *text = big_node_list(512 << 10, &len, &nlabels);
	const size_t piece = 1024;
	struct sd_swarm *sw = NULL, *whole = NULL;
	char err[256];
	assert_int_equal(sd_docker_decode_chunks(NULL, 0, text, len, NULL, 0, NULL, 0, &piece, 1,
						 &sw, err, sizeof(err)), 0);
	assert_int_equal(sw->nnodes, 1);
	assert_int_equal(sw->nodes[0].nlabels, nlabels);
	char last[32];
	snprintf(last, sizeof(last), "inventory.%07zu", nlabels - 1);
	assert_string_equal(sw->nodes[0].labels[nlabels - 1].key, last);
	size_t arena = sd_arena_size(sw->part.arena);
	if (arena > 3 * len)
		fail_msg("arena of %zu bytes for a %zu-byte element fed in %zu-byte pieces (%.1fx)",
			 arena, len, piece, (double)arena / (double)len);
	assert_int_equal(sd_docker_decode(NULL, 0, text, len, NULL, 0, NULL, 0, &whole, err,
					  sizeof(err)), 0);
	assert_swarm_identical(sw, whole, "the big node");
	sd_part_unref(sw);
	sd_part_unref(whole);
	free(text);
}

/* ---------------------------------------------------------------------------------------- */
/* the scanner itself                                                                       */

static const char tricky[] =
	"[{\"a\":\"x\\\"y\\\\\",\"n\":-12.5e+3,\"i\":12345678901,\"t\":true,\"f\":false,"
	"\"z\":null,\"o\":{\"p\":[[],{},[1,[2,{\"q\":\"}]\\u00e9\"}]]]},\"e\":\"\",\"u\":"
	"\"\\ud83d\\ude00\\n\"} , 7 ,\"s\", [ ] ]";

/* Walk TEXT the way the decoder does: read what can be read, skip the rest. */
static int walk(const char *text, size_t len)
{
	struct js s;
	js_init(&s, text, len);
	const char *k;
	size_t kl;
	for (int i = 0; js_array_next(&s, &i);) {
		if (js_peek(&s) != '{') {
			js_skip(&s);
			continue;
		}
		for (int j = 0; js_object_next(&s, &j, &k, &kl);) {
			if (JS_KEY(k, kl, "i") || JS_KEY(k, kl, "n"))
				js_int(&s);
			else if (JS_KEY(k, kl, "t") || JS_KEY(k, kl, "f"))
				js_bool(&s);
			else if (JS_KEY(k, kl, "z"))
				assert_true(js_is_null(&s) || s.err);
			else if (JS_KEY(k, kl, "a") || JS_KEY(k, kl, "u")) {
				const char *raw;
				size_t rl;
				js_string_raw(&s, &raw, &rl, NULL);
			} else
				js_skip(&s);
		}
	}
	return s.err;
}

static void test_scanner_values(void **state)
{
	(void)state;
	struct sd_arena *arena = sd_arena_new();
	struct js s;
	js_init(&s, tricky, strlen(tricky));
	const char *k;
	size_t kl;
	int i = 0;
	assert_true(js_array_next(&s, &i));
	for (int j = 0; js_object_next(&s, &j, &k, &kl);) {
		if (JS_KEY(k, kl, "a"))
			assert_string_equal(js_string_dup(&s, arena), "x\"y\\");
		else if (JS_KEY(k, kl, "n"))
			assert_int_equal(js_int(&s), -12);
		else if (JS_KEY(k, kl, "i"))
			assert_int_equal(js_int(&s), 12345678901LL);
		else if (JS_KEY(k, kl, "t"))
			assert_true(js_bool(&s));
		else if (JS_KEY(k, kl, "f"))
			assert_false(js_bool(&s));
		else if (JS_KEY(k, kl, "z"))
			assert_true(js_is_null(&s));
		else if (JS_KEY(k, kl, "e"))
			assert_string_equal(js_string_dup(&s, arena), "");
		else if (JS_KEY(k, kl, "u"))
			assert_string_equal(js_string_dup(&s, arena), "\xf0\x9f\x98\x80\n");
		else
			js_skip(&s);
	}
	assert_true(js_array_next(&s, &i));
	assert_int_equal(js_int(&s), 7);
	assert_true(js_array_next(&s, &i));
	assert_string_equal(js_string_dup(&s, arena), "s");
	assert_true(js_array_next(&s, &i));
	int n = 0;
	assert_false(js_array_next(&s, &n));   /* the empty array */
	assert_false(js_array_next(&s, &i));
	assert_int_equal(s.err, JS_OK);
	assert_int_equal(walk(tricky, strlen(tricky)), JS_OK);
	/* wrong types are skipped, not errors */
	js_init(&s, "[\"str\",{\"a\":1},5]", 18);
	i = 0;
	assert_true(js_array_next(&s, &i));
	assert_int_equal(js_int(&s), 0);
	assert_true(js_array_next(&s, &i));
	assert_null(js_string_dup(&s, arena) ? NULL : "x");
	assert_true(js_array_next(&s, &i));
	int m = 0;
	assert_false(js_object_next(&s, &m, &k, &kl));
	assert_false(js_array_next(&s, &i));
	assert_int_equal(s.err, JS_OK);
	char out[16];
	assert_int_equal(js_unescape("a\\u00", 5, out), 5);   /* a short \\u stays as is */
	assert_memory_equal(out, "a\\u00", 5);
	sd_arena_free(arena);
}

static void test_scanner_every_prefix_is_truncated(void **state)
{
	(void)state;
	/* what makes streaming work: a document cut anywhere reads as "more to come", never as
	 * bad, wherever the cut falls (inside a key, an escape, a number, a literal, between
	 * tokens) */
	size_t len = strlen(tricky);
	for (size_t n = 0; n < len; n++) {
		char *copy = malloc(n ? n : 1);   /* exact size: ASan sees any read past the cut */
		memcpy(copy, tricky, n);
		int err = walk(copy, n);
		if (err != JS_EOF)
			fail_msg("prefix of %zu bytes: error %d, want JS_EOF", n, err);
		free(copy);
	}
	/* and the captured tasks, at every 13th byte */
	struct fixtures f;
	load_fixtures(&f);
	while (f.tasks_len > 0 && strchr(" \t\r\n", f.tasks[f.tasks_len - 1]))
		f.tasks_len--;
	assert_int_equal(walk(f.tasks, f.tasks_len), JS_OK);
	for (size_t n = 0; n < f.tasks_len; n += 13)
		assert_int_equal(walk(f.tasks, n), JS_EOF);
	free_fixtures(&f);
}

static void test_scanner_bad_input(void **state)
{
	(void)state;
	const char *bad[] = {"[}", "[1 2]", "[{\"a\" 1}]", "[{1:2}]", "[{\"a\":1,}]", "[tru,1]",
			     "[nul]", "[@]", "[{\"a\":x}]", "[,]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (walk(bad[i], strlen(bad[i])) != JS_BAD)
			fail_msg("%s was not refused", bad[i]);
	struct js s;
	char text[160];
	const char *doc = "{\"a\":x}";
	js_init(&s, doc, strlen(doc));
	const char *k;
	size_t kl;
	int n = 0;
	assert_true(js_object_next(&s, &n, &k, &kl));
	js_skip(&s);
	assert_int_equal(s.err, JS_BAD);
	assert_string_equal(js_error_text(&s, text, sizeof(text)), "bad JSON at byte 5 near 'x}'");
	js_init(&s, "[1", 2);
	js_skip(&s);
	assert_string_equal(js_error_text(&s, text, sizeof(text)), "truncated JSON at byte 2");
}

/* ---------------------------------------------------------------------------------------- */
/* DOCKER_HOST and TLS settings                                                             */

static struct sd_docker *open_host(const char *host, int tls, char *err, size_t errlen)
{
	struct sd_docker_config c = {.host = host, .tls_verify = tls, .timeout_ms = 1000};
	return sd_docker_open(&c, err, errlen);
}

static void expect_host(const char *host, int tls, const char *canonical)
{
	char err[256] = "";
	struct sd_docker *d = open_host(host, tls, err, sizeof(err));
	if (!d)
		fail_msg("%s: %s", host, err);
	assert_string_equal(sd_docker_host(d), canonical);
	sd_docker_close(d);
}

static void expect_bad_host(const char *host, const char *fragment)
{
	char err[256] = "";
	struct sd_docker *d = open_host(host, 0, err, sizeof(err));
	if (d)
		fail_msg("%s was accepted as %s", host, sd_docker_host(d));
	if (!strstr(err, fragment))
		fail_msg("%s: \"%s\" lacks \"%s\"", host, err, fragment);
}

static void test_docker_host_parsing(void **state)
{
	(void)state;
	expect_host("unix:///var/run/docker.sock", 0, "unix:///var/run/docker.sock");
	expect_host("unix:///run/swarmdeck-lab/manager-1/docker.sock", 1,
		    "unix:///run/swarmdeck-lab/manager-1/docker.sock");
	expect_host("tcp://10.0.0.5:2375", 0, "tcp://10.0.0.5:2375");
	expect_host("tcp://manager-1.example:2376/", 0, "tcp://manager-1.example:2376");
	expect_host("tcp://10.0.0.5", 0, "tcp://10.0.0.5:2375");
	expect_host("tcp://[fd00::1]:2376", 0, "tcp://[fd00::1]:2376");
	expect_host("tcp://[fd00::1]", 0, "tcp://[fd00::1]:2375");
	expect_bad_host("ssh://admin@manager-1", "unsupported Docker host scheme \"ssh\"");
	expect_bad_host("http://localhost:2375", "unsupported Docker host scheme \"http\"");
	expect_bad_host("npipe:////./pipe/docker_engine", "unsupported Docker host scheme");
	expect_bad_host("/var/run/docker.sock", "expected unix:///path or tcp://host:port");
	expect_bad_host("unix://", "must be absolute");
	expect_bad_host("unix://relative.sock", "must be absolute");
	expect_bad_host("tcp://", "no host name");
	expect_bad_host("tcp://host:notaport", "bad port");
	expect_bad_host("tcp://host:99999", "bad port");
	expect_bad_host("tcp://:2375", "no host name");

	/* from the environment when the config says nothing */
	char err[256];
	setenv("DOCKER_HOST", "tcp://192.168.213.11:2375", 1);
	struct sd_docker *d = open_host(NULL, 0, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(sd_docker_host(d), "tcp://192.168.213.11:2375");
	sd_docker_close(d);
	setenv("DOCKER_HOST", "fd://", 1);
	assert_null(open_host(NULL, 0, err, sizeof(err)));
	unsetenv("DOCKER_HOST");
	d = open_host(NULL, 0, err, sizeof(err));
	assert_string_equal(sd_docker_host(d), "unix:///var/run/docker.sock");
	sd_docker_close(d);
	setenv("DOCKER_HOST", "", 1);
	d = open_host(NULL, 0, err, sizeof(err));
	assert_string_equal(sd_docker_host(d), "unix:///var/run/docker.sock");
	sd_docker_close(d);
	unsetenv("DOCKER_HOST");
}

static void test_tls_settings(void **state)
{
	(void)state;
	char dir[] = "/tmp/sdtest-certs-XXXXXX", err[512] = "";
	assert_non_null(mkdtemp(dir));
	/* DOCKER_TLS_VERIFY: TLS and the TLS port for a tcp host without one */
	setenv("DOCKER_TLS_VERIFY", "1", 1);
	setenv("DOCKER_CERT_PATH", dir, 1);
	struct sd_docker *d = open_host("tcp://127.0.0.1", -1, err, sizeof(err));
	assert_non_null(d);
	assert_string_equal(sd_docker_host(d), "tcp://127.0.0.1:2376");
	/* the certificates are missing: every request says so, without a connection */
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	char want[300];
	snprintf(want, sizeof(want), "TLS: cannot read %s/ca.pem: No such file or directory", dir);
	if (!strstr(err, want))
		fail_msg("\"%s\" lacks \"%s\"", err, want);
	assert_null(sw);
	sd_docker_close(d);
	/* "0" and "" mean no TLS */
	setenv("DOCKER_TLS_VERIFY", "0", 1);
	d = open_host("tcp://127.0.0.1", -1, err, sizeof(err));
	assert_string_equal(sd_docker_host(d), "tcp://127.0.0.1:2375");
	sd_docker_close(d);
	setenv("DOCKER_TLS_VERIFY", "", 1);
	d = open_host("tcp://127.0.0.1", -1, err, sizeof(err));
	assert_string_equal(sd_docker_host(d), "tcp://127.0.0.1:2375");
	sd_docker_close(d);
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_CERT_PATH");
	rmdir(dir);
}

/* ---------------------------------------------------------------------------------------- */
/* a fake engine on a unix socket (tests/fake/fake_engine.c)                                */

enum { SEND_WHOLE = FAKE_SEND_WHOLE, SEND_TRICKLE = FAKE_SEND_TRICKLE,
       SEND_EVENTS = FAKE_SEND_EVENTS, SEND_NOTHING = FAKE_SEND_NOTHING };

static void fake_route(struct fake_engine *f, const char *method, const char *path, int status,
		       const char *body, int send)
{
	assert_int_equal(fake_engine_route(f, method, path, status, body, (enum fake_send)send), 0);
}

static int fake_counter;

/* A fake engine with /version saying API_VERSION. */
static struct fake_engine *fake_start(const char *api_version)
{
	char path[108], err[256];
	snprintf(path, sizeof(path), "/tmp/sdtest-docker-%d-%d.sock", (int)getpid(), fake_counter++);
	struct fake_engine *f = fake_engine_start(path, api_version, err, sizeof(err));
	if (!f)
		fail_msg("fake engine: %s", err);
	return f;
}

static void fake_stop(struct fake_engine *f)
{
	fake_engine_stop(f);
}

static struct sd_docker *fake_client(struct fake_engine *f, bool read_only, long timeout_ms)
{
	char host[160], err[256];
	snprintf(host, sizeof(host), "unix://%s", f->path);
	struct sd_docker_config c = {.host = host, .tls_verify = 0, .timeout_ms = timeout_ms,
				     .read_only = read_only};
	struct sd_docker *d = sd_docker_open(&c, err, sizeof(err));
	assert_non_null(d);
	return d;
}

static int log_count(struct fake_engine *f, const char *method, const char *target)
{
	return fake_engine_count(f, method, target);
}

static const struct fake_request *last_request(struct fake_engine *f, const char *method)
{
	return fake_engine_last(f, method);
}

static void serve_fixtures(struct fake_engine *f, struct fixtures *fx, int send)
{
	fake_route(f, "GET", "/v1.41/info", 200, fx->info, send);
	fake_route(f, "GET", "/v1.41/nodes", 200, fx->nodes, send);
	fake_route(f, "GET", "/v1.41/services", 200, fx->services, send);
	fake_route(f, "GET", "/v1.41/tasks", 200, fx->tasks, send);
	fake_route(f, "GET", "/v1.40/info", 200, fx->info, send);
	fake_route(f, "GET", "/v1.40/nodes", 200, fx->nodes, send);
	fake_route(f, "GET", "/v1.40/services", 200, fx->services, send);
	fake_route(f, "GET", "/v1.40/tasks", 200, fx->tasks, send);
}

static void assert_same_swarm(const struct sd_swarm *a, const struct sd_swarm *b)
{
	assert_int_equal(a->nnodes, b->nnodes);
	assert_int_equal(a->nservices, b->nservices);
	assert_int_equal(a->ntasks, b->ntasks);
	assert_int_equal(a->managers, b->managers);
	assert_int_equal(a->managers_reachable, b->managers_reachable);
	assert_string_equal(a->leader, b->leader);
	assert_string_equal(a->cluster_id, b->cluster_id);
	assert_string_equal(a->engine_name, b->engine_name);
	for (size_t i = 0; i < a->nnodes; i++) {
		assert_string_equal(a->nodes[i].id, b->nodes[i].id);
		assert_string_equal(a->nodes[i].manager, b->nodes[i].manager);
		assert_int_equal(a->nodes[i].tasks, b->nodes[i].tasks);
	}
	for (size_t i = 0; i < a->nservices; i++) {
		assert_string_equal(a->services[i]->name, b->services[i]->name);
		assert_string_equal(a->services[i]->image, b->services[i]->image);
		assert_int_equal(a->services[i]->running, b->services[i]->running);
		assert_int_equal(a->services[i]->desired, b->services[i]->desired);
		assert_int_equal(a->services[i]->task_count, b->services[i]->task_count);
	}
	for (size_t i = 0; i < a->ntasks; i++) {
		assert_string_equal((*nth_task(a, i)).id, (*nth_task(b, i)).id);
		assert_string_equal((*nth_task(a, i)).node, (*nth_task(b, i)).node);
		assert_string_equal((*nth_task(a, i)).state, (*nth_task(b, i)).state);
		assert_string_equal((*nth_task(a, i)).error, (*nth_task(b, i)).error);
		assert_int_equal((*nth_task(a, i)).since, (*nth_task(b, i)).since);
	}
}

/* ---------------------------------------------------------------------------------------- */
/* fetch                                                                                    */

static void test_fetch_streams_like_decode(void **state)
{
	(void)state;
	struct fixtures fx;
	load_fixtures(&fx);
	struct fake_engine *f = fake_start("1.41");
	serve_fixtures(f, &fx, SEND_TRICKLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	struct sd_swarm *got = NULL, *want = decode_fixtures();
	char err[256] = "";
	if (sd_docker_fetch(d, &got, err, sizeof(err)) != 0)
		fail_msg("fetch: %s", err);
	assert_same_swarm(got, want);
	assert_string_equal(got->api_version, "1.41");
	assert_string_equal(got->engine_version, "20.10.24+dfsg1");
	assert_true(got->fetched_at > 0);
	sd_part_unref(got);
	/* the version is asked once; the lists use it; services with their status */
	assert_int_equal(sd_docker_fetch(d, &got, err, sizeof(err)), 0);
	sd_part_unref(got);
	assert_int_equal(log_count(f, "GET", "/version"), 1);
	assert_int_equal(log_count(f, "GET", "/v1.41/info"), 2);
	assert_int_equal(log_count(f, "GET", "/v1.41/nodes"), 2);
	assert_int_equal(log_count(f, "GET", "/v1.41/services?status=true"), 2);
	assert_int_equal(log_count(f, "GET", "/v1.41/tasks"), 2);
	/* two connections (the lists' and /info's, asked side by side), each reused: two
	 * fetches without reuse would have opened four */
	assert_int_equal(f->connections, 2);
	sd_part_unref(want);
	sd_docker_close(d);
	fake_stop(f);
	free_fixtures(&fx);
}

static void test_fetch_negotiates_version(void **state)
{
	(void)state;
	struct fixtures fx;
	load_fixtures(&fx);
	/* a newer engine: we stay at the newest version we know */
	struct fake_engine *f = fake_start("1.45");
	serve_fixtures(f, &fx, SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->api_version, "1.41");
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_stop(f);
	/* an older one: its version, and no ?status=true it would not know */
	f = fake_start("1.40");
	serve_fixtures(f, &fx, SEND_WHOLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->api_version, "1.40");
	assert_int_equal(log_count(f, "GET", "/v1.40/services"), 1);
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_stop(f);
	free_fixtures(&fx);
}

/* An engine claiming an absurd API version is refused, with no arithmetic overflow (the
 * sanitizer build watches) and nothing of it put into a request path. */
static void test_fetch_refuses_absurd_versions(void **state)
{
	(void)state;
	const char *absurd[] = {"9223372036854775807.0", "1.9223372036854775807",
				"99999999999999999999999.1", "1.41abc", "1.41/../../x", "0.41", ".41",
				"1.", "1", "-1.41", "1.0041", ""};
	for (size_t i = 0; i < sizeof(absurd) / sizeof(*absurd); i++) {
		struct fake_engine *f = fake_start(absurd[i]);
		struct sd_docker *d = fake_client(f, false, 2000);
		struct sd_swarm *sw = (struct sd_swarm *)1;
		char err[256] = "";
		assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
		assert_null(sw);
		if (!strstr(err, "/version: unreadable ApiVersion"))
			fail_msg("ApiVersion \"%s\": %s", absurd[i], err);
		/* nothing but /_ping and /version was asked */
		pthread_mutex_lock(&f->lock);
		for (int j = 0; j < f->nlog; j++)
			if (strcmp(f->log[j].target, "/_ping") && strcmp(f->log[j].target, "/version"))
				fail_msg("ApiVersion \"%s\": asked %s", absurd[i], f->log[j].target);
		pthread_mutex_unlock(&f->lock);
		sd_docker_close(d);
		fake_stop(f);
	}
	/* the largest readable one is newer than ours: ours is spoken */
	struct fixtures fx;
	load_fixtures(&fx);
	struct fake_engine *f = fake_start("999.999");
	serve_fixtures(f, &fx, SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 2000);
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->api_version, "1.41");
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_stop(f);
	free_fixtures(&fx);
}

static void test_fetch_errors(void **state)
{
	(void)state;
	char err[256] = "";
	struct sd_swarm *sw = (struct sd_swarm *)1;
	/* nobody there */
	struct sd_docker_config c = {.host = "unix:///run/sdtest-nothing/docker.sock",
				     .tls_verify = 0, .timeout_ms = 1000};
	struct sd_docker *d = sd_docker_open(&c, err, sizeof(err));
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	assert_null(sw);
	assert_string_equal(err, "cannot connect to unix:///run/sdtest-nothing/docker.sock: "
				 "No such file or directory");
	sd_docker_close(d);

	/* the engine's message, verbatim */
	struct fixtures fx;
	load_fixtures(&fx);
	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/info", 200, fx.info, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/nodes", 503,
		   "{\"message\":\"This node is not a swarm manager. Use \\\"docker swarm init\\\" "
		   "or \\\"docker swarm join\\\" to connect this node to swarm and try again.\"}\n",
		   SEND_WHOLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	assert_string_equal(err, "This node is not a swarm manager. Use \"docker swarm init\" or "
				 "\"docker swarm join\" to connect this node to swarm and try again.");
	sd_docker_close(d);
	fake_stop(f);

	/* a broken list body in the middle of a stream */
	f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/info", 200, fx.info, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/nodes", 200, fx.nodes, SEND_TRICKLE);
	fake_route(f, "GET", "/v1.41/services", 200, "[{\"ID\":\"x\",\"Spec\":{\"Name\":\"a\"}},"
		   "{\"ID\":\"y\",\"Spec\":{\"Name\" \"b\"}}]", SEND_TRICKLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	if (!strstr(err, "services: bad JSON at byte 57"))
		fail_msg("got: %s", err);
	sd_docker_close(d);
	fake_stop(f);

	/* a body cut short */
	f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/info", 200, fx.info, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/nodes", 200, "[{\"ID\":\"x\"}", SEND_WHOLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nodes: truncated JSON"));
	sd_docker_close(d);
	fake_stop(f);

	/* an engine that accepts and never answers: the timeout */
	f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/info", 200, NULL, SEND_NOTHING);
	d = fake_client(f, false, 300);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took < 2.0);
	char want[200];
	snprintf(want, sizeof(want), "unix://%s: no answer within 300 ms", f->path);
	assert_string_equal(err, want);
	sd_docker_close(d);
	fake_stop(f);
	free_fixtures(&fx);
}

/* A node with 4 MB of labels through the real transport (curl's pieces, up to 64 KB): done
 * well within the request's timeout, which also bounds the whole transfer. */
static void test_fetch_big_element_in_time(void **state)
{
	(void)state;
	size_t len, nlabels;
	char *nodes = big_node_list(4 << 20, &len, &nlabels);
	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/info", 200, "{}", SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/nodes", 200, nodes, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/services", 200, "[]", SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/tasks", 200, "[]", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 3000);
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = sd_docker_fetch(d, &sw, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc != 0)
		fail_msg("fetch of a 4 MB node: %s (after %.1f s)", err, took);
	if (took > 2.5)
		fail_msg("fetch of a 4 MB node took %.1f s", took);
	assert_int_equal(sw->nnodes, 1);
	assert_int_equal(sw->nodes[0].nlabels, nlabels);
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_stop(f);
	free(nodes);
}

struct fetcher {
	struct sd_docker *d;
	int ok;
};

static void *fetch_loop(void *arg)
{
	struct fetcher *w = arg;
	for (int i = 0; i < 5; i++) {
		struct sd_swarm *sw = NULL;
		char err[256];
		if (sd_docker_fetch(w->d, &sw, err, sizeof(err)) == 0 && sw->ntasks > 0)
			w->ok++;
		sd_part_unref(sw);
		size_t len;
		char *body = sd_docker_get(w->d, "/nodes", &len, err, sizeof(err));
		if (body && len > 0)
			w->ok++;
		free(body);
	}
	return NULL;
}

static void test_concurrent_callers(void **state)
{
	(void)state;
	struct fixtures fx;
	load_fixtures(&fx);
	struct fake_engine *f = fake_start("1.41");
	serve_fixtures(f, &fx, SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	struct fetcher w[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct fetcher){d, 0};
		pthread_create(&th[i], NULL, fetch_loop, &w[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].ok, 10);
	}
	sd_docker_close(d);
	fake_stop(f);
	free_fixtures(&fx);
}

static void test_raw_get(void **state)
{
	(void)state;
	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/services", 200, "[{\"ID\":\"a\"}]", SEND_WHOLE);
	fake_route(f, "GET", "/v1.24/secrets", 200, "[]", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, true, 5000);   /* GETs are fine read-only */
	char err[256] = "";
	size_t len = 0;
	char *body = sd_docker_get(d, "/services", &len, err, sizeof(err));
	assert_non_null(body);
	assert_string_equal(body, "[{\"ID\":\"a\"}]");
	assert_int_equal(len, 12);
	free(body);
	body = sd_docker_get(d, "/v1.24/secrets", &len, err, sizeof(err));
	assert_string_equal(body, "[]");
	free(body);
	assert_null(sd_docker_get(d, "/configs", &len, err, sizeof(err)));
	assert_string_equal(err, "page not found");
	assert_int_equal(len, 0);
	sd_docker_close(d);
	fake_stop(f);
}

/* ---------------------------------------------------------------------------------------- */
/* the read-only guarantee                                                                  */

static void test_read_only_refusal(void **state)
{
	(void)state;
	/* a listener that only counts: not one connection may be attempted */
	struct fake_engine *f = fake_start("1.41");
	struct sd_docker *d = fake_client(f, true, 1000);
	char err[256];
	const char *refusal = "refused: read-only (watch mode)";
	memset(err, 0, sizeof(err));
	assert_int_equal(sd_docker_service_scale(d, "iot-guardian_backend", 5, err, sizeof(err)), -1);
	assert_string_equal(err, refusal);
	memset(err, 0, sizeof(err));
	assert_int_equal(sd_docker_service_rollback(d, "iot-guardian_backend", err, sizeof(err)), -1);
	assert_string_equal(err, refusal);
	memset(err, 0, sizeof(err));
	assert_int_equal(sd_docker_service_redeploy(d, "iot-guardian_backend", err, sizeof(err)), -1);
	assert_string_equal(err, refusal);
	memset(err, 0, sizeof(err));
	assert_int_equal(sd_docker_node_availability(d, "worker-1", "drain", err, sizeof(err)), -1);
	assert_string_equal(err, refusal);
	memset(err, 0, sizeof(err));
	assert_int_equal(sd_docker_node_role(d, "manager-3", "worker", err, sizeof(err)), -1);
	assert_string_equal(err, refusal);
	usleep(100000);
	assert_int_equal(f->connections, 0);
	assert_int_equal(f->nlog, 0);
	sd_docker_close(d);
	fake_stop(f);
}

/* ---------------------------------------------------------------------------------------- */
/* mutations                                                                                */

static const char *service_inspect(const char *mode_json, bool previous)
{
	static char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"ID\":\"svc0123456789abcdefghijkl\",\"Version\":{\"Index\":4242},"
		 "\"Spec\":{\"Name\":\"iot-guardian_backend\",\"Labels\":{\"com.docker.stack.namespace\":"
		 "\"iot-guardian\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"sdlab/busybox:1\"},"
		 "\"ForceUpdate\":%d},\"Mode\":%s,\"UpdateConfig\":{\"FailureAction\":\"rollback\"}}%s}",
		 previous ? 2 : 0, mode_json,
		 previous ? ",\"PreviousSpec\":{\"Name\":\"iot-guardian_backend\",\"Mode\":"
			    "{\"Replicated\":{\"Replicas\":2}}}" : "");
	return buf;
}

static json_t *posted_spec(struct fake_engine *f, const char *target)
{
	const struct fake_request *req = last_request(f, "POST");
	assert_non_null(req);
	assert_string_equal(req->target, target);
	json_error_t jerr;
	json_t *spec = json_loads(req->body, 0, &jerr);
	if (!spec)
		fail_msg("posted body is not JSON: %s", req->body);
	return spec;
}

static void test_service_scale(void **state)
{
	(void)state;
	struct fake_engine *f = fake_start("1.41");
	char inspect[2048];
	snprintf(inspect, sizeof(inspect), "%s", service_inspect("{\"Replicated\":{\"Replicas\":3}}", false));
	fake_route(f, "GET", "/v1.41/services/iot-guardian_backend", 200, inspect, SEND_WHOLE);
	fake_route(f, "POST", "/v1.41/services/svc0123456789abcdefghijkl/update", 200,
		   "{\"Warnings\":null}", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	char err[256] = "";
	if (sd_docker_service_scale(d, "iot-guardian_backend", 5, err, sizeof(err)) != 0)
		fail_msg("scale: %s", err);
	json_t *spec = posted_spec(f, "/v1.41/services/svc0123456789abcdefghijkl/update?version=4242");
	assert_int_equal(jint(spec, "Mode.Replicated.Replicas"), 5);
	assert_string_equal(jstr(spec, "Name"), "iot-guardian_backend");
	assert_string_equal(jstr(spec, "UpdateConfig.FailureAction"), "rollback");  /* kept */
	assert_int_equal(json_object_size(json_object_get(spec, "Labels")), 1);
	json_decref(spec);
	assert_int_equal(sd_docker_service_scale(d, "iot-guardian_backend", -1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot scale iot-guardian_backend to -1"));
	sd_docker_close(d);
	fake_stop(f);

	/* global mode: refused before anything is posted */
	f = fake_start("1.41");
	snprintf(inspect, sizeof(inspect), "%s", service_inspect("{\"Global\":{}}", false));
	fake_route(f, "GET", "/v1.41/services/agent", 200, inspect, SEND_WHOLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_service_scale(d, "agent", 2, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot scale iot-guardian_backend: it is a global service "
				 "(one task per node)");
	assert_null(last_request(f, "POST"));
	/* an unknown service: the engine's words */
	fake_route(f, "GET", "/v1.41/services/nope", 404,
		   "{\"message\":\"service nope not found\"}", SEND_WHOLE);
	assert_int_equal(sd_docker_service_scale(d, "nope", 2, err, sizeof(err)), -1);
	assert_string_equal(err, "service nope not found");
	sd_docker_close(d);
	fake_stop(f);
}

static void test_service_rollback_and_redeploy(void **state)
{
	(void)state;
	struct fake_engine *f = fake_start("1.41");
	char with_previous[2048], without[2048];
	snprintf(with_previous, sizeof(with_previous), "%s",
		 service_inspect("{\"Replicated\":{\"Replicas\":3}}", true));
	snprintf(without, sizeof(without), "%s",
		 service_inspect("{\"Replicated\":{\"Replicas\":3}}", false));
	fake_route(f, "GET", "/v1.41/services/web", 200, with_previous, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/services/fresh", 200, without, SEND_WHOLE);
	fake_route(f, "POST", "/v1.41/services/svc0123456789abcdefghijkl/update", 200,
		   "{\"Warnings\":null}", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	char err[256] = "";
	if (sd_docker_service_rollback(d, "web", err, sizeof(err)) != 0)
		fail_msg("rollback: %s", err);
	/* the CLI's way: the current spec as the body, rollback=previous in the query */
	json_t *spec = posted_spec(
		f, "/v1.41/services/svc0123456789abcdefghijkl/update?version=4242&rollback=previous");
	assert_int_equal(jint(spec, "Mode.Replicated.Replicas"), 3);
	assert_int_equal(jint(spec, "TaskTemplate.ForceUpdate"), 2);
	json_decref(spec);

	assert_int_equal(sd_docker_service_rollback(d, "fresh", err, sizeof(err)), -1);
	assert_string_equal(err, "no previous spec to roll back to");

	if (sd_docker_service_redeploy(d, "web", err, sizeof(err)) != 0)
		fail_msg("redeploy: %s", err);
	spec = posted_spec(f, "/v1.41/services/svc0123456789abcdefghijkl/update?version=4242");
	assert_int_equal(jint(spec, "TaskTemplate.ForceUpdate"), 3);
	assert_string_equal(jstr(spec, "TaskTemplate.ContainerSpec.Image"), "sdlab/busybox:1");
	json_decref(spec);
	sd_docker_close(d);
	fake_stop(f);

	/* the engine refusing the update: its message verbatim */
	f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/services/web", 200, with_previous, SEND_WHOLE);
	fake_route(f, "POST", "/v1.41/services/svc0123456789abcdefghijkl/update", 500,
		   "{\"message\":\"rpc error: code = Unknown desc = update out of sequence\"}",
		   SEND_WHOLE);
	d = fake_client(f, false, 5000);
	assert_int_equal(sd_docker_service_redeploy(d, "web", err, sizeof(err)), -1);
	assert_string_equal(err, "rpc error: code = Unknown desc = update out of sequence");
	sd_docker_close(d);
	fake_stop(f);
}

static void test_node_updates(void **state)
{
	(void)state;
	struct fixtures fx;
	load_fixtures(&fx);
	json_t *nodes = json_loads(fx.nodes, 0, NULL);
	json_t *worker = NULL;
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n)
		if (!strcmp(jstr(n, "Spec.Role"), "worker") && !worker)
			worker = n;
	assert_non_null(worker);
	const char *id = jstr(worker, "ID"), *hostname = jstr(worker, "Description.Hostname");
	char *inspect = json_dumps(worker, JSON_COMPACT);
	char by_host[256], by_id[256], update[256], expected[300];
	snprintf(by_host, sizeof(by_host), "/v1.41/nodes/%s", hostname);
	snprintf(by_id, sizeof(by_id), "/v1.41/nodes/%s", id);
	snprintf(update, sizeof(update), "/v1.41/nodes/%s/update", id);
	snprintf(expected, sizeof(expected), "%s?version=%lld", update, jint(worker, "Version.Index"));

	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", by_host, 404, "{\"message\":\"node not found\"}", SEND_WHOLE);
	fake_route(f, "GET", by_id, 200, inspect, SEND_WHOLE);
	fake_route(f, "GET", "/v1.41/nodes", 200, fx.nodes, SEND_WHOLE);
	fake_route(f, "POST", update, 200, "", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	char err[256] = "";
	/* by hostname: the 404 leads to the list */
	if (sd_docker_node_availability(d, hostname, "drain", err, sizeof(err)) != 0)
		fail_msg("drain: %s", err);
	json_t *spec = posted_spec(f, expected);
	assert_string_equal(jstr(spec, "Availability"), "drain");
	assert_string_equal(jstr(spec, "Role"), "worker");
	json_decref(spec);
	/* by ID: straight */
	if (sd_docker_node_role(d, id, "manager", err, sizeof(err)) != 0)
		fail_msg("promote: %s", err);
	spec = posted_spec(f, expected);
	assert_string_equal(jstr(spec, "Role"), "manager");
	assert_string_equal(jstr(spec, "Availability"), jstr(worker, "Spec.Availability"));
	json_decref(spec);
	int posts = 0;
	for (int k = 0; k < f->nlog; k++)
		posts += !strcmp(f->log[k].method, "POST");
	/* bad values never reach the engine */
	assert_int_equal(sd_docker_node_availability(d, id, "asleep", err, sizeof(err)), -1);
	assert_string_equal(err, "bad node availability \"asleep\" (expected active or pause or drain)");
	assert_int_equal(sd_docker_node_role(d, id, "leader", err, sizeof(err)), -1);
	assert_string_equal(err, "bad node role \"leader\" (expected manager or worker)");
	int after = 0;
	for (int k = 0; k < f->nlog; k++)
		after += !strcmp(f->log[k].method, "POST");
	assert_int_equal(after, posts);
	/* a name nobody has */
	fake_route(f, "GET", "/v1.41/nodes/ghost", 404, "{\"message\":\"node ghost not found\"}",
		   SEND_WHOLE);
	assert_int_equal(sd_docker_node_availability(d, "ghost", "active", err, sizeof(err)), -1);
	assert_string_equal(err, "node ghost not found");
	sd_docker_close(d);
	fake_stop(f);
	free(inspect);
	json_decref(nodes);
	free_fixtures(&fx);
}

/* ---------------------------------------------------------------------------------------- */
/* events                                                                                   */

struct seen {
	int count;
	char log[1024];
	volatile int *stop_after;   /* set *stop when COUNT reaches this */
	int stop_at;
};

static void on_event(void *user, const char *type, const char *action, const char *actor)
{
	struct seen *s = user;
	s->count++;
	size_t n = strlen(s->log);
	snprintf(s->log + n, sizeof(s->log) - n, "%s/%s/%s;", type, action, actor);
	if (s->stop_after && s->count == s->stop_at)
		*s->stop_after = 1;
}

static const char events_body[] =
	"{\"Type\":\"service\",\"Action\":\"update\",\"Actor\":{\"ID\":\"v16vdq574mwg\","
	"\"Attributes\":{\"name\":\"iot-guardian_backend\",\"replicas.new\":\"4\"}},"
	"\"scope\":\"swarm\",\"time\":1795239600}\n"
	"{\"Type\":\"node\",\"Action\":\"update\",\"Actor\":{\"ID\":\"si8s8oy5xpjo\","
	"\"Attributes\":{\"name\":\"worker-1\",\"state.new\":\"down\"}},\"scope\":\"swarm\"}\n"
	"{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"f5ee0de97fa7\"}}\n";

struct stopper {
	volatile int *stop;
	int after_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	usleep((useconds_t)s->after_ms * 1000);
	*s->stop = 1;
	return NULL;
}

static void test_events(void **state)
{
	(void)state;
	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/events", 200, events_body, SEND_EVENTS);
	struct sd_docker *d = fake_client(f, true, 1000);   /* a watch mode follows events too */
	char err[256] = "";
	struct seen seen = {0};
	volatile int stop = 0;
	/* the stream stays open and silent: STOP ends it within half a second */
	struct stopper st = {&stop, 300};
	pthread_t th;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, stop_later, &st);
	int rc = sd_docker_watch_events(d, on_event, &seen, &stop, err, sizeof(err));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_int_equal(rc, 0);
	double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(took >= 0.29 && took < 0.3 + 0.5);
	assert_int_equal(seen.count, 3);
	assert_string_equal(seen.log, "service/update/iot-guardian_backend;node/update/worker-1;"
				      "container/die/f5ee0de97fa7;");
	/* swarm objects and the local containers, filtered by the engine */
	const struct fake_request *req = last_request(f, "GET");
	assert_non_null(strstr(req->target, "/v1.41/events?filters="));
	assert_non_null(strstr(req->target, "%22service%22"));
	assert_non_null(strstr(req->target, "%22node%22"));

	/* the engine goes away: -1 and why */
	memset(&seen, 0, sizeof(seen));
	stop = 0;
	f->end_events = 1;
	rc = sd_docker_watch_events(d, on_event, &seen, &stop, err, sizeof(err));
	assert_int_equal(rc, -1);
	assert_int_equal(seen.count, 3);
	assert_non_null(strstr(err, "the event stream ended"));
	sd_docker_close(d);
	fake_stop(f);

	/* nobody there */
	struct sd_docker_config c = {.host = "unix:///run/sdtest-nothing/docker.sock",
				     .tls_verify = 0, .timeout_ms = 1000};
	d = sd_docker_open(&c, err, sizeof(err));
	stop = 0;
	assert_int_equal(sd_docker_watch_events(d, on_event, &seen, &stop, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot connect to unix:///run/sdtest-nothing/docker.sock"));
	sd_docker_close(d);

	/* stopping from the callback */
	f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/events", 200, events_body, SEND_EVENTS);
	d = fake_client(f, false, 1000);
	memset(&seen, 0, sizeof(seen));
	stop = 0;
	seen.stop_after = &stop;
	seen.stop_at = 1;
	assert_int_equal(sd_docker_watch_events(d, on_event, &seen, &stop, err, sizeof(err)), 0);
	assert_true(seen.count >= 1);
	sd_docker_close(d);
	fake_stop(f);
}

/* ---------------------------------------------------------------------------------------- */
/* the other captured answers                                                               */

static void test_captured_error_bodies(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int status;
	} bodies[] = {{"error-404.json", 404}, {"error-503-not-manager.json", 503}};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		need_file(bodies[i].file);
		char *text = fixture(bodies[i].file, NULL);
		json_t *oracle = json_loads(text, 0, NULL);
		const char *message = jstr(oracle, "message");
		assert_true(strlen(message) > 0);
		struct fake_engine *f = fake_start("1.41");
		fake_route(f, "GET", "/v1.41/probe", bodies[i].status, text, SEND_WHOLE);
		struct sd_docker *d = fake_client(f, false, 5000);
		char err[512] = "";
		size_t len;
		assert_null(sd_docker_get(d, "/probe", &len, err, sizeof(err)));
		assert_string_equal(err, message);   /* verbatim */
		sd_docker_close(d);
		fake_stop(f);
		json_decref(oracle);
		free(text);
	}
}

static void test_captured_worker_info(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("info-worker.json", &len);
	json_t *oracle = json_loads(text, 0, NULL);
	struct sd_swarm *sw = NULL;
	char err[256];
	assert_int_equal(sd_docker_decode(text, len, NULL, 0, NULL, 0, NULL, 0, &sw, err,
					  sizeof(err)), 0);
	assert_string_equal(sw->engine_name, jstr(oracle, "Name"));
	assert_string_equal(sw->cluster_id, jstr(oracle, "Swarm.Cluster.ID"));
	assert_string_equal(sw->engine_version, jstr(oracle, "ServerVersion"));
	assert_int_equal(strncmp(sw->engine_name, "worker-", 7), 0);
	sd_part_unref(sw);
	json_decref(oracle);
	free(text);
}

struct event_list {
	size_t count, cap;
	char **items;   /* "type/action/actor" */
};

static void collect_event(void *user, const char *type, const char *action, const char *actor)
{
	struct event_list *l = user;
	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->items = realloc(l->items, l->cap * sizeof(*l->items));
	}
	size_t n = strlen(type) + strlen(action) + strlen(actor) + 3;
	l->items[l->count] = malloc(n);
	snprintf(l->items[l->count++], n, "%s/%s/%s", type, action, actor);
}

static void free_events(struct event_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->items[i]);
	free(l->items);
}

static void test_captured_events(void **state)
{
	(void)state;
	char *text = fixture("events.json", NULL);
	/* what each line says, read by jansson */
	struct event_list want = {0};
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		json_t *ev = json_loads(line, 0, NULL);
		if (!ev)
			continue;
		const char *name = jstr(ev, "Actor.Attributes.name");
		collect_event(&want, jstr(ev, "Type"), jstr(ev, "Action"),
			      *name ? name : jstr(ev, "Actor.ID"));
		json_decref(ev);
		if (next)
			next[-1] = '\n';
	}
	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", "/v1.41/events", 200, text, SEND_EVENTS);
	f->end_events = 1;
	struct sd_docker *d = fake_client(f, true, 5000);
	struct event_list got = {0};
	volatile int stop = 0;
	char err[256];
	assert_int_equal(sd_docker_watch_events(d, collect_event, &got, &stop, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the event stream ended"));
	assert_int_equal(got.count, want.count);
	for (size_t i = 0; i < got.count; i++)
		assert_string_equal(got.items[i], want.items[i]);
	free_events(&got);
	free_events(&want);
	sd_docker_close(d);
	fake_stop(f);
	free(text);
}

/* ---------------------------------------------------------------------------------------- */
/* engine strings that are not UTF-8                                                        */

#define FFFD "\xef\xbf\xbd"

static void assert_utf8(const char *s, const char *what)
{
	if (!sd_utf8_valid(s, strlen(s)))
		fail_msg("%s is not UTF-8", what);
}

/* Every string of the part is UTF-8. */
static void assert_swarm_utf8(const struct sd_swarm *sw)
{
	assert_utf8(sw->engine_name, "engine_name");
	for (size_t i = 0; i < sw->nnodes; i++) {
		const struct sd_node *n = &sw->nodes[i];
		const char *s[] = {n->id, n->hostname, n->role, n->availability, n->state,
				   n->manager, n->engine, n->addr, n->message};
		for (size_t j = 0; j < sizeof(s) / sizeof(*s); j++)
			assert_utf8(s[j], "a node's string");
		for (size_t j = 0; j < n->nlabels; j++) {
			assert_utf8(n->labels[j].key, "a label key");
			assert_utf8(n->labels[j].value, "a label value");
		}
	}
	for (size_t i = 0; i < sw->ntasks; i++) {
		const struct sd_task *t = nth_task(sw, i);
		const char *s[] = {t->id, t->service_id, t->service, t->node_id, t->node,
				   t->desired_state, t->state, t->error, t->message};
		for (size_t j = 0; j < sizeof(s) / sizeof(*s); j++)
			assert_utf8(s[j], "a task's string");
	}
}

/* The snapshot JSON of SW, both ways: every node, service and task there, and the text
 * --once --json writes parses. */
static void assert_snapshot_json_whole(struct sd_swarm *sw)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->swarm = sd_part_ref(sw);
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	json_t *tree = sd_snapshot_json(snap);
	assert_non_null(tree);
	assert_int_equal(json_array_size(json_object_get(tree, "nodes")), sw->nnodes);
	assert_int_equal(json_array_size(json_object_get(tree, "services")), sw->nservices);
	assert_int_equal(json_array_size(json_object_get(tree, "tasks")), sw->ntasks);
	size_t i;
	json_t *item;
	json_array_foreach(json_object_get(tree, "nodes"), i, item)
		assert_true(json_is_object(item));
	json_array_foreach(json_object_get(tree, "tasks"), i, item)
		assert_true(json_is_object(item));
	char *dumped = json_dumps(tree, 0);
	assert_non_null(dumped);
	free(dumped);
	json_decref(tree);

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(sd_snapshot_write_json(snap, out), 0);
	fclose(out);
	json_error_t jerr;
	json_t *parsed = json_loadb(text, len, 0, &jerr);
	if (!parsed)
		fail_msg("--once --json output does not parse: %s at %d:%d", jerr.text, jerr.line,
			 jerr.column);
	assert_int_equal(json_array_size(json_object_get(parsed, "nodes")), sw->nnodes);
	assert_int_equal(json_array_size(json_object_get(parsed, "tasks")), sw->ntasks);
	json_array_foreach(json_object_get(parsed, "tasks"), i, item)
		assert_true(json_is_object(item));
	json_decref(parsed);
	free(text);
	sd_snapshot_unref(snap);
}

static void test_bad_utf8_replaced_never_lost(void **state)
{
	(void)state;
	const struct fixture_set bad = {"info-bad-utf8.json", "nodes-bad-utf8.json",
					"services.json", "tasks-bad-utf8.json"};
	struct sd_swarm *good = decode_set(&steady);
	struct fixtures f;
	load_set(&f, &bad);
	assert_false(sd_utf8_valid(f.nodes, f.nodes_len));   /* the fixtures hold bad bytes */
	assert_false(sd_utf8_valid(f.tasks, f.tasks_len));
	assert_false(sd_utf8_valid(f.info, f.info_len));
	/* fed whole and in pieces alike */
	for (size_t piece = 0; piece <= 64; piece += 7) {
		struct sd_swarm *sw = NULL;
		char err[256] = "";
		int rc = piece ? sd_docker_decode_chunks(f.info, f.info_len, f.nodes, f.nodes_len,
							 f.services, f.services_len, f.tasks,
							 f.tasks_len, &piece, 1, &sw, err, sizeof(err))
			       : sd_docker_decode(f.info, f.info_len, f.nodes, f.nodes_len, f.services,
						  f.services_len, f.tasks, f.tasks_len, &sw, err,
						  sizeof(err));
		if (rc != 0)
			fail_msg("decode with bad bytes (pieces of %zu): %s", piece, err);
		assert_int_equal(sw->nnodes, good->nnodes);
		assert_int_equal(sw->nservices, good->nservices);
		assert_int_equal(sw->ntasks, good->ntasks);
		assert_swarm_utf8(sw);
		assert_string_equal(sw->engine_name, "manager-" FFFD "1");
		const struct sd_node *w2 = NULL;
		for (size_t i = 0; i < sw->nnodes; i++)
			if (!strcmp(sw->nodes[i].hostname, "worker-" FFFD "-2"))
				w2 = &sw->nodes[i];
		assert_non_null(w2);
		bool label = false;
		for (size_t i = 0; i < sw->nnodes; i++)
			for (size_t j = 0; j < sw->nodes[i].nlabels; j++)
				label = label || (!strcmp(sw->nodes[i].labels[j].key, "rack" FFFD) &&
						  !strcmp(sw->nodes[i].labels[j].value, "r" FFFD "(-1"));
		assert_true(label);
		/* the tasks on worker-2 say so with the replaced name */
		size_t on_w2 = 0;
		for (size_t i = 0; i < sw->ntasks; i++)
			on_w2 += (*nth_task(sw, i)).node == w2->hostname;
		assert_true(on_w2 > 0);
		const struct sd_task *failed = NULL;
		for (size_t i = 0; i < sw->ntasks; i++)
			if (!strncmp((*nth_task(sw, i)).error, "task: non-zero exit (1): ", 25))
				failed = nth_task(sw, i);
		assert_non_null(failed);
		/* one U+FFFD per bad byte: 3 stray bytes, a broken pair, a surrogate, past U+10FFFF */
		assert_string_equal(failed->error, "task: non-zero exit (1): " FFFD FFFD FFFD " log "
				    FFFD "( " FFFD FFFD FFFD " " FFFD FFFD FFFD FFFD " end");
		assert_snapshot_json_whole(sw);
		sd_part_unref(sw);
	}
	free_fixtures(&f);
	sd_part_unref(good);
}

/* The snapshot JSON on its own, whatever bytes the model's strings hold. */
static void test_snapshot_json_any_bytes(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode_set(&steady);
	static const char bad[] = "x\xff\xc3(\xed\xa0\x80y";
	assert_true(sw->nnodes > 1 && sw->ntasks > 1 && sw->nservices > 0);
	sw->nodes[0].hostname = bad;
	sw->nodes[1].engine = bad;
	sw->services[0]->name = bad;
	(*nth_task(sw, 0)).error = bad;
	(*nth_task(sw, sw->ntasks - 1)).node = bad;
	sw->leader = bad;
	static struct sd_label label = {"key\xfe", "value\x80"};
	sw->nodes[0].labels = &label;
	sw->nodes[0].nlabels = 1;
	assert_snapshot_json_whole(sw);
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->swarm = sd_part_ref(sw);
	snap->docker_status.configured = snap->docker_status.answered = true;
	json_t *tree = sd_snapshot_json(snap);
	json_t *n0 = json_array_get(json_object_get(tree, "nodes"), 0);
	json_t *labels = json_object_get(n0, "labels");
	assert_string_equal(json_string_value(json_object_get(labels, "key" FFFD)), "value" FFFD);
	assert_true(strstr(json_string_value(json_object_get(json_object_get(tree, "cluster"),
							     "leader")), FFFD) != NULL);
	bool found = false;
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(tree, "nodes"), i, n)
		found = found || !strcmp(json_string_value(json_object_get(n, "hostname")),
					 "x" FFFD FFFD "(" FFFD FFFD FFFD "y");
	assert_true(found);
	json_decref(tree);
	sd_snapshot_unref(snap);
	sd_part_unref(sw);
}

static void test_events_any_chunking(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("events.json", &len);
	struct event_list whole = {0};
	size_t n = sd_docker_decode_events(text, len, NULL, 0, collect_event, &whole);
	assert_int_equal(n, whole.count);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	assert_int_equal(n, lines);   /* one event a line */
	for (size_t piece = 1; piece <= 4096; piece += piece < 300 ? 1 : 173) {
		struct event_list got = {0};
		assert_int_equal(sd_docker_decode_events(text, len, &piece, 1, collect_event, &got),
				 n);
		for (size_t i = 0; i < n; i++)
			if (strcmp(got.items[i], whole.items[i]) != 0)
				fail_msg("pieces of %zu: event %zu is %s, whole: %s", piece, i,
					 got.items[i], whole.items[i]);
		free_events(&got);
	}
	free_events(&whole);
	free(text);

	/* a bad byte in a name is replaced, not the event dropped; a line too long to keep is
	 * skipped alone; a last line without its newline waits */
	size_t big = (1 << 20) + 100;
	char *t = malloc(big + 512);
	size_t o = (size_t)sprintf(t, "{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":"
				   "\"c1\",\"Attributes\":{\"name\":\"web\xff\"}}}\n{\"Type\":\"node\","
				   "\"Action\":\"update\",\"Actor\":{\"ID\":\"n1\",\"Attributes\":{\"x\":\"");
	memset(t + o, 'a', big);
	o += big;
	o += (size_t)sprintf(t + o, "\"}}}\n{\"Type\":\"service\",\"Action\":\"update\",\"Actor\":"
			     "{\"ID\":\"s1\"}}\n{\"Type\":\"service\",\"Action\":\"remove\"");
	const size_t pieces[] = {16384, 1, 3000};
	for (size_t k = 0; k < 4; k++) {
		struct event_list got = {0};
		assert_int_equal(sd_docker_decode_events(t, o, k < 3 ? &pieces[k] : NULL, k < 3,
							 collect_event, &got), 2);
		assert_string_equal(got.items[0], "container/die/web" FFFD);
		assert_string_equal(got.items[1], "service/update/s1");
		free_events(&got);
	}
	free(t);
}

/* The body posted must be the captured Spec with exactly one change. */
static void assert_posted_spec(struct fake_engine *f, const char *target, json_t *want)
{
	json_t *got = posted_spec(f, target);
	if (!json_equal(got, want)) {
		char *a = json_dumps(got, JSON_SORT_KEYS), *b = json_dumps(want, JSON_SORT_KEYS);
		fail_msg("posted spec differs:\n got %s\nwant %s", a, b);
	}
	json_decref(got);
}

static void test_mutations_on_captured_specs(void **state)
{
	(void)state;
	char *service_text = fixture("service-backend.json", NULL);
	char *node_text = fixture("node-manager-1.json", NULL);
	json_t *svc = json_loads(service_text, 0, NULL), *node = json_loads(node_text, 0, NULL);
	const char *name = jstr(svc, "Spec.Name");
	char get_service[256], update_service[256], target[320];
	snprintf(get_service, sizeof(get_service), "/v1.41/services/%s", name);
	snprintf(update_service, sizeof(update_service), "/v1.41/services/%s/update",
		 jstr(svc, "ID"));
	char get_node[256], update_node[256];
	snprintf(get_node, sizeof(get_node), "/v1.41/nodes/%s", jstr(node, "ID"));
	snprintf(update_node, sizeof(update_node), "/v1.41/nodes/%s/update", jstr(node, "ID"));

	struct fake_engine *f = fake_start("1.41");
	fake_route(f, "GET", get_service, 200, service_text, SEND_WHOLE);
	fake_route(f, "POST", update_service, 200, "{\"Warnings\":null}", SEND_WHOLE);
	fake_route(f, "GET", get_node, 200, node_text, SEND_WHOLE);
	fake_route(f, "POST", update_node, 200, "", SEND_WHOLE);
	struct sd_docker *d = fake_client(f, false, 5000);
	char err[256] = "";
	snprintf(target, sizeof(target), "%s?version=%lld", update_service, jint(svc, "Version.Index"));

	long replicas = (long)jint(svc, "Spec.Mode.Replicated.Replicas");
	assert_true(replicas >= 1);
	if (sd_docker_service_scale(d, name, replicas + 1, err, sizeof(err)) != 0)
		fail_msg("scale: %s", err);
	json_t *want = json_deep_copy(json_object_get(svc, "Spec"));
	json_object_set_new(json_object_get(json_object_get(want, "Mode"), "Replicated"), "Replicas",
			    json_integer(replicas + 1));
	assert_posted_spec(f, target, want);
	json_decref(want);

	if (sd_docker_service_redeploy(d, name, err, sizeof(err)) != 0)
		fail_msg("redeploy: %s", err);
	want = json_deep_copy(json_object_get(svc, "Spec"));
	json_t *tt = json_object_get(want, "TaskTemplate");
	json_object_set_new(tt, "ForceUpdate",
			    json_integer(json_integer_value(json_object_get(tt, "ForceUpdate")) + 1));
	assert_posted_spec(f, target, want);
	json_decref(want);

	int rc = sd_docker_service_rollback(d, name, err, sizeof(err));
	if (json_is_object(json_object_get(svc, "PreviousSpec"))) {
		assert_int_equal(rc, 0);
		char rollback[400];
		snprintf(rollback, sizeof(rollback), "%s&rollback=previous", target);
		assert_posted_spec(f, rollback, json_object_get(svc, "Spec"));
	} else {
		assert_int_equal(rc, -1);
		assert_string_equal(err, "no previous spec to roll back to");
	}

	/* after a rollback (--scenarios): whatever the capture says about PreviousSpec decides */
	char path[256];
	snprintf(path, sizeof(path), "%s/service-backend-rolled-back.json", fixture_dir());
	char *rolled_text = NULL;    /* served until the engine stops: freed after it */
	if (access(path, R_OK) == 0) {
		rolled_text = fixture("service-backend-rolled-back.json", NULL);
		json_t *rolled = json_loads(rolled_text, 0, NULL);
		fake_route(f, "GET", "/v1.41/services/rolled-back", 200, rolled_text, SEND_WHOLE);
		int posts = 0;
		for (int k = 0; k < f->nlog; k++)
			posts += !strcmp(f->log[k].method, "POST");
		rc = sd_docker_service_rollback(d, "rolled-back", err, sizeof(err));
		if (json_is_object(json_object_get(rolled, "PreviousSpec"))) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, "no previous spec to roll back to");
			int after = 0;
			for (int k = 0; k < f->nlog; k++)
				after += !strcmp(f->log[k].method, "POST");
			assert_int_equal(after, posts);
		}
		json_decref(rolled);
	}

	if (sd_docker_node_availability(d, jstr(node, "ID"), "pause", err, sizeof(err)) != 0)
		fail_msg("pause: %s", err);
	want = json_deep_copy(json_object_get(node, "Spec"));
	json_object_set_new(want, "Availability", json_string("pause"));
	snprintf(target, sizeof(target), "%s?version=%lld", update_node, jint(node, "Version.Index"));
	assert_posted_spec(f, target, want);
	json_decref(want);

	sd_docker_close(d);
	fake_stop(f);
	json_decref(svc);
	json_decref(node);
	free(service_text);
	free(node_text);
	free(rolled_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_info_fixture),
		cmocka_unit_test(test_decode_nodes_fixture),
		cmocka_unit_test(test_decode_services_fixture),
		cmocka_unit_test(test_decode_tasks_fixture),
		cmocka_unit_test(test_scenario_worker_down),
		cmocka_unit_test(test_scenario_rollback_started),
		cmocka_unit_test(test_quorum_counts),
		cmocka_unit_test(test_digest_stripped),
		cmocka_unit_test(test_service_modes_and_counts),
		cmocka_unit_test(test_task_order),
		cmocka_unit_test(test_strings_and_times),
		cmocka_unit_test(test_empty_inputs),
		cmocka_unit_test(test_garbled_json),
		cmocka_unit_test(test_truncated_json),
		cmocka_unit_test(test_stream_any_chunking_is_whole),
		cmocka_unit_test(test_stream_errors_any_chunking),
		cmocka_unit_test(test_stream_big_element_is_linear),
		cmocka_unit_test(test_scanner_values),
		cmocka_unit_test(test_scanner_every_prefix_is_truncated),
		cmocka_unit_test(test_scanner_bad_input),
		cmocka_unit_test(test_docker_host_parsing),
		cmocka_unit_test(test_tls_settings),
		cmocka_unit_test(test_fetch_streams_like_decode),
		cmocka_unit_test(test_fetch_negotiates_version),
		cmocka_unit_test(test_fetch_refuses_absurd_versions),
		cmocka_unit_test(test_fetch_errors),
		cmocka_unit_test(test_fetch_big_element_in_time),
		cmocka_unit_test(test_concurrent_callers),
		cmocka_unit_test(test_raw_get),
		cmocka_unit_test(test_read_only_refusal),
		cmocka_unit_test(test_service_scale),
		cmocka_unit_test(test_service_rollback_and_redeploy),
		cmocka_unit_test(test_node_updates),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_captured_error_bodies),
		cmocka_unit_test(test_captured_worker_info),
		cmocka_unit_test(test_captured_events),
		cmocka_unit_test(test_bad_utf8_replaced_never_lost),
		cmocka_unit_test(test_snapshot_json_any_bytes),
		cmocka_unit_test(test_events_any_chunking),
		cmocka_unit_test(test_mutations_on_captured_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
