/* read.c - what every YAML reader of conf/ shares (see read.h): typed values with errors
 * at file:line:column, the home and XDG folders, and built-in files or a user's file by name. */
#include "conf/read.h"
#include "conf/embedded.h"
#include "conf/paths.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *conf_kind_name(const struct sd_yaml *node)
{
	switch (node->kind) {
	case SD_YAML_MAP:
		return "a mapping";
	case SD_YAML_SEQ:
		return "a list";
	default:
		return node->quoted ? "a string" : "a plain value";
	}
}

bool conf_is_null(const struct sd_yaml *node)
{
	return !node || (node->kind == SD_YAML_SCALAR && !node->quoted &&
			 (!node->value[0] || strcmp(node->value, "~") == 0 ||
			  strcasecmp(node->value, "null") == 0));
}

/* The keys of MAP must all be in ALLOWED (NULL-terminated). WHERE names the section. */
int conf_check_keys(const struct conf_reader *r, const struct sd_yaml *map,
		      const char *const *allowed, const char *where)
{
	for (size_t i = 0; i < map->n; i++) {
		bool known = false;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, map->keys[i]) == 0;
		if (known)
			continue;
		if (where)
			return CONF_FAIL_AT(r, map->key_lines[i], map->key_columns[i],
				       "unknown key '%s' in %s", map->keys[i], where);
		return CONF_FAIL_AT(r, map->key_lines[i], map->key_columns[i], "unknown key '%s'",
			       map->keys[i]);
	}
	return 0;
}

/* A section: a mapping, or nothing at all (an empty section). */
int conf_want_map(const struct conf_reader *r, const struct sd_yaml *node, const char *what)
{
	if (node->kind == SD_YAML_MAP || conf_is_null(node))
		return 0;
	return CONF_FAIL(r, node, "%s: expected a mapping, got %s", what, conf_kind_name(node));
}

/* A string; null leaves *OUT NULL. */
int conf_fail(const struct conf_reader *r, int line, int column, const char *fmt, ...)
{
	char message[sizeof(r->err->text)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	sd_error_set(r->err, r->file, line, column, "%s%s%s%s", r->cluster ? "cluster " : "",
		     r->cluster ? r->cluster : "", r->cluster ? ": " : "", message);
	return -1;
}

int conf_get_string(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		      char **out)
{
	if (node->kind != SD_YAML_SCALAR)
		return CONF_FAIL(r, node, "%s: expected a string, got %s", what, conf_kind_name(node));
	free(*out);
	*out = conf_is_null(node) ? NULL : xstrdup(node->value);
	return 0;
}

int conf_get_required_string(const struct conf_reader *r, const struct sd_yaml *node,
			       const char *what, char **out)
{
	if (conf_get_string(r, node, what, out) < 0)
		return -1;
	if (!*out || !**out)
		return CONF_FAIL(r, node, "%s: must not be empty", what);
	return 0;
}

/* A path: a string where a leading "~/" means the home directory. */
int conf_get_path(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    char **out)
{
	if (conf_get_string(r, node, what, out) < 0)
		return -1;
	if (*out && strncmp(*out, "~/", 2) == 0) {
		char *home = conf_home_directory();
		if (home) {
			char *full = xasprintf("%s/%s", home, *out + 2);
			free(*out);
			*out = full;
			free(home);
		}
	}
	return 0;
}

int conf_get_number(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		      double *out)
{
	if (node->kind != SD_YAML_SCALAR || node->quoted || conf_is_null(node))
		return CONF_FAIL(r, node, "%s: expected a number, got %s", what,
			    conf_is_null(node) ? "nothing" : conf_kind_name(node));
	char *end;
	errno = 0;
	double v = strtod(node->value, &end);
	if (end == node->value || *end || errno || !isfinite(v))
		return CONF_FAIL(r, node, "%s: expected a number, got '%s'", what, node->value);
	*out = v;
	return 0;
}

int conf_get_long(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    long min, long *out)
{
	if (node->kind != SD_YAML_SCALAR || node->quoted || conf_is_null(node))
		return CONF_FAIL(r, node, "%s: expected a number, got %s", what,
			    conf_is_null(node) ? "nothing" : conf_kind_name(node));
	char *end;
	errno = 0;
	long v = strtol(node->value, &end, 10);
	if (end == node->value || *end || errno)
		return CONF_FAIL(r, node, "%s: expected a whole number, got '%s'", what, node->value);
	if (v < min && min == 0)
		return CONF_FAIL(r, node, "%s: must not be negative, got %ld", what, v);
	if (v < min)
		return CONF_FAIL(r, node, "%s: must be at least %ld, got %ld", what, min, v);
	*out = v;
	return 0;
}

int conf_parse_bool(const char *text)
{
	static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(text, yes[i]) == 0)
			return 1;
		if (strcasecmp(text, no[i]) == 0)
			return 0;
	}
	return -1;
}

