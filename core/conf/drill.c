/* drill.c - drill files: steps of key playback, confirmations, waits on conditions over the
 * snapshot JSON, screen checks and commands. A file is checked completely here (keys,
 * conditions, regexes, durations, marks) so a drill never fails half-way on a typo. */
#include "conf/drill.h"
#include "conf/read.h"
#include "base/error.h"
#include "conf/keys.h"
#include "base/text.h"
#include "conf/pattern.h"
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

/* ---- drill files ---- */
static const char *const snapshot_fields[] = {
	"version", "time", "mode", "health", "alerts", "cluster", "nodes", "services", "tasks",
	"postgres", "redis", "backups", "events", "prometheus", NULL,
};

static const char *const action_keys[] = {
	[SD_STEP_KEYS] = "keys", [SD_STEP_CONFIRM] = "confirm", [SD_STEP_UNTIL] = "until",
	[SD_STEP_EXPECT_SCREEN] = "expect_screen", [SD_STEP_SAVE_SCREEN] = "save_screen",
	[SD_STEP_EXEC] = "exec", [SD_STEP_WAIT] = "wait", [SD_STEP_EXPECT_LOG] = "expect_log",
};
#define NACTION_KEYS (sizeof(action_keys) / sizeof(action_keys[0]))

/* A non-empty string value. */
static int get_text(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
		    char **out)
{
	if (node->kind != SD_YAML_SCALAR)
		return CONF_FAIL(r, node, "%s: expected a string, got %s", what, conf_kind_name(node));
	if (!node->value[0])
		return CONF_FAIL(r, node, "%s: must not be empty", what);
	free(*out);
	*out = xstrdup(node->value);
	return 0;
}

static int get_duration(const struct conf_reader *r, const struct sd_yaml *node, const char *what,
			double *out)
{
	if (node->kind != SD_YAML_SCALAR)
		return CONF_FAIL(r, node, "%s: expected a duration such as 30s, got %s", what,
			    conf_kind_name(node));
	double d = sd_parse_duration(node->value);
	if (d < 0)
		return CONF_FAIL(r, node, "%s: bad duration '%s' (such as 500ms, 30s, 2m, 1m30s, 1h)",
			    what, node->value);
	if (d == 0)
		return CONF_FAIL(r, node, "%s: must be longer than 0", what);
	*out = d;
	return 0;
}

/* Column of byte OFFSET of NODE's value, when the scalar sits on one line as written. */
static int value_column(const struct sd_yaml *node, size_t offset)
{
	return node->column + (node->quoted ? 1 : 0) + (int)sd_utf8_count(node->value, offset);
}

static int read_keys(const struct conf_reader *r, const struct sd_yaml *node, struct sd_step *step)
{
	size_t bad = 0;
	int n = sd_keys_parse(step->text, NULL, 0, &bad);
	if (n < 0) {
		const char *at = step->text + bad;
		size_t len = 1;
		if (*at == '<') {
			const char *close = strchr(at, '>');
			len = close && close - at < 24 ? (size_t)(close - at) + 1 : strlen(at);
			if (len > 24)
				len = 24;
		}
		return CONF_FAIL_AT(r, node->line, value_column(node, bad),
			       "keys: bad key name '%.*s' (<Enter>, <Esc>, <C-x>, <F5>, ...; write "
			       "<lt> for a literal '<')",
			       (int)len, at);
	}
	step->nkeys = (size_t)n;
	step->keys = xcalloc(step->nkeys ? step->nkeys : 1, sizeof(int));
	sd_keys_parse(step->text, step->keys, step->nkeys, &bad);
	return 0;
}

static int read_until(const struct conf_reader *r, const struct sd_yaml *node, struct sd_step *step)
{
	char message[256];
	if (sd_condition_parse(step->text, &step->cond, message, sizeof(message)) < 0)
		return CONF_FAIL(r, node, "until: malformed condition: %s", message);
	char first[128];
	sd_condition_root(&step->cond, first, sizeof(first));
	for (const char *const *f = snapshot_fields; *f; f++)
		if (strcmp(*f, first) == 0)
			return 0;
	return CONF_FAIL(r, node,
		    "until: the snapshot has no '%s' (version, time, mode, health, alerts, cluster, "
		    "nodes, services, tasks, postgres, redis, backups, events, prometheus)",
		    first);
}

