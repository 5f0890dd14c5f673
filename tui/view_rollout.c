/* view_rollout.c - the rollout progress view (view_rollout.h) and the progress figures the
 * services pane's ROLLOUT column shares with it. Everything is computed from the snapshot on
 * screen: the service's UpdateStatus, its spec's image and the tasks the engine lists. */
#include "view_rollout.h"
#include "conf/theme.h"
#include "format.h"
#include "term.h"
#include "base/text.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *or_empty(const char *s) { return s ? s : ""; }

static bool state_is(const struct sd_service *s, const char *state)
{
	return !strcmp(or_empty(s->update_state), state);
}

bool rollout_progress(const struct sd_swarm *sw, const struct sd_service *s, long *updated,
		      long *total)
{
	*updated = *total = 0;
	if (!sw || !s || !*or_empty(s->update_state))
		return false;
	const char *image = or_empty(s->image);
	for (size_t i = 0; i < s->task_count; i++) {
		const struct sd_task *t = &s->tasks[i];
		if (!strcmp(t->desired_state, "running") && !strcmp(t->state, "running") &&
		    !strcmp(or_empty(t->image), image))
			(*updated)++;
	}
	*total = s->desired > 0 ? s->desired : 0;
	if (*updated > *total)
		*updated = *total;
	return true;
}

void rollout_bar(long n, long m, int width, bool utf8, char *buf, size_t len)
{
	size_t used = 0;
	int full = m > 0 ? (int)(n * width / m) : 0;
	buf[0] = '\0';
	for (int i = 0; i < width && used + 4 < len; i++) {
		const char *cell = i < full ? (utf8 ? "█" : "#") : (utf8 ? "░" : ".");
		size_t cl = strlen(cell);
		memcpy(buf + used, cell, cl);
		used += cl;
	}
	buf[used] = '\0';
}

void rollout_open(struct rollout_view *v, const char *service, const char *from, const char *to)
{
	memset(v, 0, sizeof(*v));
	v->open = true;
	sd_strlcpy(v->service, service, sizeof(v->service));
	sd_strlcpy(v->from, from, sizeof(v->from));
	sd_strlcpy(v->to, to, sizeof(v->to));
	v->opened = time(NULL);
}

/* The engine reports an update that started after ours was asked for (a few seconds of
 * clock difference allowed): the status on the service is ours, not an older rollout's. */
static bool ours(const struct rollout_view *v, const struct sd_service *s)
{
	return s->update_started && s->update_started + 5 >= v->opened && *or_empty(s->update_state);
}

/* The newest task of S on the new image that failed since the update started. */
static const struct sd_task *failed_task(const struct rollout_view *v, const struct sd_service *s)
{
	const struct sd_task *best = NULL;
	for (size_t i = 0; i < s->task_count; i++) {
		const struct sd_task *t = &s->tasks[i];
		bool failed = !strcmp(t->state, "failed") || !strcmp(t->state, "rejected") ||
			      (*t->error && strcmp(t->state, "running") != 0);
		if (!failed || strcmp(or_empty(t->image), v->to) != 0)
			continue;
		if (s->update_started && t->since + 2 < s->update_started)
			continue;
		if (!best || t->since > best->since)
			best = t;
	}
	return best;
}

static void describe_failure(const struct sd_task *t, const struct sd_service *s, char *buf,
			     size_t len)
{
	if (!t) {
		snprintf(buf, len, "%s", "");
		return;
	}
	const char *why = *t->error ? t->error : *t->message ? t->message : t->state;
	if (t->slot)
		snprintf(buf, len, ": task %s.%ld on %s %s: %s", s->name, t->slot,
			 *t->node ? t->node : "no node", t->state, why);
	else
		snprintf(buf, len, ": task %s on %s %s: %s", t->id, *t->node ? t->node : "no node",
			 t->state, why);
}

static long elapsed(const struct rollout_view *v, const struct sd_service *s)
{
	if (!ours(v, s))
		return (long)(time(NULL) - v->opened);
	time_t end = s->update_completed >= s->update_started && s->update_completed
			     ? s->update_completed : time(NULL);
	return (long)(end - s->update_started);
}

void rollout_result(const struct rollout_view *v, const struct sd_snapshot *snap, char *buf,
		    size_t len)
{
	buf[0] = '\0';
	const struct sd_swarm *sw = snap->swarm;
	const struct sd_service *s = sw ? sd_swarm_service(sw, v->service) : NULL;
	if (!s) {
		snprintf(buf, len, "the service is not in the engine's list");
		return;
	}
	if (!ours(v, s)) {
		snprintf(buf, len, "waiting for the engine to start the update");
		return;
	}
	long n, m;
	rollout_progress(sw, s, &n, &m);
	char why[600];
	describe_failure(failed_task(v, s), s, why, sizeof(why));
	const char *msg = or_empty(s->update_message);
	if (state_is(s, "updating"))
		snprintf(buf, len, "updating: %ld of %ld tasks on %s", n, m, v->to);
	else if (state_is(s, "completed"))
		snprintf(buf, len, "completed: %ld of %ld tasks on %s in %lds", n, m, or_empty(s->image),
			 elapsed(v, s));
	else if (state_is(s, "paused"))
		snprintf(buf, len, "paused%s%s%s", why, *msg ? "; engine: " : "", msg);
	else if (state_is(s, "rollback_started"))
		snprintf(buf, len, "rolling back to %s%s", v->from, why);
	else if (state_is(s, "rollback_completed"))
		snprintf(buf, len, "rolled back to %s%s%s%s", or_empty(s->image), why,
			 *msg ? "; engine: " : "", msg);
	else if (state_is(s, "rollback_paused"))
		snprintf(buf, len, "rollback paused%s%s%s", why, *msg ? "; engine: " : "", msg);
	else
		snprintf(buf, len, "%s%s%s", s->update_state, *msg ? ": " : "", msg);
}

