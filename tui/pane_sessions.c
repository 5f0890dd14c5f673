/* pane_sessions.c - the sessions of one PostgreSQL member (`open` on a member of the
 * PostgreSQL pane): every client backend of its pg_stat_activity with who blocks whom.
 * Blocked sessions name their blockers (pg_blocking_pids) and blockers are marked; the
 * selected session's whole query is shown under the rows. Row keys are "MEMBER:PID", what
 * pg.cancel and pg.terminate target; after the sessions, one row "PID+" per blocker
 * (key "MEMBER:PID+") stands for the sessions it blocks. Shown only while a member is open (ui->sessions_member). */
#include "format.h"
#include "ui.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"PID", 6, 0, true},    {"USER", 8, 1, false},   {"DB", 6, 1, false},
	{"APP", 8, 1, false},   {"CLIENT", 8, 1, false}, {"STATE", 6, 1, false},
	{"WAIT", 8, 1, false},  {"TIME", 6, 0, true},    {"LOCKS", 9, 0, false},
	{"QUERY", 12, 4, false},
};

static const struct sd_pg_member *member(const struct ui *ui, const struct sd_snapshot *snap)
{
	for (size_t i = 0; snap->pg && i < snap->pg->nmembers; i++)
		if (!strcmp(snap->pg->members[i].name, ui->sessions_member))
			return &snap->pg->members[i];
	return NULL;
}

static bool shown(const struct ui *ui, const struct sd_snapshot *snap)
{
	return snap->pg_status.configured && ui->sessions_member[0];
}

/* After the sessions, one row per blocker for the sessions it blocks ("PID+"): c and K on it
 * act on all of them, the blocker left alone. The K-th blocker's session, or NULL. */
static const struct sd_pg_activity *blocker(const struct sd_pg_member *m, size_t k)
{
	for (size_t i = 0; i < m->nsessions; i++)
		if (m->sessions[i].blocks > 0 && k-- == 0)
			return &m->sessions[i];
	return NULL;
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	const struct sd_pg_member *m = member(ui, snap);
	if (!m)
		return 0;
	size_t n = m->nsessions;
	for (size_t i = 0; i < m->nsessions; i++)
		n += m->sessions[i].blocks > 0;
	return n;
}

static void group_row(const struct sd_pg_member *m, const struct sd_pg_activity *b,
		      struct pane_row *out)
{
	snprintf(out->key, sizeof(out->key), "%s:%ld+", m->name, b->pid);
	snprintf(out->cells[0], PANE_CELL, "%ld+", b->pid);
	snprintf(out->cells[5], PANE_CELL, "(group)");
	snprintf(out->cells[8], PANE_CELL, "%d by %ld", b->blocks, b->pid);
	snprintf(out->cells[9], PANE_CELL, "the %d session%s pid %ld blocks: c / K act on them all",
		 b->blocks, b->blocks == 1 ? "" : "s", b->pid);
	out->role = SD_ROLE_WARNING;
}

static void duration(double seconds, char *buf, size_t len)
{
	if (seconds < 0)
		snprintf(buf, len, "-");
	else if (seconds < 60)
		snprintf(buf, len, "%.1fs", seconds);
	else if (seconds < 3600)
		snprintf(buf, len, "%dm%02ds", (int)seconds / 60, (int)seconds % 60);
	else
		snprintf(buf, len, "%dh%02dm", (int)seconds / 3600, (int)seconds % 3600 / 60);
}

