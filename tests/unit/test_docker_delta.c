/* test_docker_delta.c - a service or node refreshed alone (backends/docker/delta.c): the part
 * it gives must read exactly as a full decode of the lists as the engine would then answer
 * them (the snapshot's JSON, tasks included, compared whole), for a change, an addition and
 * a removal; the base part is left as it was; a chain of changes stops at its bound; and
 * against the fake engine, the requests are the filtered ones and no full list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/docker/docker.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "../fake/fake_engine.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fixture_dir(void)
{
	const char *dir = getenv("SD_FIXTURE_DIR");
	return dir && *dir ? dir : "tests/fixtures/docker";
}

static json_t *fixture_json(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	if (access(path, R_OK) != 0) {
		print_message("skipped: no %s (captured from the lab)\n", path);
		skip();
	}
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root)
		fail_msg("%s: %s", path, jerr.text);
	return root;
}

struct lists {
	json_t *nodes, *services, *tasks;
};

static void load(struct lists *l)
{
	l->nodes = fixture_json("nodes.json");
	l->services = fixture_json("services.json");
	l->tasks = fixture_json("tasks.json");
	assert_true(json_array_size(l->services) >= 3);
}

static void drop(struct lists *l)
{
	json_decref(l->nodes);
	json_decref(l->services);
	json_decref(l->tasks);
}

static struct sd_swarm *decode(const struct lists *l)
{
	char *n = json_dumps(l->nodes, JSON_COMPACT), *s = json_dumps(l->services, JSON_COMPACT);
	char *t = json_dumps(l->tasks, JSON_COMPACT);
	struct sd_docker_bodies b = {.nodes = n, .nodes_len = strlen(n), .services = s,
				     .services_len = strlen(s), .tasks = t, .tasks_len = strlen(t)};
	char err[256] = "";
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), 0);
	free(n);
	free(s);
	free(t);
	return sw;
}

/* The part as --once --json shows it, tasks included (the fetch time left out). */
static char *shown(struct sd_swarm *sw)
{
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->swarm = sd_part_ref(sw);
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	json_t *root = sd_snapshot_json_tasks(snap, true);
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	sd_snapshot_unref(snap);
	return text;
}

static const char *id_of(json_t *obj) { return json_string_value(json_object_get(obj, "ID")); }

/* The elements of LIST whose KEY is (or is not, when KEEP is false) VALUE. */
static json_t *where(json_t *list, const char *key, const char *value, bool keep)
{
	json_t *out = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		const char *v = json_string_value(json_object_get(e, key));
		if ((v && !strcmp(v, value)) == keep)
			json_array_append(out, e);
	}
	return out;
}

/* BASE with the delta applied must read as AFTER decoded whole. */
static void check_apply(struct sd_swarm *base, const struct lists *after, const char *kind,
			const char *id, json_t *dnodes, json_t *dservices, json_t *dtasks)
{
	char *before = shown(base);
	char *n = json_dumps(dnodes, JSON_COMPACT), *s = json_dumps(dservices, JSON_COMPACT);
	char *t = json_dumps(dtasks, JSON_COMPACT);
	struct sd_docker_bodies b = {.nodes = n, .nodes_len = strlen(n), .services = s,
				     .services_len = strlen(s), .tasks = t, .tasks_len = strlen(t)};
	char err[256] = "";
	struct sd_swarm *changed = NULL;
	assert_int_equal(sd_docker_apply_bodies(base, kind, id, &b, &changed, err, sizeof(err)), 0);
	assert_ptr_equal(changed->derived_from, base);
	assert_string_equal(changed->changed_kind, kind);
	struct sd_swarm *whole = decode(after);
	char *want = shown(whole), *got = shown(changed), *again = shown(base);
	assert_string_not_equal(want, before); /* the change shows */
	assert_string_equal(got, want);
	assert_string_equal(again, before);   /* the base is never changed */
	assert_int_equal(changed->totals.services, whole->totals.services);
	assert_int_equal(changed->totals.degraded, whole->totals.degraded);
	assert_int_equal(changed->totals.updating, whole->totals.updating);
	assert_int_equal(changed->totals.running, whole->totals.running);
	assert_int_equal(changed->totals.desired, whole->totals.desired);
	sd_part_unref(base);                  /* the new part keeps what it points into */
	char *still = shown(changed);
	assert_string_equal(still, want);
	free(still);
	free(want);
	free(got);
	free(again);
	free(before);
	free(n);
	free(s);
	free(t);
	sd_part_unref(whole);
	sd_part_unref(changed);
}

