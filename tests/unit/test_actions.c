/* test_actions.c - the action registry through a core that runs no pollers: entries by id,
 * navigation handler slots, held targets (refused with the holder and since when, audited),
 * actions on different targets side by side (against a fake engine on a unix socket that
 * counts the updates in flight), and guards checked again on the worker. */
#include "actions.h"
#include "conf/keymap.h"
#include "conf/config.h"
#include "core.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- a swarm to act on ---- */

static struct sd_swarm *make_swarm(bool manager3_down)
{
	static const char *const hosts[] = {"manager-1", "manager-2", "manager-3", "worker-1",
					    "worker-2"};
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_arena *a = sw->part.arena;
	sw->nnodes = 5;
	sw->nodes = sd_arena_alloc(a, 6 * sizeof(struct sd_node));
	for (size_t i = 0; i < 5; i++) {
		struct sd_node *n = &sw->nodes[i];
		bool manager = i < 3, down = manager3_down && i == 2;
		n->id = sd_arena_printf(a, "id-%s", hosts[i]);
		n->hostname = hosts[i];
		n->role = manager ? "manager" : "worker";
		n->state = down ? "down" : "ready";
		n->manager = !manager ? "" : i == 0 ? "leader" : down ? "unreachable" : "reachable";
		n->availability = "active";
		n->engine = n->addr = n->message = "";
		if (manager) {
			sw->managers++;
			sw->managers_reachable += !down;
		}
	}
	sw->leader = "manager-1";
	static const char *const services[] = {"app_backend", "app_frontend"};
	sw->nservices = 2;
	sw->services = sd_services_new(a, 3);
	for (size_t i = 0; i < 2; i++) {
		struct sd_service *s = sw->services[i];
		s->id = sd_arena_printf(a, "sid-%s", services[i]);
		s->name = services[i];
		s->mode = "replicated";
		s->update_state = s->update_message = s->stack = s->image = "";
		s->desired = s->running = 3;
	}
	sw->engine_name = "manager-1";
	return sw;
}

static char audit_path[256], socket_path[108];

static struct sd_core *make_core(struct sd_config *config, const char *host)
{
	memset(config, 0, sizeof(*config));
	config->docker.host = (char *)(host ? host : "unix:///nonexistent/docker.sock");
	config->docker.timeout_ms = 10000;
	config->docker.tls_verify = -1;
	config->interval = 2;
	config->scale_max = 10;
	snprintf(audit_path, sizeof(audit_path), "/tmp/sd-test-actions-%d/audit.log", (int)getpid());
	config->audit_log = audit_path;
	unlink(audit_path);
	struct sd_error err;
	struct sd_core *core = sd_core_new(config, SD_MODE_LIVE, &err);
	assert_non_null(core);
	sd_core_put_swarm(core, make_swarm(false));
	return core;
}

/* Audit lines holding every one of the NULL-terminated needles. */
static int audit_lines(const char *first, ...)
{
	FILE *f = fopen(audit_path, "r");
	int n = 0;
	char line[8192];
	while (f && fgets(line, sizeof(line), f)) {
		va_list ap;
		va_start(ap, first);
		bool all = true;
		for (const char *s = first; s; s = va_arg(ap, const char *))
			all = all && strstr(line, s);
		va_end(ap);
		n += all;
	}
	if (f)
		fclose(f);
	return n;
}

/* Wait up to 10 s for COUNT audit lines with both needles. */
static bool audit_wait(int count, const char *a, const char *b)
{
	for (int i = 0; i < 1000; i++) {
		if (audit_lines(a, b, (const char *)NULL) >= count)
			return true;
		usleep(10000);
	}
	return false;
}

/* Wait (10 s at most) until the snapshot's status message holds NEEDLE. */
static bool message_wait(struct sd_core *core, const char *needle)
{
	for (int i = 0; i < 1000; i++) {
		struct sd_snapshot *snap = sd_core_snapshot(core);
		bool found = strstr(snap->message, needle) != NULL;
		sd_snapshot_unref(snap);
		if (found)
			return true;
		usleep(10000);
	}
	return false;
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	int rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("'%s' does not match /%s/", text, pattern);
}

