/* fake_engine.c - a fake Docker engine on a unix socket that records every request (see
 * fake_engine.h for the contract). */
#include "fake_engine.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct conn {
	struct fake_engine *fake;
	int fd;
};

int fake_engine_route(struct fake_engine *f, const char *method, const char *path, int status,
		      const char *body, enum fake_send send)
{
	if (f->nroutes >= FAKE_MAX_ROUTES)
		return -1;
	f->routes[f->nroutes++] = (struct fake_route){method, path, status, body, send};
	return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static const struct fake_route *find_route(struct fake_engine *f, const char *method,
					   const char *target)
{
	for (int i = 0; i < f->nroutes; i++) {
		const struct fake_route *r = &f->routes[i];
		if (strcmp(r->method, method) != 0)
			continue;
		size_t n = strlen(r->path);
		if (strchr(r->path, '?') ? !strcmp(r->path, target)
					 : !strncmp(r->path, target, n) &&
					   (target[n] == '\0' || target[n] == '?'))
			return r;
	}
	return NULL;
}

static void record(struct fake_engine *f, struct fake_request *entry)
{
	pthread_mutex_lock(&f->lock);
	if (f->log_file) {
		fprintf(f->log_file, "%s %s\n", entry->method, entry->target);
		fflush(f->log_file);
	}
	if (f->nlog < FAKE_MAX_LOG)
		f->log[f->nlog++] = *entry;
	else
		free(entry->body);
	pthread_mutex_unlock(&f->lock);
}

static void send_events(struct fake_engine *f, int fd, const struct fake_route *r)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n", r->status);
	send_all(fd, hdr, (size_t)n);
	/* one chunk per line, then silence until told to end */
	for (const char *p = r->body ? r->body : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p + 1) : strlen(p);
		n = snprintf(hdr, sizeof(hdr), "%zx\r\n", l);
		send_all(fd, hdr, (size_t)n);
		send_all(fd, p, l);
		send_all(fd, "\r\n", 2);
		p += l;
		usleep(2000);
	}
	/* then what fake_engine_emit is given, from when the stream opened */
	pthread_mutex_lock(&f->lock);
	size_t sent = f->emitted_len;
	pthread_mutex_unlock(&f->lock);
	while (!f->stop && !f->end_events) {
		pthread_mutex_lock(&f->lock);
		size_t have = f->emitted_len;
		char *copy = have > sent ? strndup(f->emitted + sent, have - sent) : NULL;
		pthread_mutex_unlock(&f->lock);
		if (copy) {
			n = snprintf(hdr, sizeof(hdr), "%zx\r\n", have - sent);
			send_all(fd, hdr, (size_t)n);
			send_all(fd, copy, have - sent);
			send_all(fd, "\r\n", 2);
			free(copy);
			sent = have;
		}
		usleep(2000);
	}
	send_all(fd, "0\r\n\r\n", 5);
}

void fake_engine_emit(struct fake_engine *f, const char *line)
{
	size_t n = strlen(line);
	pthread_mutex_lock(&f->lock);
	if (f->emitted_len + n + 2 > f->emitted_cap) {
		size_t cap = (f->emitted_len + n + 2) * 2;
		char *grown = realloc(f->emitted, cap);
		if (!grown) {
			pthread_mutex_unlock(&f->lock);
			return;
		}
		f->emitted = grown;
		f->emitted_cap = cap;
	}
	memcpy(f->emitted + f->emitted_len, line, n);
	f->emitted_len += n;
	f->emitted[f->emitted_len++] = '\n';
	pthread_mutex_unlock(&f->lock);
}

static void send_body(int fd, const struct fake_route *r)
{
	const char *body = r->body ? r->body : "";
	size_t len = strlen(body);
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", r->status, len);
	send_all(fd, hdr, (size_t)n);
	if (r->send != FAKE_SEND_TRICKLE) {
		send_all(fd, body, len);
		return;
	}
	/* pieces of 1 to 1500 bytes, so elements, strings, numbers and escapes are cut
	 * everywhere */
	static const size_t sizes[] = {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610,
				       987, 1500};
	size_t i = 0;
	for (size_t off = 0; off < len; i++) {
		size_t piece = sizes[i % 16];
		if (piece > len - off)
			piece = len - off;
		if (send_all(fd, body + off, piece) < 0)
			break;
		off += piece;
		usleep(100);
	}
}

