/* yamltree.c - libyaml events into a small tree with 1-based positions, so that config,
 * theme, keymap and drill readers can point at the exact line and column of a mistake.
 * Anchors and aliases are refused (none of our files needs them, and an alias would share
 * nodes between places that report different positions); so are duplicate keys. */
#include "conf/yamltree.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64
#define MAX_FILE_SIZE (16u << 20)

void sd_yaml_free(struct sd_yaml *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n; i++) {
		if (node->keys)
			free(node->keys[i]);
		sd_yaml_free(node->items[i]);
	}
	free(node->keys);
	free(node->key_lines);
	free(node->key_columns);
	free(node->items);
	free(node->value);
	free(node);
}

struct sd_yaml *sd_yaml_get(const struct sd_yaml *map, const char *key)
{
	if (!map || map->kind != SD_YAML_MAP || !key)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

struct reader {
	yaml_parser_t parser;
	const char *name;
	const char *text;
	size_t len;
	struct sd_error *err;
};

/* Line and column (1-based, in characters) of a byte offset: libyaml gives only the offset
 * for reader errors such as invalid UTF-8. */
static void offset_position(const struct reader *r, size_t offset, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && i < r->len; i++) {
		unsigned char c = (unsigned char)r->text[i];
		if (c == '\n') {
			(*line)++;
			*column = 1;
		} else if ((c & 0xC0) != 0x80) {
			(*column)++;
		}
	}
}

static void parser_error(struct reader *r)
{
	yaml_parser_t *p = &r->parser;
	const char *problem = p->problem ? p->problem : "cannot parse YAML";
	int line, column;
	if (p->error == YAML_READER_ERROR) {
		offset_position(r, p->problem_offset, &line, &column);
		sd_error_set(r->err, r->name, line, column, "%s", problem);
		return;
	}
	line = (int)p->problem_mark.line + 1;
	column = (int)p->problem_mark.column + 1;
	if (p->context)
		sd_error_set(r->err, r->name, line, column, "%s (%s that starts at line %d)", problem,
			     p->context, (int)p->context_mark.line + 1);
	else
		sd_error_set(r->err, r->name, line, column, "%s", problem);
}

static int next_event(struct reader *r, yaml_event_t *event)
{
	if (!yaml_parser_parse(&r->parser, event)) {
		parser_error(r);
		return -1;
	}
	return 0;
}

static struct sd_yaml *new_node(enum sd_yaml_kind kind, const yaml_mark_t *mark)
{
	struct sd_yaml *node = xcalloc(1, sizeof(*node));
	node->kind = kind;
	node->line = (int)mark->line + 1;
	node->column = (int)mark->column + 1;
	return node;
}

static bool has_anchor(const yaml_event_t *event)
{
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		return event->data.scalar.anchor != NULL;
	case YAML_MAPPING_START_EVENT:
		return event->data.mapping_start.anchor != NULL;
	case YAML_SEQUENCE_START_EVENT:
		return event->data.sequence_start.anchor != NULL;
	default:
		return false;
	}
}

static struct sd_yaml *parse_node(struct reader *r, yaml_event_t *event, int depth);

static int compare_keys(const void *a, const void *b) { return strcmp(a, b); }
static void keep_key(void *key) { (void)key; }   /* the node owns its keys */

/* Children of a mapping or a sequence until its end event. A mapping's keys so far are in
 * the search tree *SEEN, so a duplicate is found in log n: n log n for the mapping. */
static int parse_children_seen(struct reader *r, struct sd_yaml *node, int depth, void **seen)
{
	size_t cap = 0;
	for (;;) {
		yaml_event_t event;
		if (next_event(r, &event) < 0)
			return -1;
		if (event.type == YAML_MAPPING_END_EVENT || event.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&event);
			return 0;
		}
		if (node->n == cap) {
			cap = cap ? cap * 2 : 8;
			node->items = xrealloc(node->items, cap * sizeof(*node->items));
			if (node->kind == SD_YAML_MAP) {
				node->keys = xrealloc(node->keys, cap * sizeof(*node->keys));
				node->key_lines = xrealloc(node->key_lines, cap * sizeof(int));
				node->key_columns = xrealloc(node->key_columns, cap * sizeof(int));
			}
		}
		if (node->kind == SD_YAML_SEQ) {
			struct sd_yaml *item = parse_node(r, &event, depth + 1);
			yaml_event_delete(&event);
			if (!item)
				return -1;
			node->items[node->n++] = item;
			continue;
		}
		/* a mapping: the key must be a scalar, unique in this mapping */
		int line = (int)event.start_mark.line + 1, column = (int)event.start_mark.column + 1;
		if (event.type != YAML_SCALAR_EVENT) {
			if (event.type == YAML_ALIAS_EVENT || has_anchor(&event))
				sd_error_set(r->err, r->name, line, column,
					     "anchors and aliases are not supported");
			else
				sd_error_set(r->err, r->name, line, column,
					     "a key must be a plain string, not a %s",
					     event.type == YAML_MAPPING_START_EVENT ? "mapping"
										    : "list");
			yaml_event_delete(&event);
			return -1;
		}
		if (has_anchor(&event)) {
			sd_error_set(r->err, r->name, line, column,
				     "anchors and aliases are not supported");
			yaml_event_delete(&event);
			return -1;
		}
		char *key = xstrndup((const char *)event.data.scalar.value, event.data.scalar.length);
		yaml_event_delete(&event);
		char **first = tsearch(key, seen, compare_keys);
		if (!first) {
			sd_error_set(r->err, r->name, line, column, "out of memory");
			free(key);
			return -1;
		}
		if (*first != key) {
			size_t i = 0;
			while (node->keys[i] != *first)
				i++;
			sd_error_set(r->err, r->name, line, column,
				     "duplicate key '%s' (first at line %d)", key, node->key_lines[i]);
			free(key);
			return -1;
		}
		yaml_event_t value_event;
		if (next_event(r, &value_event) < 0) {
			free(key);
			return -1;
		}
		struct sd_yaml *value = parse_node(r, &value_event, depth + 1);
		yaml_event_delete(&value_event);
		if (!value) {
			free(key);
			return -1;
		}
		node->keys[node->n] = key;
		node->key_lines[node->n] = line;
		node->key_columns[node->n] = column;
		node->items[node->n++] = value;
	}
}

