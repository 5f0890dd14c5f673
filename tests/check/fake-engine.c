/* fake-engine.c - a Docker engine for the quick tier (tests/check/run): the fake engine of
 * tests/fake serving the captured lab responses, or a synthetic swarm, on a unix socket, so
 * the real binary can be played against it with neither root nor the lab.
 *
 *   fake-engine SOCKET [--fixtures DIR] [--info FILE] [--nodes FILE] [--services FILE]
 *               [--tasks FILE] [--networks FILE] [--secrets FILE] [--configs FILE]
 *               [--synth NODES SERVICES TASKS] [--log FILE]
 *
 * --info, --nodes, --services, --tasks, --networks, --secrets and --configs name another file
 * of the fixture folder for that list (default info.json, nodes.json, services.json,
 * tasks.json, networks.json, secrets.json, configs.json), e.g. the captured scenarios
 * nodes-worker-down.json or services-rollback-started.json.
 * Answers GET /_ping, /version, /v1.41/{info,nodes,services,tasks,networks,secrets,configs}
 * (the synthetic swarm has no networks, secrets or configs: []) and /v1.41/events (held
 * open, no events). With fixtures, also GET /v1.41/services/{id|name} and
 * /v1.41/nodes/{id|hostname} (the object out of the list) and POST .../{id}/update (200, and
 * nothing changes: the lists stay as captured). Every request is appended to the --log file
 * as "METHOD TARGET". With --synth, also the lists filtered on one ID (a service by "id",
 * its tasks by "service", a node by "id"), and on SIGUSR1 the next service changes (its
 * version goes up) and its update event goes out on the open event streams (synth.h).
 * Prints "ready" once it listens; runs until SIGTERM or SIGINT, then
 * removes the socket and exits 0. Exit 2 on a usage error or when a file cannot be read. */
#include "../fake/fake_engine.h"
#include "../bench/synth.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "1.41"
#define MAX_OBJECTS 12          /* per-object routes for at most this many nodes and services */