static void serve(struct fake_engine *f, int fd)
{
	char buf[1 << 16];
	size_t have = 0;
	while (!f->stop) {
		char *end = memmem(buf, have, "\r\n\r\n", 4);
		if (!end) {
			if (have >= sizeof(buf) - 1)
				return;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 50) <= 0)
				continue;
			ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (r <= 0)
				return;
			have += (size_t)r;
			continue;
		}
		size_t head = (size_t)(end + 4 - buf);
		buf[head - 1] = '\0';
		size_t body_len = 0;
		const char *cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl)
			body_len = (size_t)atol(cl + 17);
		if (head + body_len > sizeof(buf) - 1)
			return;
		while (have < head + body_len) {
			ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
			if (r <= 0)
				return;
			have += (size_t)r;
		}
		struct fake_request entry = {0};
		sscanf(buf, "%7s %511s", entry.method, entry.target);
		entry.body = strndup(buf + head, body_len);
		const char *auth = strcasestr(buf, "\r\nX-Registry-Auth:");
		if (auth) {
			auth += 18;
			auth += strspn(auth, " ");
			snprintf(entry.registry_auth, sizeof(entry.registry_auth), "%.*s",
				 (int)strcspn(auth, "\r"), auth);
		}
		char method[8], target[512];
		memcpy(method, entry.method, sizeof(method));
		memcpy(target, entry.target, sizeof(target));
		record(f, &entry);
		memmove(buf, buf + head + body_len, have - head - body_len);
		have -= head + body_len;

		if (f->answer) {
			int status = 200;
			char *made = f->answer(f->answer_user, method, target, &status);
			if (made) {
				struct fake_route answered = {method, target, status, made,
							      FAKE_SEND_WHOLE};
				send_body(fd, &answered);
				free(made);
				continue;
			}
		}
		const struct fake_route *r = find_route(f, method, target);
		static const struct fake_route missing = {"", "", 404,
							  "{\"message\":\"page not found\"}",
							  FAKE_SEND_WHOLE};
		if (!r)
			r = &missing;
		if (r->send == FAKE_SEND_NOTHING) {
			while (!f->stop)
				usleep(10000);
			return;
		}
		if (r->send == FAKE_SEND_EVENTS) {
			send_events(f, fd, r);
			return;
		}
		send_body(fd, r);
	}
}

static void *connection_main(void *arg)
{
	struct conn *c = arg;
	struct fake_engine *f = c->fake;
	serve(f, c->fd);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&f->lock);
	f->active--;
	pthread_cond_broadcast(&f->idle);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct fake_engine *f = arg;
	while (!f->stop) {
		struct pollfd p = {.fd = f->lfd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			continue;
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fake = f;
		c->fd = fd;
		pthread_mutex_lock(&f->lock);
		f->connections++;
		f->active++;
		pthread_mutex_unlock(&f->lock);
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, connection_main, c) != 0) {
			close(fd);
			free(c);
			pthread_mutex_lock(&f->lock);
			f->active--;
			pthread_mutex_unlock(&f->lock);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

struct fake_engine *fake_engine_start(const char *path, const char *api_version, char *err,
				      size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return NULL;
	}
	struct fake_engine *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->idle, NULL);
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(f->lfd, 16) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (f->lfd >= 0)
			close(f->lfd);
		pthread_mutex_destroy(&f->lock);
		pthread_cond_destroy(&f->idle);
		free(f);
		return NULL;
	}
	snprintf(f->version, sizeof(f->version),
		 "{\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"%s\",\"MinAPIVersion\":\"1.12\"}",
		 api_version);
	fake_engine_route(f, "GET", "/version", 200, f->version, FAKE_SEND_WHOLE);
	if (pthread_create(&f->thread, NULL, accept_main, f) != 0) {
		snprintf(err, errlen, "pthread_create failed");
		close(f->lfd);
		unlink(path);
		free(f);
		return NULL;
	}
	return f;
}

void fake_engine_stop(struct fake_engine *f)
{
	f->stop = 1;
	pthread_join(f->thread, NULL);
	pthread_mutex_lock(&f->lock);
	while (f->active > 0)
		pthread_cond_wait(&f->idle, &f->lock);
	pthread_mutex_unlock(&f->lock);
	close(f->lfd);
	unlink(f->path);
	for (int i = 0; i < f->nlog; i++)
		free(f->log[i].body);
	free(f->emitted);
	pthread_cond_destroy(&f->idle);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

int fake_engine_count(struct fake_engine *f, const char *method, const char *target)
{
	int n = 0;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < f->nlog; i++)
		n += !strcmp(f->log[i].method, method) && !strcmp(f->log[i].target, target);
	pthread_mutex_unlock(&f->lock);
	return n;
}

const struct fake_request *fake_engine_last(struct fake_engine *f, const char *method)
{
	const struct fake_request *hit = NULL;
	pthread_mutex_lock(&f->lock);
	for (int i = 0; i < f->nlog; i++)
		if (!strcmp(f->log[i].method, method))
			hit = &f->log[i];
	pthread_mutex_unlock(&f->lock);
	return hit;
}
