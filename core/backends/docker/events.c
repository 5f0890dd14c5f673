/* events.c - the /events follower: one handle of its own on a curl multi loop, so STOP is
 * looked at several times a second; each newline-delimited event goes to the callback. The
 * same line reader serves sd_docker_decode_events, which feeds captured text in pieces. */
#include "backends/docker/internal.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENT_LINE_MAX (1 << 20)

struct event_stream {
	void (*on_event)(void *user, const char *type, const char *action, const char *actor);
	void *user;
	void (*on_raw)(void *user, const char *json, size_t len); /* the event's line, or NULL */
	void (*on_change)(void *user, const struct sd_docker_event *event); /* or NULL */
	CURL *h;
	long status;
	struct buffer_sink line;       /* bytes of the unfinished event */
	bool skipping;                 /* inside a line longer than EVENT_LINE_MAX */
	size_t count;                  /* events delivered */
	struct buffer_sink error_body;
};

static void emit_event(struct event_stream *es, const char *text, size_t len)
{
	/* a container's name or a label need not be UTF-8; jansson would drop the event */
	size_t fixed_len = 0;
	char *fixed = docker_utf8_copy(text, len, &fixed_len);
	json_t *ev = json_loadb(fixed ? fixed : text, fixed ? fixed_len : len, 0, NULL);
	if (!json_is_object(ev)) {
		json_decref(ev);
		free(fixed);
		return;
	}
	json_t *actor = json_object_get(ev, "Actor");
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	json_t *attrs = json_object_get(actor, "Attributes");
	const char *id = json_string_value(json_object_get(actor, "ID"));
	const char *name = json_string_value(json_object_get(attrs, "name"));
	const char *service =
		json_string_value(json_object_get(attrs, "com.docker.swarm.service.id"));
	if (!name || !*name)
		name = id;
	es->count++;
	if (es->on_raw)
		es->on_raw(es->user, fixed ? fixed : text, fixed ? fixed_len : len);
	if (es->on_change) {
		struct sd_docker_event event = {type ? type : "", action ? action : "",
						id ? id : "", name ? name : "",
						service ? service : ""};
		es->on_change(es->user, &event);
	} else {
		es->on_event(es->user, type ? type : "", action ? action : "", name ? name : "");
	}
	json_decref(ev);
	free(fixed);
}

/* The engine writes one JSON object per line; a line cut by a chunk's end waits for the
 * rest. A line too long to keep is dropped whole, never the stream. */