static char *read_file(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fake-engine: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Strings kept for the engine's lifetime (routes point into them). */
static char *keep(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *keep(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char *s = strdup(buf);
	if (!s)
		abort();
	return s;
}

static void route(struct fake_engine *f, const char *method, const char *path, int status,
		  const char *body, enum fake_send send)
{
	if (fake_engine_route(f, method, path, status, body, send) != 0) {
		fprintf(stderr, "fake-engine: too many routes\n");
		exit(2);
	}
}

/* GET /v1.41/KIND/{id} and /{name}, POST /v1.41/KIND/{id}/update, for each object of LIST. */
static void object_routes(struct fake_engine *f, const char *kind, const char *list,
			  const char *name_path)
{
	json_error_t jerr;
	json_t *root = json_loads(list, 0, &jerr);
	if (!json_is_array(root)) {
		fprintf(stderr, "fake-engine: %s: not a JSON array (%s)\n", kind, jerr.text);
		exit(2);
	}
	size_t i;
	json_t *obj;
	json_array_foreach(root, i, obj) {
		if (i >= MAX_OBJECTS)
			break;
		const char *id = json_string_value(json_object_get(obj, "ID"));
		json_t *name = json_object_get(obj, "Spec");
		if (!strcmp(name_path, "Description.Hostname"))
			name = json_object_get(json_object_get(obj, "Description"), "Hostname");
		else
			name = json_object_get(name, "Name");
		if (!id)
			continue;
		char *body = json_dumps(obj, JSON_COMPACT);
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "/v%s/%s", API, kind);
		route(f, "POST", keep("%s/%s/update", prefix, id), 200, "{\"Warnings\":null}",
		      FAKE_SEND_WHOLE);
		route(f, "GET", keep("%s/%s", prefix, id), 200, body, FAKE_SEND_WHOLE);
		if (json_string_value(name))
			route(f, "GET", keep("%s/%s", prefix, json_string_value(name)), 200, body,
			      FAKE_SEND_WHOLE);
	}
	json_decref(root);
}

static void usage(void)
{
	fprintf(stderr, "usage: fake-engine SOCKET [--fixtures DIR] [--info FILE] [--nodes FILE]"
			" [--services FILE] [--tasks FILE] [--networks FILE] [--secrets FILE]"
			" [--configs FILE] [--synth NODES SERVICES TASKS]"
			" [--log FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *socket_path = argv[1], *dir = "tests/fixtures/docker", *log_path = NULL;
	const char *files[7] = {"info.json", "nodes.json", "services.json", "tasks.json",
				"networks.json", "secrets.json", "configs.json"};
	static const char *const file_options[7] = {"--info", "--nodes", "--services", "--tasks",
						    "--networks", "--secrets", "--configs"};
	size_t synth[3] = {0, 0, 0};
	for (int i = 2; i < argc; i++) {
		int which = -1;
		for (int k = 0; k < 7; k++)
			if (!strcmp(argv[i], file_options[k]))
				which = k;
		if (which >= 0 && i + 1 < argc) {
			files[which] = argv[++i];
		} else if (!strcmp(argv[i], "--fixtures") && i + 1 < argc) {
			dir = argv[++i];
		} else if (!strcmp(argv[i], "--log") && i + 1 < argc) {
			log_path = argv[++i];
		} else if (!strcmp(argv[i], "--synth") && i + 3 < argc) {
			for (int k = 0; k < 3; k++) {
				char *end;
				synth[k] = strtoul(argv[++i], &end, 10);
				if (*end || synth[k] == 0)
					usage();
			}
		} else {
			usage();
		}
	}

	const char *info, *nodes, *services, *tasks, *networks = "[]", *secrets = "[]",
		   *configs = "[]";
	if (synth[0]) {
		sd_synth_set_dir(dir);
		info = sd_synth_info(NULL);
		nodes = sd_synth_nodes(synth[0], NULL);
		services = sd_synth_services(synth[1], NULL);
		tasks = sd_synth_tasks(synth[2], synth[1], synth[0], NULL);
		if (!info || !nodes || !services || !tasks) {
			fprintf(stderr, "fake-engine: %s\n", sd_synth_error());
			return 2;
		}
	} else {
		info = read_file(dir, files[0]);
		nodes = read_file(dir, files[1]);
		services = read_file(dir, files[2]);
		tasks = read_file(dir, files[3]);
		networks = read_file(dir, files[4]);
		secrets = read_file(dir, files[5]);
		configs = read_file(dir, files[6]);
	}

	/* the signals are taken by sigwait below, never by a thread of the engine */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	char err[512];
	struct fake_engine *f = fake_engine_start(socket_path, API, err, sizeof(err));
	if (!f) {
		fprintf(stderr, "fake-engine: %s\n", err);
		return 2;
	}
	if (log_path) {
		f->log_file = fopen(log_path, "a");
		if (!f->log_file) {
			fprintf(stderr, "fake-engine: %s: %s\n", log_path, strerror(errno));
			fake_engine_stop(f);
			return 2;
		}
	}
	route(f, "GET", "/_ping", 200, "OK", FAKE_SEND_WHOLE);
	route(f, "HEAD", "/_ping", 200, "", FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/info", 200, info, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/nodes", 200, nodes, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/services", 200, services, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/tasks", 200, tasks, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/networks", 200, networks, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/secrets", 200, secrets, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/configs", 200, configs, FAKE_SEND_WHOLE);
	route(f, "GET", "/v" API "/events", 200, "", FAKE_SEND_EVENTS);
	if (!synth[0]) {
		object_routes(f, "services", services, "Spec.Name");
		object_routes(f, "nodes", nodes, "Description.Hostname");
	} else {
		sd_synth_answer_filters(f, nodes, services, tasks);
	}
	printf("ready\n");
	fflush(stdout);

	int sig = 0;
	while (sigwait(&stop, &sig) == 0 && sig == SIGUSR1)
		sd_synth_change_now(f);
	FILE *log_file = f->log_file;
	fake_engine_stop(f);
	if (log_file)
		fclose(log_file);
	return 0;
}
