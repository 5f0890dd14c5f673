/* condition.c - drill conditions over the snapshot JSON and durations (see condition.h):
 * parsed once when the drill is read, evaluated each time the snapshot changes. */
#include "conf/condition.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- durations ---- */
double sd_parse_duration(const char *text)
{
	if (!text || !*text)
		return -1;
	const char *p = text;
	double total = 0;
	bool first = true;
	while (*p) {
		/* digits with an optional fraction; no sign, exponent or hex */
		size_t n = strspn(p, "0123456789");
		if (p[n] == '.')
			n += 1 + strspn(p + n + 1, "0123456789");
		if (n == 0 || (n == 1 && *p == '.'))
			return -1;
		char number[64];
		if (n >= sizeof(number))
			return -1;
		memcpy(number, p, n);
		number[n] = '\0';
		double v = strtod(number, NULL);
		if (!isfinite(v))
			return -1;
		p += n;
		double scale;
		if (strncmp(p, "ms", 2) == 0) {
			scale = 0.001;
			p += 2;
		} else if (*p == 's') {
			scale = 1;
			p++;
		} else if (*p == 'm') {
			scale = 60;
			p++;
		} else if (*p == 'h') {
			scale = 3600;
			p++;
		} else if (!*p && first) {
			scale = 1; /* a bare number: seconds */
		} else {
			return -1;
		}
		first = false;
		total += v * scale;
	}
	return isfinite(total) ? total : -1;
}

/* ---- literals: a condition's value and a [key=value] selector's value ---- */
struct literal {
	char *text;
	bool quoted;
	bool is_number;
	double number;
};

static bool parse_number(const char *s, double *out)
{
	if (!*s || strpbrk(s, "xXpP") || !strchr("+-.0123456789", *s))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static void literal_classify(struct literal *lit)
{
	lit->is_number = !lit->quoted && parse_number(lit->text, &lit->number);
}

/* A quoted string at *P (opening quote included); escapes \" \' \\ ; advances past it. */
static char *read_quoted(const char **p, char *err, size_t errlen)
{
	char quote = **p;
	const char *s = *p + 1;
	size_t cap = strlen(s) + 1, n = 0;
	char *out = xmalloc(cap);
	for (; *s && *s != quote; s++) {
		if (*s == '\\' && (s[1] == quote || s[1] == '\\'))
			s++;
		out[n++] = *s;
	}
	if (*s != quote) {
		snprintf(err, errlen, "missing closing %c", quote);
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*p = s + 1;
	return out;
}

/* JSON scalar V as text (strings as they are); false for containers. */
static bool json_text(const json_t *v, char *buf, size_t size)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, size, "%s", json_string_value(v));
		return true;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return true;
	case JSON_REAL:
		snprintf(buf, size, "%.15g", json_real_value(v));
		return true;
	case JSON_TRUE:
		snprintf(buf, size, "true");
		return true;
	case JSON_FALSE:
		snprintf(buf, size, "false");
		return true;
	case JSON_NULL:
		snprintf(buf, size, "null");
		return true;
	default:
		return false;
	}
}

/* V as a number: JSON numbers, and strings that are numbers. */
static bool json_number(const json_t *v, double *out)
{
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	return json_is_string(v) && parse_number(json_string_value(v), out);
}

/* -1, 0, 1 comparing V with LIT; 2 when they cannot be compared (a container, or a string
 * against a number for ordering). ORDERED: the caller needs an order, not just equality. */
static int compare(const json_t *v, const struct literal *lit, bool ordered)
{
	double a;
	if (lit->is_number && json_number(v, &a))
		return a < lit->number ? -1 : a > lit->number ? 1 : 0;
	if (ordered)
		return 2;
	char buf[1024];
	if (!json_text(v, buf, sizeof(buf)))
		return 2;
	return strcmp(buf, lit->text) == 0 ? 0 : 1;
}

/* ---- paths ---- */
#define MAX_IDENT 128

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static void skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static int read_ident(const char **p, char *buf, char *err, size_t errlen)
{
	size_t n = 0;
	while (ident_char((*p)[n]))
		n++;
	if (n == 0) {
		if (**p)
			snprintf(err, errlen, "expected a field name at '%.20s'", *p);
		else
			snprintf(err, errlen, "expected a field name at the end");
		return -1;
	}
	if (n >= MAX_IDENT) {
		snprintf(err, errlen, "field name too long");
		return -1;
	}
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p += n;
	return 0;
}

static const json_t *member(const json_t *v, const char *key)
{
	return v && json_is_object(v) ? json_object_get(v, key) : NULL;
}

