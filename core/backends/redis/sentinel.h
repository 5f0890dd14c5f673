/* sentinel.h - the Redis Sentinel backend (hiredis), in the model's terms. Works while any
 * one Sentinel answers; every command has a timeout. It leaves the process's signal
 * dispositions alone: a peer that has closed its socket costs an error, never SIGPIPE. The
 * files behind it: sentinel.c (open, close), fetch.c, decode.c, failover.c, events.c, over
 * the transport of client.c; see sentinel_private.h. */
#ifndef SD_SENTINEL_H
#define SD_SENTINEL_H

#include "backends/redis/node.h"
#include "conf/config.h"
#include "model/model.h"

struct sd_sentinel_backend;

struct sd_sentinel_backend *sd_sentinel_open(const struct sd_config *config);
void sd_sentinel_close(struct sd_sentinel_backend *backend);

/* For tests and fuzzing: every connection the backend makes from now on (to a Sentinel, the
 * master, a replica, or for the event stream) asks CONNECT for a connected stream socket to
 * HOST:PORT instead of going to the network. It returns a descriptor the backend then owns
 * and closes, or -1 (the connection counts as refused). NULL goes back to the network. A
 * harness hands out one end of a socketpair with the replies already written into the other
 * (replies are read in order) and shuts that end down to end the answer. */
typedef sd_redis_connect_fn sd_sentinel_connect_fn;
void sd_sentinel_set_connect(struct sd_sentinel_backend *backend, sd_sentinel_connect_fn *connect,
			     void *user);

/* SENTINEL MASTER/REPLICAS/SENTINELS/CKQUORUM/GET-MASTER-ADDR-BY-NAME on each Sentinel, INFO
 * replication on the master and replicas; the event log kept by the backend is copied into
 * the part. 0, or -1 with ERR when no Sentinel answered (a part is still made). */
int sd_sentinel_fetch(struct sd_sentinel_backend *backend, const struct sd_redis *previous,
		      struct sd_redis **out, char *err, size_t errlen);

/* PSUBSCRIBE * on every Sentinel; store events in the backend's log and call ON_EVENT for
 * each until STOP (checked at least every 500 ms). Reconnects by itself. */
void sd_sentinel_watch_events(struct sd_sentinel_backend *backend,
			      void (*on_event)(void *user, const char *channel), void *user,
			      const volatile int *stop);

/* SENTINEL FAILOVER <master>. -1 with ERR (the Sentinel's message verbatim). */
int sd_sentinel_failover(struct sd_sentinel_backend *backend, char *err, size_t errlen);

#endif