static int read_regex(const struct conf_reader *r, const struct sd_yaml *node, const char *pattern)
{
	/* bounded first: regcomp would spend gigabytes on nested counts */
	size_t at;
	char why[160];
	if (sd_pattern_check(pattern, &at, why, sizeof(why)) < 0)
		return CONF_FAIL_AT(r, node->line, value_column(node, at), "expect_screen: %s", why);
	regex_t re;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char message[256];
		regerror(rc, &re, message, sizeof(message));
		regfree(&re);
		return CONF_FAIL(r, node, "expect_screen: bad regular expression: %s", message);
	}
	regfree(&re);
	return 0;
}

static int read_step(const struct conf_reader *r, const struct sd_yaml *map, struct sd_step *step,
		     struct sd_drill *drill)
{
	step->line = map->line;
	step->column = map->column;
	if (map->kind != SD_YAML_MAP)
		return CONF_FAIL(r, map, "a step is a mapping such as {keys: \"1\"} or {until: ...}, "
			    "not %s", conf_kind_name(map));
	int kind = -1;
	size_t action_index = 0;
	const struct sd_yaml *timeout = NULL;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i];
		int line = map->key_lines[i], column = map->key_columns[i];
		if (strcmp(k, "mark") == 0) {
			if (get_text(r, map->items[i], "mark", &step->mark) < 0)
				return -1;
			continue;
		}
		if (strcmp(k, "timeout") == 0) {
			timeout = map->items[i];
			continue;
		}
		int this_kind = -1;
		for (size_t j = 0; j < NACTION_KEYS; j++)
			if (strcmp(action_keys[j], k) == 0)
				this_kind = (int)j;
		if (this_kind < 0)
			return CONF_FAIL_AT(r, line, column,
				       "unknown step key '%s' (keys, confirm, until, expect_screen, "
				       "expect_log, save_screen, exec, wait, mark, timeout)",
				       k);
		if (kind >= 0)
			return CONF_FAIL_AT(r, line, column,
				       "a step does one thing: '%s' and '%s' (make them two steps)",
				       action_keys[kind], k);
		kind = this_kind;
		action_index = i;
	}
	if (kind < 0)
		return CONF_FAIL(r, map, "step without an action (keys, confirm, until, expect_screen, "
			    "expect_log, save_screen, exec or wait)");
	step->kind = (enum sd_step_kind)kind;
	const struct sd_yaml *value = map->items[action_index];
	if (get_text(r, value, action_keys[kind], &step->text) < 0)
		return -1;
	switch (step->kind) {
	case SD_STEP_KEYS:
		if (read_keys(r, value, step) < 0)
			return -1;
		break;
	case SD_STEP_UNTIL:
		step->timeout = 30;
		if (read_until(r, value, step) < 0)
			return -1;
		break;
	case SD_STEP_EXPECT_SCREEN:
	case SD_STEP_EXPECT_LOG:
		step->timeout = 10;
		if (read_regex(r, value, step->text) < 0)
			return -1;
		break;
	case SD_STEP_EXEC:
		step->timeout = 60; /* the command is killed after that */
		drill->has_exec = true;
		break;
	case SD_STEP_WAIT:
		if (get_duration(r, value, "wait", &step->timeout) < 0)
			return -1;
		if (timeout)
			return CONF_FAIL_AT(r, timeout->line, timeout->column,
				       "wait takes no timeout: its value is how long it waits");
		break;
	default:
		break;
	}
	if (timeout && get_duration(r, timeout, "timeout", &step->timeout) < 0)
		return -1;
	return 0;
}

