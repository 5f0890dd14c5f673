/* pgmaint.c - the state PostgreSQL tables, maintenance and queries share between the core
 * and the screen (see pgmaint.h): one record per core, made on first use, guarded by one
 * mutex; a listing thread per core that fetches what the tables view asks for, newest
 * request first; the statement history file. */
#include "pgmaint.h"
#include "conf/paths.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "core.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STATES 8
#define HISTORY_MAX 500

struct sd_pgmaint_state {
	struct sd_core *core;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool thread_running, stop;
	bool stopping;                        /* forgotten: maintenance cancels itself */
	/* listing */
	bool want, busy;
	enum sd_pgmaint_listing_kind want_kind;
	struct sd_pgmaint_target want_target;
	struct sd_pgmaint_listing *listing;   /* answered, not taken */
	/* maintenance */
	struct sd_pgmaint_progress progress;
	/* queries */
	struct sd_pgmaint_answer *answer;     /* answered, not taken */
	uint64_t serial;
	bool confirmed;
};

static pthread_mutex_t states_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sd_pgmaint_state *states[STATES];

struct sd_pgmaint_state *sd_pgmaint_state(struct sd_core *core)
{
	pthread_mutex_lock(&states_lock);
	struct sd_pgmaint_state *s = NULL;
	for (int i = 0; i < STATES && !s; i++)
		if (states[i] && states[i]->core == core)
			s = states[i];
	for (int i = 0; i < STATES && !s; i++)
		if (!states[i]) {
			s = states[i] = xcalloc(1, sizeof(*s));
			s->core = core;
			pthread_mutex_init(&s->lock, NULL);
			pthread_cond_init(&s->wake, NULL);
		}
	pthread_mutex_unlock(&states_lock);
	if (!s)
		abort(); /* more live cores than STATES: a programming error */
	return s;
}

/* ---- targets ---- */

int sd_pgmaint_target_parse(const char *text, struct sd_pgmaint_target *t, char *err,
			    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (!text || !*text) {
		sd_set_error(err, errlen, "no member given");
		return -1;
	}
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(t->member)) {
		sd_set_error(err, errlen, "'%s': no member name before the '/'", text);
		return -1;
	}
	memcpy(t->member, text, n);
	if (!slash)
		return 0;
	const char *db = slash + 1, *slash2 = strchr(db, '/');
	n = slash2 ? (size_t)(slash2 - db) : strlen(db);
	if (n >= sizeof(t->database)) {
		sd_set_error(err, errlen, "'%s': the database name is too long", text);
		return -1;
	}
	memcpy(t->database, db, n);
	if (!slash2)
		return 0;
	const char *rel = slash2 + 1, *dot = strchr(rel, '.');
	if (!*t->database || !*rel || (dot && (dot == rel || !dot[1]))) {
		sd_set_error(err, errlen, "'%s': write MEMBER/DATABASE/SCHEMA.TABLE", text);
		return -1;
	}
	if (dot) {
		n = (size_t)(dot - rel);
		if (n >= sizeof(t->schema) || strlen(dot + 1) >= sizeof(t->table)) {
			sd_set_error(err, errlen, "'%s': the table name is too long", text);
			return -1;
		}
		memcpy(t->schema, rel, n);
		sd_strlcpy(t->table, dot + 1, sizeof(t->table));
	} else {
		if (strlen(rel) >= sizeof(t->table)) {
			sd_set_error(err, errlen, "'%s': the table name is too long", text);
			return -1;
		}
		sd_strlcpy(t->schema, "public", sizeof(t->schema));
		sd_strlcpy(t->table, rel, sizeof(t->table));
	}
	return 0;
}

void sd_pgmaint_target_format(const struct sd_pgmaint_target *t, char *buf, size_t len)
{
	if (*t->table)
		snprintf(buf, len, "%s/%s/%s.%s", t->member, t->database, t->schema, t->table);
	else if (*t->database)
		snprintf(buf, len, "%s/%s", t->member, t->database);
	else
		snprintf(buf, len, "%s", t->member);
}

/* ---- listings ---- */

void sd_pgmaint_listing_free(struct sd_pgmaint_listing *l)
{
	if (!l)
		return;
	sd_pg_databases_free(l->databases, l->ndatabases);
	sd_pg_tables_free(l->tables);
	free(l->text);
	free(l);
}

static struct sd_pgmaint_listing *fetch(struct sd_core *core, enum sd_pgmaint_listing_kind kind,
					const struct sd_pgmaint_target *t)
{
	struct sd_pgmaint_listing *l = xcalloc(1, sizeof(*l));
	l->kind = kind;
	l->target = *t;
	struct sd_pg_backend *pg = sd_core_pg(core);
	long timeout = sd_core_config(core)->postgres.statement_timeout_ms;
	const char *db = *t->database ? t->database : NULL;
	double started = sd_now();
	if (!pg) {
		sd_set_error(l->error, sizeof(l->error), "no postgres section in the configuration");
	} else if (kind == SD_PGMAINT_DATABASES) {
		sd_pg_databases(pg, t->member, timeout, &l->databases, &l->ndatabases, l->error,
				sizeof(l->error));
	} else if (kind == SD_PGMAINT_TABLES) {
		sd_pg_tables_fetch(pg, t->member, db, timeout, &l->tables, l->error, sizeof(l->error));
	} else {
		l->text = sd_pg_table_describe(pg, t->member, db, t->schema, t->table, timeout,
					       l->error, sizeof(l->error));
	}
	l->seconds = sd_now() - started;
	return l;
}

