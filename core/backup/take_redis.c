/* take_redis.c - Redis snapshots: BGSAVE on the master, then the RDB copied from its folder
 * when this host sees it, or streamed over the replication protocol. Every word with Redis
 * goes through the Redis backend (backends/redis/node.h, rdb.h); backups never hold the
 * password. */

#include "backup/internal.h"
#include "backends/redis/node.h"
#include "backends/redis/rdb.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The RDB's bytes from sd_redis_rdb_stream into the partial file. */
static int redis_sink_write(void *user, const void *data, size_t len, char *err, size_t errlen)
{
	return out_write(user, data, len, err, errlen);
}

static void redis_sink_progress(void *user, long long bytes, long long total)
{
	struct out *o = user;
	(void)bytes;                          /* out_write counts them */
	o->total = total;
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
	struct sd_redis_node *node = sd_redis_node_open_config(r->config, addr, err, errlen);
	if (!node)
		return -1;
	int rc = -1;
	char *info = NULL, role[32];
	if (sd_redis_node_info(node, "replication", &info, err, errlen) < 0)
		goto done;
	bool master = sd_redis_info_field(info, "role", role, sizeof(role)) && !strcmp(role, "master");
	free(info);
	if (!master) {
		sd_set_error(err, errlen, "%s is not a master any more (the Sentinels' view is stale); try again",
			     addr);
		goto done;
	}
	runner_step(r, "BGSAVE on %s", addr);
	long long lastsave;
	if (sd_redis_bgsave(node, BGSAVE_LIMIT, &lastsave, NULL, NULL, err, errlen) < 0)
		goto done;
	/* the file: copied when this host sees the master's folder, else streamed */
	char dir[PATH_MAX] = "", name[256] = "", path[PATH_MAX + 260] = "", refused[256];
	int fd = -1;
	struct stat st;
	if (sd_redis_node_config_get(node, "dir", dir, sizeof(dir), refused, sizeof(refused)) == 0 &&
	    sd_redis_node_config_get(node, "dbfilename", name, sizeof(name), refused, sizeof(refused)) == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fd = redis_open_local(path, lastsave, &st);
	}
	sd_redis_node_close(node);
	node = NULL;
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
		struct sd_redis_node *stream = sd_redis_node_open_config(r->config, addr, why, sizeof(why));
		struct sd_redis_rdb_sink sink = {.write = redis_sink_write,
						 .progress = redis_sink_progress, .user = o};
		rc = stream ? sd_redis_rdb_stream(stream, STREAM_IDLE_LIMIT, &sink, NULL, why, sizeof(why)) : -1;
		sd_redis_node_close(stream);
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
	sd_redis_node_close(node);
	return rc;
}
