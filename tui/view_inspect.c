/* view_inspect.c - the inspect view: the selected object as nested key: value text
 * (model/inspect.h, secrets masked), through the text view. Services, tasks and nodes are
 * read from the engine (GET /services/ID, /tasks/ID, /nodes/ID) on a thread of the view's
 * own, so the console stays live while it loads; a service with a PreviousSpec starts with
 * the difference PreviousSpec -> Spec, what service.rollback would change. A PostgreSQL
 * member and the Redis master come from the snapshot's JSON (--once --json's objects). */
#include "views.h"
#include "ui.h"
#include "backends/docker/docker.h"
#include "model/inspect.h"
#include "model/snapjson.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inspect_source {
	pthread_mutex_t lock;
	struct sd_inspect text;      /* guarded by LOCK */
	bool loading;
	struct sd_docker *docker;
	char path[300], what[200];
	bool is_service;
	pthread_t thread;
	bool started;
};

static void src_lock(void *u) { pthread_mutex_lock(&((struct inspect_source *)u)->lock); }
static void src_unlock(void *u) { pthread_mutex_unlock(&((struct inspect_source *)u)->lock); }

static void src_range(void *u, uint64_t *first, uint64_t *end)
{
	*first = 0;
	*end = ((struct inspect_source *)u)->text.n;
}

static bool src_get(void *u, uint64_t seq, struct textview_line *out)
{
	struct inspect_source *s = u;
	if (seq >= s->text.n)
		return false;
	const struct sd_inspect_line *l = &s->text.lines[seq];
	static const enum sd_color_role roles[] = {
		[SD_INSPECT_PLAIN] = SD_ROLE_DEFAULT, [SD_INSPECT_HEADING] = SD_ROLE_COLUMN,
		[SD_INSPECT_ADDED] = SD_ROLE_OK, [SD_INSPECT_REMOVED] = SD_ROLE_CRITICAL,
		[SD_INSPECT_GAP] = SD_ROLE_DIM,
	};
	*out = (struct textview_line){.text = l->text, .role = roles[l->mark]};
	return true;
}

static void src_state(void *u, char *buf, size_t size)
{
	snprintf(buf, size, "%s", ((struct inspect_source *)u)->loading ? "loading…" : "");
}

