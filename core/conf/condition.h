/* condition.h - drill conditions, "PATH OP VALUE" over the snapshot JSON (the tree --once
 * --json prints), with .key, [key=value] selectors, [N] and len(PATH); and durations.
 * len(LIST[key=value]) counts every element that matches (0 when none does). */
#ifndef SD_CONDITION_H
#define SD_CONDITION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum sd_cond_op { SD_OP_EQ, SD_OP_NE, SD_OP_LT, SD_OP_LE, SD_OP_GT, SD_OP_GE };

struct sd_condition {
	char *path;              /* as written: nodes[hostname=worker-1].state or len(tasks) */
	enum sd_cond_op op;
	char *value;             /* as written, quotes removed */
	bool value_is_number;
	double number;
};

/* Parse "PATH OP VALUE". 0, or -1 with a message in ERR (no position). */
int sd_condition_parse(const char *text, struct sd_condition *cond, char *err, size_t errlen);
void sd_condition_free(struct sd_condition *cond);
/* The snapshot field the path starts from ("nodes" for nodes[hostname=x].state), into BUF. */
const char *sd_condition_root(const struct sd_condition *cond, char *buf, size_t size);
/* Evaluate against the snapshot's JSON tree. 1 holds, 0 does not (or the path finds nothing);
 * ACTUAL gets what the path found ("(none)" if nothing), for reports. */
int sd_condition_eval(const struct sd_condition *cond, const json_t *root, char *actual,
		      size_t actual_len);

/* "30s", "2m", "500ms", "1.5" (seconds) -> seconds; -1 if malformed. */
double sd_parse_duration(const char *text);

#endif
