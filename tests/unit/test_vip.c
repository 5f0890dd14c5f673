/* test_vip.c - the front door: the vip section's errors at file:line:column and its
 * defaults, the reading of a check answer, the health rules and the vip-moved event on
 * hand-made parts, the JSON, and one look of the backend against HTTP servers on loopback
 * (one names itself, one answers 503, one never answers: the look ends by timeout_ms). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/vip/vip.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/xalloc.h"
#include "conf/config.h"
#include "model/health.h"
#include "model/model.h"
#include "model/snapjson.h"
#include "timeline.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *write_temp(const char *text)
{
	char *path = xstrdup("/tmp/swarmdeck-test-vip-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* ---- config ---- */
static void test_config_good(void **state)
{
	(void)state;
	char *path = write_temp("vip:\n"
				"  address: 192.168.213.100\n"
				"  nodes:\n"
				"    - {name: manager-1, url: http://192.168.213.11/whoami}\n"
				"    - name: manager-2\n"
				"      url: http://192.168.213.12/whoami\n");
	struct sd_config c;
	struct sd_error err = {""};
	if (sd_config_load(path, &c, &err) < 0)
		fail_msg("%s", err.text);
	assert_true(c.vip.configured);
	assert_string_equal(c.vip.address, "192.168.213.100");
	assert_string_equal(c.vip.check_url, "http://192.168.213.100/"); /* the default */
	assert_int_equal(c.vip.timeout_ms, 1000);
	assert_int_equal(c.vip.nnodes, 2);
	assert_string_equal(c.vip.nodes[1].name, "manager-2");
	assert_string_equal(c.vip.nodes[1].url, "http://192.168.213.12/whoami");
	sd_config_free(&c);
	unlink(path);
	free(path);

	/* no section: not configured */
	assert_int_equal(sd_config_load(NULL, &c, &err), 0);
	assert_false(c.vip.configured);
	sd_config_free(&c);
}

static void test_config_errors(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
		{"vip:\n  address: 10.0.0.1\n  nodes: [{name: a, url: http://a/}]\n  port: 80\n",
		 ":4:3: unknown key 'port' in vip"},
		{"vip:\n  nodes: [{name: a, url: http://a/}]\n", ":1:1: vip: needs an address"},
		{"vip:\n  address: not-an-ip\n  nodes: [{name: a, url: http://a/}]\n",
		 ":2:12: vip.address: expected an IP address, got 'not-an-ip'"},
		{"vip:\n  address: 10.0.0.1\n", ":1:1: vip: needs at least one node"},
		{"vip:\n  address: 10.0.0.1\n  nodes: []\n", ":3:10: vip: needs at least one node"},
		{"vip:\n  address: 10.0.0.1\n  check_url: ftp://x/\n  nodes: [{name: a, url: http://a/}]\n",
		 ":3:14: vip.check_url: expected an http:// or https:// URL"},
		{"vip:\n  address: 10.0.0.1\n  timeout_ms: 0\n  nodes: [{name: a, url: http://a/}]\n",
		 ":3:15: vip.timeout_ms"},
		{"vip:\n  address: 10.0.0.1\n  nodes:\n    - {name: a}\n",
		 ":4:7: vip.nodes: node 'a' needs a url"},
		{"vip:\n  address: 10.0.0.1\n  nodes:\n    - {url: http://a/}\n",
		 ":4:7: vip.nodes: a node needs a name"},
		{"vip:\n  address: 10.0.0.1\n  nodes:\n    - {name: a, url: http://a/, addr: 1}\n",
		 ":4:33: unknown key 'addr' in vip.nodes"},
		{"vip:\n  address: 10.0.0.1\n  nodes:\n    - {name: a, url: http://a/}\n"
		 "    - {name: a, url: http://b/}\n",
		 ":5:7: vip.nodes: name 'a' is used twice"},
		{"vip:\n  address: 10.0.0.1\n  nodes:\n    - {name: a, url: 'http://u:p@a/'}\n",
		 ":4:22: vip.nodes.url: expected an http:// or https:// URL (no user or password"},
		{"vip:\n  address: 10.0.0.1\n  nodes: manager-1\n", ":3:10: vip.nodes: expected a list"},
		{"vip: [1]\n", ":1:6: vip: expected a mapping"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_temp(bad[i][0]);
		struct sd_config c;
		struct sd_error err = {""};
		assert_int_equal(sd_config_load(path, &c, &err), -1);
		char want[512];
		snprintf(want, sizeof(want), "%s%s", path, bad[i][1]);
		if (strncmp(err.text, want, strlen(want)) != 0)
			fail_msg("case %zu: got '%s', want '%s...'", i, err.text, want);
		unlink(path);
		free(path);
	}
}

