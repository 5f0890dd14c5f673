/* test_objects.c - stacks and Swarm objects in the Docker backend: networks, secrets and
 * configs decoded with the services that use them (by ID and by name), a config's size and
 * never its data, a secret's Data dropped even when sent, per-stack sums, whole and chunked
 * decoding agreeing, the snapshot JSON's stacks/networks/secrets/configs, the captured lab
 * lists, and the fetch against a fake engine (scope filter, a failing list left to
 * objects_error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/docker/docker.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "../fake/fake_engine.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Two stacks and a loose service: app_backend mounts secret s1 by ID and config c1, and sits
 * on network n1 (task template) and the ingress (a virtual IP); app_frontend names secret
 * "app_db" by name only and is updating; tools is in no stack and degraded. */
static const char services[] =
	"[{\"ID\":\"svc-b\",\"Version\":{\"Index\":5},\"Spec\":{\"Name\":\"app_backend\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"},"
	"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"img:1\","
	"\"Secrets\":[{\"File\":{\"Name\":\"db\"},\"SecretID\":\"s1\",\"SecretName\":\"app_db\"}],"
	"\"Configs\":[{\"ConfigID\":\"c1\",\"ConfigName\":\"app_conf\"}]},"
	"\"Networks\":[{\"Target\":\"n1\",\"Aliases\":[\"backend\"]}]},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":3}}},"
	"\"Endpoint\":{\"VirtualIPs\":[{\"NetworkID\":\"ingress-id\",\"Addr\":\"10.0.0.5/24\"},"
	"{\"NetworkID\":\"n1\",\"Addr\":\"10.0.1.2/24\"}]},"
	"\"ServiceStatus\":{\"RunningTasks\":3,\"DesiredTasks\":3}},"
	"{\"ID\":\"svc-f\",\"Spec\":{\"Name\":\"app_frontend\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"},"
	"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"img:2\","
	"\"Secrets\":[{\"SecretName\":\"app_db\"}]}},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":2}}},"
	"\"UpdateStatus\":{\"State\":\"updating\"},"
	"\"ServiceStatus\":{\"RunningTasks\":2,\"DesiredTasks\":2}},"
	"{\"ID\":\"svc-m\",\"Spec\":{\"Name\":\"mon_agent\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"mon\"},"
	"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"agent\"}},\"Mode\":{\"Global\":{}}},"
	"\"ServiceStatus\":{\"RunningTasks\":5,\"DesiredTasks\":5}},"
	"{\"ID\":\"svc-t\",\"Spec\":{\"Name\":\"tools\","
	"\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"tools\"}},"
	"\"Mode\":{\"Replicated\":{\"Replicas\":2}}},"
	"\"ServiceStatus\":{\"RunningTasks\":1,\"DesiredTasks\":2}}]";

static const char networks[] =
	"[{\"Name\":\"app_net\",\"Id\":\"n1\",\"Created\":\"2026-11-20T10:00:00.5Z\","
	"\"Scope\":\"swarm\",\"Driver\":\"overlay\",\"IPAM\":{\"Driver\":\"default\","
	"\"Config\":[{\"Subnet\":\"10.0.1.0/24\",\"Gateway\":\"10.0.1.1\"},"
	"{\"Subnet\":\"fd00::/64\"}]},\"Internal\":false,\"Attachable\":true,\"Ingress\":false,"
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"}},"
	"{\"Name\":\"ingress\",\"Id\":\"ingress-id\",\"Created\":\"2026-11-20T09:00:00Z\","
	"\"Scope\":\"swarm\",\"Driver\":\"overlay\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.0.0.0/24\"}]},"
	"\"Internal\":false,\"Attachable\":false,\"Ingress\":true,\"Labels\":{}},"
	"{\"Name\":\"idle\",\"Id\":\"n9\",\"Scope\":\"swarm\",\"Driver\":\"overlay\",\"IPAM\":null}]";

