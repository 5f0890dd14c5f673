/* fuzz_stream.c - the streamed list decoders (sd_docker_fetch against the fake engine): the
 * input is a chunk plan, then /info, /nodes, /services and /tasks answers, in five
 * sections. Each answer reaches the decoder cut where the plan says, and the result must be
 * what a whole-buffer decode (sd_docker_decode) of the same answers gives: both refuse, or
 * both give the same snapshot JSON. An empty section stands for an empty answer ({} or []). */
#include "fuzz.h"
#include "fake_engine.h"
#include "swarm_json.h"
#include "backends/docker/docker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sd_docker *docker;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct sd_docker_config config = {.host = fake_engine_host(), .tls_verify = 0,
					  .timeout_ms = 20000, .read_only = true};
	char err[256];
	docker = sd_docker_open(&config, err, sizeof(err));
	FUZZ_ASSERT(docker, "sd_docker_open: %s", err);
	return 0;
}

static void expect_same(json_t *whole, json_t *streamed, const char *key)
{
	json_t *a = json_object_get(whole, key), *b = json_object_get(streamed, key);
	if (json_equal(a, b))
		return;
	char *ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	char *tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_ASSERT(0, "%s differ:\n  whole:    %.2000s\n  streamed: %.2000s", key,
		    ta ? ta : "?", tb ? tb : "?");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[5] = {"", "", "", "", ""};
	size_t lens[5] = {0, 0, 0, 0, 0};
	fuzz_sections(data, size, parts, lens, 5);
	static const char *const names[5] = {NULL, "info", "nodes", "services", "tasks"};
	for (int i = 1; i < 5; i++)
		if (!lens[i]) {
			parts[i] = i == 1 ? "{}" : "[]";
			lens[i] = 2;
		}

	struct sd_swarm *whole = NULL, *streamed = NULL;
	char whole_err[512] = "", stream_err[512] = "";
	int whole_rc = sd_docker_decode(parts[1], lens[1], parts[2], lens[2], parts[3], lens[3],
					parts[4], lens[4], &whole, whole_err, sizeof(whole_err));

	struct fake_answer answers[6] = {
		{.name = "_ping", .body = "OK", .len = 2, .headers = "Api-Version: 1.41\r\n"},
	};
	for (int i = 1; i < 5; i++)
		answers[i] = (struct fake_answer){.name = names[i], .body = parts[i], .len = lens[i]};
	fake_engine_set(answers, 5, (const uint8_t *)parts[0], lens[0]);
	int stream_rc = sd_docker_fetch(docker, &streamed, stream_err, sizeof(stream_err));

	FUZZ_ASSERT((whole_rc == 0) == (stream_rc == 0), "whole: %s; streamed: %s",
		    whole_rc == 0 ? "decoded" : whole_err, stream_rc == 0 ? "decoded" : stream_err);
	if (whole_rc == 0) {
		json_t *a = fuzz_swarm_json(whole), *b = fuzz_swarm_json(streamed);
		/* only a fetch knows the engine it asked */
		const char *asked = json_string_value(
			json_object_get(json_object_get(b, "cluster"), "endpoint"));
		FUZZ_ASSERT(asked && !strcmp(asked, fake_engine_host()), "the fetch names %s, not %s",
			    asked ? asked : "no endpoint", fake_engine_host());
		json_object_del(json_object_get(a, "cluster"), "endpoint");
		json_object_del(json_object_get(b, "cluster"), "endpoint");
		expect_same(a, b, "cluster");
		expect_same(a, b, "nodes");
		expect_same(a, b, "services");
		expect_same(a, b, "tasks");
		json_decref(a);
		json_decref(b);
	}
	sd_part_unref(whole);
	sd_part_unref(streamed);
	return 0;
}
