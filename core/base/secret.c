/* secret.c - password files (see secret.h). */
#include "base/secret.h"
#include "base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int sd_secret_read(const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	if (size == 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (!f) {
		buf[0] = '\0';
		sd_set_error(err, errlen, "cannot read password file %s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, size - 1, f);
	int failed = ferror(f);
	int more = !failed && fgetc(f) != EOF;
	fclose(f);
	if (failed || more) {
		explicit_bzero(buf, size);
		sd_set_error(err, errlen, "cannot read password file %s: %s", path,
			     failed ? "read error" : "too long");
		return -1;
	}
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}
