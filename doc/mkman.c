/* mkman.c - writes the man page swarmdeck(1) from doc/swarmdeck.1.in at build time, so that
 * its key and action tables are the registry and the default keymap of the same build (as
 * `swarmdeck --keys` is) and cannot drift from them.
 *
 *   mkman TEMPLATE USAGE DATE > swarmdeck.1
 *
 * TEMPLATE is roff with @VERSION@, @DATE@ and @DATADIR@ in its text and these marker lines:
 *   .\" @USAGE@                 the usage text (USAGE: what `swarmdeck --help` prints)
 *   .\" @UNDOCUMENTED@          the options USAGE names that the template does not describe
 *   .\" @KEYS@                  per keymap scope: each key of the default keymap, its action
 *   .\" @ACTIONS@               per registry group: each action, its keys, what it asks, its help
 * Exit 1 (with a message) when a file cannot be read or the default keymap does not load. */
#include "actions.h"
#include "conf/keymap.h"
#include "conf/keys.h"
#include "conf/paths.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "mkman: cannot read %s\n", path);
		exit(1);
	}
	size_t cap = 1 << 16, len = 0;
	char *text = xmalloc(cap);
	size_t n;
	while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			text = xrealloc(text, cap *= 2);
	}
	fclose(f);
	text[len] = '\0';
	return text;
}

/* TEXT as roff text: backslashes and minus signs escaped, no control character first. */
static void roff(const char *text, FILE *out)
{
	fputs("\\&", out);
	for (const char *p = text; *p; p++) {
		if (*p == '\\')
			fputs("\\e", out);
		else if (*p == '-')
			fputs("\\-", out);
		else if (*p == '\t' || *p == '\n')
			fputc(' ', out);
		else
			fputc(*p, out);
	}
}

static void print_usage(const char *usage, FILE *out)
{
	fputs(".nf\n", out);
	for (const char *line = usage; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = xstrndup(line, len);
		roff(copy, out);
		fputc('\n', out);
		free(copy);
		line += len + (end ? 1 : 0);
	}
	fputs(".fi\n", out);
}

/* LEAD then NAME in TEXT, not followed by more of a name (--check is not --check-config) */
static bool mentioned(const char *text, const char *lead, const char *name)
{
	size_t ll = strlen(lead), nl = strlen(name);
	for (const char *p = strstr(text, lead); p; p = strstr(p + 1, lead)) {
		if (strncmp(p + ll, name, nl) != 0)
			continue;
		const char *after = p + ll + nl;
		bool more = (*after >= 'a' && *after <= 'z') || (*after >= '0' && *after <= '9') ||
			    strncmp(after, "\\-", 2) == 0;
		if (!more)
			return true;
	}
	return false;
}

/* every "--name" of USAGE that TEMPLATE never writes as "\-\-name" */
static void print_undocumented(const char *usage, const char *template, FILE *out)
{
	char seen[4096] = " ";
	bool any = false;
	for (const char *p = strstr(usage, "--"); p; p = strstr(p + 2, "--")) {
		size_t len = 2;
		while (p[len] == '-' || (p[len] >= 'a' && p[len] <= 'z') || (p[len] >= '0' && p[len] <= '9'))
			len++;
		if (len == 2)
			continue;
		char name[64], roffed[160], key[70];
		snprintf(name, sizeof(name), "%.*s", (int)len - 2, p + 2);
		snprintf(key, sizeof(key), " %s ", name);
		if (strstr(seen, key))
			continue;
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s ", name);
		char *r = roffed;
		r += sprintf(r, "\\-\\-");
		for (const char *c = name; *c && r < roffed + sizeof(roffed) - 3; c++)
			r += *c == '-' ? sprintf(r, "\\-") : sprintf(r, "%c", *c);
		/* described: an item (.B or .BI) for it, or the whole name in bold somewhere */
		if (mentioned(template, ".B ", roffed) || mentioned(template, ".BI ", roffed) ||
		    mentioned(template, "\\fB", roffed))
			continue;
		if (!any)
			fputs(".TP\nAlso (see SYNOPSIS):\n", out);
		fprintf(out, "%s\\fB%s\\fR", any ? ", " : "", roffed);
		any = true;
	}
	if (any)
		fputs("\n", out);
}

static const char *confirm_text(const struct sd_action *a)
{
	if (!a->mutates)
		return "\\-";
	switch (a->confirm) {
	case SD_CONFIRM_TYPE_NAME: return "name";
	case SD_CONFIRM_YES: return "yes";
	case SD_CONFIRM_NONE: break;
	}
	return "none";
}

