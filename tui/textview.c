/* textview.c - the shared full-screen text view (see textview.h). With a filter the numbers of
 * the matching lines are kept in a list extended by the lines that arrived since the last
 * look and cut below the oldest held, so a filter costs one match per new line, not one per
 * line per frame. */
#include "textview.h"
#include "actions.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "conf/keys.h"
#include "term.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_BUF (16384 + 512)

struct textview *textview_new(const struct textview_source *src, const char *title, bool is_log,
			      const char *save_dir)
{
	struct textview *tv = xcalloc(1, sizeof(*tv));
	tv->src = *src;
	sd_strlcpy(tv->title, title, sizeof(tv->title));
	tv->is_log = is_log;
	tv->follow = is_log;
	sd_strlcpy(tv->save_dir, save_dir && *save_dir ? save_dir : ".", sizeof(tv->save_dir));
	return tv;
}

void textview_free(struct textview *tv)
{
	if (!tv)
		return;
	if (tv->src.close)
		tv->src.close(tv->src.user);
	if (tv->has_search)
		regfree(&tv->search_re);
	if (tv->has_filter)
		regfree(&tv->filter_re);
	free(tv->kept);
	free(tv);
}

/* The line as shown: [time ]source | [stderr] text */
static const char *format_line(const struct textview *tv, const struct textview_line *l,
			       char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s%s", tv->timestamps && l->time && *l->time ? l->time : "",
		 tv->timestamps && l->time && *l->time ? " " : "", l->source ? l->source : "",
		 l->source ? " | " : "", l->stderr_line ? "[stderr] " : "", l->text ? l->text : "");
	return buf;
}

/* Under the source's lock: bring the filter's list up to date. */
static void refresh_kept(struct textview *tv, uint64_t first, uint64_t end)
{
	if (!tv->has_filter)
		return;
	size_t drop = 0;
	while (drop < tv->nkept && tv->kept[drop] < first)
		drop++;
	if (drop) {
		memmove(tv->kept, tv->kept + drop, (tv->nkept - drop) * sizeof(*tv->kept));
		tv->nkept -= drop;
	}
	static char buf[LINE_BUF];
	for (uint64_t s = tv->scanned > first ? tv->scanned : first; s < end; s++) {
		struct textview_line l;
		if (!tv->src.get(tv->src.user, s, &l))
			continue;
		if (regexec(&tv->filter_re, format_line(tv, &l, buf, sizeof(buf)), 0, NULL, 0) != 0)
			continue;
		if (tv->nkept == tv->capkept) {
			tv->capkept = tv->capkept ? tv->capkept * 2 : 256;
			tv->kept = xrealloc(tv->kept, tv->capkept * sizeof(*tv->kept));
		}
		tv->kept[tv->nkept++] = s;
	}
	tv->scanned = end;
}

static size_t vcount(const struct textview *tv, uint64_t first, uint64_t end)
{
	return tv->has_filter ? tv->nkept : (size_t)(end - first);
}

static uint64_t vseq(const struct textview *tv, size_t i, uint64_t first)
{
	return tv->has_filter ? tv->kept[i] : first + i;
}

