/* test_docker_context.c - which engine the console asks (context.h) and moving to another
 * manager (docker.hosts): the CLI's order (the config's host, a context, DOCKER_HOST,
 * DOCKER_CONTEXT, config.json's currentContext, the default), a context read from the CLI's
 * store by the SHA-256 of its name with its TLS folder, errors that name the file; two fake
 * engines: the first stops, the fetch answers from the second, the part says which, and the
 * console stays there when the first comes back. */
#include "backends/docker/context.h"
#include "backends/docker/docker.h"
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
	assert_int_equal(sd_docker_resolve(NULL, NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "");
	assert_string_equal(t.source, "default");
	/* config.json's current context */
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	write_file(path, "{\"currentContext\":\"prod\"}");
	assert_int_equal(sd_docker_resolve(NULL, NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "tcp://10.1.2.3:2376");
	assert_string_equal(t.context, "prod");
	assert_string_equal(t.source, "config.json");
	assert_true(t.tls);                         /* its TLS folder */
	assert_non_null(strstr(t.cert_path, "/contexts/tls/" PROD "/docker"));
	/* DOCKER_CONTEXT beats it; a context that does not exist is an error naming its file */
	setenv("DOCKER_CONTEXT", "staging", 1);
	assert_int_equal(sd_docker_resolve(NULL, NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Docker context \"staging\" (DOCKER_CONTEXT) does not exist"));
	assert_non_null(strstr(err, "/contexts/meta/"));
	/* DOCKER_HOST beats both, as for the CLI */
	setenv("DOCKER_HOST", "unix:///run/x.sock", 1);
	assert_int_equal(sd_docker_resolve(NULL, NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "unix:///run/x.sock");
	assert_string_equal(t.source, "DOCKER_HOST");
	/* an explicit context beats DOCKER_HOST; "default" is DOCKER_HOST */
	assert_int_equal(sd_docker_resolve("prod", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "tcp://10.1.2.3:2376");
	assert_int_equal(sd_docker_resolve("default", NULL, &t, err, sizeof(err)), 0);
	assert_string_equal(t.host, "unix:///run/x.sock");
	/* the config's host beats everything */
	assert_int_equal(sd_docker_resolve("prod", "unix:///run/y.sock", &t, err, sizeof(err)), 0);
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
	assert_int_equal(sd_docker_resolve("broken", NULL, &t, err, sizeof(err)), -1);
	char *meta = strstr(err, "/contexts/meta/");
	assert_non_null(meta);
	char folder[512];
	snprintf(folder, sizeof(folder), "%s", strstr(err, dir));
	*strrchr(folder, '/') = '\0';                /* .../meta/DIGEST */
	mkdirs(folder);
	char path[600];
	snprintf(path, sizeof(path), "%s/meta.json", folder);
	write_file(path, "{\"Name\":\"broken\",\n \"Endpoints\": {\"docker\": {\"Host\": }}}");
	assert_int_equal(sd_docker_resolve("broken", NULL, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "meta.json:2:"));  /* file:line:column */
	write_file(path, "{\"Name\":\"broken\",\"Endpoints\":{}}");
	assert_int_equal(sd_docker_resolve("broken", NULL, &t, err, sizeof(err)), -1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_bad_meta),
		cmocka_unit_test(test_failover),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