static const struct sd_action *A(enum sd_action_id id) { return sd_action_get(id); }

/* ---- the registry ---- */

static void test_entries_by_id(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++, n++) {
		assert_ptr_equal(sd_action_get((*a)->id), *a);
		assert_int_equal((*a)->id, (int)n);          /* help order is id order */
		assert_non_null((*a)->name);
		assert_non_null((*a)->help);
		assert_ptr_equal(sd_action_find((*a)->name), *a);
		assert_true((*a)->mutates == ((*a)->check != NULL && (*a)->run != NULL));
	}
	assert_int_equal(n, SD_ACTION_COUNT);
	assert_null(sd_action_get(SD_ACTION_COUNT));
	assert_null(sd_action_get((enum sd_action_id)-1));
	assert_null(sd_action_find("service.scael"));
}

/* A keymap holds the entry it names: what a key dispatches is a registry entry, never a
 * string that might name nothing; an unknown name does not load. */
static void test_keymap_resolves_entries(void **state)
{
	(void)state;
	struct sd_keymap k;
	struct sd_error err;
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &k, &err), 0);
	for (size_t i = 0; i < k.n; i++)
		assert_ptr_equal(sd_action_get(k.bindings[i].action->id), k.bindings[i].action);
	assert_ptr_equal(sd_keymap_lookup(&k, SD_SCOPE_SERVICES, 'q'), A(SD_ACTION_QUIT));
	sd_keymap_free(&k);

	char path[128];
	snprintf(path, sizeof(path), "/tmp/sd-test-actions-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("generic:\n  q: quit\n  x: cursor.dwon\n", f);
	fclose(f);
	assert_int_equal(sd_keymap_load(path, sd_action_find, &k, &err), -1);
	assert_non_null(strstr(err.text, ":3:6: unknown action 'cursor.dwon'"));
	unlink(path);
}

#define NHANDLERS 64
static int calls[NHANDLERS];
static void *last_frontend;
#define HANDLER(i) static void h##i(void *p) { calls[i]++; last_frontend = p; }
HANDLER(0) HANDLER(1) HANDLER(2) HANDLER(3) HANDLER(4) HANDLER(5) HANDLER(6) HANDLER(7)
HANDLER(8) HANDLER(9) HANDLER(10) HANDLER(11) HANDLER(12) HANDLER(13) HANDLER(14) HANDLER(15)
HANDLER(16) HANDLER(17) HANDLER(18) HANDLER(19) HANDLER(20) HANDLER(21) HANDLER(22) HANDLER(23)
HANDLER(24) HANDLER(25) HANDLER(26) HANDLER(27) HANDLER(28) HANDLER(29) HANDLER(30) HANDLER(31)
HANDLER(32) HANDLER(33) HANDLER(34) HANDLER(35) HANDLER(36) HANDLER(37) HANDLER(38) HANDLER(39)
HANDLER(40) HANDLER(41) HANDLER(42) HANDLER(43) HANDLER(44) HANDLER(45) HANDLER(46) HANDLER(47)
HANDLER(48) HANDLER(49) HANDLER(50) HANDLER(51) HANDLER(52) HANDLER(53) HANDLER(54) HANDLER(55)
HANDLER(56) HANDLER(57) HANDLER(58) HANDLER(59) HANDLER(60) HANDLER(61) HANDLER(62) HANDLER(63)
static sd_navigate_fn *const handlers[] = {
	h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11, h12, h13, h14, h15, h16, h17, h18, h19,
	h20, h21, h22, h23, h24, h25, h26, h27, h28, h29, h30, h31, h32, h33, h34, h35, h36, h37,
	h38, h39, h40, h41, h42, h43, h44, h45, h46, h47, h48, h49, h50, h51, h52, h53, h54, h55,
	h56, h57, h58, h59, h60, h61, h62, h63,
};

