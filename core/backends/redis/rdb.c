/* rdb.c - BGSAVE and the RDB over the replication protocol (see rdb.h), on the backend's
 * transport: commands formatted by hiredis and sent with MSG_NOSIGNAL; after SYNC the reply
 * is not RESP any more (a bulk without its CRLF, or a payload ended by a mark), so the bytes
 * are read from the connection's socket here, starting with what hiredis had buffered. */
#include "backends/redis/rdb.h"
#include "backends/redis/client.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM_BUFFER 65536
#define EOF_MARK_LEN 40

/* ---- BGSAVE ---- */

static int lastsave_of(struct sd_redis_node *node, long long *value, char *err, size_t errlen)
{
	const char *argv[] = {"LASTSAVE"};
	return sd_redis_node_integer(node, 1, argv, value, err, errlen);
}

/* INFO persistence: the save and rewrite flags. 0, or -1 with ERR. */
static int persistence(struct sd_redis_node *node, long long *saving, long long *rewriting,
		       bool *failed, char *err, size_t errlen)
{
	char *info = NULL;
	if (sd_redis_node_info(node, "persistence", &info, err, errlen) < 0)
		return -1;
	char value[32];
	*saving = sd_redis_info_number(info, "rdb_bgsave_in_progress", -1);
	*rewriting = sd_redis_info_number(info, "aof_rewrite_in_progress", -1);
	const char *status = sd_redis_info_field(info, "rdb_last_bgsave_status", value,
						 sizeof value);
	*failed = status && !strcmp(status, "err");
	free(info);
	return 0;
}

static void step(void (*on_step)(void *, const char *), void *user, const char *text)
{
	if (on_step)
		on_step(user, text);
}

int sd_redis_bgsave(struct sd_redis_node *node, double limit_s, long long *lastsave,
		    void (*on_step)(void *user, const char *step), void *user, char *err,
		    size_t errlen)
{
	long long before;
	if (lastsave_of(node, &before, err, errlen) < 0)
		return -1;
	/* LASTSAVE has a resolution of one second: start in a second after the last save */
	char now_text[64] = "";
	const char *time_argv[] = {"TIME"};
	if (sd_redis_node_command(node, 1, time_argv, now_text, sizeof now_text, err, errlen) < 0)
		return -1;
	long long server_now = strtoll(now_text, NULL, 10);
	if (server_now > 0 && server_now <= before)
		sd_sleep(1.1);
	double start = sd_now();
	const char *bgsave[] = {"BGSAVE"};
	for (int attempt = 0;; attempt++) {
		char why[512] = "";
		if (sd_redis_node_command(node, 1, bgsave, NULL, 0, why, sizeof why) == 0)
			break;
		bool busy = strstr(why, "in progress") != NULL;
		if (!busy || attempt > 0 || sd_now() - start > limit_s) {
			sd_set_error(err, errlen, "%s", why);
			return -1;
		}
		/* a save or an AOF rewrite is under way: wait for it, then ask for ours */
		step(on_step, user, "waiting for the save under way on the master");
		for (;;) {
			long long saving, rewriting;
			bool failed;
			if (persistence(node, &saving, &rewriting, &failed, err, errlen) < 0)
				return -1;
			if (saving == 0 && rewriting <= 0)
				break;
			if (sd_now() - start > limit_s) {
				sd_set_error(err, errlen, "a save on the master did not end in %.0f s",
					     limit_s);
				return -1;
			}
			sd_sleep(0.25);
		}
		if (lastsave_of(node, &before, err, errlen) < 0)
			return -1;
		sd_sleep(1.1);
	}
	step(on_step, user, "waiting for BGSAVE to end");
	for (;;) {
		long long saving, rewriting;
		bool failed;
		if (persistence(node, &saving, &rewriting, &failed, err, errlen) < 0)
			return -1;
		if (saving == 0) {
			if (lastsave_of(node, lastsave, err, errlen) < 0)
				return -1;
			if (*lastsave > before)
				return 0;
			if (failed) {
				sd_set_error(err, errlen, "BGSAVE failed on the master "
					     "(rdb_last_bgsave_status:err; see its log)");
				return -1;
			}
		}
		if (sd_now() - start > limit_s) {
			sd_set_error(err, errlen, "BGSAVE did not finish in %.0f s", limit_s);
			return -1;
		}
		sd_sleep(0.2);
	}
}

/* ---- the RDB over SYNC ---- */

struct stream {
	int fd;
	double idle_s;
	char *buf;
	size_t off, len;
	const struct sd_redis_rdb_sink *sink;
	long long size, total;
};

