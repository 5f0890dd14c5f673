/* pane_postgres.c - PostgreSQL streaming replication: members, lag with its history (and
 * where the lag comes from), slots and the archiver; under them the selected member's
 * overview (connections, databases, cache, rates, oldest transaction, wraparound). `open`
 * on a member shows its sessions (pane_sessions.c). */
#include "format.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"
#include "view_pg.h"

#include <stdio.h>
#include <string.h>

static const struct pane_column columns[] = {
	{"MEMBER", 8, 1, false}, {"ROLE", 8, 0, false},     {"STATE", 11, 0, false},
	{"TL", 3, 0, true},      {"LSN", 11, 0, false},     {"LAG", 9, 0, true},
	{"REPLAY", 7, 0, true},  {"SYNC", 9, 0, false},     {"HISTORY", 8, 2, false},
};

static bool shown(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->pg_status.configured;
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->pg ? snap->pg->nmembers : 0;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	const struct sd_pg_member *m = &snap->pg->members[i];
	snprintf(out->key, sizeof(out->key), "%s", m->name);
	snprintf(out->cells[0], PANE_CELL, "%s", m->name);
	snprintf(out->cells[1], PANE_CELL, "%s", m->role);
	if (!m->reachable) {
		char since[32];
		fmt_age(m->unreachable_since, since, sizeof(since));
		snprintf(out->cells[2], PANE_CELL, "DOWN %s", since);
		snprintf(out->cells[5], PANE_CELL, "%s", m->error ? m->error : "");
		out->role = !strcmp(m->role, "primary") ? SD_ROLE_CRITICAL : SD_ROLE_WARNING;
		return;
	}
	bool standby = !strcmp(m->role, "standby");
	snprintf(out->cells[2], PANE_CELL, "%s",
		 standby ? (m->repl_state && *m->repl_state ? m->repl_state : "not streaming")
			 : "writable");
	snprintf(out->cells[3], PANE_CELL, "%ld", m->timeline);
	snprintf(out->cells[4], PANE_CELL, "%s", m->lsn ? m->lsn : "");
	if (standby) {
		if (m->lag_bytes >= 0)
			fmt_bytes(m->lag_bytes, out->cells[5], PANE_CELL);
		if (m->replay_lag_seconds >= 0)
			snprintf(out->cells[6], PANE_CELL, "%.1fs", m->replay_lag_seconds);
		snprintf(out->cells[7], PANE_CELL, "%s", m->sync_state && *m->sync_state ? m->sync_state : "-");
		fmt_sparkline(m->lag_history, m->nhistory, 24, 0, ui->utf8, out->cells[8], PANE_CELL);
		long warn = ui->config->postgres.lag_warning_bytes;
		if (!m->repl_state || strcmp(m->repl_state, "streaming") != 0 ||
		    (warn > 0 && m->lag_bytes > warn))
			out->role = SD_ROLE_WARNING;
	} else if (!strcmp(m->role, "primary")) {
		out->cell_role[1] = SD_ROLE_OK;
	}
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	if (!snap->pg_status.answered)
		snprintf(buf, len, "waiting for PostgreSQL...");
	else
		snprintf(buf, len, "no member answers: %s", snap->pg_status.error);
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_pg *pg = snap->pg;
	if (!pg)
		return;
	int primaries = 0, standbys = 0;
	const char *primary = "NONE";
	for (size_t i = 0; i < pg->nmembers; i++) {
		if (!pg->members[i].reachable)
			continue;
		if (!strcmp(pg->members[i].role, "primary"))
			primaries++, primary = pg->members[i].name;
		else if (!strcmp(pg->members[i].role, "standby"))
			standbys++;
	}
	if (primaries > 1)
		snprintf(buf, len, "SPLIT BRAIN: %d primaries", primaries);
	else
		snprintf(buf, len, "primary %s  %d standbys", primary, standbys);
}

static void lag_text(long long bytes, double seconds, char *buf, size_t len)
{
	char b[32] = "?";
	if (bytes >= 0)
		fmt_bytes(bytes, b, sizeof(b));
	if (seconds >= 0)
		snprintf(buf, len, "%s %.3fs", b, seconds);
	else
		snprintf(buf, len, "%s ?s", b);
}

static void lag_line(const struct sd_pg_member *m, char *line)
{
	const char *src = m->lag_source && *m->lag_source ? m->lag_source : "";
	const char *from = !strcmp(src, "pg_stat_replication") ? "the primary's pg_stat_replication"
			   : !strcmp(src, "primary_lsn") ? "the primary's LSN (not streaming)"
			   : !strcmp(src, "standby") ? "its own view (the primary cannot be asked)"
			   : "nowhere (unknown)";
	char w[48], f[48], r[48];
	lag_text(m->write_lag_bytes, m->write_lag_seconds, w, sizeof(w));
	lag_text(m->flush_lag_bytes, m->flush_lag_seconds, f, sizeof(f));
	lag_text(m->lag_bytes, m->replay_lag_seconds, r, sizeof(r));
	snprintf(line, 256, " %s lag from %s: write %s  flush %s  replay %s", m->name, from, w, f, r);
}

static void rate_text(double v, const char *unit, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "?%s", unit);
	else
		snprintf(buf, len, "%.1f%s", v, unit);
}

