/* jsonscan.h - a small pull scanner for JSON that reads values in place and skips the rest.
 *
 * No tree is built: the caller walks objects and arrays, compares keys, takes the values it
 * wants (strings unescaped into an arena, integers, booleans) and skips everything else. The
 * scanner works on a buffer that may end early: reaching its end mid-value sets JS_EOF, so a
 * streaming reader can keep the unfinished tail and try again with more bytes. Errors are
 * sticky; once set every call returns a neutral value at once.
 *
 * Iteration:
 *     const char *key; size_t klen;
 *     for (int n = 0; js_object_next(s, &n, &key, &klen);)
 *             if (JS_KEY(key, klen, "ID")) id = js_string_dup(s, arena); else js_skip(s);
 *     for (int n = 0; js_array_next(s, &n);) ...
 * A null where an object or array is expected iterates as empty; a value of the wrong type is
 * skipped and iterates as empty too (the scanner is lenient on types, strict on syntax). */
#ifndef SD_JSONSCAN_H
#define SD_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct sd_arena;

enum { JS_OK = 0, JS_EOF = 1, JS_BAD = 2 };

struct js {
	const char *p, *end, *start;
	int err;              /* JS_OK, JS_EOF (ran out of bytes), JS_BAD (syntax) */
	const char *err_at;   /* where the error was seen */
};

void js_init(struct js *s, const char *buf, size_t len);

/* The next significant byte without consuming it; -1 at the end (and JS_EOF). */
int js_peek(struct js *s);

/* Iterate an object: the first call (N == 0) consumes '{'; each true return leaves the scanner
 * on the member's value, with its key in KEY/KLEN (raw bytes between the quotes). */
bool js_object_next(struct js *s, int *n, const char **key, size_t *klen);
/* Iterate an array: each true return leaves the scanner on the next element. */
bool js_array_next(struct js *s, int *n);

#define JS_KEY(key, klen, lit) ((klen) == sizeof(lit) - 1 && memcmp((key), (lit), (klen)) == 0)

/* Skip one value of any type, fast. */
void js_skip(struct js *s);

/* A string value as raw bytes between its quotes (escapes not undone; ESCAPED says whether
 * there are any). False, with the value skipped, when it is not a string (null included). */
bool js_string_raw(struct js *s, const char **raw, size_t *len, bool *escaped);
/* A string value unescaped into ARENA; "" for null or another type. NULL only on error. */
char *js_string_dup(struct js *s, struct sd_arena *arena);
/* Undo JSON escapes of RAW into OUT (room for LEN bytes is enough); returns the length. */
size_t js_unescape(const char *raw, size_t len, char *out);

long long js_int(struct js *s);       /* integer part of a number; 0 for another type */
bool js_bool(struct js *s);           /* false for another type */
bool js_is_null(struct js *s);        /* consumes a null and says so; else consumes nothing */

/* "truncated JSON at byte 1234" / "bad JSON at byte 56 near '...'" into BUF. */
const char *js_error_text(const struct js *s, char *buf, size_t size);

#endif
