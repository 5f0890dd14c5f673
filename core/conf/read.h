/* read.h - the shared face of conf/'s YAML readers: a reader names the file in every error;
 * each getter checks one value's type and range and fails with "FILE:LINE:COLUMN: WHAT: ...".
 * Getters return 0, or -1 with the error set. */
#ifndef SD_CONF_READ_H
#define SD_CONF_READ_H

#include "conf/yamltree.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

struct conf_reader {
	const char *file;
	struct sd_error *err;
	const char *cluster;   /* while a cluster's settings are read: every error names it */
};

/* -1, with "FILE:LINE:COLUMN: [cluster NAME: ]MESSAGE" set. */
int conf_fail(const struct conf_reader *r, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define CONF_FAIL_AT(r, line, column, ...) conf_fail((r), (line), (column), __VA_ARGS__)
#define CONF_FAIL(r, node, ...) CONF_FAIL_AT(r, (node)->line, (node)->column, __VA_ARGS__)

const char *conf_kind_name(const struct sd_yaml *node);  /* "a mapping", "a list", ... */
bool conf_is_null(const struct sd_yaml *node);           /* absent, empty, ~ or null */
/* The keys of MAP must all be in ALLOWED (NULL-terminated). WHERE names the section. */
int conf_check_keys(const struct conf_reader *r, const struct sd_yaml *map,
		    const char *const *allowed, const char *where);
/* A section: a mapping, or nothing at all (an empty section). */
int conf_want_map(const struct conf_reader *r, const struct sd_yaml *node, const char *what);
/* A string; null leaves *OUT NULL. */
int conf_get_string(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    char **out);
int conf_get_required_string(const struct conf_reader *r, const struct sd_yaml *node,
			     const char *what, char **out);
/* A path: a string where a leading "~/" means the home directory. */
int conf_get_path(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		  char **out);
int conf_get_number(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    double *out);
int conf_get_long(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		  long min, long *out);
int conf_parse_bool(const char *text);                   /* 1, 0, or -1 */
int conf_get_bool(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		  bool *out);
/* A list of non-empty strings (a single string is not a list). */
int conf_get_string_list(const struct conf_reader *r, const struct sd_yaml *node,
			 const char *what, char ***out, size_t *count);


/* True when NAME names a file (has a '/' or ends in .yaml/.yml) rather than a built-in. */
bool conf_names_a_file(const char *name);
/* FOLDER ("keymaps") and what the user named, looked up as sd_named_file (paths.h) says: the tree, in
 * *FILE the name errors use ("keymaps/vim.yaml" for a built-in, else the path) and in *SOURCE
 * what the struct records (a built-in's name, else the path). */
struct sd_yaml *conf_load_named(const char *folder, const char *what, const char *name,
				char **file, char **source, struct sd_error *err);

#endif
