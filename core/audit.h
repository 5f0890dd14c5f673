/* audit.h - the audit log: one JSON line per mutating action requested, allowed or refused,
 * and per step an action takes through the registry (a restore's scales, with "part_of"). */
#ifndef SD_AUDIT_H
#define SD_AUDIT_H

#include "actions.h"

/* Append one line to PATH (directories made as needed), flushed to disk. RESULT is ok,
 * failed or refused. 0, or -1 with errno. */
int sd_audit_append(const char *path, const struct sd_request *req, const char *result);

/* $XDG_STATE_HOME/swarmdeck/audit.log, else ~/.local/state/swarmdeck/audit.log (malloc'ed). */
char *sd_audit_default_path(void);

#endif
