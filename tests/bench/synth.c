/* synth.c - clone the captured lab responses into a large, consistent synthetic swarm (bench). */
#include "synth.h"
#include "../fake/fake_engine.h"

#include <errno.h>
#include <pthread.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE 50           /* services per synthetic stack */
#define MANAGERS 3

static char fixture_dir[4096];
static char error_text[512];

static void set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(error_text, sizeof(error_text), fmt, ap);
	va_end(ap);
}

const char *sd_synth_error(void) { return error_text; }

void sd_synth_set_dir(const char *dir)
{
	snprintf(fixture_dir, sizeof(fixture_dir), "%s", dir ? dir : "");
}

static const char *dir(void)
{
	if (fixture_dir[0])
		return fixture_dir;
	const char *env = getenv("SD_FIXTURE_DIR");
	return env && *env ? env : "tests/fixtures/docker";
}

static json_t *load(const char *name, int want_array)
{
	char path[4200];
	json_error_t jerr;
	snprintf(path, sizeof(path), "%s/%s", dir(), name);
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		set_error("%s: %s (line %d)", path, jerr.text, jerr.line);
		return NULL;
	}
	if (want_array && (!json_is_array(root) || json_array_size(root) == 0)) {
		set_error("%s: expected a non-empty JSON array", path);
		json_decref(root);
		return NULL;
	}
	return root;
}

/* A growing text: the JSON array being written. */
struct text {
	char *data;
	size_t len, cap;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 1 << 16;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = realloc(t->data, cap);
		if (!p)
			abort();
		t->data = p;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, n);
	t->len += n;
	t->data[t->len] = '\0';
}

static void text_element(struct text *t, json_t *element)
{
	char *s = json_dumps(element, JSON_COMPACT);
	if (!s)
		abort();
	text_add(t, t->len > 1 ? "," : "", t->len > 1 ? 1 : 0);
	text_add(t, s, strlen(s));
	free(s);
}

static char *text_finish(struct text *t, size_t *len)
{
	text_add(t, "]", 1);
	if (len)
		*len = t->len;
	return t->data;
}

/* Docker-like IDs: 25 lower-case alphanumerics, unique per kind and index. */
static void synth_id(char out[26], char kind, size_t i)
{
	snprintf(out, 26, "%c%024zu", kind, i);
}

static void node_hostname(char *out, size_t size, size_t i)
{
	if (i < MANAGERS)
		snprintf(out, size, "manager-%zu", i + 1);
	else
		snprintf(out, size, "worker-%zu", i - MANAGERS + 1);
}

static void set_path_string(json_t *obj, const char *a, const char *b, const char *value)
{
	json_t *inner = json_object_get(obj, a);
	if (!json_is_object(inner)) {
		inner = json_object();
		json_object_set_new(obj, a, inner);
	}
	json_object_set_new(inner, b, json_string(value));
}

static void rfc3339(char *out, size_t size, time_t t, long nanos)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%09ldZ", nanos);
}

char *sd_synth_info(size_t *len)
{
	json_t *info = load("info.json", 0);
	if (!info)
		return NULL;
	char *s = json_dumps(info, JSON_COMPACT);
	json_decref(info);
	if (len)
		*len = s ? strlen(s) : 0;
	return s;
}