/* One handler per navigation entry, in registry order; N of them. */
static size_t navigation_table(struct sd_navigation *table)
{
	size_t n = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++)
		if (!(*a)->mutates) {
			assert_true(n < sizeof(handlers) / sizeof(handlers[0]));
			table[n] = (struct sd_navigation){(*a)->id, handlers[n]};
			n++;
		}
	return n;
}

static void test_navigation_slots(void **state)
{
	(void)state;
	struct sd_navigation table[SD_ACTION_COUNT + 1];
	char err[256];
	size_t n = navigation_table(table), navigation = 0;
	for (const struct sd_action *const *a = sd_actions(); *a; a++)
		navigation += !(*a)->mutates;
	assert_true(n >= 23); /* the contract's navigation entries, pane.zoom the newest */
	assert_int_equal(n, navigation);
	assert_int_equal(sd_actions_bind_navigation(table, n, err, sizeof(err)), 0);
	int frontend;
	for (const struct sd_action *const *a = sd_actions(); *a; a++) {
		memset(calls, 0, sizeof(calls));
		if ((*a)->mutates) {
			/* a mutating entry has no handler: it is the core's to run */
			assert_false(sd_action_bound(*a));
			assert_int_equal(sd_action_navigate(*a, &frontend), -1);
			continue;
		}
		assert_true(sd_action_bound(*a));
		assert_int_equal(sd_action_navigate(*a, &frontend), 0);
		assert_ptr_equal(last_frontend, &frontend);
		int total = 0;
		for (size_t i = 0; i < NHANDLERS; i++)
			total += calls[i];
		assert_int_equal(total, 1);
	}
	assert_int_equal(sd_action_navigate(NULL, &frontend), -1);

	/* a missing handler: refused, naming the entry; the slots stay as they were */
	assert_int_equal(sd_actions_bind_navigation(table + 1, n - 1, err, sizeof(err)), -1);
	assert_string_equal(err, "navigation action quit has no handler");
	assert_true(sd_action_bound(A(SD_ACTION_QUIT)));
	/* a handler for an entry that is not navigation */
	table[n] = (struct sd_navigation){SD_ACTION_NODE_DRAIN, h0};
	assert_int_equal(sd_actions_bind_navigation(table, n + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "node.drain is not a navigation action"));
	assert_false(sd_action_bound(A(SD_ACTION_NODE_DRAIN)));
	/* two for one entry */
	table[n] = (struct sd_navigation){SD_ACTION_HELP, h0};
	assert_int_equal(sd_actions_bind_navigation(table, n + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "help has a handler already"));
	/* an id the registry does not have */
	table[n] = (struct sd_navigation){SD_ACTION_COUNT, h0};
	assert_int_equal(sd_actions_bind_navigation(table, n + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not in the registry"));
	/* no function */
	table[0].run = NULL;
	assert_int_equal(sd_actions_bind_navigation(table, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quit is given no function"));
}

/* ---- held targets ---- */

static void test_held_target_refused(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, NULL); /* no workers: queued actions stay */
	struct sd_request first, second, other, node, late;

	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_SCALE), "app_backend", "5",
					   &first), 0);
	/* prepared twice before either is confirmed: both dialogs may open ... */
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_REDEPLOY), "sid-app_backend",
					   "", &late), 0);
	assert_int_equal(first.nholds, 1);
	assert_string_equal(first.holds[0].key, "service app_backend");
	assert_int_equal(sd_action_submit(core, &first, "yes"), 0);
	assert_true(first.ticket > 0);

	/* a second mutating action on the held service: refused at the dialog, holder and time */
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_SCALE), "sid-app_backend",
					   "2", &second), -1);
	assert_matches(second.result,
		       "^app_backend is held by service\\.scale since [0-2][0-9]:[0-5][0-9]:[0-6][0-9]$");
	assert_int_equal(audit_lines("\"result\":\"refused\"", "is held by service.scale since",
				     "\"action\":\"service.scale\"", (const char *)NULL), 1);
	/* ... and the one confirmed after the first was queued is refused when submitted */
	assert_int_equal(sd_action_submit(core, &late, "yes"), -1);
	assert_non_null(strstr(late.result, "app_backend is held by service.scale since"));
	assert_int_equal(audit_lines("\"result\":\"refused\"", "\"action\":\"service.redeploy\"",
				     "is held by", (const char *)NULL), 1);

	/* other targets are free: a second service and a node go side by side */
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_SCALE), "app_frontend", "4",
					   &other), 0);
	assert_int_equal(sd_action_submit(core, &other, "y"), 0);
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_NODE_DRAIN), "id-worker-1", "", &node), 0);
	assert_string_equal(node.holds[0].label, "worker-1");
	assert_int_equal(sd_action_submit(core, &node, "yes"), 0);
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_NODE_PAUSE), "id-worker-1", "", &late), -1);
	assert_matches(late.result, "^worker-1 is held by node\\.drain since ");
	/* the nothing-queued state is not settled while they wait */
	assert_false(sd_core_settled(core));
	sd_core_free(core);
}

