/* test_prom_http.c - the Prometheus backend over real HTTP: a tiny server in the test (a
 * socket on 127.0.0.1:0 answering canned bodies, one request per connection) takes the GET
 * and POST of the client, with the bearer token or basic auth from their files; a server that
 * never answers ends the request within timeout_ms; a whole fetch (Alertmanager's alerts,
 * the seven queries) and a push (its POST body) go through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "backends/prom/http.h"
#include "backends/prom/prom.h"
#include "base/clock.h"
#include "conf/config.h"
#include "model/health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- the server ---- */

struct canned {
	const char *method, *prefix;  /* the request line's, e.g. "GET", "/api/v1/query" */
	int status;
	const char *body;
};

static struct {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t lock;
	volatile int stop;
	bool silent;                  /* accept, read, never answer */
	const struct canned *answers;
	size_t nanswers;
	char last_request[16384];     /* the last request's head and body */
	int requests;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void answer(int c)
{
	char buf[16384];
	size_t len = 0;
	const char *end = NULL;
	while (len + 1 < sizeof(buf)) {
		struct pollfd p = {c, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0) {
			if (srv.stop)
				return;
			continue;
		}
		ssize_t n = read(c, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(buf, "Content-Length:");
		size_t want = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - buf) + want)
			break;
	}
	pthread_mutex_lock(&srv.lock);
	memcpy(srv.last_request, buf, len + 1);
	srv.requests++;
	bool silent = srv.silent;
	pthread_mutex_unlock(&srv.lock);
	if (silent) {
		while (!srv.stop)
			usleep(20000);
		return;
	}
	char method[16] = "", target[4096] = "";
	sscanf(buf, "%15s %4095s", method, target);
	const struct canned *a = NULL;
	for (size_t i = 0; i < srv.nanswers && !a; i++)
		if (!strcmp(srv.answers[i].method, method) &&
		    !strncmp(target, srv.answers[i].prefix, strlen(srv.answers[i].prefix)))
			a = &srv.answers[i];
	int status = a ? a->status : 404;
	const char *body = a ? a->body : "{\"status\":\"error\",\"error\":\"not found\"}";
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, strlen(body));
	if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
		return;
}

static void *server_main(void *arg)
{
	(void)arg;
	while (!srv.stop) {
		struct pollfd p = {srv.fd, POLLIN, 0};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(srv.fd, NULL, NULL);
		if (c < 0)
			continue;
		answer(c);
		close(c);
	}
	return NULL;
}

static void server_start(const struct canned *answers, size_t n, bool silent)
{
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(srv.fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(srv.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(srv.fd, 8), 0);
	socklen_t len = sizeof(sa);
	getsockname(srv.fd, (struct sockaddr *)&sa, &len);
	srv.port = ntohs(sa.sin_port);
	srv.stop = 0;
	srv.silent = silent;
	srv.answers = answers;
	srv.nanswers = n;
	srv.requests = 0;
	srv.last_request[0] = '\0';
	assert_int_equal(pthread_create(&srv.thread, NULL, server_main, NULL), 0);
}

static void server_stop(void)
{
	srv.stop = 1;
	pthread_join(srv.thread, NULL);
	close(srv.fd);
}

static char *url(void)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "http://127.0.0.1:%d", srv.port);
	return buf;
}

static const char *secret_file(const char *name, const char *content)
{
	static char path[2][96];
	char *p = path[name[0] == 'b'];
	snprintf(p, 96, "/tmp/sd-test-prom-%s-%d", name, (int)getpid());
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", content);
	fclose(f);
	return p;
}

/* ---- the cases ---- */

static const char ALERTS_V1[] =
	"{\"status\":\"success\",\"data\":{\"alerts\":[{\"labels\":{\"alertname\":\"ServiceDown\","
	"\"severity\":\"critical\",\"instance\":\"192.168.213.21:9100\"},\"annotations\":{"
	"\"summary\":\"backend down\"},\"state\":\"firing\",\"activeAt\":\"2026-12-02T02:15:05Z\","
	"\"value\":\"1e+00\"}]}}";

