/* inspect.c - JSON as nested text, masked, and the line difference of two values (see
 * inspect.h). The difference is a longest-common-subsequence over lines; specs are a few
 * hundred lines, and beyond MAX_DIFF_LINES a side is compared as changed wholesale. */
#include "model/inspect.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DIFF_LINES 4000
#define MASK "******"

void sd_inspect_free(struct sd_inspect *out)
{
	for (size_t i = 0; i < out->n; i++)
		free(out->lines[i].text);
	free(out->lines);
	memset(out, 0, sizeof(*out));
}

static void add_text(struct sd_inspect *out, enum sd_inspect_mark mark, char *text)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->lines = xrealloc(out->lines, out->cap * sizeof(*out->lines));
	}
	out->lines[out->n++] = (struct sd_inspect_line){.text = text, .mark = mark};
}

void sd_inspect_add(struct sd_inspect *out, enum sd_inspect_mark mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		text = xstrdup("");
	va_end(ap);
	add_text(out, mark, text);
}

/* Docker's references to secrets and configs: names and IDs, never the data */
static bool reference_name(const char *name)
{
	static const char *const refs[] = {"Secrets", "Configs", "SecretID", "SecretName",
					   "ConfigID", "ConfigName", NULL};
	for (size_t i = 0; name && refs[i]; i++)
		if (!strcmp(name, refs[i]))
			return true;
	return false;
}

bool sd_inspect_secret_name(const char *name)
{
	if (reference_name(name))
		return false;
	static const char *const words[] = {"password", "passwd", "secret", "token",
					    "credential", "private", "apikey", "api_key", "auth"};
	if (!name)
		return false;
	char low[256];
	size_t n = 0;
	for (; name[n] && n + 1 < sizeof(low); n++)
		low[n] = (char)tolower((unsigned char)name[n]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(low, words[i]))
			return true;
	/* a key name ending in _KEY (AWS_SECRET_ACCESS_KEY, SIGNING_KEY), not "Key" alone */
	return n > 4 && !strcmp(low + n - 4, "_key");
}

/* scheme://user:PASSWORD@host -> scheme://user:******@host, in place in OUT */
static void mask_url(char *out, size_t size)
{
	for (char *p = strstr(out, "://"); p; p = strstr(p + 3, "://")) {
		char *at_end = p + 3 + strcspn(p + 3, "/ \t");
		char *colon = memchr(p + 3, ':', (size_t)(at_end - p - 3));
		char *at = colon ? memchr(colon, '@', (size_t)(at_end - colon)) : NULL;
		if (!colon || !at || at == colon + 1)
			continue;
		char rest[2048];
		sd_strlcpy(rest, at, sizeof(rest));
		snprintf(colon + 1, size - (size_t)(colon + 1 - out), "%s%s", MASK, rest);
	}
}

/* password=VALUE in a conninfo (space separated, VALUE possibly quoted) */
static void mask_conninfo(char *out, size_t size)
{
	for (char *p = strcasestr(out, "password="); p; p = strcasestr(p + 9, "password=")) {
		if (p != out && !isspace((unsigned char)p[-1]) && p[-1] != '?' && p[-1] != '&')
			continue;
		char *v = p + 9, *end;
		if (*v == '\'') {
			end = strchr(v + 1, '\'');
			end = end ? end + 1 : v + strlen(v);
		} else {
			end = v + strcspn(v, " &");
		}
		char rest[2048];
		sd_strlcpy(rest, end, sizeof(rest));
		snprintf(v, size - (size_t)(v - out), "%s%s", MASK, rest);
	}
}

char *sd_inspect_mask(const char *key, const char *value, char *out, size_t size)
{
	if (sd_inspect_secret_name(key) || (key && !strcmp(key, "Data"))) {
		snprintf(out, size, "%s", MASK);
		return out;
	}
	sd_strlcpy(out, value ? value : "", size);
	/* NAME=VALUE (an environment entry) */
	const char *eq = strchr(out, '=');
	if (eq && eq != out && (size_t)(eq - out) < 128 && !strchr(out, ' ')) {
		char name[128];
		memcpy(name, out, (size_t)(eq - out));
		name[eq - out] = '\0';
		if (sd_inspect_secret_name(name)) {
			snprintf(out + (eq - out) + 1, size - (size_t)(eq - out) - 1, "%s", MASK);
			return out;
		}
	}
	mask_url(out, size);
	mask_conninfo(out, size);
	return out;
}

static void scalar_text(const char *key, const json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING: {
		char *masked = xmalloc(size);
		sd_inspect_mask(key, json_string_value(v), masked, size);
		/* one line: newlines in a value shown as \n */
		size_t o = 0;
		for (const char *p = masked; *p && o + 3 < size; p++) {
			if (*p == '\n' || *p == '\r') {
				buf[o++] = '\\';
				buf[o++] = *p == '\n' ? 'n' : 'r';
			} else {
				buf[o++] = (unsigned char)*p < 32 ? '?' : *p;
			}
		}
		buf[o] = '\0';
		free(masked);
		break;
	}
	case JSON_INTEGER: snprintf(buf, size, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL: snprintf(buf, size, "%g", json_real_value(v)); break;
	case JSON_TRUE: snprintf(buf, size, "true"); break;
	case JSON_FALSE: snprintf(buf, size, "false"); break;
	case JSON_NULL: snprintf(buf, size, "null"); break;
	case JSON_OBJECT: snprintf(buf, size, "{}"); break;
	case JSON_ARRAY: snprintf(buf, size, "[]"); break;
	}
}