/* ---- guards again on the worker ---- */

static void test_guard_fails_at_run(void **state)
{
	(void)state;
	struct sd_config config;
	struct sd_core *core = make_core(&config, NULL);
	sd_core_start_workers(core);
	struct sd_request demote, scale, again;

	/* 3 managers reachable when the dialog opens: a plain yes is enough ... */
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_NODE_DEMOTE), "id-manager-2", "",
					   &demote), 0);
	assert_int_equal(demote.confirm, SD_CONFIRM_YES);
	/* ... but manager-3 goes down before the worker runs it: quorum would be lost */
	sd_core_put_swarm(core, make_swarm(true));
	assert_int_equal(sd_action_submit(core, &demote, "yes"), 0);
	assert_true(audit_wait(1, "\"action\":\"node.demote\"", "\"result\":\"failed\""));
	assert_int_equal(audit_lines("\"action\":\"node.demote\"", "not run: the situation changed",
				     "quorum would be LOST", (const char *)NULL), 1);
	assert_int_equal(audit_lines("\"action\":\"node.demote\"", "to go on", (const char *)NULL), 0);
	/* the worker audits before it sets the status line: wait for its line, or it could come
	 * after the next action's and hide it */
	assert_true(message_wait(core, "node.demote"));

	/* scale_max lowered between the dialog and the run */
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_SCALE), "app_backend", "8",
					   &scale), 0);
	config.scale_max = 4;
	assert_int_equal(sd_action_submit(core, &scale, "yes"), 0);
	assert_true(audit_wait(1, "\"action\":\"service.scale\"", "\"result\":\"failed\""));
	assert_int_equal(audit_lines("\"action\":\"service.scale\"",
				     "not run: scale app_backend: 8 replicas is more than scale_max (4)",
				     (const char *)NULL), 1);
	/* the snapshot's message says it like any other failure */
	assert_true(message_wait(core, "service.scale app_backend: not run:"));

	/* a failed action gives its targets back */
	config.scale_max = 10;
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_SERVICE_SCALE), "app_backend", "2",
					   &again), 0);
	sd_core_free(core);
}

/* ---- a fake engine that answers node updates only when two are in flight ---- */

struct fake {
	int lfd;
	pthread_t thread;
	volatile int stop;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int in_flight, max_in_flight, updates;
};

static void send_text(int fd, int status, const char *extra, const char *body)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
			 status, extra, strlen(body));
	if (write(fd, head, (size_t)n) != n || write(fd, body, strlen(body)) < 0)
		return;
}

