/* term.c - the terminal: ncurses (wide) setup, headless off-screen terminal, theme colours,
 * key codes, and clipped UTF-8 output. */
#include "term.h"
#include "conf/theme.h"
#include "conf/keys.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static SCREEN *screen;
static FILE *null_out, *null_in;
static int role_attr[SD_ROLE_COUNT];
static bool started;

/* "#rrggbb" colours given palette slots of their own (init_color), from the top of the
 * palette down; one slot per distinct colour. */
static struct {
	int rgb;
	short slot;
} rgb_slots[2 * SD_ROLE_COUNT];
static int rgb_count, rgb_next_slot;

/* Does the theme name palette entry N by number? Such an entry is never redefined. */
static bool theme_uses_entry(const struct sd_theme *theme, int n)
{
	for (int r = 0; r < SD_ROLE_COUNT; r++)
		if (theme->styles[r].fg == n || theme->styles[r].bg == n)
			return true;
	return false;
}

/* A slot set to RGB, or -1 when the terminal cannot change colours or none is left. The
 * 16 basic colours (8 on a 16-colour terminal) are never touched; ncurses gives the
 * terminal its own palette back at endwin. */
static short rgb_slot(const struct sd_theme *theme, int rgb)
{
	for (int i = 0; i < rgb_count; i++)
		if (rgb_slots[i].rgb == rgb)
			return rgb_slots[i].slot;
	if (!can_change_color() || COLORS < 16 ||
	    rgb_count >= (int)(sizeof(rgb_slots) / sizeof(rgb_slots[0])))
		return -1;
	int lowest = COLORS >= 256 ? 16 : 8;
	while (rgb_next_slot >= lowest && theme_uses_entry(theme, rgb_next_slot))
		rgb_next_slot--;
	if (rgb_next_slot < lowest)
		return -1;
	/* ncurses counts 0..1000 per channel */
	int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	short slot = (short)rgb_next_slot;
	if (init_color(slot, (short)((r * 1000 + 127) / 255), (short)((g * 1000 + 127) / 255),
		       (short)((b * 1000 + 127) / 255)) == ERR)
		return -1;
	rgb_next_slot--;
	rgb_slots[rgb_count].rgb = rgb;
	rgb_slots[rgb_count++].slot = slot;
	return slot;
}

static short color_number(const struct sd_theme *theme, int color)
{
	if (color == SD_COLOR_DEFAULT)
		return -1;
	if (color & SD_COLOR_RGB) {
		int rgb = color & 0xffffff;
		short slot = rgb_slot(theme, rgb);
		if (slot >= 0)
			return slot;
		/* nearest of the 6x6x6 cube when the terminal cannot take #rrggbb */
		int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
		int n = 16 + 36 * (r * 5 / 255) + 6 * (g * 5 / 255) + (b * 5 / 255);
		if (COLORS < 256)
			n = (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0);
		return (short)n;
	}
	if (color >= COLORS)
		return (short)(color % 8);
	return (short)color;
}

static int style_attr(const struct sd_style *s)
{
	return (s->bold ? A_BOLD : 0) | (s->underline ? A_UNDERLINE : 0) |
	       (s->reverse ? A_REVERSE : 0) | (s->dim ? A_DIM : 0);
}

/* Role attributes. Without colours (no colour terminal, NO_COLOR) a role whose look rests
 * on a colour takes the monochrome theme's attributes too, so the screen reads as the
 * monochrome theme does; the cursor is always at least reverse video. */
static void setup_colors(const struct sd_theme *theme, bool color)
{
	struct sd_theme mono;
	struct sd_error err;
	bool have_mono = !color && sd_theme_load("monochrome", &mono, &err) == 0;
	rgb_count = 0;
	rgb_next_slot = (COLORS > 256 ? 256 : COLORS) - 1;
	for (int r = 0; r < SD_ROLE_COUNT; r++) {
		const struct sd_style *s = &theme->styles[r];
		int attr = style_attr(s);
		bool colored = s->fg != SD_COLOR_DEFAULT || s->bg != SD_COLOR_DEFAULT;
		if (color && colored && r + 1 < COLOR_PAIRS) {
			/* fg before bg: slots go to colours in the theme's order */
			short fg = color_number(theme, s->fg);
			short bg = color_number(theme, s->bg);
			init_pair((short)(r + 1), fg, bg);
			attr |= (int)COLOR_PAIR(r + 1);
		} else if (!color && colored && have_mono) {
			attr |= style_attr(&mono.styles[r]);
		}
		role_attr[r] = attr;
	}
	if (have_mono)
		sd_theme_free(&mono);
	if (!color) /* the cursor must stay visible without colours */
		role_attr[SD_ROLE_CURSOR] |= A_REVERSE;
}

int term_start(bool headless, const struct sd_theme *theme, bool *utf8, bool *color)
{
	setlocale(LC_ALL, "");
	*utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (headless) {
		null_out = fopen("/dev/null", "w");
		null_in = fopen("/dev/null", "r");
		if (!null_out || !null_in)
			return -1;
		const char *term = getenv("TERM");
		screen = newterm(term && *term ? term : "xterm-256color", null_out, null_in);
		if (!screen)
			screen = newterm("vt100", null_out, null_in);
		if (!screen)
			return -1;
		set_term(screen);
	} else {
		if (!initscr())
			return -1;
	}
	started = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	*color = has_colors() && !getenv("NO_COLOR");
	if (*color) {
		start_color();
		use_default_colors();
	}
	setup_colors(theme, *color);
	return 0;
}