/* the API never sends a secret's Data; this one does, and it must not get through */
static const char secrets[] =
	"[{\"ID\":\"s1\",\"Version\":{\"Index\":11},\"CreatedAt\":\"2026-11-20T10:00:00Z\","
	"\"UpdatedAt\":\"2026-11-21T10:00:00Z\",\"Spec\":{\"Name\":\"app_db\","
	"\"Labels\":{\"com.docker.stack.namespace\":\"app\"},"
	"\"Data\":\"aHVudGVyMi1zZWNyZXQtdmFsdWU=\"}},"
	"{\"ID\":\"s2\",\"CreatedAt\":\"2026-11-20T10:00:00Z\",\"Spec\":{\"Name\":\"unused\"}}]";

/* "config-body-marker\n" (19 bytes) */
static const char configs[] =
	"[{\"ID\":\"c1\",\"CreatedAt\":\"2026-11-20T10:00:00Z\",\"UpdatedAt\":\"2026-11-20T10:00:00Z\","
	"\"Spec\":{\"Name\":\"app_conf\",\"Labels\":{},\"Data\":\"Y29uZmlnLWJvZHktbWFya2VyCg==\"}}]";

static struct sd_docker_bodies bodies(void)
{
	return (struct sd_docker_bodies){
		.services = services, .services_len = sizeof(services) - 1,
		.networks = networks, .networks_len = sizeof(networks) - 1,
		.secrets = secrets, .secrets_len = sizeof(secrets) - 1,
		.configs = configs, .configs_len = sizeof(configs) - 1,
	};
}

