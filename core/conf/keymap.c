/* keymap.c - keymaps: keys to registry entries per scope, from a built-in or a file, with a
 * user's keymap merged over the active one. Unknown scopes, key names and actions, and a key
 * bound twice in one scope of a file, are errors naming file:line:column. Action names are
 * resolved by the caller's resolver, so this layer does not reach up into the registry. */
#include "conf/keymap.h"
#include "conf/keys.h"
#include "conf/read.h"
#include "conf/paths.h"
#include "base/error.h"
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

/* ---- keymap ---- */
static const char *const scope_names[SD_SCOPE_COUNT] = {
	"generic", "nodes", "services", "tasks", "postgres", "redis", "backups", "logs",
};

const char *sd_scope_name(enum sd_scope scope)
{
	return (unsigned)scope < SD_SCOPE_COUNT ? scope_names[scope] : "?";
}

int sd_scope_from_name(const char *name)
{
	for (int i = 0; name && i < SD_SCOPE_COUNT; i++)
		if (strcmp(scope_names[i], name) == 0)
			return i;
	return -1;
}

void sd_keymap_free(struct sd_keymap *keymap)
{
	if (!keymap)
		return;
	free(keymap->source);
	free(keymap->user_file);
	free(keymap->bindings);
	memset(keymap, 0, sizeof(*keymap));
}

/* A user's keymap may unbind a key: "none", or no value at all (~, null, nothing). */
static bool is_unbind(const struct sd_yaml *value)
{
	return conf_is_null(value) || (value->kind == SD_YAML_SCALAR && strcmp(value->value, "none") == 0);
}

/* One scope's "key: action" pairs appended to KEYMAP. With ALLOW_UNBIND (a user's keymap)
 * a key may be mapped to none, recorded as a binding without an action. */
static int read_scope(const struct conf_reader *r, sd_action_resolver *find, enum sd_scope scope, const struct sd_yaml *map,
		      struct sd_keymap *keymap, bool allow_unbind)
{
	const char *scope_name = scope_names[scope];
	if (map->kind != SD_YAML_MAP)
		return CONF_FAIL(r, map, "%s: expected a mapping of key: action, got %s", scope_name,
			    conf_kind_name(map));
	keymap->bindings = xrealloc(keymap->bindings,
				    (keymap->n + map->n) * sizeof(*keymap->bindings));
	for (size_t i = 0; i < map->n; i++) {
		int line = map->key_lines[i], column = map->key_columns[i];
		const struct sd_yaml *value = map->items[i];
		int key = sd_key_from_name(map->keys[i]);
		if (key == SD_KEY_NONE)
			return CONF_FAIL_AT(r, line, column,
				       "unknown key name '%s' in %s (a character, or <Enter>, <C-x>, "
				       "<F5>, ...; <lt> for '<')",
				       map->keys[i], scope_name);
		const struct sd_action *action = NULL;
		if (allow_unbind && is_unbind(value)) {
			action = NULL;
		} else if (value->kind != SD_YAML_SCALAR || conf_is_null(value)) {
			return CONF_FAIL(r, value, "%s: expected an action name for '%s'%s, got %s",
				    scope_name, map->keys[i], allow_unbind ? " (or none)" : "",
				    conf_is_null(value) ? "nothing" : conf_kind_name(value));
		} else {
			action = find(value->value);
			if (!action)
				return CONF_FAIL(r, value, "unknown action '%s'", value->value);
		}
		for (size_t j = 0; j < keymap->n; j++) {
			const struct sd_binding *b = &keymap->bindings[j];
			if (b->scope == scope && b->key == key) {
				char name[32];
				return CONF_FAIL_AT(r, line, column,
					       "key %s is bound twice in %s (lines %d and %d)",
					       sd_key_name(key, name, sizeof(name)), scope_name,
					       b->line, line);
			}
		}
		keymap->bindings[keymap->n++] = (struct sd_binding){
			.scope = scope, .key = key, .action = action,
			.line = line, .column = column,
		};
	}
	return 0;
}