char *sd_synth_nodes(size_t n, size_t *len)
{
	json_t *nodes = load("nodes.json", 1);
	if (!nodes)
		return NULL;
	json_t *manager = NULL, *worker = NULL, *item;
	size_t i;
	json_array_foreach(nodes, i, item) {
		if (json_object_get(item, "ManagerStatus")) {
			if (!manager)
				manager = item;
		} else if (!worker) {
			worker = item;
		}
	}
	if (!manager)
		manager = json_array_get(nodes, 0);
	if (!worker)
		worker = manager;

	struct text t = {0};
	text_add(&t, "[", 1);
	for (i = 0; i < n; i++) {
		bool is_manager = i < MANAGERS;
		json_t *node = json_deep_copy(is_manager ? manager : worker);
		char id[26], hostname[64], addr[32];
		synth_id(id, 'n', i);
		node_hostname(hostname, sizeof(hostname), i);
		snprintf(addr, sizeof(addr), "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255,
			 (i & 255) + 1);
		json_object_set_new(node, "ID", json_string(id));
		json_object_set_new(json_object_get(node, "Version"), "Index",
				    json_integer((json_int_t)(100 + i)));
		set_path_string(node, "Description", "Hostname", hostname);
		set_path_string(node, "Status", "Addr", addr);
		json_t *spec = json_object_get(node, "Spec");
		json_object_set_new(spec, "Role", json_string(is_manager ? "manager" : "worker"));
		if (is_manager) {
			json_t *ms = json_object();
			if (i == 0)
				json_object_set_new(ms, "Leader", json_true());
			json_object_set_new(ms, "Reachability", json_string("reachable"));
			char maddr[48];
			snprintf(maddr, sizeof(maddr), "%s:2377", addr);
			json_object_set_new(ms, "Addr", json_string(maddr));
			json_object_set_new(node, "ManagerStatus", ms);
		} else {
			json_object_del(node, "ManagerStatus");
		}
		text_element(&t, node);
		json_decref(node);
	}
	json_decref(nodes);
	return text_finish(&t, len);
}

/* "iot-guardian_backend" -> "backend" */
static const char *base_name(const char *name)
{
	const char *us = strchr(name, '_');
	return us ? us + 1 : name;
}

static void synth_service_name(char *out, size_t size, size_t i, const char *template_name)
{
	snprintf(out, size, "stack%02zu_%s-%04zu", i / STACK_SIZE, base_name(template_name), i);
}

static void rename_spec(json_t *spec, const char *name, const char *stack)
{
	if (!json_is_object(spec))
		return;
	json_object_set_new(spec, "Name", json_string(name));
	json_t *labels = json_object_get(spec, "Labels");
	if (json_is_object(labels))
		json_object_set_new(labels, "com.docker.stack.namespace", json_string(stack));
}

char *sd_synth_services(size_t n, size_t *len)
{
	json_t *services = load("services.json", 1);
	if (!services)
		return NULL;
	size_t ntemplates = json_array_size(services);
	struct text t = {0};
	text_add(&t, "[", 1);
	for (size_t i = 0; i < n; i++) {
		json_t *svc = json_deep_copy(json_array_get(services, i % ntemplates));
		char id[26], name[160], stack[32];
		synth_id(id, 's', i);
		json_t *spec = json_object_get(svc, "Spec");
		synth_service_name(name, sizeof(name), i,
				   json_string_value(json_object_get(spec, "Name")) ?: "svc");
		snprintf(stack, sizeof(stack), "stack%02zu", i / STACK_SIZE);
		json_object_set_new(svc, "ID", json_string(id));
		rename_spec(spec, name, stack);
		rename_spec(json_object_get(svc, "PreviousSpec"), name, stack);
		/* some variety the decoder must handle: pinned digests, updates in progress */
		json_t *cs = json_object_get(json_object_get(spec, "TaskTemplate"), "ContainerSpec");
		const char *image = json_string_value(json_object_get(cs, "Image"));
		if (image && i % 2 == 0 && !strchr(image, '@')) {
			char pinned[512];
			snprintf(pinned, sizeof(pinned),
				 "%s@sha256:%064x", image, (unsigned)(i * 2654435761u));
			json_object_set_new(cs, "Image", json_string(pinned));
		}
		if (i % 10 == 3 && !json_object_get(svc, "UpdateStatus")) {
			json_t *us = json_object();
			json_object_set_new(us, "State", json_string(i % 20 == 3 ? "updating"
									   : "completed"));
			json_object_set_new(us, "StartedAt", json_string("2026-11-21T05:40:00.123456789Z"));
			json_object_set_new(us, "Message", json_string(i % 20 == 3 ? "update in progress"
									      : "update completed"));
			json_object_set_new(svc, "UpdateStatus", us);
		}
		text_element(&t, svc);
		json_decref(svc);
	}
	json_decref(services);
	return text_finish(&t, len);
}

