/* error.c - the two error formatters of the core (see error.h). */
#include "base/error.h"

#include <stdarg.h>
#include <stdio.h>

void sd_set_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void sd_error_set(struct sd_error *err, const char *file, int line, int column, const char *fmt,
		  ...)
{
	if (!err)
		return;
	int n = 0;
	if (file && line > 0)
		n = snprintf(err->text, sizeof(err->text), "%s:%d:%d: ", file, line, column);
	else if (file)
		n = snprintf(err->text, sizeof(err->text), "%s: ", file);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(err->text))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->text + n, sizeof(err->text) - (size_t)n, fmt, ap);
	va_end(ap);
}
