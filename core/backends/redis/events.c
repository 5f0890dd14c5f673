/* events.c - PSUBSCRIBE * on every configured Sentinel, driven by one poll() loop that never
 * blocks; each event goes into the backend's ring (the last EVENT_RING) and into the failover
 * state followed per Sentinel, and is copied into every part a fetch makes. Connections are
 * re-made by themselves (after WATCH_RETRY_S, or WATCH_AUTH_RETRY_S after a refused AUTH),
 * an idle one is pinged, and STOP is looked at least every WATCH_SLICE_MS. Requests are
 * formatted by hiredis and written with MSG_NOSIGNAL; replies decoded by a hiredis reader. */
#include "backends/redis/sentinel_private.h"
#include "base/clock.h"
#include "base/secret.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define WATCH_SLICE_MS 250       /* the event loop looks at STOP at least this often */
#define WATCH_RETRY_S 1.0        /* reconnect delay after a lost event connection */
#define WATCH_AUTH_RETRY_S 5.0   /* ... after a refused AUTH */
#define WATCH_PING_S 3.0         /* an idle event connection is pinged this often */

/* ---- the event log ---- */

void sentinel_copy_events(struct sd_sentinel_backend *b, struct sd_redis *part)
{
	struct sd_arena *arena = part->part.arena;
	time_t now = time(NULL);
	const struct failover_state *latest = NULL;
	pthread_mutex_lock(&b->event_lock);
	part->events = sd_arena_alloc(arena, (b->ring_count + 1) * sizeof *part->events);
	for (size_t i = 0; i < b->ring_count; i++) {
		const struct event_entry *e = &b->ring[(b->ring_first + i) % EVENT_RING];
		struct sd_redis_event *out = &part->events[part->nevents++];
		out->time = e->time;
		out->sentinel = sd_arena_strdup(arena, e->sentinel);
		out->channel = sd_arena_strdup(arena, e->channel);
		out->message = sd_arena_strdup(arena, e->message);
	}
	for (size_t i = 0; i <= b->nsentinels; i++) {
		const struct failover_state *f = &b->failover[i];
		if (f->state[0] && now - f->at <= FAILOVER_STALE_S && (!latest || f->at >= latest->at))
			latest = f;
	}
	part->failover = sd_arena_strdup(arena, latest ? latest->state : "");
	pthread_mutex_unlock(&b->event_lock);
}

void sentinel_events_free(struct sd_sentinel_backend *b)
{
	for (size_t i = 0; i < b->ring_count; i++) {
		struct event_entry *e = &b->ring[(b->ring_first + i) % EVENT_RING];
		free(e->sentinel);
		free(e->channel);
		free(e->message);
	}
	b->ring_count = 0;
}

/* ---- the failover state ---- */

/* The master an event is about: "master NAME IP PORT ...", "... @ NAME IP PORT", or
 * "NAME OLDIP OLDPORT NEWIP NEWPORT" for +switch-master. Its name goes to NAME and its
 * "ip:port" (the old one for +switch-master) to ADDR, "" when the message has none. */
