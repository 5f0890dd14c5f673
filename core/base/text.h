/* text.h - the core's one home for UTF-8 and bounded strings. Engine strings, YAML scalars,
 * key names and typed input all go through these, so a bad byte is treated alike everywhere:
 * decoding refuses it, sanitizing replaces it with U+FFFD. */
#ifndef SD_TEXT_H
#define SD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The UTF-8 bytes of code point CP into OUT (4 bytes of room); returns how many. */
size_t sd_utf8_encode(unsigned cp, char *out);

/* One code point at S (at most LEN bytes), its length in *USED; -1 when malformed (overlong
 * forms, surrogates and values past U+10FFFF included). */
int32_t sd_utf8_decode(const unsigned char *s, size_t len, size_t *used);

/* Code points in the NUL-terminated S (continuation bytes not counted). */
size_t sd_utf8_length(const char *s);
/* Code points that start in the first LEN bytes of S (stops at a NUL). */
size_t sd_utf8_count(const char *s, size_t len);

/* Where the character that ends at byte LEN of S starts (LEN when LEN is 0). */
size_t sd_utf8_prev(const char *s, size_t len);

/* True when the LEN bytes at S are well-formed UTF-8. */
bool sd_utf8_valid(const char *s, size_t len);

/* The LEN bytes at S with each malformed byte replaced by U+FFFD, NUL-terminated into OUT,
 * which has room for 3 * LEN + 1 bytes; returns the length written. */
size_t sd_utf8_sanitize(const char *s, size_t len, char *out);

/* Bounded string copy that always terminates; returns DST. */
char *sd_strlcpy(char *dst, const char *src, size_t size);

#endif