static struct sd_swarm *decode(const size_t *pieces, size_t npieces)
{
	struct sd_docker_bodies b = bodies();
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	if (sd_docker_decode_bodies(&b, pieces, npieces, &sw, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	return sw;
}

static void assert_names(const char **names, size_t n, const char *want)
{
	char joined[512] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(joined + used, sizeof(joined) - used, "%s%s", i ? "," : "",
					 names[i]);
	assert_string_equal(joined, want);
}

static void test_networks(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode(NULL, 0);
	assert_true(sw->objects_read);
	assert_string_equal(sw->objects_error, "");
	assert_int_equal(sw->nnetworks, 3);
	const struct sd_network *n = &sw->networks[0];   /* sorted by name */
	assert_string_equal(n->name, "app_net");
	assert_string_equal(n->id, "n1");
	assert_string_equal(n->driver, "overlay");
	assert_string_equal(n->scope, "swarm");
	assert_string_equal(n->stack, "app");
	assert_true(n->attachable);
	assert_false(n->ingress);
	assert_names(n->subnets, n->nsubnets, "10.0.1.0/24,fd00::/64");
	assert_names(n->services, n->nservices, "app_backend");   /* named twice, listed once */
	assert_int_equal(n->created, 1795168800);
	assert_string_equal(sw->networks[1].name, "idle");
	assert_int_equal(sw->networks[1].nservices, 0);
	assert_int_equal(sw->networks[1].nsubnets, 0);
	assert_string_equal(sw->networks[2].name, "ingress");
	assert_true(sw->networks[2].ingress);
	assert_names(sw->networks[2].services, sw->networks[2].nservices, "app_backend");
	sd_part_unref(sw);
}

static void test_secrets_and_configs(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode(NULL, 0);
	assert_int_equal(sw->nsecrets, 2);
	const struct sd_swarm_object *s = &sw->secrets[0];
	assert_string_equal(s->name, "app_db");
	assert_string_equal(s->stack, "app");
	assert_int_equal(s->size, -1);   /* never fetched */
	assert_int_equal(s->created, 1795168800);
	assert_int_equal(s->updated, 1795255200);
	/* by ID (backend) and by name only (frontend) */
	assert_names(s->services, s->nservices, "app_backend,app_frontend");
	assert_string_equal(sw->secrets[1].name, "unused");
	assert_int_equal(sw->secrets[1].nservices, 0);
	assert_int_equal(sw->nconfigs, 1);
	assert_string_equal(sw->configs[0].name, "app_conf");
	assert_int_equal(sw->configs[0].size, 19);
	assert_names(sw->configs[0].services, sw->configs[0].nservices, "app_backend");
	/* what each service uses, by ID (or the name it was referred to by) */
	const struct sd_service *b = sd_swarm_service(sw, "app_backend");
	assert_non_null(b);
	assert_names(b->uses.networks, b->uses.nnetworks, "n1,ingress-id");
	assert_names(b->uses.secrets, b->uses.nsecrets, "s1");
	assert_names(b->uses.configs, b->uses.nconfigs, "c1");
	const struct sd_service *f = sd_swarm_service(sw, "app_frontend");
	assert_names(f->uses.secrets, f->uses.nsecrets, "app_db");
	sd_part_unref(sw);
}

static void test_stacks(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode(NULL, 0);
	assert_int_equal(sw->nstacks, 2);
	const struct sd_stack *app = &sw->stacks[0];
	assert_string_equal(app->name, "app");
	assert_int_equal(app->services, 2);
	assert_int_equal(app->degraded, 0);
	assert_int_equal(app->updating, 1);
	assert_int_equal(app->running, 5);
	assert_int_equal(app->desired, 5);
	assert_string_equal(sw->stacks[1].name, "mon");
	assert_int_equal(sw->stacks[1].services, 1);
	/* tools has no stack: in no stack's sums */
	assert_string_equal(sd_swarm_service(sw, "tools")->stack, "");
	sd_part_unref(sw);
}

static char *snapshot_text(struct sd_swarm *sw)
{
	struct sd_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	snap.swarm = sw;
	snap.docker_status.reachable = snap.docker_status.answered = true;
	json_t *root = sd_snapshot_json(&snap);
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return text;
}

/* No byte of a secret's value or a config's data anywhere: not in the JSON, not in the part. */
static void test_no_value_kept(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode(NULL, 0);
	char *text = snapshot_text(sw);
	assert_null(strstr(text, "aHVudGVyMi1zZWNyZXQtdmFsdWU"));
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "Y29uZmlnLWJvZHktbWFya2VyCg"));
	assert_null(strstr(text, "config-body-marker"));
	free(text);
	/* and nowhere in the strings the part holds */
	for (size_t i = 0; i < sw->nsecrets; i++) {
		assert_null(strstr(sw->secrets[i].name, "aHVu"));
		assert_null(strstr(sw->secrets[i].stack, "aHVu"));
	}
	sd_part_unref(sw);
}

static void test_json(void **state)
{
	(void)state;
	struct sd_swarm *sw = decode(NULL, 0);
	char *text = snapshot_text(sw);
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(root);
	json_t *stacks = json_object_get(root, "stacks");
	assert_int_equal(json_array_size(stacks), 2);
	json_t *app = json_array_get(stacks, 0);
	assert_string_equal(json_string_value(json_object_get(app, "name")), "app");
	assert_int_equal(json_integer_value(json_object_get(app, "services")), 2);
	assert_int_equal(json_integer_value(json_object_get(app, "degraded")), 0);
	assert_int_equal(json_integer_value(json_object_get(app, "updating")), 1);
	json_t *svc = json_array_get(json_object_get(root, "services"), 0);
	assert_string_equal(json_string_value(json_object_get(svc, "stack")), "app");
	json_t *net = json_array_get(json_object_get(root, "networks"), 0);
	assert_string_equal(json_string_value(json_object_get(net, "name")), "app_net");
	assert_true(json_is_true(json_object_get(net, "attachable")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(net, "subnets"), 0)),
			    "10.0.1.0/24");
	assert_string_equal(json_string_value(json_array_get(json_object_get(net, "services"), 0)),
			    "app_backend");
	json_t *secret = json_array_get(json_object_get(root, "secrets"), 0);
	assert_string_equal(json_string_value(json_object_get(secret, "name")), "app_db");
	assert_int_equal(json_array_size(json_object_get(secret, "services")), 2);
	assert_null(json_object_get(secret, "size"));
	assert_null(json_object_get(secret, "data"));
	json_t *config = json_array_get(json_object_get(root, "configs"), 0);
	assert_int_equal(json_integer_value(json_object_get(config, "size")), 19);
	assert_true(json_is_null(json_object_get(root, "objects_error")));
	json_decref(root);
	sd_part_unref(sw);

	/* lists never asked for are null, not empty */
	struct sd_docker_bodies b = {.services = services, .services_len = sizeof(services) - 1};
	char err[256];
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), 0);
	text = snapshot_text(sw);
	root = json_loads(text, 0, &jerr);
	free(text);
	assert_true(json_is_null(json_object_get(root, "networks")));
	assert_true(json_is_null(json_object_get(root, "secrets")));
	assert_true(json_is_null(json_object_get(root, "configs")));
	assert_int_equal(json_array_size(json_object_get(root, "stacks")), 2);
	json_decref(root);
	sd_part_unref(sw);
}

