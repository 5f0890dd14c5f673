/* theme.c - themes: colour roles to styles, every theme laid over the built-in default, from a
 * built-in or a file. Unknown roles, attributes and colours are errors naming file:line:column. */
#include "conf/theme.h"
#include "conf/read.h"
#include "conf/embedded.h"
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

/* ---- theme ---- */
static const char *const role_names[SD_ROLE_COUNT] = {
	"default", "header", "title", "title_focus", "border", "column", "cursor", "ok",
	"warning", "critical", "unknown", "stale", "status", "dialog", "dialog_border", "drill",
	"watch", "dim", "protected",
};

const char *sd_color_role_name(enum sd_color_role role)
{
	return (unsigned)role < SD_ROLE_COUNT ? role_names[role] : "?";
}

static const char *const color_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A colour: a name, 0..255 or "#rrggbb". -2 when it is none of those. */
static int parse_color(const char *s)
{
	if (strcasecmp(s, "default") == 0)
		return SD_COLOR_DEFAULT;
	for (int i = 0; i < 8; i++) {
		if (strcasecmp(s, color_names[i]) == 0)
			return i;
		if (strncasecmp(s, "bright-", 7) == 0 && strcasecmp(s + 7, color_names[i]) == 0)
			return i + 8;
	}
	if (strcasecmp(s, "gray") == 0 || strcasecmp(s, "grey") == 0)
		return 8;
	if (s[0] == '#') {
		if (strlen(s) != 7)
			return -2;
		int rgb = 0;
		for (int i = 1; i < 7; i++) {
			int d = hex_digit(s[i]);
			if (d < 0)
				return -2;
			rgb = rgb * 16 + d;
		}
		return SD_COLOR_RGB | rgb;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		char *end;
		long n = strtol(s, &end, 10);
		if (!*end && n >= 0 && n <= 255)
			return (int)n;
	}
	return -2;
}

static int read_color(const struct conf_reader *r, const struct sd_yaml *node, const char *where,
		      int *out)
{
	if (node->kind != SD_YAML_SCALAR)
		return CONF_FAIL(r, node, "%s: expected a colour, got %s", where, conf_kind_name(node));
	if (!node->value[0] && !node->quoted)
		return CONF_FAIL(r, node, "%s: missing colour (quote \"#rrggbb\": an unquoted # starts a "
			    "YAML comment)", where);
	int color = parse_color(node->value);
	if (color == -2)
		return CONF_FAIL(r, node, "unknown colour '%s' (default, black, red, green, yellow, blue, "
			    "magenta, cyan, white, bright-NAME, 0..255 or \"#rrggbb\")",
			    node->value);
	*out = color;
	return 0;
}

static int read_style(const struct conf_reader *r, const char *role, const struct sd_yaml *map,
		      struct sd_style *style)
{
	static const char *const keys[] = {"fg", "bg", "bold", "underline", "reverse", "dim",
					   NULL};
	if (map->kind != SD_YAML_MAP)
		return CONF_FAIL(r, map, "%s: expected a mapping such as {fg: red, bold: true}, got %s",
			    role, conf_kind_name(map));
	if (conf_check_keys(r, map, keys, role) < 0)
		return -1;
	*style = (struct sd_style){.fg = SD_COLOR_DEFAULT, .bg = SD_COLOR_DEFAULT};
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i];
		const struct sd_yaml *v = map->items[i];
		char where[64];
		snprintf(where, sizeof(where), "%s.%s", role, k);
		int rc;
		if (strcmp(k, "fg") == 0)
			rc = read_color(r, v, where, &style->fg);
		else if (strcmp(k, "bg") == 0)
			rc = read_color(r, v, where, &style->bg);
		else if (strcmp(k, "bold") == 0)
			rc = conf_get_bool(r, v, where, &style->bold);
		else if (strcmp(k, "underline") == 0)
			rc = conf_get_bool(r, v, where, &style->underline);
		else if (strcmp(k, "reverse") == 0)
			rc = conf_get_bool(r, v, where, &style->reverse);
		else
			rc = conf_get_bool(r, v, where, &style->dim);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The roles ROOT gives replace those of THEME; the others stay. */
static int read_theme(const struct conf_reader *r, const struct sd_yaml *root, struct sd_theme *theme)
{
	if (root->kind != SD_YAML_MAP)
		return CONF_FAIL(r, root, "expected a mapping of roles (header, ok, warning, ...), got %s",
			    conf_kind_name(root));
	for (size_t i = 0; i < root->n; i++) {
		int role = -1;
		for (int j = 0; j < SD_ROLE_COUNT && role < 0; j++)
			if (strcmp(role_names[j], root->keys[i]) == 0)
				role = j;
		if (role < 0)
			return CONF_FAIL_AT(r, root->key_lines[i], root->key_columns[i],
				       "unknown role '%s'", root->keys[i]);
		if (read_style(r, root->keys[i], root->items[i], &theme->styles[role]) < 0)
			return -1;
	}
	return 0;
}

static int theme_apply(const char *name, struct sd_theme *theme, char **source,
		       struct sd_error *err)
{
	char *file = NULL, *name_used = NULL;
	struct sd_yaml *root = conf_load_named("themes", "theme", name, &file, &name_used, err);
	int rc = -1;
	if (root) {
		struct conf_reader r = {.file = file, .err = err};
		rc = read_theme(&r, root, theme);
		sd_yaml_free(root);
	}
	free(file);
	if (rc == 0 && source)
		*source = name_used;
	else
		free(name_used);
	return rc;
}

void sd_theme_free(struct sd_theme *theme)
{
	if (!theme)
		return;
	free(theme->source);
	theme->source = NULL;
}

int sd_theme_load(const char *name_or_file, struct sd_theme *theme, struct sd_error *err)
{
	memset(theme, 0, sizeof(*theme));
	for (int i = 0; i < SD_ROLE_COUNT; i++)
		theme->styles[i] = (struct sd_style){.fg = SD_COLOR_DEFAULT, .bg = SD_COLOR_DEFAULT};
	/* every theme starts from the default one: roles it leaves out look as there */
	if (sd_embedded_file("themes/default.yaml", NULL) &&
	    theme_apply("default", theme, NULL, err) < 0)
		return -1;
	if (theme_apply(name_or_file, theme, &theme->source, err) < 0) {
		sd_theme_free(theme);
		return -1;
	}
	return 0;
}
