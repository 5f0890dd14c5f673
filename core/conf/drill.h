/* drill.h - drill files (YAML): steps of key playback and waits on snapshot conditions.
 * The whole file is checked before anything is played; errors name file, line and column. */
#ifndef SD_DRILL_H
#define SD_DRILL_H

#include "conf/condition.h"
#include "conf/yamltree.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

enum sd_step_kind {
	SD_STEP_KEYS, SD_STEP_CONFIRM, SD_STEP_UNTIL, SD_STEP_EXPECT_SCREEN, SD_STEP_SAVE_SCREEN,
	SD_STEP_EXEC, SD_STEP_WAIT,
	SD_STEP_EXPECT_LOG       /* a regex that a line held by the open logs view must match */
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

#endif
