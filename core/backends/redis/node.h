/* node.h - one connection to one Redis server (a master or a replica; a Sentinel too), for
 * what the core asks of a data node outside the Sentinel view: backups run commands, read
 * INFO and CONFIG through it (rdb.h adds BGSAVE and the RDB stream). In plain C terms: no
 * hiredis type crosses this header.
 *
 * Contract: the connection is blocking and every connect, send and read is bounded by the
 * timeout; it is authenticated (AUTH with the password file's content) before it is handed
 * out; a peer that has gone away costs an error, never SIGPIPE (requests are written with
 * MSG_NOSIGNAL, the process's signal dispositions are left alone). Errors never contain the
 * password. After an I/O error the node is closed and every later call fails at once. */
#ifndef SD_REDIS_NODE_H
#define SD_REDIS_NODE_H

#include "conf/config.h"

#include <stdbool.h>
#include <stddef.h>

/* Instead of the network: a connected stream socket to HOST:PORT, owned by the caller of the
 * hook from then on (closed with the connection), or -1 (refused). For tests and fuzzers. */
typedef int sd_redis_connect_fn(void *user, const char *host, int port);

struct sd_redis_node;

struct sd_redis_node_options {
	const char *addr;                     /* "host:port", "[v6]:port" (port 6379 if absent) */
	const char *password_file;            /* NULL or "": no AUTH */
	long timeout_ms;                      /* <= 0: 2000 */
	sd_redis_connect_fn *connect;         /* NULL: the network */
	void *connect_user;
};

/* Connect (and AUTH). NULL with ERR: "connect: ...", "AUTH: <the server's message>", or the
 * password file's reading error. */
struct sd_redis_node *sd_redis_node_open(const struct sd_redis_node_options *options,
					 char *err, size_t errlen);

/* The same, for the data node at ADDR with config->redis.password_file and timeout_ms. */
struct sd_redis_node *sd_redis_node_open_config(const struct sd_config *config, const char *addr,
						char *err, size_t errlen);
void sd_redis_node_close(struct sd_redis_node *node);

/* ADDR as given to open. */
const char *sd_redis_node_addr(const struct sd_redis_node *node);

/* Run ARGV (ARGC strings). 0 with the reply as text in REPLY (status, string and error
 * replies as they are, integers in decimal, arrays as their elements one per line, nil as
 * ""), truncated to REPLYLEN; -1 with ERR "ARGV[0]: why" for an error reply (the server's
 * message) or an I/O failure. REPLY may be NULL. */
int sd_redis_node_command(struct sd_redis_node *node, int argc, const char *const *argv,
			  char *reply, size_t replylen, char *err, size_t errlen);

/* An integer reply (LASTSAVE, DBSIZE, ...); -1 with ERR when the reply is not an integer. */
int sd_redis_node_integer(struct sd_redis_node *node, int argc, const char *const *argv,
			  long long *value, char *err, size_t errlen);

/* INFO SECTION, whole: a malloc'ed text in *INFO (free it). 0, or -1 with ERR. */
int sd_redis_node_info(struct sd_redis_node *node, const char *section, char **info, char *err,
		       size_t errlen);

/* CONFIG GET NAME into VALUE. 0; -1 with ERR when CONFIG is renamed, disabled or denied, or
 * the parameter does not exist. */
int sd_redis_node_config_get(struct sd_redis_node *node, const char *name, char *value,
			     size_t size, char *err, size_t errlen);

/* The value of "KEY:value" in INFO text, copied into BUF (CR removed); NULL when absent. */
const char *sd_redis_info_field(const char *info, const char *key, char *buf, size_t size);

/* The same as a number; FALLBACK when absent or not a whole number. */
long long sd_redis_info_number(const char *info, const char *key, long long fallback);
/* TEXT as a whole number (a reply field, an INFO value); FALLBACK when absent or not one. */
long long sd_redis_number(const char *text, long long fallback);

/* "host:port", "[v6]:port" or "host" (DEFAULT_PORT) into a malloc'ed *HOST and *PORT. 0, or
 * -1 when malformed. */
int sd_redis_parse_addr(const char *text, int default_port, char **host, int *port);

#endif
