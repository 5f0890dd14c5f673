/* client.h - the Redis backend's transport, private to core/backends/redis: a blocking
 * hiredis connection to any Redis server or Sentinel, with timeouts, AUTH from a password
 * file, and requests formatted by hiredis (redisFormatCommandArgv) but written by us with
 * send(MSG_NOSIGNAL): hiredis would write with write(2), which raises SIGPIPE when the peer
 * has closed, and a library must not change the process's signal dispositions to avoid it.
 * Replies are read by hiredis (redisGetReply finds its output buffer empty, so it only
 * reads).
 *
 * Contract: every call is bounded by the connection's timeout; on an I/O failure the
 * connection is closed (context NULL) and ERR says why in an operator's words; a closed
 * connection fails every call at once, so a caller that shares one can never read a freed
 * one. Error replies (-ERR ...) are replies, not failures. */
#ifndef SD_REDIS_CLIENT_H
#define SD_REDIS_CLIENT_H

#include "backends/redis/node.h"

#include <hiredis/hiredis.h>

#include <stdbool.h>
#include <stddef.h>

#define SD_REDIS_SECRET_MAX 1024
#define SD_REDIS_DEFAULT_TIMEOUT_MS 2000

struct sd_redis_dial {
	sd_redis_connect_fn *connect;         /* NULL: the network */
	void *user;
};

struct sd_redis_conn {
	redisContext *context;                /* NULL: closed */
	long timeout_ms;
};

/* Connect to HOST:PORT (through DIAL when it has a hook), set the timeouts, AUTH with the
 * content of PASSWORD_FILE when set. 0, or -1 with ERR ("connect: ...", "AUTH: ..."). */
int sd_redis_conn_open(struct sd_redis_conn *conn, const char *host, int port, long timeout_ms,
		       const char *password_file, const struct sd_redis_dial *dial, char *err,
		       size_t errlen);
void sd_redis_conn_close(struct sd_redis_conn *conn);

/* Send one command (ARGVLEN NULL: strlen of each). 0, or -1 with ERR (connection closed). */
int sd_redis_send(struct sd_redis_conn *conn, int argc, const char *const *argv,
		  const size_t *argvlen, char *err, size_t errlen);

/* Send the NULL-terminated words as one command. */
int sd_redis_send_words(struct sd_redis_conn *conn, char *err, size_t errlen, const char *word,
			...) __attribute__((sentinel));

/* The next reply, or NULL with ERR (connection closed). */
redisReply *sd_redis_read(struct sd_redis_conn *conn, char *err, size_t errlen);

/* Send the NULL-terminated words and read the reply. */
redisReply *sd_redis_call_words(struct sd_redis_conn *conn, char *err, size_t errlen,
				const char *word, ...) __attribute__((sentinel));

/* Bytes hiredis has read past the replies it returned (a raw stream after SYNC starts with
 * them): a pointer into its buffer and the count. */
const char *sd_redis_pending(const struct sd_redis_conn *conn, size_t *len);

/* The connection under a node of node.h (rdb.c streams over it). */
struct sd_redis_conn *sd_redis_node_conn(struct sd_redis_node *node);

#endif
