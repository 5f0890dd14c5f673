/* health.c - health rules: each finding becomes an alert; the worst decides the level.
 * Order of severity: CRITICAL > UNKNOWN > WARNING > OK (what cannot be seen outranks a
 * warning, never a known outage). */
#include "model/health.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_ALERTS 256

struct findings {
	struct sd_snapshot *snap;
	struct sd_alert list[MAX_ALERTS];
	size_t n;
};

static void add(struct findings *f, enum sd_level level, const char *source, const char *target,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void addk(struct findings *f, const char *kind, enum sd_level level, const char *source,
		 const char *target, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A rule without a name of its own is known by the words of its message's format, without
 * the figures ("standby %s lags %lld bytes (> %ld)": "standby-lags-bytes"): stable while the
 * wording is, which is what a finding's identity needs (the push to Alertmanager). */
static const char *kind_of(struct sd_arena *arena, const char *fmt)
{
	char kind[96];
	size_t k = 0, words = 0;
	for (const char *p = fmt; *p && words < 6 && k + 2 < sizeof(kind);) {
		if (*p == '%') {
			p++;
			while (*p && strchr("-+ #0123456789.*lhzjtL", *p))
				p++;
			if (*p)
				p++;
			continue;
		}
		if (!isalpha((unsigned char)*p)) {
			p++;
			continue;
		}
		if (k)
			kind[k++] = '-';
		while (isalpha((unsigned char)*p) && k + 1 < sizeof(kind))
			kind[k++] = (char)tolower((unsigned char)*p++);
		words++;
	}
	kind[k] = '\0';
	return sd_arena_strdup(arena, k ? kind : "finding");
}

static void vadd(struct findings *f, const char *kind, enum sd_level level, const char *source,
		 const char *target, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static void vadd(struct findings *f, const char *kind, enum sd_level level, const char *source,
		 const char *target, const char *fmt, va_list ap)
{
	if (f->n == MAX_ALERTS)
		return;
	struct sd_arena *arena = f->snap->part.arena;
	char text[512];
	vsnprintf(text, sizeof(text), fmt, ap);
	f->list[f->n++] = (struct sd_alert){level, source, sd_arena_strdup(arena, target),
					    sd_arena_strdup(arena, text),
					    kind ? kind : kind_of(arena, fmt)};
}

static void add(struct findings *f, enum sd_level level, const char *source, const char *target,
		const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(f, NULL, level, source, target, fmt, ap);
	va_end(ap);
}

/* A finding with a kind of its own (see kind_of). */
static void addk(struct findings *f, const char *kind, enum sd_level level, const char *source,
		 const char *target, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(f, kind, level, source, target, fmt, ap);
	va_end(ap);
}

int sd_quorum(int managers) { return managers / 2 + 1; }

/* What a lost quorum means to the operator, and the way out. */
#define QUORUM_LOST_MEANS                                                                   \
	"nothing is scheduled or changed until a majority of the managers is back; last "    \
	"resort: swarm.recover on a surviving manager"

static int severity(enum sd_level level)
{
	static const int rank[] = {0, 1, 3, 2}; /* OK, WARNING, CRITICAL, UNKNOWN */
	return rank[level];
}

enum sd_level sd_level_worse(enum sd_level a, enum sd_level b)
{
	return severity(b) > severity(a) ? b : a;
}

static void backend_down(struct findings *f, const struct sd_backend_status *st,
			 const char *source, const char *what)
{
	if (!st->configured || !st->answered || st->reachable)
		return;
	add(f, SD_UNKNOWN, source, what, "%s unreachable: %s", what, st->error);
}

static void swarm_rules(struct findings *f, const struct sd_swarm *sw)
{
	for (size_t i = 0; i < sw->nnodes; i++) {
		const struct sd_node *n = &sw->nodes[i];
		bool manager = !strcmp(n->role, "manager");
		if (strcmp(n->state, "ready") != 0)
			addk(f, "node-down", manager ? SD_CRITICAL : SD_WARNING, "swarm", n->hostname,
			    "%s %s is %s", manager ? "manager" : "worker", n->hostname, n->state);
		else if (manager && !strcmp(n->manager, "unreachable"))
			addk(f, "manager-unreachable", SD_CRITICAL, "swarm", n->hostname,
			     "manager %s is unreachable",
			    n->hostname);
	}
	if (sw->managers > 0) {
		int quorum = sd_quorum(sw->managers);
		if (sw->managers_reachable < quorum)
			addk(f, "quorum-lost", SD_CRITICAL, "swarm", "quorum",
			    "manager quorum lost: %d/%d reachable, %d needed: " QUORUM_LOST_MEANS,
			    sw->managers_reachable, sw->managers, quorum);
		else if (sw->managers_reachable == quorum)
			addk(f, "quorum-edge", SD_WARNING, "swarm", "quorum",
			    "manager quorum at the edge: %d/%d reachable, losing one more loses it",
			    sw->managers_reachable, sw->managers);
	}
	for (size_t i = 0; i < sw->nservices; i++) {
		const struct sd_service *s = sw->services[i];
		if (sd_service_is_job(s))
			continue;
		if (s->desired > 0 && s->running == 0)
			addk(f, "service-down", SD_CRITICAL, "swarm", s->name, "%s: 0/%ld running", s->name, s->desired);
		else if (s->running < s->desired)
			addk(f, "service-degraded", SD_WARNING, "swarm", s->name, "%s: %ld/%ld running", s->name, s->running,
			    s->desired);
		const char *u = s->update_state;
		if (*u && (!strcmp(u, "paused") || !strcmp(u, "rollback_paused") ||
			   !strcmp(u, "rollback_started")))
			add(f, SD_WARNING, "swarm", s->name, "%s: update %s%s%s", s->name, u,
			    *s->update_message ? ": " : "", s->update_message);
	}
}

/* A member's overview: the connection pool (the documents' rule, active / max > 0.9:
 * "数据库连接池即将耗尽", the database connection pool is nearly exhausted), long transactions
 * and queries, long lock waits, the transaction-ID wraparound margin. */
static void pg_overview_rules(struct findings *f, const struct sd_pg_member *m, long long_query)
{
	const struct sd_pg_overview *o = &m->overview;
	if (!o->present)
		return;
	if (o->max_connections > 0) {
		double used = (double)o->connections / (double)o->max_connections;
		if (used > 0.90)
			add(f, used > 0.97 ? SD_CRITICAL : SD_WARNING, "postgres", m->name,
			    "%s: database connection pool nearly exhausted: %ld of %ld connections "
			    "(%.0f%% > %d%%, %ld reserved for superusers)",
			    m->name, o->connections, o->max_connections, used * 100.0,
			    used > 0.97 ? 97 : 90, o->reserved_connections);
	}
	const struct sd_pg_activity *oldest = NULL;
	double age = -1;
	bool query = false;
	for (size_t i = 0; i < m->nsessions; i++) {
		const struct sd_pg_activity *s = &m->sessions[i];
		bool active = !strcmp(s->state, "active");
		if (s->xact_seconds > age)
			oldest = s, age = s->xact_seconds, query = false;
		if (active && s->query_seconds > age)
			oldest = s, age = s->query_seconds, query = true;
	}
	if (oldest && age > (double)long_query)
		add(f, SD_WARNING, "postgres", m->name,
		    "%s: %s of pid %ld (%s) running for %.0f s (> %ld s)", m->name,
		    query ? "query" : "transaction", oldest->pid, oldest->user, age, long_query);
	if (o->blocked_long > 0)
		add(f, SD_WARNING, "postgres", m->name,
		    "%s: %ld session%s blocked on a lock for more than 60 s", m->name, o->blocked_long,
		    o->blocked_long == 1 ? "" : "s");
	if (o->wraparound_margin >= 0 && o->wraparound_margin < 10.0)
		add(f, SD_CRITICAL, "postgres", m->name,
		    "%s: transaction ID wraparound margin %.1f%% (< 10%%; age(datfrozenxid) %lld): "
		    "VACUUM FREEZE the oldest database",
		    m->name, o->wraparound_margin, o->max_frozen_xid_age);
}

static void pg_rules(struct findings *f, const struct sd_pg *pg, long lag_warning, long long_query)
{
	size_t primaries = 0;
	for (size_t i = 0; i < pg->nmembers; i++) {
		const struct sd_pg_member *m = &pg->members[i];
		if (!m->reachable) {
			add(f, SD_WARNING, "postgres", m->name, "%s unreachable: %s", m->name,
			    m->error ? m->error : "no answer");
			continue;
		}
		pg_overview_rules(f, m, long_query);
		if (!strcmp(m->role, "primary")) {
			primaries++;
			continue;
		}
		if (strcmp(m->role, "standby") != 0)
			continue;
		if (!m->repl_state || strcmp(m->repl_state, "streaming") != 0)
			add(f, SD_WARNING, "postgres", m->name, "standby %s is not streaming%s%s",
			    m->name, m->repl_state && *m->repl_state ? " (" : "",
			    m->repl_state && *m->repl_state ? m->repl_state : "");
		if (m->lag_bytes > lag_warning)
			add(f, SD_WARNING, "postgres", m->name, "standby %s lags %lld bytes (> %ld)",
			    m->name, m->lag_bytes, lag_warning);
	}
	if (primaries == 0 && pg->nmembers > 0)
		add(f, SD_CRITICAL, "postgres", "primary", "no reachable PostgreSQL primary");
	else if (primaries > 1) {
		char names[256] = "";
		for (size_t i = 0; i < pg->nmembers; i++)
			if (pg->members[i].reachable && !strcmp(pg->members[i].role, "primary")) {
				if (*names)
					strncat(names, ", ", sizeof(names) - strlen(names) - 1);
				strncat(names, pg->members[i].name, sizeof(names) - strlen(names) - 1);
			}
		add(f, SD_CRITICAL, "postgres", "primary",
		    "SPLIT BRAIN: %zu writable primaries (%s)", primaries, names);
	}
	for (size_t i = 0; i < pg->nslots; i++)
		if (!pg->slots[i].active)
			add(f, SD_WARNING, "postgres", pg->slots[i].name,
			    "replication slot %s is inactive (retains %lld bytes)", pg->slots[i].name,
			    pg->slots[i].retained_bytes);
	const struct sd_pg_archiver *a = &pg->archiver;
	if (a->present && a->failed_count > 0 && a->last_failed_time > a->last_archived_time)
		add(f, SD_WARNING, "postgres", "archiver", "WAL archiving failing (%s)",
		    a->last_failed_wal ? a->last_failed_wal : "?");
}

static void redis_rules(struct findings *f, const struct sd_redis *r)
{
	const struct sd_redis_master *m = &r->master;
	const char *name = m->name && *m->name ? m->name : "master";
	if (m->flags && strstr(m->flags, "o_down"))
		add(f, SD_CRITICAL, "redis", name, "master %s (%s) is objectively down", name,
		    m->addr ? m->addr : "?");
	else if (m->flags && strstr(m->flags, "s_down"))
		add(f, SD_WARNING, "redis", name, "master %s (%s) is subjectively down", name,
		    m->addr ? m->addr : "?");
	if (m->addr && *m->addr && !m->reachable && !(m->flags && strstr(m->flags, "o_down")))
		add(f, SD_WARNING, "redis", name, "master %s (%s) does not answer swarmdeck: %s", name,
		    m->addr, m->error && *m->error ? m->error : "no answer");
	if (m->addr && *m->addr && !m->ckquorum)
		add(f, SD_CRITICAL, "redis", name, "CKQUORUM fails: %s",
		    m->ckquorum_message ? m->ckquorum_message : "?");
	for (size_t i = 0; i < r->nreplicas; i++) {
		const struct sd_redis_replica *rep = &r->replicas[i];
		if ((rep->link && !strcmp(rep->link, "down")) ||
		    (rep->flags && strstr(rep->flags, "down")))
			add(f, SD_WARNING, "redis", rep->addr, "replica %s link down", rep->addr);
		else if (rep->error && *rep->error)
			add(f, SD_WARNING, "redis", rep->addr, "replica %s: %s", rep->addr, rep->error);
	}
	const char *agreed = NULL;
	for (size_t i = 0; i < r->nsentinels; i++) {
		const struct sd_redis_sentinel *s = &r->sentinels[i];
		if (!s->reachable) {
			add(f, SD_WARNING, "redis", s->addr, "sentinel %s unreachable", s->addr);
			continue;
		}
		if (!s->master_addr || !*s->master_addr)
			continue;
		if (!agreed)
			agreed = s->master_addr;
		else if (strcmp(agreed, s->master_addr) != 0)
			add(f, SD_WARNING, "redis", s->addr,
			    "sentinels disagree on the master: %s says %s, another %s", s->addr,
			    s->master_addr, agreed);
	}
}

time_t sd_backup_newest_verified(const struct sd_backups *b, const char *kind)
{
	time_t newest = 0;
	for (size_t i = 0; b && i < b->nitems; i++)
		if (!strcmp(b->items[i].kind, kind) && !strcmp(b->items[i].verified, "yes") &&
		    b->items[i].time > newest)
			newest = b->items[i].time;
	return newest;
}

time_t sd_backup_newest_offsite(const struct sd_backups *b, const char *kind)
{
	time_t newest = 0;
	for (size_t i = 0; b && i < b->nitems; i++) {
		const struct sd_backup *x = &b->items[i];
		if (strcmp(x->kind, kind) != 0 || x->time <= newest)
			continue;
		for (size_t j = 0; j < x->ncopies; j++)
			if (!strcmp(x->copies[j].where, "remote") && !strcmp(x->copies[j].verified, "yes"))
				newest = x->time;
	}
	return newest;
}

/* With backup.remote set, the recovery point is the newest backup with a verified off-site
 * copy: a copy on the database's own disk does not survive the site. */
static void offsite_rules(struct findings *f, const struct sd_backups *b, long rpo, time_t now)
{
	if (b->remote_error && *b->remote_error)
		add(f, SD_WARNING, "backups", "remote", "the off-site remote does not answer: %s",
		    b->remote_error);
	time_t newest = sd_backup_newest_offsite(b, "postgres");
	if (!newest)
		add(f, SD_WARNING, "backups", "rpo",
		    "no off-site copy within the RPO: no PostgreSQL backup has a verified remote copy");
	else if (now - newest > 2 * rpo)
		add(f, SD_CRITICAL, "backups", "rpo",
		    "no off-site copy within the RPO: the newest verified off-site PostgreSQL copy is "
		    "%lds old, past twice the RPO (%lds)", (long)(now - newest), rpo);
	else if (now - newest > rpo)
		add(f, SD_WARNING, "backups", "rpo",
		    "no off-site copy within the RPO: the newest verified off-site PostgreSQL copy is "
		    "%lds old (RPO %lds)", (long)(now - newest), rpo);
}

static void backup_rules(struct findings *f, const struct sd_backups *b, long rpo, time_t now)
{
	time_t newest = sd_backup_newest_verified(b, "postgres");
	if (b && b->remote_configured)
		offsite_rules(f, b, rpo, now);
	else if (!newest)
		add(f, SD_WARNING, "backups", "rpo",
		    "no verified PostgreSQL backup: the recovery point cannot be met");
	else if (now - newest > 2 * rpo)
		add(f, SD_CRITICAL, "backups", "rpo",
		    "newest verified PostgreSQL backup is %lds old: past twice the RPO (%lds)",
		    (long)(now - newest), rpo);
	else if (now - newest > rpo)
		add(f, SD_WARNING, "backups", "rpo",
		    "newest verified PostgreSQL backup is %lds old: past the RPO (%lds)",
		    (long)(now - newest), rpo);
	for (size_t i = 0; b && i < b->nitems; i++)
		if (!strcmp(b->items[i].verified, "failed"))
			add(f, SD_WARNING, "backups", b->items[i].file, "backup %s failed verification: %s",
			    b->items[i].file, b->items[i].verify_message ? b->items[i].verify_message : "");
}

/* "prometheus: ..." for an error that does not say it already */
static void prom_down(struct findings *f, const char *target, const char *error)
{
	if (!error || !*error)
		return;
	addk(f, "prometheus-unreachable", SD_WARNING, "prometheus", target, "%s%s",
	     strncmp(error, "prometheus", 10) ? "prometheus: " : "", error);
}

/* Prometheus and Alertmanager: their firing alerts (not the console's own, pushed: counted
 * once, as the finding they came from; not those whose severity counts as OK), the
 * thresholds on node_exporter's figures, and an API that does not answer (a WARNING: the
 * stack itself may be fine). */
static void prom_rules(struct findings *f, const struct sd_prom *p, const struct sd_config *c)
{
	double cpu = c ? c->prometheus.cpu_percent : 90;
	double mem = c ? c->prometheus.memory_available_percent : 10;
	double disk = c ? c->prometheus.disk_free_percent : 10;
	prom_down(f, p->alerts_from && *p->alerts_from ? p->alerts_from : "prometheus",
		  p->alerts_error);
	prom_down(f, "metrics", p->metrics_error);
	if (p->push_error && *p->push_error)
		addk(f, "alertmanager-push", SD_WARNING, "prometheus", "alertmanager",
		     "prometheus: push to alertmanager: %s", p->push_error);
	for (size_t i = 0; i < p->nalerts; i++) {
		const struct sd_prom_alert *a = &p->alerts[i];
		if (a->own || strcmp(a->state, "firing") != 0 || a->level == SD_OK)
			continue;
		addk(f, "prometheus-alert", a->level, "prometheus", *a->target ? a->target : a->name,
		     "%s%s%s", a->name, *a->summary ? ": " : "", a->summary);
	}
	for (size_t i = 0; i < p->nnodes; i++) {
		const struct sd_node_metrics *m = &p->nodes[i];
		if (isfinite(m->cpu_busy) && m->cpu_busy > cpu)
			addk(f, "cpu-busy", SD_WARNING, "metrics", m->node,
			     "%s: CPU %.0f%% busy (> %g%%)", m->node, m->cpu_busy, cpu);
		if (isfinite(m->mem_available) && isfinite(m->mem_total) && m->mem_total > 0 &&
		    100.0 * m->mem_available / m->mem_total < mem)
			addk(f, "memory-low", SD_WARNING, "metrics", m->node,
			     "%s: memory available %.1f%% (< %g%%)", m->node,
			     100.0 * m->mem_available / m->mem_total, mem);
		if (isfinite(m->disk_free) && isfinite(m->disk_size) && m->disk_size > 0 &&
		    100.0 * m->disk_free / m->disk_size < disk)
			addk(f, "disk-low", SD_WARNING, "metrics", m->node,
			     "%s: root disk free %.1f%% (< %g%%)", m->node,
			     100.0 * m->disk_free / m->disk_size, disk);
	}
}

/* The front door: a VIP that answers nowhere is an outage; a keepalived node that does
 * not answer is one failure from it; a holder not among the nodes is someone else's box. */
static void vip_rules(struct findings *f, const struct sd_vip *v)
{
	if (!*v->holder)
		add(f, SD_CRITICAL, "vip", v->address, "VIP %s answers nowhere: %s", v->address,
		    *v->error ? v->error : "no answer");
	bool known = !*v->holder;
	for (size_t i = 0; i < v->nnodes; i++) {
		const struct sd_vip_node *n = &v->nodes[i];
		if (*v->holder && !strcmp(n->name, v->holder))
			known = true;
		if (!n->answers)
			add(f, SD_WARNING, "vip", n->name, "keepalived node %s does not answer: %s",
			    n->name, *n->error ? n->error : "no answer");
	}
	if (!known)
		add(f, SD_WARNING, "vip", v->address,
		    "VIP %s is held by %s, not one of the configured keepalived nodes", v->address,
		    v->holder);
}

void sd_health_evaluate(struct sd_snapshot *snap, const struct sd_config *config)
{
	struct findings f = {.snap = snap};

	const struct sd_backend_status *ds = &snap->docker_status;
	if (ds->answered && !ds->reachable && strstr(ds->error, "does not have a leader"))
		/* the engine answers, its swarm does not: what that means, and the way out */
		addk(&f, "quorum-lost", SD_CRITICAL, "swarm", "quorum",
		     "manager quorum lost: the swarm has no leader: " QUORUM_LOST_MEANS);
	else
		backend_down(&f, ds, "swarm", "docker engine");
	if (snap->swarm)
		swarm_rules(&f, snap->swarm);
	if (snap->pg_status.configured) {
		if (snap->pg)
			pg_rules(&f, snap->pg,
				 config && config->postgres.lag_warning_bytes > 0
					 ? config->postgres.lag_warning_bytes
					 : 1048576,
				 config && config->postgres.long_query_seconds > 0
					 ? config->postgres.long_query_seconds
					 : 300);
		else
			backend_down(&f, &snap->pg_status, "postgres", "postgres");
	}
	if (snap->redis_status.configured) {
		backend_down(&f, &snap->redis_status, "redis", "sentinels");
		if (snap->redis)
			redis_rules(&f, snap->redis);
	}

	if (snap->backups_status.configured) {
		backend_down(&f, &snap->backups_status, "backups", "backup folder");
		if (snap->backups)
			backup_rules(&f, snap->backups,
				     config && config->backup.rpo_seconds > 0 ? config->backup.rpo_seconds
									      : 300,
				     snap->time ? snap->time : time(NULL));
	}

	if (snap->prom)
		prom_rules(&f, snap->prom, config);
	if (snap->vip_status.configured && snap->vip)
		vip_rules(&f, snap->vip);

	enum sd_level worst = SD_OK;
	if (!snap->docker_status.answered)
		worst = SD_UNKNOWN;
	for (size_t i = 0; i < f.n; i++)
		if (severity(f.list[i].level) > severity(worst))
			worst = f.list[i].level;
	snap->health = worst;
	snap->nalerts = f.n;
	snap->alerts = sd_arena_alloc(snap->part.arena, (f.n ? f.n : 1) * sizeof(struct sd_alert));
	memcpy(snap->alerts, f.list, f.n * sizeof(struct sd_alert));
	/* most severe first, stable */
	for (size_t i = 1; i < f.n; i++) {
		struct sd_alert a = snap->alerts[i];
		size_t j = i;
		while (j > 0 && severity(snap->alerts[j - 1].level) < severity(a.level)) {
			snap->alerts[j] = snap->alerts[j - 1];
			j--;
		}
		snap->alerts[j] = a;
	}
}