/* The index of the first visible line numbered SEQ or later. */
static size_t vindex(const struct textview *tv, uint64_t seq, uint64_t first, uint64_t end)
{
	if (!tv->has_filter)
		return seq <= first ? 0 : seq >= end ? (size_t)(end - first) : (size_t)(seq - first);
	size_t lo = 0, hi = tv->nkept;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (tv->kept[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Bytes of S that fit in COLS columns (one column per character). */
static size_t fit(const char *s, int cols)
{
	size_t i = 0;
	for (int c = 0; s[i] && c < cols; c++) {
		size_t used = 1;
		if (sd_utf8_decode((const unsigned char *)s + i, strlen(s + i), &used) < 0)
			used = 1;
		i += used;
	}
	return i;
}

static int rows_of(const struct textview *tv, const char *text, int cols)
{
	if (!tv->wrap || cols <= 0)
		return 1;
	size_t n = sd_utf8_length(text);
	return n == 0 ? 1 : (int)((n + (size_t)cols - 1) / (size_t)cols);
}

/* One piece of a line at row Y: the text, then the search's matches over it reversed. */
static void draw_piece(struct textview *tv, int y, const char *line, size_t from, size_t to,
		       int attr)
{
	char piece[LINE_BUF];
	size_t n = to - from < sizeof(piece) - 1 ? to - from : sizeof(piece) - 1;
	memcpy(piece, line + from, n);
	piece[n] = '\0';
	term_put(y, 0, piece, COLS, attr);
	if (!tv->has_search)
		return;
	regmatch_t m;
	size_t off = 0;
	while (off <= strlen(line) && regexec(&tv->search_re, line + off, 1, &m, off ? REG_NOTBOL : 0) == 0) {
		size_t so = off + (size_t)m.rm_so, eo = off + (size_t)m.rm_eo;
		if (eo == so) {
			off = eo + 1;
			continue;
		}
		if (eo > from && so < to) {
			size_t a = so > from ? so : from, b = eo < to ? eo : to;
			char hit[LINE_BUF];
			memcpy(hit, line + a, b - a);
			hit[b - a] = '\0';
			int x = (int)sd_utf8_count(line + from, a - from);
			term_put(y, x, hit, (int)sd_utf8_length(hit), attr | (int)A_REVERSE);
		}
		off = eo;
	}
}

void textview_draw(struct textview *tv, int top, int height, bool utf8)
{
	(void)utf8;
	static char buf[LINE_BUF];
	int body = height - 2;
	tv->height = body;
	uint64_t first, end;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	refresh_kept(tv, first, end);
	size_t count = vcount(tv, first, end);
	size_t start;
	if (tv->follow) {
		/* from the newest back, as many as fill the rows */
		start = count;
		int used = 0;
		while (start > 0) {
			struct textview_line l;
			if (!tv->src.get(tv->src.user, vseq(tv, start - 1, first), &l))
				break;
			int r = rows_of(tv, format_line(tv, &l, buf, sizeof(buf)), COLS);
			if (used + r > body)
				break;
			used += r;
			start--;
		}
	} else {
		start = vindex(tv, tv->top, first, end);
		if (start >= count && count > 0)
			start = count - 1;
	}
	tv->shown_first = start < count ? vseq(tv, start, first) : end;
	int y = top + 1;
	for (size_t i = start; i < count && y < top + 1 + body; i++) {
		struct textview_line l;
		if (!tv->src.get(tv->src.user, vseq(tv, i, first), &l))
			continue;
		const char *line = format_line(tv, &l, buf, sizeof(buf));
		int attr = term_attr(l.stderr_line ? SD_ROLE_WARNING : l.role);
		size_t len = strlen(line), from = 0;
		do {
			size_t to = tv->wrap ? from + fit(line + from, COLS) : len;
			draw_piece(tv, y++, line, from, to, attr);
			from = to;
		} while (tv->wrap && from < len && y < top + 1 + body);
	}
	char state[256] = "";
	if (tv->src.state)
		tv->src.state(tv->src.user, state, sizeof(state));
	tv->src.unlock(tv->src.user);
	for (; y < top + 1 + body; y++)
		term_put(y, 0, "", COLS, term_attr(SD_ROLE_DEFAULT));
	tv->drawn_end = end;

	char title[1024];
	snprintf(title, sizeof(title), " %s  %s%s%s%s%s%s%s%s  %zu line%s", tv->title, state,
		 tv->is_log ? (tv->follow ? "  [follow]" : "  [paused]") : "",
		 tv->wrap ? "  [wrap]" : "", tv->timestamps ? "  [timestamps]" : "",
		 tv->has_filter ? "  filter &" : "", tv->has_filter ? tv->filter : "",
		 tv->has_search ? "  search /" : "", tv->has_search ? tv->search : "", count,
		 count == 1 ? "" : "s");
	term_put(top, 0, title, COLS, term_attr(SD_ROLE_TITLE_FOCUS) | (int)A_BOLD);
	char status[2600];
	if (tv->input != TV_INPUT_NONE)
		snprintf(status, sizeof(status), "%s%s", tv->input == TV_INPUT_SEARCH ? "/" : "&",
			 tv->typed);
	else if (*tv->note)
		snprintf(status, sizeof(status), "%s", tv->note);
	else
		snprintf(status, sizeof(status), "%s", tv->is_log
			 ? "f follow  w wrap  t timestamps  / search  n/N next/prev  & filter  s save  Esc back"
			 : "/ search  n/N next/prev  & filter  w wrap  s save  Esc back");
	term_put(top + height - 1, 0, status, COLS, term_attr(SD_ROLE_STATUS));
}

bool textview_changed(struct textview *tv)
{
	uint64_t first, end;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	tv->src.unlock(tv->src.user);
	return end != tv->drawn_end;
}

static int compile(regex_t *re, const char *text, char *note, size_t size)
{
	int rc = regcomp(re, text, REG_EXTENDED | REG_ICASE | REG_NEWLINE);
	if (rc != 0) {
		char msg[256];
		regerror(rc, re, msg, sizeof(msg));
		snprintf(note, size, "bad regular expression /%s/: %s", text, msg);
		return -1;
	}
	return 0;
}

/* Move to the next (DIR 1) or previous (-1) line matching the search. */
static void find(struct textview *tv, int dir)
{
	static char buf[LINE_BUF];
	if (!tv->has_search) {
		snprintf(tv->note, sizeof(tv->note), "no search: / first");
		return;
	}
	uint64_t first, end;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	refresh_kept(tv, first, end);
	size_t count = vcount(tv, first, end);
	size_t at = vindex(tv, tv->shown_first, first, end);
	bool found = false;
	for (size_t k = 1; k <= count && !found; k++) {
		size_t i = dir > 0 ? (at + k) % count : (at + count - k % count) % count;
		struct textview_line l;
		if (!tv->src.get(tv->src.user, vseq(tv, i, first), &l))
			continue;
		if (regexec(&tv->search_re, format_line(tv, &l, buf, sizeof(buf)), 0, NULL, 0) == 0) {
			tv->top = vseq(tv, i, first);
			found = true;
		}
	}
	tv->src.unlock(tv->src.user);
	if (found)
		tv->follow = false;
	else
		snprintf(tv->note, sizeof(tv->note), "no line matches /%s/", tv->search);
}

static void apply_input(struct textview *tv)
{
	if (tv->input == TV_INPUT_SEARCH) {
		if (tv->has_search)
			regfree(&tv->search_re);
		tv->has_search = false;
		if (*tv->typed && compile(&tv->search_re, tv->typed, tv->note, sizeof(tv->note)) == 0) {
			tv->has_search = true;
			sd_strlcpy(tv->search, tv->typed, sizeof(tv->search));
			/* the search starts from the newest line back, as less does from the end */
			if (tv->follow) {
				tv->shown_first = UINT64_MAX;
				find(tv, -1);
			} else {
				find(tv, 1);
			}
		}
	} else {
		if (tv->has_filter)
			regfree(&tv->filter_re);
		tv->has_filter = false;
		tv->nkept = 0;
		tv->scanned = 0;
		if (*tv->typed && compile(&tv->filter_re, tv->typed, tv->note, sizeof(tv->note)) == 0) {
			tv->has_filter = true;
			sd_strlcpy(tv->filter, tv->typed, sizeof(tv->filter));
		}
	}
	tv->input = TV_INPUT_NONE;
}

static void type_key(struct textview *tv, int key)
{
	size_t len = strlen(tv->typed);
	if (key == SD_KEY_ESC) {
		tv->input = TV_INPUT_NONE;
	} else if (key == SD_KEY_ENTER) {
		apply_input(tv);
	} else if (key == SD_KEY_BACKSPACE || key == SD_KEY_CTRL + 'h') {
		tv->typed[sd_utf8_prev(tv->typed, len)] = '\0';
	} else if (key == SD_KEY_CTRL + 'u') {
		tv->typed[0] = '\0';
	} else {
		if (key == SD_KEY_SPACE)
			key = ' ';
		if (key < 32 || key >= SD_KEY_BASE)
			return;
		char mb[8];
		size_t n = sd_utf8_encode((unsigned)key, mb);
		if (len + n < sizeof(tv->typed)) {
			memcpy(tv->typed + len, mb, n);
			tv->typed[len + n] = '\0';
		}
	}
}

/* Scroll by DELTA visible lines (follow off). */
static void scroll_by(struct textview *tv, long delta)
{
	uint64_t first, end;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	refresh_kept(tv, first, end);
	size_t count = vcount(tv, first, end);
	long at = (long)vindex(tv, tv->shown_first, first, end) + delta;
	long last = (long)count - (tv->height > 0 ? tv->height : 1);
	if (at < 0)
		at = 0;
	if (tv->is_log && delta > 0 && at >= last) {
		tv->follow = true;   /* down past the newest: follow again */
	} else if (count > 0) {
		if (at >= (long)count)
			at = (long)count - 1;
		tv->top = vseq(tv, (size_t)at, first);
		tv->follow = false;
	}
	tv->src.unlock(tv->src.user);
}

int textview_save(struct textview *tv, const char *path, char *err, size_t errlen)
{
	static char buf[LINE_BUF];
	FILE *f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	uint64_t first, end;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	refresh_kept(tv, first, end);
	size_t count = vcount(tv, first, end);
	for (size_t i = 0; i < count; i++) {
		struct textview_line l;
		if (tv->src.get(tv->src.user, vseq(tv, i, first), &l))
			fprintf(f, "%s\n", format_line(tv, &l, buf, sizeof(buf)));
	}
	tv->src.unlock(tv->src.user);
	if (fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

bool textview_holds(struct textview *tv, const regex_t *re, uint64_t *from)
{
	static char buf[LINE_BUF];
	uint64_t first, end, s;
	bool found = false;
	tv->src.lock(tv->src.user);
	tv->src.range(tv->src.user, &first, &end);
	for (s = *from > first ? *from : first; s < end && !found; s++) {
		struct textview_line l;
		if (tv->src.get(tv->src.user, s, &l))
			found = regexec(re, format_line(tv, &l, buf, sizeof(buf)), 0, NULL, 0) == 0;
	}
	tv->src.unlock(tv->src.user);
	*from = s;
	return found;
}

static void save(struct textview *tv)
{
	char path[1024], err[1200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof(path), "%s/swarmdeck-%s-%s.txt", tv->save_dir,
		 tv->is_log ? "logs" : "inspect", stamp);
	if (textview_save(tv, path, err, sizeof(err)) == 0)
		snprintf(tv->note, sizeof(tv->note), "saved to %s", path);
	else
		snprintf(tv->note, sizeof(tv->note), "not saved: %s", err);
}

enum textview_result textview_key(struct textview *tv, const struct sd_keymap *keymap, int key,
				  const struct sd_action **pass)
{
	if (tv->input != TV_INPUT_NONE) {
		type_key(tv, key);
		return TV_HANDLED;
	}
	tv->note[0] = '\0';
	const struct sd_action *a = sd_keymap_lookup(keymap, SD_SCOPE_LOGS, key);
	if (!a)
		return TV_HANDLED;
	long page = tv->height > 1 ? tv->height - 1 : 1;
	switch (a->id) {
	case SD_ACTION_CURSOR_UP: scroll_by(tv, -1); break;
	case SD_ACTION_CURSOR_DOWN: scroll_by(tv, 1); break;
	case SD_ACTION_PAGE_UP: scroll_by(tv, -page); break;
	case SD_ACTION_PAGE_DOWN: scroll_by(tv, page); break;
	case SD_ACTION_CURSOR_TOP:
		tv->follow = false;
		tv->top = 0;
		break;
	case SD_ACTION_CURSOR_BOTTOM:
		if (tv->is_log)
			tv->follow = true;
		else
			scroll_by(tv, 1L << 30);
		break;
	case SD_ACTION_LOGS_FOLLOW:
		if (tv->follow)
			tv->top = tv->shown_first;
		tv->follow = !tv->follow;
		if (tv->src.follow)
			tv->src.follow(tv->src.user, tv->follow);
		break;
	case SD_ACTION_LOGS_WRAP: tv->wrap = !tv->wrap; break;
	case SD_ACTION_LOGS_TIMESTAMPS: tv->timestamps = !tv->timestamps; break;
	case SD_ACTION_LOGS_SEARCH:
	case SD_ACTION_FILTER:
		tv->input = TV_INPUT_SEARCH;
		tv->typed[0] = '\0';
		break;
	case SD_ACTION_LOGS_FILTER:
		tv->input = TV_INPUT_FILTER;
		tv->typed[0] = '\0';
		break;
	case SD_ACTION_LOGS_NEXT: find(tv, 1); break;
	case SD_ACTION_LOGS_PREV: find(tv, -1); break;
	case SD_ACTION_LOGS_SAVE: save(tv); break;
	case SD_ACTION_BACK:
		if (tv->has_filter) {
			regfree(&tv->filter_re);
			tv->has_filter = false;
			tv->filter[0] = '\0';
		} else if (tv->has_search) {
			regfree(&tv->search_re);
			tv->has_search = false;
			tv->search[0] = '\0';
		} else {
			return TV_CLOSE;
		}
		break;
	case SD_ACTION_QUIT:
		return TV_CLOSE;   /* as in less and tig: q leaves the view, not the console */
	case SD_ACTION_HELP:
	case SD_ACTION_SCREEN_SAVE:
	case SD_ACTION_REFRESH:
		*pass = a;
		return TV_PASS;
	default:
		break;
	}
	return TV_HANDLED;
}
