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

#endif