/* ---- a check's answer ---- */
static void test_parse_answer(void **state)
{
	(void)state;
	char says[64], err[128];
	assert_int_equal(sd_vip_parse_answer(200, "manager-1\n", 10, says, sizeof(says), err,
					     sizeof(err)), 0);
	assert_string_equal(says, "manager-1");
	const char *crlf = "  manager-2 \r\nmore lines\n";
	assert_int_equal(sd_vip_parse_answer(200, crlf, strlen(crlf), says, sizeof(says), err,
					     sizeof(err)), 0);
	assert_string_equal(says, "manager-2");
	assert_int_equal(sd_vip_parse_answer(200, "lb", 2, says, sizeof(says), err, sizeof(err)), 0);
	assert_string_equal(says, "lb"); /* no newline at the end */

	assert_int_equal(sd_vip_parse_answer(503, "manager-1\n", 10, says, sizeof(says), err,
					     sizeof(err)), -1);
	assert_string_equal(err, "HTTP 503");
	assert_string_equal(says, "");
	assert_int_equal(sd_vip_parse_answer(200, "", 0, says, sizeof(says), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty answer"));
	assert_int_equal(sd_vip_parse_answer(200, "\nmanager-1\n", 11, says, sizeof(says), err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "empty first line"));
	const char *html = "<html> <body>Welcome to nginx!</body>\n";
	assert_int_equal(sd_vip_parse_answer(200, html, strlen(html), says, sizeof(says), err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "not a node's name"));
}

/* ---- parts made by hand ---- */
struct node_spec { const char *name; bool answers; };

static struct sd_vip *make_vip(const char *holder, const char *last, const struct node_spec *nodes,
			       size_t n)
{
	struct sd_vip *v = sd_part_new(sizeof(*v));
	struct sd_arena *a = v->part.arena;
	v->address = "192.168.213.100";
	v->check_url = "http://192.168.213.100/whoami";
	v->holder = holder;
	v->error = *holder ? "" : "Connection timed out after 1000 milliseconds";
	v->last_holder = last;
	v->holder_since = 1000;
	v->nodes = sd_arena_alloc(a, (n + 1) * sizeof(*v->nodes));
	v->nnodes = n;
	for (size_t i = 0; i < n; i++) {
		v->nodes[i].name = nodes[i].name;
		v->nodes[i].url = "http://x/";
		v->nodes[i].answers = nodes[i].answers;
		v->nodes[i].says = nodes[i].answers ? nodes[i].name : "";
		v->nodes[i].error = nodes[i].answers ? "" : "Couldn't connect to server";
	}
	return v;
}

static struct sd_snapshot *snap_with(struct sd_vip *v)
{
	struct sd_snapshot *s = sd_part_new(sizeof(*s));
	s->time = 1000;
	s->docker_status = (struct sd_backend_status){.configured = true, .reachable = true,
						      .answered = true};
	s->vip_status = (struct sd_backend_status){.configured = true, .answered = true,
						   .reachable = v && *v->holder};
	s->vip = v;
	sd_health_evaluate(s, NULL);
	return s;
}

static size_t count_source(const struct sd_snapshot *s, const char *source, enum sd_level level)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nalerts; i++)
		n += !strcmp(s->alerts[i].source, source) && s->alerts[i].level == level;
	return n;
}