static bool is_empty_container(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static void json_lines(struct sd_inspect *out, const char *key, const json_t *value, int indent);

static void member(struct sd_inspect *out, const char *label, const char *key, const json_t *v,
		   int indent)
{
	char buf[4096];
	if ((json_is_object(v) || json_is_array(v)) && !is_empty_container(v)) {
		if (key && (sd_inspect_secret_name(key) || !strcmp(key, "Data"))) {
			sd_inspect_add(out, SD_INSPECT_PLAIN, "%*s%s %s", indent, "", label, MASK);
			return;
		}
		sd_inspect_add(out, SD_INSPECT_PLAIN, "%*s%s", indent, "", label);
		json_lines(out, key, v, indent + 2);
		return;
	}
	scalar_text(key, v, buf, sizeof(buf));
	sd_inspect_add(out, SD_INSPECT_PLAIN, "%*s%s %s", indent, "", label, buf);
}

static void json_lines(struct sd_inspect *out, const char *key, const json_t *value, int indent)
{
	if (json_is_object(value)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)value, k, v) {
			char label[300];
			snprintf(label, sizeof(label), "%s:", k);
			member(out, label, k, v, indent);
		}
	} else if (json_is_array(value)) {
		size_t i;
		json_t *v;
		json_array_foreach(value, i, v) {
			if (json_is_object(v) && json_object_size(v) > 0) {
				/* "- " then the object's members, the first on the same line */
				struct sd_inspect sub = {0};
				json_lines(&sub, key, v, indent + 2);
				for (size_t j = 0; j < sub.n; j++) {
					if (j == 0 && strlen(sub.lines[0].text) > (size_t)indent + 1) {
						sub.lines[0].text[indent] = '-';
					}
					add_text(out, sub.lines[j].mark, sub.lines[j].text);
				}
				free(sub.lines);
			} else {
				member(out, "-", key, v, indent);
			}
		}
	} else {
		member(out, "", key, value, indent);
	}
}

void sd_inspect_json(struct sd_inspect *out, const json_t *value, int indent)
{
	json_lines(out, NULL, value, indent);
}

size_t sd_inspect_diff(struct sd_inspect *out, const json_t *before, const json_t *after,
		       size_t context)
{
	struct sd_inspect a = {0}, b = {0};
	sd_inspect_json(&a, before, 0);
	sd_inspect_json(&b, after, 0);
	size_t n = a.n, m = b.n;
	/* ops from the end: LCS lengths, (n+1) x (m+1); too big: everything changed */
	unsigned *lcs = NULL;
	if (n <= MAX_DIFF_LINES && m <= MAX_DIFF_LINES) {
		lcs = xcalloc((n + 1) * (m + 1), sizeof(*lcs));
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;)
				lcs[i * (m + 1) + j] = !strcmp(a.lines[i].text, b.lines[j].text)
					? lcs[(i + 1) * (m + 1) + j + 1] + 1
					: (lcs[(i + 1) * (m + 1) + j] > lcs[i * (m + 1) + j + 1]
						   ? lcs[(i + 1) * (m + 1) + j] : lcs[i * (m + 1) + j + 1]);
	}
	/* the edit script: 0 same, 1 removed (from A), 2 added (from B) */
	struct op { int kind; const char *text; } *ops = xmalloc((n + m + 1) * sizeof(*ops));
	size_t nops = 0, changed = 0, i = 0, j = 0;
	while (i < n || j < m) {
		if (lcs && i < n && j < m && !strcmp(a.lines[i].text, b.lines[j].text)) {
			ops[nops++] = (struct op){0, a.lines[i].text};
			i++, j++;
		} else if (i < n && (j >= m || !lcs ||
				     lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
			ops[nops++] = (struct op){1, a.lines[i++].text};
			changed++;
		} else {
			ops[nops++] = (struct op){2, b.lines[j++].text};
			changed++;
		}
	}
	/* keep unchanged lines within CONTEXT of a change */
	size_t last_change = (size_t)-1;
	bool gap = false;
	for (size_t k = 0; k < nops; k++) {
		if (ops[k].kind) {
			sd_inspect_add(out, ops[k].kind == 1 ? SD_INSPECT_REMOVED : SD_INSPECT_ADDED,
				       "%c %s", ops[k].kind == 1 ? '-' : '+', ops[k].text);
			last_change = k;
			gap = false;
			continue;
		}
		bool near = last_change != (size_t)-1 && k - last_change <= context;
		for (size_t q = k + 1; !near && q < nops && q <= k + context; q++)
			near = ops[q].kind != 0;
		if (near) {
			sd_inspect_add(out, SD_INSPECT_PLAIN, "  %s", ops[k].text);
		} else if (!gap) {
			sd_inspect_add(out, SD_INSPECT_GAP, "  …");
			gap = true;
		}
	}
	free(ops);
	free(lcs);
	sd_inspect_free(&a);
	sd_inspect_free(&b);
	return changed;
}