int conf_get_bool(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    bool *out)
{
	int v = node->kind == SD_YAML_SCALAR && !node->quoted ? conf_parse_bool(node->value) : -1;
	if (v < 0)
		return CONF_FAIL(r, node, "%s: expected true or false, got %s", what,
			    node->kind == SD_YAML_SCALAR ? node->value : conf_kind_name(node));
	*out = v;
	return 0;
}

/* A list of non-empty strings (a single string is not a list). */
int conf_get_string_list(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
			   char ***out, size_t *count)
{
	if (conf_is_null(node))
		return 0;
	if (node->kind != SD_YAML_SEQ)
		return CONF_FAIL(r, node, "%s: expected a list, got %s", what, conf_kind_name(node));
	*out = xcalloc(node->n, sizeof(**out));
	*count = 0;
	for (size_t i = 0; i < node->n; i++) {
		const struct sd_yaml *item = node->items[i];
		if (item->kind != SD_YAML_SCALAR || conf_is_null(item))
			return CONF_FAIL(r, item, "%s: expected a string in the list, got %s", what,
				    conf_is_null(item) ? "nothing" : conf_kind_name(item));
		(*out)[(*count)++] = xstrdup(item->value);
	}
	return 0;
}

/* ---- built-in or file ---- */
bool conf_names_a_file(const char *name)
{
	size_t len = strlen(name);
	return strchr(name, '/') || (len > 5 && strcmp(name + len - 5, ".yaml") == 0) ||
	       (len > 4 && strcmp(name + len - 4, ".yml") == 0);
}

/* FOLDER ("keymaps") and what the user named: the tree, in *FILE the name errors use
 * ("keymaps/vim.yaml" for a built-in) and in *SOURCE what the struct records (the name of a
 * built-in, the path of a file). */
struct sd_yaml *conf_load_named(const char *folder, const char *what, const char *name,
				  char **file, char **source, struct sd_error *err)
{
	if (!name || !*name)
		name = "default";
	if (conf_names_a_file(name)) {
		*source = xstrdup(name);
		*file = xstrdup(name);
		return sd_yaml_load_file(name, err);
	}
	bool builtin = false;
	char *found = sd_named_file(folder, name, sd_data_dir(), &builtin);
	if (found) {
		*source = xstrdup(found);
		*file = found;
		return sd_yaml_load_file(found, err);
	}
	char *path = xasprintf("%s/%s.yaml", folder, name);
	size_t len = 0;
	const char *text = builtin ? sd_embedded_file(path, &len) : NULL;
	if (!text) {
		char list[256] = "";
		for (const char *const *n = sd_embedded_names(folder); *n; n++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *n);
		}
		sd_error_set(err, NULL, 0, 0, "unknown %s '%s' (built in: %s; a file needs a '/' "
			     "or .yaml)", what, name, list[0] ? list : "none");
		free(path);
		*source = NULL;
		return NULL;
	}
	*source = xstrdup(name);
	*file = path;
	return sd_yaml_load_string(path, text, len, err);
}