static void test_service_changed(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	struct sd_swarm *base = decode(&l);
	/* the second service: one task fewer, one failed, its update under way */
	json_t *svc = json_array_get(l.services, 1);
	const char *id = id_of(svc);
	json_t *mine = where(l.tasks, "ServiceID", id, true);
	json_t *others = where(l.tasks, "ServiceID", id, false);
	assert_true(json_array_size(mine) >= 1);
	if (json_array_size(mine) > 1)
		json_array_remove(mine, 0);
	json_t *status = json_object_get(json_array_get(mine, 0), "Status");
	json_object_set_new(status, "State", json_string("failed"));
	json_object_set_new(status, "Err", json_string("task: non-zero exit (1)"));
	json_object_set_new(svc, "UpdateStatus", json_pack("{s:s}", "State", "updating"));
	json_array_extend(others, mine);
	struct lists after = {l.nodes, l.services, others};
	json_t *dservices = json_pack("[O]", svc), *none = json_array();
	check_apply(base, &after, "service", id, none, dservices, mine);
	json_decref(dservices);
	json_decref(none);
	json_decref(mine);
	json_decref(others);
	drop(&l);
}

/* DSERVICES and DTASKS of one service applied to BASE. */
static struct sd_swarm *applied(struct sd_swarm *base, const char *id, json_t *dservices,
				json_t *dtasks)
{
	char *s = json_dumps(dservices, JSON_COMPACT), *t = json_dumps(dtasks, JSON_COMPACT);
	struct sd_docker_bodies b = {.nodes = "[]", .nodes_len = 2, .services = s,
				     .services_len = strlen(s), .tasks = t, .tasks_len = strlen(t)};
	char err[256] = "";
	struct sd_swarm *changed = NULL;
	assert_int_equal(sd_docker_apply_bodies(base, "service", id, &b, &changed, err, sizeof(err)),
			 0);
	free(s);
	free(t);
	return changed;
}

/* Two services changed one after the other, the part between them dropped: the first one's
 * new tasks are still there, as the lists read whole say. */
static void test_services_chained(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	assert_true(json_array_size(l.services) >= 2);
	struct sd_swarm *sw = decode(&l);
	for (size_t k = 0; k < 2; k++) {
		json_t *svc = json_array_get(l.services, k);
		json_t *mine = where(l.tasks, "ServiceID", id_of(svc), true);
		json_t *others = where(l.tasks, "ServiceID", id_of(svc), false);
		json_t *status = json_object_get(json_array_get(mine, 0), "Status");
		json_object_set_new(status, "State", json_string("failed"));
		json_object_set_new(status, "Err", json_string("task: changed"));
		json_t *dservices = json_pack("[O]", svc);
		struct sd_swarm *next = applied(sw, id_of(svc), dservices, mine);
		sd_part_unref(sw);
		sw = next;
		json_array_extend(others, mine);
		json_decref(l.tasks);
		l.tasks = others;
		json_decref(mine);
		json_decref(dservices);
	}
	struct sd_swarm *whole = decode(&l);
	char *want = shown(whole), *got = shown(sw);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "task: changed"));
	free(want);
	free(got);
	sd_part_unref(whole);
	sd_part_unref(sw);
	drop(&l);
}

static void test_service_added_and_removed(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	json_t *svc = json_array_get(l.services, 0);
	const char *id = id_of(svc);
	json_t *mine = where(l.tasks, "ServiceID", id, true);
	json_t *others = where(l.tasks, "ServiceID", id, false);
	json_t *rest = where(l.services, "ID", id, false);
	json_t *none = json_array(), *dservices = json_pack("[O]", svc);

	/* removed: the full lists without it */
	struct sd_swarm *base = decode(&l);
	struct lists without = {l.nodes, rest, others};
	check_apply(base, &without, "service", id, none, none, none);

	/* added: from the lists without it to the lists with it */
	base = decode(&without);
	struct lists with = {l.nodes, l.services, l.tasks};
	check_apply(base, &with, "service", id, none, dservices, mine);
	json_decref(dservices);
	json_decref(none);
	json_decref(mine);
	json_decref(others);
	json_decref(rest);
	drop(&l);
}