static size_t overview_lines(const struct sd_pg_member *m, char (*lines)[256], size_t max)
{
	const struct sd_pg_overview *o = &m->overview;
	if (!o->present || max == 0)
		return 0;
	size_t n = 0;
	char commits[32], rollbacks[32], wal[32], hit[32], temp[32];
	rate_text(o->commits_per_second, "/s", commits, sizeof(commits));
	rate_text(o->rollbacks_per_second, "/s", rollbacks, sizeof(rollbacks));
	if (o->wal_bytes_per_second >= 0) {
		fmt_bytes((long long)o->wal_bytes_per_second, wal, sizeof(wal));
		strncat(wal, "/s", sizeof(wal) - strlen(wal) - 1);
	} else {
		snprintf(wal, sizeof(wal), "?/s");
	}
	if (o->cache_hit_ratio >= 0)
		snprintf(hit, sizeof(hit), "%.2f%%", o->cache_hit_ratio * 100.0);
	else
		snprintf(hit, sizeof(hit), "-");
	fmt_bytes(o->temp_bytes, temp, sizeof(temp));
	snprintf(lines[n++], 256,
		 " %s connections %ld/%ld (%ld reserved): %ld active, %ld idle, %ld idle in xact, "
		 "%ld waiting on a lock", m->name, o->connections, o->max_connections,
		 o->reserved_connections, o->active, o->idle, o->idle_in_xact, o->waiting_lock);
	if (n < max)
		snprintf(lines[n++], 256,
			 "  commits %s  rollbacks %s  WAL %s  cache hit %s  deadlocks %lld  temp %s",
			 commits, rollbacks, wal, hit, o->deadlocks, temp);
	if (n < max) {
		char xact[32] = "-", query[32] = "-", margin[32] = "?", ckpt[48] = "?";
		if (o->oldest_xact_seconds >= 0)
			snprintf(xact, sizeof(xact), "%.0fs", o->oldest_xact_seconds);
		if (o->oldest_query_seconds >= 0)
			snprintf(query, sizeof(query), "%.0fs", o->oldest_query_seconds);
		if (o->wraparound_margin >= 0)
			snprintf(margin, sizeof(margin), "%.1f%%", o->wraparound_margin);
		if (o->checkpoints_timed >= 0)
			snprintf(ckpt, sizeof(ckpt), "%lld timed, %lld requested", o->checkpoints_timed,
				 o->checkpoints_req);
		snprintf(lines[n++], 256,
			 "  oldest xact %s  query %s  wraparound margin %s (age %lld)  checkpoints %s",
			 xact, query, margin, o->max_frozen_xid_age, ckpt);
	}
	if (n < max && o->ndatabases) {
		size_t len = (size_t)snprintf(lines[n], 256, "  databases:");
		for (size_t i = 0; i < o->ndatabases && len < 240; i++) {
			char size[32];
			fmt_bytes(o->databases[i].size_bytes, size, sizeof(size));
			len += (size_t)snprintf(lines[n] + len, 256 - len, " %s %s", o->databases[i].name,
						size);
		}
		n++;
	}
	return n;
}

static size_t extra(const struct ui *ui, const struct sd_snapshot *snap, size_t selected,
		    char (*lines)[256], size_t max)
{
	(void)ui;
	const struct sd_pg *pg = snap->pg;
	size_t n = 0;
	if (!pg)
		return 0;
	if (selected < pg->nmembers && n < max) {
		const struct sd_pg_member *m = &pg->members[selected];
		if (m->error && *m->error)
			snprintf(lines[n++], 256, " %s: %s", m->name, m->error);
		else if (!strcmp(m->role, "standby") && m->upstream && !*m->upstream)
			snprintf(lines[n++], 256, " %s follows no primary: point its primary_conninfo at the primary and restart it",
				 m->name);
		if (!strcmp(m->role, "standby") && n < max)
			lag_line(m, lines[n++]);
		n += overview_lines(m, lines + n, max - n);
	}
	for (size_t i = 0; i < pg->nslots && n < max; i++) {
		char bytes[32];
		fmt_bytes(pg->slots[i].retained_bytes, bytes, sizeof(bytes));
		snprintf(lines[n++], 256, " slot %-14s %-8s %-8s retains %s", pg->slots[i].name,
			 pg->slots[i].type, pg->slots[i].active ? "active" : "INACTIVE", bytes);
	}
	n += pgview_pane_lines(ui, lines + n, max - n); /* VACUUM/ANALYZE progress (view_pg.c) */
	const struct sd_pg_archiver *a = &pg->archiver;
	if (a->present && n < max) {
		char ago[32];
		fmt_age(a->last_archived_time, ago, sizeof(ago));
		snprintf(lines[n++], 256, " archiver: %lld archived (last %s, %s ago), %lld failed%s%s",
			 a->archived_count, a->last_archived_wal ? a->last_archived_wal : "-", ago,
			 a->failed_count, a->failed_count ? " last " : "",
			 a->failed_count && a->last_failed_wal ? a->last_failed_wal : "");
	}
	return n;
}

const struct pane_ops pane_postgres = {
	.name = "postgres", .title = "PostgreSQL", .scope = SD_SCOPE_POSTGRES,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.shown = shown, .count = count, .row = row, .empty = empty, .summary = summary,
	.extra = extra,
};