static void event_master(const char *message, char name[static 128], char addr[static 128])
{
	char copy[512];
	sd_strlcpy(copy, message, sizeof copy);
	char *save = NULL, *tokens[16];
	size_t n = 0;
	for (char *t = strtok_r(copy, " ", &save); t && n < 16; t = strtok_r(NULL, " ", &save))
		tokens[n++] = t;
	size_t at = n;
	for (size_t i = 0; i + 1 < n && at == n; i++)
		if (!strcmp(tokens[i], "@"))
			at = i + 1;
	if (at == n && n >= 2 && !strcmp(tokens[0], "master"))
		at = 1;
	if (at == n && n >= 1)
		at = 0;
	name[0] = addr[0] = '\0';
	if (at < n)
		sd_strlcpy(name, tokens[at], 128);
	if (at + 2 < n)
		snprintf(addr, 128, strchr(tokens[at + 1], ':') ? "[%s]:%s" : "%s:%s",
			 tokens[at + 1], tokens[at + 2]);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void failover_track(struct sd_sentinel_backend *b, size_t who, const char *channel,
			   const char *message, time_t now)
{
	char name[128], addr[128];
	event_master(message, name, addr);
	if (strcmp(name, b->master_name))
		return;
	struct failover_state *f = &b->failover[who];
	if (!strcmp(channel, "+switch-master")) {
		/* the new configuration ends every failover we were following; the leader may
		 * still report reconfiguring replicas of the old master: that is over for us */
		for (size_t i = 0; i <= b->nsentinels; i++)
			b->failover[i].state[0] = '\0';
		sd_strlcpy(b->switched_from, addr, sizeof b->switched_from);
		return;
	}
	if (!strcmp(channel, "+failover-end") || starts_with(channel, "-failover-abort") ||
	    !strcmp(channel, "+failover-end-for-timeout")) {
		f->state[0] = '\0';
		return;
	}
	if (addr[0] && !strcmp(addr, b->switched_from))
		return;
	if (!strcmp(channel, "+try-failover") || starts_with(channel, "+failover-state-") ||
	    !strcmp(channel, "+elected-leader") || !strcmp(channel, "+selected-slave") ||
	    !strcmp(channel, "+promoted-slave") || starts_with(channel, "+slave-reconf-")) {
		sd_strlcpy(f->state, channel + 1, sizeof f->state);
		f->at = now;
	}
}

static void event_record(struct sd_sentinel_backend *b, size_t who, const char *channel,
			 const char *message)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&b->event_lock);
	struct event_entry *e;
	if (b->ring_count == EVENT_RING) {
		e = &b->ring[b->ring_first];
		b->ring_first = (b->ring_first + 1) % EVENT_RING;
		free(e->sentinel);
		free(e->channel);
		free(e->message);
	} else {
		e = &b->ring[(b->ring_first + b->ring_count++) % EVENT_RING];
	}
	e->time = now;
	e->sentinel = xstrdup(who < b->nsentinels ? b->sentinels[who].label : "");
	e->channel = xstrdup(channel);
	e->message = xstrdup(message);
	failover_track(b, who, channel, message, now);
	pthread_mutex_unlock(&b->event_lock);
}

/* ---- the subscriptions ---- */

enum watch_state { WATCH_IDLE, WATCH_CONNECTING, WATCH_SUBSCRIBING, WATCH_LIVE };

/* One PSUBSCRIBE connection, driven by the poll() loop without ever blocking. */
struct watcher {
	size_t index;
	int fd;
	enum watch_state state;
	redisReader *reader;
	char *out;                           /* bytes still to send */
	size_t outlen, outsent;
	int expect_auth;                     /* AUTH replies still to come */
	double deadline;                     /* for CONNECTING, SUBSCRIBING and a pending PING */
	double retry_at, next_ping;
	bool ping_pending;
};

static void watcher_close(struct watcher *w, double retry_at)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->reader)
		redisReaderFree(w->reader);
	w->reader = NULL;
	if (w->out)
		explicit_bzero(w->out, w->outlen);
	free(w->out);
	w->out = NULL;
	w->outlen = w->outsent = 0;
	w->state = WATCH_IDLE;
	w->retry_at = retry_at;
	w->ping_pending = false;
}

static void watcher_queue(struct watcher *w, const char *cmd, size_t len)
{
	w->out = xrealloc(w->out, w->outlen + len);
	memcpy(w->out + w->outlen, cmd, len);
	w->outlen += len;
}

static void watcher_queue_argv(struct watcher *w, int argc, const char **argv,
			       const size_t *argvlen)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, argvlen);
	if (len > 0)
		watcher_queue(w, cmd, (size_t)len);
	if (cmd)
		explicit_bzero(cmd, len > 0 ? (size_t)len : 0);
	redisFreeCommand(cmd);
}