/* the keys of ACTION in SCOPE (any scope when SCOPE < 0), space-separated */
static void keys_of(const struct sd_keymap *km, const struct sd_action *action, int scope,
		    char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < km->n; i++) {
		const struct sd_binding *b = &km->bindings[i];
		if (b->action != action || (scope >= 0 && (int)b->scope != scope))
			continue;
		char name[32], item[64];
		sd_key_name(b->key, name, sizeof(name));
		if (scope < 0 && b->scope != SD_SCOPE_GENERIC)
			snprintf(item, sizeof(item), "%s:%s", sd_scope_name(b->scope), name);
		else
			snprintf(item, sizeof(item), "%s", name);
		size_t used = strlen(buf);
		snprintf(buf + used, size - used, "%s%s", used ? " " : "", item);
	}
}

static void print_keys(const struct sd_keymap *km, FILE *out)
{
	for (int scope = 0; scope < SD_SCOPE_COUNT; scope++) {
		bool any = false;
		for (size_t i = 0; i < km->n; i++) {
			const struct sd_binding *b = &km->bindings[i];
			if ((int)b->scope != scope)
				continue;
			/* one row per action: its first binding in the scope prints them all */
			bool first = true;
			for (size_t j = 0; j < i; j++)
				if ((int)km->bindings[j].scope == scope && km->bindings[j].action == b->action)
					first = false;
			if (!first)
				continue;
			if (!any) {
				fprintf(out, ".SS %s\n", sd_scope_name((enum sd_scope)scope));
				fputs(".TS\ntab(\t);\nlB lB lB\nl l lx.\nKEYS\tACTION\tWHAT\n", out);
				any = true;
			}
			char keys[256];
			keys_of(km, b->action, scope, keys, sizeof(keys));
			roff(keys, out);
			fputc('\t', out);
			roff(b->action->name, out);
			fputs("\tT{\n", out);
			roff(b->action->help, out);
			fputs("\nT}\n", out);
		}
		if (any)
			fputs(".TE\n", out);
	}
}

static void print_actions(const struct sd_keymap *km, FILE *out)
{
	const char *group = NULL;
	for (const struct sd_action *const *a = sd_actions(); *a; a++) {
		if (!group || strcmp(group, (*a)->group) != 0) {
			if (group)
				fputs(".TE\n", out);
			group = (*a)->group;
			fputs(".SS ", out);
			roff(group, out);
			fputs("\n.TS\ntab(\t);\nlB lB lB lB\nl l l lx.\nACTION\tKEYS\tCONFIRM\tWHAT\n", out);
		}
		char keys[256];
		keys_of(km, *a, -1, keys, sizeof(keys));
		roff((*a)->name, out);
		fputc('\t', out);
		if (keys[0])
			roff(keys, out);
		else
			fputs("\\-", out);
		fprintf(out, "\t%s\tT{\n", confirm_text(*a));
		roff((*a)->help, out);
		fputs("\nT}\n", out);
	}
	if (group)
		fputs(".TE\n", out);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mkman TEMPLATE USAGE DATE\n");
		return 2;
	}
	/* only the compiled-in default keymap: never a file of whoever builds */
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	char *template = slurp(argv[1]), *usage = slurp(argv[2]);
	struct sd_keymap km;
	struct sd_error err = {{0}};
	if (sd_keymap_load("default", sd_action_find, &km, &err) != 0) {
		fprintf(stderr, "mkman: %s\n", err.text);
		return 1;
	}
	FILE *out = stdout;
	for (const char *line = template; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *copy = xstrndup(line, len);
		if (strcmp(copy, ".\\\" @USAGE@") == 0)
			print_usage(usage, out);
		else if (strcmp(copy, ".\\\" @UNDOCUMENTED@") == 0)
			print_undocumented(usage, template, out);
		else if (strcmp(copy, ".\\\" @KEYS@") == 0)
			print_keys(&km, out);
		else if (strcmp(copy, ".\\\" @ACTIONS@") == 0)
			print_actions(&km, out);
		else {
			for (const char *p = copy; *p;) {
				if (strncmp(p, "@VERSION@", 9) == 0)
					fputs(SD_VERSION, out), p += 9;
				else if (strncmp(p, "@DATE@", 6) == 0)
					fputs(argv[3], out), p += 6;
				else if (strncmp(p, "@DATADIR@", 9) == 0)
					roff(sd_data_dir(), out), p += 9;
				else
					fputc(*p++, out);
			}
			fputc('\n', out);
		}
		free(copy);
		line += len + (end ? 1 : 0);
	}
	sd_keymap_free(&km);
	free(template);
	free(usage);
	return fflush(out) == 0 ? 0 : 1;
}