static void src_close(void *u)
{
	struct inspect_source *s = u;
	if (s->started)
		pthread_join(s->thread, NULL);
	sd_inspect_free(&s->text);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The object's text: the rollback difference first for a service that has one. */
static void object_text(struct sd_inspect *out, const char *what, json_t *obj, bool is_service)
{
	json_t *spec = json_object_get(obj, "Spec"), *prev = json_object_get(obj, "PreviousSpec");
	if (is_service && json_is_object(prev) && json_is_object(spec)) {
		struct sd_inspect diff = {0};
		size_t changed = sd_inspect_diff(&diff, prev, spec, 3);
		sd_inspect_add(out, SD_INSPECT_HEADING, "Rollback diff, PreviousSpec -> Spec "
			       "(what service.rollback would change): %zu line%s", changed,
			       changed == 1 ? "" : "s");
		for (size_t i = 0; i < diff.n; i++) {
			sd_inspect_add(out, diff.lines[i].mark, "%s", diff.lines[i].text);
		}
		sd_inspect_free(&diff);
		sd_inspect_add(out, SD_INSPECT_PLAIN, "%s", "");
	} else if (is_service) {
		sd_inspect_add(out, SD_INSPECT_HEADING, "No PreviousSpec: service.rollback has nothing "
			       "to go back to");
		sd_inspect_add(out, SD_INSPECT_PLAIN, "%s", "");
	}
	sd_inspect_add(out, SD_INSPECT_HEADING, "%s", what);
	sd_inspect_json(out, obj, 2);
}

static void *load_main(void *arg)
{
	struct inspect_source *s = arg;
	char err[1024] = "";
	size_t len = 0;
	char *body = sd_docker_get(s->docker, s->path, &len, err, sizeof(err));
	struct sd_inspect text = {0};
	json_t *obj = body ? json_loadb(body, len, 0, NULL) : NULL;
	if (obj)
		object_text(&text, s->what, obj, s->is_service);
	else
		/* the engine's refusal as it said it */
		sd_inspect_add(&text, SD_INSPECT_REMOVED, "%s: %s", s->path,
			       body ? "the answer is not JSON" : err);
	json_decref(obj);
	free(body);
	pthread_mutex_lock(&s->lock);
	s->text = text;
	s->loading = false;
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static struct inspect_source *new_source(void)
{
	struct inspect_source *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static struct textview *view_of(struct ui *ui, struct inspect_source *s, const char *title)
{
	struct textview_source src = {.lock = src_lock, .unlock = src_unlock, .range = src_range,
				      .get = src_get, .state = src_state, .close = src_close,
				      .user = s};
	return textview_new(&src, title, false, ui->screen_dir);
}

/* An object of the snapshot's JSON (postgres.members[name=X], redis). */
static struct textview *from_snapshot(struct ui *ui, const char *what, const json_t *obj,
				      const char *title)
{
	struct inspect_source *s = new_source();
	sd_inspect_add(&s->text, SD_INSPECT_HEADING, "%s", what);
	sd_inspect_json(&s->text, obj, 2);
	return view_of(ui, s, title);
}

static json_t *labels_json(const struct sd_label *labels, size_t n)
{
	json_t *obj = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(obj, labels[i].key, json_string(labels[i].value));
	return obj;
}

/* The selected row of the alerts pane: a finding as the console states it, an alert of
 * Prometheus or Alertmanager with its labels, annotations and start. */
static struct textview *alert_view(struct ui *ui, const char *sel, char *err, size_t errlen)
{
	const struct pane_ops *ops = ui->views[PANE_ALERTS].ops;
	size_t n = ops->count(ui, ui->snap);
	for (size_t i = 0; i < n; i++) {
		struct pane_row row = {0};
		ops->row(ui, ui->snap, i, &row);
		if (strcmp(row.key, sel) != 0)
			continue;
		const struct sd_prom_alert *a = pane_alerts_prom_at(ui->snap, i);
		char since[40] = "", what[200];
		json_t *obj;
		if (a) {
			obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", a->name, "state",
					a->state, "severity", a->severity, "level",
					sd_level_name(a->level), "target", a->target ? a->target : "",
					"since", a->since ? sd_time_rfc3339(a->since, since, sizeof(since))
							  : "");
			json_object_set_new(obj, "labels", labels_json(a->labels, a->nlabels));
			json_object_set_new(obj, "annotations",
					    labels_json(a->annotations, a->nannotations));
			snprintf(what, sizeof(what), "alert %s (%s)", a->name, ui->snap->prom->alerts_from);
		} else {
			const struct sd_alert *f = pane_alerts_finding_at(ui->snap, i);
			obj = json_pack("{s:s, s:s, s:s, s:s, s:s}", "level", sd_level_name(f->level),
					"source", f->source, "kind", f->kind ? f->kind : "",
					"target", f->target ? f->target : "", "message", f->message);
			snprintf(what, sizeof(what), "finding of %s", f->source);
		}
		char title[256];
		snprintf(title, sizeof(title), "inspect: %s", what);
		struct textview *tv = from_snapshot(ui, what, obj, title);
		json_decref(obj);
		return tv;
	}
	snprintf(err, errlen, "inspect: no alert selected");
	return NULL;
}

struct textview *inspect_view_open(struct ui *ui, char *err, size_t errlen)
{
	const char *sel = ui_selected(ui, ui->focus);
	char title[300], what[200], path[300];
	bool service = false;
	switch (ui->focus) {
	case PANE_SERVICES:
	case PANE_TASKS:
	case PANE_NODES: {
		const char *kind = ui->focus == PANE_SERVICES ? "services"
				   : ui->focus == PANE_TASKS ? "tasks" : "nodes";
		if (!*sel || !sd_core_docker(ui->core)) {
			snprintf(err, errlen, "inspect: nothing selected");
			return NULL;
		}
		const struct sd_swarm *sw = ui->snap->swarm;
		const char *name = sel;
		if (ui->focus == PANE_SERVICES && sd_swarm_service(sw, sel))
			name = sd_swarm_service(sw, sel)->name;
		if (ui->focus == PANE_NODES && sd_swarm_node(sw, sel))
			name = sd_swarm_node(sw, sel)->hostname;
		service = ui->focus == PANE_SERVICES;
		snprintf(path, sizeof(path), "/%s/%s", kind, sel);
		snprintf(what, sizeof(what), "%.*s %s", (int)strlen(kind) - 1, kind, name);
		snprintf(title, sizeof(title), "inspect: %s", what);
		struct inspect_source *s = new_source();
		s->docker = sd_core_docker(ui->core);
		s->loading = true;
		s->is_service = service;
		sd_strlcpy(s->path, path, sizeof(s->path));
		sd_strlcpy(s->what, what, sizeof(s->what));
		s->started = pthread_create(&s->thread, NULL, load_main, s) == 0;
		if (!s->started) {
			s->loading = false;
			sd_inspect_add(&s->text, SD_INSPECT_REMOVED, "cannot start a thread");
		}
		return view_of(ui, s, title);
	}
	case PANE_POSTGRES:
	case PANE_REDIS: {
		json_t *root = sd_snapshot_json_tasks(ui->snap, false);
		struct textview *tv = NULL;
		if (ui->focus == PANE_POSTGRES) {
			json_t *members = json_object_get(json_object_get(root, "postgres"), "members");
			size_t i;
			json_t *m;
			json_array_foreach(members, i, m)
				if (!strcmp(json_string_value(json_object_get(m, "name")) ?: "", sel)) {
					snprintf(what, sizeof(what), "PostgreSQL member %s", sel);
					tv = from_snapshot(ui, what, m, what);
				}
			if (!tv)
				snprintf(err, errlen, "inspect: no PostgreSQL member selected");
		} else {
			json_t *redis = json_object_get(root, "redis");
			if (json_is_object(json_object_get(redis, "master")))
				tv = from_snapshot(ui, "Redis master (as the Sentinels see it)", redis,
						   "inspect: Redis master");
			else
				snprintf(err, errlen, "inspect: no Redis master known");
		}
		json_decref(root);
		return tv;
	}
	case PANE_ALERTS:
		return alert_view(ui, sel, err, errlen);
	default:
		snprintf(err, errlen, "inspect works on a service, task, node, PostgreSQL member, "
			 "the Redis master or an alert");
		return NULL;
	}
}
