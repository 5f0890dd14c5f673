/* fleet.c - a core per cluster (fleet.h). */
#include "fleet.h"
#include "model/health.h"
#include "base/clock.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sd_fleet {
	const struct sd_config *config;
	struct sd_core **cores;
	size_t n, shown;
};

struct sd_fleet *sd_fleet_new(const struct sd_config *config, enum sd_mode mode, size_t shown,
			      struct sd_error *err)
{
	struct sd_fleet *f = xcalloc(1, sizeof(*f));
	f->config = config;
	f->n = sd_config_ncluster(config);
	f->cores = xcalloc(f->n, sizeof(*f->cores));
	for (size_t i = 0; i < f->n; i++) {
		const struct sd_config *c = sd_config_cluster(config, i);
		f->cores[i] = sd_core_new(c, c->read_only ? SD_MODE_WATCH : mode, err);
		if (!f->cores[i]) {
			if (config->nclusters) { /* say which cluster could not start */
				struct sd_error why = *err;
				int n = snprintf(err->text, sizeof(err->text), "cluster %s: ",
						 c->cluster_name);
				snprintf(err->text + n, sizeof(err->text) - (size_t)n, "%.*s",
					 (int)(sizeof(err->text) - (size_t)n - 1), why.text);
			}
			sd_fleet_free(f);
			return NULL;
		}
	}
	sd_fleet_show(f, shown < f->n ? shown : 0);
	return f;
}

void sd_fleet_start(struct sd_fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		sd_core_start(f->cores[i]);
}

void sd_fleet_start_pollers(struct sd_fleet *f)
{
	for (size_t i = 0; i < f->n; i++)
		sd_core_start_pollers(f->cores[i]);
}

void sd_fleet_free(struct sd_fleet *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		sd_core_free(f->cores[i]);
	free(f->cores);
	free(f);
}

size_t sd_fleet_count(const struct sd_fleet *f) { return f->n; }
struct sd_core *sd_fleet_core(const struct sd_fleet *f, size_t i) { return f->cores[i]; }
size_t sd_fleet_shown(const struct sd_fleet *f) { return f->shown; }

const struct sd_config *sd_fleet_config(const struct sd_fleet *f, size_t i)
{
	return sd_config_cluster(f->config, i);
}

const char *sd_fleet_name(const struct sd_fleet *f, size_t i)
{
	const char *name = sd_fleet_config(f, i)->cluster_name;
	return name ? name : "";
}

void sd_fleet_show(struct sd_fleet *f, size_t i)
{
	f->shown = i;
	for (size_t k = 0; k < f->n; k++)
		sd_core_set_background(f->cores[k], k != i);
}

bool sd_fleet_wait_first(struct sd_fleet *f, double timeout)
{
	/* the cores poll side by side: one deadline for all of them */
	double until = sd_now() + timeout;
	bool all = true;
	for (size_t i = 0; i < f->n; i++) {
		double left = until - sd_now();
		all &= sd_core_wait_first(f->cores[i], left > 0 ? left : 0);
	}
	return all;
}

enum sd_level sd_fleet_health(struct sd_fleet *f)
{
	enum sd_level level = SD_OK;
	for (size_t i = 0; i < f->n; i++) {
		struct sd_snapshot *s = sd_core_snapshot(f->cores[i]);
		level = sd_level_worse(level, s->health);
		sd_snapshot_unref(s);
	}
	return level;
}

void sd_fleet_summarize(const struct sd_snapshot *s, const struct sd_config *config, time_t now,
			struct sd_fleet_line *out)
{
	memset(out, 0, sizeof(*out));
	out->level = s->health;
	out->reachable = s->docker_status.reachable;
	out->managers = out->managers_reachable = out->nodes = out->nodes_down = -1;
	out->services = out->degraded = out->updating = -1;
	const struct sd_swarm *sw = s->swarm;
	if (sw) {
		out->managers = sw->managers;
		out->managers_reachable = sw->managers_reachable;
		out->quorum = sw->managers > 0 && sw->managers_reachable >= sd_quorum(sw->managers);
		out->nodes = (int)sw->nnodes;
		out->nodes_down = 0;
		for (size_t i = 0; i < sw->nnodes; i++)
			out->nodes_down += strcmp(sw->nodes[i].state, "ready") != 0;
		out->services = (int)sw->nservices;
		out->degraded = out->updating = 0;
		for (size_t i = 0; i < sw->nservices; i++) {
			const struct sd_service *v = sw->services[i];
			bool job = sd_service_is_job(v);
			out->degraded += !job && v->running < v->desired;
			out->updating += strcmp(v->update_state, "updating") == 0 ||
					 strcmp(v->update_state, "rollback_started") == 0;
		}
	}
	out->worst_lag = -1;
	for (size_t i = 0; s->pg && i < s->pg->nmembers; i++) {
		const struct sd_pg_member *m = &s->pg->members[i];
		if (m->reachable && strcmp(m->role, "primary") == 0)
			snprintf(out->primary, sizeof(out->primary), "%s", m->name);
		else if (strcmp(m->role, "standby") == 0 && m->lag_bytes > out->worst_lag)
			out->worst_lag = m->lag_bytes;
	}
	out->ckquorum = -1;
	if (s->redis && s->redis->master.addr && *s->redis->master.addr) {
		snprintf(out->redis_master, sizeof(out->redis_master), "%s", s->redis->master.addr);
		out->ckquorum = s->redis->master.ckquorum;
	}
	out->rpo_age = -1;
	if (config->backup.configured) {
		time_t newest = config->backup.remote.configured
					? sd_backup_newest_offsite(s->backups, "postgres")
					: sd_backup_newest_verified(s->backups, "postgres");
		if (newest) {
			out->rpo_age = now > newest ? (long long)(now - newest) : 0;
			out->rpo_past = out->rpo_age > config->backup.rpo_seconds;
		}
	}
	out->alerts_firing = -1;
	if (s->prom) {
		out->alerts_firing = 0;
		for (size_t i = 0; i < s->prom->nalerts; i++)
			out->alerts_firing += strcmp(s->prom->alerts[i].state, "firing") == 0;
	}
}
