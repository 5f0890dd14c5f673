/* table.c - the generic view every pane shares: filter, sort, cursor, scroll and drawing of
 * rows. Visible rows are rebuilt only when the snapshot, filter, sort or subject changed;
 * a frame draws just the rows on screen. It knows the console only as the opaque pointer it
 * hands to the pane's ops. */
#include "table.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "term.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sort_item {
	size_t index;
	char key[PANE_CELL];
	double number;
};

/* A filter "COLUMN:VALUE" whose COLUMN is a column's title (stack:iot-guardian): that
 * column's index, VALUE in *VALUE; else -1. */
static int column_filter(const struct pane_ops *ops, const char *filter, const char **value)
{
	const char *colon = strchr(filter, ':');
	if (!colon)
		return -1;
	size_t n = (size_t)(colon - filter);
	for (size_t c = 0; c < ops->ncolumns; c++)
		if (strlen(ops->columns[c].title) == n && !strncasecmp(ops->columns[c].title, filter, n)) {
			*value = colon + 1;
			return (int)c;
		}
	return -1;
}

/* FILTER in any cell or the key; "COLUMN:VALUE": that column is VALUE, case aside. */
static bool row_matches(const struct pane_row *row, const struct pane_ops *ops, const char *filter)
{
	size_t ncolumns = ops->ncolumns;
	const char *value;
	int column = column_filter(ops, filter, &value);
	if (column >= 0)
		return !strcasecmp(row->cells[column], value);
	for (size_t c = 0; c < ncolumns; c++)
		if (strcasestr(row->cells[c], filter))
			return true;
	return strcasestr(row->key, filter) != NULL;
}

static int compare_text(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);
	return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int compare_number(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	if (x->number != y->number)
		return x->number < y->number ? 1 : -1; /* biggest first */
	return (x->index > y->index) - (x->index < y->index);
}

void view_rebuild(const struct pane_env *env, struct pane_view *view)
{
	const struct pane_ops *ops = view->ops;
	char context[256] = "";
	if (ops->context)
		ops->context(env->ui, context, sizeof(context));
	if (view->built && view->built_generation == env->snap->generation &&
	    view->built_sort == view->sort_column && !strcmp(view->built_filter, view->filter) &&
	    !strcmp(view->built_context, context))
		return;
	size_t n = ops->count(env->ui, env->snap);
	if (view->cap < n + 1) {
		view->cap = n + 1;
		view->rows = xrealloc(view->rows, view->cap * sizeof(size_t));
	}
	struct sort_item *items = view->sort_column >= 0 ? xmalloc((n + 1) * sizeof(*items)) : NULL;
	struct pane_row *row = xmalloc(sizeof(*row));
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		if (!*view->filter && !items) {
			view->rows[count++] = i;
			continue;
		}
		memset(row, 0, sizeof(*row));
		ops->row(env->ui, env->snap, i, row);
		if (*view->filter && !row_matches(row, ops, view->filter))
			continue;
		if (items) {
			items[count].index = i;
			sd_strlcpy(items[count].key, row->cells[view->sort_column], PANE_CELL);
			items[count].number = strtod(row->cells[view->sort_column], NULL);
		}
		view->rows[count++] = i;
	}
	if (items) {
		bool numeric = ops->columns[view->sort_column].numeric;
		qsort(items, count, sizeof(*items), numeric ? compare_number : compare_text);
		for (size_t i = 0; i < count; i++)
			view->rows[i] = items[i].index;
		free(items);
	}
	view->nrows = count;
	/* put the cursor back on the selected row, or keep its position */
	size_t cursor = view->cursor < count ? view->cursor : (count ? count - 1 : 0);
	if (*view->selected) {
		for (size_t i = 0; i < count; i++) {
			memset(row, 0, sizeof(*row));
			ops->row(env->ui, env->snap, view->rows[i], row);
			if (!strcmp(row->key, view->selected)) {
				cursor = i;
				break;
			}
		}
	}
	/* the selection follows the row's identity across refreshes, not its position */
	view->selected[0] = '\0';
	if (cursor < count) {
		memset(row, 0, sizeof(*row));
		ops->row(env->ui, env->snap, view->rows[cursor], row);
		sd_strlcpy(view->selected, row->key, sizeof(view->selected));
	}
	free(row);
	view->cursor = cursor;
	view->built = true;
	view->built_generation = env->snap->generation;
	view->built_sort = view->sort_column;
	sd_strlcpy(view->built_filter, view->filter, sizeof(view->built_filter));
	sd_strlcpy(view->built_context, context, sizeof(view->built_context));
}

