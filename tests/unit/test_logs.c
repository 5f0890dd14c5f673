/* test_logs.c - the log ring (bounded by lines and bytes, numbered, cut long lines), the log
 * stream decoder (multiplexed frames cut anywhere, a TTY's raw stream, stderr marked, the
 * swarm attributes and timestamps split off), `since` from a timestamp, and the inspect text
 * (nested lines, secrets masked, the rollback difference). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/docker/logs.h"
#include "base/logring.h"
#include "model/inspect.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_ring_bounds(void **state)
{
	(void)state;
	struct sd_log_ring ring;
	sd_log_ring_init(&ring, 100, 0);
	char text[64];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(text, sizeof(text), "line %d", i);
		sd_log_ring_push(&ring, SD_LOG_STDOUT, "", "src", text, (size_t)n);
	}
	sd_log_ring_lock(&ring);
	assert_int_equal(sd_log_ring_count(&ring), 100);
	assert_int_equal(sd_log_ring_first_seq(&ring), 900);
	assert_string_equal(sd_log_ring_at(&ring, 0)->text, "line 900");
	assert_string_equal(sd_log_ring_seq(&ring, 999)->text, "line 999");
	assert_null(sd_log_ring_seq(&ring, 899));
	assert_null(sd_log_ring_seq(&ring, 1000));
	sd_log_ring_unlock(&ring);
	sd_log_ring_free(&ring);

	/* the byte cap: lines of ~1 KB under a 64 KB cap */
	sd_log_ring_init(&ring, 20000, 65536);
	char big[1000];
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 5000; i++)
		sd_log_ring_push(&ring, SD_LOG_STDERR, "2026-12-01T00:00:00.000000000Z", "s", big,
				 sizeof(big));
	assert_true(ring.bytes <= 65536);
	assert_true(ring.count > 30 && ring.count < 66);
	assert_int_equal(sd_log_ring_at(&ring, 0)->stream, SD_LOG_STDERR);
	sd_log_ring_free(&ring);

	/* a line longer than the ring keeps is cut and says so */
	sd_log_ring_init(&ring, 4, 0);
	char *huge = malloc(SD_LOG_LINE_MAX * 2);
	memset(huge, 'y', SD_LOG_LINE_MAX * 2);
	sd_log_ring_push(&ring, SD_LOG_STDOUT, NULL, NULL, huge, SD_LOG_LINE_MAX * 2);
	free(huge);
	const char *t = sd_log_ring_at(&ring, 0)->text;
	assert_int_equal(strlen(t), SD_LOG_LINE_MAX + strlen("…"));
	assert_string_equal(t + SD_LOG_LINE_MAX, "…");
	sd_log_ring_free(&ring);
}

struct got {
	char lines[16][256];
	int stream[16];
	char time[16][48], task[16][80], node[16][80];
	size_t n;
};

static void collect(void *user, const struct sd_docker_log_entry *e)
{
	struct got *g = user;
	if (g->n >= 16)
		return;
	snprintf(g->lines[g->n], 256, "%.*s", (int)e->len, e->text);
	g->stream[g->n] = e->stream;
	snprintf(g->time[g->n], 48, "%s", e->time);
	snprintf(g->task[g->n], 80, "%s", e->task_id);
	snprintf(g->node[g->n], 80, "%s", e->node_id);
	g->n++;
}

/* one frame: header (stream, 0, 0, 0, big-endian length) and payload */
static size_t frame(char *out, int stream, const char *payload)
{
	size_t len = strlen(payload);
	out[0] = (char)stream;
	out[1] = out[2] = out[3] = 0;
	out[4] = (char)(len >> 24);
	out[5] = (char)(len >> 16);
	out[6] = (char)(len >> 8);
	out[7] = (char)len;
	memcpy(out + 8, payload, len);
	return 8 + len;
}

static const char attrs[] = "com.docker.swarm.node.id=node1,com.docker.swarm.service.id=svc1,"
			    "com.docker.swarm.task.id=task1";

