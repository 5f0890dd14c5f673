/* play.c - drill playback: keys go through the same ui_key as a person's, the next key only
 * when the backends have answered; waits read the snapshot's JSON; screen checks read the
 * rendered screen less the drill line (which shows the step itself). Writes the report (Markdown, or JSON for a .json file). */
#include "play.h"
#include "base/child.h"
#include "base/clock.h"
#include "base/text.h"
#include "conf/drill.h"
#include "conf/keys.h"
#include "textview.h"
#include "model/snapjson.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_LIMIT 60.0 /* seconds a key may wait for the backends to answer */


/* Keep the screen live for up to SECONDS: take new snapshots, redraw. */
static void pump(struct ui *ui, double seconds)
{
	int fd = sd_core_notify_fd(ui->core);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int ms = (int)(seconds * 1000);
	poll(&pfd, 1, ms > 0 ? ms : 0);
	ui_update(ui);
	ui_draw(ui);
}

static bool wait_settled(struct ui *ui)
{
	double until = sd_now() + SETTLE_LIMIT;
	while (!sd_core_settled(ui->core)) {
		if (sd_now() > until || ui_interrupted)
			return false;
		pump(ui, 0.05);
	}
	ui_update(ui);
	return true;
}

/* A refusal the keys met (watch mode, a check) goes into the step's note. */
static void note_refusal(struct ui *ui, char *why, size_t len)
{
	const char *m = ui->snap->message;
	if (m && strstr(m, "refused") && !strstr(why, m)) {
		size_t used = strlen(why);
		snprintf(why + used, len - used, "%s%s", used ? "; " : "", m);
	}
}

static int play_keys(struct ui *ui, const int *keys, size_t n, char *why, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		if (!wait_settled(ui)) {
			snprintf(why, len, "the backends did not settle within %.0fs", SETTLE_LIMIT);
			return -1;
		}
		uint64_t before = ui->snap->generation;
		ui_key(ui, keys[i]);
		ui_update(ui);
		if (ui->snap->generation != before)
			note_refusal(ui, why, len);
		ui_draw(ui);
		if (ui->quit) {
			snprintf(why, len, "the console quit");
			return -1;
		}
	}
	wait_settled(ui);
	return 0;
}

static int step_confirm(struct ui *ui, const struct sd_step *step, char *why, size_t len)
{
	if (ui->mode != UI_CONFIRM) {
		const char *msg = ui->snap->message && *ui->snap->message ? ui->snap->message : "none";
		snprintf(why, len, "no confirmation dialog is open (last message: %s)", msg);
		return -1;
	}
	int keys[256];
	int n = 0;
	/* the answer is typed literally, not parsed as key names */
	const unsigned char *p = (const unsigned char *)step->text;
	for (size_t left = strlen(step->text), used; left > 0 && n < 254; p += used, left -= used) {
		int32_t cp = sd_utf8_decode(p, left, &used);
		if (cp < 0) {
			snprintf(why, len, "the answer is not UTF-8");
			return -1;
		}
		keys[n++] = cp;
	}
	keys[n++] = SD_KEY_ENTER;
	if (play_keys(ui, keys, (size_t)n, why, len) != 0)
		return -1;
	if (ui->request.status != 0) {
		snprintf(why, len, "%s", ui->request.result);
		return -1;
	}
	return 0;
}

/* When the drill began: its conditions see the timeline's events from then on. */
static time_t play_started;

static int step_until(struct ui *ui, const struct sd_step *step, char *why, size_t len)
{
	double deadline = sd_now() + step->timeout;
	char actual[256] = "";
	uint64_t seen = 0;
	for (;;) {
		ui_update(ui);
		if (ui->snap->generation != seen) {
			seen = ui->snap->generation;
			json_t *root = sd_snapshot_json_tasks(ui->snap, strstr(step->cond.path, "tasks") != NULL);
			sd_snapshot_json_events_since(root, (double)play_started);
			int holds = sd_condition_eval(&step->cond, root, actual, sizeof(actual));
			json_decref(root);
			if (holds == 1)
				return 0;
		}
		if (sd_now() > deadline || ui_interrupted) {
			snprintf(why, len, "timed out after %.0fs: %s is %s", step->timeout,
				 step->cond.path, actual);
			return -1;
		}
		pump(ui, 0.2);
	}
}

/* The screen as a screen check reads it: what the console shows, less the drill line (which
 * echoes the step, so a pattern would always find itself there). The row stays, empty, so
 * row-spanning patterns see the same lines a person does. */
static char *screen_to_match(const struct ui *ui)
{
	char *text = ui_screen_text();
	if (!ui->drill_step)
		return text;
	char *row = text;
	for (int y = 0; y < UI_DRILL_ROW && row; y++) {
		row = strchr(row, '\n');
		if (row)
			row++;
	}
	if (row && *row) {
		char *end = strchr(row, '\n');
		size_t tail = end ? strlen(end) : 0;
		memmove(row, end ? end : row + strlen(row), tail + 1);
	}
	return text;
}

