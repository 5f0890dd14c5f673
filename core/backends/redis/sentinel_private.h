/* sentinel_private.h - what the files of the Sentinel backend share, private to
 * core/backends/redis: the backend's state, the questions asked of every Sentinel and the
 * probes of the master and replicas, and the functions one file offers the others.
 *   sentinel.c  open, close, the configured Sentinels, connections through the dial hook
 *   decode.c    Sentinel and INFO replies into the model (struct sd_redis)
 *   fetch.c     who the master is, its replicas, the Sentinels: asking and the kept links
 *   failover.c  SENTINEL FAILOVER
 *   events.c    PSUBSCRIBE * on every Sentinel, the event log, the failover state */
#ifndef SD_SENTINEL_PRIVATE_H
#define SD_SENTINEL_PRIVATE_H

#include "backends/redis/client.h"
#include "backends/redis/sentinel.h"
#include "base/arena.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DEFAULT_SENTINEL_PORT 26379
#define EVENT_RING 200
#define MAX_ADDRESSES 4          /* resolved addresses kept per configured Sentinel */
#define FAILOVER_STALE_S 60      /* a failover state with no news for this long is dropped */

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
	struct sd_redis_conn conn;
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
	struct sd_redis_dial dial;            /* no hook: the network */

	pthread_mutex_t fetch_lock;           /* fetch state below */
	struct sd_redis_conn *sentinel_conns; /* one per configured Sentinel */
	struct node_connection *nodes;
	size_t nnodes;
	unsigned long fetches;

	pthread_mutex_t event_lock;           /* event log below */
	struct event_entry ring[EVENT_RING];
	size_t ring_first, ring_count;
	struct failover_state *failover;      /* one per configured Sentinel, plus one */
	char switched_from[128];              /* the master before the last +switch-master */
};

/* The questions every Sentinel is asked in one fetch, in this order. */
enum { ASK_MASTER, ASK_ADDR, ASK_CKQUORUM, ASK_REPLICAS, ASK_SENTINELS, ASK_COUNT };

struct sentinel_answer {
	bool reachable;                       /* all five replies are there */
	char error[256];
	redisReply *reply[ASK_COUNT];
};

/* INFO replication on the master or one replica. */
struct node_probe {
	const char *host, *port, *addr;       /* arena strings */
	size_t node;                          /* index in the backend's node cache */
	bool reachable;
	char error[256];
	redisReply *info;
	bool borrowed;                        /* INFO is another probe's (same address) */
	bool master;                          /* the master's probe (the first one) */
};

/* sentinel.c */
int sentinel_connect(const struct sd_sentinel_backend *b, const char *host, int port,
		     const char *password_file, struct sd_redis_conn *conn, char *err,
		     size_t errlen);

/* decode.c */
const char *sentinel_reply_field(const redisReply *r, const char *key);
bool sentinel_flag_set(const char *flags, const char *flag);
size_t sentinel_choose_source(const struct sd_sentinel_backend *b,
			      const struct sentinel_answer *answers);
void sentinel_fill_sentinels(const struct sd_sentinel_backend *b, struct sd_redis *part,
			     struct sentinel_answer *answers, size_t source);
size_t sentinel_fill_master(struct sd_redis *part, const struct sentinel_answer *a,
			    struct node_probe **probes);
void sentinel_fill_nodes(struct sd_redis *part, const struct node_probe *probes,
			 size_t nprobes);
void sentinel_explain_no_source(const struct sd_sentinel_backend *b,
				const struct sentinel_answer *answers, char *err, size_t errlen);

/* events.c */
void sentinel_copy_events(struct sd_sentinel_backend *b, struct sd_redis *part);
void sentinel_events_free(struct sd_sentinel_backend *b);

#endif
