/* pane_redis.c - Redis Sentinel: the master, its replicas, the Sentinels and the live event
 * log. */
#include "format.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "ui.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const struct pane_column columns[] = {
	{"ROLE", 8, 0, false}, {"ADDR", 20, 1, false}, {"FLAGS", 12, 2, false},
	{"LINK", 6, 0, false}, {"LAG", 9, 0, true},    {"SEES MASTER AT", 14, 1, false},
};

static bool shown(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	return snap->redis_status.configured;
}

static size_t count(const struct ui *ui, const struct sd_snapshot *snap)
{
	(void)ui;
	const struct sd_redis *r = snap->redis;
	if (!r || !r->master.addr || !*r->master.addr)
		return r ? r->nsentinels : 0;
	return 1 + r->nreplicas + r->nsentinels;
}

static void row(const struct ui *ui, const struct sd_snapshot *snap, size_t i, struct pane_row *out)
{
	(void)ui;
	const struct sd_redis *r = snap->redis;
	bool has_master = r->master.addr && *r->master.addr;
	if (has_master && i == 0) {
		snprintf(out->cells[0], PANE_CELL, "master");
		snprintf(out->cells[1], PANE_CELL, "%s", r->master.addr);
		snprintf(out->cells[2], PANE_CELL, "%s", !r->master.reachable && r->master.error &&
			 *r->master.error ? r->master.error : r->master.flags ? r->master.flags : "");
		if (r->master.offset >= 0)
			snprintf(out->cells[4], PANE_CELL, "@%lld", r->master.offset);
		snprintf(out->key, sizeof(out->key), "master");
		if (r->master.flags && strstr(r->master.flags, "o_down"))
			out->role = SD_ROLE_CRITICAL;
		else if (r->master.flags && strstr(r->master.flags, "s_down"))
			out->role = SD_ROLE_WARNING;
		else
			out->cell_role[0] = SD_ROLE_OK;
		return;
	}
	size_t k = has_master ? i - 1 : i + r->nreplicas;
	if (k < r->nreplicas) {
		const struct sd_redis_replica *rep = &r->replicas[k];
		snprintf(out->cells[0], PANE_CELL, "replica");
		snprintf(out->cells[1], PANE_CELL, "%s", rep->addr);
		snprintf(out->cells[2], PANE_CELL, "%s", rep->error && *rep->error ? rep->error
							: rep->flags ? rep->flags : "");
		snprintf(out->cells[3], PANE_CELL, "%s", rep->link && *rep->link ? rep->link : "-");
		if (rep->lag_bytes >= 0)
			fmt_bytes(rep->lag_bytes, out->cells[4], PANE_CELL);
		snprintf(out->key, sizeof(out->key), "replica %s", rep->addr);
		if ((rep->link && !strcmp(rep->link, "down")) || (rep->flags && strstr(rep->flags, "down")) ||
		    (rep->error && *rep->error))
			out->role = SD_ROLE_WARNING;
		return;
	}
	const struct sd_redis_sentinel *s = &r->sentinels[k - r->nreplicas];
	snprintf(out->cells[0], PANE_CELL, "sentinel");
	snprintf(out->cells[1], PANE_CELL, "%s", s->addr);
	snprintf(out->cells[2], PANE_CELL, "%s", s->reachable ? (s->flags ? s->flags : "") : (s->error ? s->error : "unreachable"));
	snprintf(out->cells[5], PANE_CELL, "%s", s->master_addr ? s->master_addr : "");
	snprintf(out->key, sizeof(out->key), "sentinel %s", s->addr);
	if (!s->reachable)
		out->role = SD_ROLE_WARNING;
	else if (has_master && s->master_addr && *s->master_addr && strcmp(s->master_addr, r->master.addr))
		out->cell_role[5] = SD_ROLE_WARNING;
}

static void empty(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	if (!snap->redis_status.answered)
		snprintf(buf, len, "waiting for the Sentinels...");
	else
		snprintf(buf, len, "no Sentinel answers: %s", snap->redis_status.error);
}

static void summary(const struct ui *ui, const struct sd_snapshot *snap, char *buf, size_t len)
{
	(void)ui;
	const struct sd_redis *r = snap->redis;
	if (!r || !r->master.name)
		return;
	snprintf(buf, len, "%s quorum %ld  CKQUORUM %s%s%s", r->master.name, r->master.quorum,
		 r->master.ckquorum ? "ok" : "FAILS", r->failover && *r->failover ? "  FAILOVER " : "",
		 r->failover && *r->failover ? r->failover : "");
}

static size_t extra(const struct ui *ui, const struct sd_snapshot *snap, size_t selected,
		    char (*lines)[256], size_t max)
{
	(void)ui, (void)selected;
	const struct sd_redis *r = snap->redis;
	if (!r || max == 0)
		return 0;
	size_t n = 0;
	snprintf(lines[n++], 256, " events (newest first):");
	for (size_t i = r->nevents; i-- > 0 && n < max;) {
		const struct sd_redis_event *e = &r->events[i];
		char clock[16];
		struct tm tm;
		localtime_r(&e->time, &tm);
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
		snprintf(lines[n++], 256, " %s %-18s %s", clock, e->channel, e->message);
	}
	if (r->nevents == 0)
		snprintf(lines[0], 256, " events: none since swarmdeck started");
	return n;
}

const struct pane_ops pane_redis = {
	.name = "redis", .title = "Redis Sentinel", .scope = SD_SCOPE_REDIS,
	.columns = columns, .ncolumns = sizeof(columns) / sizeof(columns[0]),
	.shown = shown, .count = count, .row = row, .empty = empty, .summary = summary,
	.extra = extra,
};
