/* logs.c - service and task logs (see logs.h): the stream decoder (frames or raw, then lines,
 * then timestamp, swarm attributes and message) and the follower session, one thread per
 * stream on a curl multi loop of its own so STOP and PAUSE are looked at five times a
 * second. */
#include "backends/docker/internal.h"
#include "backends/docker/logs.h"
#include "base/clock.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the decoder -------------------------------------------------------------------- */

enum { MODE_UNKNOWN, MODE_FRAMES, MODE_RAW };

struct log_decoder {
	int mode;
	unsigned char header[8];
	size_t hlen;
	size_t frame_left;            /* payload bytes left in the current frame */
	enum sd_log_stream frame_stream;
	enum sd_log_stream raw_stream;   /* what raw text is: a TTY's STDOUT, or the engine's
					    text after a broken header (NOTICE) */
	struct buffer_sink line[3];   /* the unfinished line of each stream */
	sd_docker_log_fn *on_line;
	void *user;
	size_t count;
};

static void decoder_init(struct log_decoder *ld, sd_docker_log_fn *fn, void *user)
{
	memset(ld, 0, sizeof(*ld));
	for (int i = 0; i < 3; i++)
		docker_buffer_init(&ld->line[i], SD_LOG_LINE_MAX + 1);
	ld->on_line = fn;
	ld->user = user;
}

static void decoder_free(struct log_decoder *ld)
{
	for (int i = 0; i < 3; i++)
		free(ld->line[i].data);
}

static bool is_timestamp(const char *s, size_t len)
{
	return len >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[0] >= '0' && s[0] <= '9';
}