static void event_feed(struct event_stream *es, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (es->skipping) {
			es->skipping = nl == NULL;
		} else if (!nl) {
			if (docker_buffer_append(&es->line, p, n) < 0) {
				es->line.len = 0;
				es->skipping = true;
			}
		} else if (es->line.len) {
			if (docker_buffer_append(&es->line, p, n) == 0)
				emit_event(es, es->line.data, es->line.len);
			es->line.len = 0;
		} else if (n > 0 && n < EVENT_LINE_MAX) {   /* the same bound as a kept line */
			emit_event(es, p, n);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

size_t sd_docker_decode_events(const char *text, size_t len, const size_t *pieces,
			       size_t npieces,
			       void (*on_event)(void *user, const char *type, const char *action,
						const char *actor),
			       void *user)
{
	struct event_stream es = {.on_event = on_event, .user = user};
	docker_buffer_init(&es.line, EVENT_LINE_MAX);
	for (size_t off = 0, i = 0; text && off < len; i++) {
		size_t piece = npieces ? pieces[i % npieces] : len;
		if (piece == 0)
			piece = 1;
		if (piece > len - off)
			piece = len - off;
		event_feed(&es, text + off, piece);
		off += piece;
	}
	free(es.line.data);
	return es.count;
}

static size_t on_event_bytes(char *data, size_t size, size_t nmemb, void *user)
{
	struct event_stream *es = user;
	size_t len = size * nmemb;
	if (es->status == 0)
		curl_easy_getinfo(es->h, CURLINFO_RESPONSE_CODE, &es->status);
	if (es->status != 200) {
		size_t room = ERROR_BODY_MAX - 1 - es->error_body.len;
		docker_buffer_append(&es->error_body, data, len < room ? len : room);
		return len;
	}
	event_feed(es, data, len);
	return len;
}

/* STOP is written by another thread (the core's stop): read it atomically. */
static bool stop_requested(const volatile int *stop)
{
	return stop && __atomic_load_n(stop, __ATOMIC_ACQUIRE) != 0;
}

int sd_docker_watch_events(struct sd_docker *d,
			   void (*on_event)(void *user, const char *type, const char *action,
					    const char *actor),
			   void *user, const volatile int *stop, char *err, size_t errlen)
{
	return sd_docker_watch_events_since(d, 0, on_event, NULL, user, stop, err, errlen);
}

static int follow(struct sd_docker *d, double since, struct event_stream es,
		  const volatile int *stop, char *err, size_t errlen);

int sd_docker_watch_events_since(struct sd_docker *d, double since,
				 void (*on_event)(void *user, const char *type,
						  const char *action, const char *actor),
				 void (*on_raw)(void *user, const char *json, size_t len),
				 void *user, const volatile int *stop, char *err, size_t errlen)
{
	struct event_stream es = {.on_event = on_event, .on_raw = on_raw, .user = user};
	return follow(d, since, es, stop, err, errlen);
}

int sd_docker_follow_events(struct sd_docker *d, double since,
			    void (*on_change)(void *user, const struct sd_docker_event *event),
			    void (*on_raw)(void *user, const char *json, size_t len), void *user,
			    const volatile int *stop, char *err, size_t errlen)
{
	struct event_stream es = {.on_change = on_change, .on_raw = on_raw, .user = user};
	return follow(d, since, es, stop, err, errlen);
}

static int follow(struct sd_docker *d, double since, struct event_stream es,
		  const volatile int *stop, char *err, size_t errlen)
{
	/* a handle of its own: the stream never holds up fetches or actions */
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "%s: cannot create a request handle", docker_ep(d)->host);
		return -1;
	}
	char api[16];
	if (docker_negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		curl_easy_cleanup(h);
		return -1;
	}
	/* swarm objects (networks, secrets and configs too: pane 8), plus the local engine's
	 * containers starting and dying; exec and attach noise filtered out by the engine */
	static const char filters[] =
		"{\"type\":[\"service\",\"node\",\"container\",\"network\",\"secret\","
		"\"config\"],"
		"\"event\":[\"create\",\"update\",\"remove\",\"start\",\"die\",\"oom\","
		"\"destroy\",\"health_status\"]}";
	char escaped[sizeof(filters) * 3], url[sizeof(docker_ep(d)->base_url) + sizeof(escaped) + 64];
	docker_path_escape(filters, escaped, sizeof(escaped));
	snprintf(url, sizeof(url), "%s/v%s/events?filters=%s", docker_ep(d)->base_url, api, escaped);
	if (since > 0) /* the engine replays what it kept since then, then follows */
		snprintf(url + strlen(url), sizeof(url) - strlen(url), "&since=%.3f", since);

	char curl_err[CURL_ERROR_SIZE] = "";
	es.h = h;
	docker_buffer_init(&es.line, EVENT_LINE_MAX);
	docker_buffer_init(&es.error_body, ERROR_BODY_MAX);
	docker_setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_event_bytes);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &es);

	int rc = -1;
	CURLM *multi = curl_multi_init();
	if (!multi) {
		snprintf(err, errlen, "%s: cannot create a request handle", docker_ep(d)->host);
		goto done;
	}
	if (docker_ep(d)->setup_error[0]) {
		snprintf(err, errlen, "%s: %s", docker_ep(d)->host, docker_ep(d)->setup_error);
		goto done;
	}
	curl_multi_add_handle(multi, h);
	CURLcode result = CURLE_OK;
	bool finished = false;
	while (!finished) {
		if (stop_requested(stop)) {
			rc = 0;
			break;
		}
		int running = 0;
		CURLMcode mc = curl_multi_perform(multi, &running);
		if (mc != CURLM_OK) {
			snprintf(err, errlen, "%s: events: %s", docker_ep(d)->host, curl_multi_strerror(mc));
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				result = msg->data.result;
				finished = true;
			}
		if (finished || running == 0) {
			finished = true;
			break;
		}
		curl_multi_poll(multi, NULL, 0, 200, NULL);   /* STOP is looked at 5 times a second */
	}
	if (finished) {
		if (es.status == 0)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &es.status);
		if (result != CURLE_OK)
			docker_transport_error(d, h, result, curl_err, err, errlen);
		else if (es.status != 200)
			docker_engine_error(d, es.status, es.error_body.data, es.error_body.len, err, errlen);
		else
			snprintf(err, errlen, "%s: the event stream ended", docker_ep(d)->host);
		if (stop_requested(stop))
			rc = 0;
	}
	curl_multi_remove_handle(multi, h);
done:
	if (multi)
		curl_multi_cleanup(multi);
	curl_easy_cleanup(h);
	free(es.line.data);
	free(es.error_body.data);
	return rc;
}

