/* logring.c - the bounded ring of log lines (see logring.h). Each line is one allocation:
 * the header and its three strings together, so a push is one malloc and a drop one free. */
#include "base/logring.h"
#include "base/xalloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void sd_log_ring_init(struct sd_log_ring *ring, size_t max_lines, size_t max_bytes)
{
	memset(ring, 0, sizeof(*ring));
	pthread_mutex_init(&ring->lock, NULL);
	ring->cap = max_lines ? max_lines : 1;
	ring->lines = xcalloc(ring->cap, sizeof(*ring->lines));
	ring->max_bytes = max_bytes;
}

static void drop_oldest(struct sd_log_ring *ring)
{
	struct sd_log_line *old = ring->lines[ring->head];
	ring->bytes -= old->size;
	free(old);
	ring->lines[ring->head] = NULL;
	ring->head = (ring->head + 1) % ring->cap;
	ring->count--;
	ring->dropped++;
}

void sd_log_ring_clear(struct sd_log_ring *ring)
{
	pthread_mutex_lock(&ring->lock);
	while (ring->count)
		drop_oldest(ring);
	pthread_mutex_unlock(&ring->lock);
}

void sd_log_ring_free(struct sd_log_ring *ring)
{
	if (!ring->lines)
		return;
	sd_log_ring_clear(ring);
	free(ring->lines);
	ring->lines = NULL;
	pthread_mutex_destroy(&ring->lock);
}

void sd_log_ring_push(struct sd_log_ring *ring, enum sd_log_stream stream, const char *time,
		      const char *source, const char *text, size_t len)
{
	static const char cut[] = "…";
	bool too_long = len > SD_LOG_LINE_MAX;
	if (too_long)
		len = SD_LOG_LINE_MAX;
	if (!time)
		time = "";
	if (!source)
		source = "";
	size_t tl = strlen(time), sl = strlen(source);
	size_t size = sizeof(struct sd_log_line) + tl + 1 + sl + 1 + len + (too_long ? sizeof(cut) : 1);
	struct sd_log_line *line = xmalloc(size);
	char *p = (char *)(line + 1);
	memcpy(p, time, tl + 1);
	line->time = p;
	p += tl + 1;
	memcpy(p, source, sl + 1);
	line->source = p;
	p += sl + 1;
	memcpy(p, text, len);
	if (too_long)
		memcpy(p + len, cut, sizeof(cut));
	else
		p[len] = '\0';
	line->text = p;
	line->stream = stream;
	line->size = size;

	pthread_mutex_lock(&ring->lock);
	while (ring->count && (ring->count == ring->cap ||
			       (ring->max_bytes && ring->bytes + size > ring->max_bytes)))
		drop_oldest(ring);
	line->seq = ring->next_seq++;
	ring->lines[(ring->head + ring->count) % ring->cap] = line;
	ring->count++;
	ring->bytes += size;
	pthread_mutex_unlock(&ring->lock);
}

void sd_log_ring_lock(struct sd_log_ring *ring) { pthread_mutex_lock(&ring->lock); }
void sd_log_ring_unlock(struct sd_log_ring *ring) { pthread_mutex_unlock(&ring->lock); }
size_t sd_log_ring_count(const struct sd_log_ring *ring) { return ring->count; }

uint64_t sd_log_ring_first_seq(const struct sd_log_ring *ring)
{
	return ring->next_seq - ring->count;
}

const struct sd_log_line *sd_log_ring_at(const struct sd_log_ring *ring, size_t i)
{
	return i < ring->count ? ring->lines[(ring->head + i) % ring->cap] : NULL;
}

const struct sd_log_line *sd_log_ring_seq(const struct sd_log_ring *ring, uint64_t seq)
{
	uint64_t first = sd_log_ring_first_seq(ring);
	return seq >= first && seq < ring->next_seq ? sd_log_ring_at(ring, (size_t)(seq - first))
						    : NULL;
}