static int parse_children(struct reader *r, struct sd_yaml *node, int depth)
{
	void *seen = NULL;
	int rc = parse_children_seen(r, node, depth, &seen);
	tdestroy(seen, keep_key);   /* reads none of the keys (some may be freed) */
	return rc;
}

/* The node that EVENT starts (the caller deletes EVENT). */
static struct sd_yaml *parse_node(struct reader *r, yaml_event_t *event, int depth)
{
	int line = (int)event->start_mark.line + 1, column = (int)event->start_mark.column + 1;
	if (event->type == YAML_ALIAS_EVENT || has_anchor(event)) {
		sd_error_set(r->err, r->name, line, column, "anchors and aliases are not supported");
		return NULL;
	}
	if (depth > MAX_DEPTH) {
		sd_error_set(r->err, r->name, line, column, "nested too deeply");
		return NULL;
	}
	struct sd_yaml *node;
	switch (event->type) {
	case YAML_SCALAR_EVENT:
		node = new_node(SD_YAML_SCALAR, &event->start_mark);
		node->value = xstrndup((const char *)event->data.scalar.value,
				       event->data.scalar.length);
		if (strlen(node->value) != event->data.scalar.length) {
			sd_error_set(r->err, r->name, line, column, "NUL character in a string");
			sd_yaml_free(node);
			return NULL;
		}
		node->quoted = event->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
			       event->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		return node;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		node = new_node(event->type == YAML_MAPPING_START_EVENT ? SD_YAML_MAP : SD_YAML_SEQ,
				&event->start_mark);
		if (parse_children(r, node, depth) < 0) {
			sd_yaml_free(node);
			return NULL;
		}
		return node;
	default:
		sd_error_set(r->err, r->name, line, column, "unexpected YAML event");
		return NULL;
	}
}

struct sd_yaml *sd_yaml_load_string(const char *name, const char *text, size_t len,
				    struct sd_error *err)
{
	struct reader r = {.name = name, .text = text, .len = len, .err = err};
	struct sd_yaml *root = NULL;
	yaml_event_t event;
	bool done = false;

	if (!yaml_parser_initialize(&r.parser)) {
		sd_error_set(err, name, 0, 0, "cannot start the YAML parser");
		return NULL;
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	while (!done) {
		if (next_event(&r, &event) < 0)
			goto fail;
		switch (event.type) {
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (root) {
				sd_error_set(err, name, (int)event.start_mark.line + 1,
					     (int)event.start_mark.column + 1,
					     "only one YAML document per file");
				yaml_event_delete(&event);
				goto fail;
			}
			break;
		default:
			root = parse_node(&r, &event, 0);
			if (!root) {
				yaml_event_delete(&event);
				goto fail;
			}
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&r.parser);
	if (!root) {
		/* an empty file reads as an empty mapping: every reader then applies defaults */
		yaml_mark_t start = {0, 0, 0};
		root = new_node(SD_YAML_MAP, &start);
	}
	return root;
fail:
	yaml_parser_delete(&r.parser);
	sd_yaml_free(root);
	return NULL;
}

struct sd_yaml *sd_yaml_load_file(const char *path, struct sd_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		sd_error_set(err, path, 0, 0, "%s", strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *text = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_FILE_SIZE) {
				sd_error_set(err, path, 0, 0, "file larger than %u MiB",
					     MAX_FILE_SIZE >> 20);
				fclose(f);
				free(text);
				return NULL;
			}
			cap *= 2;
			text = xrealloc(text, cap);
		}
		size_t got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		sd_error_set(err, path, 0, 0, "%s", strerror(errno ? errno : EIO));
		fclose(f);
		free(text);
		return NULL;
	}
	fclose(f);
	struct sd_yaml *root = sd_yaml_load_string(path, text, len, err);
	free(text);
	return root;
}
