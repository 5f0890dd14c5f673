/* do.h - `swarmdeck --do ACTION [TARGET] [VALUE]`: one registry action without the screen
 * (see do.c for the contract). */
#ifndef SD_TUI_DO_H
#define SD_TUI_DO_H

#include "conf/config.h"

#include <stdbool.h>

struct sd_core;

struct do_options {
	const char *action, *target, *value;
	bool yes, json;
	const char *confirm;         /* --confirm NAME: the typed-name confirmation */
};

/* Run O's action on CORE (started here: pollers, then the action workers) and print one
 * result line. The exit status: 0 done, 1 refused or failed, 2 usage. */
int do_action(struct sd_core *core, const struct sd_config *config, const struct do_options *o);

#endif
