/* term.h - the terminal: ncurses setup (or an off-screen terminal for headless playback),
 * theme colours as attributes, key codes in the keymaps' terms, and clipped UTF-8 output.
 * Knows nothing of panes or the console's state: everything it draws is handed to it. */
#ifndef SD_TERM_H
#define SD_TERM_H

#include "conf/config.h"
#include "conf/theme.h"

#include <stdbool.h>

/* Start curses (HEADLESS: into /dev/null); *UTF8 and *COLOR say what the terminal takes.
 * 0, or -1 when no terminal could be set up. */
int term_start(bool headless, const struct sd_theme *theme, bool *utf8, bool *color);
void term_stop(void);
int term_read_key(int timeout_ms);          /* keys.h code, SD_KEY_NONE on timeout */
int term_attr(enum sd_color_role role);     /* attributes for a colour role */
void term_put(int y, int x, const char *utf8, int width, int attr); /* clipped, padded */
int text_width(const char *utf8);           /* terminal columns of a UTF-8 string */
const char *term_line(bool utf8);           /* a horizontal line: "─" or "-" */
/* The screen as UTF-8 text, one line per row, trailing blanks cut (malloc'ed). */
char *term_screen_text(void);

#endif
