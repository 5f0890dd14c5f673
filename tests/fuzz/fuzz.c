/* fuzz.c - the helpers of fuzz.h: sections, scratch files in a folder of the process's own
 * (under TMPDIR, removed at exit) and invariant failures that abort. */
#include "fuzz.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

size_t fuzz_sections(const uint8_t *data, size_t size, const char **parts, size_t *lens,
		     size_t max)
{
	const char *p = (const char *)data, *end = p + size;
	size_t n = 0, seplen = strlen(FUZZ_SEPARATOR);
	while (n + 1 < max) {
		const char *sep = memmem(p, (size_t)(end - p), FUZZ_SEPARATOR, seplen);
		if (!sep)
			break;
		parts[n] = p;
		lens[n++] = (size_t)(sep - p);
		p = sep + seplen;
	}
	parts[n] = p;
	lens[n++] = (size_t)(end - p);
	return n;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char dir[64];

static void remove_dir(void)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (dir[0] && system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", dir);
}

const char *fuzz_dir(void)
{
	if (!dir[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/sd-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(remove_dir);
	}
	return dir;
}

const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/input%s", fuzz_dir(), suffix);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(path);
		abort();
	}
	for (size_t done = 0; done < size;) {
		ssize_t n = write(fd, data + done, size - done);
		if (n <= 0) {
			perror(path);
			abort();
		}
		done += (size_t)n;
	}
	close(fd);
	return path;
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	fprintf(stderr, "%s:%d: invariant broken: %s: ", file, line, cond);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
