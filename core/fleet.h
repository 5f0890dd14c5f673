/* fleet.h - the clusters of one console: a core per cluster of the config, each with its own
 * pollers (a dead cluster never stalls another), the one on screen, and a line of facts per
 * cluster for the fleet view and --once. A config without clusters is a fleet of one. */
#ifndef SD_FLEET_H
#define SD_FLEET_H

#include "conf/config.h"
#include "base/error.h"
#include "core.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_fleet;

/* A core for every cluster of CONFIG (which must outlive the fleet), in MODE, or WATCH for a
 * cluster that is read_only. SHOWN: the index of the one on screen. NULL with ERR. */
struct sd_fleet *sd_fleet_new(const struct sd_config *config, enum sd_mode mode, size_t shown,
			      struct sd_error *err);
void sd_fleet_start(struct sd_fleet *fleet);          /* sd_core_start for each */
void sd_fleet_start_pollers(struct sd_fleet *fleet);  /* sd_core_start_pollers for each */
void sd_fleet_free(struct sd_fleet *fleet);

size_t sd_fleet_count(const struct sd_fleet *fleet);
struct sd_core *sd_fleet_core(const struct sd_fleet *fleet, size_t i);
const struct sd_config *sd_fleet_config(const struct sd_fleet *fleet, size_t i);
/* The cluster's name: its key under clusters:, the config's cluster_name, or "". */
const char *sd_fleet_name(const struct sd_fleet *fleet, size_t i);
size_t sd_fleet_shown(const struct sd_fleet *fleet);
/* Put cluster I on screen: its pollers keep the config's interval, the others' go slower. */
void sd_fleet_show(struct sd_fleet *fleet, size_t i);

/* Wait until every core's backends have answered once, at most TIMEOUT seconds in all. */
bool sd_fleet_wait_first(struct sd_fleet *fleet, double timeout);
/* The worst health of all clusters' newest snapshots. */
enum sd_level sd_fleet_health(struct sd_fleet *fleet);

/* One cluster's line of the fleet view, from its snapshot and config. Counts are -1 where
 * nothing is known (the section is not configured or has not answered). */
struct sd_fleet_line {
	bool reachable;              /* its engine answered the last look */
	int managers, managers_reachable;
	bool quorum;                 /* more than half of the managers reachable */
	int nodes, nodes_down;
	int services, degraded, updating;
	char primary[64];            /* PostgreSQL primary's name, "" none */
	long long worst_lag;         /* bytes, of the standbys; -1 unknown */
	char redis_master[64];       /* Sentinel's master address, "" none */
	int ckquorum;                /* 1 ok, 0 fails, -1 unknown */
	long long rpo_age;           /* seconds since the newest verified backup; -1 none */
	bool rpo_past;
	int alerts_firing;           /* Prometheus's firing alerts; -1 not configured */
	enum sd_level level;         /* the snapshot's health */
};
void sd_fleet_summarize(const struct sd_snapshot *snap, const struct sd_config *config,
			time_t now, struct sd_fleet_line *out);

#endif
