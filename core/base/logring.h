/* logring.h - a bounded ring of log lines shared by one writer thread (the log follower) and
 * readers (the log view, drills). It holds at most MAX_LINES lines and MAX_BYTES bytes of
 * them; a new line pushes the oldest out, so memory stays flat whatever the stream's length.
 *
 * Contract:
 * - Every line gets a sequence number, one more than the line before; a reader keeps its place
 *   by number, not by index, since the oldest lines leave as new ones arrive.
 * - Readers look at lines only between sd_log_ring_lock and sd_log_ring_unlock; the pointers
 *   they get are valid until the unlock. The writer's push takes the same lock briefly.
 * - A line longer than SD_LOG_LINE_MAX is cut there (marked with "…"). */
#ifndef SD_LOGRING_H
#define SD_LOGRING_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SD_LOG_LINE_MAX 16384

enum sd_log_stream { SD_LOG_NOTICE = 0, SD_LOG_STDOUT = 1, SD_LOG_STDERR = 2 };

struct sd_log_line {
	uint64_t seq;
	enum sd_log_stream stream;   /* NOTICE: a line of the console's own (stream ended, ...) */
	const char *time;            /* RFC 3339 as the engine wrote it, "" when none */
	const char *source;          /* "name.slot.task@node" as docker service logs prints it */
	const char *text;            /* the message, without its newline */
	size_t size;                 /* bytes this line costs the ring */
};

struct sd_log_ring {
	pthread_mutex_t lock;
	struct sd_log_line **lines;  /* circular, CAP slots */
	size_t cap, head, count;     /* HEAD: the oldest */
	size_t bytes, max_bytes;
	uint64_t next_seq;           /* the number the next line will get */
	uint64_t dropped;            /* lines pushed out so far */
};

/* MAX_LINES >= 1; MAX_BYTES 0: no byte cap. */
void sd_log_ring_init(struct sd_log_ring *ring, size_t max_lines, size_t max_bytes);
void sd_log_ring_free(struct sd_log_ring *ring);
/* Append one line (copied). TEXT need not be NUL-terminated (LEN bytes). */
void sd_log_ring_push(struct sd_log_ring *ring, enum sd_log_stream stream, const char *time,
		      const char *source, const char *text, size_t len);
void sd_log_ring_clear(struct sd_log_ring *ring);

void sd_log_ring_lock(struct sd_log_ring *ring);
void sd_log_ring_unlock(struct sd_log_ring *ring);
/* While locked: how many lines, the first one's number, and line I (0: the oldest). */
size_t sd_log_ring_count(const struct sd_log_ring *ring);
uint64_t sd_log_ring_first_seq(const struct sd_log_ring *ring);
const struct sd_log_line *sd_log_ring_at(const struct sd_log_ring *ring, size_t i);
/* While locked: the line numbered SEQ, NULL when it has left the ring or not come yet. */
const struct sd_log_line *sd_log_ring_seq(const struct sd_log_ring *ring, uint64_t seq);

#endif
