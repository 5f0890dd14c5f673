/* config.h - the user's configuration, theme and keymap, read from YAML into plain structs.
 * Every error names file, line and column. Defaults are compiled in (themes/, keymaps/). */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include "conf/yamltree.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_pg_member_config {
	char *name;
	char *conninfo;           /* libpq conninfo; never holds the password on screen */
	char *password_file;      /* optional */
};

struct sd_config {
	char *path;                       /* the file read, or NULL for built-in defaults */
	char *cluster_name;               /* header; default: the engine's hostname */
	struct {
		char *host;               /* NULL: DOCKER_HOST or the default socket */
		int tls_verify;           /* -1: environment */
		char *cert_path;
		long timeout_ms;          /* default 5000 */
	} docker;
	double interval;                  /* seconds, default 2 */
	long scale_max;                   /* service.scale upper bound, default 100 */
	char *audit_log;                  /* default $XDG_STATE_HOME/swarmdeck/audit.log */
	char *theme, *keymap;             /* names or files; NULL: default */
	struct {
		bool configured;
		struct sd_pg_member_config *members;
		size_t nmembers;
		char *password_file;      /* default for members without one */
		long connect_timeout;     /* seconds, default 3 */
		long statement_timeout_ms;/* default 3000 */
		long lag_warning_bytes;   /* default 1048576 */
	} postgres;
	struct {
		bool configured;
		char **sentinels;         /* host:port */
		size_t nsentinels;
		char *master_name;        /* default mymaster */
		char *password_file;      /* requirepass of master/replicas */
		char *sentinel_password_file;
		long timeout_ms;          /* default 2000 */
	} redis;
	struct {
		bool configured;
		char *dir;
		long retention_days;      /* default 7 */
		long rpo_seconds;         /* default 300 */
		char **databases;
		size_t ndatabases;
		char **services;          /* services scaled to 0 during a restore */
		size_t nservices;
		char *stack;              /* stack exported by the swarm backup */
	} backup;
};

/* Load PATH (or the built-in defaults when PATH is NULL). 0, or -1 with ERR. */
int sd_config_load(const char *path, struct sd_config *config, struct sd_error *err);
void sd_config_free(struct sd_config *config);
/* Where the config comes from when --config is not given: SWARMDECK_CONFIG, else
 * $XDG_CONFIG_HOME/swarmdeck/config.yaml if it exists, else NULL (defaults). malloc'ed. */
char *sd_config_default_path(void);

/* ---- keymap ---- */
enum sd_scope {
	SD_SCOPE_GENERIC = 0, SD_SCOPE_NODES, SD_SCOPE_SERVICES, SD_SCOPE_TASKS,
	SD_SCOPE_POSTGRES, SD_SCOPE_REDIS, SD_SCOPE_BACKUPS, SD_SCOPE_COUNT
};
const char *sd_scope_name(enum sd_scope scope);
int sd_scope_from_name(const char *name);           /* -1 if unknown */

struct sd_action;
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
int sd_keymap_load(const char *name_or_file, struct sd_keymap *keymap, struct sd_error *err);
void sd_keymap_free(struct sd_keymap *keymap);
/* The user's keymap: $XDG_CONFIG_HOME/swarmdeck/keymap.yaml, else
 * ~/.config/swarmdeck/keymap.yaml, when it exists; else NULL. malloc'ed. */
char *sd_keymap_user_path(void);
/* Merge the user's keymap FILE over KEYMAP, scope by scope: a key FILE binds replaces that
 * key's binding in the same scope, other bindings stay, and a key mapped to none (or ~,
 * null, nothing) is unbound in that scope only (a pane still falls back to generic). Checked
 * as sd_keymap_load checks (a key bound twice within FILE is an error; a key of the base
 * is not). 0, or -1 with ERR and KEYMAP unchanged. */
int sd_keymap_merge(struct sd_keymap *keymap, const char *file, struct sd_error *err);
/* The pane's scope first, then generic; the registry entry, NULL when unbound. */
const struct sd_action *sd_keymap_lookup(const struct sd_keymap *keymap, enum sd_scope scope,
					 int key);

/* ---- theme ---- */
enum sd_color_role {
	SD_ROLE_DEFAULT = 0, SD_ROLE_HEADER, SD_ROLE_TITLE, SD_ROLE_TITLE_FOCUS, SD_ROLE_BORDER,
	SD_ROLE_COLUMN, SD_ROLE_CURSOR, SD_ROLE_OK, SD_ROLE_WARNING, SD_ROLE_CRITICAL,
	SD_ROLE_UNKNOWN, SD_ROLE_STALE, SD_ROLE_STATUS, SD_ROLE_DIALOG, SD_ROLE_DIALOG_BORDER,
	SD_ROLE_DRILL, SD_ROLE_WATCH, SD_ROLE_DIM, SD_ROLE_COUNT
};
const char *sd_color_role_name(enum sd_color_role role);

#define SD_COLOR_DEFAULT (-1)          /* terminal default */
#define SD_COLOR_RGB 0x1000000         /* SD_COLOR_RGB | 0xrrggbb */

struct sd_style {
	int fg, bg;                        /* 0..255, SD_COLOR_DEFAULT, or SD_COLOR_RGB | rgb */
	bool bold, underline, reverse, dim;
};

struct sd_theme {
	char *source;
	struct sd_style styles[SD_ROLE_COUNT];
};

/* NAME_OR_FILE as for keymaps (built in: default, high-contrast, monochrome, ...).
 * Unknown roles and colours are errors. */
int sd_theme_load(const char *name_or_file, struct sd_theme *theme, struct sd_error *err);
void sd_theme_free(struct sd_theme *theme);

/* The compiled-in files of themes/ and keymaps/: "keymaps/default.yaml" -> text or NULL. */
const char *sd_embedded_file(const char *path, size_t *len);
/* The names of built-ins under a folder ("themes"), NULL-terminated, static. */
const char *const *sd_embedded_names(const char *folder);

#endif
