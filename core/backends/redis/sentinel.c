/* sentinel.c - the Redis Sentinel backend: opening it on the configured Sentinels (resolved
 * once, so replies naming them by address are recognised), closing it, and the one way its
 * files connect (the transport of client.h, through the test hook when one is set). The
 * fetch, the failover and the event stream live in fetch.c, failover.c and events.c; the
 * decoding of replies in decode.c.
 *
 * The backend never touches the process's signal dispositions: its requests are written with
 * MSG_NOSIGNAL, so a peer that has closed costs an error, not SIGPIPE. */
#include "backends/redis/sentinel_private.h"
#include "base/xalloc.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void endpoint_resolve(struct endpoint *ep)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(ep->host, NULL, &hints, &res) == 0) {
		for (struct addrinfo *ai = res; ai && ep->naddresses < MAX_ADDRESSES;
		     ai = ai->ai_next) {
			char text[NI_MAXHOST];
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, text, sizeof text, NULL, 0,
					NI_NUMERICHOST) == 0)
				ep->addresses[ep->naddresses++] = xstrdup(text);
		}
		freeaddrinfo(res);
	}
	if (!ep->naddresses)
		ep->addresses[ep->naddresses++] = xstrdup(ep->host);
}

struct sd_sentinel_backend *sd_sentinel_open(const struct sd_config *config)
{
	struct sd_sentinel_backend *b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->fetch_lock, NULL);
	pthread_mutex_init(&b->event_lock, NULL);
	b->timeout_ms = SD_REDIS_DEFAULT_TIMEOUT_MS;
	b->master_name = xstrdup("mymaster");
	if (config) {
		if (config->redis.master_name && *config->redis.master_name) {
			free(b->master_name);
			b->master_name = xstrdup(config->redis.master_name);
		}
		if (config->redis.password_file && *config->redis.password_file)
			b->password_file = xstrdup(config->redis.password_file);
		if (config->redis.sentinel_password_file && *config->redis.sentinel_password_file)
			b->sentinel_password_file = xstrdup(config->redis.sentinel_password_file);
		if (config->redis.timeout_ms > 0)
			b->timeout_ms = config->redis.timeout_ms;
		b->sentinels = xcalloc(config->redis.nsentinels + 1, sizeof *b->sentinels);
		for (size_t i = 0; i < config->redis.nsentinels; i++) {
			struct endpoint *ep = &b->sentinels[b->nsentinels];
			const char *text = config->redis.sentinels[i];
			if (!text || sd_redis_parse_addr(text, DEFAULT_SENTINEL_PORT, &ep->host,
							 &ep->port) < 0)
				continue;         /* the config loader reports malformed entries */
			ep->label = strchr(ep->host, ':') ? xasprintf("[%s]:%d", ep->host, ep->port)
							  : xasprintf("%s:%d", ep->host, ep->port);
			endpoint_resolve(ep);
			b->nsentinels++;
		}
	}
	b->sentinel_conns = xcalloc(b->nsentinels + 1, sizeof *b->sentinel_conns);
	b->failover = xcalloc(b->nsentinels + 1, sizeof *b->failover);
	return b;
}

void sd_sentinel_set_connect(struct sd_sentinel_backend *b, sd_sentinel_connect_fn *connect,
			     void *user)
{
	if (!b)
		return;
	b->dial.connect = connect;
	b->dial.user = user;
}

void sd_sentinel_close(struct sd_sentinel_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct endpoint *ep = &b->sentinels[i];
		sd_redis_conn_close(&b->sentinel_conns[i]);
		free(ep->host);
		free(ep->label);
		for (size_t j = 0; j < ep->naddresses; j++)
			free(ep->addresses[j]);
	}
	for (size_t i = 0; i < b->nnodes; i++) {
		sd_redis_conn_close(&b->nodes[i].conn);
		free(b->nodes[i].addr);
	}
	sentinel_events_free(b);
	free(b->nodes);
	free(b->sentinel_conns);
	free(b->sentinels);
	free(b->failover);
	free(b->master_name);
	free(b->password_file);
	free(b->sentinel_password_file);
	pthread_mutex_destroy(&b->fetch_lock);
	pthread_mutex_destroy(&b->event_lock);
	free(b);
}

int sentinel_connect(const struct sd_sentinel_backend *b, const char *host, int port,
		     const char *password_file, struct sd_redis_conn *conn, char *err,
		     size_t errlen)
{
	return sd_redis_conn_open(conn, host, port, b->timeout_ms, password_file, &b->dial, err,
				  errlen);
}