static long template_replicas(json_t *svc)
{
	json_t *r = json_object_get(json_object_get(json_object_get(json_object_get(svc, "Spec"),
								    "Mode"), "Replicated"),
				    "Replicas");
	return json_is_integer(r) && json_integer_value(r) > 0 ? (long)json_integer_value(r) : 0;
}

char *sd_synth_tasks(size_t n, size_t nservices, size_t nnodes, size_t *len)
{
	json_t *services = load("services.json", 1);
	json_t *tasks = services ? load("tasks.json", 1) : NULL;
	if (!tasks) {
		json_decref(services);
		return NULL;
	}
	if (nservices == 0 || nnodes == 0) {
		set_error("tasks need at least one service and one node");
		json_decref(services);
		json_decref(tasks);
		return NULL;
	}
	size_t ntemplates = json_array_size(services);
	/* per template service: its tasks wanted running, and the others (history) */
	json_t **running = calloc(ntemplates, sizeof(json_t *));
	json_t **history = calloc(ntemplates, sizeof(json_t *));
	for (size_t s = 0; s < ntemplates; s++) {
		running[s] = json_array();
		history[s] = json_array();
	}
	size_t i;
	json_t *item;
	json_array_foreach(tasks, i, item) {
		const char *sid = json_string_value(json_object_get(item, "ServiceID"));
		const char *desired = json_string_value(json_object_get(item, "DesiredState"));
		for (size_t s = 0; sid && s < ntemplates; s++) {
			const char *id = json_string_value(json_object_get(json_array_get(services, s),
									   "ID"));
			if (id && !strcmp(id, sid)) {
				bool run = desired && !strcmp(desired, "running");
				json_array_append(run ? running[s] : history[s], item);
			}
		}
	}

	time_t base = 1795240000;   /* a fixed clock keeps the output deterministic */
	struct text t = {0};
	text_add(&t, "[", 1);
	for (size_t k = 0; k < n; k++) {
		size_t s = k % nservices, round = k / nservices, ts = s % ntemplates;
		json_t *tpl_service = json_array_get(services, ts);
		long replicas = template_replicas(tpl_service);
		bool want_running = replicas ? (long)round < replicas : round == 0;
		json_t *pool = want_running ? running[ts] : history[ts];
		bool retire = false;   /* a running template made into a history entry */
		if (json_array_size(pool) == 0) {
			pool = want_running ? history[ts] : running[ts];
			retire = !want_running;
		}
		json_t *tpl = json_array_size(pool) ? json_array_get(pool, round % json_array_size(pool))
						    : json_array_get(tasks, k % json_array_size(tasks));
		json_t *task = json_deep_copy(tpl);
		if (retire) {
			json_object_set_new(task, "DesiredState", json_string("shutdown"));
			set_path_string(task, "Status", "State", round % 3 ? "shutdown" : "failed");
			set_path_string(task, "Status", "Message", round % 3 ? "shutdown" : "started");
			if (round % 3 == 0)
				set_path_string(task, "Status", "Err", "task: non-zero exit (1)");
		}
		char id[26], sid[26], nid[26], stamp[48];
		synth_id(id, 't', k);
		synth_id(sid, 's', s);
		synth_id(nid, 'n', (s * 7 + round) % nnodes);
		json_object_set_new(task, "ID", json_string(id));
		json_object_set_new(task, "ServiceID", json_string(sid));
		const char *node = json_string_value(json_object_get(task, "NodeID"));
		if (node && *node)
			json_object_set_new(task, "NodeID", json_string(nid));
		if (replicas)
			json_object_set_new(task, "Slot", json_integer((json_int_t)(round % (size_t)replicas) + 1));
		rfc3339(stamp, sizeof(stamp), base - (time_t)(round * 7 + s % 60), (long)(k % 1000000000));
		set_path_string(task, "Status", "Timestamp", stamp);
		text_element(&t, task);
		json_decref(task);
	}
	for (size_t s = 0; s < ntemplates; s++) {
		json_decref(running[s]);
		json_decref(history[s]);
	}
	free(running);
	free(history);
	json_decref(services);
	json_decref(tasks);
	return text_finish(&t, len);
}