/* the query on one line: runs of blanks as one space */
static void one_line(const char *query, char *buf, size_t len)
{
	size_t n = 0;
	bool space = false;
	for (const char *p = query; *p && n + 1 < len; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			space = n > 0;
			continue;
		}
		if (space && n + 2 < len)
			buf[n++] = ' ';
		space = false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	const struct sd_pg_member *m = member(ui, snap);
	if (i >= m->nsessions) {
		group_row(m, blocker(m, i - m->nsessions), out);
		return;
	}
	const struct sd_pg_activity *s = &m->sessions[i];
	snprintf(out->key, sizeof(out->key), "%s:%ld", m->name, s->pid);
	snprintf(out->cells[0], PANE_CELL, "%ld", s->pid);
	snprintf(out->cells[1], PANE_CELL, "%s", s->user);
	snprintf(out->cells[2], PANE_CELL, "%s", s->database);
	snprintf(out->cells[3], PANE_CELL, "%s", s->application);
	snprintf(out->cells[4], PANE_CELL, "%s", s->client);
	snprintf(out->cells[5], PANE_CELL, "%s", s->state);
	if (*s->wait_type)
		snprintf(out->cells[6], PANE_CELL, "%s:%s", s->wait_type, s->wait_event);
	bool active = !strcmp(s->state, "active");
	duration(active ? s->query_seconds : s->xact_seconds >= 0 ? s->xact_seconds : s->state_seconds,
		 out->cells[7], PANE_CELL);
	if (s->nblocked_by > 0) {
		size_t n = (size_t)snprintf(out->cells[8], PANE_CELL, "by");
		for (int k = 0; k < s->nblocked_by && n < PANE_CELL; k++)
			n += (size_t)snprintf(out->cells[8] + n, PANE_CELL - n, "%s%ld", k ? "," : " ",
					      s->blocked_by[k]);
		out->role = SD_ROLE_WARNING;
	}
	if (s->blocks > 0) {
		if (s->nblocked_by > 0)
			snprintf(out->cells[8], PANE_CELL, "BLOCKS %d, by %ld", s->blocks, s->blocked_by[0]);
		else
			snprintf(out->cells[8], PANE_CELL, "BLOCKS %d", s->blocks);
		out->role = SD_ROLE_CRITICAL;
	}
	one_line(s->query, out->cells[9], PANE_CELL);
	long long_query = ui->config->postgres.long_query_seconds > 0
				  ? ui->config->postgres.long_query_seconds : 300;
	if (!out->role && ((active && s->query_seconds > (double)long_query) ||
			   s->xact_seconds > (double)long_query))
		out->role = SD_ROLE_WARNING;
	if (!out->role && !strcmp(s->state, "idle"))
		out->role = SD_ROLE_DIM;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	const struct sd_pg_member *m = member(ui, snap);
	if (!m)
		snprintf(buf, len, "no member %s", ui->sessions_member);
	else if (!m->reachable)
		snprintf(buf, len, "%s does not answer: %s", m->name, m->error ? m->error : "");
	else if (!m->overview.present)
		snprintf(buf, len, "%s did not list its sessions%s%s", m->name,
			 m->error && *m->error ? ": " : "", m->error ? m->error : "");
	else
		snprintf(buf, len, "no other session on %s", m->name);
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	const struct sd_pg_member *m = member(ui, snap);
	if (!m) {
		snprintf(buf, len, "%s", ui->sessions_member);
		return;
	}
	int blockers = 0, blocked = 0;
	for (size_t i = 0; i < m->nsessions; i++) {
		blockers += m->sessions[i].blocks > 0;
		blocked += m->sessions[i].nblocked_by > 0;
	}
	const struct sd_pg_overview *o = &m->overview;
	snprintf(buf, len, "%s  %ld/%ld connections  %ld active  %d blocked by %d%s", m->name,
		 o->connections, o->max_connections, o->active, blocked, blockers,
		 "  c cancel  K terminate  <Esc> back");
}

static size_t extra(const struct ui *ui, const struct sd_snapshot *snap, size_t selected,
		    char (*lines)[256], size_t max)
{
	const struct sd_pg_member *m = member(ui, snap);
	if (!m || selected >= m->nsessions || max == 0) {
		if (m && selected != (size_t)-1 && selected < count(ui, snap) && max > 0) {
			const struct sd_pg_activity *b = blocker(m, selected - m->nsessions);
			snprintf(lines[0], 256, " pg.cancel / pg.terminate here act on the %d session%s "
				 "pid %ld blocks, not on pid %ld itself", b->blocks,
				 b->blocks == 1 ? "" : "s", b->pid, b->pid);
			return 1;
		}
		return 0;
	}
	const struct sd_pg_activity *s = &m->sessions[selected];
	char query[2048];
	one_line(s->query, query, sizeof(query));
	size_t n = 0;
	snprintf(lines[n++], 256, " pid %ld %s@%s (%s) %s", s->pid, s->user, s->database,
		 *s->application ? s->application : "-", s->client);
	/* the whole query, wrapped */
	size_t len = strlen(query), width = 200;
	for (size_t off = 0; off < len && n < max; off += width)
		snprintf(lines[n++], 256, " %.*s", (int)width, query + off);
	return n;
}

static void context(const struct ui *ui, char *buf, size_t len)
{
	snprintf(buf, len, "%s", ui->sessions_member);
}

const struct pane_ops pane_sessions = {
	.name = "postgres", .title = "Sessions", .scope = SD_SCOPE_POSTGRES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.number = 4, /* opened from pane 4 */
	.shown = shown, .count = count, .row = row, .empty = empty, .summary = summary,
	.extra = extra, .context = context,
};