static void test_get_with_token(void **state)
{
	(void)state;
	static const struct canned answers[] = {
		{"GET", "/api/v1/alerts", 200, ALERTS_V1},
		{"GET", "/api/v1/query", 503, "{\"status\":\"error\",\"error\":\"too many queries\"}"},
	};
	server_start(answers, 2, false);
	struct sd_http_config hc = {.configured = true, .url = url(), .timeout_ms = 2000,
				    .bearer_token_file = (char *)secret_file("bearer", "t0ken-s3cret")};
	struct sd_http *h = sd_http_open(&hc, "prometheus");
	char *body = NULL, err[256] = "";
	size_t len = 0;
	assert_int_equal(sd_http_request(h, "GET", "/api/v1/alerts", NULL, &body, &len, err,
					 sizeof(err)), 0);
	assert_int_equal(len, strlen(ALERTS_V1));
	assert_string_equal(body, ALERTS_V1);
	free(body);
	assert_non_null(strstr(srv.last_request, "GET /api/v1/alerts HTTP/1.1\r\n"));
	assert_non_null(strstr(srv.last_request, "Authorization: Bearer t0ken-s3cret\r\n"));

	assert_int_equal(sd_http_request(h, "GET", "/api/v1/query?query=up", NULL, &body, &len, err,
					 sizeof(err)), -1);
	assert_null(body);
	assert_string_equal(err, "prometheus: HTTP 503: too many queries");
	assert_int_equal(sd_http_request(h, "GET", "/nothing", NULL, &body, &len, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "prometheus: HTTP 404: not found");
	sd_http_close(h);

	/* basic auth: user and password file */
	hc.bearer_token_file = NULL;
	hc.user = (char *)"sd";
	hc.password_file = (char *)secret_file("pass", "pw-s3cret");
	h = sd_http_open(&hc, "alertmanager");
	assert_int_equal(sd_http_request(h, "POST", "/api/v1/alerts", "[]", &body, &len, err,
					 sizeof(err)), -1); /* no POST answer canned: 404 */
	assert_non_null(strstr(srv.last_request, "POST /api/v1/alerts HTTP/1.1\r\n"));
	assert_non_null(strstr(srv.last_request, "Authorization: Basic c2Q6cHctczNjcmV0\r\n"));
	assert_non_null(strstr(srv.last_request, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(srv.last_request, "\r\n\r\n[]"));
	assert_null(strstr(err, "s3cret"));
	sd_http_close(h);
	server_stop();

	/* a credential file that cannot be read: every request says why, nothing is sent */
	hc.password_file = (char *)"/nonexistent/am.pass";
	h = sd_http_open(&hc, "alertmanager");
	assert_int_equal(sd_http_request(h, "GET", "/", NULL, &body, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/am.pass"));
	sd_http_close(h);
	unlink(secret_file("bearer", "x"));
	unlink(secret_file("pass", "x"));
}

static void test_no_answer_times_out(void **state)
{
	(void)state;
	server_start(NULL, 0, true);
	struct sd_http_config hc = {.configured = true, .url = url(), .timeout_ms = 300};
	struct sd_http *h = sd_http_open(&hc, "prometheus");
	char *body = NULL, err[256] = "";
	double t0 = sd_now();
	assert_int_equal(sd_http_request(h, "GET", "/api/v1/alerts", NULL, &body, NULL, err,
					 sizeof(err)), -1);
	double took = sd_now() - t0;
	assert_true(took >= 0.25);
	if (took > 1.5)
		fail_msg("the request took %.2f s with timeout_ms 300", took);
	assert_string_equal(err, "prometheus: no answer within 300 ms");
	assert_int_equal(srv.requests, 1);
	sd_http_close(h);
	server_stop();

	/* nothing listens: an answer at once */
	hc.url = (char *)"http://127.0.0.1:1";
	h = sd_http_open(&hc, "prometheus");
	assert_int_equal(sd_http_request(h, "GET", "/", NULL, &body, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "prometheus: "));
	sd_http_close(h);
}

static const char AM_ALERTS[] =
	"[{\"annotations\":{\"summary\":\"memory above 90%\"},\"startsAt\":\"2026-12-02T02:15:05Z\","
	"\"status\":{\"state\":\"active\"},\"generatorURL\":\"http://p/graph\","
	"\"labels\":{\"alertname\":\"HighMemoryUsage\",\"instance\":\"192.168.213.21:9100\","
	"\"severity\":\"warning\"}}]";

static const char VECTOR[] =
	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
	"{\"metric\":{\"instance\":\"192.168.213.21:9100\"},\"value\":[1796177797.492,\"42\"]},"
	"{\"metric\":{\"instance\":\"192.168.213.22:9100\"},\"value\":[1796177797.492,\"NaN\"]}]}}";

static struct sd_swarm *swarm_of_two(void)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	sw->nodes = sd_arena_alloc(sw->part.arena, 2 * sizeof(struct sd_node));
	sw->nnodes = 2;
	sw->nodes[0] = (struct sd_node){.id = "a", .hostname = "worker-1", .role = "worker",
		.state = "down", .manager = "", .addr = "192.168.213.21", .availability = "active"};
	sw->nodes[1] = (struct sd_node){.id = "b", .hostname = "worker-2", .role = "worker",
		.state = "ready", .manager = "", .addr = "192.168.213.22", .availability = "active"};
	return sw;
}

static void test_fetch_and_push(void **state)
{
	(void)state;
	static const struct canned answers[] = {
		{"GET", "/prefix/api/v2/alerts?active=true&silenced=false&inhibited=false", 200, AM_ALERTS},
		{"GET", "/prefix/api/v1/query?query=", 200, VECTOR},
		{"POST", "/prefix/api/v2/alerts", 200, ""},
	};
	server_start(answers, 3, false);
	char base[96];
	snprintf(base, sizeof(base), "%s/prefix", url());
	struct sd_config c;
	struct sd_error e = {{0}};
	assert_int_equal(sd_config_load(NULL, &c, &e), 0);
	c.cluster_name = strdup("lab");
	c.prometheus.http = (struct sd_http_config){.configured = true, .url = strdup(base),
						    .timeout_ms = 2000};
	c.alertmanager.http = (struct sd_http_config){.configured = true, .url = strdup(base),
						      .timeout_ms = 2000};
	c.alertmanager.push = true;
	struct sd_prom_backend *b = sd_prom_open(&c);
	assert_non_null(b);
	assert_true(sd_prom_push_enabled(b));
	struct sd_swarm *sw = swarm_of_two();
	struct sd_prom *p = NULL, *p2 = NULL;
	char err[256] = "";
	assert_int_equal(sd_prom_fetch(b, NULL, sw, &p, err, sizeof(err)), 0);
	assert_int_equal(srv.requests, 1 + SD_PROM_SERIES);
	assert_non_null(strstr(srv.last_request, "GET /prefix/api/v1/query?query=sum%20by%20%28instance"));
	assert_string_equal(p->alerts_from, "alertmanager");
	assert_string_equal(p->alerts_error, "");
	assert_string_equal(p->metrics_error, "");
	assert_int_equal(p->nalerts, 1);
	assert_string_equal(p->alerts[0].target, "worker-1"); /* its instance names the node */
	assert_int_equal(p->nnodes, 2);
	assert_true(p->nodes[0].cpu_busy == 42 && p->nodes[0].net_tx == 42);
	assert_true(isnan(p->nodes[1].cpu_busy));
	assert_true(p->push);
	assert_int_equal(p->pushed, 0);

	/* the push: worker-1 down is posted, Prometheus's own alert is not */
	struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
	snap->time = time(NULL);
	snap->docker_status.configured = snap->docker_status.answered = true;
	snap->docker_status.reachable = true;
	snap->prom_status.configured = true;
	snap->swarm = sd_part_ref(sw);
	snap->prom = sd_part_ref(p);
	sd_health_evaluate(snap, &c);
	assert_int_equal(sd_prom_push(b, snap, 30, time(NULL), err, sizeof(err)), 0);
	const char *body = strstr(srv.last_request, "\r\n\r\n");
	assert_non_null(strstr(srv.last_request, "POST /prefix/api/v2/alerts HTTP/1.1"));
	assert_non_null(body);
	assert_non_null(strstr(body, "\"alertname\":\"SwarmdeckNodeDown\""));
	assert_non_null(strstr(body, "\"cluster\":\"lab\""));
	assert_non_null(strstr(body, "\"generatorURL\":\"swarmdeck://"));
	assert_null(strstr(body, "HighMemoryUsage"));
	assert_int_equal(sd_prom_fetch(b, p, sw, &p2, err, sizeof(err)), 0);
	assert_int_equal(p2->pushed, 1);
	assert_string_equal(p2->push_error, "");
	assert_int_equal(p2->nodes[0].nhistory, 2);
	sd_snapshot_unref(snap);
	sd_part_unref(p2);
	server_stop();

	/* nobody answers now: the part says so, the push too */
	p2 = NULL;
	struct sd_http_config dead = {.configured = true, .url = (char *)"http://127.0.0.1:1"};
	sd_prom_close(b);
	free(c.prometheus.http.url);
	free(c.alertmanager.http.url);
	c.prometheus.http = dead;
	c.alertmanager.http = dead;
	c.prometheus.http.url = strdup(dead.url);
	c.alertmanager.http.url = strdup(dead.url);
	b = sd_prom_open(&c);
	assert_int_equal(sd_prom_fetch(b, p, sw, &p2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alertmanager: "));
	assert_non_null(strstr(p2->alerts_error, "alertmanager: "));
	assert_non_null(strstr(p2->metrics_error, "prometheus: "));
	/* the nodes stay, their figures missing, a gap in the history */
	assert_int_equal(p2->nnodes, 2);
	assert_true(isnan(p2->nodes[0].cpu_busy) && isnan(p2->nodes[0].mem_total));
	assert_int_equal(p2->nodes[0].nhistory, 2);
	assert_true(p2->nodes[0].cpu_history[0] == 42 && isnan(p2->nodes[0].cpu_history[1]));
	assert_string_equal(p2->nodes[0].instance, "192.168.213.21:9100");
	sd_part_unref(p2);
	sd_prom_close(b);
	sd_part_unref(p);
	sd_part_unref(sw);
	sd_config_free(&c);

	/* neither configured: no backend */
	assert_int_equal(sd_config_load(NULL, &c, &e), 0);
	assert_null(sd_prom_open(&c));
	sd_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_with_token),
		cmocka_unit_test(test_no_answer_times_out),
		cmocka_unit_test(test_fetch_and_push),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
