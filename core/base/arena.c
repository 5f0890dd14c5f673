/* arena.c - a bump allocator: many small allocations, freed at once with the arena. A snapshot
 * part owns one, so dropping the part frees everything it decoded. */
#include "base/arena.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_FIRST 4096           /* a small part (one service asked again) stays small */
#define ARENA_CHUNK 65536          /* chunks double from the first up to this */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct sd_arena {
	struct chunk *head;
	size_t reserved, next;         /* the size of the next chunk */
};

struct sd_arena *sd_arena_new(void)
{
	struct sd_arena *a = xcalloc(1, sizeof(struct sd_arena));
	a->next = ARENA_FIRST;
	return a;
}

void sd_arena_free(struct sd_arena *arena)
{
	if (!arena)
		return;
	struct chunk *c = arena->head;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(arena);
}

void *sd_arena_alloc_raw(struct sd_arena *arena, size_t size)
{
	const size_t align = sizeof(max_align_t);
	size = (size + align - 1) / align * align;
	struct chunk *c = arena->head;
	if (!c || c->size - c->used < size) {
		size_t want = size > ARENA_CHUNK / 2 ? size : arena->next;
		while (want < size)
			want *= 2;
		if (size <= ARENA_CHUNK / 2 && arena->next < ARENA_CHUNK)
			arena->next *= 2;
		c = xmalloc(sizeof(*c) + want);
		c->used = 0;
		c->size = want;
		/* big blocks go behind the current chunk so its free room stays usable */
		if (size > ARENA_CHUNK / 2 && arena->head) {
			c->next = arena->head->next;
			arena->head->next = c;
		} else {
			c->next = arena->head;
			arena->head = c;
		}
		arena->reserved += want;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

void *sd_arena_alloc(struct sd_arena *arena, size_t size)
{
	void *p = sd_arena_alloc_raw(arena, size);
	memset(p, 0, size);
	return p;
}

char *sd_arena_strndup(struct sd_arena *arena, const char *s, size_t n)
{
	if (!s)
		s = "";
	size_t len = strnlen(s, n);
	char *p = sd_arena_alloc(arena, len + 1);
	memcpy(p, s, len);
	return p;
}

char *sd_arena_strdup(struct sd_arena *arena, const char *s)
{
	return sd_arena_strndup(arena, s, s ? strlen(s) : 0);
}

char *sd_arena_printf(struct sd_arena *arena, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return sd_arena_strdup(arena, "");
	char *p = sd_arena_alloc(arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t sd_arena_size(const struct sd_arena *arena)
{
	return arena ? arena->reserved : 0;
}
