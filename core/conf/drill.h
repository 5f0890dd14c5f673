/* drill.h - drill files (YAML): steps of key playback and waits on snapshot conditions.
 * The whole file is checked before anything is played; errors name file, line and column. */
#ifndef SD_DRILL_H
#define SD_DRILL_H

#include "conf/yamltree.h"
#include "base/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum sd_step_kind {
	SD_STEP_KEYS, SD_STEP_CONFIRM, SD_STEP_UNTIL, SD_STEP_EXPECT_SCREEN, SD_STEP_SAVE_SCREEN,
	SD_STEP_EXEC, SD_STEP_WAIT
};

enum sd_cond_op { SD_OP_EQ, SD_OP_NE, SD_OP_LT, SD_OP_LE, SD_OP_GT, SD_OP_GE };

struct sd_condition {
	char *path;              /* as written: nodes[hostname=worker-1].state or len(tasks) */
	enum sd_cond_op op;
	char *value;             /* as written, quotes removed */
	bool value_is_number;
	double number;
};

struct sd_step {
	enum sd_step_kind kind;
	int line, column;
	char *text;              /* keys, confirm text, regex, file, command or condition text */
	int *keys;               /* keys: parsed codes */
	size_t nkeys;
	struct sd_condition cond;/* until */
	double timeout;          /* seconds; default 30 for until, 10 for expect_screen, 60 for
	                            exec, 0 (not given) for the others; wait: how long it waits */
	char *mark;              /* NULL or the mark name */
};

struct sd_drill {
	char *file;
	char *name, *description;
	double target_rto;       /* seconds, 0 when none */
	struct sd_step *steps;
	size_t nsteps;
	bool has_exec;
};

int sd_drill_load(const char *path, struct sd_drill *drill, struct sd_error *err);
void sd_drill_free(struct sd_drill *drill);

/* Parse "PATH OP VALUE". 0, or -1 with a message in ERR (no position). */
int sd_condition_parse(const char *text, struct sd_condition *cond, char *err, size_t errlen);
void sd_condition_free(struct sd_condition *cond);
/* Evaluate against the snapshot's JSON tree. 1 holds, 0 does not (or the path finds nothing);
 * ACTUAL gets what the path found ("(none)" if nothing), for reports. */
int sd_condition_eval(const struct sd_condition *cond, const json_t *root, char *actual,
		      size_t actual_len);

/* "30s", "2m", "500ms", "1.5" (seconds) -> seconds; -1 if malformed. */
double sd_parse_duration(const char *text);

#endif