static void test_decode_frames(void **state)
{
	(void)state;
	char buf[2048], payload[512];
	size_t len = 0;
	snprintf(payload, sizeof(payload), "2026-12-01T22:50:01.123456789Z %s hello world\n", attrs);
	len += frame(buf + len, 1, payload);
	snprintf(payload, sizeof(payload), "2026-12-01T22:50:02.000000001Z %s oops: bad\n", attrs);
	len += frame(buf + len, 2, payload);
	/* a line split over two frames */
	len += frame(buf + len, 1, "2026-12-01T22:50:03.5Z  plain ");
	len += frame(buf + len, 1, "rest\n");
	static const size_t cuts[][3] = {{0}, {1}, {3}, {7, 1, 13}, {9, 100}};
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		struct got g = {0};
		size_t np = cuts[c][0] ? (cuts[c][1] ? (cuts[c][2] ? 3 : 2) : 1) : 0;
		assert_int_equal(sd_docker_decode_logs(buf, len, cuts[c], np, collect, &g), 3);
		assert_string_equal(g.lines[0], "hello world");
		assert_int_equal(g.stream[0], SD_LOG_STDOUT);
		assert_string_equal(g.time[0], "2026-12-01T22:50:01.123456789Z");
		assert_string_equal(g.task[0], "task1");
		assert_string_equal(g.node[0], "node1");
		assert_string_equal(g.lines[1], "oops: bad");
		assert_int_equal(g.stream[1], SD_LOG_STDERR);
		assert_string_equal(g.lines[2], "plain rest");
		assert_string_equal(g.task[2], "");
	}
}

static void test_decode_raw(void **state)
{
	(void)state;
	/* a TTY service: no frame headers, CRLF line ends, a last line without its newline */
	char text[1024];
	int n = snprintf(text, sizeof(text),
			 "2026-12-01T22:50:01.1Z %s tty line\r\n2026-12-01T22:50:01.2Z %s last", attrs,
			 attrs);
	struct got g = {0};
	size_t piece = 5;
	assert_int_equal(sd_docker_decode_logs(text, (size_t)n, &piece, 1, collect, &g), 2);
	assert_string_equal(g.lines[0], "tty line");
	assert_string_equal(g.lines[1], "last");
	assert_int_equal(g.stream[1], SD_LOG_STDOUT);
	assert_string_equal(g.task[1], "task1");
}

static void test_decode_engine_errors(void **state)
{
	(void)state;
	/* a frame, then the engine's error written into the stream without a header */
	char buf[1024];
	size_t len = frame(buf, 1, "2026-12-01T22:50:01.1Z  first\n");
	static const char text[] = "Error grabbing logs: configured logging driver does not support reading\n";
	memcpy(buf + len, text, sizeof(text) - 1);
	len += sizeof(text) - 1;
	/* and a systemerr frame (stream 3) */
	len += frame(buf + len, 3, "something broke\n");
	size_t piece = 3;
	struct got g = {0};
	sd_docker_decode_logs(buf, len, &piece, 1, collect, &g);
	assert_true(g.n >= 2);
	assert_string_equal(g.lines[0], "first");
	assert_int_equal(g.stream[1], SD_LOG_NOTICE);
	assert_non_null(strstr(g.lines[1], "configured logging driver does not support reading"));
	g.n = 0;
	len = frame(buf, 3, "something broke\n");
	sd_docker_decode_logs(buf, len, NULL, 0, collect, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.stream[0], SD_LOG_NOTICE);
	assert_string_equal(g.lines[0], "something broke");
}

static void test_since(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(sd_docker_log_since("2026-12-01T22:50:01.123456789Z", out, sizeof(out)), 0);
	assert_string_equal(out, "1796165401.123456789");
	assert_int_equal(sd_docker_log_since("1970-01-01T00:00:10Z", out, sizeof(out)), 0);
	assert_string_equal(out, "10.000000000");
	assert_int_equal(sd_docker_log_since("1970-01-01T00:00:10.5Z", out, sizeof(out)), 0);
	assert_string_equal(out, "10.500000000");
	assert_int_equal(sd_docker_log_since("yesterday", out, sizeof(out)), -1);
	assert_int_equal(sd_docker_log_since("2026-12-01T22:50:01+01:00", out, sizeof(out)), -1);
}

