/* fuzz.h - what the libFuzzer harnesses of tests/fuzz share: the entry points libFuzzer
 * calls, an input as a file for the readers that take a path, an input cut into sections,
 * and the failure that libFuzzer reports as a crash with the input that caused it. */
#ifndef SD_FUZZ_H
#define SD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Sections of a harness input are separated by this line (in the dictionaries too). */
#define FUZZ_SEPARATOR "\n--8<--\n"

/* Cut DATA at each FUZZ_SEPARATOR into at most MAX sections (the last one keeps any further
 * separators); returns how many. */
size_t fuzz_sections(const uint8_t *data, size_t size, const char **parts, size_t *lens,
		     size_t max);

/* DATA as a NUL-terminated string (malloc'ed; stops at the first NUL byte of DATA). */
char *fuzz_string(const uint8_t *data, size_t size);

/* DATA written to this process's scratch file ending in SUFFIX (".yaml"); its path. */
const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix);

/* A scratch folder of this process, removed at exit. */
const char *fuzz_dir(void);

/* An invariant that does not hold: print it and abort, so libFuzzer keeps the input. */
#define FUZZ_ASSERT(cond, ...)                                                           \
	do {                                                                             \
		if (!(cond))                                                             \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);               \
	} while (0)
void fuzz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), noreturn));

#endif