static void *listing_main(void *arg)
{
	struct sd_pgmaint_state *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->want && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->stop)
			break;
		enum sd_pgmaint_listing_kind kind = s->want_kind;
		struct sd_pgmaint_target t = s->want_target;
		s->want = false;
		s->busy = true;
		pthread_mutex_unlock(&s->lock);
		struct sd_pgmaint_listing *l = fetch(s->core, kind, &t);
		pthread_mutex_lock(&s->lock);
		s->busy = false;
		if (s->want) { /* asked for something newer meanwhile */
			sd_pgmaint_listing_free(l);
			continue;
		}
		sd_pgmaint_listing_free(s->listing);
		s->listing = l;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

void sd_pgmaint_list(struct sd_core *core, enum sd_pgmaint_listing_kind kind,
		     const struct sd_pgmaint_target *target)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	if (!s->thread_running)
		s->thread_running = pthread_create(&s->thread, NULL, listing_main, s) == 0;
	s->want = true;
	s->want_kind = kind;
	s->want_target = *target;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

struct sd_pgmaint_listing *sd_pgmaint_listing_take(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	struct sd_pgmaint_listing *l = s->listing;
	s->listing = NULL;
	pthread_mutex_unlock(&s->lock);
	return l;
}

bool sd_pgmaint_listing_busy(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	bool busy = s->busy || s->want;
	pthread_mutex_unlock(&s->lock);
	return busy;
}

/* ---- progress ---- */

void sd_pgmaint_progress_start(struct sd_core *core, const char *verb, const char *target)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	memset(&s->progress, 0, sizeof(s->progress));
	s->progress.present = s->progress.running = true;
	sd_strlcpy(s->progress.verb, verb, sizeof(s->progress.verb));
	sd_strlcpy(s->progress.target, target, sizeof(s->progress.target));
	s->progress.started = sd_now();
	pthread_mutex_unlock(&s->lock);
}

void sd_pgmaint_progress_update(struct sd_core *core, const struct sd_pg_progress *now)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	s->progress.now = *now;
	pthread_mutex_unlock(&s->lock);
}

void sd_pgmaint_progress_end(struct sd_core *core, int status, const char *result)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	s->progress.running = false;
	s->progress.status = status;
	s->progress.seconds = sd_now() - s->progress.started;
	sd_strlcpy(s->progress.result, result, sizeof(s->progress.result));
	pthread_mutex_unlock(&s->lock);
}

void sd_pgmaint_progress_get(struct sd_core *core, struct sd_pgmaint_progress *out)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	*out = s->progress;
	if (out->running)
		out->seconds = sd_now() - out->started;
	pthread_mutex_unlock(&s->lock);
}

void sd_pgmaint_progress_line(const struct sd_pgmaint_progress *p, bool utf8, int width,
			      char *buf, size_t len)
{
	if (!p->present) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (!p->running) {
		snprintf(buf, len, "%s %s %s in %.1fs: %s", p->verb, p->target,
			 p->status == 0 ? "done" : "FAILED", p->seconds, p->result);
		return;
	}
	if (width < 4)
		width = 4;
	if (width > 60)
		width = 60;
	int fill = p->now.total > 0 ? (int)(p->now.done * width / p->now.total) : 0;
	if (fill > width)
		fill = width;
	char bar[60 * 3 + 1];
	size_t n = 0;
	for (int i = 0; i < width; i++) {
		const char *cell = i < fill ? (utf8 ? "█" : "#") : (utf8 ? "░" : ".");
		size_t w = strlen(cell);
		memcpy(bar + n, cell, w);
		n += w;
	}
	bar[n] = '\0';
	int percent = p->now.total > 0 ? (int)(p->now.done * 100 / p->now.total) : 0;
	snprintf(buf, len, "%s %s [%s] %3d%%  %s%s%s  %lld/%lld blocks  %.0fs  pid %d "
		 "(pg.cancel on that session stops it)",
		 p->verb, p->target, bar, percent, *p->now.phase ? p->now.phase : "starting",
		 *p->now.relation ? " " : "", p->now.relation, p->now.done, p->now.total, p->seconds,
		 p->now.pid);
}

/* ---- answers ---- */

void sd_pgmaint_answer_free(struct sd_pgmaint_answer *a)
{
	if (!a)
		return;
	free(a->sql);
	sd_pg_result_free(a->result);
	free(a);
}

void sd_pgmaint_answer_put(struct sd_core *core, struct sd_pgmaint_answer *a)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	a->serial = ++s->serial;
	sd_pgmaint_answer_free(s->answer);
	s->answer = a;
	pthread_mutex_unlock(&s->lock);
}

