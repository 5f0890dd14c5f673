/* embedded.h - the compiled-in files of themes/ and keymaps/ (see embedded.c). */
#ifndef SD_EMBEDDED_H
#define SD_EMBEDDED_H

#include <stddef.h>

/* The compiled-in files of themes/ and keymaps/: "keymaps/default.yaml" -> text or NULL. */
const char *sd_embedded_file(const char *path, size_t *len);
/* The names of built-ins under a folder ("themes"), NULL-terminated, static. */
const char *const *sd_embedded_names(const char *folder);

#endif
