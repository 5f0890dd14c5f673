/* fuzz_events.c - the Engine API events stream (sd_docker_watch_events against the fake
 * engine): the input is a chunk plan, a /version answer (empty: the engine's /_ping names
 * API 1.41 instead) and the /events stream, in three sections. Every line of the stream that
 * is a JSON object must reach the callback once, in order, with its type, action and actor,
 * wherever the chunks cut it; a /version the client cannot use ends the watch before any. */
#include "fuzz.h"
#include "fake_engine.h"
#include "backends/docker/docker.h"
#include "base/text.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS 4096

struct seen {
	size_t n;
	char *text[MAX_EVENTS];
};

static char *event_text(const char *type, const char *action, const char *actor)
{
	size_t len = strlen(type) + strlen(action) + strlen(actor) + 3;
	char *s = malloc(len);
	snprintf(s, len, "%s|%s|%s", type, action, actor);
	return s;
}

static void on_event(void *user, const char *type, const char *action, const char *actor)
{
	struct seen *seen = user;
	if (seen->n < MAX_EVENTS)
		seen->text[seen->n] = event_text(type, action, actor);
	seen->n++;
}

/* What the engine's documentation says a line carries (a byte that is not UTF-8 reaches the
 * console as U+FFFD, as every engine string does). */
static void expected_events(const char *p, size_t len, struct seen *out)
{
	const char *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;                     /* an unfinished line is never an event */
		size_t n = (size_t)(nl - p);
		char *line = malloc(3 * n + 1);
		size_t clean = sd_utf8_sanitize(p, n, line);
		json_t *ev = n ? json_loadb(line, clean, 0, NULL) : NULL;
		free(line);
		if (json_is_object(ev)) {
			json_t *actor = json_object_get(ev, "Actor");
			const char *type = json_string_value(json_object_get(ev, "Type"));
			const char *action = json_string_value(json_object_get(ev, "Action"));
			const char *name = json_string_value(
				json_object_get(json_object_get(actor, "Attributes"), "name"));
			if (!name || !*name)
				name = json_string_value(json_object_get(actor, "ID"));
			on_event(out, type ? type : "", action ? action : "", name ? name : "");
		}
		json_decref(ev);
		p = nl + 1;
	}
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n && i < MAX_EVENTS; i++)
		free(s->text[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[3] = {"", "", ""};
	size_t lens[3] = {0, 0, 0};
	fuzz_sections(data, size, parts, lens, 3);
	struct fake_answer answers[3];
	size_t n = 0;
	if (lens[1]) {
		answers[n++] = (struct fake_answer){.name = "_ping", .body = "OK", .len = 2};
		answers[n++] = (struct fake_answer){.name = "version", .body = parts[1],
						    .len = lens[1]};
	} else {
		answers[n++] = (struct fake_answer){.name = "_ping", .body = "OK", .len = 2,
						    .headers = "Api-Version: 1.41\r\n"};
	}
	answers[n++] = (struct fake_answer){.name = "events", .body = parts[2], .len = lens[2]};
	fake_engine_set(answers, n, (const uint8_t *)parts[0], lens[0]);

	struct sd_docker_config config = {.host = fake_engine_host(), .tls_verify = 0,
					  .timeout_ms = 20000, .read_only = true};
	char err[512] = "";
	struct sd_docker *docker = sd_docker_open(&config, err, sizeof(err));
	FUZZ_ASSERT(docker, "sd_docker_open: %s", err);
	struct seen got = {0}, want = {0};
	volatile int stop = 0;
	/* the whole message: an error may quote the input (an ApiVersion the engine named) */
	char ended[sizeof(err)];
	snprintf(ended, sizeof(ended), "%s: the event stream ended", sd_docker_host(docker));
	int rc = sd_docker_watch_events(docker, on_event, &got, &stop, err, sizeof(err));
	sd_docker_close(docker);
	FUZZ_ASSERT(rc < 0 && err[0], "the watch ended with %d, \"%s\"", rc, err);
	if (!strcmp(err, ended)) {
		expected_events(parts[2], lens[2], &want);
		FUZZ_ASSERT(got.n == want.n, "%zu events, want %zu", got.n, want.n);
		for (size_t i = 0; i < got.n && i < MAX_EVENTS; i++)
			FUZZ_ASSERT(!strcmp(got.text[i], want.text[i]), "event %zu: \"%s\", want \"%s\"",
				    i, got.text[i], want.text[i]);
	} else {
		FUZZ_ASSERT(got.n == 0, "%zu events from a watch that failed: %s", got.n, err);
	}
	seen_free(&got);
	seen_free(&want);
	return 0;
}