struct sd_pgmaint_answer *sd_pgmaint_answer_take(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	struct sd_pgmaint_answer *a = s->answer;
	s->answer = NULL;
	pthread_mutex_unlock(&s->lock);
	return a;
}

bool sd_pgmaint_query_confirmed(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	bool yes = s->confirmed;
	pthread_mutex_unlock(&s->lock);
	return yes;
}

void sd_pgmaint_query_confirm(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	s->confirmed = true;
	pthread_mutex_unlock(&s->lock);
}

/* ---- passwords and history ---- */

/* OUT grows by N bytes of S. */
static void put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*out = xrealloc(*out, *cap);
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = '\0';
}

char *sd_pgmaint_mask_password(const char *sql)
{
	size_t len = 0, cap = strlen(sql) + 16;
	char *out = xmalloc(cap);
	out[0] = '\0';
	const char *p = sql, *hit;
	while ((hit = strcasestr(p, "password"))) {
		const char *q = hit + 8;
		put(&out, &len, &cap, p, (size_t)(q - p));
		p = q;
		while (isspace((unsigned char)*q))
			q++;
		bool equals = *q == '=';
		if (equals) /* conninfo-like text: password=secret */
			for (q++; isspace((unsigned char)*q); q++)
				;
		bool escape = (*q == 'E' || *q == 'e') && q[1] == '\'';
		if (*q == '\'' || escape) {
			const char *start = escape ? q + 1 : q, *end = start + 1;
			while (*end) {
				if (escape && *end == '\\' && end[1])
					end += 2;
				else if (*end == '\'' && end[1] == '\'')
					end += 2;
				else if (*end == '\'')
					break;
				else
					end++;
			}
			put(&out, &len, &cap, p, (size_t)(start - p));
			put(&out, &len, &cap, "'***'", 5);
			p = *end ? end + 1 : end;
		} else if (equals) {
			const char *end = q;
			while (*end && !isspace((unsigned char)*end) && *end != '\'')
				end++;
			put(&out, &len, &cap, p, (size_t)(q - p));
			if (end > q)
				put(&out, &len, &cap, "***", 3);
			p = end;
		}
	}
	put(&out, &len, &cap, p, strlen(p));
	return out;
}

char *sd_pgmaint_history_path(const struct sd_config *config)
{
	const char *audit = config && config->audit_log ? config->audit_log : NULL;
	const char *slash = audit ? strrchr(audit, '/') : NULL;
	if (!slash)
		return xstrdup("query_history");
	size_t n = (size_t)(slash - audit);
	char *path = xmalloc(n + sizeof("/query_history"));
	memcpy(path, audit, n);
	memcpy(path + n, "/query_history", sizeof("/query_history"));
	return path;
}

char **sd_pgmaint_history_load(const char *path, size_t *n)
{
	*n = 0;
	char **lines = xcalloc(HISTORY_MAX + 1, sizeof(char *));
	FILE *f = fopen(path, "r");
	if (!f)
		return lines;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) >= 0) {
		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		if (!got)
			continue;
		if (*n == HISTORY_MAX) {
			free(lines[0]);
			memmove(lines, lines + 1, (HISTORY_MAX - 1) * sizeof(char *));
			(*n)--;
		}
		lines[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(f);
	return lines;
}

void sd_pgmaint_history_free(char **lines, size_t n)
{
	for (size_t i = 0; lines && i < n; i++)
		free(lines[i]);
	free(lines);
}

int sd_pgmaint_history_add(const char *path, const char *sql)
{
	char *line = sd_pgmaint_mask_password(sql);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	size_t n;
	char **lines = sd_pgmaint_history_load(path, &n);
	int rc = sd_make_parents(path);
	if (rc == 0) {
		bool same = n && !strcmp(lines[n - 1], line); /* no repeats in a row */
		char tmp[4096];
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		FILE *f = fopen(tmp, "w");
		rc = f ? 0 : -1;
		size_t first = n + (same ? 0 : 1) > HISTORY_MAX ? n + (same ? 0 : 1) - HISTORY_MAX : 0;
		for (size_t i = first; f && i < n; i++)
			fprintf(f, "%s\n", lines[i]);
		if (f && !same)
			fprintf(f, "%s\n", line);
		if (f && fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -1;
	}
	int saved = errno;
	sd_pgmaint_history_free(lines, n);
	free(line);
	errno = saved;
	return rc;
}

bool sd_pgmaint_stopping(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	bool stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stopping;
}

void sd_pgmaint_forget(struct sd_core *core)
{
	struct sd_pgmaint_state *s = sd_pgmaint_state(core);
	pthread_mutex_lock(&s->lock);
	s->stop = s->stopping = true;
	bool running = s->progress.running;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	if (s->thread_running)
		pthread_join(s->thread, NULL);
	s->thread_running = false;
	if (running)
		return; /* the worker still reads it; it cancels at its next look */
	pthread_mutex_lock(&states_lock);
	for (int i = 0; i < STATES; i++)
		if (states[i] == s)
			states[i] = NULL;
	pthread_mutex_unlock(&states_lock);
	sd_pgmaint_listing_free(s->listing);
	sd_pgmaint_answer_free(s->answer);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s);
}