/* More bytes into the buffer (room at its end is made first). 0, or -1 with ERR. */
static int stream_fill(struct stream *s, char *err, size_t errlen)
{
	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len == STREAM_BUFFER) {
		sd_set_error(err, errlen, "SYNC: reply line too long");
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int n = poll(&p, 1, (int)(s->idle_s * 1000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			sd_set_error(err, errlen, "the master sent nothing for %.0f s", s->idle_s);
			return -1;
		}
		ssize_t got = recv(s->fd, s->buf + s->len, STREAM_BUFFER - s->len, 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (got <= 0) {
			sd_set_error(err, errlen, "the master closed the connection%s%s",
				     got < 0 ? ": " : "", got < 0 ? strerror(errno) : "");
			return -1;
		}
		s->len += (size_t)got;
		return 0;
	}
}

/* A reply line without CRLF; bare "\n" keep-alives before it are skipped. */
static int stream_line(struct stream *s, char *line, size_t size, char *err, size_t errlen)
{
	for (;;) {
		while (s->off < s->len && s->buf[s->off] == '\n')
			s->off++;
		char *nl = memchr(s->buf + s->off, '\n', s->len - s->off);
		if (nl) {
			size_t n = (size_t)(nl - (s->buf + s->off));
			if (n > 0 && nl[-1] == '\r')
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(line, s->buf + s->off, n);
			line[n] = '\0';
			s->off = (size_t)(nl - s->buf) + 1;
			return 0;
		}
		if (stream_fill(s, err, errlen) < 0)
			return -1;
	}
}

static int stream_write(struct stream *s, const char *data, size_t len, char *err,
			size_t errlen)
{
	if (!len)
		return 0;
	if (s->sink->write(s->sink->user, data, len, err, errlen) < 0)
		return -1;
	s->size += (long long)len;
	if (s->sink->progress)
		s->sink->progress(s->sink->user, s->size, s->total);
	return 0;
}

/* $EOF:<mark>: the payload ends with the same 40 bytes; the last 40 bytes seen are held back
 * until more come or they turn out to be the mark. */
static int stream_until_mark(struct stream *s, const char *mark, char *err, size_t errlen)
{
	for (;;) {
		size_t have = s->len - s->off;
		if (have >= EOF_MARK_LEN &&
		    !memcmp(s->buf + s->len - EOF_MARK_LEN, mark, EOF_MARK_LEN))
			return stream_write(s, s->buf + s->off, have - EOF_MARK_LEN, err, errlen);
		if (have > EOF_MARK_LEN) {
			if (stream_write(s, s->buf + s->off, have - EOF_MARK_LEN, err, errlen) < 0)
				return -1;
			s->off = s->len - EOF_MARK_LEN;
		}
		if (stream_fill(s, err, errlen) < 0)
			return -1;
	}
}

static int stream_counted(struct stream *s, long long want, char *err, size_t errlen)
{
	while (s->size < want) {
		if (s->off == s->len && stream_fill(s, err, errlen) < 0)
			return -1;
		size_t have = s->len - s->off;
		if ((long long)have > want - s->size)
			have = (size_t)(want - s->size);
		if (stream_write(s, s->buf + s->off, have, err, errlen) < 0)
			return -1;
		s->off += have;
	}
	return 0;
}

int sd_redis_rdb_stream(struct sd_redis_node *node, double idle_s,
			const struct sd_redis_rdb_sink *sink, long long *size, char *err,
			size_t errlen)
{
	struct sd_redis_conn *conn = node ? sd_redis_node_conn(node) : NULL;
	if (size)
		*size = 0;
	if (!conn || !conn->context || !sink || !sink->write) {
		sd_set_error(err, errlen, "SYNC: not connected");
		return -1;
	}
	char why[512];
	/* Redis >= 7: only the RDB, then the master closes; older ones answer an error */
	redisReply *r = sd_redis_call_words(conn, why, sizeof why, "REPLCONF", "rdb-only", "1",
					    (const char *)NULL);
	if (!r) {
		sd_set_error(err, errlen, "REPLCONF: %s", why);
		return -1;
	}
	freeReplyObject(r);
	if (sd_redis_send_words(conn, why, sizeof why, "SYNC", (const char *)NULL) < 0) {
		sd_set_error(err, errlen, "SYNC: %s", why);
		return -1;
	}
	struct stream s = {.fd = conn->context->fd, .idle_s = idle_s > 0 ? idle_s : 60,
			   .sink = sink, .total = -1};
	s.buf = xmalloc(STREAM_BUFFER);
	size_t pending;
	const char *early = sd_redis_pending(conn, &pending);
	if (pending > STREAM_BUFFER)
		pending = STREAM_BUFFER;
	if (pending)
		memcpy(s.buf, early, pending);
	s.len = pending;
	int rc = -1;
	char line[256];
	do {                                  /* +FULLRESYNC (PSYNC servers) comes first */
		if (stream_line(&s, line, sizeof line, err, errlen) < 0)
			goto done;
	} while (line[0] == '+');
	if (line[0] == '-') {
		sd_set_error(err, errlen, "SYNC refused: %s", line + 1);
		goto done;
	}
	if (line[0] != '$') {
		sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
		goto done;
	}
	if (!strncmp(line, "$EOF:", 5)) {
		if (strlen(line + 5) != EOF_MARK_LEN) {
			sd_set_error(err, errlen, "SYNC: malformed EOF mark");
			goto done;
		}
		char mark[EOF_MARK_LEN];
		memcpy(mark, line + 5, EOF_MARK_LEN);
		if (sink->progress)
			sink->progress(sink->user, 0, -1);
		rc = stream_until_mark(&s, mark, err, errlen);
	} else {
		char *end;
		errno = 0;
		long long want = strtoll(line + 1, &end, 10);
		if (errno || *end || want <= 0) {
			sd_set_error(err, errlen, "SYNC: unexpected reply '%.40s'", line);
			goto done;
		}
		s.total = want;
		if (sink->progress)
			sink->progress(sink->user, 0, want);
		rc = stream_counted(&s, want, err, errlen);
	}
done:
	free(s.buf);
	if (size)
		*size = s.size;
	sd_redis_conn_close(conn);            /* a replication stream from now on */
	return rc;
}
