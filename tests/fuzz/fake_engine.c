/* fake_engine.c - see fake_engine.h. One thread accepts, one detached thread per
 * connection answers its requests in turn (HTTP/1.1 keep-alive, chunked bodies). Each
 * answer is copied under the lock before it is sent, so an input replaced while a client
 * has gone away mid-answer is never read again. */
#include "fake_engine.h"
#include "fuzz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWERS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_answer answers[MAX_ANSWERS];
static size_t nanswers;
static uint8_t *plan;
static size_t planlen;
static char host[160];

void fake_engine_set(const struct fake_answer *given, size_t n, const uint8_t *p, size_t plen)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nanswers; i++) {
		free((char *)answers[i].name);
		free((char *)answers[i].body);
		free((char *)answers[i].headers);
	}
	nanswers = 0;
	for (size_t i = 0; i < n && i < MAX_ANSWERS; i++) {
		struct fake_answer *a = &answers[nanswers++];
		a->name = strdup(given[i].name);
		a->body = malloc(given[i].len + 1);
		memcpy((char *)a->body, given[i].body ? given[i].body : "", given[i].len);
		a->len = given[i].len;
		a->headers = strdup(given[i].headers ? given[i].headers : "");
	}
	free(plan);
	plan = malloc(plen + 1);
	memcpy(plan, p, plen);
	planlen = plen;
	pthread_mutex_unlock(&lock);
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The answer to TARGET, copied with the plan: status, headers, body. */
struct reply {
	int status;
	char *headers, *body, *plan;
	size_t len, planlen;
};

static void reply_for(const char *target, struct reply *r)
{
	char name[64];
	const char *end = target + strcspn(target, "? ");
	const char *slash = end;
	while (slash > target && slash[-1] != '/')
		slash--;
	snprintf(name, sizeof(name), "%.*s", (int)(end - slash), slash);
	pthread_mutex_lock(&lock);
	const struct fake_answer *a = NULL;
	for (size_t i = 0; i < nanswers && !a; i++)
		if (!strcmp(answers[i].name, name))
			a = &answers[i];
	static const char missing[] = "{\"message\":\"page not found\"}";
	r->status = a ? 200 : 404;
	r->headers = strdup(a ? a->headers : "");
	r->len = a ? a->len : strlen(missing);
	r->body = malloc(r->len + 1);
	memcpy(r->body, a ? a->body : missing, r->len);
	r->planlen = planlen;
	r->plan = malloc(planlen + 1);
	memcpy(r->plan, plan, planlen);
	pthread_mutex_unlock(&lock);
}

static int send_reply(int fd, const struct reply *r)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%s"
			 "Transfer-Encoding: chunked\r\n\r\n",
			 r->status, r->status == 200 ? "OK" : "Not Found", r->headers);
	if (send_all(fd, head, (size_t)n) < 0)
		return -1;
	size_t at = 0, step = 0;
	while (at < r->len) {
		size_t chunk = r->len - at;
		if (r->planlen) {
			uint8_t b = (uint8_t)r->plan[step++ % r->planlen];
			size_t want = (size_t)(b & 0x7f) + 1;
			if (b & 0x80)
				want *= 64;
			if (want < chunk)
				chunk = want;
		}
		n = snprintf(head, sizeof(head), "%zx\r\n", chunk);
		if (send_all(fd, head, (size_t)n) < 0 || send_all(fd, r->body + at, chunk) < 0 ||
		    send_all(fd, "\r\n", 2) < 0)
			return -1;
		at += chunk;
	}
	return send_all(fd, "0\r\n\r\n", 5);
}

static void *connection_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[8192];
	size_t have = 0;
	for (;;) {
		char *end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have == sizeof(buf))
				break;
			ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
			if (n <= 0)
				break;
			have += (size_t)n;
			continue;
		}
		/* "GET /v1.41/nodes HTTP/1.1" */
		char target[1024] = "/";
		const char *sp = memchr(buf, ' ', (size_t)(end - buf));
		if (sp)
			snprintf(target, sizeof(target), "%.*s",
				 (int)strcspn(sp + 1, " \r\n"), sp + 1);
		size_t used = (size_t)(end + 4 - buf);
		memmove(buf, buf + used, have - used);
		have -= used;
		struct reply r;
		reply_for(target, &r);
		int rc = send_reply(fd, &r);
		free(r.headers);
		free(r.body);
		free(r.plan);
		if (rc < 0)
			break;
	}
	close(fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, connection_main, (void *)(intptr_t)fd) != 0)
			close(fd);
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

const char *fake_engine_host(void)
{
	if (host[0])
		return host;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/engine.sock", fuzz_dir());
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lfd, 64) < 0) {
		perror("fake engine");
		abort();
	}
	pthread_t t;
	if (pthread_create(&t, NULL, accept_main, (void *)(intptr_t)lfd) != 0)
		abort();
	pthread_detach(t);
	snprintf(host, sizeof(host), "unix://%s", addr.sun_path);
	return host;
}
