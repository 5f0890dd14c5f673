/* record.c - --record: what the operator types becomes a drill that plays back to the same
 * result. Keys are grouped into `keys` steps, answers to dialogs into `confirm` steps, and an
 * idle gap after an action into an `until` on what that action was waiting for (or a short
 * `wait` when nothing is known), never a sleep of minutes. */
#include "record.h"
#include "conf/drill.h"
#include "base/clock.h"
#include "base/text.h"
#include "conf/keys.h"
#include "core.h"
#include "model/snapjson.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GAP 2.0        /* seconds of quiet that end a keys step */
#define MAX_WAIT 10.0  /* a plain wait is never longer */

struct recorder {
	char *path;
	char keys[4096];           /* the keys step being typed */
	char answer[256];          /* the dialog answer being typed */
	char **steps;              /* YAML items, already formatted */
	size_t nsteps, cap;
	double last;               /* time of the last key */
	unsigned submitted;        /* ui->submitted at the last look */
	struct sd_request action;  /* the last action submitted and not yet waited for */
	bool pending;
	char before[256];          /* redis: the master before a failover */
};

struct recorder *recorder_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "a");
	if (!f) {
		snprintf(err, errlen, "%s: cannot write", path);
		return NULL;
	}
	fclose(f);
	struct recorder *rec = xcalloc(1, sizeof(*rec));
	rec->path = xstrdup(path);
	rec->last = sd_now();
	return rec;
}

static void add_step(struct recorder *rec, char *yaml)
{
	if (rec->nsteps == rec->cap)
		rec->steps = xrealloc(rec->steps, (rec->cap = rec->cap * 2 + 8) * sizeof(char *));
	rec->steps[rec->nsteps++] = yaml;
}

