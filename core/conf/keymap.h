/* keymap.h - keymaps: per scope, keys to registry entries (see keymap.c). */
#ifndef SD_KEYMAP_H
#define SD_KEYMAP_H

#include "base/error.h"

#include <stddef.h>

enum sd_scope {
	SD_SCOPE_GENERIC = 0, SD_SCOPE_NODES, SD_SCOPE_SERVICES, SD_SCOPE_TASKS,
	SD_SCOPE_POSTGRES, SD_SCOPE_REDIS, SD_SCOPE_BACKUPS,
	SD_SCOPE_LOGS,           /* the logs and inspect views' own keys */
	SD_SCOPE_COUNT
};
const char *sd_scope_name(enum sd_scope scope);
int sd_scope_from_name(const char *name);           /* -1 if unknown */

struct sd_action;
/* Action names are resolved by the caller (the registry's sd_action_find): NULL when unknown. */
typedef const struct sd_action *sd_action_resolver(const char *name);
struct sd_binding {
	enum sd_scope scope;
	int key;                 /* keys.h code */
	const struct sd_action *action; /* the registry's entry, resolved when loaded */
	int line, column;
};

struct sd_keymap {
	char *source;            /* file or built-in name */
	char *user_file;         /* the user's keymap merged over it (sd_keymap_merge), or NULL */
	struct sd_binding *bindings;
	size_t n;
};

/* NAME_OR_FILE: NULL or "default" (built in), another built-in name ("vim"), or a path.
 * Unknown scopes, unknown key names, unknown action names and a key bound twice in one
 * scope are errors. */
int sd_keymap_load(const char *name_or_file, sd_action_resolver *find, struct sd_keymap *keymap,
		   struct sd_error *err);
void sd_keymap_free(struct sd_keymap *keymap);
/* The user's keymap: $XDG_CONFIG_HOME/swarmdeck/keymap.yaml, else
 * ~/.config/swarmdeck/keymap.yaml, when it exists; else NULL. malloc'ed. */
char *sd_keymap_user_path(void);
/* Merge the user's keymap FILE over KEYMAP, scope by scope: a key FILE binds replaces that
 * key's binding in the same scope, other bindings stay, and a key mapped to none (or ~,
 * null, nothing) is unbound in that scope only (a pane still falls back to generic). Checked
 * as sd_keymap_load checks (a key bound twice within FILE is an error; a key of the base
 * is not). 0, or -1 with ERR and KEYMAP unchanged. */
int sd_keymap_merge(struct sd_keymap *keymap, const char *file, sd_action_resolver *find,
		    struct sd_error *err);
/* The pane's scope first, then generic; the registry entry, NULL when unbound. */
const struct sd_action *sd_keymap_lookup(const struct sd_keymap *keymap, enum sd_scope scope,
					 int key);

#endif