static int step_expect(struct ui *ui, const struct sd_step *step, char *why, size_t len)
{
	regex_t re;
	if (regcomp(&re, step->text, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) != 0) {
		snprintf(why, len, "bad regular expression");
		return -1;
	}
	double deadline = sd_now() + step->timeout;
	int rc = -1;
	for (;;) {
		ui_update(ui);
		ui_draw(ui);
		char *text = screen_to_match(ui);
		bool found = regexec(&re, text, 0, NULL, 0) == 0;
		free(text);
		if (found) {
			rc = 0;
			break;
		}
		if (sd_now() > deadline || ui_interrupted) {
			snprintf(why, len, "the screen did not show /%s/ within %.0fs", step->text,
				 step->timeout);
			break;
		}
		pump(ui, 0.2);
	}
	regfree(&re);
	return rc;
}

/* Until a line the logs view holds (as shown: prefix, [stderr], text) matches. */
static int step_expect_log(struct ui *ui, const struct sd_step *step, char *why, size_t len)
{
	regex_t re;
	if (regcomp(&re, step->text, REG_EXTENDED | REG_NOSUB) != 0) {
		snprintf(why, len, "bad regular expression");
		return -1;
	}
	double deadline = sd_now() + step->timeout;
	int rc = -1;
	uint64_t from = 0;   /* each line is looked at once */
	struct textview *seen = ui->text;
	for (;;) {
		if (ui->text != seen) {
			from = 0;
			seen = ui->text;
		}
		if (!ui->text) {
			snprintf(why, len, "no logs view is open");
			break;
		}
		if (textview_holds(ui->text, &re, &from)) {
			rc = 0;
			break;
		}
		if (sd_now() > deadline || ui_interrupted) {
			snprintf(why, len, "the logs view held no line matching /%s/ within %.0fs",
				 step->text, step->timeout);
			break;
		}
		pump(ui, 0.02);
	}
	regfree(&re);
	return rc;
}