static bool has_line(const struct sd_inspect *in, const char *text)
{
	for (size_t i = 0; i < in->n; i++)
		if (strstr(in->lines[i].text, text))
			return true;
	return false;
}

static void test_inspect_masks(void **state)
{
	(void)state;
	json_t *v = json_loads(
		"{\"Spec\":{\"Name\":\"backend\",\"TaskTemplate\":{\"ContainerSpec\":{\"Env\":["
		"\"DATABASE_URL=postgresql://iot_user:hunter2@postgres:5432/iot_db\","
		"\"POSTGRES_PASSWORD=hunter3\",\"MODE=prod\",\"PGCONN=host=x password=hunter4 user=y\"]}},"
		"\"UpdateConfig\":{\"Parallelism\":1}},"
		"\"Config\":{\"Data\":\"aHVudGVyNQ==\"},\"ApiToken\":\"hunter6\","
		"\"Nested\":{\"password\":{\"a\":\"hunter7\"}},"
		"\"Secrets\":[{\"SecretName\":\"pg_password\",\"SecretID\":\"abc\"}]}", 0, NULL);
	assert_non_null(v);
	struct sd_inspect in = {0};
	sd_inspect_json(&in, v, 0);
	for (size_t i = 0; i < in.n; i++)
		assert_null(strstr(in.lines[i].text, "hunter"));
	assert_true(has_line(&in, "Name: backend"));
	assert_true(has_line(&in, "UpdateConfig:"));
	assert_true(has_line(&in, "    Parallelism: 1"));
	assert_true(has_line(&in, "- DATABASE_URL=postgresql://iot_user:******@postgres:5432/iot_db"));
	assert_true(has_line(&in, "- POSTGRES_PASSWORD=******"));
	assert_true(has_line(&in, "- MODE=prod"));
	assert_true(has_line(&in, "password=****** user=y"));
	assert_true(has_line(&in, "Data: ******"));
	/* a secret's reference is a name, not its value */
	assert_true(has_line(&in, "SecretName: pg_password"));
	sd_inspect_free(&in);
	json_decref(v);
}

static void test_inspect_diff(void **state)
{
	(void)state;
	json_t *before = json_loads("{\"Name\":\"b\",\"Env\":[\"A=1\"],\"Replicas\":3,"
				    "\"L1\":1,\"L2\":2,\"L3\":3,\"L4\":4,\"L5\":5,\"L6\":6,\"L7\":7}", 0, NULL);
	json_t *after = json_loads("{\"Name\":\"b\",\"Env\":[\"A=1\",\"B=2\"],\"Replicas\":3,"
				   "\"L1\":1,\"L2\":2,\"L3\":3,\"L4\":4,\"L5\":5,\"L6\":6,\"L7\":70}", 0, NULL);
	struct sd_inspect d = {0};
	assert_int_equal(sd_inspect_diff(&d, before, after, 1), 3);
	bool added = false, removed = false, gap = false;
	for (size_t i = 0; i < d.n; i++) {
		if (d.lines[i].mark == SD_INSPECT_ADDED && !strcmp(d.lines[i].text, "+   - B=2"))
			added = true;
		if (d.lines[i].mark == SD_INSPECT_REMOVED && !strcmp(d.lines[i].text, "- L7: 7"))
			removed = true;
		gap |= d.lines[i].mark == SD_INSPECT_GAP;
	}
	assert_true(added);
	assert_true(removed);
	assert_true(gap);
	sd_inspect_free(&d);
	assert_int_equal(sd_inspect_diff(&d, before, before, 3), 0);
	sd_inspect_free(&d);
	json_decref(before);
	json_decref(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_bounds),
		cmocka_unit_test(test_decode_frames),
		cmocka_unit_test(test_decode_raw),
		cmocka_unit_test(test_decode_engine_errors),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_inspect_masks),
		cmocka_unit_test(test_inspect_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