/* Pieces of every size give what one piece gives. */
static void test_chunks_agree(void **state)
{
	(void)state;
	struct sd_swarm *whole = decode(NULL, 0);
	char *want = snapshot_text(whole);
	static const size_t sizes[][3] = {{1, 1, 1}, {2, 3, 5}, {7, 13, 1}, {64, 1, 9}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sd_swarm *sw = decode(sizes[i], 3);
		char *got = snapshot_text(sw);
		/* fetched_at may differ by a second: compare without the time */
		assert_string_equal(strchr(got, '"'), strchr(want, '"'));
		free(got);
		sd_part_unref(sw);
	}
	free(want);
	sd_part_unref(whole);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *b64;
		long long size;
	} cases[] = {
		{"", 0}, {"YQ==", 1}, {"YWI=", 2}, {"YWJj", 3}, {"aGVsbG8=", 5}, {"aGVsbG8", 5},
		{"YWJj\\nZGVm", 6}, {"YW\\u004aj", 3},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char list[256];
		snprintf(list, sizeof(list), "[{\"ID\":\"c\",\"Spec\":{\"Name\":\"x\",\"Data\":\"%s\"}}]",
			 cases[i].b64);
		struct sd_docker_bodies b = {.configs = list, .configs_len = strlen(list)};
		struct sd_swarm *sw = NULL;
		char err[256];
		assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), 0);
		assert_int_equal(sw->nconfigs, 1);
		if (sw->configs[0].size != cases[i].size)
			fail_msg("%s: size %lld, want %lld", cases[i].b64, sw->configs[0].size,
				 cases[i].size);
		sd_part_unref(sw);
	}
}

static void test_bad_json(void **state)
{
	(void)state;
	static const char broken[] = "[{\"Name\":\"x\",\"Id\":\"n\"},{\"Name\":";
	struct sd_docker_bodies b = {.networks = broken, .networks_len = sizeof(broken) - 1};
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), -1);
	assert_null(sw);
	assert_non_null(strstr(err, "networks"));
}

/* ---- the captured lab lists (tests/lab/capture-fixtures) ---- */

