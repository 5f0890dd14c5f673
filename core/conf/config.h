/* config.h - the user's configuration, read from YAML into plain structs. Every error names
 * file, line and column. (Keymaps: keymap.h; themes: theme.h.) */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include "conf/yamltree.h"
#include "base/error.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_pg_member_config {
	char *name;
	char *conninfo;           /* libpq conninfo; never holds the password on screen */
	char *password_file;      /* optional */
};

/* How to reach an HTTP API (Prometheus, Alertmanager): TLS and credentials. */
struct sd_http_config {
	bool configured;
	char *url;                /* http(s)://host:port[/prefix] */
	long timeout_ms;          /* default 3000 */
	char *ca_file;            /* TLS: verify against this CA (else the system's) */
	char *bearer_token_file;  /* Authorization: Bearer, from this file only */
	char *user;               /* basic auth, with password_file */
	char *password_file;
};

/* A severity label's value and the level it counts as (prometheus.severities). */
struct sd_severity_config {
	char *name;
	int level;                /* enum sd_level */
};

struct sd_vip_node_config {       /* vip.nodes: a keepalived node */
	char *name;                       /* what its check URL answers on the first line */
	char *url;                        /* its own check URL (the node's address, not the VIP) */
};

struct sd_config {
	char *path;                       /* the file read, or NULL for built-in defaults */
	char *cluster_name;               /* header; default: the engine's hostname */
	struct {
		char *host;               /* NULL: the context, DOCKER_HOST or the default socket */
		char *context;            /* a Docker context's name (--context overrides it) */
		bool context_flag;        /* it is --context's, not the file's (sd_config_context_from) */
		char **hosts;             /* more managers to move to when the one in use is lost */
		size_t nhosts;
		int tls_verify;           /* -1: environment */
		char *cert_path;
		long timeout_ms;          /* default 5000 */
	} docker;
	double interval;                  /* seconds, default 2 */
	/* seconds between full resyncs of the swarm while the engine's events stream is up
	 * (an event refreshes what it names in between), default 30 */
	double resync_interval;
	long scale_max;                   /* service.scale upper bound, default 100 */
	bool protected_cluster;           /* protected: every mutating action asks for its
	                                     target's name typed; the screen says so */
	bool read_only;                   /* read_only: as --watch, whatever the command line */
	char *audit_log;                  /* default $XDG_STATE_HOME/swarmdeck/audit.log */
	char *theme, *keymap;             /* names or files; NULL: default */
	struct {
		bool configured;
		struct sd_pg_member_config *members;
		size_t nmembers;
		char *password_file;      /* default for members without one */
		long connect_timeout;     /* seconds, default 3 */
		long statement_timeout_ms;/* default 3000 */
		long lag_warning_bytes;   /* default 1048576 */
		long query_timeout_ms;    /* pg.query's statement timeout, default 30000 */
		long long_query_seconds;  /* a transaction or query older is a WARNING; default 300 */
	} postgres;
	struct {
		bool configured;
		char **sentinels;         /* host:port */
		size_t nsentinels;
		char *master_name;        /* default mymaster */
		char *password_file;      /* requirepass of master/replicas */
		char *sentinel_password_file;
		long timeout_ms;          /* default 2000 */
	} redis;
	struct {
		bool configured;
		char *dir;
		long retention_days;      /* default 7 */
		long rpo_seconds;         /* default 300 */
		char **databases;
		size_t ndatabases;
		char **services;          /* services scaled to 0 during a restore */
		size_t nservices;
		char *stack;              /* stack exported by the swarm backup */
		struct {                  /* backup.remote: the off-site WebDAV copy */
			bool configured;
			char *url;            /* http(s)://host/folder/ (TLS verified) */
			char *user;
			char *password_file;  /* the password, from this file only */
			long retention_days;  /* default 180 */
			long timeout_ms;      /* connect and stall limit, default 10000 */
		} remote;
	} backup;
	struct {
		long max_lines;           /* lines the log view holds, default 20000 */
		long max_bytes;           /* and bytes, default 16 MiB */
	} logs;
	struct {
		struct sd_http_config http;
		char *node_label;         /* the label matched to a node's address or hostname,
		                             its port left out; default instance */
		char *job;                /* node_exporter's job; default node */
		double cpu_percent;       /* busy above this is a WARNING; default 90 */
		double memory_available_percent; /* available below this; default 10 */
		double disk_free_percent; /* free on / below this; default 10 */
		struct sd_severity_config *severities; /* beyond critical and warning */
		size_t nseverities;
		int other_level;          /* any other severity; default WARNING */
	} prometheus;
	struct {
		struct sd_http_config http;
		bool push;                /* post the console's findings as alerts */
	} alertmanager;
	struct {
		char *path;               /* default $XDG_STATE_HOME/swarmdeck/timeline.jsonl */
		long max_events;          /* kept in memory and per file (rotated), default 10000 */
	} timeline;
	struct {                          /* vip: the front door (conf/config_vip.c) */
		bool configured;
		char *address;            /* the virtual IP */
		char *check_url;          /* answered through the VIP; default http://ADDRESS/ */
		long timeout_ms;          /* every request's limit, default 1000 */
		struct sd_vip_node_config *nodes;
		size_t nnodes;
	} vip;
	/* clusters: each a whole config of its own (cluster_name its name, the top level's
	 * interval, scale_max, audit_log, logs and timeline inherited). 0: the file is one
	 * cluster, this config. */
	struct sd_config *clusters;
	size_t nclusters;
};

/* The clusters of CONFIG: its clusters, or CONFIG itself when it names none. */
size_t sd_config_ncluster(const struct sd_config *config);
const struct sd_config *sd_config_cluster(const struct sd_config *config, size_t i);
/* The index of the cluster named NAME, or -1. */
int sd_config_find_cluster(const struct sd_config *config, const char *name);
/* Where the cluster's docker.context comes from, for messages: "--context" or "docker.context". */
const char *sd_config_context_from(const struct sd_config *config);

/* Load PATH (or the built-in defaults when PATH is NULL). 0, or -1 with ERR. */
int sd_config_load(const char *path, struct sd_config *config, struct sd_error *err);
void sd_config_free(struct sd_config *config);
/* Where the config comes from when --config is not given: SWARMDECK_CONFIG, else
 * $XDG_CONFIG_HOME/swarmdeck/config.yaml if it exists, else NULL (defaults). malloc'ed. */
char *sd_config_default_path(void);

#endif
