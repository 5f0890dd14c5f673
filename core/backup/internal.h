/* internal.h - what the files of core/backup/ share, private to them. Backups of the stack: PostgreSQL dumps (pg_dump -Fc of the current primary),
 * Redis snapshots (BGSAVE on the master, the RDB copied out) and Swarm state (service specs,
 * nodes, networks, configs and secret names), each with a manifest beside it; verification,
 * retention and the restore of a PostgreSQL dump with the services scaled down.
 *
 * Files. A backup is written as ".NAME.partial" (mode 600), its SHA-256 computed while the
 * bytes go by, fsync'd, then renamed to NAME (never over an existing file) and its manifest
 * NAME.manifest.json written the same way. A backup that fails leaves nothing under a final
 * name. Names: KIND_YYYYMMDD_HHMMSS.EXT in UTC (postgres .dump, redis .rdb, swarm .json);
 * with several databases configured the dump also names its database
 * (postgres_YYYYMMDD_HHMMSS_DB.dump).
 *
 * PostgreSQL. pg_dump -Fc writes to a pipe; the dump goes from the pipe to the file with its
 * checksum in one pass. Written to a pipe, a custom-format dump has no data offsets in its
 * table of contents: pg_restore reads it front to back, which is what a full restore does
 * anyway. The connection goes to the member the snapshot calls primary, and libpq is told
 * target_session_attrs=read-write, so a member that has become a standby is refused by the
 * connection itself. The conninfo is the PostgreSQL backend's (sd_pg_member_conninfo); the
 * password stays in the member's password file, named by passfile: never on a command line.
 *
 * Redis. BGSAVE on the master, then INFO persistence until rdb_bgsave_in_progress:0 and
 * LASTSAVE has moved. The RDB is copied from the master's `dir`/`dbfilename` when this host
 * can read it (the same machine or a shared volume: the file must start with REDIS and be
 * no older than LASTSAVE); otherwise, or when CONFIG is disabled, it is streamed over the
 * replication protocol like `redis-cli --rdb` (REPLCONF rdb-only, SYNC): that snapshot is
 * the master's data at the moment of the transfer.
 *
 * Swarm. One JSON document: the stack's services (label com.docker.stack.namespace), the
 * nodes' role, availability and labels, swarm-scoped networks, configs, and of the secrets
 * only ID, Name and Labels.
 *
 * Progress (bytes, rate, percentage when the total is known, the restore's step) lives in
 * the runner under a mutex and goes into every part sd_backup_list makes. When an operation
 * fails, its reason stays in the part's `running` text ("failed ...") until the next one.
 *
 * Files: runner.c (the runner and its progress, paths, output files, shared helpers),
 * manifest.c, take.c (sd_backup_take), take_pg.c, take_redis.c, take_swarm.c, verify.c,
 * retention.c (list, expired, delete), restore.c, remote.c (the off-site copies). */
#ifndef SD_BACKUP_INTERNAL_H
#define SD_BACKUP_INTERNAL_H

#include "backup/backup.h"
#include "backup/manifest.h"

#include <openssl/evp.h>

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define IO_BUFFER (1 << 20)           /* reads, writes and the pipe from pg_dump */
#define MANIFEST_SUFFIX ".manifest.json"
#define PARTIAL_SUFFIX ".partial"
#define DUMP_IDLE_LIMIT 120.0          /* seconds without a byte from pg_dump: kill it */
#define LOCK_WAIT_MS 30000             /* pg_dump --lock-wait-timeout */
#define BGSAVE_LIMIT 1800.0            /* seconds a BGSAVE may take */
#define STREAM_IDLE_LIMIT 60.0         /* seconds without a byte from a SYNC transfer */
#define TASKS_STOP_LIMIT 90.0          /* seconds for the tasks of scaled-down services */

struct sd_backup_runner {
	const struct sd_config *config;
	struct sd_pg_backend *pg;
	struct sd_docker *docker;

	pthread_mutex_t lock;          /* everything below */
	bool busy;
	char what[192];                /* "postgres backup of app on pg-1" */
	char step[192];                /* restore: "step 3/5 pg_restore into app" */
	long long bytes, total;        /* total < 0: unknown */
	bool show_rate;
	double started;                /* monotonic seconds */
	char failure[768];             /* the last operation that failed, "" when it did not */

	/* backup.remote (remote.c): the WebDAV client, or why there is none; the remote
	 * manifests read so far (under lock: the poller and the workers share them) */
	struct sd_webdav *dav;
	char dav_error[256];
	struct sd_backup_manifest *manifests;
	size_t nmanifests;
};

/* small helpers (runner.c) */