/* key(.key)* in the text [KEY, END): the value under ITEM, or NULL. */
static const json_t *dotted(const json_t *item, const char *key, const char *end)
{
	char buf[MAX_IDENT];
	while (item && key < end) {
		const char *dot = memchr(key, '.', (size_t)(end - key));
		const char *stop = dot ? dot : end;
		size_t n = (size_t)(stop - key);
		if (n >= sizeof(buf))
			return NULL;
		memcpy(buf, key, n);
		buf[n] = '\0';
		item = member(item, buf);
		key = dot ? dot + 1 : end;
	}
	return item;
}

/* The first element of V (a list, or an object's values) whose KEY matches LIT. */
static const json_t *select_first(const json_t *v, const char *key, const char *key_end,
				  const struct literal *lit)
{
	if (json_is_array(v)) {
		size_t i;
		const json_t *item;
		json_array_foreach(v, i, item) {
			const json_t *field = dotted(item, key, key_end);
			if (field && compare(field, lit, false) == 0)
				return item;
		}
	} else if (json_is_object(v)) {
		const char *name;
		const json_t *item;
		json_object_foreach((json_t *)v, name, item) {
			const json_t *field = dotted(item, key, key_end);
			if (field && compare(field, lit, false) == 0)
				return item;
		}
	}
	return NULL;
}

/* How many elements of V (a list, or an object's values) have KEY matching LIT: what
 * len(list[key=value]) counts. */
static long select_count(const json_t *v, const char *key, const char *key_end,
			 const struct literal *lit)
{
	long n = 0;
	size_t i;
	const char *name;
	const json_t *item;
	if (json_is_array(v)) {
		json_array_foreach(v, i, item) {
			const json_t *field = dotted(item, key, key_end);
			n += field && compare(field, lit, false) == 0;
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, name, item) {
			const json_t *field = dotted(item, key, key_end);
			n += field && compare(field, lit, false) == 0;
		}
	}
	return n;
}

/* One bracket at *P ('[' already passed): [N], [key=value] or ["key"]. *MATCHES gets how
 * many elements a [key=value] selector matched (-1 for the other brackets). */
