/* yamltree.h - YAML files read with libyaml into a small tree that remembers line and column,
 * so every reader (config, theme, keymap, drill) can name file:line:column in its errors. */
#ifndef SD_YAMLTREE_H
#define SD_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

enum sd_yaml_kind { SD_YAML_SCALAR, SD_YAML_MAP, SD_YAML_SEQ };

struct sd_yaml {
	enum sd_yaml_kind kind;
	int line, column;          /* 1-based, where the node starts */
	char *value;               /* scalars */
	bool quoted;               /* scalar was quoted ('x' or "x") */
	size_t n;                  /* children of a map (pairs) or a sequence */
	char **keys;               /* map: n keys */
	int *key_lines, *key_columns;
	struct sd_yaml **items;    /* map values or sequence items */
};


/* Parse a file or a buffer (NAME used in errors). NULL with ERR on syntax errors. */
struct sd_yaml *sd_yaml_load_file(const char *path, struct sd_error *err);
struct sd_yaml *sd_yaml_load_string(const char *name, const char *text, size_t len,
				    struct sd_error *err);
void sd_yaml_free(struct sd_yaml *node);

struct sd_yaml *sd_yaml_get(const struct sd_yaml *map, const char *key); /* NULL if absent */

#endif