static int step_exec(struct ui *ui, const struct sd_step *step, char *why, size_t len)
{
	/* headless, its output goes where ours does; on a drawn screen it would spoil it */
	const char *const argv[] = {"/bin/sh", "-c", step->text, NULL};
	struct sd_child child;
	if (sd_child_start(&child, argv, ui->headless ? SD_CHILD_INHERIT_OUTPUT : 0, why, len) < 0)
		return -1;
	double deadline = sd_now() + step->timeout;
	int status = 0;
	for (;;) {
		if (child.err_fd >= 0)
			sd_child_read_errors(&child);
		pid_t r = waitpid(child.pid, &status, WNOHANG);
		if (r == child.pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(why, len, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (sd_now() > deadline || ui_interrupted) {
			sd_child_kill(&child);
			waitpid(child.pid, &status, 0);
			if (child.err_fd >= 0)
				close(child.err_fd);
			snprintf(why, len, "still running after %.0fs: killed", step->timeout);
			return -1;
		}
		pump(ui, 0.1);
	}
	if (child.err_fd >= 0)
		close(child.err_fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, len, "exited with %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return -1;
	}
	return 0;
}

static const char *step_kind_name(enum sd_step_kind kind)
{
	static const char *const kinds[] = {"keys", "confirm", "until", "expect_screen",
					    "save_screen", "exec", "wait", "expect_log"};
	return kinds[kind];
}

static void step_title(const struct sd_step *step, char *buf, size_t len)
{
	snprintf(buf, len, "%s: %s", step_kind_name(step->kind), step->text ? step->text : "");
}

int play_drill(struct ui *ui, const struct sd_drill *drill, struct play_result *result)
{
	memset(result, 0, sizeof(*result));
	result->started = time(NULL);
	play_started = result->started;
	result->nsteps = drill->nsteps;
	result->steps = xcalloc(drill->nsteps ? drill->nsteps : 1, sizeof(*result->steps));
	double t0 = sd_now();
	int failed = 0;
	char banner[512];
	ui->drill_step = banner;
	for (size_t i = 0; i < drill->nsteps; i++) {
		const struct sd_step *step = &drill->steps[i];
		struct play_step *out = &result->steps[i];
		char title[300];
		step_title(step, title, sizeof(title));
		snprintf(banner, sizeof(banner), "%s  step %zu/%zu  %s", drill->name, i + 1,
			 drill->nsteps, title);
		out->ran = true;
		double start = sd_now();
		ui_draw(ui);
		int rc = 0;
		char *why = out->message;
		size_t len = sizeof(out->message);
		switch (step->kind) {
		case SD_STEP_KEYS: rc = play_keys(ui, step->keys, step->nkeys, why, len); break;
		case SD_STEP_CONFIRM: rc = step_confirm(ui, step, why, len); break;
		case SD_STEP_UNTIL: rc = step_until(ui, step, why, len); break;
		case SD_STEP_EXPECT_SCREEN: rc = step_expect(ui, step, why, len); break;
		case SD_STEP_SAVE_SCREEN:
			wait_settled(ui);
			ui_draw(ui);
			{
				/* relative names land beside the report (or in the screen folder) */
				char path[1024];
				snprintf(path, sizeof(path), "%s%s%s", step->text[0] == '/' ? "" : ui->screen_dir,
					 step->text[0] == '/' ? "" : "/", step->text);
				rc = ui_save_screen(ui, path, why, len);
			}
			break;
		case SD_STEP_EXEC: rc = step_exec(ui, step, why, len); break;
		case SD_STEP_EXPECT_LOG: rc = step_expect_log(ui, step, why, len); break;
		case SD_STEP_WAIT: {
			double until = sd_now() + step->timeout;
			while (sd_now() < until && !ui_interrupted)
				pump(ui, until - sd_now() < 0.2 ? until - sd_now() : 0.2);
			break;
		}
		}
		out->duration = sd_now() - start;
		out->passed = rc == 0;
		if (rc == 0 && step->mark) {
			out->mark_time = sd_now() - t0;
			out->has_mark = true;
		}
		if (rc != 0) {
			failed = 1;
			break;
		}
	}
	ui->drill_step = NULL;
	result->duration = sd_now() - t0;
	/* RTO: from the first mark to the last */
	double first = -1, last = -1;
	for (size_t i = 0; i < drill->nsteps; i++)
		if (result->steps[i].has_mark) {
			if (first < 0)
				first = result->steps[i].mark_time;
			last = result->steps[i].mark_time;
		}
	result->rto = first >= 0 && last > first ? last - first : -1;
	result->rto_met = drill->target_rto <= 0 || (result->rto >= 0 && result->rto <= drill->target_rto);
	if (drill->target_rto > 0 && result->rto < 0)
		result->rto_met = false;
	result->passed = !failed && result->rto_met;
	ui_update(ui);
	result->health = ui->snap->health;
	return result->passed ? 0 : -1;
}

void play_result_free(struct play_result *result)
{
	free(result->steps);
	result->steps = NULL;
}

int play_report(const char *path, const struct sd_drill *drill, const struct play_result *r)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f)
		return -1;
	char when[32];
	sd_time_rfc3339(r->started, when, sizeof(when));
	size_t len = strlen(path);
	if (len > 5 && !strcmp(path + len - 5, ".json")) {
		json_t *steps = json_array();
		for (size_t i = 0; i < drill->nsteps; i++) {
			const struct sd_step *s = &drill->steps[i];
			const struct play_step *p = &r->steps[i];
			json_t *j = json_pack("{s:I s:s s:s s:s s:f s:s}", "line", (json_int_t)s->line,
					      "kind", step_kind_name(s->kind), "text", s->text ? s->text : "",
					      "result", !p->ran ? "skipped" : p->passed ? "passed" : "failed",
					      "duration", p->duration, "message", p->message);
			if (s->mark)
				json_object_set_new(j, "mark", json_string(s->mark));
			json_array_append_new(steps, j);
		}
		json_t *root = json_pack("{s:s s:s s:s s:b s:f s:o s:o s:b s:s s:o}",
			"drill", drill->name, "file", drill->file, "started", when,
			"passed", r->passed, "duration", r->duration,
			"target_rto", drill->target_rto > 0 ? json_real(drill->target_rto) : json_null(),
			"rto", r->rto >= 0 ? json_real(r->rto) : json_null(), "rto_met", r->rto_met,
			"health", sd_level_name(r->health), "steps", steps);
		json_dumpf(root, f, JSON_INDENT(2));
		fputc('\n', f);
		json_decref(root);
	} else {
		fprintf(f, "# Drill %s: %s\n\n", drill->name, r->passed ? "PASSED" : "FAILED");
		if (drill->description && *drill->description)
			fprintf(f, "%s\n\n", drill->description);
		fprintf(f, "- file: %s\n- started: %s\n- duration: %.1f s\n", drill->file, when,
			r->duration);
		if (r->rto >= 0)
			fprintf(f, "- measured RTO: %.1f s\n", r->rto);
		if (drill->target_rto > 0)
			fprintf(f, "- target RTO: %.0f s: %s\n", drill->target_rto,
				r->rto < 0 ? "NOT MET (no RTO measured: marks missing or a step failed)"
				: r->rto_met ? "met" : "NOT MET");
		fprintf(f, "- final health: %s\n\n", sd_level_name(r->health));
		fprintf(f, "| # | line | step | result | duration | note |\n|---|---|---|---|---|---|\n");
		for (size_t i = 0; i < drill->nsteps; i++) {
			const struct sd_step *s = &drill->steps[i];
			const struct play_step *p = &r->steps[i];
			char text[160];
			snprintf(text, sizeof(text), "%s %s", step_kind_name(s->kind), s->text ? s->text : "");
			for (char *c = text; *c; c++)
				if (*c == '|')
					*c = '/';
			fprintf(f, "| %zu | %d | `%s` | %s | %.1f s | %s%s%s |\n", i + 1, s->line, text,
				!p->ran ? "skipped" : p->passed ? "passed" : "FAILED", p->duration,
				s->mark ? "mark " : "", s->mark ? s->mark : "", p->message);
		}
	}
	if (f != stdout)
		return fclose(f) == 0 ? 0 : -1;
	fflush(f);
	return 0;
}
