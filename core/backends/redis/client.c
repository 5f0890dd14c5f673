/* client.c - the Redis backend's transport (see client.h): blocking hiredis connections with
 * timeouts and AUTH, requests formatted by hiredis and written with MSG_NOSIGNAL, replies read
 * by hiredis, failures described in an operator's words. */
#include "backends/redis/client.h"
#include "base/error.h"
#include "base/secret.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#define MAX_WORDS 16

/* Why hiredis gave up on C, in words an operator understands. */
static void describe_context(const redisContext *c, long timeout_ms, char *buf, size_t size)
{
	if (c->err == REDIS_ERR_IO && !strcmp(c->errstr, strerror(EAGAIN)))
		sd_set_error(buf, size, "no answer within %ld ms", timeout_ms);
	else if (c->err == REDIS_ERR_EOF)
		sd_set_error(buf, size, "connection closed by the server");
	else
		sd_set_error(buf, size, "%s", c->errstr[0] ? c->errstr : "connection failed");
}

void sd_redis_conn_close(struct sd_redis_conn *conn)
{
	if (conn->context)
		redisFree(conn->context);
	conn->context = NULL;
}

/* Fail: say why, close. */
static void conn_fail(struct sd_redis_conn *conn, char *err, size_t errlen)
{
	if (conn->context)
		describe_context(conn->context, conn->timeout_ms, err, errlen);
	sd_redis_conn_close(conn);
}

static int send_all(struct sd_redis_conn *conn, const char *data, size_t len, char *err,
		    size_t errlen)
{
	int fd = conn->context->fd;
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				sd_set_error(err, errlen, "could not send within %ld ms",
					     conn->timeout_ms);
			else if (errno == EPIPE || errno == ECONNRESET)
				sd_set_error(err, errlen, "connection closed by the server");
			else
				sd_set_error(err, errlen, "%s", strerror(errno));
			sd_redis_conn_close(conn);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int sd_redis_send(struct sd_redis_conn *conn, int argc, const char *const *argv,
		  const size_t *argvlen, char *err, size_t errlen)
{
	if (!conn->context) {
		sd_set_error(err, errlen, "not connected");
		return -1;
	}
	size_t lens[MAX_WORDS];
	if (!argvlen) {
		if (argc > MAX_WORDS) {
			sd_set_error(err, errlen, "too many arguments");
			return -1;
		}
		for (int i = 0; i < argc; i++)
			lens[i] = strlen(argv[i]);
		argvlen = lens;
	}
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, (const char **)argv, argvlen);
	if (len < 0 || !cmd) {
		sd_set_error(err, errlen, "out of memory");
		return -1;
	}
	int rc = send_all(conn, cmd, (size_t)len, err, errlen);
	explicit_bzero(cmd, (size_t)len);            /* it may hold a password */
	redisFreeCommand(cmd);
	return rc;
}

static int collect_words(const char *word, va_list ap, const char **argv)
{
	int argc = 0;
	for (const char *w = word; w && argc < MAX_WORDS; w = va_arg(ap, const char *))
		argv[argc++] = w;
	return argc;
}

int sd_redis_send_words(struct sd_redis_conn *conn, char *err, size_t errlen, const char *word,
			...)
{
	const char *argv[MAX_WORDS];
	va_list ap;
	va_start(ap, word);
	int argc = collect_words(word, ap, argv);
	va_end(ap);
	return sd_redis_send(conn, argc, argv, NULL, err, errlen);
}

redisReply *sd_redis_read(struct sd_redis_conn *conn, char *err, size_t errlen)
{
	if (!conn->context) {
		sd_set_error(err, errlen, "not connected");
		return NULL;
	}
	void *reply = NULL;
	if (redisGetReply(conn->context, &reply) != REDIS_OK || !reply) {
		if (reply)
			freeReplyObject(reply);
		conn_fail(conn, err, errlen);
		return NULL;
	}
	return reply;
}

redisReply *sd_redis_call_words(struct sd_redis_conn *conn, char *err, size_t errlen,
				const char *word, ...)
{
	const char *argv[MAX_WORDS];
	va_list ap;
	va_start(ap, word);
	int argc = collect_words(word, ap, argv);
	va_end(ap);
	if (sd_redis_send(conn, argc, argv, NULL, err, errlen) < 0)
		return NULL;
	return sd_redis_read(conn, err, errlen);
}

const char *sd_redis_pending(const struct sd_redis_conn *conn, size_t *len)
{
	const redisReader *r = conn->context ? conn->context->reader : NULL;
	if (!r || !r->buf || r->len <= r->pos) {
		*len = 0;
		return NULL;
	}
	*len = r->len - r->pos;
	return r->buf + r->pos;
}

static int authenticate(struct sd_redis_conn *conn, const char *password_file, char *err,
			size_t errlen)
{
	char secret[SD_REDIS_SECRET_MAX];
	if (sd_secret_read(password_file, secret, sizeof secret, err, errlen) < 0)
		return -1;
	const char *argv[] = {"AUTH", secret};
	const size_t argvlen[] = {4, strlen(secret)};
	char why[160];
	int rc = sd_redis_send(conn, 2, argv, argvlen, why, sizeof why);
	explicit_bzero(secret, sizeof secret);
	redisReply *r = rc < 0 ? NULL : sd_redis_read(conn, why, sizeof why);
	if (!r) {
		sd_set_error(err, errlen, "AUTH: %s", why);
		return -1;
	}
	rc = 0;
	if (r->type == REDIS_REPLY_ERROR) {
		sd_set_error(err, errlen, "AUTH: %s", r->str);
		rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int sd_redis_conn_open(struct sd_redis_conn *conn, const char *host, int port, long timeout_ms,
		       const char *password_file, const struct sd_redis_dial *dial, char *err,
		       size_t errlen)
{
	conn->context = NULL;
	conn->timeout_ms = timeout_ms > 0 ? timeout_ms : SD_REDIS_DEFAULT_TIMEOUT_MS;
	struct timeval tv = {.tv_sec = conn->timeout_ms / 1000,
			     .tv_usec = (conn->timeout_ms % 1000) * 1000};
	bool hooked = dial && dial->connect;
	redisContext *c;
	if (hooked) {
		int fd = dial->connect(dial->user, host, port);
		if (fd < 0) {
			sd_set_error(err, errlen, "connect: refused");
			return -1;
		}
		c = redisConnectFd(fd);
	} else {
		c = redisConnectWithTimeout(host, port, tv);
	}
	if (!c) {
		sd_set_error(err, errlen, "connect: out of memory");
		return -1;
	}
	conn->context = c;
	if (c->err) {
		char why[160];
		describe_context(c, conn->timeout_ms, why, sizeof why);
		sd_set_error(err, errlen, "connect: %s", why);
		sd_redis_conn_close(conn);
		return -1;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		sd_set_error(err, errlen, "cannot set a timeout: %s", c->errstr);
		sd_redis_conn_close(conn);
		return -1;
	}
	if (!hooked)                      /* TCP options; a hooked socket may be AF_UNIX */
		redisEnableKeepAlive(c);
	c->err = 0;                       /* a refused keep-alive option is no failed connection */
	c->errstr[0] = '\0';
	if (password_file && *password_file && authenticate(conn, password_file, err, errlen) < 0) {
		sd_redis_conn_close(conn);
		return -1;
	}
	return 0;
}
