/* version.h - the versions of the libraries the core runs on, for `swarmdeck --version`.
 * Contract: what the running process loaded where the library can say (curl, libpq, jansson,
 * libyaml, libcrypto), else what it was built with (hiredis has no run-time call; it says
 * "(built with)"). Never fails; nothing is allocated. */
#ifndef SD_VERSION_H
#define SD_VERSION_H

#include <stddef.h>

struct sd_library_version {
	const char *name;    /* "libcurl" */
	char version[96];    /* "7.88.1" */
};

/* Fill OUT with up to MAX entries, in a fixed order; returns how many. */
size_t sd_library_versions(struct sd_library_version *out, size_t max);

#endif
