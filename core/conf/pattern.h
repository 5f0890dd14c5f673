/* pattern.h - a bound on the extended regular expressions a drill's expect_screen gives,
 * checked before regcomp: glibc expands every bounded repetition into copies of what it
 * repeats, so nested counts such as (((a{1,100}){1,100}){1,100}) cost it gigabytes. */
#ifndef SD_PATTERN_H
#define SD_PATTERN_H

#include <stddef.h>

#define SD_PATTERN_MAX_LENGTH 1000   /* bytes */
#define SD_PATTERN_MAX_COUNT 255     /* one {m,n} count (POSIX's smallest RE_DUP_MAX) */
#define SD_PATTERN_MAX_SIZE 2000     /* items once every repetition is expanded */

/* 0 when PATTERN is within the bounds above; -1 with WHY and *AT, the byte offset of what
 * goes past them (the count, or the repetition that makes the expansion too large). Only
 * the size is judged here: a pattern that passes may still be refused by regcomp. */
int sd_pattern_check(const char *pattern, size_t *at, char *why, size_t whylen);

#endif