/* A YAML double-quoted scalar. */
static char *quoted(const char *s)
{
	size_t n = 0;
	char *out = xmalloc(strlen(s) * 2 + 3);
	out[n++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
	return out;
}

static void flush_keys(struct recorder *rec)
{
	if (!rec->keys[0])
		return;
	char *q = quoted(rec->keys);
	add_step(rec, xasprintf("  - keys: %s\n", q));
	free(q);
	rec->keys[0] = '\0';
}

/* What the last action waits for, as a condition; empty when nothing is known. */
static void action_condition(const struct recorder *rec, char *cond, size_t len)
{
	const struct sd_request *r = &rec->action;
	cond[0] = '\0';
	if (!r->action)
		return;
	switch (r->action->id) {
	case SD_ACTION_SERVICE_SCALE:
		snprintf(cond, len, "services[name=%s].running == %.32s", r->target_name, r->param);
		break;
	case SD_ACTION_SERVICE_ROLLBACK:
		snprintf(cond, len, "services[name=%s].update_state == rollback_completed", r->target_name);
		break;
	case SD_ACTION_SERVICE_REDEPLOY:
		snprintf(cond, len, "services[name=%s].update_state == completed", r->target_name);
		break;
	case SD_ACTION_NODE_DRAIN:
	case SD_ACTION_NODE_PAUSE:
	case SD_ACTION_NODE_ACTIVATE:
		snprintf(cond, len, "nodes[hostname=%s].availability == %s", r->target_name,
			 r->action->id == SD_ACTION_NODE_DRAIN ? "drain"
			 : r->action->id == SD_ACTION_NODE_PAUSE ? "pause" : "active");
		break;
	case SD_ACTION_NODE_PROMOTE:
		snprintf(cond, len, "nodes[hostname=%s].manager == reachable", r->target_name);
		break;
	case SD_ACTION_NODE_DEMOTE:
		snprintf(cond, len, "nodes[hostname=%s].role == worker", r->target_name);
		break;
	case SD_ACTION_PG_PROMOTE:
		snprintf(cond, len, "postgres.members[name=%s].role == primary", r->target_name);
		break;
	case SD_ACTION_REDIS_FAILOVER:
		if (rec->before[0])
			snprintf(cond, len, "redis.master.addr != \"%s\"", rec->before);
		break;
	default:
		break;
	}
}

/* An idle gap of GAP seconds ended: say what the operator was waiting for. */
static void flush_gap(struct recorder *rec, const struct record_state *st, double gap)
{
	flush_keys(rec);
	if (!rec->pending) {
		if (gap >= 2 * GAP)
			add_step(rec, xasprintf("  - wait: %.0fs\n", gap < MAX_WAIT ? gap : MAX_WAIT));
		return;
	}
	rec->pending = false;
	char cond[1024], err[256], actual[128];
	action_condition(rec, cond, sizeof(cond));
	struct sd_condition c;
	if (cond[0] && sd_condition_parse(cond, &c, err, sizeof(err)) == 0) {
		json_t *root = sd_snapshot_json_tasks(st->snap, strstr(cond, "tasks") != NULL);
		int holds = sd_condition_eval(&c, root, actual, sizeof(actual));
		json_decref(root);
		sd_condition_free(&c);
		if (holds == 1) {
			double timeout = gap * 2 > 60 ? gap * 2 : 60;
			add_step(rec, xasprintf("  - until: %s\n    timeout: %.0fs\n", cond, timeout));
			return;
		}
	}
	add_step(rec, xasprintf("  - wait: %.0fs\n", gap < MAX_WAIT ? gap : MAX_WAIT));
}

static void append_key(char *buf, size_t size, int key)
{
	char name[32];
	sd_key_name(key, name, sizeof(name));
	size_t n = strlen(buf);
	if (n + strlen(name) < size)
		memcpy(buf + n, name, strlen(name) + 1);
}

void recorder_key(struct recorder *rec, const struct record_state *st, int key)
{
	if (key == SD_KEY_RESIZE || key == SD_KEY_NONE)
		return;
	double now = sd_now(), gap = now - rec->last;
	rec->last = now;
	if (gap >= GAP && (rec->keys[0] || rec->pending) && !st->confirming)
		flush_gap(rec, st, gap);

	if (st->confirming) {
		if (key == SD_KEY_ENTER) {
			flush_keys(rec);
			char *q = quoted(rec->answer);
			add_step(rec, xasprintf("  - confirm: %s\n", q));
			free(q);
			rec->answer[0] = '\0';
		} else if (key == SD_KEY_ESC) {
			rec->answer[0] = '\0';
			append_key(rec->keys, sizeof(rec->keys), key);
		} else if (key == SD_KEY_BACKSPACE) {
			rec->answer[sd_utf8_prev(rec->answer, strlen(rec->answer))] = '\0';
		} else if (key == SD_KEY_SPACE || (key >= 32 && key < SD_KEY_BASE)) {
			/* the answer is text typed as it is, not key names */
			char name[32];
			if (key == SD_KEY_SPACE || key == '<')
				snprintf(name, sizeof(name), "%c", key == '<' ? '<' : ' ');
			else
				sd_key_name(key, name, sizeof(name));
			size_t n = strlen(rec->answer);
			if (n + strlen(name) < sizeof(rec->answer))
				memcpy(rec->answer + n, name, strlen(name) + 1);
		}
	} else {
		append_key(rec->keys, sizeof(rec->keys), key);
	}
	if (st->snap->redis && st->snap->redis->master.addr)
		sd_strlcpy(rec->before, st->snap->redis->master.addr, sizeof(rec->before));
	rec->submitted = st->submitted; /* recorder_after_key sees what this key submits */
}

void recorder_after_key(struct recorder *rec, const struct record_state *st)
{
	if (st->submitted != rec->submitted) {
		rec->submitted = st->submitted;
		rec->action = *st->request;
		rec->pending = true;
	}
}

int recorder_close(struct recorder *rec, const struct record_state *st, char *err, size_t errlen)
{
	/* the last key was the one that quit: playback must not quit */
	size_t n = strlen(rec->keys);
	if (st->quit && n > 0) {
		/* drop the final key name (one character or one <name>) */
		if (rec->keys[n - 1] == '>') {
			char *open = strrchr(rec->keys, '<');
			if (open)
				*open = '\0';
		} else {
			rec->keys[sd_utf8_prev(rec->keys, n)] = '\0';
		}
	}
	double gap = sd_now() - rec->last;
	if (rec->pending || gap >= GAP)
		flush_gap(rec, st, gap);
	flush_keys(rec);

	FILE *f = fopen(rec->path, "w");
	int rc = -1;
	if (f) {
		char when[32], host[128] = "";
		gethostname(host, sizeof(host) - 1);
		const char *base = strrchr(rec->path, '/') ? strrchr(rec->path, '/') + 1 : rec->path;
		char name[128];
		snprintf(name, sizeof(name), "%s", base);
		char *dot = strrchr(name, '.');
		if (dot)
			*dot = '\0';
		fprintf(f, "# recorded by swarmdeck %s on %s at %s\n", SD_VERSION, host,
			sd_time_rfc3339(time(NULL), when, sizeof(when)));
		fprintf(f, "drill: %s\ndescription: recorded session\nsteps:\n", name);
		if (rec->nsteps == 0)
			fprintf(f, "  - wait: 0s\n");
		for (size_t i = 0; i < rec->nsteps; i++)
			fputs(rec->steps[i], f);
		rc = fclose(f) == 0 ? 0 : -1;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot write the drill", rec->path);
	for (size_t i = 0; i < rec->nsteps; i++)
		free(rec->steps[i]);
	free(rec->steps);
	free(rec->path);
	free(rec);
	return rc;
}