static void watcher_connect(struct sd_sentinel_backend *b, struct watcher *w, double now)
{
	const struct endpoint *ep = &b->sentinels[w->index];
	if (b->dial.connect) {
		w->fd = b->dial.connect(b->dial.user, ep->host, ep->port);
		if (w->fd < 0 || fcntl(w->fd, F_SETFL, fcntl(w->fd, F_GETFL) | O_NONBLOCK) < 0) {
			watcher_close(w, now + WATCH_RETRY_S);
			return;
		}
		w->state = WATCH_CONNECTING;          /* connected: POLLOUT comes at once */
		w->deadline = now + (double)b->timeout_ms / 1000.0;
		return;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char port[16];
	snprintf(port, sizeof port, "%d", ep->port);
	if (getaddrinfo(ep->host, port, &hints, &res) != 0 || !res) {
		watcher_close(w, now + WATCH_RETRY_S);
		return;
	}
	w->fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (w->fd < 0 || (connect(w->fd, res->ai_addr, res->ai_addrlen) < 0 &&
			  errno != EINPROGRESS)) {
		freeaddrinfo(res);
		watcher_close(w, now + WATCH_RETRY_S);
		return;
	}
	freeaddrinfo(res);
	int one = 1;
	setsockopt(w->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	setsockopt(w->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	w->state = WATCH_CONNECTING;
	w->deadline = now + (double)b->timeout_ms / 1000.0;
}

/* Connected: authenticate if needed and subscribe to everything. */
static void watcher_subscribe(struct sd_sentinel_backend *b, struct watcher *w, double now)
{
	w->reader = redisReaderCreate();
	w->expect_auth = 0;
	if (b->sentinel_password_file) {
		char secret[SD_REDIS_SECRET_MAX];
		if (sd_secret_read(b->sentinel_password_file, secret, sizeof secret, NULL, 0) < 0) {
			watcher_close(w, now + WATCH_AUTH_RETRY_S);
			return;
		}
		const char *argv[] = {"AUTH", secret};
		const size_t argvlen[] = {4, strlen(secret)};
		watcher_queue_argv(w, 2, argv, argvlen);
		explicit_bzero(secret, sizeof secret);
		w->expect_auth = 1;
	}
	const char *argv[] = {"PSUBSCRIBE", "*"};
	const size_t argvlen[] = {10, 1};
	watcher_queue_argv(w, 2, argv, argvlen);
	w->state = WATCH_SUBSCRIBING;
	w->deadline = now + (double)b->timeout_ms / 1000.0;
}

static bool reply_is(const redisReply *r, size_t i, const char *text)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements > i &&
	       r->element[i]->type == REDIS_REPLY_STRING && !strcasecmp(r->element[i]->str, text);
}

/* 0, or -1 when the connection must be dropped. */
static int watcher_reply(struct sd_sentinel_backend *b, struct watcher *w, redisReply *r,
			 double now, void (*on_event)(void *, const char *), void *user)
{
	w->ping_pending = false;
	w->next_ping = now + WATCH_PING_S;
	if (w->state == WATCH_SUBSCRIBING) {
		if (w->expect_auth) {
			w->expect_auth--;
			if (r->type == REDIS_REPLY_ERROR) {
				w->retry_at = now + WATCH_AUTH_RETRY_S;
				return -1;
			}
			return 0;
		}
		if (reply_is(r, 0, "psubscribe")) {
			w->state = WATCH_LIVE;
			return 0;
		}
		w->retry_at = now + WATCH_RETRY_S;
		return -1;
	}
	if (reply_is(r, 0, "pmessage") && r->elements == 4 &&
	    r->element[2]->type == REDIS_REPLY_STRING && r->element[3]->type == REDIS_REPLY_STRING) {
		const char *channel = r->element[2]->str, *message = r->element[3]->str;
		if (starts_with(channel, "__sentinel__:"))
			return 0;
		event_record(b, w->index, channel, message);
		if (on_event)
			on_event(user, channel);
	}
	return 0;                            /* PING answers and the rest only prove life */
}

static void watcher_read(struct sd_sentinel_backend *b, struct watcher *w, double now,
			 void (*on_event)(void *, const char *), void *user)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(w->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0 || redisReaderFeed(w->reader, buf, (size_t)n) != REDIS_OK) {
			watcher_close(w, now + WATCH_RETRY_S);
			return;
		}
		if ((size_t)n < sizeof buf)
			break;
	}
	for (;;) {
		void *reply = NULL;
		if (redisReaderGetReply(w->reader, &reply) != REDIS_OK) {
			watcher_close(w, now + WATCH_RETRY_S);
			return;
		}
		if (!reply)
			return;
		int rc = watcher_reply(b, w, reply, now, on_event, user);
		freeReplyObject(reply);
		if (rc < 0) {
			watcher_close(w, w->retry_at);
			return;
		}
	}
}

