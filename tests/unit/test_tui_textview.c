/* test_tui_textview.c - the logs and inspect views' text view over a log ring, without a
 * screen: the filter keeps the matching lines (and follows the ring as old lines leave), a
 * search moves to the next and previous match and says when nothing matches, the saved file
 * holds what is held as shown, stderr marked, and Esc undoes filter, search, then closes. */
#include "actions.h"
#include "base/logring.h"
#include "conf/keymap.h"
#include "conf/keys.h"
#include "textview.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void r_lock(void *u) { sd_log_ring_lock(u); }
static void r_unlock(void *u) { sd_log_ring_unlock(u); }
static void r_range(void *u, uint64_t *first, uint64_t *end)
{
	*first = sd_log_ring_first_seq(u);
	*end = ((struct sd_log_ring *)u)->next_seq;
}
static bool r_get(void *u, uint64_t seq, struct textview_line *out)
{
	const struct sd_log_line *l = sd_log_ring_seq(u, seq);
	if (!l)
		return false;
	*out = (struct textview_line){.time = l->time, .source = l->source, .text = l->text,
				      .stderr_line = l->stream == SD_LOG_STDERR};
	return true;
}

static void keys(struct textview *tv, const struct sd_keymap *km, const char *typed)
{
	for (const char *p = typed; *p; p++) {
		const struct sd_action *pass = NULL;
		textview_key(tv, km, *p == '\n' ? SD_KEY_ENTER : *p == 27 ? SD_KEY_ESC : *p, &pass);
	}
}

static size_t count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof(line), f))
		n += !needle || strstr(line, needle);
	fclose(f);
	return n;
}

static void test_textview(void **state)
{
	(void)state;
	struct sd_keymap km;
	struct sd_error e;
	assert_int_equal(sd_keymap_load(NULL, sd_action_find, &km, &e), 0);
	struct sd_log_ring ring;
	sd_log_ring_init(&ring, 50, 0);
	char text[64];
	for (int i = 0; i < 40; i++) {
		int n = snprintf(text, sizeof(text), "%s %d", i % 10 == 3 ? "needle" : "hay", i);
		sd_log_ring_push(&ring, i == 13 ? SD_LOG_STDERR : SD_LOG_STDOUT, "", "svc.1.t@n1",
				 text, (size_t)n);
	}
	struct textview_source src = {.lock = r_lock, .unlock = r_unlock, .range = r_range,
				      .get = r_get, .user = &ring};
	char dir[] = "/tmp/sdtvXXXXXX";
	assert_non_null(mkdtemp(dir));
	struct textview *tv = textview_new(&src, "logs: test", true, dir);
	assert_true(tv->follow);

	/* the filter keeps needle 3, 13, 23, 33 */
	keys(tv, &km, "&needle\n");
	assert_true(tv->has_filter);
	char path[256];
	snprintf(path, sizeof(path), "%s/saved.txt", dir);
	char err[256];
	assert_int_equal(textview_save(tv, path, err, sizeof(err)), 0);
	assert_int_equal(count_lines(path, NULL), 4);
	assert_int_equal(count_lines(path, "svc.1.t@n1 | [stderr] needle 13"), 1);
	/* 20 more lines: 0..9 leave the ring, needle 3 with them; needle 43 and 53 come */
	for (int i = 40; i < 60; i++) {
		int n = snprintf(text, sizeof(text), "%s %d", i % 10 == 3 ? "needle" : "hay", i);
		sd_log_ring_push(&ring, SD_LOG_STDOUT, "", "svc.1.t@n1", text, (size_t)n);
	}
	assert_int_equal(textview_save(tv, path, err, sizeof(err)), 0);
	assert_int_equal(count_lines(path, NULL), 5);
	assert_int_equal(count_lines(path, "needle 3\n"), 0);

	/* Esc drops the filter; a search from the newest back, then n and N */
	keys(tv, &km, "\033");
	assert_false(tv->has_filter);
	keys(tv, &km, "/needle\n");
	assert_true(tv->has_search);
	assert_false(tv->follow);
	assert_int_equal(tv->top, 53);
	tv->shown_first = tv->top;    /* what a draw would note */
	keys(tv, &km, "N");
	assert_int_equal(tv->top, 43);
	tv->shown_first = tv->top;
	keys(tv, &km, "n");
	assert_int_equal(tv->top, 53);
	keys(tv, &km, "/nothing-here\n");
	assert_non_null(strstr(tv->note, "no line matches /nothing-here/"));

	/* the whole ring saved, as shown */
	assert_int_equal(textview_save(tv, path, err, sizeof(err)), 0);
	assert_int_equal(count_lines(path, NULL), 50);

	/* f toggles follow; Esc: the search goes, then the view closes */
	keys(tv, &km, "f");
	assert_true(tv->follow);
	keys(tv, &km, "\033");
	assert_false(tv->has_search);
	const struct sd_action *pass = NULL;
	assert_int_equal(textview_key(tv, &km, SD_KEY_ESC, &pass), TV_CLOSE);
	assert_int_equal(textview_key(tv, &km, '?', &pass), TV_PASS);
	assert_ptr_equal(pass, sd_action_get(SD_ACTION_HELP));

	regex_t re;
	regcomp(&re, "needle 5[0-9]$", REG_EXTENDED | REG_NOSUB);
	uint64_t from = 0;
	assert_true(textview_holds(tv, &re, &from));
	assert_int_equal(from, 54);
	assert_false(textview_holds(tv, &re, &from));   /* only the lines after it now */
	regfree(&re);

	textview_free(tv);
	sd_log_ring_free(&ring);
	unlink(path);
	rmdir(dir);
	sd_keymap_free(&km);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_textview),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