/* The scopes of ROOT into KEYMAP. */
static int read_keymap(const struct conf_reader *r, sd_action_resolver *find, const struct sd_yaml *root,
		       struct sd_keymap *keymap, bool allow_unbind)
{
	if (root->kind != SD_YAML_MAP)
		return CONF_FAIL(r, root, "expected a mapping of scopes (generic, nodes, ...), got %s",
			    conf_kind_name(root));
	for (size_t i = 0; i < root->n; i++) {
		int scope = sd_scope_from_name(root->keys[i]);
		if (scope < 0)
			return CONF_FAIL_AT(r, root->key_lines[i], root->key_columns[i],
				       "unknown scope '%s' (generic, nodes, services, tasks, "
				       "postgres, redis, backups)",
				       root->keys[i]);
		if (!conf_is_null(root->items[i]) &&
		    read_scope(r, find, scope, root->items[i], keymap, allow_unbind) < 0)
			return -1;
	}
	return 0;
}

int sd_keymap_load(const char *name_or_file, sd_action_resolver *find, struct sd_keymap *keymap,
		   struct sd_error *err)
{
	memset(keymap, 0, sizeof(*keymap));
	char *file = NULL;
	struct sd_yaml *root = conf_load_named("keymaps", "keymap", name_or_file, &file,
					  &keymap->source, err);
	if (!root) {
		free(file);
		sd_keymap_free(keymap);
		return -1;
	}
	struct conf_reader r = {.file = file, .err = err};
	int rc = read_keymap(&r, find, root, keymap, false);
	sd_yaml_free(root);
	free(file);
	if (rc < 0)
		sd_keymap_free(keymap);
	return rc;
}

char *sd_keymap_user_path(void)
{
	char *path = conf_xdg_path("XDG_CONFIG_HOME", ".config", "keymap.yaml");
	struct stat st;
	if (stat(path, &st) == 0)
		return path;
	free(path);
	return NULL;
}

/* The user's file is read and checked completely before KEYMAP changes: an error leaves
 * KEYMAP as it was. A replaced binding keeps its place (listings stay in the base's order);
 * a new key goes after the others. */
int sd_keymap_merge(struct sd_keymap *keymap, const char *file, sd_action_resolver *find,
		    struct sd_error *err)
{
	struct sd_yaml *root = sd_yaml_load_file(file, err);
	if (!root)
		return -1;
	struct conf_reader r = {.file = file, .err = err};
	struct sd_keymap user = {0};
	int rc = read_keymap(&r, find, root, &user, true);
	sd_yaml_free(root);
	if (rc < 0) {
		sd_keymap_free(&user);
		return -1;
	}
	for (size_t i = 0; i < user.n; i++) {
		const struct sd_binding *u = &user.bindings[i];
		size_t at = keymap->n;
		for (size_t j = 0; j < keymap->n && at == keymap->n; j++)
			if (keymap->bindings[j].scope == u->scope && keymap->bindings[j].key == u->key)
				at = j;
		if (!u->action) {
			if (at < keymap->n) {
				memmove(&keymap->bindings[at], &keymap->bindings[at + 1],
					(keymap->n - at - 1) * sizeof(*keymap->bindings));
				keymap->n--;
			}
			continue;
		}
		if (at == keymap->n) {
			keymap->bindings = xrealloc(keymap->bindings,
						    (keymap->n + 1) * sizeof(*keymap->bindings));
			keymap->n++;
		}
		keymap->bindings[at] = *u;
	}
	sd_keymap_free(&user);
	free(keymap->user_file);
	keymap->user_file = xstrdup(file);
	return 0;
}

const struct sd_action *sd_keymap_lookup(const struct sd_keymap *keymap, enum sd_scope scope,
					 int key)
{
	if (!keymap)
		return NULL;
	key = sd_key_normalize(key);
	for (int pass = 0; pass < 2; pass++) {
		enum sd_scope want = pass == 0 ? scope : SD_SCOPE_GENERIC;
		if (pass == 1 && scope == SD_SCOPE_GENERIC)
			break;
		for (size_t i = 0; i < keymap->n; i++)
			if (keymap->bindings[i].scope == want && keymap->bindings[i].key == key)
				return keymap->bindings[i].action;
	}
	return NULL;
}