void sd_drill_free(struct sd_drill *drill)
{
	if (!drill)
		return;
	for (size_t i = 0; i < drill->nsteps; i++) {
		struct sd_step *s = &drill->steps[i];
		free(s->text);
		free(s->keys);
		sd_condition_free(&s->cond);
		free(s->mark);
	}
	free(drill->steps);
	free(drill->file);
	free(drill->name);
	free(drill->description);
	memset(drill, 0, sizeof(*drill));
}

/* The file's name without folder and .yaml: a drill's name when it gives none. */
static char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t len = strlen(name);
	if (len > 5 && strcmp(name + len - 5, ".yaml") == 0)
		len -= 5;
	else if (len > 4 && strcmp(name + len - 4, ".yml") == 0)
		len -= 4;
	return xstrndup(name, len);
}

static int compare_marks(const void *a, const void *b) { return strcmp(a, b); }
static void keep_mark(void *mark) { (void)mark; }   /* the steps own them */

static int read_drill(const struct conf_reader *r, const struct sd_yaml *root, struct sd_drill *drill)
{
	static const char *const keys[] = {"drill", "description", "target_rto", "steps", NULL};
	if (root->kind != SD_YAML_MAP)
		return CONF_FAIL(r, root, "expected a mapping with drill, description, target_rto and "
			    "steps, got %s", conf_kind_name(root));
	const struct sd_yaml *steps = NULL;
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->keys[i];
		const struct sd_yaml *v = root->items[i];
		bool known = false;
		for (const char *const *a = keys; *a; a++)
			known = known || strcmp(*a, k) == 0;
		if (!known)
			return CONF_FAIL_AT(r, root->key_lines[i], root->key_columns[i],
				       "unknown key '%s' (drill, description, target_rto, steps)", k);
		int rc = 0;
		if (strcmp(k, "drill") == 0)
			rc = get_text(r, v, "drill", &drill->name);
		else if (strcmp(k, "description") == 0)
			rc = get_text(r, v, "description", &drill->description);
		else if (strcmp(k, "target_rto") == 0)
			rc = get_duration(r, v, "target_rto", &drill->target_rto);
		else
			steps = v;
		if (rc < 0)
			return -1;
	}
	if (!steps)
		return CONF_FAIL_AT(r, root->line, root->column, "a drill needs steps");
	if (steps->kind != SD_YAML_SEQ)
		return CONF_FAIL(r, steps, "steps: expected a list, got %s", conf_kind_name(steps));
	if (steps->n == 0)
		return CONF_FAIL(r, steps, "steps: the list is empty");
	if (!drill->name)
		drill->name = base_name(r->file);
	drill->steps = xcalloc(steps->n, sizeof(*drill->steps));
	void *marks = NULL;   /* the marks so far, in a search tree: n log n for n steps */
	int rc = 0;
	for (size_t i = 0; i < steps->n && rc == 0; i++) {
		struct sd_step *step = &drill->steps[drill->nsteps++];
		if (read_step(r, steps->items[i], step, drill) < 0) {
			rc = -1;
			break;
		}
		if (!step->mark)
			continue;
		char **seen = tsearch(step->mark, &marks, compare_marks);
		if (!seen) {
			rc = CONF_FAIL(r, steps->items[i], "out of memory");
		} else if (*seen != step->mark) {
			size_t j = 0;
			while (drill->steps[j].mark != *seen)
				j++;
			const struct sd_yaml *mark = sd_yaml_get(steps->items[i], "mark");
			rc = CONF_FAIL(r, mark, "mark '%s' is set twice (first in the step at line %d)",
				  step->mark, drill->steps[j].line);
		}
	}
	tdestroy(marks, keep_mark);
	return rc;
}

int sd_drill_load(const char *path, struct sd_drill *drill, struct sd_error *err)
{
	memset(drill, 0, sizeof(*drill));
	struct sd_yaml *root = sd_yaml_load_file(path, err);
	if (!root)
		return -1;
	struct conf_reader r = {.file = path, .err = err};
	drill->file = xstrdup(path);
	int rc = read_drill(&r, root, drill);
	sd_yaml_free(root);
	if (rc < 0)
		sd_drill_free(drill);
	return rc;
}