static void test_health_rules(void **state)
{
	(void)state;
	const struct node_spec both[] = {{"manager-1", true}, {"manager-2", true}};
	const struct node_spec one_down[] = {{"manager-1", false}, {"manager-2", true}};
	const struct node_spec none[] = {{"manager-1", false}, {"manager-2", false}};

	struct sd_snapshot *s = snap_with(make_vip("manager-1", "manager-1", both, 2));
	assert_int_equal(s->health, SD_OK);
	assert_int_equal(s->nalerts, 0);
	sd_snapshot_unref(s);

	s = snap_with(make_vip("manager-2", "manager-2", one_down, 2));
	assert_int_equal(s->health, SD_WARNING);
	assert_int_equal(count_source(s, "vip", SD_WARNING), 1);
	assert_string_equal(s->alerts[0].target, "manager-1");
	assert_non_null(strstr(s->alerts[0].message, "keepalived node manager-1 does not answer"));
	sd_snapshot_unref(s);

	s = snap_with(make_vip("", "manager-1", none, 2));
	assert_int_equal(s->health, SD_CRITICAL);
	assert_int_equal(count_source(s, "vip", SD_CRITICAL), 1);
	assert_int_equal(count_source(s, "vip", SD_WARNING), 2);
	assert_string_equal(s->alerts[0].target, "192.168.213.100"); /* most severe first */
	assert_non_null(strstr(s->alerts[0].message, "answers nowhere"));
	sd_snapshot_unref(s);

	s = snap_with(make_vip("lb-old", "lb-old", both, 2));
	assert_int_equal(s->health, SD_WARNING);
	assert_non_null(strstr(s->alerts[0].message, "held by lb-old, not one of the configured"));
	sd_snapshot_unref(s);

	/* configured, not looked at yet: no rule fires */
	s = snap_with(NULL);
	assert_int_equal(count_source(s, "vip", SD_CRITICAL) + count_source(s, "vip", SD_WARNING), 0);
	sd_snapshot_unref(s);
}

static void test_json(void **state)
{
	(void)state;
	const struct node_spec one_down[] = {{"manager-1", false}, {"manager-2", true}};
	struct sd_snapshot *s = snap_with(make_vip("manager-2", "manager-2", one_down, 2));
	json_t *root = sd_snapshot_json(s);
	json_t *vip = json_object_get(root, "vip");
	assert_non_null(vip);
	assert_string_equal(json_string_value(json_object_get(vip, "address")), "192.168.213.100");
	assert_string_equal(json_string_value(json_object_get(vip, "holder")), "manager-2");
	assert_true(json_is_null(json_object_get(vip, "error")));
	json_t *nodes = json_object_get(vip, "nodes");
	assert_int_equal(json_array_size(nodes), 2);
	json_t *m1 = json_array_get(nodes, 0);
	assert_string_equal(json_string_value(json_object_get(m1, "name")), "manager-1");
	assert_true(json_is_false(json_object_get(m1, "answers")));
	assert_true(json_is_null(json_object_get(m1, "says")));
	assert_string_equal(json_string_value(json_object_get(m1, "error")),
			    "Couldn't connect to server");
	json_decref(root);
	sd_snapshot_unref(s);

	/* not configured: null */
	s = sd_part_new(sizeof(*s));
	root = sd_snapshot_json(s);
	assert_true(json_is_null(json_object_get(root, "vip")));
	json_decref(root);
	sd_snapshot_unref(s);
}

static void test_timeline_moves(void **state)
{
	(void)state;
	const struct node_spec both[] = {{"manager-1", true}, {"manager-2", true}};
	struct sd_timeline *tl = sd_timeline_open(NULL, 0);
	struct sd_vip *a = make_vip("manager-1", "manager-1", both, 2);
	struct sd_vip *gap = make_vip("", "manager-1", both, 2);
	struct sd_vip *b = make_vip("manager-2", "manager-2", both, 2);
	struct sd_vip *b2 = make_vip("manager-2", "manager-2", both, 2);
	struct sd_vip *first = make_vip("", "", both, 2);

	assert_int_equal(sd_timeline_vip(tl, NULL, a, 100), 0);   /* the first look */
	assert_int_equal(sd_timeline_vip(tl, a, gap, 101), 0);    /* no answer: an alert, no move */
	assert_int_equal(sd_timeline_vip(tl, gap, b, 102), 1);    /* manager-1 -> (none) -> manager-2 */
	assert_int_equal(sd_timeline_vip(tl, b, b2, 103), 0);     /* the same holder */
	assert_int_equal(sd_timeline_vip(tl, first, b, 104), 0);  /* nobody named before */
	assert_int_equal(sd_timeline_vip(tl, b, a, 130), 1);      /* back (preempted) */
	struct sd_events *ev = sd_timeline_events(tl, 10);
	assert_int_equal(ev->n, 2);
	assert_string_equal(ev->items[1].source, "vip");
	assert_string_equal(ev->items[1].kind, "vip-moved");
	assert_string_equal(ev->items[1].target, "192.168.213.100");
	assert_string_equal(ev->items[1].message, "192.168.213.100 moved from manager-1 to manager-2");
	assert_string_equal(ev->items[0].message, "192.168.213.100 moved from manager-2 to manager-1");
	sd_part_unref(ev);
	sd_part_unref(a);
	sd_part_unref(gap);
	sd_part_unref(b);
	sd_part_unref(b2);
	sd_part_unref(first);
	sd_timeline_free(tl);
}

