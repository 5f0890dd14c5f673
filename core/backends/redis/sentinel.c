/* sentinel.c - the Redis Sentinel backend: asks the Sentinels who the master is, asks the
 * master and its replicas how far behind they are, and keeps a log of Sentinel events read
 * from PSUBSCRIBE *. Every network call is bounded by the configured timeout. */
#include "backends/redis/sentinel.h"
#include "base/secret.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define DEFAULT_SENTINEL_PORT 26379
#define DEFAULT_TIMEOUT_MS 2000
#define EVENT_RING 200
#define MAX_ADDRESSES 4          /* resolved addresses kept per configured Sentinel */
#define SECRET_MAX 1024
#define WATCH_SLICE_MS 250       /* the event loop looks at STOP at least this often */
#define WATCH_RETRY_S 1.0        /* reconnect delay after a lost event connection */
#define WATCH_AUTH_RETRY_S 5.0   /* ... after a refused AUTH */
#define WATCH_PING_S 3.0         /* an idle event connection is pinged this often */
#define FAILOVER_STALE_S 60      /* a failover state with no news for this long is dropped */

/* ---- small helpers ---- */

static struct timeval timeval_from_ms(long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	return tv;
}

/* "ip:port", with brackets around IPv6 addresses */
static char *format_addr(struct sd_arena *arena, const char *host, const char *port)
{
	if (strchr(host, ':'))
		return sd_arena_printf(arena, "[%s]:%s", host, port);
	return sd_arena_printf(arena, "%s:%s", host, port);
}

/* "host:port", "[v6]:port" or "host" (default port). 0, or -1 when malformed. */
static int parse_host_port(const char *text, char **host, int *port)
{
	const char *h = text, *colon;
	size_t hlen;
	if (*text == '[') {
		const char *close = strchr(text, ']');
		if (!close)
			return -1;
		h = text + 1;
		hlen = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return -1;
	} else {
		colon = strrchr(text, ':');
		if (colon && strchr(text, ':') != colon)
			colon = NULL;             /* a bare IPv6 address */
		hlen = colon ? (size_t)(colon - text) : strlen(text);
	}
	if (!hlen)
		return -1;
	*port = DEFAULT_SENTINEL_PORT;
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p <= 0 || p > 65535)
			return -1;
		*port = (int)p;
	}
	*host = xstrndup(h, hlen);
	return 0;
}

/* Why a hiredis context failed, in words an operator understands. */
static void describe_context_error(const redisContext *c, long timeout_ms, char *buf, size_t size)
{
	if (c->err == REDIS_ERR_IO && !strcmp(c->errstr, strerror(EAGAIN)))
		sd_set_error(buf, size, "no answer within %ld ms", timeout_ms);
	else if (c->err == REDIS_ERR_EOF)
		sd_set_error(buf, size, "connection closed by the server");
	else
		sd_set_error(buf, size, "%s", c->errstr[0] ? c->errstr : "connection failed");
}

static const char *reply_field(const redisReply *r, const char *key)
{
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    !strcmp(k->str, key))
			return v->str;
	}
	return NULL;
}

static long long field_number(const char *text, long long fallback)
{
	if (!text || !*text)
		return fallback;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	return errno || *end ? fallback : v;
}

/* The value of "KEY:value" in an INFO reply, copied into BUF; NULL when absent. */
static const char *info_field(const char *info, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	for (const char *line = info; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > klen && !strncmp(line, key, klen) && line[klen] == ':') {
			size_t vlen = len - klen - 1;
			while (vlen && line[klen + 1 + vlen - 1] == '\r')
				vlen--;
			if (vlen >= size)
				vlen = size - 1;
			memcpy(buf, line + klen + 1, vlen);
			buf[vlen] = '\0';
			return buf;
		}
		line = eol ? eol + 1 : NULL;
	}
	return NULL;
}

/* The offset the master's INFO gives for the replica at HOST:PORT ("slaveN:ip=,port=,...,
 * offset=N"); -1 when it is not listed. */