/* A query-escaped attribute value, decoded in place into OUT. */
static void unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < len) {
			char hex[3] = {s[i + 1], s[i + 2], 0};
			out[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* "TIMESTAMP ATTRS MESSAGE": the timestamp when there is one, then the details (k=v,k=v,
 * possibly empty) when they hold the swarm's keys, then the message as it is. */
static void emit_line(struct log_decoder *ld, enum sd_log_stream stream, const char *p,
		      size_t len)
{
	if (len && p[len - 1] == '\r')
		len--;
	char time[48] = "", node[80] = "", service[80] = "", task[80] = "";
	const char *end = p + len;
	if (is_timestamp(p, len)) {
		const char *sp = memchr(p, ' ', len);
		size_t tl = (size_t)((sp ? sp : end) - p);
		if (tl < sizeof(time)) {
			memcpy(time, p, tl);
			time[tl] = '\0';
			p = sp ? sp + 1 : end;
		}
	}
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	if (sp && (sp == p || (size_t)(sp - p) > 16)) {
		/* details: empty, or a comma list that names the swarm's keys */
		bool swarm = sp == p;
		for (const char *a = p; a < sp && !swarm; a++)
			swarm = !strncmp(a, "com.docker.swarm.", 17);
		for (const char *a = p; swarm && a < sp;) {
			const char *comma = memchr(a, ',', (size_t)(sp - a));
			const char *aend = comma ? comma : sp;
			const char *eq = memchr(a, '=', (size_t)(aend - a));
			if (eq) {
				size_t kl = (size_t)(eq - a);
				char *dst = NULL;
				if (kl == 24 && !strncmp(a, "com.docker.swarm.node.id", kl))
					dst = node;
				else if (kl == 27 && !strncmp(a, "com.docker.swarm.service.id", kl))
					dst = service;
				else if (kl == 24 && !strncmp(a, "com.docker.swarm.task.id", kl))
					dst = task;
				if (dst)
					unescape(eq + 1, (size_t)(aend - eq - 1), dst, 80);
			}
			a = aend + 1;
		}
		if (swarm)
			p = sp + 1;
	}
	struct sd_docker_log_entry e = {.stream = stream, .time = time, .node_id = node,
					.service_id = service, .task_id = task, .text = p,
					.len = (size_t)(end - p)};
	ld->count++;
	ld->on_line(ld->user, &e);
}

/* Payload bytes of STREAM: whole lines go out, a cut one waits; a line longer than the ring
 * keeps is delivered cut at that length. */
static void feed_lines(struct log_decoder *ld, enum sd_log_stream stream, const char *data,
		       size_t len)
{
	struct buffer_sink *b = &ld->line[stream];
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		if (!nl) {
			size_t room = SD_LOG_LINE_MAX - b->len;
			docker_buffer_append(b, p, n < room ? n : room);
			break;
		}
		if (b->len) {
			size_t room = SD_LOG_LINE_MAX - b->len;
			docker_buffer_append(b, p, n < room ? n : room);
			emit_line(ld, stream, b->data, b->len);
			b->len = 0;
		} else {
			emit_line(ld, stream, p, n);
		}
		p = nl + 1;
	}
}

static void decoder_feed(struct log_decoder *ld, const char *data, size_t len)
{
	while (len > 0) {
		if (ld->mode == MODE_UNKNOWN) {
			/* a frame header starts 0, 1 or 2 and three zero bytes; text never does */
			unsigned char c = (unsigned char)data[0];
			ld->mode = c <= 3 ? MODE_FRAMES : MODE_RAW;
			ld->raw_stream = SD_LOG_STDOUT;
		}
		if (ld->mode == MODE_RAW) {
			feed_lines(ld, ld->raw_stream, data, len);
			return;
		}
		if (ld->frame_left == 0) {
			size_t take = 8 - ld->hlen < len ? 8 - ld->hlen : len;
			memcpy(ld->header + ld->hlen, data, take);
			ld->hlen += take;
			data += take;
			len -= take;
			if (ld->hlen < 8)
				return;
			ld->hlen = 0;
			if (ld->header[0] > 3 || ld->header[1] || ld->header[2] || ld->header[3]) {
				/* not a header: the engine wrote text into the stream (an error it
				 * met while reading the logs); the rest is read as text */
				ld->mode = MODE_RAW;
				feed_lines(ld, SD_LOG_NOTICE, (const char *)ld->header, 8);
				ld->raw_stream = SD_LOG_NOTICE;
				continue;
			}
			/* 3: the engine's own error, "systemerr" */
			ld->frame_stream = ld->header[0] == 2 ? SD_LOG_STDERR
					   : ld->header[0] == 3 ? SD_LOG_NOTICE : SD_LOG_STDOUT;
			ld->frame_left = (size_t)ld->header[4] << 24 | (size_t)ld->header[5] << 16 |
					 (size_t)ld->header[6] << 8 | (size_t)ld->header[7];
			continue;
		}
		size_t take = ld->frame_left < len ? ld->frame_left : len;
		feed_lines(ld, ld->frame_stream, data, take);
		ld->frame_left -= take;
		data += take;
		len -= take;
	}
}

/* The stream's end: the lines without their newline go out as they are. */
static void decoder_finish(struct log_decoder *ld)
{
	for (int i = 0; i < 3; i++)
		if (ld->line[i].len) {
			emit_line(ld, (enum sd_log_stream)i, ld->line[i].data, ld->line[i].len);
			ld->line[i].len = 0;
		}
}

size_t sd_docker_decode_logs(const char *data, size_t len, const size_t *pieces, size_t npieces,
			     sd_docker_log_fn *on_line, void *user)
{
	struct log_decoder ld;
	decoder_init(&ld, on_line, user);
	for (size_t off = 0, i = 0; data && off < len; i++) {
		size_t piece = npieces ? pieces[i % npieces] : len;
		if (piece == 0)
			piece = 1;
		if (piece > len - off)
			piece = len - off;
		decoder_feed(&ld, data + off, piece);
		off += piece;
	}
	decoder_finish(&ld);
	decoder_free(&ld);
	return ld.count;
}

int sd_docker_log_since(const char *time, char *out, size_t size)
{
	struct tm tm = {0};
	char frac[16] = "";
	int used = 0;
	if (sscanf(time, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used) != 6)
		return -1;
	const char *p = time + used;
	if (*p == '.') {
		size_t n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (n < 9)
				frac[n++] = *p;
		while (n < 9)
			frac[n++] = '0';
		frac[n] = '\0';
	} else {
		strcpy(frac, "000000000");
	}
	if (*p != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	snprintf(out, size, "%lld.%s", (long long)t, frac);
	return 0;
}

/* ---- the session ---------------------------------------------------------------------- */

#define SEEN_SLOTS 64

struct seen {
	char task[80];
	char time[48];
	char prefix[160];
};

struct stream_thread {
	struct sd_docker_logs *logs;
	enum sd_docker_logs_kind kind;
	char id[128];
	pthread_t thread;
	bool started;
	CURL *h;
	long status;
	struct buffer_sink error_body;
	struct log_decoder dec;
	char last_time[48];          /* the newest timestamp pushed */
	struct seen seen[SEEN_SLOTS];/* per task: its newest timestamp and its prefix */
	size_t nseen;
	bool connected;
};

struct sd_docker_logs {
	struct sd_docker *docker;
	struct sd_log_ring *ring;
	struct sd_docker_logs_config config;
	char node_id[80];
	volatile int stop, paused;
	unsigned reconnects, connected;
	struct stream_thread *streams;
	size_t n;
};

static struct seen *seen_for(struct stream_thread *st, const struct sd_docker_log_entry *e)
{
	for (size_t i = 0; i < st->nseen; i++)
		if (!strcmp(st->seen[i].task, e->task_id))
			return &st->seen[i];
	size_t slot = st->nseen < SEEN_SLOTS ? st->nseen++ : (size_t)(e->len % SEEN_SLOTS);
	struct seen *s = &st->seen[slot];
	sd_strlcpy(s->task, e->task_id, sizeof(s->task));
	s->time[0] = '\0';
	const struct sd_docker_logs_config *c = &st->logs->config;
	if (c->namer)
		c->namer(c->namer_user, e->node_id, e->service_id, e->task_id, s->prefix,
			 sizeof(s->prefix));
	else
		snprintf(s->prefix, sizeof(s->prefix), "%.24s@%.24s", e->task_id, e->node_id);
	return s;
}

static void on_stream_line(void *user, const struct sd_docker_log_entry *e)
{
	struct stream_thread *st = user;
	struct sd_docker_logs *logs = st->logs;
	if (e->stream == SD_LOG_NOTICE) {   /* the engine's own words, verbatim */
		sd_log_ring_push(logs->ring, SD_LOG_NOTICE, e->time, "engine", e->text, e->len);
		return;
	}
	if (logs->node_id[0] && strcmp(e->node_id, logs->node_id))
		return;
	struct seen *s = seen_for(st, e);
	/* after a reconnect `since` repeats the lines of the last timestamp: skip what is held */
	if (*e->time && *s->time && strcmp(e->time, s->time) <= 0)
		return;
	if (*e->time) {
		sd_strlcpy(s->time, e->time, sizeof(s->time));
		if (strcmp(e->time, st->last_time) > 0)
			sd_strlcpy(st->last_time, e->time, sizeof(st->last_time));
	}
	sd_log_ring_push(logs->ring, e->stream, e->time, s->prefix, e->text, e->len);
}

static size_t on_log_bytes(char *data, size_t size, size_t nmemb, void *user)
{
	struct stream_thread *st = user;
	size_t len = size * nmemb;
	if (st->status == 0)
		curl_easy_getinfo(st->h, CURLINFO_RESPONSE_CODE, &st->status);
	if (st->status != 200) {
		size_t room = ERROR_BODY_MAX - 1 - st->error_body.len;
		docker_buffer_append(&st->error_body, data, len < room ? len : room);
		return len;
	}
	if (!st->connected) {
		st->connected = true;
		__atomic_add_fetch(&st->logs->connected, 1, __ATOMIC_RELEASE);
	}
	decoder_feed(&st->dec, data, len);
	return len;
}

static bool flag(const volatile int *f) { return __atomic_load_n(f, __ATOMIC_ACQUIRE) != 0; }

static void notice(struct sd_docker_logs *logs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void notice(struct sd_docker_logs *logs, const char *fmt, ...)
{
	char text[2200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	sd_log_ring_push(logs->ring, SD_LOG_NOTICE, "", "swarmdeck", text, strlen(text));
}

/* One connection: follow until STOP, the stream's end or a failure (ERR). 0 when stopped. */
static int follow_once(struct stream_thread *st, char *err, size_t errlen)
{
	struct sd_docker_logs *logs = st->logs;
	struct sd_docker *d = logs->docker;
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "%.200s: cannot create a request handle", docker_ep(d)->host);
		return -1;
	}
	char api[16];
	if (docker_negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		curl_easy_cleanup(h);
		return -1;
	}
	char id[384], url[sizeof(docker_ep(d)->base_url) + 640], since[64] = "";
	docker_path_escape(st->id, id, sizeof(id));
	int n = snprintf(url, sizeof(url), "%s/v%s/%s/%s/logs?stdout=1&stderr=1&follow=1&timestamps=1"
			 "&details=1", docker_ep(d)->base_url, api, st->kind == SD_LOGS_TASK ? "tasks" : "services", id);
	if (*st->last_time && sd_docker_log_since(st->last_time, since, sizeof(since)) == 0)
		snprintf(url + n, sizeof(url) - (size_t)n, "&since=%s", since);
	else if (logs->config.tail >= 0)
		snprintf(url + n, sizeof(url) - (size_t)n, "&tail=%ld", logs->config.tail);
	else
		snprintf(url + n, sizeof(url) - (size_t)n, "&tail=all");

	char curl_err[CURL_ERROR_SIZE] = "";
	st->h = h;
	st->status = 0;
	st->error_body.len = 0;
	decoder_init(&st->dec, on_stream_line, st);
	docker_setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_log_bytes);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, st);

	int rc = -1;
	CURLM *multi = curl_multi_init();
	if (!multi || docker_ep(d)->setup_error[0]) {
		snprintf(err, errlen, "%.200s: %.1500s", docker_ep(d)->host, docker_ep(d)->setup_error[0] ? docker_ep(d)->setup_error
					 : "cannot create a request handle");
		goto done;
	}
	curl_multi_add_handle(multi, h);
	CURLcode result = CURLE_OK;
	bool finished = false, paused = false;
	while (!finished) {
		if (flag(&logs->stop)) {
			rc = 0;
			break;
		}
		bool want = flag(&logs->paused);
		if (want != paused) {
			curl_easy_pause(h, want ? CURLPAUSE_RECV : CURLPAUSE_CONT);
			paused = want;
		}
		int running = 0;
		CURLMcode mc = curl_multi_perform(multi, &running);
		if (mc != CURLM_OK) {
			snprintf(err, errlen, "%.200s: logs: %s", docker_ep(d)->host, curl_multi_strerror(mc));
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				result = msg->data.result;
				finished = true;
			}
		if (finished || running == 0)
			break;
		if (!st->connected) {   /* the answer's status is in: connected, lines or not */
			long code = 0;
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
			if (code == 200) {
				st->connected = true;
				__atomic_add_fetch(&logs->connected, 1, __ATOMIC_RELEASE);
			}
		}
		curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	if (rc != 0) {
		if (st->status == 0)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st->status);
		if (result != CURLE_OK)
			docker_transport_error(d, h, result, curl_err, err, errlen);
		else if (st->status != 200)
			docker_engine_error(d, st->status, st->error_body.data, st->error_body.len,
					    err, errlen);
		else
			snprintf(err, errlen, "the log stream ended");
		decoder_finish(&st->dec);
		if (flag(&logs->stop))
			rc = 0;
	}
	curl_multi_remove_handle(multi, h);
done:
	if (multi)
		curl_multi_cleanup(multi);
	curl_easy_cleanup(h);
	decoder_free(&st->dec);
	st->h = NULL;
	if (st->connected) {
		st->connected = false;
		__atomic_sub_fetch(&logs->connected, 1, __ATOMIC_RELEASE);
	}
	return rc;
}