static void answer(struct fake *f, int fd, const char *method, const char *target)
{
	if (strstr(target, "/_ping")) {
		send_text(fd, 200, "Api-Version: 1.41\r\n", "OK");
	} else if (!strcmp(method, "GET") && strstr(target, "/nodes/id-")) {
		char body[512];
		const char *id = strstr(target, "/nodes/") + 7;
		snprintf(body, sizeof(body),
			 "{\"ID\":\"%.64s\",\"Version\":{\"Index\":7},"
			 "\"Spec\":{\"Role\":\"worker\",\"Availability\":\"active\"}}", id);
		send_text(fd, 200, "", body);
	} else if (!strcmp(method, "POST") && strstr(target, "/update")) {
		/* hold the answer until a second update arrives (or 3 s pass) */
		pthread_mutex_lock(&f->lock);
		f->in_flight++;
		f->updates++;
		if (f->in_flight > f->max_in_flight)
			f->max_in_flight = f->in_flight;
		pthread_cond_broadcast(&f->changed);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 3;
		while (f->max_in_flight < 2 &&
		       pthread_cond_timedwait(&f->changed, &f->lock, &until) != ETIMEDOUT)
			;
		f->in_flight--;
		pthread_mutex_unlock(&f->lock);
		send_text(fd, 200, "", "");
	} else {
		send_text(fd, 404, "", "{\"message\":\"page not found\"}");
	}
}

static void *fake_connection(void *arg)
{
	struct fake *f = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	free(arg);
	char buf[1 << 14];
	size_t have = 0;
	while (!f->stop) {
		char *end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 50) <= 0)
				continue;
			ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (r <= 0)
				break;
			have += (size_t)r;
			continue;
		}
		size_t head = (size_t)(end + 4 - buf), body = 0;
		buf[head - 1] = '\0';
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl)
			body = (size_t)atol(cl + 17);
		while (have < head + body) {
			ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (r <= 0)
				goto out;
			have += (size_t)r;
		}
		char method[8] = "", target[512] = "";
		sscanf(buf, "%7s %511s", method, target);
		memmove(buf, buf + head + body, have - head - body);
		have -= head + body;
		answer(f, fd, method, target);
	}
out:
	close(fd);
	return NULL;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	while (!f->stop) {
		struct pollfd p = {.fd = f->lfd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		void **arg2 = malloc(2 * sizeof(void *));
		arg2[0] = f;
		arg2[1] = (void *)(intptr_t)fd;
		pthread_t t;
		if (pthread_create(&t, NULL, fake_connection, arg2) == 0)
			pthread_detach(t);
	}
	return NULL;
}

static void test_different_targets_side_by_side(void **state)
{
	(void)state;
	struct fake f = {.lfd = -1};
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.changed, NULL);
	snprintf(socket_path, sizeof(socket_path), "/tmp/sd-test-actions-%d.sock", (int)getpid());
	unlink(socket_path);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	f.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f.lfd >= 0);
	assert_int_equal(bind(f.lfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(f.lfd, 8), 0);
	assert_int_equal(pthread_create(&f.thread, NULL, fake_main, &f), 0);

	char host[160];
	snprintf(host, sizeof(host), "unix://%s", socket_path);
	struct sd_config config;
	struct sd_core *core = make_core(&config, host);
	sd_core_start_workers(core);
	struct sd_request one, two;
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_NODE_DRAIN), "id-worker-1", "", &one), 0);
	assert_int_equal(sd_action_submit(core, &one, "yes"), 0);
	assert_int_equal(sd_action_prepare(core, A(SD_ACTION_NODE_DRAIN), "id-worker-2", "", &two), 0);
	assert_int_equal(sd_action_submit(core, &two, "yes"), 0);
	assert_true(audit_wait(2, "\"action\":\"node.drain\"", "\"result\":\"ok\""));
	sd_core_free(core);

	f.stop = 1;
	pthread_join(f.thread, NULL);
	close(f.lfd);
	unlink(socket_path);
	/* both updates were at the engine at once: neither waited for the other */
	assert_int_equal(f.updates, 2);
	assert_int_equal(f.max_in_flight, 2);
	pthread_mutex_destroy(&f.lock);
	pthread_cond_destroy(&f.changed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_by_id),
		cmocka_unit_test(test_keymap_resolves_entries),
		cmocka_unit_test(test_navigation_slots),
		cmocka_unit_test(test_held_target_refused),
		cmocka_unit_test(test_guard_fails_at_run),
		cmocka_unit_test(test_different_targets_side_by_side),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (*audit_path) {
		unlink(audit_path);
		*strrchr(audit_path, '/') = '\0';
		rmdir(audit_path);
	}
	return failed;
}