/* ---- the fake engine (tests/fake, in a child process) ---- */

static void child_fail(int ready_fd, const char *what)
{
	char msg[600];
	int n = snprintf(msg, sizeof(msg), "E%s", what);
	if (write(ready_fd, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

/* ---- a synthetic engine that changes: filtered lists and events ---- */

struct synth_engine {
	pthread_mutex_t lock;
	json_t *nodes, *services, *tasks_by_service; /* by ID: node, service, [tasks] */
	json_t *order;                               /* the services' IDs, in list order */
	size_t next;                                 /* the next service sd_synth_change touches */
	struct fake_engine *fake;
};

static int hex_value(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The first value of KEY in the target's ?filters={...} (percent-decoded), or NULL. */
static char *filter_value(const char *target, const char *key)
{
	const char *q = strstr(target, "filters=");
	if (!q)
		return NULL;
	q += 8;
	char buf[1024];
	size_t n = 0;
	while (*q && *q != '&' && n + 1 < sizeof(buf)) {
		if (*q == '%' && hex_value(q[1]) >= 0 && hex_value(q[2]) >= 0) {
			buf[n++] = (char)(hex_value(q[1]) * 16 + hex_value(q[2]));
			q += 3;
		} else {
			buf[n++] = *q++;
		}
	}
	buf[n] = '\0';
	json_t *f = json_loads(buf, 0, NULL);
	const char *v = json_string_value(json_array_get(json_object_get(f, key), 0));
	char *out = v ? strdup(v) : NULL;
	json_decref(f);
	return out;
}

static char *list_of(json_t *item)
{
	json_t *list = json_array();
	if (item)
		json_array_append(list, item);
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return text;
}

static char *synth_answer(void *user, const char *method, const char *target, int *status)
{
	struct synth_engine *e = user;
	if (strcmp(method, "GET") || !strstr(target, "filters="))
		return NULL;
	*status = 200;
	char *out = NULL;
	pthread_mutex_lock(&e->lock);
	if (!strncmp(target, "/v1.41/services?", 16)) {
		char *id = filter_value(target, "id");
		out = list_of(id ? json_object_get(e->services, id) : NULL);
		free(id);
	} else if (!strncmp(target, "/v1.41/tasks?", 13)) {
		char *id = filter_value(target, "service");
		json_t *t = id ? json_object_get(e->tasks_by_service, id) : NULL;
		out = t ? json_dumps(t, JSON_COMPACT) : strdup("[]");
		free(id);
	} else if (!strncmp(target, "/v1.41/nodes?", 13)) {
		char *id = filter_value(target, "id");
		out = list_of(id ? json_object_get(e->nodes, id) : NULL);
		free(id);
	}
	pthread_mutex_unlock(&e->lock);
	return out;
}

static json_t *by_id(const char *text)
{
	json_t *list = json_loads(text, 0, NULL), *map = json_object();
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		const char *id = json_string_value(json_object_get(item, "ID"));
		if (id)
			json_object_set(map, id, item);
	}
	json_decref(list);
	return map;
}

/* The next service's version goes up by one and its update event goes out. */
static void synth_change(struct synth_engine *e)
{
	pthread_mutex_lock(&e->lock);
	size_t n = json_array_size(e->order);
	const char *id = n ? json_string_value(json_array_get(e->order, e->next++ % n)) : NULL;
	json_t *svc = id ? json_object_get(e->services, id) : NULL;
	char line[512] = "";
	if (svc) {
		json_t *version = json_object_get(svc, "Version");
		json_object_set_new(version, "Index",
				    json_integer(json_integer_value(json_object_get(version, "Index")) + 1));
		const char *name = json_string_value(json_object_get(json_object_get(svc, "Spec"), "Name"));
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(line, sizeof(line),
			 "{\"Type\":\"service\",\"Action\":\"update\",\"Actor\":{\"ID\":\"%s\","
			 "\"Attributes\":{\"name\":\"%s\"}},\"scope\":\"swarm\",\"time\":%lld,"
			 "\"timeNano\":%lld}", id, name ? name : "", (long long)ts.tv_sec,
			 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	}
	pthread_mutex_unlock(&e->lock);
	if (*line)
		fake_engine_emit(e->fake, line);
}

void sd_synth_answer_filters(struct fake_engine *f, const char *nodes, const char *services,
			     const char *tasks)
{
	struct synth_engine *e = calloc(1, sizeof(*e));
	if (!e)
		abort();
	pthread_mutex_init(&e->lock, NULL);
	e->fake = f;
	e->nodes = by_id(nodes);
	e->services = by_id(services);
	e->order = json_array();
	json_t *list = json_loads(services, 0, NULL);
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
		json_array_append(e->order, json_object_get(item, "ID"));
	json_decref(list);
	e->tasks_by_service = json_object();
	list = json_loads(tasks, 0, NULL);
	json_array_foreach(list, i, item) {
		const char *sid = json_string_value(json_object_get(item, "ServiceID"));
		if (!sid)
			continue;
		json_t *mine = json_object_get(e->tasks_by_service, sid);
		if (!mine)
			json_object_set_new(e->tasks_by_service, sid, mine = json_array());
		json_array_append(mine, item);
	}
	json_decref(list);
	f->answer = synth_answer;
	f->answer_user = e;
	f->change = (void (*)(void *))synth_change;
}

void sd_synth_change_now(struct fake_engine *f)
{
	if (f->change)
		f->change(f->answer_user);
}

pid_t sd_synth_serve(const char *path, size_t nnodes, size_t nservices, size_t ntasks)
{
	int pipefd[2];
	if (pipe(pipefd) < 0) {
		set_error("pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		set_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		sigset_t signals;
		sigemptyset(&signals);
		sigaddset(&signals, SIGUSR1);
		sigaddset(&signals, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &signals, NULL);
		const char *info = sd_synth_info(NULL), *nodes = sd_synth_nodes(nnodes, NULL),
			   *services = sd_synth_services(nservices, NULL),
			   *tasks = sd_synth_tasks(ntasks, nservices, nnodes, NULL);
		if (!info || !nodes || !services || !tasks)
			child_fail(pipefd[1], error_text);
		char err[512];
		struct fake_engine *f = fake_engine_start(path, "1.41", err, sizeof(err));
		if (!f)
			child_fail(pipefd[1], err);
		fake_engine_route(f, "GET", "/_ping", 200, "OK", FAKE_SEND_WHOLE);
		fake_engine_route(f, "GET", "/v1.41/info", 200, info, FAKE_SEND_WHOLE);
		fake_engine_route(f, "GET", "/v1.41/nodes", 200, nodes, FAKE_SEND_WHOLE);
		fake_engine_route(f, "GET", "/v1.41/services", 200, services, FAKE_SEND_WHOLE);
		fake_engine_route(f, "GET", "/v1.41/tasks", 200, tasks, FAKE_SEND_WHOLE);
		fake_engine_route(f, "GET", "/v1.41/events", 200, "", FAKE_SEND_EVENTS);
		sd_synth_answer_filters(f, nodes, services, tasks);
		if (getenv("SD_SYNTH_LOG"))
			f->log_file = fopen(getenv("SD_SYNTH_LOG"), "a");
		if (write(pipefd[1], "R", 1) != 1)
			_exit(1);
		close(pipefd[1]);
		for (;;) {   /* SIGUSR1: one service changes; SIGTERM (sd_synth_stop): the end */
			int sig = 0;
			sigwait(&signals, &sig);
			if (sig != SIGUSR1)
				_exit(0);
			sd_synth_change_now(f);
		}
	}
	close(pipefd[1]);
	char msg[600] = "";
	ssize_t n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (n == 1 && msg[0] == 'R')
		return pid;
	msg[n > 0 ? n : 0] = '\0';
	set_error("fake engine: %s", n > 1 ? msg + 1 : "exited before listening");
	waitpid(pid, NULL, 0);
	return -1;
}

void sd_synth_change(pid_t pid)
{
	if (pid > 0)
		kill(pid, SIGUSR1);
}

void sd_synth_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}
