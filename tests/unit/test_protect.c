/* test_protect.c - a protected cluster: the config's protected and read_only (errors at
 * file:line:column), every mutating action asking for its target's name typed with the
 * cluster named first in the question, "yes" refused and audited, navigation untouched. */
#include "actions.h"
#include "backends/docker/docker.h"
#include "conf/config.h"
#include "core.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static const char *write_config(const char *text)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_config(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err;
	assert_int_equal(sd_config_load(write_config("cluster_name: prod\nprotected: true\n"
						     "read_only: true\n"), &c, &err), 0);
	assert_true(c.protected_cluster);
	assert_true(c.read_only);
	sd_config_free(&c);
	assert_int_equal(sd_config_load(write_config("cluster_name: beta\n"), &c, &err), 0);
	assert_false(c.protected_cluster);
	assert_false(c.read_only);
	sd_config_free(&c);
	assert_int_equal(sd_config_load(write_config("cluster_name: prod\nprotected: maybe\n"),
					&c, &err), -1);
	assert_non_null(strstr(err.text, "config.yaml:2:"));
	assert_non_null(strstr(err.text, "protected"));
}

static const char services[] =
	"[{\"ID\":\"svc-b\",\"Spec\":{\"Name\":\"app_backend\",\"Mode\":{\"Replicated\":"
	"{\"Replicas\":3}}},\"ServiceStatus\":{\"RunningTasks\":3}}]";

static void test_every_change_asks_for_the_name(void **state)
{
	(void)state;
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	config.cluster_name = (char *)"prod";
	config.protected_cluster = true;
	config.docker.host = (char *)"unix:///nonexistent/docker.sock";
	config.docker.timeout_ms = 200;
	config.docker.tls_verify = -1;
	config.interval = 2;
	config.scale_max = 10;
	char audit[128];
	snprintf(audit, sizeof(audit), "%s/audit.log", dir);
	config.audit_log = audit;
	struct sd_error e;
	struct sd_core *core = sd_core_new(&config, SD_MODE_LIVE, &e);
	assert_non_null(core);
	struct sd_docker_bodies b = {.services = services, .services_len = sizeof(services) - 1};
	struct sd_swarm *sw = NULL;
	char err[256];
	assert_int_equal(sd_docker_decode_bodies(&b, NULL, 0, &sw, err, sizeof(err)), 0);
	sd_core_put_swarm(core, sw);

	struct sd_request req;
	/* service.scale answers "yes" elsewhere: here the service's name */
	assert_int_equal(sd_action_prepare(core, sd_action_find("service.scale"), "svc-b", "4", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_TYPE_NAME);
	assert_string_equal(req.target_name, "app_backend");
	assert_true(strncmp(req.question, "PROTECTED cluster prod: ", 24) == 0);
	assert_int_equal(sd_action_submit(core, &req, "yes"), -1);
	assert_non_null(strstr(req.result, "the name typed did not match"));
	/* navigation is not a change: nothing to confirm */
	assert_int_equal(sd_action_prepare(core, sd_action_find("focus.alerts"), "", "", &req), 0);
	assert_int_equal(req.confirm, SD_CONFIRM_NONE);
	sd_core_free(core);

	/* the refusal is in the audit log like any answer that does not match */
	FILE *f = fopen(audit, "r");
	assert_non_null(f);
	char line[2048];
	bool refused = false;
	while (fgets(line, sizeof(line), f))
		refused |= strstr(line, "\"service.scale\"") && strstr(line, "refused");
	fclose(f);
	assert_true(refused);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/sd-protect-%d", (int)getpid());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	return system(cmd);
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_every_change_asks_for_the_name),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
