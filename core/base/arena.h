/* arena.h - bump allocator whose memory is freed at once (see arena.c). */
#ifndef SD_ARENA_H
#define SD_ARENA_H

#include <stddef.h>

struct sd_arena;
struct sd_arena *sd_arena_new(void);
void sd_arena_free(struct sd_arena *arena);
void *sd_arena_alloc(struct sd_arena *arena, size_t size);          /* zeroed, aligned */
void *sd_arena_alloc_raw(struct sd_arena *arena, size_t size);      /* not zeroed: copied over at once */
char *sd_arena_strdup(struct sd_arena *arena, const char *s);        /* NULL -> "" */
char *sd_arena_strndup(struct sd_arena *arena, const char *s, size_t n);
char *sd_arena_printf(struct sd_arena *arena, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
size_t sd_arena_size(const struct sd_arena *arena);                  /* bytes reserved */

#endif