static void *stream_main(void *arg)
{
	struct stream_thread *st = arg;
	struct sd_docker_logs *logs = st->logs;
	char err[2048], last_err[2048] = "";
	while (!flag(&logs->stop)) {
		err[0] = '\0';
		if (follow_once(st, err, sizeof(err)) == 0)
			break;
		/* say so once per cause, not once per retry of the same failure */
		if (strcmp(err, last_err)) {
			notice(logs, "%s; reconnecting%s", err,
			       *st->last_time ? " (since the last line held)" : "");
			sd_strlcpy(last_err, err, sizeof(last_err));
		}
		__atomic_add_fetch(&logs->reconnects, 1, __ATOMIC_RELEASE);
		double until = sd_now() + (logs->config.reconnect_delay > 0 ? logs->config.reconnect_delay : 1.0);
		while (!flag(&logs->stop) && sd_now() < until)
			sd_sleep(0.05);
	}
	return NULL;
}

struct sd_docker_logs *sd_docker_logs_start(struct sd_docker *docker,
					    const enum sd_docker_logs_kind *kinds,
					    const char *const *ids, size_t n,
					    const struct sd_docker_logs_config *config,
					    struct sd_log_ring *ring)
{
	struct sd_docker_logs *logs = xcalloc(1, sizeof(*logs));
	logs->docker = docker;
	logs->ring = ring;
	logs->config = *config;
	if (config->node_id)
		sd_strlcpy(logs->node_id, config->node_id, sizeof(logs->node_id));
	logs->config.node_id = NULL;
	logs->streams = xcalloc(n ? n : 1, sizeof(*logs->streams));
	logs->n = n;
	for (size_t i = 0; i < n; i++) {
		struct stream_thread *st = &logs->streams[i];
		st->logs = logs;
		st->kind = kinds[i];
		sd_strlcpy(st->id, ids[i], sizeof(st->id));
		docker_buffer_init(&st->error_body, ERROR_BODY_MAX);
		st->started = pthread_create(&st->thread, NULL, stream_main, st) == 0;
		if (!st->started)
			notice(logs, "%s: cannot start a thread", st->id);
	}
	return logs;
}

void sd_docker_logs_stop(struct sd_docker_logs *logs)
{
	if (!logs)
		return;
	__atomic_store_n(&logs->stop, 1, __ATOMIC_RELEASE);
	for (size_t i = 0; i < logs->n; i++) {
		if (logs->streams[i].started)
			pthread_join(logs->streams[i].thread, NULL);
		free(logs->streams[i].error_body.data);
	}
	free(logs->streams);
	free(logs);
}

void sd_docker_logs_pause(struct sd_docker_logs *logs, bool paused)
{
	__atomic_store_n(&logs->paused, paused ? 1 : 0, __ATOMIC_RELEASE);
}

unsigned sd_docker_logs_reconnects(const struct sd_docker_logs *logs)
{
	return __atomic_load_n(&logs->reconnects, __ATOMIC_ACQUIRE);
}

unsigned sd_docker_logs_connected(const struct sd_docker_logs *logs)
{
	return __atomic_load_n(&logs->connected, __ATOMIC_ACQUIRE);
}