static int walk_bracket(const char **pp, const json_t **cur, long *matches, char *err,
			size_t errlen)
{
	*matches = -1;
	const char *p = *pp;
	skip_spaces(&p);
	if (*p == '"' || *p == '\'') {
		char *key = read_quoted(&p, err, errlen);
		if (!key)
			return -1;
		skip_spaces(&p);
		if (*p != ']') {
			snprintf(err, errlen, "expected ']' after [\"%s\"", key);
			free(key);
			return -1;
		}
		*cur = member(*cur, key);
		free(key);
		*pp = p + 1;
		return 0;
	}
	const char *start = p;
	while (*p && *p != '=' && *p != ']')
		p++;
	if (!*p) {
		snprintf(err, errlen, "missing ']'");
		return -1;
	}
	const char *end = p;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (*p == ']') {
		char *endnum;
		long index = end > start ? strtol(start, &endnum, 10) : 0;
		if (end == start || endnum != end) {
			snprintf(err, errlen, "expected [N], [key=value] or [\"key\"], got [%.*s]",
				 (int)(end - start), start);
			return -1;
		}
		if (*cur && json_is_array(*cur)) {
			long size = (long)json_array_size(*cur);
			if (index < 0)
				index += size;
			*cur = index >= 0 && index < size ? json_array_get(*cur, (size_t)index) : NULL;
		} else {
			*cur = NULL;
		}
		*pp = p + 1;
		return 0;
	}
	/* [key=value]: key is field(.field)*, value bare (up to ']') or quoted */
	for (const char *k = start; k < end; k++) {
		if (!ident_char(*k) && !(*k == '.' && k > start && k + 1 < end && k[1] != '.')) {
			snprintf(err, errlen, "bad field name '%.*s' in a [key=value] selector",
				 (int)(end - start), start);
			return -1;
		}
	}
	if (end == start) {
		snprintf(err, errlen, "missing field name before '=' in a selector");
		return -1;
	}
	if (p[1] == '=') {
		snprintf(err, errlen, "a selector uses one '=': [key=value]");
		return -1;
	}
	p++;
	skip_spaces(&p);
	struct literal lit = {0};
	if (*p == '"' || *p == '\'') {
		lit.text = read_quoted(&p, err, errlen);
		if (!lit.text)
			return -1;
		lit.quoted = true;
		skip_spaces(&p);
		if (*p != ']') {
			snprintf(err, errlen, "expected ']' after a quoted selector value");
			free(lit.text);
			return -1;
		}
	} else {
		const char *vstart = p;
		while (*p && *p != ']')
			p++;
		const char *vend = p;
		while (vend > vstart && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		if (!*p || vend == vstart) {
			snprintf(err, errlen, *p ? "missing value in a [key=value] selector"
						 : "missing ']'");
			return -1;
		}
		lit.text = xstrndup(vstart, (size_t)(vend - vstart));
	}
	literal_classify(&lit);
	*matches = *cur ? select_count(*cur, start, end, &lit) : 0;
	*cur = *cur ? select_first(*cur, start, end, &lit) : NULL;
	free(lit.text);
	*pp = p + 1;
	return 0;
}

/* Walks PATH from ROOT (NULL: check the syntax only). *OUT gets what it finds or NULL;
 * *IS_LEN tells that the path was len(...). FIRST gets the first field name if wanted.
 * *MATCHES (if wanted) gets how many elements the path's last step, a [key=value]
 * selector, matched, else -1: len(events[kind=switch-master]) counts them all. */
static int walk_path(const char *path, const json_t *root, const json_t **out, bool *is_len,
		     long *matches, char *first, char *err, size_t errlen)
{
	long last_matches = -1;
	const char *p = path;
	const json_t *cur = root;
	skip_spaces(&p);
	*is_len = strncmp(p, "len(", 4) == 0;
	if (*is_len) {
		p += 4;
		skip_spaces(&p);
	}
	if (*p == '.')
		p++;
	char name[MAX_IDENT];
	if (read_ident(&p, name, err, errlen) < 0)
		return -1;
	if (first)
		snprintf(first, MAX_IDENT, "%s", name);
	cur = member(cur, name);
	for (;;) {
		if (*p == '.') {
			p++;
			if (read_ident(&p, name, err, errlen) < 0)
				return -1;
			cur = member(cur, name);
			last_matches = -1;
		} else if (*p == '[') {
			p++;
			if (walk_bracket(&p, &cur, &last_matches, err, errlen) < 0)
				return -1;
		} else {
			break;
		}
	}
	skip_spaces(&p);
	if (*is_len) {
		if (*p != ')') {
			snprintf(err, errlen, "missing ')' after len(");
			return -1;
		}
		p++;
		skip_spaces(&p);
	}
	if (*p) {
		snprintf(err, errlen, "unexpected '%.20s' in the path", p);
		return -1;
	}
	*out = cur;
	if (matches)
		*matches = last_matches;
	return 0;
}

/* ---- conditions ---- */
static const char *const op_names[] = {"==", "!=", "<", "<=", ">", ">="};

const char *sd_condition_root(const struct sd_condition *cond, char *buf, size_t size)
{
	char first[MAX_IDENT] = "", message[256];
	const json_t *found;
	bool is_len;
	walk_path(cond->path, NULL, &found, &is_len, NULL, first, message, sizeof(message));
	snprintf(buf, size, "%s", first);
	return buf;
}

void sd_condition_free(struct sd_condition *cond)
{
	if (!cond)
		return;
	free(cond->path);
	free(cond->value);
	memset(cond, 0, sizeof(*cond));
}

/* The operator outside brackets, parentheses and quotes: its offset, or -1 (-2 when a
 * bracket, parenthesis or quote is left open). */
static long find_operator(const char *s, enum sd_cond_op *op, size_t *oplen, bool *single_eq)
{
	int depth = 0;
	char quote = 0;
	*single_eq = false;
	for (const char *p = s; *p; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		switch (*p) {
		case '"':
		case '\'':
			quote = *p;
			continue;
		case '[':
		case '(':
			depth++;
			continue;
		case ']':
		case ')':
			depth--;
			continue;
		default:
			break;
		}
		if (depth > 0)
			continue;
		if (p[0] == '=' && p[1] == '=') {
			*op = SD_OP_EQ;
		} else if (p[0] == '!' && p[1] == '=') {
			*op = SD_OP_NE;
		} else if (p[0] == '<') {
			*op = p[1] == '=' ? SD_OP_LE : SD_OP_LT;
		} else if (p[0] == '>') {
			*op = p[1] == '=' ? SD_OP_GE : SD_OP_GT;
		} else {
			if (p[0] == '=')
				*single_eq = true;
			continue;
		}
		*oplen = strlen(op_names[*op]);
		return p - s;
	}
	return depth != 0 || quote ? -2 : -1;
}

int sd_condition_parse(const char *text, struct sd_condition *cond, char *err, size_t errlen)
{
	memset(cond, 0, sizeof(*cond));
	if (!text)
		text = "";
	enum sd_cond_op op = SD_OP_EQ;
	size_t oplen = 0;
	bool single_eq;
	long at = find_operator(text, &op, &oplen, &single_eq);
	if (at == -2) {
		snprintf(err, errlen, "a '[', '(' or quote is not closed");
		return -1;
	}
	if (at < 0) {
		snprintf(err, errlen, single_eq ? "'=' compares nothing: write '=='"
						: "expected PATH OP VALUE with OP one of ==, !=, <, "
						  "<=, >, >=");
		return -1;
	}
	const char *pstart = text, *pend = text + at;
	while (*pstart == ' ' || *pstart == '\t')
		pstart++;
	while (pend > pstart && (pend[-1] == ' ' || pend[-1] == '\t'))
		pend--;
	if (pend == pstart) {
		snprintf(err, errlen, "missing path before '%s'", op_names[op]);
		return -1;
	}
	cond->path = xstrndup(pstart, (size_t)(pend - pstart));
	cond->op = op;
	const json_t *found;
	bool is_len;
	if (walk_path(cond->path, NULL, &found, &is_len, NULL, NULL, err, errlen) < 0) {
		sd_condition_free(cond);
		return -1;
	}

	const char *v = text + at + oplen;
	skip_spaces(&v);
	struct literal lit = {0};
	if (*v == '"' || *v == '\'') {
		lit.text = read_quoted(&v, err, errlen);
		if (!lit.text) {
			sd_condition_free(cond);
			return -1;
		}
		lit.quoted = true;
	} else {
		const char *vstart = v;
		while (*v && *v != ' ' && *v != '\t')
			v++;
		if (v == vstart) {
			snprintf(err, errlen, "missing value after '%s'", op_names[op]);
			sd_condition_free(cond);
			return -1;
		}
		lit.text = xstrndup(vstart, (size_t)(v - vstart));
	}
	skip_spaces(&v);
	if (*v) {
		snprintf(err, errlen, "unexpected '%.20s' after the value%s", v,
			 lit.quoted ? "" : " (quote a value with spaces)");
		free(lit.text);
		sd_condition_free(cond);
		return -1;
	}
	literal_classify(&lit);
	if (op != SD_OP_EQ && op != SD_OP_NE && !lit.is_number) {
		snprintf(err, errlen, "'%s' compares numbers, and '%s' is not one", op_names[op],
			 lit.text);
		free(lit.text);
		sd_condition_free(cond);
		return -1;
	}
	cond->value = lit.text;
	cond->value_is_number = lit.is_number;
	cond->number = lit.number;
	return 0;
}

int sd_condition_eval(const struct sd_condition *cond, const json_t *root, char *actual,
		      size_t actual_len)
{
	char scratch[8];
	if (!actual || actual_len == 0) {
		actual = scratch;
		actual_len = sizeof(scratch);
	}
	snprintf(actual, actual_len, "(none)");
	if (!cond || !cond->path || !cond->value || !root)
		return 0;
	char err[128];
	const json_t *found = NULL;
	bool is_len;
	long matches = -1;
	if (walk_path(cond->path, root, &found, &is_len, &matches, NULL, err, sizeof(err)) < 0)
		return 0;
	json_t *length = NULL;
	if (is_len && matches >= 0) {
		/* len(list[key=value]): how many match, 0 when none does */
		length = json_integer((json_int_t)matches);
		found = length;
	} else if (!found) {
		return 0;
	} else if (is_len) {
		size_t n;
		if (json_is_array(found))
			n = json_array_size(found);
		else if (json_is_object(found))
			n = json_object_size(found);
		else if (json_is_string(found))
			n = sd_utf8_length(json_string_value(found));
		else if (json_is_null(found))
			n = 0;
		else
			return 0;
		length = json_integer((json_int_t)n);
		found = length;
	}
	if (!json_text(found, actual, actual_len)) {
		char *dump = json_dumps(found, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(actual, actual_len, "%s", dump ? dump : "?");
		free(dump);
	}
	struct literal lit = {.text = cond->value, .is_number = cond->value_is_number,
			      .number = cond->number};
	bool ordered = cond->op != SD_OP_EQ && cond->op != SD_OP_NE;
	int c = compare(found, &lit, ordered);
	json_decref(length);
	switch (cond->op) {
	case SD_OP_EQ:
		return c == 0;
	case SD_OP_NE:
		return c != 0;
	case SD_OP_LT:
		return c == -1;
	case SD_OP_LE:
		return c == -1 || c == 0;
	case SD_OP_GT:
		return c == 1;
	case SD_OP_GE:
		return c == 1 || c == 0;
	}
	return 0;
}