void view_move(const struct pane_env *env, struct pane_view *view, long delta)
{
	view_rebuild(env, view); /* the rows must be those of the snapshot on screen */
	if (view->nrows == 0)
		return;
	long c = (long)view->cursor + delta;
	if (c < 0)
		c = 0;
	if (c >= (long)view->nrows)
		c = (long)view->nrows - 1;
	view->cursor = (size_t)c;
	struct pane_row row;
	memset(&row, 0, sizeof(row));
	view->ops->row(env->ui, env->snap, view->rows[view->cursor], &row);
	sd_strlcpy(view->selected, row.key, sizeof(view->selected));
}

void view_select_first(struct pane_view *view)
{
	view->cursor = 0;
	view->top = 0;
	view->selected[0] = '\0';
}

const char *view_selected_key(const struct pane_env *env, struct pane_view *view)
{
	static char key[128];
	key[0] = '\0';
	view_rebuild(env, view);
	if (view->cursor < view->nrows) {
		struct pane_row row;
		memset(&row, 0, sizeof(row));
		view->ops->row(env->ui, env->snap, view->rows[view->cursor], &row);
		sd_strlcpy(key, row.key, sizeof(key));
	}
	return key;
}

/* Column widths for WIDTH: minimums first, the rest by weight. */
static void column_widths(const struct pane_ops *ops, int width, int *out)
{
	int used = 0, weights = 0;
	for (size_t c = 0; c < ops->ncolumns; c++) {
		out[c] = ops->columns[c].min_width;
		used += out[c] + 1;
		weights += ops->columns[c].weight;
	}
	int left = width - used;
	if (left < 0) { /* narrow: shrink from the right, keep at least 1 */
		for (size_t c = ops->ncolumns; c-- > 0 && left < 0;) {
			int take = out[c] - 1 < -left ? out[c] - 1 : -left;
			out[c] -= take;
			left += take;
		}
		return;
	}
	int given = 0;
	for (size_t c = 0; c < ops->ncolumns && weights; c++) {
		int extra = left * ops->columns[c].weight / weights;
		out[c] += extra;
		given += extra;
	}
	for (size_t c = ops->ncolumns; c-- > 0 && weights;)
		if (ops->columns[c].weight) {
			out[c] += left - given; /* rounding rest to the last flexible column */
			break;
		}
}

static void draw_cells(const struct pane_ops *ops, const struct pane_row *row, const int *widths,
		       int y, int x, int width, int attr, bool cursor)
{
	int cx = x;
	for (size_t c = 0; c < ops->ncolumns && cx < x + width; c++) {
		int w = widths[c];
		if (cx + w > x + width)
			w = x + width - cx;
		int a = attr;
		if (!cursor && row && row->cell_role[c])
			a = term_attr(row->cell_role[c]);
		const char *text = row ? row->cells[c] : ops->columns[c].title;
		if (ops->columns[c].numeric && text_width(text) < w) {
			char buf[PANE_CELL + 64];
			snprintf(buf, sizeof(buf), "%*s", w, text);
			term_put(y, cx, buf, w, a);
		} else {
			term_put(y, cx, text, w, a);
		}
		cx += w;
		if (cx < x + width)
			term_put(y, cx++, " ", 1, attr);
	}
	if (cx < x + width)
		term_put(y, cx, "", x + width - cx, attr);
}

