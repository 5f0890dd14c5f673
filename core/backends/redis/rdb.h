/* rdb.h - a Redis snapshot taken from a data node (for backups): BGSAVE and wait for it to
 * end, and the RDB copied over the replication protocol (REPLCONF rdb-only, SYNC) the way
 * `redis-cli --rdb` does, for when the master's file is not readable on this host. In plain
 * C terms: the bytes go to a writer callback, progress to a progress callback, failures to
 * an error buffer; no hiredis type crosses this header.
 *
 * Contract: requests are formatted by hiredis and written with MSG_NOSIGNAL; every wait is
 * bounded (the save by LIMIT_S, the transfer by IDLE_S without a byte); a failure leaves
 * nothing allocated and says why; errors never contain the password. */
#ifndef SD_REDIS_RDB_H
#define SD_REDIS_RDB_H

#include "backends/redis/node.h"

#include <stddef.h>

/* BGSAVE on NODE and wait until the save has ended and LASTSAVE has moved past the time it
 * had before (LASTSAVE counts seconds: when the last save is from this second, BGSAVE waits
 * for the next one). A save or AOF rewrite already running is waited for, then ours is
 * asked. 0 with *LASTSAVE the new LASTSAVE; -1 with ERR ("BGSAVE: <the server's message>",
 * "BGSAVE failed on the master (rdb_last_bgsave_status:err; see its log)", "... did not end
 * in N s"). ON_STEP, when set, hears what is being waited for. */
int sd_redis_bgsave(struct sd_redis_node *node, double limit_s, long long *lastsave,
		    void (*on_step)(void *user, const char *step), void *user, char *err,
		    size_t errlen);

struct sd_redis_rdb_sink {
	/* the next LEN bytes of the RDB; 0, or -1 with ERR to stop the transfer */
	int (*write)(void *user, const void *data, size_t len, char *err, size_t errlen);
	/* BYTES received so far of TOTAL (-1 while unknown: a diskless transfer); may be NULL.
	 * Called once with 0 before the first byte, then after each write. */
	void (*progress)(void *user, long long bytes, long long total);
	void *user;
};

/* Stream the master's RDB from NODE into SINK: REPLCONF rdb-only 1 (Redis 7: only the RDB,
 * older servers refuse it and send the RDB anyway), then SYNC; both the disk-backed form
 * ($LENGTH then the bytes) and the diskless one ($EOF:<40-byte mark>, the bytes, the mark)
 * are read, the newline keep-alives before them skipped. The connection is a replication
 * stream afterwards: NODE can only be closed. 0 with *SIZE the bytes written; -1 with ERR. */
int sd_redis_rdb_stream(struct sd_redis_node *node, double idle_s,
			const struct sd_redis_rdb_sink *sink, long long *size, char *err,
			size_t errlen);

#endif