static long long info_replica_offset(const char *info, const char *host, const char *port)
{
	char ipkey[128], portkey[32];
	snprintf(ipkey, sizeof ipkey, "ip=%s,", host);
	snprintf(portkey, sizeof portkey, ",port=%s,", port);
	for (const char *line = info; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > 6 && !strncmp(line, "slave", 5) && line[5] >= '0' && line[5] <= '9') {
			char copy[512];
			if (len >= sizeof copy)
				len = sizeof copy - 1;
			memcpy(copy, line, len);
			copy[len] = '\0';
			const char *value = strchr(copy, ':');
			const char *offset = strstr(copy, ",offset=");
			if (value && !strncmp(value + 1, ipkey, strlen(ipkey)) &&
			    strstr(copy, portkey) && offset) {
				char *end;
				long long v = strtoll(offset + 8, &end, 10);
				return end == offset + 8 || v < 0 ? -1 : v;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

static bool flag_set(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	for (const char *p = flags; p && (p = strstr(p, flag)); p += n)
		if ((p == flags || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

/* ---- the backend ---- */

struct endpoint {
	char *host;
	int port;
	char *label;                          /* "host:port" as configured */
	char *addresses[MAX_ADDRESSES];       /* numeric forms, to recognise it in replies */
	size_t naddresses;
};

/* a master or replica we keep a connection to between fetches */
struct node_connection {
	char *addr;
	redisContext *context;
	unsigned long used;                   /* fetch that last needed it */
};

struct event_entry {
	time_t time;
	char *sentinel, *channel, *message;
};

struct failover_state {
	char state[96];                       /* latest failover event, "" when none */
	time_t at;
};

struct sd_sentinel_backend {
	char *master_name, *password_file, *sentinel_password_file;
	long timeout_ms;
	struct endpoint *sentinels;
	size_t nsentinels;

	pthread_mutex_t fetch_lock;           /* fetch state below */
	redisContext **sentinel_contexts;     /* one per configured Sentinel */
	struct node_connection *nodes;
	size_t nnodes;
	unsigned long fetches;

	pthread_mutex_t event_lock;           /* event log below */
	struct event_entry ring[EVENT_RING];
	size_t ring_first, ring_count;
	struct failover_state *failover;      /* one per configured Sentinel, plus one */
	char switched_from[128];              /* the master before the last +switch-master */

	sd_sentinel_connect_fn *connect;      /* NULL: the network */
	void *connect_user;
};

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

static bool endpoint_matches(const struct endpoint *ep, const char *ip, const char *port)
{
	if (!ip || !port || field_number(port, -1) != ep->port)
		return false;
	if (!strcmp(ip, ep->host))
		return true;
	for (size_t i = 0; i < ep->naddresses; i++)
		if (!strcmp(ip, ep->addresses[i]))
			return true;
	return false;
}

struct sd_sentinel_backend *sd_sentinel_open(const struct sd_config *config)
{
	struct sd_sentinel_backend *b = xcalloc(1, sizeof *b);
	pthread_mutex_init(&b->fetch_lock, NULL);
	pthread_mutex_init(&b->event_lock, NULL);
	b->timeout_ms = DEFAULT_TIMEOUT_MS;
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
			if (!text || parse_host_port(text, &ep->host, &ep->port) < 0)
				continue;         /* the config loader reports malformed entries */
			ep->label = strchr(ep->host, ':') ? xasprintf("[%s]:%d", ep->host, ep->port)
							  : xasprintf("%s:%d", ep->host, ep->port);
			endpoint_resolve(ep);
			b->nsentinels++;
		}
	}
	b->sentinel_contexts = xcalloc(b->nsentinels + 1, sizeof *b->sentinel_contexts);
	b->failover = xcalloc(b->nsentinels + 1, sizeof *b->failover);

	/* A peer that closes its socket while we write must cost an error, not the process:
	 * hiredis writes with write(), so SIGPIPE is ignored unless the program decided. */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL &&
	    !(sa.sa_flags & SA_SIGINFO))
		signal(SIGPIPE, SIG_IGN);
	return b;
}

void sd_sentinel_set_connect(struct sd_sentinel_backend *b, sd_sentinel_connect_fn *connect,
			     void *user)
{
	if (!b)
		return;
	b->connect = connect;
	b->connect_user = user;
}

void sd_sentinel_close(struct sd_sentinel_backend *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct endpoint *ep = &b->sentinels[i];
		if (b->sentinel_contexts[i])
			redisFree(b->sentinel_contexts[i]);
		free(ep->host);
		free(ep->label);
		for (size_t j = 0; j < ep->naddresses; j++)
			free(ep->addresses[j]);
	}
	for (size_t i = 0; i < b->nnodes; i++) {
		if (b->nodes[i].context)
			redisFree(b->nodes[i].context);
		free(b->nodes[i].addr);
	}
	for (size_t i = 0; i < b->ring_count; i++) {
		struct event_entry *e = &b->ring[(b->ring_first + i) % EVENT_RING];
		free(e->sentinel);
		free(e->channel);
		free(e->message);
	}
	free(b->nodes);
	free(b->sentinel_contexts);
	free(b->sentinels);
	free(b->failover);
	free(b->master_name);
	free(b->password_file);
	free(b->sentinel_password_file);
	pthread_mutex_destroy(&b->fetch_lock);
	pthread_mutex_destroy(&b->event_lock);
	free(b);
}

/* A blocking connection whose connect and every command are bounded by the timeout, already
 * authenticated when PASSWORD_FILE is set. NULL with ERR. */
static redisContext *connect_with_timeout(const struct sd_sentinel_backend *b, const char *host,
					  int port, long timeout_ms, const char *password_file,
					  char *err, size_t errlen)
{
	struct timeval tv = timeval_from_ms(timeout_ms);
	redisContext *c;
	if (b->connect) {
		int fd = b->connect(b->connect_user, host, port);
		if (fd < 0) {
			sd_set_error(err, errlen, "connect: refused");
			return NULL;
		}
		c = redisConnectFd(fd);
	} else {
		c = redisConnectWithTimeout(host, port, tv);
	}
	if (!c) {
		sd_set_error(err, errlen, "connect: out of memory");
		return NULL;
	}
	if (c->err) {
		char why[160];
		describe_context_error(c, timeout_ms, why, sizeof why);
		sd_set_error(err, errlen, "connect: %s", why);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		sd_set_error(err, errlen, "cannot set a timeout: %s", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (!b->connect)
		redisEnableKeepAlive(c);
	if (password_file) {
		char secret[SECRET_MAX];
		if (sd_secret_read(password_file, secret, sizeof secret, err, errlen) < 0) {
			redisFree(c);
			return NULL;
		}
		const char *argv[] = {"AUTH", secret};
		const size_t argvlen[] = {4, strlen(secret)};
		redisReply *r = redisCommandArgv(c, 2, argv, argvlen);
		explicit_bzero(secret, sizeof secret);
		if (!r) {
			char why[160];
			describe_context_error(c, timeout_ms, why, sizeof why);
			sd_set_error(err, errlen, "AUTH: %s", why);
			redisFree(c);
			return NULL;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			sd_set_error(err, errlen, "AUTH: %s", r->str);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

static int flush_context(redisContext *c)
{
	int done = 0;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	return 0;
}

/* ---- fetch ---- */

enum { ASK_MASTER, ASK_ADDR, ASK_CKQUORUM, ASK_REPLICAS, ASK_SENTINELS, ASK_COUNT };

struct sentinel_answer {
	bool reachable;
	char error[256];
	redisReply *reply[ASK_COUNT];
};

/* Send the five questions to every Sentinel first, then read the answers: Sentinels answer
 * in parallel and one that hangs costs one timeout. */
static void ask_sentinels(struct sd_sentinel_backend *b, struct sentinel_answer *answers)
{
	bool *sent = xcalloc(b->nsentinels + 1, sizeof *sent);
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		redisContext **c = &b->sentinel_contexts[i];
		if (!*c)
			*c = connect_with_timeout(b, b->sentinels[i].host, b->sentinels[i].port,
						  b->timeout_ms, b->sentinel_password_file,
						  a->error, sizeof a->error);
		if (!*c)
			continue;
		redisAppendCommand(*c, "SENTINEL MASTER %s", b->master_name);
		redisAppendCommand(*c, "SENTINEL GET-MASTER-ADDR-BY-NAME %s", b->master_name);
		redisAppendCommand(*c, "SENTINEL CKQUORUM %s", b->master_name);
		redisAppendCommand(*c, "SENTINEL REPLICAS %s", b->master_name);
		redisAppendCommand(*c, "SENTINEL SENTINELS %s", b->master_name);
		if (flush_context(*c) < 0) {
			describe_context_error(*c, b->timeout_ms, a->error, sizeof a->error);
			redisFree(*c);
			*c = NULL;
			continue;
		}
		sent[i] = true;
	}
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		redisContext **c = &b->sentinel_contexts[i];
		if (!sent[i])
			continue;
		for (int q = 0; q < ASK_COUNT; q++) {
			void *reply = NULL;
			if (redisGetReply(*c, &reply) != REDIS_OK || !reply) {
				describe_context_error(*c, b->timeout_ms, a->error, sizeof a->error);
				for (int k = 0; k < q; k++) {
					freeReplyObject(a->reply[k]);
					a->reply[k] = NULL;
				}
				redisFree(*c);
				*c = NULL;
				break;
			}
			a->reply[q] = reply;
		}
		if (!*c)
			continue;
		a->reachable = true;
		/* Sentinels before 5.0 know only SLAVES */
		redisReply *r = a->reply[ASK_REPLICAS];
		if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "nknown")) {
			redisReply *old = redisCommand(*c, "SENTINEL SLAVES %s", b->master_name);
			if (old) {
				freeReplyObject(r);
				a->reply[ASK_REPLICAS] = old;
			} else {
				redisFree(*c);
				*c = NULL;
			}
		}
	}
	free(sent);
}

struct node_probe {
	const char *host, *port, *addr;       /* arena strings */
	size_t node;                          /* index in the backend's node cache */
	bool reachable;
	char error[256];
	redisReply *info;
	bool borrowed;                        /* INFO is another probe's (same address) */
};

static size_t node_connection(struct sd_sentinel_backend *b, const char *addr)
{
	for (size_t i = 0; i < b->nnodes; i++)
		if (!strcmp(b->nodes[i].addr, addr)) {
			b->nodes[i].used = b->fetches;
			return i;
		}
	b->nodes = xrealloc(b->nodes, (b->nnodes + 1) * sizeof *b->nodes);
	struct node_connection *n = &b->nodes[b->nnodes++];
	n->addr = xstrdup(addr);
	n->context = NULL;
	n->used = b->fetches;
	return b->nnodes - 1;
}

/* Close connections to nodes that are no longer the master or a replica. */
static void node_connections_prune(struct sd_sentinel_backend *b)
{
	size_t kept = 0;
	for (size_t i = 0; i < b->nnodes; i++) {
		if (b->nodes[i].used == b->fetches) {
			b->nodes[kept++] = b->nodes[i];
			continue;
		}
		if (b->nodes[i].context)
			redisFree(b->nodes[i].context);
		free(b->nodes[i].addr);
	}
	b->nnodes = kept;
}

/* The earlier probe of the same node as probe I, or I. */
static size_t probe_first(const struct node_probe *probes, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (probes[j].node == probes[i].node)
			return j;
	return i;
}

/* INFO replication on every node: all asked first, then all read. Probes of one address (a
 * replica reported at the master's address, two replicas at one address, as Sentinels do
 * during a failover) share one connection and one answer: the node is asked once. */
static void ask_nodes(struct sd_sentinel_backend *b, struct node_probe *probes, size_t n)
{
	bool *sent = xcalloc(n + 1, sizeof *sent);
	for (size_t i = 0; i < n; i++)
		probes[i].node = node_connection(b, probes[i].addr);
	for (size_t i = 0; i < n; i++) {
		struct node_probe *p = &probes[i];
		redisContext **context = &b->nodes[p->node].context;
		if (probe_first(probes, i) != i)
			continue;
		if (!*context)
			*context = connect_with_timeout(b, p->host, (int)field_number(p->port, 0),
						 b->timeout_ms, b->password_file,
						 p->error, sizeof p->error);
		if (!*context)
			continue;
		redisAppendCommand(*context, "INFO replication");
		if (flush_context(*context) < 0) {
			describe_context_error(*context, b->timeout_ms, p->error, sizeof p->error);
			redisFree(*context);
			*context = NULL;
			continue;
		}
		sent[i] = true;
	}
	for (size_t i = 0; i < n; i++) {
		struct node_probe *p = &probes[i];
		redisContext **context = &b->nodes[p->node].context;
		if (!sent[i])
			continue;
		void *reply = NULL;
		if (redisGetReply(*context, &reply) != REDIS_OK || !reply) {
			describe_context_error(*context, b->timeout_ms, p->error, sizeof p->error);
			redisFree(*context);
			*context = NULL;
			continue;
		}
		p->info = reply;
		if (p->info->type == REDIS_REPLY_ERROR) {
			sd_set_error(p->error, sizeof p->error, "INFO: %s", p->info->str);
			freeReplyObject(p->info);
			p->info = NULL;
			continue;
		}
		if (p->info->type != REDIS_REPLY_STRING) {
			sd_set_error(p->error, sizeof p->error, "INFO: unexpected reply");
			freeReplyObject(p->info);
			p->info = NULL;
			continue;
		}
		p->reachable = true;
	}
	for (size_t i = 0; i < n; i++) {
		size_t first = probe_first(probes, i);
		if (first == i)
			continue;
		probes[i].reachable = probes[first].reachable;
		probes[i].info = probes[first].info;
		probes[i].borrowed = true;
		memcpy(probes[i].error, probes[first].error, sizeof probes[i].error);
	}
	free(sent);
}

static int compare_replicas(const void *a, const void *b)
{
	return strcmp(((const struct sd_redis_replica *)a)->addr,
		      ((const struct sd_redis_replica *)b)->addr);
}

static const char *address_reply(struct sd_arena *arena, const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		return "";
	return format_addr(arena, r->element[0]->str, r->element[1]->str);
}

/* The flags the other Sentinels' SENTINEL SENTINELS report for EP, the source's view first;
 * NULL when none lists it (N: the source, or N when there is none). */
static const char *sentinel_flags_seen(const struct sentinel_answer *answers, size_t n,
				       size_t source, const struct endpoint *ep)
{
	for (size_t step = 0; step < n; step++) {
		size_t i = (source + step) % n;
		if (!answers[i].reachable)
			continue;
		const redisReply *list = answers[i].reply[ASK_SENTINELS];
		if (list->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t k = 0; k < list->elements; k++)
			if (endpoint_matches(ep, reply_field(list->element[k], "ip"),
					     reply_field(list->element[k], "port")))
				return reply_field(list->element[k], "flags");
	}
	return NULL;
}

static void copy_events(struct sd_sentinel_backend *b, struct sd_redis *part)
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

/* The Sentinel list: every configured one, then those the answering ones know of. */
static void fill_sentinels(struct sd_sentinel_backend *b, struct sd_redis *part,
			   struct sentinel_answer *answers, size_t source)
{
	struct sd_arena *arena = part->part.arena;
	part->sentinels = sd_arena_alloc(arena, (b->nsentinels + 1) * sizeof *part->sentinels);
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		struct sd_redis_sentinel *s = &part->sentinels[part->nsentinels++];
		s->addr = sd_arena_strdup(arena, b->sentinels[i].label);
		s->reachable = a->reachable;
		s->master_addr = a->reachable ? address_reply(arena, a->reply[ASK_ADDR]) : "";
		const char *flags =
			sentinel_flags_seen(answers, b->nsentinels, source, &b->sentinels[i]);
		s->flags = sd_arena_strdup(arena, flags ? flags : a->reachable ? "sentinel" : "");
		if (a->reachable && a->reply[ASK_MASTER]->type == REDIS_REPLY_ERROR)
			sd_set_error(a->error, sizeof a->error, "%s", a->reply[ASK_MASTER]->str);
		s->error = sd_arena_strdup(arena, a->error);
	}
	size_t extra_cap = 0;
	for (size_t i = 0; i < b->nsentinels; i++)
		if (answers[i].reachable && answers[i].reply[ASK_SENTINELS]->type == REDIS_REPLY_ARRAY)
			extra_cap += answers[i].reply[ASK_SENTINELS]->elements;
	if (extra_cap) {
		struct sd_redis_sentinel *all = sd_arena_alloc(
			arena, (part->nsentinels + extra_cap) * sizeof *all);
		memcpy(all, part->sentinels, part->nsentinels * sizeof *all);
		part->sentinels = all;
		size_t configured = part->nsentinels;
		for (size_t i = 0; i < b->nsentinels; i++) {
			size_t who = (i + source) % b->nsentinels;   /* the source's view first */
			if (!answers[who].reachable ||
			    answers[who].reply[ASK_SENTINELS]->type != REDIS_REPLY_ARRAY)
				continue;
			const redisReply *list = answers[who].reply[ASK_SENTINELS];
			for (size_t k = 0; k < list->elements; k++) {
				const char *ip = reply_field(list->element[k], "ip");
				const char *port = reply_field(list->element[k], "port");
				const char *flags = reply_field(list->element[k], "flags");
				if (!ip || !port)
					continue;
				bool known = false;
				for (size_t c = 0; c < b->nsentinels && !known; c++)
					known = endpoint_matches(&b->sentinels[c], ip, port);
				const char *addr = format_addr(arena, ip, port);
				for (size_t c = configured; c < part->nsentinels && !known; c++)
					known = !strcmp(part->sentinels[c].addr, addr);
				if (known)
					continue;
				struct sd_redis_sentinel *s = &part->sentinels[part->nsentinels++];
				s->addr = addr;
				s->flags = sd_arena_strdup(arena, flags);
				/* not asked by us: as the Sentinels see it */
				s->reachable = !flag_set(s->flags, "s_down") &&
					       !flag_set(s->flags, "o_down") &&
					       !flag_set(s->flags, "disconnected");
				s->master_addr = "";
				s->error = "not in the configuration";
			}
		}
	}

}

/* The master and its replicas as SOURCE sees them, then INFO replication on each. */
static void fill_master(struct sd_sentinel_backend *b, struct sd_redis *part,
			const struct sentinel_answer *a)
{
	struct sd_arena *arena = part->part.arena;
	const redisReply *m = a->reply[ASK_MASTER];
	const char *ip = reply_field(m, "ip"), *port = reply_field(m, "port");
	struct sd_redis_master *master = &part->master;
	master->name = sd_arena_strdup(arena, reply_field(m, "name"));
	master->addr = ip && port ? format_addr(arena, ip, port) : "";
	master->flags = sd_arena_strdup(arena, reply_field(m, "flags"));
	master->quorum = (long)field_number(reply_field(m, "quorum"), 0);
	master->num_other_sentinels =
		(long)field_number(reply_field(m, "num-other-sentinels"), 0);
	master->num_slaves = (long)field_number(reply_field(m, "num-slaves"), 0);
	const redisReply *q = a->reply[ASK_CKQUORUM];
	master->ckquorum = q->type == REDIS_REPLY_STATUS;
	master->ckquorum_message = sd_arena_strdup(
		arena, (q->type == REDIS_REPLY_STATUS || q->type == REDIS_REPLY_ERROR ||
			q->type == REDIS_REPLY_STRING) ? q->str : "");

	const redisReply *list = a->reply[ASK_REPLICAS];
	size_t nlisted = list->type == REDIS_REPLY_ARRAY ? list->elements : 0;
	part->replicas = sd_arena_alloc(arena, (nlisted + 1) * sizeof *part->replicas);
	struct node_probe *probes = xcalloc(nlisted + 1, sizeof *probes);
	size_t nprobes = 0;
	if (ip && port) {
		probes[0].host = sd_arena_strdup(arena, ip);
		probes[0].port = sd_arena_strdup(arena, port);
		probes[0].addr = master->addr;
		nprobes = 1;
	}
	for (size_t k = 0; k < nlisted; k++) {
		const redisReply *r = list->element[k];
		const char *rip = reply_field(r, "ip"), *rport = reply_field(r, "port");
		if (!rip || !rport)
			continue;
		struct sd_redis_replica *rep = &part->replicas[part->nreplicas++];
		rep->addr = format_addr(arena, rip, rport);
		rep->flags = sd_arena_strdup(arena, reply_field(r, "flags"));
		const char *link = reply_field(r, "master-link-status");
		rep->link = !link ? "" : !strcmp(link, "ok") ? "up" : "down";
		rep->offset = field_number(reply_field(r, "slave-repl-offset"), -1);
		rep->lag_bytes = -1;
		rep->error = "";
		probes[nprobes].host = sd_arena_strdup(arena, rip);
		probes[nprobes].port = sd_arena_strdup(arena, rport);
		probes[nprobes].addr = rep->addr;
		nprobes++;
	}
	qsort(part->replicas, part->nreplicas, sizeof *part->replicas, compare_replicas);
	ask_nodes(b, probes, nprobes);

	const struct node_probe *mp = ip && port ? &probes[0] : NULL;
	const char *master_info = mp && mp->reachable ? mp->info->str : NULL;
	char value[256];
	if (mp) {
		master->reachable = mp->reachable;
		master->error = sd_arena_strdup(arena, mp->error);
	}
	if (master_info) {
		master->offset = field_number(
			info_field(master_info, "master_repl_offset", value, sizeof value), -1);
		const char *role = info_field(master_info, "role", value, sizeof value);
		if (role && strcmp(role, "master"))
			master->error = sd_arena_printf(arena, "reports role:%s", role);
	}
	for (size_t k = mp ? 1 : 0; k < nprobes; k++) {
		const struct node_probe *p = &probes[k];
		struct sd_redis_replica *rep = NULL;
		for (size_t j = 0; j < part->nreplicas && !rep; j++)
			if (part->replicas[j].addr == p->addr)
				rep = &part->replicas[j];
		if (!rep)
			continue;
		rep->reachable = p->reachable;
		rep->error = sd_arena_strdup(arena, p->error);
		if (p->reachable) {
			const char *info = p->info->str;
			const char *v = info_field(info, "master_link_status", value, sizeof value);
			if (v)
				rep->link = sd_arena_strdup(arena, v);
			long long off = field_number(
				info_field(info, "slave_repl_offset", value, sizeof value), -1);
			if (off >= 0)
				rep->offset = off;
			const char *role = info_field(info, "role", value, sizeof value);
			if (role && strcmp(role, "slave"))
				rep->error = sd_arena_printf(arena, "reports role:%s", role);
		} else if (master_info) {
			long long off = info_replica_offset(master_info, p->host, p->port);
			if (off >= 0)
				rep->offset = off;
		}
		if (master->offset >= 0 && rep->offset >= 0)
			rep->lag_bytes = master->offset > rep->offset
						 ? master->offset - rep->offset : 0;
	}
	for (size_t k = 0; k < nprobes; k++)
		if (probes[k].info && !probes[k].borrowed)
			freeReplyObject(probes[k].info);
	free(probes);
}

/* Why no Sentinel could speak for the master, with each one's reason. */
static void explain_no_source(const struct sd_sentinel_backend *b,
			      const struct sentinel_answer *answers, char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	char detail[768] = "";
	size_t len = 0;
	bool any = false;
	for (size_t i = 0; i < b->nsentinels; i++) {
		any = any || answers[i].reachable;
		if (len < sizeof detail)
			len += (size_t)snprintf(detail + len, sizeof detail - len, "%s%s: %s",
						i ? "; " : "", b->sentinels[i].label,
						answers[i].error);
	}
	if (any)
		sd_set_error(err, errlen, "no Sentinel answered for master %s (%s)", b->master_name,
			  detail);
	else
		sd_set_error(err, errlen, "no Sentinel answered (%s)", detail);
}

int sd_sentinel_fetch(struct sd_sentinel_backend *b, const struct sd_redis *previous,
		      struct sd_redis **out, char *err, size_t errlen)
{
	(void)previous;
	struct sd_redis *part = sd_part_new(sizeof *part);
	struct sd_arena *arena = part->part.arena;
	*out = part;
	part->fetched_at = time(NULL);
	part->master.name = sd_arena_strdup(arena, b ? b->master_name : "");
	part->master.addr = part->master.flags = part->master.ckquorum_message = "";
	part->master.error = "";
	part->master.offset = -1;
	part->failover = "";
	if (!b) {
		sd_set_error(err, errlen, "Redis Sentinel is not configured");
		return -1;
	}
	if (!b->nsentinels) {
		copy_events(b, part);
		sd_set_error(err, errlen, "no Sentinel configured");
		return -1;
	}

	pthread_mutex_lock(&b->fetch_lock);
	b->fetches++;
	struct sentinel_answer *answers = xcalloc(b->nsentinels, sizeof *answers);
	ask_sentinels(b, answers);

	/* The first Sentinel that knows the master speaks for it, unless another one has a
	 * newer view: a newer configuration epoch, or the same epoch with the failover done.
	 * During a failover the Sentinels learn the new master at different moments (the
	 * others from the leader's hello, up to 2 s apart; the leader itself only once it
	 * has reconfigured the replicas), and +switch-master from any of them must show. */
	size_t source = b->nsentinels;
	long long source_rank = -1;
	for (size_t i = 0; i < b->nsentinels; i++) {
		const redisReply *m = answers[i].reply[ASK_MASTER];
		if (!answers[i].reachable || m->type != REDIS_REPLY_ARRAY)
			continue;
		long long epoch = field_number(reply_field(m, "config-epoch"), 0);
		bool busy = flag_set(reply_field(m, "flags"), "failover_in_progress");
		long long rank = (epoch < 0 ? 0 : epoch) * 2 + (busy ? 0 : 1);
		if (rank > source_rank) {
			source = i;
			source_rank = rank;
		}
	}

	fill_sentinels(b, part, answers, source);
	int rc = 0;
	if (source == b->nsentinels) {
		explain_no_source(b, answers, err, errlen);
		rc = -1;
	} else {
		fill_master(b, part, &answers[source]);
	}
	node_connections_prune(b);
	for (size_t i = 0; i < b->nsentinels; i++)
		for (int q = 0; q < ASK_COUNT; q++)
			if (answers[i].reply[q])
				freeReplyObject(answers[i].reply[q]);
	free(answers);
	pthread_mutex_unlock(&b->fetch_lock);

	copy_events(b, part);
	if (!part->failover[0] && flag_set(part->master.flags, "failover_in_progress"))
		part->failover = "failover_in_progress";
	return rc;
}

/* ---- failover ---- */

int sd_sentinel_failover(struct sd_sentinel_backend *b, char *err, size_t errlen)
{
	if (!b || !b->nsentinels) {
		sd_set_error(err, errlen, "no Sentinel configured");
		return -1;
	}
	char why[1024] = "";
	size_t len = 0;
	for (size_t i = 0; i < b->nsentinels; i++) {
		char one[256];
		redisContext *c = connect_with_timeout(b, b->sentinels[i].host, b->sentinels[i].port,
						       b->timeout_ms, b->sentinel_password_file,
						       one, sizeof one);
		redisReply *r = c ? redisCommand(c, "SENTINEL FAILOVER %s", b->master_name) : NULL;
		if (c && !r)
			describe_context_error(c, b->timeout_ms, one, sizeof one);
		if (!r) {
			if (len < sizeof why)
				len += (size_t)snprintf(why + len, sizeof why - len, "%s%s: %s",
							len ? "; " : "", b->sentinels[i].label, one);
			if (c)
				redisFree(c);
			continue;
		}
		int rc = 0;
		if (r->type == REDIS_REPLY_ERROR) {
			sd_set_error(err, errlen, "-%s", r->str);   /* as the Sentinel said it */
			rc = -1;
		} else if (r->type != REDIS_REPLY_STATUS) {
			sd_set_error(err, errlen, "unexpected reply to SENTINEL FAILOVER");
			rc = -1;
		}
		freeReplyObject(r);
		redisFree(c);
		return rc;
	}
	sd_set_error(err, errlen, "no Sentinel answered (%s)", why);
	return -1;
}

/* ---- events ---- */

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
	if (b->connect) {
		w->fd = b->connect(b->connect_user, ep->host, ep->port);
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
		char secret[SECRET_MAX];
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
