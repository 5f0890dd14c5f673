/* vip.c - the front door's checks on libcurl (see vip.h): the VIP's check URL and each
 * keepalived node's own, asked in parallel on one multi handle, every request bounded. */
#include "backends/vip/vip.h"

#include "base/text.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_KEPT 4096              /* bytes of an answer read; the name is on the first line */
#define NAME_MAX_LEN 128

struct check {
	char *url;
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
	char body[BODY_KEPT];
	size_t len;
	CURLcode code;
	bool done;
};

struct sd_vip_backend {
	char *address;
	long timeout_ms;
	CURLM *multi;
	struct check *checks;       /* [0]: the VIP; [1..]: the nodes, in the config's order */
	char **names;
	size_t nchecks;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct sd_vip_backend *sd_vip_open(const struct sd_config *config)
{
	pthread_once(&curl_once, curl_init_once);
	struct sd_vip_backend *b = xcalloc(1, sizeof(*b));
	b->address = xstrdup(config->vip.address);
	b->timeout_ms = config->vip.timeout_ms > 0 ? config->vip.timeout_ms : 1000;
	b->nchecks = 1 + config->vip.nnodes;
	b->checks = xcalloc(b->nchecks, sizeof(*b->checks));
	b->names = xcalloc(b->nchecks, sizeof(*b->names));
	b->checks[0].url = xstrdup(config->vip.check_url);
	b->names[0] = xstrdup("");
	for (size_t i = 0; i < config->vip.nnodes; i++) {
		b->checks[i + 1].url = xstrdup(config->vip.nodes[i].url);
		b->names[i + 1] = xstrdup(config->vip.nodes[i].name);
	}
	b->multi = curl_multi_init();
	return b;
}

void sd_vip_close(struct sd_vip_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nchecks; i++) {
		if (b->checks[i].h)
			curl_easy_cleanup(b->checks[i].h);
		free(b->checks[i].url);
		free(b->names[i]);
	}
	if (b->multi)
		curl_multi_cleanup(b->multi);
	free(b->checks);
	free(b->names);
	free(b->address);
	free(b);
}

int sd_vip_parse_answer(long status, const char *body, size_t len, char *says, size_t sayslen,
			char *err, size_t errlen)
{
	says[0] = '\0';
	if (status != 200) {
		snprintf(err, errlen, "HTTP %ld", status);
		return -1;
	}
	size_t start = 0;
	while (start < len && (body[start] == ' ' || body[start] == '\t'))
		start++;
	size_t end = start;
	while (end < len && body[end] != '\n' && body[end] != '\r')
		end++;
	while (end > start && (body[end - 1] == ' ' || body[end - 1] == '\t'))
		end--;
	if (end == start) {
		snprintf(err, errlen, "%s", len ? "an empty first line (expected the node's name)"
						: "an empty answer (expected the node's name)");
		return -1;
	}
	for (size_t i = start; i < end; i++)
		if (!isgraph((unsigned char)body[i]) || end - start > NAME_MAX_LEN) {
			snprintf(err, errlen, "the first line is not a node's name");
			return -1;
		}
	size_t n = end - start < sayslen - 1 ? end - start : sayslen - 1;
	memcpy(says, body + start, n);
	says[n] = '\0';
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct check *c = arg;
	size_t len = size * n, room = sizeof(c->body) - c->len;
	memcpy(c->body + c->len, data, len < room ? len : room);
	c->len += len < room ? len : room;
	return len; /* the rest is read and dropped: the name is on the first line */
}

static void prepare(struct sd_vip_backend *b, struct check *c)
{
	if (!c->h)
		c->h = curl_easy_init();
	else
		curl_easy_reset(c->h);
	CURL *h = c->h;
	c->len = 0;
	c->errbuf[0] = '\0';
	c->done = false;
	c->code = CURLE_OK;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, b->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, b->timeout_ms);
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L); /* ask whoever holds the address now */
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "swarmdeck-vip-check");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_PRIVATE, c);
}

/* Run every check at once; each is bounded by its own timeout. */
static void run_checks(struct sd_vip_backend *b)
{
	for (size_t i = 0; i < b->nchecks; i++) {
		prepare(b, &b->checks[i]);
		curl_multi_add_handle(b->multi, b->checks[i].h);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(b->multi, &running) != CURLM_OK)
			break;
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(b->multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				struct check *c = NULL;
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
				if (c) {
					c->code = msg->data.result;
					c->done = true;
				}
			}
		if (running && curl_multi_poll(b->multi, NULL, 0, 100, NULL) != CURLM_OK)
			break;
	}
	for (size_t i = 0; i < b->nchecks; i++)
		curl_multi_remove_handle(b->multi, b->checks[i].h);
}

/* What one check found: 0 with SAYS, or -1 with ERR. */
static int check_result(struct check *c, char *says, size_t sayslen, char *err, size_t errlen)
{
	says[0] = '\0';
	if (!c->done) {
		snprintf(err, errlen, "no answer");
		return -1;
	}
	if (c->code != CURLE_OK) {
		snprintf(err, errlen, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->code));
		return -1;
	}
	long status = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	return sd_vip_parse_answer(status, c->body, c->len, says, sayslen, err, errlen);
}

int sd_vip_fetch(struct sd_vip_backend *b, const struct sd_vip *previous, struct sd_vip **out,
		 char *err, size_t errlen)
{
	run_checks(b);
	struct sd_vip *v = sd_part_new(sizeof(*v));
	struct sd_arena *a = v->part.arena;
	time_t now = time(NULL);
	v->fetched_at = now;
	v->address = sd_arena_strdup(a, b->address);
	v->check_url = sd_arena_strdup(a, b->checks[0].url);
	char says[NAME_MAX_LEN + 1], why[CURL_ERROR_SIZE + 64];
	int rc = check_result(&b->checks[0], says, sizeof(says), why, sizeof(why));
	v->holder = sd_arena_strdup(a, rc == 0 ? says : "");
	v->error = sd_arena_strdup(a, rc == 0 ? "" : why);
	v->nnodes = b->nchecks - 1;
	v->nodes = sd_arena_alloc(a, (v->nnodes ? v->nnodes : 1) * sizeof(*v->nodes));
	for (size_t i = 0; i < v->nnodes; i++) {
		struct sd_vip_node *n = &v->nodes[i];
		int nrc = check_result(&b->checks[i + 1], says, sizeof(says), why, sizeof(why));
		n->name = sd_arena_strdup(a, b->names[i + 1]);
		n->url = sd_arena_strdup(a, b->checks[i + 1].url);
		n->answers = nrc == 0;
		n->says = sd_arena_strdup(a, nrc == 0 ? says : "");
		n->error = sd_arena_strdup(a, nrc == 0 ? "" : why);
	}
	bool same = previous && !strcmp(previous->holder, v->holder);
	v->holder_since = same ? previous->holder_since : now;
	v->last_holder = *v->holder ? v->holder
		       : sd_arena_strdup(a, previous ? previous->last_holder : "");
	*out = v;
	if (rc != 0) {
		snprintf(err, errlen, "the VIP %s does not answer %s: %s", b->address,
			 b->checks[0].url, v->error);
		return -1;
	}
	return 0;
}
