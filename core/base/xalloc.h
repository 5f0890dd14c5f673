/* xalloc.h - allocation that cannot fail: restores the terminal, says why, aborts. */
#ifndef SD_XALLOC_H
#define SD_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);                 /* NULL -> NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called before aborting on exhausted memory (the TUI restores the terminal here). */
void sd_set_fatal_hook(void (*hook)(void));

/* Format into ERR (of ERRLEN bytes; NULL or 0 ignored): backends report failures this way. */
void sd_set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The UTF-8 bytes of code point CP into OUT (4 bytes of room); returns how many. */
size_t sd_utf8_encode(unsigned cp, char *out);

/* Bounded string copy that always terminates; returns DST. */
char *sd_strlcpy(char *dst, const char *src, size_t size);

#endif