static char *read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("SD_FIXTURE_DIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "tests/fixtures/docker", name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		print_message("skipped: no %s (captured from the lab)\n", path);
		skip();
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_lab_fixtures(void **state)
{
	(void)state;
	struct sd_docker_bodies b = {0};
	char *svc = read_fixture("services-objects.json", &b.services_len);
	char *net = read_fixture("networks.json", &b.networks_len);
	char *sec = read_fixture("secrets.json", &b.secrets_len);
	char *cfg = read_fixture("configs.json", &b.configs_len);
	b.services = svc, b.networks = net, b.secrets = sec, b.configs = cfg;
	struct sd_swarm *sw = NULL;
	char err[256] = "";
	if (sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	/* checked against jansson's reading of the same files */
	json_t *jn = json_loads(net, 0, NULL), *js = json_loads(sec, 0, NULL);
	assert_int_equal(sw->nnetworks, json_array_size(jn));
	assert_int_equal(sw->nsecrets, json_array_size(js));
	const struct sd_network *app = NULL;
	for (size_t i = 0; i < sw->nnetworks; i++)
		if (!strcmp(sw->networks[i].name, "iot-guardian_iot_guardian_network"))
			app = &sw->networks[i];
	assert_non_null(app);
	assert_string_equal(app->scope, "swarm");
	assert_true(app->attachable);
	assert_names(app->services, app->nservices,
		     "iot-guardian_backend,iot-guardian_frontend,iot-guardian_nginx");
	for (size_t i = 0; i < sw->nsecrets; i++) {
		if (!strcmp(sw->secrets[i].name, "iot-guardian_redis_password"))
			assert_names(sw->secrets[i].services, sw->secrets[i].nservices,
				     "iot-guardian_backend");
		assert_int_equal(sw->secrets[i].size, -1);
	}
	assert_int_equal(sw->nstacks, 1);
	assert_string_equal(sw->stacks[0].name, "iot-guardian");
	assert_int_equal(sw->stacks[0].services, 3);
	json_decref(jn);
	json_decref(js);
	sd_part_unref(sw);
	free(svc);
	free(net);
	free(sec);
	free(cfg);
}

/* ---- the fetch ---- */

static void test_fetch(void **state)
{
	(void)state;
	char sock[128], err[512] = "";
	snprintf(sock, sizeof(sock), "/tmp/sd-objects-%d.sock", (int)getpid());
	struct fake_engine *f = fake_engine_start(sock, "1.41", err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	fake_engine_route(f, "GET", "/v1.41/info", 200, "{\"Name\":\"m1\"}", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/nodes", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/services", 200, services, FAKE_SEND_TRICKLE);
	fake_engine_route(f, "GET", "/v1.41/tasks", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/networks", 200, networks, FAKE_SEND_TRICKLE);
	fake_engine_route(f, "GET", "/v1.41/configs", 200, configs, FAKE_SEND_WHOLE);
	/* no /secrets route: 404, as from an engine that refuses it */
	char host[160];
	snprintf(host, sizeof(host), "unix://%s", sock);
	struct sd_docker_config dc = {.host = host, .tls_verify = 0, .timeout_ms = 3000,
				      .read_only = true};
	struct sd_docker *d = sd_docker_open(&dc, err, sizeof(err));
	assert_non_null(d);
	struct sd_swarm *sw = NULL;
	if (sd_docker_fetch(d, &sw, err, sizeof(err)) != 0)
		fail_msg("fetch: %s", err);
	/* the swarm part stands; the objects say what failed and keep what was read */
	assert_int_equal(sw->nservices, 4);
	assert_false(sw->objects_read);
	assert_non_null(strstr(sw->objects_error, "secrets"));
	assert_non_null(strstr(sw->objects_error, "page not found"));
	assert_int_equal(sw->nnetworks, 3);
	assert_int_equal(sw->nsecrets, 0);
	assert_int_equal(sw->nconfigs, 1);
	/* networks are asked for in swarm scope; nothing but GETs */
	assert_int_equal(fake_engine_count(f, "GET",
		"/v1.41/networks?filters=%7B%22scope%22%3A%5B%22swarm%22%5D%7D"), 1);
	assert_int_equal(fake_engine_count(f, "GET", "/v1.41/secrets"), 1);
	assert_null(fake_engine_last(f, "POST"));
	sd_part_unref(sw);

	/* with the secrets answering, everything is read */
	fake_engine_route(f, "GET", "/v1.41/secrets", 200, secrets, FAKE_SEND_WHOLE);
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_true(sw->objects_read);
	assert_string_equal(sw->objects_error, "");
	assert_int_equal(sw->nsecrets, 2);
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_engine_stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_secrets_and_configs),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_no_value_kept),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_chunks_agree),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_lab_fixtures),
		cmocka_unit_test(test_fetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
