/* node.c - one connection to one Redis server in plain C terms (see node.h), on the backend's
 * transport (client.h), and the INFO text and address helpers the Sentinel view shares. */
#include "backends/redis/node.h"
#include "backends/redis/client.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REDIS_PORT 6379

struct sd_redis_node {
	struct sd_redis_conn conn;
	char *addr;
};

int sd_redis_parse_addr(const char *text, int default_port, char **host, int *port)
{
	const char *h = text, *colon;
	size_t hlen;
	if (!text)
		return -1;
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
	*port = default_port;
	if (colon) {
		char *end;
		errno = 0;
		long p = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p <= 0 || p > 65535)
			return -1;
		*port = (int)p;
	}
	*host = xstrndup(h, hlen);
	return 0;
}

const char *sd_redis_info_field(const char *info, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);
	if (!size)
		return NULL;
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

long long sd_redis_number(const char *text, long long fallback)
{
	if (!text || !*text)
		return fallback;
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	return errno || *end ? fallback : v;
}

long long sd_redis_info_number(const char *info, const char *key, long long fallback)
{
	char value[64];
	return sd_redis_number(sd_redis_info_field(info, key, value, sizeof value), fallback);
}

struct sd_redis_node *sd_redis_node_open(const struct sd_redis_node_options *o, char *err,
					 size_t errlen)
{
	char *host = NULL;
	int port;
	if (!o || sd_redis_parse_addr(o->addr, DEFAULT_REDIS_PORT, &host, &port) < 0) {
		sd_set_error(err, errlen, "bad Redis address '%s'", o && o->addr ? o->addr : "");
		return NULL;
	}
	struct sd_redis_node *node = xcalloc(1, sizeof *node);
	struct sd_redis_dial dial = {.connect = o->connect, .user = o->connect_user};
	char why[512];
	int rc = sd_redis_conn_open(&node->conn, host, port, o->timeout_ms, o->password_file,
				    &dial, why, sizeof why);
	free(host);
	if (rc < 0) {
		sd_set_error(err, errlen, "%s: %s", o->addr, why);
		free(node);
		return NULL;
	}
	node->addr = xstrdup(o->addr);
	return node;
}

struct sd_redis_node *sd_redis_node_open_config(const struct sd_config *config, const char *addr,
						char *err, size_t errlen)
{
	struct sd_redis_node_options o = {.addr = addr};
	if (config) {
		o.password_file = config->redis.password_file;
		o.timeout_ms = config->redis.timeout_ms;
	}
	return sd_redis_node_open(&o, err, errlen);
}

void sd_redis_node_close(struct sd_redis_node *node)
{
	if (!node)
		return;
	sd_redis_conn_close(&node->conn);
	free(node->addr);
	free(node);
}

const char *sd_redis_node_addr(const struct sd_redis_node *node)
{
	return node ? node->addr : "";
}

struct sd_redis_conn *sd_redis_node_conn(struct sd_redis_node *node)
{
	return &node->conn;
}

/* The reply to ARGV, or NULL with ERR "ARGV[0]: why" (error replies included). */
static redisReply *node_call(struct sd_redis_node *node, int argc, const char *const *argv,
			     char *err, size_t errlen)
{
	char why[512];
	const char *what = argc > 0 ? argv[0] : "command";
	if (!node) {
		sd_set_error(err, errlen, "%s: not connected", what);
		return NULL;
	}
	redisReply *r = sd_redis_send(&node->conn, argc, argv, NULL, why, sizeof why) < 0
				? NULL : sd_redis_read(&node->conn, why, sizeof why);
	if (!r) {
		sd_set_error(err, errlen, "%s: %s", what, why);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		sd_set_error(err, errlen, "%s: %s", what, r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static size_t reply_text(const redisReply *r, char *out, size_t size, size_t used)
{
	char number[32];
	const char *text = "";
	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		text = r->str;
		break;
	case REDIS_REPLY_INTEGER:
		snprintf(number, sizeof number, "%lld", r->integer);
		text = number;
		break;
	case REDIS_REPLY_ARRAY:
		for (size_t i = 0; i < r->elements; i++) {
			if (i && used + 1 < size) {
				out[used++] = '\n';
				out[used] = '\0';
			}
			used = reply_text(r->element[i], out, size, used);
		}
		return used;
	default:
		break;
	}
	size_t n = strlen(text);
	if (used + n >= size)
		n = used < size ? size - used - 1 : 0;
	memcpy(out + used, text, n);
	used += n;
	out[used] = '\0';
	return used;
}

int sd_redis_node_command(struct sd_redis_node *node, int argc, const char *const *argv,
			  char *reply, size_t replylen, char *err, size_t errlen)
{
	redisReply *r = node_call(node, argc, argv, err, errlen);
	if (!r)
		return -1;
	if (reply && replylen) {
		reply[0] = '\0';
		reply_text(r, reply, replylen, 0);
	}
	freeReplyObject(r);
	return 0;
}

int sd_redis_node_integer(struct sd_redis_node *node, int argc, const char *const *argv,
			  long long *value, char *err, size_t errlen)
{
	redisReply *r = node_call(node, argc, argv, err, errlen);
	if (!r)
		return -1;
	int rc = 0;
	if (r->type == REDIS_REPLY_INTEGER) {
		*value = r->integer;
	} else {
		sd_set_error(err, errlen, "%s: unexpected reply", argc > 0 ? argv[0] : "command");
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int sd_redis_node_info(struct sd_redis_node *node, const char *section, char **info, char *err,
		       size_t errlen)
{
	const char *argv[] = {"INFO", section};
	*info = NULL;
	redisReply *r = node_call(node, section ? 2 : 1, argv, err, errlen);
	if (!r)
		return -1;
	int rc = 0;
	if (r->type == REDIS_REPLY_STRING)
		*info = xstrndup(r->str, r->len);
	else {
		sd_set_error(err, errlen, "INFO: unexpected reply");
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int sd_redis_node_config_get(struct sd_redis_node *node, const char *name, char *value,
			     size_t size, char *err, size_t errlen)
{
	const char *argv[] = {"CONFIG", "GET", name};
	redisReply *r = node_call(node, 3, argv, err, errlen);
	if (!r)
		return -1;
	int rc = -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING) {
		sd_strlcpy(value, r->element[1]->str, size);
		rc = 0;
	} else {
		sd_set_error(err, errlen, "CONFIG GET %s: no such parameter", name);
	}
	freeReplyObject(r);
	return rc;
}