/* ---- the backend against servers on loopback ---- */
enum server_mode { NAMES_ITSELF, ANSWERS_503, NEVER_ANSWERS };

struct server {
	int fd, port;
	enum server_mode mode;
	const char *name;
	pthread_t thread;
};

static void *serve(void *arg)
{
	struct server *sv = arg;
	for (;;) {
		int c = accept(sv->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		char buf[2048];
		ssize_t n = read(c, buf, sizeof(buf));
		(void)n;
		if (sv->mode == NEVER_ANSWERS) {
			sleep(3); /* longer than any timeout the test sets */
		} else {
			char answer[256];
			int len = sv->mode == NAMES_ITSELF
					  ? snprintf(answer, sizeof(answer),
						     "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
						     "Connection: close\r\n\r\n%s\n",
						     strlen(sv->name) + 1, sv->name)
					  : snprintf(answer, sizeof(answer),
						     "HTTP/1.1 503 Service Unavailable\r\n"
						     "Content-Length: 0\r\nConnection: close\r\n\r\n");
			ssize_t w = write(c, answer, (size_t)len);
			(void)w;
		}
		close(c);
	}
}

static void server_start(struct server *sv, enum server_mode mode, const char *name)
{
	sv->mode = mode;
	sv->name = name;
	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sv->fd >= 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(sv->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(sv->fd, 8), 0);
	socklen_t len = sizeof(addr);
	getsockname(sv->fd, (struct sockaddr *)&addr, &len);
	sv->port = ntohs(addr.sin_port);
	assert_int_equal(pthread_create(&sv->thread, NULL, serve, sv), 0);
	pthread_detach(sv->thread);
}

static void test_backend_look(void **state)
{
	(void)state;
	static struct server front, m1, m2; /* the threads outlive the test; static keeps them valid */
	server_start(&front, NAMES_ITSELF, "manager-1");
	server_start(&m1, NAMES_ITSELF, "manager-1");
	server_start(&m2, NEVER_ANSWERS, "manager-2");
	struct sd_config c;
	struct sd_error err = {""};
	assert_int_equal(sd_config_load(NULL, &c, &err), 0);
	c.vip.configured = true;
	c.vip.address = xstrdup("127.0.0.1");
	c.vip.check_url = xasprintf("http://127.0.0.1:%d/whoami", front.port);
	c.vip.timeout_ms = 400;
	c.vip.nnodes = 2;
	c.vip.nodes = xcalloc(2, sizeof(*c.vip.nodes));
	c.vip.nodes[0] = (struct sd_vip_node_config){xstrdup("manager-1"),
						     xasprintf("http://127.0.0.1:%d/whoami", m1.port)};
	c.vip.nodes[1] = (struct sd_vip_node_config){xstrdup("manager-2"),
						     xasprintf("http://127.0.0.1:%d/whoami", m2.port)};
	struct sd_vip_backend *b = sd_vip_open(&c);
	struct sd_vip *v = NULL;
	char why[256] = "";
	double start = sd_now();
	assert_int_equal(sd_vip_fetch(b, NULL, &v, why, sizeof(why)), 0);
	double took = sd_now() - start;
	/* the requests run at once: the look is bounded by one timeout, not their sum */
	if (took > 0.9)
		fail_msg("one look took %.2f s with timeout_ms 400", took);
	assert_string_equal(v->holder, "manager-1");
	assert_string_equal(v->last_holder, "manager-1");
	assert_true(v->nodes[0].answers);
	assert_string_equal(v->nodes[0].says, "manager-1");
	assert_false(v->nodes[1].answers);
	assert_non_null(strstr(v->nodes[1].error, "timed out"));

	/* the VIP answers 503: no holder, the error says why; holder_since restarts */
	front.mode = ANSWERS_503;
	struct sd_vip *w = NULL;
	assert_int_equal(sd_vip_fetch(b, v, &w, why, sizeof(why)), -1);
	assert_string_equal(w->holder, "");
	assert_string_equal(w->error, "HTTP 503");
	assert_string_equal(w->last_holder, "manager-1"); /* carried over the gap */
	assert_non_null(strstr(why, "does not answer"));
	sd_part_unref(v);
	sd_part_unref(w);
	sd_vip_close(b);
	sd_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_parse_answer),
		cmocka_unit_test(test_health_rules),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_timeline_moves),
		cmocka_unit_test(test_backend_look),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
