/* test_docker_context.c - which engine the console asks (context.h) and moving to another
 * manager (docker.hosts): the CLI's order (the config's host, a context, DOCKER_HOST,
 * DOCKER_CONTEXT, config.json's currentContext, the default), a context read from the CLI's
 * store by the SHA-256 of its name with its TLS folder, errors that name the file; two fake
 * engines: the first stops, the fetch answers from the second, the part says which, and the
 * console stays there when the first comes back. */
#include "backends/docker/context.h"
#include "backends/docker/docker.h"
#include "backends/docker/internal.h"
#include "../fake/fake_engine.h"
#include "model/model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* SHA-256 of "prod", as `docker context create` names their folders */
#define PROD "6754af9632a2745e85c293e5aac0863370d9bd3330b9938c00cadfd215227d77"

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sd-context-%d", (int)getpid());
	char path[512];
	snprintf(path, sizeof(path), "%s/contexts/meta/%s", dir, PROD);
	mkdirs(path);
	strcat(path, "/meta.json");
	write_file(path, "{\"Name\":\"prod\",\"Metadata\":{},\"Endpoints\":{\"docker\":"
			 "{\"Host\":\"tcp://10.1.2.3:2376\",\"SkipTLSVerify\":false}}}");
	snprintf(path, sizeof(path), "%s/contexts/tls/%s/docker", dir, PROD);
	mkdirs(path);
	strcat(path, "/cert.pem");
	write_file(path, "x");
	setenv("DOCKER_CONFIG", dir, 1);
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void test_order(void **state)
{
	(void)state;
	struct sd_docker_target t;
	char err[1024] = "";
	/* nothing set: the default socket */
	assert_int_equal(sd_docker_resolve(NULL, "--context", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "");
	assert_string_equal(t.source, "default");
	/* config.json's current context */
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	write_file(path, "{\"currentContext\":\"prod\"}");
	assert_int_equal(sd_docker_resolve(NULL, "--context", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "tcp://10.1.2.3:2376");
	assert_string_equal(t.context, "prod");
	assert_string_equal(t.source, "config.json");
	assert_true(t.tls);                         /* its TLS folder */
	assert_non_null(strstr(t.cert_path, "/contexts/tls/" PROD "/docker"));
	/* DOCKER_CONTEXT beats it; a context that does not exist is an error naming its file */
	setenv("DOCKER_CONTEXT", "staging", 1);
	assert_int_equal(sd_docker_resolve(NULL, "--context", NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Docker context \"staging\" (DOCKER_CONTEXT) does not exist"));
	assert_non_null(strstr(err, "/contexts/meta/"));
	/* DOCKER_HOST beats both, as for the CLI */
	setenv("DOCKER_HOST", "unix:///run/x.sock", 1);
	assert_int_equal(sd_docker_resolve(NULL, "--context", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "unix:///run/x.sock");
	assert_string_equal(t.source, "DOCKER_HOST");
	/* an explicit context beats DOCKER_HOST; "default" is DOCKER_HOST */
	assert_int_equal(sd_docker_resolve("prod", "--context", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "tcp://10.1.2.3:2376");
	assert_int_equal(sd_docker_resolve("default", "--context", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "unix:///run/x.sock");
	/* the config's host beats everything */
	assert_int_equal(sd_docker_resolve("prod", "--context", "unix:///run/y.sock", &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "unix:///run/y.sock");
	assert_string_equal(t.source, "config");
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_CONTEXT");
	unlink(path);
}

static void test_bad_meta(void **state)
{
	(void)state;
	/* write a context under the digest the resolver computes, with broken JSON */
	struct sd_docker_target t;
	char err[1024] = "";
	assert_int_equal(sd_docker_resolve("broken", "--context", NULL, &t, err, sizeof(err)), -1);
	char *meta = strstr(err, "/contexts/meta/");
	assert_non_null(meta);
	char folder[512];
	snprintf(folder, sizeof(folder), "%s", strstr(err, dir));
	*strrchr(folder, '/') = '\0';                /* .../meta/DIGEST */
	mkdirs(folder);
	char path[600];
	snprintf(path, sizeof(path), "%s/meta.json", folder);
	write_file(path, "{\"Name\":\"broken\",\n \"Endpoints\": {\"docker\": {\"Host\": }}}");
	assert_int_equal(sd_docker_resolve("broken", "--context", NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "meta.json:2:"));  /* file:line:column */
	write_file(path, "{\"Name\":\"broken\",\"Endpoints\":{}}");
	assert_int_equal(sd_docker_resolve("broken", "--context", NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "has no Endpoints.docker.Host"));
}

static struct fake_engine *engine(const char *sock, const char *name)
{
	char err[256], info[128];
	struct fake_engine *f = fake_engine_start(sock, "1.41", err, sizeof(err));
	if (!f)
		fail_msg("%s", err);
	static char bodies[2][128];
	static int next;
	char *body = bodies[next++ % 2];
	snprintf(info, sizeof(info), "{\"Name\":\"%s\"}", name);
	strcpy(body, info);
	fake_engine_route(f, "GET", "/v1.41/info", 200, body, FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/nodes", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/services", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(f, "GET", "/v1.41/tasks", 200, "[]", FAKE_SEND_WHOLE);
	return f;
}

static void test_failover(void **state)
{
	(void)state;
	char s1[128], s2[128], h1[160], h2[160], err[512] = "";
	snprintf(s1, sizeof(s1), "/tmp/sd-failover-%d-1.sock", (int)getpid());
	snprintf(s2, sizeof(s2), "/tmp/sd-failover-%d-2.sock", (int)getpid());
	snprintf(h1, sizeof(h1), "unix://%s", s1);
	snprintf(h2, sizeof(h2), "unix://%s", s2);
	struct fake_engine *f1 = engine(s1, "manager-1"), *f2 = engine(s2, "manager-2");
	const char *hosts[] = {h1, h2};     /* the first again: not counted twice */
	struct sd_docker_config dc = {.host = h1, .tls_verify = 0, .timeout_ms = 2000,
				      .read_only = true, .hosts = hosts, .nhosts = 2};
	struct sd_docker *d = sd_docker_open(&dc, err, sizeof(err));
	assert_non_null(d);
	int count = 0;
	assert_int_equal(sd_docker_endpoint(d, &count), 0);
	assert_int_equal(count, 2);
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->engine_name, "manager-1");
	assert_int_equal(sw->endpoint_index, 0);
	assert_string_equal(sw->endpoint, h1);
	sd_part_unref(sw);

	fake_engine_stop(f1);                /* the manager in use is lost */
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->engine_name, "manager-2");
	assert_int_equal(sw->endpoint_index, 1);
	assert_string_equal(sw->endpoint, h2);
	assert_string_equal(sd_docker_host(d), h2);   /* every other request goes there too */
	sd_part_unref(sw);

	f1 = engine(s1, "manager-1");        /* it comes back: the console stays */
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->engine_name, "manager-2");
	sd_part_unref(sw);

	fake_engine_stop(f2);                /* and back when the second is lost */
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_string_equal(sw->engine_name, "manager-1");
	assert_int_equal(sw->endpoint_index, 0);
	sd_part_unref(sw);

	fake_engine_stop(f1);                /* none answers: the error of the one in use */
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), -1);
	assert_null(sw);
	assert_non_null(strstr(err, s1));
	assert_string_equal(sd_docker_host(d), h1);
	sd_docker_close(d);

	/* a bad host among them is an error naming it */
	const char *bad[] = {"ftp://x"};
	dc.hosts = bad;
	dc.nhosts = 1;
	assert_null(sd_docker_open(&dc, err, sizeof(err)));
	assert_non_null(strstr(err, "docker.hosts[0]"));
}

/* The managers' addresses from /nodes become failover candidates when the endpoint in use
 * is tcp:// with TLS: ManagerStatus.Addr's IP with the port in use, the same TLS material,
 * none twice (docker.hosts counted), never the engine in use, at most DOCKER_ENDPOINTS. */
/* The captured /nodes answer (three managers, two workers), malloc'ed. */
static char *captured_nodes(size_t *len)
{
	char path[512];
	const char *fixtures = getenv("SD_FIXTURE_DIR");
	snprintf(path, sizeof(path), "%s/nodes.json",
		 fixtures && *fixtures ? fixtures : "tests/fixtures/docker");
	FILE *f = fopen(path, "rb");
	if (!f) {
		print_message("skipped: no %s (captured from the lab)\n", path);
		skip();
	}
	char *text = calloc(1, 1 << 20);
	assert_non_null(text);
	*len = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	assert_true(*len > 0);
	return text;
}

static struct sd_swarm *captured_swarm(const char *engine_name)
{
	char info[128], err[256] = "";
	size_t n = 0;
	char *nodes = captured_nodes(&n);
	snprintf(info, sizeof(info), "{\"Name\":\"%s\"}", engine_name);
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_decode(info, strlen(info), nodes, n, "[]", 2, "[]", 2, &sw, err,
					  sizeof(err)), 0);
	free(nodes);
	return sw;
}

static void test_managers_learnt(void **state)
{
	(void)state;
	char err[512] = "";
	/* with the fake engine on a unix socket: nothing is learnt (no TLS, no TCP) */
	char sock[128], host[160];
	snprintf(sock, sizeof(sock), "/tmp/sd-learn-%d.sock", (int)getpid());
	snprintf(host, sizeof(host), "unix://%s", sock);
	struct sd_swarm *captured = captured_swarm("manager-1");
	size_t nodes_len = 0;
	char *nodes_body = captured_nodes(&nodes_len);
	struct fake_engine *fe = fake_engine_start(sock, "1.41", err, sizeof(err));
	assert_non_null(fe);
	fake_engine_route(fe, "GET", "/v1.41/info", 200, "{\"Name\":\"manager-1\"}", FAKE_SEND_WHOLE);
	fake_engine_route(fe, "GET", "/v1.41/nodes", 200, nodes_body, FAKE_SEND_WHOLE);
	fake_engine_route(fe, "GET", "/v1.41/services", 200, "[]", FAKE_SEND_WHOLE);
	fake_engine_route(fe, "GET", "/v1.41/tasks", 200, "[]", FAKE_SEND_WHOLE);
	struct sd_docker_config local = {.host = host, .tls_verify = 0, .timeout_ms = 2000,
					 .read_only = true};
	struct sd_docker *d = sd_docker_open(&local, err, sizeof(err));
	assert_non_null(d);
	struct sd_swarm *sw = NULL;
	assert_int_equal(sd_docker_fetch(d, &sw, err, sizeof(err)), 0);
	assert_int_equal(sw->managers, 3);
	int count = 0;
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, 1);
	sd_part_unref(sw);
	sd_docker_close(d);
	fake_engine_stop(fe);
	free(nodes_body);

	/* tcp:// with TLS, asking manager-1: manager-2 is in docker.hosts already, manager-3
	 * is learnt with the port in use, the workers are not managers */
	const char *hosts[] = {"tcp://192.168.213.12:2376", "tcp://10.9.9.9:2376"};
	struct sd_docker_config tls = {.host = "tcp://192.168.213.11:2376", .tls_verify = 1,
				       .cert_path = "/nonexistent", .timeout_ms = 2000,
				       .read_only = true, .hosts = hosts, .nhosts = 2};
	d = sd_docker_open(&tls, err, sizeof(err));
	assert_non_null(d);
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, 3);
	docker_learn_managers(d, captured);
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, 4);
	assert_string_equal(d->ep[3].host, "tcp://192.168.213.13:2376");
	assert_string_equal(d->ep[3].base_url, "https://192.168.213.13:2376");
	assert_true(d->ep[3].tls);
	assert_string_equal(d->ep[3].ca, d->ep[0].ca);
	docker_learn_managers(d, captured);   /* again: none twice */
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, 4);
	sd_docker_close(d);

	/* plain tcp:// (no TLS): nothing learnt */
	tls.tls_verify = 0;
	tls.host = "tcp://192.168.213.11:2375";
	d = sd_docker_open(&tls, err, sizeof(err));
	docker_learn_managers(d, captured);
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, 3);
	sd_docker_close(d);

	/* the endpoints full: nothing more */
	const char *many[] = {"tcp://10.0.0.1:2376", "tcp://10.0.0.2:2376", "tcp://10.0.0.3:2376",
			      "tcp://10.0.0.4:2376", "tcp://10.0.0.5:2376", "tcp://10.0.0.6:2376",
			      "tcp://10.0.0.7:2376"};
	tls.tls_verify = 1;
	tls.host = "tcp://192.168.213.11:2376";
	tls.hosts = many;
	tls.nhosts = 7;
	d = sd_docker_open(&tls, err, sizeof(err));
	docker_learn_managers(d, captured);
	sd_docker_endpoint(d, &count);
	assert_int_equal(count, DOCKER_ENDPOINTS);
	sd_docker_close(d);
	sd_part_unref(captured);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bad_meta),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_managers_learnt),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