void rollout_draw(const struct rollout_view *v, const struct sd_snapshot *snap, int top,
		  int bottom, bool utf8)
{
	int attr = term_attr(SD_ROLE_DEFAULT), dim = term_attr(SD_ROLE_DIM);
	int y = top;
	char line[1400];
	const struct sd_swarm *sw = snap->swarm;
	const struct sd_service *s = sw ? sd_swarm_service(sw, v->service) : NULL;
	snprintf(line, sizeof(line), " Rollout of %s  %s -> %s   (Esc closes; the rollout goes on)",
		 s ? s->name : v->service, v->from, v->to);
	term_put(y++, 0, line, COLS, term_attr(SD_ROLE_TITLE_FOCUS) | (int)A_BOLD);
	for (int i = y; i < bottom; i++)
		term_put(i, 0, "", COLS, attr);
	if (!s) {
		term_put(y, 0, " the service is not in the engine's list", COLS,
			 term_attr(SD_ROLE_WARNING));
		return;
	}
	bool mine = ours(v, s);
	long n = 0, m = 0;
	rollout_progress(sw, s, &n, &m);
	char bar[256];
	rollout_bar(n, m, 30, utf8, bar, sizeof(bar));
	bool rolling_back = !strncmp(or_empty(s->update_state), "rollback", 8);
	snprintf(line, sizeof(line), " tasks %s %ld of %ld  %s   elapsed %lds",
		 rolling_back ? "rolled back" : "updated", mine ? n : 0, m, bar, elapsed(v, s));
	term_put(y++, 0, line, COLS, attr | (int)A_BOLD);
	snprintf(line, sizeof(line), " update state: %s%s%s", mine ? s->update_state : "-",
		 mine && *or_empty(s->update_message) ? "  message: " : "",
		 mine ? or_empty(s->update_message) : "");
	enum sd_color_role role = !mine ? SD_ROLE_DIM
				  : rolling_back || state_is(s, "paused") ? SD_ROLE_WARNING
				  : state_is(s, "completed") ? SD_ROLE_OK : SD_ROLE_UNKNOWN;
	term_put(y++, 0, line, COLS, term_attr(role));
	char config[256], delay[32], monitor[32];
	snprintf(delay, sizeof(delay), "%.0fs", s->update_delay < 0 ? 0 : s->update_delay);
	snprintf(monitor, sizeof(monitor), "%.0fs", s->update_monitor < 0 ? 5 : s->update_monitor);
	snprintf(config, sizeof(config), " update config: parallelism %ld, delay %s, order %s, "
		 "failure_action %s, monitor %s",
		 s->update_parallelism < 0 ? 1 : s->update_parallelism, delay,
		 *or_empty(s->update_order) ? s->update_order : "stop-first",
		 *or_empty(s->update_failure_action) ? s->update_failure_action : "pause", monitor);
	term_put(y++, 0, config, COLS, dim);
	char result[1024];
	rollout_result(v, snap, result, sizeof(result));
	snprintf(line, sizeof(line), " result: %s", result);
	term_put(y++, 0, line, COLS, term_attr(role) | (int)A_BOLD);
	y++;
	snprintf(line, sizeof(line), " %-28s %-12s %-28s %-9s %-10s %-5s %s", "TASK", "NODE", "IMAGE",
		 "DESIRED", "STATE", "AGE", "ERROR");
	if (y < bottom)
		term_put(y++, 0, line, COLS, term_attr(SD_ROLE_COLUMN));
	for (size_t i = 0; i < s->task_count && y < bottom; i++) {
		const struct sd_task *t = &s->tasks[i];
		/* the rollout's tasks: what runs now, and what was replaced or failed since */
		if (strcmp(t->desired_state, "running") != 0 && s->update_started &&
		    t->since + 2 < s->update_started)
			continue;
		char name[160], age[16];
		if (t->slot)
			snprintf(name, sizeof(name), "%s.%ld", s->name, t->slot);
		else
			snprintf(name, sizeof(name), "%s", t->id);
		fmt_age(t->since, age, sizeof(age));
		snprintf(line, sizeof(line), " %-28s %-12s %-28s %-9s %-10s %-5s %s", name,
			 *t->node ? t->node : "-", or_empty(t->image), t->desired_state, t->state, age,
			 *t->error ? t->error : "");
		int a = !strcmp(t->desired_state, "running") ? attr : dim;
		if (!strcmp(t->state, "failed") || !strcmp(t->state, "rejected"))
			a = term_attr(SD_ROLE_WARNING);
		term_put(y++, 0, line, COLS, a);
	}
}
