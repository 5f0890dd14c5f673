/* error.h - how the core reports failures: a message into the caller's buffer, or a
 * "FILE:LINE:COLUMN: message" for everything read from a file. Failures are values; only
 * main exits. */
#ifndef SD_ERROR_H
#define SD_ERROR_H

#include <stddef.h>

/* Format into ERR (of ERRLEN bytes; NULL or 0 ignored): backends report failures this way. */
void sd_set_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An error read from a file: "FILE:LINE:COLUMN: message" ("FILE: message" when LINE is 0). */
struct sd_error { char text[512]; };
void sd_error_set(struct sd_error *err, const char *file, int line, int column, const char *fmt,
		  ...) __attribute__((format(printf, 5, 6)));

#endif