void term_stop(void)
{
	if (!started)
		return;
	started = false;
	endwin();
	if (screen) {
		delscreen(screen);
		screen = NULL;
	}
	if (null_out)
		fclose(null_out);
	if (null_in)
		fclose(null_in);
	null_out = null_in = NULL;
}

const char *term_line(bool utf8) { return utf8 ? "─" : "-"; }

int term_attr(enum sd_color_role role)
{
	return (unsigned)role < SD_ROLE_COUNT ? role_attr[role] : 0;
}

static int map_key(int ch, bool function)
{
	if (!function) {
		switch (ch) {
		case '\r': case '\n': return SD_KEY_ENTER;
		case 27: return SD_KEY_ESC;
		case '\t': return SD_KEY_TAB;
		case ' ': return SD_KEY_SPACE;
		case 127: case 8: return SD_KEY_BACKSPACE;
		}
		if (ch >= 1 && ch <= 26)
			return SD_KEY_CTRL + 'a' + ch - 1;
		return ch;
	}
	switch (ch) {
	case KEY_UP: return SD_KEY_UP;
	case KEY_DOWN: return SD_KEY_DOWN;
	case KEY_LEFT: return SD_KEY_LEFT;
	case KEY_RIGHT: return SD_KEY_RIGHT;
	case KEY_PPAGE: return SD_KEY_PPAGE;
	case KEY_NPAGE: return SD_KEY_NPAGE;
	case KEY_HOME: return SD_KEY_HOME;
	case KEY_END: return SD_KEY_END;
	case KEY_BTAB: return SD_KEY_BTAB;
	case KEY_ENTER: return SD_KEY_ENTER;
	case KEY_BACKSPACE: return SD_KEY_BACKSPACE;
	case KEY_DC: return SD_KEY_DELETE;
	case KEY_RESIZE: return SD_KEY_RESIZE;
	}
	if (ch >= KEY_F(1) && ch <= KEY_F(12))
		return SD_KEY_F0 + ch - KEY_F0;
	return SD_KEY_NONE;
}

int term_read_key(int timeout_ms)
{
	wtimeout(stdscr, timeout_ms);
	wint_t ch;
	int rc = wget_wch(stdscr, &ch);
	if (rc == ERR)
		return SD_KEY_NONE;
	return map_key((int)ch, rc == KEY_CODE_YES);
}

int text_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	int width = 0;
	while (*s) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			s++;
			width++;
			continue;
		}
		int w = wcwidth(wc);
		width += w > 0 ? w : 0;
		s += n;
	}
	return width;
}

/* N cells of printable ASCII from S (NULL: blanks) at the cursor, which moves past them:
 * cells copied as they are, with no conversion nor width to look up. */
static void put_ascii(const char *s, int n, int attr)
{
	chtype cells[256];
	while (n > 0) {
		int k = n < 256 ? n : 256;
		for (int i = 0; i < k; i++)
			cells[i] = (chtype)(unsigned char)(s ? s[i] : ' ') | (chtype)attr;
		int y, x;
		getyx(stdscr, y, x);
		waddchnstr(stdscr, cells, k);
		wmove(stdscr, y, x + k);
		if (s)
			s += k;
		n -= k;
	}
}

void term_put(int y, int x, const char *s, int width, int attr)
{
	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	wattrset(stdscr, attr);
	wmove(stdscr, y, x);
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	int used = 0;
	while (*s && used < width) {
		/* a run of printable ASCII goes in whole, the rest one character at a time */
		int run = 0;
		while (used + run < width && s[run] >= 32 && s[run] < 127)
			run++;
		if (run) {
			put_ascii(s, run, attr);
			used += run;
			s += run;
			continue;
		}
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&st, 0, sizeof(st));
			wc = L'?';
			n = 1;
		}
		if (wc == L'\n' || wc == L'\t' || wc < 32)
			wc = L' ';
		int w = wcwidth(wc);
		if (w < 0)
			w = 1, wc = L'?';
		if (used + w > width)
			break;
		/* the last column of a clipped cell shows an ellipsis */
		cchar_t cc;
		wchar_t str[2] = {wc, 0};
		setcchar(&cc, str, 0, 0, NULL);
		wadd_wch(stdscr, &cc);
		used += w;
		s += n;
	}
	put_ascii(NULL, width - used, attr);
	wattrset(stdscr, A_NORMAL);
}

char *term_screen_text(void)
{
	size_t cap = (size_t)(LINES * (COLS * 4 + 1) + 1), len = 0;
	char *out = xmalloc(cap);
	wchar_t *line = xmalloc(((size_t)COLS + 1) * sizeof(wchar_t));
	for (int y = 0; y < LINES; y++) {
		int n = mvwinnwstr(stdscr, y, 0, line, COLS);
		if (n < 0)
			n = 0;
		line[n] = 0;
		/* trailing blanks are not content */
		while (n > 0 && line[n - 1] == L' ')
			line[--n] = 0;
		for (int i = 0; i < n; i++) {
			char mb[8];
			mbstate_t st;
			memset(&st, 0, sizeof(st));
			size_t k = wcrtomb(mb, line[i], &st);
			if (k == (size_t)-1)
				mb[0] = '?', k = 1;
			memcpy(out + len, mb, k);
			len += k;
		}
		out[len++] = '\n';
	}
	out[len] = '\0';
	free(line);
	return out;
}