/* Append to BUF (already a string) without overflowing. */
void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool ends_with(const char *s, const char *suffix);
void format_mb(long long bytes, char *buf, size_t size);
/* Replace every occurrence of SECRET in TEXT by "***" (in place; never longer). */
void scrub(char *text, const char *secret);
int fsync_dir(const char *dir);

/* names (manifest.c) */

const char *base_name(const char *path);          /* after the last slash */
/* The file extension of a backup KIND, NULL for an unknown kind. */
const char *kind_extension(const char *kind);

/* progress (runner.c) */

int runner_begin(struct sd_backup_runner *r, const char *what, long long total,
		 bool show_rate, char *err, size_t errlen);
void runner_what(struct sd_backup_runner *r, const char *what, long long total, bool rate);
void runner_step(struct sd_backup_runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Start counting bytes again (a new pass over a file), keeping the texts. */
void runner_restart(struct sd_backup_runner *r, long long total);
void runner_bytes(struct sd_backup_runner *r, long long bytes, long long total);
/* End the operation; FAILURE (may be NULL) is why it failed. */
void runner_end(struct sd_backup_runner *r, const char *failure);
/* The `running` text and progress of a part. */
void runner_describe(struct sd_backup_runner *r, char *buf, size_t size, double *progress);

/* paths (runner.c) */

/* FILE (a name in the backup dir, or a path whose folder is the backup dir) as a full path.
 * Anything else is refused: verify, delete and restore only touch the backup folder. */
int resolve_backup(const struct sd_backup_runner *r, const char *file, char *path,
		   size_t size, char *err, size_t errlen);

/* output: a partial file with its SHA-256 computed on the way (runner.c) */

struct out {
	struct sd_backup_runner *runner;
	char dir[PATH_MAX];
	char name[256];              /* final name */
	char final[PATH_MAX + 256], partial[PATH_MAX + 256];
	int fd;
	EVP_MD_CTX *md;
	long long size, total;       /* total: expected size, -1 unknown */
	time_t time;
};

void sha256_hex(EVP_MD_CTX *md, char hex[65]);
/* Choose the name (KIND_YYYYMMDD_HHMMSS[_SUFFIX].EXT, UTC) and open its partial file. */
int out_open(struct out *o, struct sd_backup_runner *r, const char *kind,
	     const char *suffix, char *err, size_t errlen);
int out_write(struct out *o, const void *data, size_t len, char *err, size_t errlen);
void out_abort(struct out *o);
/* fsync, rename to the final name (never over an existing file), write the manifest. */
int out_commit(struct out *o, const char *kind, const char *source, const char *database,
	       char *err, size_t errlen);

/* PostgreSQL (take_pg.c) */

struct pg_target {
	char *conninfo;              /* for -d, from the PostgreSQL backend: no password in it */
};

/* The primary of the snapshot: the reachable member with role primary (the newest timeline
 * if several say so). NULL with ERR when there is none. */
const struct sd_pg_member *find_primary(const struct sd_snapshot *snap, char *err,
					size_t errlen);
/* MEMBER's conninfo from the PostgreSQL backend (sd_pg_member_conninfo) for DATABASE,
 * refusing standbys at connect time, with keepalives; SETTINGS (may be NULL) are added to
 * its options ("-c lock_timeout=..."). The password stays in the member's password file. */
int pg_target_make(struct sd_backup_runner *r, const char *member, const char *database,
		   const char *purpose, const char *settings, struct pg_target *t,
		   char *err, size_t errlen);
void pg_target_free(struct pg_target *t);
int take_postgres_one(struct sd_backup_runner *r, const struct sd_pg_member *primary,
		      const char *database, bool several, struct out *o, char *err,
		      size_t errlen);

/* Redis (take_redis.c), Swarm (take_swarm.c) */

int take_redis(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
	       char *how, size_t howlen, char *err, size_t errlen);
int take_swarm(struct sd_backup_runner *r, const struct sd_snapshot *snap, struct out *o,
	       char *source, size_t sourcelen, char *err, size_t errlen);

/* the local folder as a part, without the remote (retention.c) */
int local_list(struct sd_backup_runner *r, struct sd_backups **out, char *err, size_t errlen);

/* the remote (remote.c) */
struct sd_webdav;
void remote_open(struct sd_backup_runner *r);
void remote_close(struct sd_backup_runner *r);
/* Give every item of PART its copies (local, and remote when configured), add the backups
 * only the remote holds, and say the remote's state (its error when it did not answer). */
void remote_merge(struct sd_backup_runner *r, struct sd_backups *part);
/* Upload every local backup without a verified remote copy (the runner is begun). */
int remote_upload_missing(struct sd_backup_runner *r, size_t *uploaded, char *result, size_t len);

/* verification (verify.c) */

/* Verify PATH and record the outcome in its manifest. */
int verify_path(struct sd_backup_runner *r, const char *path, char *result, size_t resultlen);

#endif
