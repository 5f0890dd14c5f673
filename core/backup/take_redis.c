/* take_redis.c - Redis snapshots: BGSAVE on the master, then the RDB copied from its folder
 * when this host sees it, or streamed over the replication protocol (REPLCONF rdb-only,
 * SYNC). */

#include "backup/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/secret.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <hiredis/hiredis.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* Redis                                                                                       */

static int split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr)
		return -1;
	size_t n = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, addr, n);
	host[n] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void redis_error(redisContext *c, const redisReply *reply, const char *what, char *err,
			size_t errlen)
{
	if (reply && reply->type == REDIS_REPLY_ERROR)
		sd_set_error(err, errlen, "%s: %s", what, reply->str);
	else if (c && c->err)
		sd_set_error(err, errlen, "%s: %s", what, c->errstr[0] ? c->errstr : "connection failed");
	else
		sd_set_error(err, errlen, "%s: unexpected reply", what);
}

static redisReply *redis_call(redisContext *c, const char *what, char *err, size_t errlen,
			      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	redisReply *reply = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (!reply || reply->type == REDIS_REPLY_ERROR) {
		redis_error(c, reply, what, err, errlen);
		if (reply)
			freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

static long long info_number(const char *info, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = info; p && *p;) {
		if (!strncmp(p, key, n) && p[n] == ':')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static bool info_is(const char *info, const char *key, const char *value)
{
	size_t n = strlen(key), m = strlen(value);
	for (const char *p = info; p && *p;) {
		if (!strncmp(p, key, n) && p[n] == ':' && !strncmp(p + n + 1, value, m) &&
		    (p[n + 1 + m] == '\r' || p[n + 1 + m] == '\n' || !p[n + 1 + m]))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static long long reply_integer(redisReply *reply)
{
	long long v = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
	if (reply)
		freeReplyObject(reply);
	return v;
}

/* CONFIG GET NAME -> VALUE, or -1 (CONFIG renamed, disabled or denied). */
static int redis_config_get(redisContext *c, const char *name, char *value, size_t size)
{
	redisReply *reply = redisCommand(c, "CONFIG GET %s", name);
	int rc = -1;
	if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[1]->type == REDIS_REPLY_STRING) {
		sd_strlcpy(value, reply->element[1]->str, size);
		rc = 0;
	}
	if (reply)
		freeReplyObject(reply);
	return rc;
}

/* A raw connection for the SYNC transfer. */
struct raw {
	int fd;
	char buf[65536];
	size_t off, len;
	double idle_limit;
};

static int raw_connect(struct raw *c, const char *host, int port, long timeout_ms, char *err,
		       size_t errlen)
{
	c->fd = -1;
	c->off = c->len = 0;
	char service[16];
	snprintf(service, sizeof(service), "%d", port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int g = getaddrinfo(host, service, &hints, &res);
	if (g != 0) {
		sd_set_error(err, errlen, "%s: %s", host, gai_strerror(g));
		return -1;
	}
	int last = 0;
	for (struct addrinfo *a = res; a && c->fd < 0; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			continue;
		}
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (poll(&p, 1, (int)timeout_ms) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			last = soerr ? soerr : ETIMEDOUT;
			close(fd);
			continue;
		}
		c->fd = fd;
	}
	freeaddrinfo(res);
	if (c->fd < 0) {
		sd_set_error(err, errlen, "connect %s:%d: %s", host, port, strerror(last ? last : ECONNREFUSED));
		return -1;
	}
	return 0;
}

static int raw_fill(struct raw *c, char *err, size_t errlen)
{
	if (c->off == c->len)
		c->off = c->len = 0;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int n = poll(&p, 1, (int)(c->idle_limit * 1000));
	if (n == 0) {
		sd_set_error(err, errlen, "the master sent nothing for %.0f s", c->idle_limit);
		return -1;
	}
	ssize_t got = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0) {
		sd_set_error(err, errlen, "the master closed the connection%s%s", got < 0 ? ": " : "",
			got < 0 ? strerror(errno) : "");
		return -1;
	}
	c->len += (size_t)got;
	return 0;
}

static int raw_send(struct raw *c, const char *data, size_t len, char *err, size_t errlen)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			poll(&p, 1, 1000);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sd_set_error(err, errlen, "sending to the master: %s", strerror(errno));
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One command as a RESP array. */
static int raw_command(struct raw *c, int argc, const char *const *argv, char *err,
		       size_t errlen)
{
	size_t size = 32;
	for (int i = 0; i < argc; i++)
		size += strlen(argv[i]) + 32;
	char *msg = xmalloc(size);
	int used = snprintf(msg, size, "*%d\r\n", argc);
	for (int i = 0; i < argc; i++)
		used += snprintf(msg + used, size - (size_t)used, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
	int rc = raw_send(c, msg, (size_t)used, err, errlen);
	memset(msg, 0, size);
	free(msg);
	return rc;
}

/* A reply line without CRLF; bare "\n" keepalives before it are skipped. */
static int raw_line(struct raw *c, char *line, size_t size, char *err, size_t errlen)
{
	for (;;) {
		while (c->off < c->len && c->buf[c->off] == '\n')
			c->off++;
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl) {
			size_t n = (size_t)(nl - (c->buf + c->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(line, c->buf + c->off, n);
			line[n] = '\0';
			c->off = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->len == sizeof(c->buf) && c->off == 0) {
			sd_set_error(err, errlen, "reply line too long");
			return -1;
		}
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (raw_fill(c, err, errlen) < 0)
			return -1;
	}
}

/* The master's RDB over the replication protocol, into O. */
static int redis_stream(struct sd_backup_runner *r, const char *host, int port,
			const char *password, struct out *o, char *err, size_t errlen)
{
	struct raw c;
	c.idle_limit = STREAM_IDLE_LIMIT;
	long timeout = r->config->redis.timeout_ms > 0 ? r->config->redis.timeout_ms : 2000;
	if (raw_connect(&c, host, port, timeout, err, errlen) < 0)
		return -1;
	char line[256];
	int rc = -1;
	if (password && *password) {
		const char *argv[] = {"AUTH", password};
		if (raw_command(&c, 2, argv, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
			goto done;
		if (line[0] != '+') {
			sd_set_error(err, errlen, "AUTH refused: %s", line + (line[0] == '-'));
			goto done;
		}
	}
	/* Redis >= 7: only the RDB, then the master closes; older ones answer an error */
	const char *rdb_only[] = {"REPLCONF", "rdb-only", "1"};
	if (raw_command(&c, 3, rdb_only, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
		goto done;
	const char *sync[] = {"SYNC"};
	if (raw_command(&c, 1, sync, err, errlen) < 0 || raw_line(&c, line, sizeof(line), err, errlen) < 0)
		goto done;
	if (line[0] == '-') {
		sd_set_error(err, errlen, "SYNC refused: %s", line + 1);
		goto done;
	}
	if (line[0] != '$') {
		sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
		goto done;
	}
	if (!strncmp(line, "$EOF:", 5)) {
		/* diskless: the payload ends with the 40-byte mark */
		char mark[41];
		if (strlen(line + 5) != 40) {
			sd_set_error(err, errlen, "SYNC: malformed EOF mark");
			goto done;
		}
		memcpy(mark, line + 5, 41);
		for (;;) {
			size_t have = c.len - c.off;
			if (have >= 40 && !memcmp(c.buf + c.len - 40, mark, 40)) {
				if (out_write(o, c.buf + c.off, have - 40, err, errlen) < 0)
					goto done;
				break;
			}
			if (have > 40) {
				if (out_write(o, c.buf + c.off, have - 40, err, errlen) < 0)
					goto done;
				memmove(c.buf, c.buf + c.len - 40, 40);
				c.off = 0;
				c.len = 40;
			} else if (c.off > 0) {
				memmove(c.buf, c.buf + c.off, have);
				c.off = 0;
				c.len = have;
			}
			if (raw_fill(&c, err, errlen) < 0)
				goto done;
		}
	} else {
		char *end;
		long long want = strtoll(line + 1, &end, 10);
		if (*end || want <= 0) {
			sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
			goto done;
		}
		o->total = want;
		while (o->size < want) {
			if (c.off == c.len && raw_fill(&c, err, errlen) < 0)
				goto done;
			size_t have = c.len - c.off;
			if ((long long)have > want - o->size)
				have = (size_t)(want - o->size);
			if (out_write(o, c.buf + c.off, have, err, errlen) < 0)
				goto done;
			c.off += have;
		}
	}
	rc = 0;
done:
	close(c.fd);
	return rc;
}

/* The RDB file at PATH if it is the master's fresh one (this host sees its folder). */
static int redis_open_local(const char *path, long long lastsave, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char magic[5];
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size < 9 ||
	    (long long)st->st_mtime < lastsave - 2 || pread(fd, magic, 5, 0) != 5 ||
	    memcmp(magic, "REDIS", 5) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int take_redis(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
		      char *how, size_t howlen, char *err, size_t errlen)
{
	const char *addr = snap && snap->redis ? snap->redis->master.addr : NULL;
	if (!addr || !*addr) {
		sd_set_error(err, errlen, "no Redis master in the snapshot (is the redis section configured?)");
		return -1;
	}
	char host[256];
	int port;
	if (split_addr(addr, host, sizeof(host), &port) < 0) {
		sd_set_error(err, errlen, "bad master address '%s'", addr);
		return -1;
	}
	char password[512] = "";
	if (r->config->redis.password_file &&
	    sd_secret_read(r->config->redis.password_file, password, sizeof(password), err, errlen) < 0)
		return -1;
	long timeout_ms = r->config->redis.timeout_ms > 0 ? r->config->redis.timeout_ms : 2000;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(host, port, tv);
	int rc = -1;
	redisReply *reply = NULL;
	if (!c || c->err) {
		sd_set_error(err, errlen, "master %s: %s", addr, c ? c->errstr : "cannot connect");
		goto done;
	}
	redisSetTimeout(c, tv);
	if (password[0] && !(reply = redis_call(c, "AUTH", err, errlen, "AUTH %s", password)))
		goto done;
	freeReplyObject(reply);
	if (!(reply = redis_call(c, "INFO replication", err, errlen, "INFO replication")))
		goto done;
	bool master = reply->type == REDIS_REPLY_STRING && info_is(reply->str, "role", "master");
	freeReplyObject(reply);
	if (!master) {
		sd_set_error(err, errlen, "%s is not a master any more (the Sentinels' view is stale); try again",
			addr);
		goto done;
	}
	/* LASTSAVE has a resolution of one second: start in a second after the last save */
	long long before = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
	if (before < 0)
		goto done;
	if (!(reply = redis_call(c, "TIME", err, errlen, "TIME")))
		goto done;
	long long server_now = reply->type == REDIS_REPLY_ARRAY && reply->elements >= 1 &&
					reply->element[0]->type == REDIS_REPLY_STRING
				? strtoll(reply->element[0]->str, NULL, 10) : 0;
	freeReplyObject(reply);
	if (server_now > 0 && server_now <= before)
		sd_sleep(1.1);
	runner_step(r, "BGSAVE on %s", addr);
	double start = sd_now();
	for (int attempt = 0;; attempt++) {
		reply = redisCommand(c, "BGSAVE");
		if (reply && reply->type != REDIS_REPLY_ERROR)
			break;
		bool busy = reply && reply->type == REDIS_REPLY_ERROR && strstr(reply->str, "in progress");
		if (!busy || attempt > 0 || sd_now() - start > BGSAVE_LIMIT) {
			redis_error(c, reply, "BGSAVE", err, errlen);
			if (reply)
				freeReplyObject(reply);
			goto done;
		}
		/* a save or an AOF rewrite is under way: wait for it, then ask for ours */
		freeReplyObject(reply);
		reply = NULL;
		for (;;) {
			redisReply *info = redis_call(c, "INFO persistence", err, errlen, "INFO persistence");
			if (!info)
				goto done;
			bool done_saving = info_number(info->str, "rdb_bgsave_in_progress") == 0 &&
					   info_number(info->str, "aof_rewrite_in_progress") <= 0;
			freeReplyObject(info);
			if (done_saving)
				break;
			if (sd_now() - start > BGSAVE_LIMIT) {
				sd_set_error(err, errlen, "a save on the master did not end in %.0f s", BGSAVE_LIMIT);
				goto done;
			}
			sd_sleep(0.25);
		}
		before = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
		sd_sleep(1.1);
	}
	freeReplyObject(reply);
	reply = NULL;
	long long lastsave = -1;
	for (;;) {
		redisReply *info = redis_call(c, "INFO persistence", err, errlen, "INFO persistence");
		if (!info)
			goto done;
		long long in_progress = info_number(info->str, "rdb_bgsave_in_progress");
		bool failed = info_is(info->str, "rdb_last_bgsave_status", "err");
		freeReplyObject(info);
		if (in_progress == 0) {
			lastsave = reply_integer(redis_call(c, "LASTSAVE", err, errlen, "LASTSAVE"));
			if (lastsave > before)
				break;
			if (failed) {
				sd_set_error(err, errlen, "BGSAVE failed on the master (rdb_last_bgsave_status:err; see its log)");
				goto done;
			}
		}
		if (sd_now() - start > BGSAVE_LIMIT) {
			sd_set_error(err, errlen, "BGSAVE did not finish in %.0f s", BGSAVE_LIMIT);
			goto done;
		}
		sd_sleep(0.2);
	}
	/* the file: copied when this host sees the master's folder, else streamed */
	char dir[PATH_MAX] = "", name[256] = "", path[PATH_MAX + 260] = "";
	int fd = -1;
	struct stat st;
	if (redis_config_get(c, "dir", dir, sizeof(dir)) == 0 &&
	    redis_config_get(c, "dbfilename", name, sizeof(name)) == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = redis_open_local(path, lastsave, &st);
	}
	redisFree(c);
	c = NULL;
	if (fd >= 0) {
		runner_step(r, "copying %s", path);
		o->total = st.st_size;
		char *buf = xmalloc(IO_BUFFER);
		ssize_t got;
		rc = 0;
		while ((got = read(fd, buf, IO_BUFFER)) != 0) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				sd_set_error(err, errlen, "reading %s: %s", path, strerror(errno));
				rc = -1;
				break;
			}
			if (out_write(o, buf, (size_t)got, err, errlen) < 0) {
				rc = -1;
				break;
			}
		}
		free(buf);
		close(fd);
		sd_set_error(how, howlen, "copied from %s", path);
	} else {
		runner_step(r, "streaming the RDB from %s", addr);
		char why[512] = "";
		rc = redis_stream(r, host, port, password, o, why, sizeof(why));
		if (rc < 0)
			sd_set_error(err, errlen, "the master's RDB %s%s is not readable on this host and streaming it failed: %s",
				path[0] ? path : "", path[0] ? "" : "(CONFIG GET refused)", why);
		else
			sd_set_error(how, howlen, "streamed over SYNC (%s not readable here)",
				 path[0] ? path : "the master's folder");
	}
	if (rc == 0 && (o->size < 9)) {
		sd_set_error(err, errlen, "the RDB is empty");
		rc = -1;
	}
done:
	if (c)
		redisFree(c);
	scrub(err, password);
	memset(password, 0, sizeof(password));
	return rc;
}