static void test_node_changed(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	struct sd_swarm *base = decode(&l);
	json_t *node = json_array_get(l.nodes, json_array_size(l.nodes) - 1);
	json_object_set_new(json_object_get(node, "Spec"), "Availability", json_string("drain"));
	json_object_set_new(json_object_get(node, "Status"), "State", json_string("down"));
	json_t *dnodes = json_pack("[O]", node), *none = json_array();
	check_apply(base, &l, "node", id_of(node), dnodes, none, none);
	json_decref(dnodes);
	json_decref(none);
	drop(&l);
}

/* Changes applied one upon another keep the parts they point into, up to a bound: then the
 * answer is "fetch it whole" (1). */
static void test_chain_bounded(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	struct sd_swarm *sw = decode(&l);
	json_t *node = json_array_get(l.nodes, 0);
	json_t *dnodes = json_pack("[O]", node), *none = json_array();
	char *n = json_dumps(dnodes, JSON_COMPACT);
	struct sd_docker_bodies b = {.nodes = n, .nodes_len = strlen(n), .services = "[]",
				     .services_len = 2, .tasks = "[]", .tasks_len = 2};
	int rc = 0, steps = 0;
	while (steps < 1000) {
		char err[256] = "";
		struct sd_swarm *next = NULL;
		rc = sd_docker_apply_bodies(sw, "node", id_of(node), &b, &next, err, sizeof(err));
		if (rc != 0)
			break;
		sd_part_unref(sw);
		sw = next;
		steps++;
	}
	assert_int_equal(rc, 1);
	assert_true(steps > 8 && steps < 100);
	assert_true(sw->part.nshares <= 64);
	free(n);
	json_decref(dnodes);
	json_decref(none);
	sd_part_unref(sw);
	drop(&l);
}

/* Against the fake engine: the filtered lists are asked, never a whole one. */
static void test_refresh_requests(void **state)
{
	(void)state;
	struct lists l;
	load(&l);
	struct sd_swarm *base = decode(&l);
	json_t *svc = json_array_get(l.services, 1);
	json_t *mine = where(l.tasks, "ServiceID", id_of(svc), true);
	json_t *svcs = json_pack("[O]", svc);
	char *sbody = json_dumps(svcs, JSON_COMPACT);
	json_decref(svcs);
	char *tbody = json_dumps(mine, JSON_COMPACT);
	char sock[64], err[256] = "";
	snprintf(sock, sizeof(sock), "/tmp/sd-delta-%d.sock", (int)getpid());
	struct fake_engine *f = fake_engine_start(sock, "1.41", err, sizeof(err));
	assert_non_null(f);
	fake_engine_route(f, "GET", "/v1.41/services", 200, sbody, FAKE_SEND_TRICKLE);
	fake_engine_route(f, "GET", "/v1.41/tasks", 200, tbody, FAKE_SEND_WHOLE);
	char host[96];
	snprintf(host, sizeof(host), "unix://%s", sock);
	struct sd_docker_config dc = {.host = host, .tls_verify = 0, .timeout_ms = 2000};
	struct sd_docker *d = sd_docker_open(&dc, err, sizeof(err));
	assert_non_null(d);
	struct sd_swarm *out = NULL;
	int rc = sd_docker_refresh_object(d, base, "service", id_of(svc), &out, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_non_null(out);
	int lists = 0, filtered = 0;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < f->nlog; i++) {
		const char *t = f->log[i].target;
		if (!strncmp(t, "/v1.41/services", 15) || !strncmp(t, "/v1.41/tasks", 12)) {
			lists++;
			filtered += strstr(t, "?filters=") != NULL;
		}
	}
	pthread_mutex_unlock(&f->lock);
	assert_int_equal(lists, 2);
	assert_int_equal(filtered, 2);
	/* a kind the refresh cannot take in place: a full fetch is asked for */
	struct sd_swarm *none = NULL;
	assert_int_equal(sd_docker_refresh_object(d, base, "network", "x", &none, err, sizeof(err)),
			 1);
	sd_part_unref(out);
	sd_part_unref(base);
	sd_docker_close(d);
	fake_engine_stop(f);
	free(sbody);
	free(tbody);
	json_decref(mine);
	drop(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service_changed),
		cmocka_unit_test(test_services_chained),
		cmocka_unit_test(test_service_added_and_removed),
		cmocka_unit_test(test_node_changed),
		cmocka_unit_test(test_chain_bounded),
		cmocka_unit_test(test_refresh_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
