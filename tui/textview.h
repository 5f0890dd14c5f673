/* textview.h - the full-screen text view the logs and inspect views share: a numbered run of
 * lines read from a source (a log ring, a fixed text), scrolled by line number so it stays
 * put while old lines leave, follow (stick to the newest), wrap, timestamps, a search with
 * the matches highlighted and n/N, a filter that keeps only matching lines (both regular
 * expressions, case-insensitive), and saving what is held to a file. Keys come from the
 * keymap's logs scope, then generic (cursor and page keys, back). Draws with term.h only. */
#ifndef SD_TEXTVIEW_H
#define SD_TEXTVIEW_H

#include "conf/keymap.h"
#include "conf/theme.h"

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textview_line {
	const char *time;        /* shown with timestamps on; "" or NULL: none */
	const char *source;      /* prefix ("task@node | "); NULL: none */
	const char *text;
	enum sd_color_role role; /* the line's colour */
	bool stderr_line;        /* marked "[stderr]" */
};

/* Where the lines come from. Lines are numbered FIRST .. END-1; GET is called only between
 * LOCK and UNLOCK and its strings are valid until the unlock. */
struct textview_source {
	void (*lock)(void *user);
	void (*unlock)(void *user);
	void (*range)(void *user, uint64_t *first, uint64_t *end);
	bool (*get)(void *user, uint64_t seq, struct textview_line *out);
	/* one line of state for the title bar ("following, 2 streams"); may be NULL */
	void (*state)(void *user, char *buf, size_t size);
	/* follow turned on or off (a log source stops reading meanwhile); may be NULL */
	void (*follow)(void *user, bool on);
	void (*close)(void *user);   /* frees USER */
	void *user;
};

enum textview_input { TV_INPUT_NONE, TV_INPUT_SEARCH, TV_INPUT_FILTER };

struct textview {
	struct textview_source src;
	char title[256];
	bool follow, wrap, timestamps, is_log;
	uint64_t top;            /* number of the first line shown (when not following) */
	char search[128], filter[128];
	regex_t search_re, filter_re;
	bool has_search, has_filter;
	uint64_t *kept;          /* with a filter: the numbers of the lines that match */
	size_t nkept, capkept;
	uint64_t scanned;        /* the filter has looked at the lines before this one */
	enum textview_input input;
	char typed[128];
	char note[2400];          /* the outcome of the last key (saved to ..., no match) */
	char save_dir[512];
	uint64_t shown_first;    /* the first line on screen at the last draw */
	uint64_t drawn_end;      /* END at the last draw: new lines mean a redraw */
	int height;
};

/* A view over SRC (owned from here on: closed by textview_free). */
struct textview *textview_new(const struct textview_source *src, const char *title, bool is_log,
			      const char *save_dir);
void textview_free(struct textview *tv);
/* Draw into rows TOP .. TOP+HEIGHT-1 (title bar first, status line last). */
void textview_draw(struct textview *tv, int top, int height, bool utf8);
/* True when new lines arrived since the last draw. */
bool textview_changed(struct textview *tv);
enum textview_result {
	TV_HANDLED,              /* the view took the key */
	TV_CLOSE,                /* quit, or back with nothing left to undo: close the view */
	TV_PASS,                 /* for the console: help, refresh, screen.save (in *PASS) */
};
/* One key. Other keys (a pane's actions among them) are ignored. */
enum textview_result textview_key(struct textview *tv, const struct sd_keymap *keymap, int key,
				  const struct sd_action **pass);
/* True when a held line (as shown: prefix and text) numbered *FROM or later matches RE;
 * *FROM then moves past the lines looked at, so a caller that asks again looks only at new
 * lines (start it at 0). */
bool textview_holds(struct textview *tv, const regex_t *re, uint64_t *from);
/* Write the lines held (filtered, as shown) to PATH. 0, or -1 with ERR. */
int textview_save(struct textview *tv, const char *path, char *err, size_t errlen);

#endif
