/* paths.h - the folders swarmdeck reads from and writes to, apart from the config file itself
 * (config.h): the installed data folder, the user's own themes and keymaps, and the state
 * folder where the audit log and whatever else the console keeps between runs go.
 *
 * Contract: nothing here needs root or an installed file. The data folder is fixed at build
 * time (PREFIX/share/swarmdeck) and only ever read; the built-ins are compiled in, so a bare
 * binary runs. State goes under $XDG_STATE_HOME/swarmdeck (an absolute path), else
 * ~/.local/state/swarmdeck, and is created on first write by whoever writes it, mode 0700. */
#ifndef SD_CONF_PATHS_H
#define SD_CONF_PATHS_H

#include <stdbool.h>

/* The user's home: $HOME, else the password database's (malloc'ed), NULL when neither. */
char *conf_home_directory(void);
/* $VAR/swarmdeck/NAME when VAR is an absolute path, else ~/FALLBACK/swarmdeck/NAME
 * (malloc'ed): the XDG folders' rule. */
char *conf_xdg_path(const char *var, const char *fallback, const char *name);

/* PREFIX/share/swarmdeck, as built: its themes/, keymaps/ and drills/ folders. Static. */
const char *sd_data_dir(void);

/* $XDG_STATE_HOME/swarmdeck/NAME, else ~/.local/state/swarmdeck/NAME (malloc'ed): "audit.log",
 * a history file. The folder is not created here. */
char *sd_state_path(const char *name);
/* mkdir -p of the folder PATH (a file's path) is in, each folder made mode 0700. 0, or -1
 * with errno when a folder could not be made (one that exists is fine). */
int sd_make_parents(const char *path);

/* Where a named theme or keymap (FOLDER "themes" or "keymaps") is read from, the first found:
 * $XDG_CONFIG_HOME/swarmdeck/FOLDER/NAME.yaml (else ~/.config/...: a user's own, which may
 * replace a built-in), the compiled-in file (*BUILTIN set, NULL returned), then
 * DATADIR/FOLDER/NAME.yaml (a site's additions; the shipped files there are copies of the
 * built-ins, which win, so an installed copy older than the binary is never read instead).
 * The path (malloc'ed), or NULL when built in or found nowhere. */
char *sd_named_file(const char *folder, const char *name, const char *datadir, bool *builtin);

#endif