static void watcher_write(struct watcher *w, double now)
{
	while (w->outsent < w->outlen) {
		ssize_t n = send(w->fd, w->out + w->outsent, w->outlen - w->outsent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			watcher_close(w, now + WATCH_RETRY_S);
			return;
		}
		w->outsent += (size_t)n;
	}
	explicit_bzero(w->out, w->outlen);
	free(w->out);
	w->out = NULL;
	w->outlen = w->outsent = 0;
}

static bool stop_requested(const volatile int *stop)
{
	return __atomic_load_n(stop, __ATOMIC_ACQUIRE) != 0;
}

void sd_sentinel_watch_events(struct sd_sentinel_backend *b,
			      void (*on_event)(void *user, const char *channel), void *user,
			      const volatile int *stop)
{
	if (!b || !b->nsentinels) {
		while (!stop_requested(stop))
			poll(NULL, 0, WATCH_SLICE_MS);
		return;
	}
	size_t n = b->nsentinels;
	struct watcher *ws = xcalloc(n, sizeof *ws);
	struct pollfd *fds = xcalloc(n, sizeof *fds);
	for (size_t i = 0; i < n; i++) {
		ws[i].index = i;
		ws[i].fd = -1;
	}
	while (!stop_requested(stop)) {
		double now = sd_now(), wake = now + WATCH_SLICE_MS / 1000.0;
		for (size_t i = 0; i < n; i++) {
			struct watcher *w = &ws[i];
			if (w->state == WATCH_IDLE && now >= w->retry_at)
				watcher_connect(b, w, now);
			if ((w->state == WATCH_CONNECTING || w->state == WATCH_SUBSCRIBING ||
			     w->ping_pending) && now >= w->deadline)
				watcher_close(w, now + WATCH_RETRY_S);   /* silent: hung or gone */
			if (w->state == WATCH_LIVE && !w->ping_pending && now >= w->next_ping) {
				const char *argv[] = {"PING"};
				const size_t argvlen[] = {4};
				watcher_queue_argv(w, 1, argv, argvlen);
				w->ping_pending = true;
				w->deadline = now + (double)b->timeout_ms / 1000.0;
			}
			if (w->state == WATCH_IDLE && w->retry_at < wake)
				wake = w->retry_at;
			else if ((w->state != WATCH_IDLE && w->state != WATCH_LIVE) || w->ping_pending)
				wake = w->deadline < wake ? w->deadline : wake;
			fds[i].fd = w->fd;
			fds[i].events = w->state == WATCH_CONNECTING ? POLLOUT
				: POLLIN | (w->outlen > w->outsent ? POLLOUT : 0);
			fds[i].revents = 0;
		}
		int wait_ms = (int)((wake - now) * 1000.0) + 1;
		if (wait_ms < 1)
			wait_ms = 1;
		if (wait_ms > WATCH_SLICE_MS)
			wait_ms = WATCH_SLICE_MS;
		int ready = poll(fds, n, wait_ms);
		if (ready <= 0)
			continue;
		now = sd_now();
		for (size_t i = 0; i < n && !stop_requested(stop); i++) {
			struct watcher *w = &ws[i];
			if (w->fd < 0 || !fds[i].revents)
				continue;
			if (w->state == WATCH_CONNECTING) {
				int soerr = 0;
				socklen_t len = sizeof soerr;
				if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr) {
					watcher_close(w, now + WATCH_RETRY_S);
					continue;
				}
				watcher_subscribe(b, w, now);
				if (w->state == WATCH_SUBSCRIBING)
					watcher_write(w, now);
				continue;
			}
			if (fds[i].revents & POLLOUT)
				watcher_write(w, now);
			if (w->fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				watcher_read(b, w, now, on_event, user);
		}
	}
	for (size_t i = 0; i < n; i++)
		watcher_close(&ws[i], 0);
	free(ws);
	free(fds);
}