void view_draw(const struct pane_env *env, struct pane_view *view, int number, int y, int x,
	       int height, int width, bool focused)
{
	const struct pane_ops *ops = view->ops;
	view_rebuild(env, view);

	/* title bar: ─ 2 Services (7) · summary · filter ─────── */
	char summary[256] = "", title[512];
	if (ops->summary)
		ops->summary(env->ui, env->snap, summary, sizeof(summary));
	int n = snprintf(title, sizeof(title), "%s %d %s (%zu)", term_line(env->utf8), number, ops->title,
			 view->nrows);
	if (*summary && n < (int)sizeof(title))
		n += snprintf(title + n, sizeof(title) - (size_t)n, "  %s", summary);
	if (*view->filter && n < (int)sizeof(title))
		n += snprintf(title + n, sizeof(title) - (size_t)n, "  [/%s]", view->filter);
	if (view->sort_column >= 0 && n < (int)sizeof(title))
		snprintf(title + n, sizeof(title) - (size_t)n, "  sort:%s",
			 ops->columns[view->sort_column].title);
	int tattr = term_attr(focused ? SD_ROLE_TITLE_FOCUS : SD_ROLE_TITLE);
	term_put(y, x, title, width, tattr);
	int tw = text_width(title) + 1;
	for (int i = tw; i < width; i++)
		term_put(y, x + i, term_line(env->utf8), 1, term_attr(env->border));
	if (height <= 1) {
		view->height = 0;
		return;
	}

	int widths[PANE_MAX_COLUMNS];
	column_widths(ops, width, widths);
	draw_cells(ops, NULL, widths, y + 1, x, width, term_attr(SD_ROLE_COLUMN), false);

	/* extra lines (slots, events...) get what the rows leave, up to a third */
	char extra[32][256];
	size_t nextra = 0;
	int body = height - 2;
	if (ops->extra && body > 2) {
		size_t want = ops->extra(env->ui, env->snap, view->cursor < view->nrows ?
						  view->rows[view->cursor] : (size_t)-1,
					 extra, 32);
		/* rows first, the extra lines get the rest, and at least half of the body */
		int rows_need = view->nrows ? (int)view->nrows : 1;
		int room = body - rows_need;
		int cap = (body + 1) / 2 > room ? (body + 1) / 2 : room;
		nextra = want < (size_t)cap ? want : (size_t)(cap > 0 ? cap : 0);
		if (nextra > 32)
			nextra = 32;
		body -= (int)nextra;
	}
	view->height = body;
	if (view->cursor < view->top)
		view->top = view->cursor;
	if (body > 0 && view->cursor >= view->top + (size_t)body)
		view->top = view->cursor - (size_t)body + 1;
	if (view->top + (size_t)body > view->nrows)
		view->top = view->nrows > (size_t)body ? view->nrows - (size_t)body : 0;

	int row_y = y + 2;
	if (view->nrows == 0 && body > 0) {
		char empty[256] = "(nothing)";
		if (ops->empty)
			ops->empty(env->ui, env->snap, empty, sizeof(empty));
		term_put(row_y, x, empty, width, term_attr(SD_ROLE_DIM));
		for (int i = 1; i < body; i++)
			term_put(row_y + i, x, "", width, term_attr(SD_ROLE_DEFAULT));
	} else {
		struct pane_row *row = xmalloc(sizeof(*row));
		bool stale = !env->snap->docker_status.reachable && ops->scope <= SD_SCOPE_TASKS;
		for (int i = 0; i < body; i++) {
			size_t r = view->top + (size_t)i;
			if (r >= view->nrows) {
				term_put(row_y + i, x, "", width, term_attr(SD_ROLE_DEFAULT));
				continue;
			}
			memset(row, 0, sizeof(*row));
			ops->row(env->ui, env->snap, view->rows[r], row);
			bool cursor = r == view->cursor && focused;
			int attr = cursor ? term_attr(SD_ROLE_CURSOR)
				   : term_attr(stale ? SD_ROLE_STALE : row->role);
			if (r == view->cursor && !focused)
				attr |= (int)A_BOLD;
			draw_cells(ops, row, widths, row_y + i, x, width, attr, cursor || stale);
		}
		free(row);
	}
	for (size_t i = 0; i < nextra; i++)
		term_put(row_y + body + (int)i, x, extra[i], width, term_attr(SD_ROLE_DIM));
}
