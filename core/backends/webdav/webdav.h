/* webdav.h - the WebDAV client (the off-site store of the backups): PUT, MOVE, DELETE,
 * PROPFIND and GET against one base folder, over http or https with TLS verified.
 *
 * Contract. The password is read from its file once at open (base/secret) and given to
 * libcurl only; it is never in a URL, a command line or an error. Every call has a connect
 * limit and a stall limit (timeout_ms: no byte moving for that long aborts), and may be made
 * from any thread (each call has its own handle). Failures are values: ERR says what the
 * server answered ("HTTP 507 Insufficient Storage") or why nothing was answered
 * ("Couldn't connect to server"). Names are plain file names inside the base folder. */
#ifndef SD_WEBDAV_H
#define SD_WEBDAV_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sd_webdav;

struct sd_webdav_config {
	const char *url;             /* the base folder: http(s)://host[:port]/path/ */
	const char *user;            /* NULL: no authentication */
	const char *password_file;
	long timeout_ms;
};

/* NULL with ERR when the password file cannot be read or the URL is not http(s). */
struct sd_webdav *sd_webdav_open(const struct sd_webdav_config *config, char *err, size_t errlen);
void sd_webdav_close(struct sd_webdav *dav);
const char *sd_webdav_url(const struct sd_webdav *dav);

/* Called as bytes go by; a non-zero return aborts the transfer. */
typedef int sd_webdav_progress_fn(void *ctx, long long done, long long total);
/* Receives a GET's bytes; a non-zero return aborts it. */
typedef int sd_webdav_sink_fn(void *ctx, const void *data, size_t len);

/* PUT the file at PATH as NAME (replacing what is there). */
int sd_webdav_put_file(struct sd_webdav *dav, const char *path, const char *name,
		       sd_webdav_progress_fn *progress, void *ctx, char *err, size_t errlen);
/* MOVE FROM to TO (Overwrite: T). */
int sd_webdav_move(struct sd_webdav *dav, const char *from, const char *to, char *err,
		   size_t errlen);
/* DELETE NAME; one that is not there counts as deleted. */
int sd_webdav_delete(struct sd_webdav *dav, const char *name, char *err, size_t errlen);
/* GET NAME into SINK; FIRST/LAST >= 0 ask for that byte range only (LAST < 0: to the end). */
int sd_webdav_get(struct sd_webdav *dav, const char *name, long long first, long long last,
		  sd_webdav_sink_fn *sink, void *sink_ctx, sd_webdav_progress_fn *progress,
		  void *ctx, char *err, size_t errlen);

struct sd_webdav_entry {
	char name[256];
	long long size;              /* -1 unknown */
	time_t modified;             /* 0 unknown */
	bool folder;
};

/* PROPFIND of the base folder (Depth: 1): its files, malloc'ed (free *OUT). */
int sd_webdav_list(struct sd_webdav *dav, struct sd_webdav_entry **out, size_t *count,
		   char *err, size_t errlen);
/* PROPFIND of NAME (Depth: 0): 0 with *SIZE, 1 when NAME is not there, -1 with ERR. */
int sd_webdav_stat(struct sd_webdav *dav, const char *name, long long *size, char *err,
		   size_t errlen);

/* Parse a PROPFIND multistatus body (LEN bytes) into entries (tests use it directly). The
 * base folder itself (the entry whose href is BASE_PATH, or a folder) is left out. */
int sd_webdav_parse_multistatus(const char *body, size_t len, const char *base_path,
				struct sd_webdav_entry **out, size_t *count);

#endif
