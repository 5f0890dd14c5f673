/* config.c - the configuration file: YAML into the plain structs of config.h, checked
 * strictly (unknown keys, wrong types, out-of-range numbers, a password in a conninfo string
 * are errors naming file:line:column). */
#include "conf/config.h"
#include "conf/config_prom.h"
#include "conf/config_vip.h"
#include "conf/read.h"
#include "conf/paths.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

char *sd_config_default_path(void)
{
	const char *env = getenv("SWARMDECK_CONFIG");
	if (env && *env)
		return xstrdup(env);
	char *path = conf_xdg_path("XDG_CONFIG_HOME", ".config", "config.yaml");
	struct stat st;
	if (stat(path, &st) == 0)
		return path;
	free(path);
	return NULL;
}

/* ---- configuration ---- */
static void config_defaults(struct sd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->docker.tls_verify = -1;
	c->docker.timeout_ms = 5000;
	c->interval = 2;
	c->resync_interval = 30;
	c->scale_max = 100;
	c->audit_log = sd_state_path("audit.log");
	c->postgres.connect_timeout = 3;
	c->postgres.statement_timeout_ms = 3000;
	c->postgres.lag_warning_bytes = 1048576;
	c->postgres.query_timeout_ms = 30000;
	c->postgres.long_query_seconds = 300;
	c->redis.master_name = xstrdup("mymaster");
	c->redis.timeout_ms = 2000;
	c->backup.retention_days = 7;
	c->backup.rpo_seconds = 300;
	c->logs.max_lines = 20000;
	c->logs.max_bytes = 16L << 20;
	c->timeline.path = sd_state_path("timeline.jsonl");
	c->timeline.max_events = 10000;
	c->backup.remote.retention_days = 180;
	c->backup.remote.timeout_ms = 10000;
	conf_prom_defaults(c);
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void sd_config_free(struct sd_config *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->cluster_name);
	free(c->docker.host);
	free(c->docker.context);
	free_list(c->docker.hosts, c->docker.nhosts);
	free(c->docker.cert_path);
	free(c->audit_log);
	free(c->theme);
	free(c->keymap);
	for (size_t i = 0; i < c->postgres.nmembers; i++) {
		free(c->postgres.members[i].name);
		free(c->postgres.members[i].conninfo);
		free(c->postgres.members[i].password_file);
	}
	free(c->postgres.members);
	free(c->postgres.password_file);
	free_list(c->redis.sentinels, c->redis.nsentinels);
	free(c->redis.master_name);
	free(c->redis.password_file);
	free(c->redis.sentinel_password_file);
	free(c->backup.dir);
	free_list(c->backup.databases, c->backup.ndatabases);
	free_list(c->backup.services, c->backup.nservices);
	free(c->backup.stack);
	free(c->timeline.path);
	free(c->backup.remote.url);
	free(c->backup.remote.user);
	free(c->backup.remote.password_file);
	conf_prom_free(c);
	conf_free_vip(c);
	for (size_t i = 0; i < c->nclusters; i++)
		sd_config_free(&c->clusters[i]);
	free(c->clusters);
	memset(c, 0, sizeof(*c));
}

static int read_docker(const struct conf_reader *r, const struct sd_yaml *map, struct sd_config *c)
{
	static const char *const keys[] = {"host",     "hosts",      "context", "tls_verify",
					   "cert_path", "timeout_ms", NULL};
	if (conf_check_keys(r, map, keys, "docker") < 0)
		return -1;
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i];
		const struct sd_yaml *v = map->items[i];
		int rc = 0;
		if (strcmp(k, "host") == 0) {
			rc = conf_get_string(r, v, "docker.host", &c->docker.host);
		} else if (strcmp(k, "hosts") == 0) {
			rc = conf_get_string_list(r, v, "docker.hosts", &c->docker.hosts,
						  &c->docker.nhosts);
		} else if (strcmp(k, "context") == 0) {
			rc = conf_get_string(r, v, "docker.context", &c->docker.context);
		} else if (strcmp(k, "tls_verify") == 0) {
			bool b = false;
			rc = conf_get_bool(r, v, "docker.tls_verify", &b);
			c->docker.tls_verify = b;
		} else if (strcmp(k, "cert_path") == 0) {
			rc = conf_get_path(r, v, "docker.cert_path", &c->docker.cert_path);
		} else {
			rc = conf_get_long(r, v, "docker.timeout_ms", 1, &c->docker.timeout_ms);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A libpq conninfo holds no secret: neither password=... (or sslpassword=...) nor the
 * user:password@ of a URI. Passwords come from files. */
static bool conninfo_has_password(const char *s)
{
	if (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0) {
		const char *auth = strstr(s, "://") + 3;
		size_t authlen = strcspn(auth, "/?");
		const char *at = memchr(auth, '@', authlen);
		if (at && memchr(auth, ':', (size_t)(at - auth)))
			return true;
		const char *query = strchr(auth, '?');
		for (const char *p = query; p; p = strchr(p + 1, '&')) {
			const char *name = p + 1;
			size_t len = strcspn(name, "=&");
			if (len >= 8 && strncasecmp(name + len - 8, "password", 8) == 0)
				return true;
		}
		return false;
	}
	/* key = value pairs; values may be quoted with '' and \ escapes */
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return false;
		const char *name = p;
		while (*p && *p != '=' && *p != ' ' && *p != '\t')
			p++;
		size_t len = (size_t)(p - name);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			return false; /* malformed: libpq will say so */
		if (len >= 8 && strncasecmp(name + len - 8, "password", 8) == 0)
			return true;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;
		}
	}
}

static int read_pg_member(const struct conf_reader *r, const struct sd_yaml *map,
			  struct sd_pg_member_config *m)
{
	static const char *const keys[] = {"name", "conninfo", "password_file", NULL};
	if (map->kind != SD_YAML_MAP)
		return CONF_FAIL(r, map, "postgres.members: expected a mapping for each member, got %s",
			    conf_kind_name(map));
	if (conf_check_keys(r, map, keys, "postgres.members") < 0)
		return -1;
	const struct sd_yaml *name = sd_yaml_get(map, "name");
	const struct sd_yaml *conninfo = sd_yaml_get(map, "conninfo");
	const struct sd_yaml *password = sd_yaml_get(map, "password_file");
	if (!name)
		return CONF_FAIL(r, map, "postgres.members: a member needs a name");
	if (!conninfo)
		return CONF_FAIL(r, map, "postgres.members: member '%s' needs a conninfo",
			    name->kind == SD_YAML_SCALAR ? name->value : "?");
	if (conf_get_required_string(r, name, "postgres.members.name", &m->name) < 0 ||
	    conf_get_required_string(r, conninfo, "postgres.members.conninfo", &m->conninfo) < 0)
		return -1;
	if (conninfo_has_password(m->conninfo))
		return CONF_FAIL(r, conninfo,
			    "conninfo of '%s' contains a password; passwords are read from files: "
			    "use password_file (or PGPASSFILE), never the config text",
			    m->name);
	if (password && conf_get_path(r, password, "postgres.members.password_file",
				 &m->password_file) < 0)
		return -1;
	return 0;
}

static int read_postgres(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c)
{
	static const char *const keys[] = {"password_file", "connect_timeout",
					   "statement_timeout_ms", "lag_warning_bytes", "members",
					   "query_timeout_ms", "long_query_seconds", NULL};
	if (conf_check_keys(r, node, keys, "postgres") < 0)
		return -1;
	c->postgres.configured = true;
	const struct sd_yaml *members = NULL;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = 0;
		if (strcmp(k, "password_file") == 0)
			rc = conf_get_path(r, v, "postgres.password_file", &c->postgres.password_file);
		else if (strcmp(k, "connect_timeout") == 0)
			rc = conf_get_long(r, v, "postgres.connect_timeout", 1, &c->postgres.connect_timeout);
		else if (strcmp(k, "statement_timeout_ms") == 0)
			rc = conf_get_long(r, v, "postgres.statement_timeout_ms", 1,
				      &c->postgres.statement_timeout_ms);
		else if (strcmp(k, "query_timeout_ms") == 0)
			rc = conf_get_long(r, v, "postgres.query_timeout_ms", 1,
				      &c->postgres.query_timeout_ms);
		else if (strcmp(k, "lag_warning_bytes") == 0)
			rc = conf_get_long(r, v, "postgres.lag_warning_bytes", 0,
				      &c->postgres.lag_warning_bytes);
		else if (strcmp(k, "long_query_seconds") == 0)
			rc = conf_get_long(r, v, "postgres.long_query_seconds", 1,
				      &c->postgres.long_query_seconds);
		else
			members = v;
		if (rc < 0)
			return -1;
	}
	if (!members || conf_is_null(members) || (members->kind == SD_YAML_SEQ && members->n == 0))
		return CONF_FAIL(r, members ? members : node, "postgres: needs at least one member");
	if (members->kind != SD_YAML_SEQ)
		return CONF_FAIL(r, members, "postgres.members: expected a list, got %s",
			    conf_kind_name(members));
	c->postgres.members = xcalloc(members->n, sizeof(*c->postgres.members));
	for (size_t i = 0; i < members->n; i++) {
		struct sd_pg_member_config *m = &c->postgres.members[c->postgres.nmembers++];
		if (read_pg_member(r, members->items[i], m) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->postgres.members[j].name, m->name) == 0)
				return CONF_FAIL(r, members->items[i],
					    "postgres.members: name '%s' is used twice", m->name);
	}
	return 0;
}

/* host:port, host:port or [v6]:port */
static bool valid_address(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	return colon[1] && !*end && !errno && port >= 1 && port <= 65535;
}

static int read_redis(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c)
{
	static const char *const keys[] = {"master_name", "sentinels", "password_file",
					   "sentinel_password_file", "timeout_ms", NULL};
	if (conf_check_keys(r, node, keys, "redis") < 0)
		return -1;
	c->redis.configured = true;
	const struct sd_yaml *sentinels = NULL;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = 0;
		if (strcmp(k, "master_name") == 0)
			rc = conf_get_required_string(r, v, "redis.master_name", &c->redis.master_name);
		else if (strcmp(k, "password_file") == 0)
			rc = conf_get_path(r, v, "redis.password_file", &c->redis.password_file);
		else if (strcmp(k, "sentinel_password_file") == 0)
			rc = conf_get_path(r, v, "redis.sentinel_password_file",
				      &c->redis.sentinel_password_file);
		else if (strcmp(k, "timeout_ms") == 0)
			rc = conf_get_long(r, v, "redis.timeout_ms", 1, &c->redis.timeout_ms);
		else {
			sentinels = v;
			rc = conf_get_string_list(r, v, "redis.sentinels", &c->redis.sentinels,
					     &c->redis.nsentinels);
		}
		if (rc < 0)
			return -1;
	}
	if (c->redis.nsentinels == 0)
		return CONF_FAIL(r, sentinels ? sentinels : node, "redis: needs at least one sentinel");
	for (size_t i = 0; i < c->redis.nsentinels; i++)
		if (!valid_address(c->redis.sentinels[i]))
			return CONF_FAIL(r, sentinels->items[i],
				    "redis.sentinels: expected host:port, got '%s'",
				    c->redis.sentinels[i]);
	return 0;
}

/* backup.remote: {url, user, password_file, retention_days, timeout_ms} */
static int read_backup_remote(const struct conf_reader *r, const struct sd_yaml *node,
			      struct sd_config *c)
{
	static const char *const keys[] = {"url", "user", "password_file", "retention_days",
					   "timeout_ms", NULL};
	if (conf_want_map(r, node, "backup.remote") < 0 ||
	    conf_check_keys(r, node, keys, "backup.remote") < 0)
		return -1;
	c->backup.remote.configured = true;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = 0;
		if (strcmp(k, "url") == 0)
			rc = conf_get_required_string(r, v, "backup.remote.url", &c->backup.remote.url);
		else if (strcmp(k, "user") == 0)
			rc = conf_get_string(r, v, "backup.remote.user", &c->backup.remote.user);
		else if (strcmp(k, "password_file") == 0)
			rc = conf_get_path(r, v, "backup.remote.password_file",
					   &c->backup.remote.password_file);
		else if (strcmp(k, "retention_days") == 0)
			rc = conf_get_long(r, v, "backup.remote.retention_days", 1,
					   &c->backup.remote.retention_days);
		else
			rc = conf_get_long(r, v, "backup.remote.timeout_ms", 1,
					   &c->backup.remote.timeout_ms);
		if (rc < 0)
			return -1;
		if (strcmp(k, "url") == 0 && strncmp(c->backup.remote.url, "http://", 7) != 0 &&
		    strncmp(c->backup.remote.url, "https://", 8) != 0)
			return CONF_FAIL(r, v, "backup.remote.url: expected http:// or https://, got '%s'",
					 c->backup.remote.url);
		if (strcmp(k, "url") == 0 && strchr(c->backup.remote.url, '@'))
			return CONF_FAIL(r, v, "backup.remote.url: no user or password in the URL "
					       "(use user and password_file)");
	}
	if (!c->backup.remote.url)
		return CONF_FAIL(r, node, "backup.remote: needs a url");
	if (c->backup.remote.user && !c->backup.remote.password_file)
		return CONF_FAIL(r, node, "backup.remote: a user needs a password_file");
	return 0;
}

static int read_backup(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c)
{
	static const char *const keys[] = {"dir", "retention_days", "rpo_seconds", "databases",
					   "services", "stack", "remote", NULL};
	if (conf_check_keys(r, node, keys, "backup") < 0)
		return -1;
	c->backup.configured = true;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = 0;
		if (strcmp(k, "dir") == 0)
			rc = conf_get_path(r, v, "backup.dir", &c->backup.dir);
		else if (strcmp(k, "retention_days") == 0)
			rc = conf_get_long(r, v, "backup.retention_days", 1, &c->backup.retention_days);
		else if (strcmp(k, "rpo_seconds") == 0)
			rc = conf_get_long(r, v, "backup.rpo_seconds", 1, &c->backup.rpo_seconds);
		else if (strcmp(k, "databases") == 0)
			rc = conf_get_string_list(r, v, "backup.databases", &c->backup.databases,
					     &c->backup.ndatabases);
		else if (strcmp(k, "services") == 0)
			rc = conf_get_string_list(r, v, "backup.services", &c->backup.services,
					     &c->backup.nservices);
		else if (strcmp(k, "remote") == 0)
			rc = read_backup_remote(r, v, c);
		else
			rc = conf_get_string(r, v, "backup.stack", &c->backup.stack);
		if (rc < 0)
			return -1;
	}
	if (!c->backup.dir)
		return CONF_FAIL(r, node, "backup: needs a dir");
	return 0;
}

static int read_logs(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c)
{
	static const char *const keys[] = {"max_lines", "max_bytes", NULL};
	if (conf_check_keys(r, node, keys, "logs") < 0)
		return -1;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = strcmp(k, "max_lines") == 0
			? conf_get_long(r, v, "logs.max_lines", 1, &c->logs.max_lines)
			: conf_get_long(r, v, "logs.max_bytes", 4096, &c->logs.max_bytes);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int read_timeline(const struct conf_reader *r, const struct sd_yaml *node,
			 struct sd_config *c)
{
	static const char *const keys[] = {"path", "max_events", NULL};
	if (conf_check_keys(r, node, keys, "timeline") < 0)
		return -1;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc;
		if (strcmp(k, "path") == 0) {
			rc = conf_get_path(r, v, "timeline.path", &c->timeline.path);
			if (rc == 0 && (!c->timeline.path || !c->timeline.path[0]))
				rc = CONF_FAIL(r, v, "timeline.path: must not be empty");
		} else {
			rc = conf_get_long(r, v, "timeline.max_events", 10, &c->timeline.max_events);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The settings of ROOT but `clusters:` into C (ROOT's keys are checked by the caller). */
static int read_settings(const struct conf_reader *r, const struct sd_yaml *root, struct sd_config *c)
{
	for (size_t i = 0; i < root->n; i++) {
		const char *k = root->keys[i];
		const struct sd_yaml *v = root->items[i];
		if (strcmp(k, "clusters") == 0)
			continue;
		/* a section's own errors ("needs a dir") point at its name; "postgres:" alone is
		 * a section without settings */
		struct sd_yaml section = {.kind = SD_YAML_MAP};
		int rc = 0;
		if (strcmp(k, "docker") == 0 || strcmp(k, "postgres") == 0 ||
		    strcmp(k, "redis") == 0 || strcmp(k, "backup") == 0 || strcmp(k, "logs") == 0 ||
		    strcmp(k, "timeline") == 0 || strcmp(k, "prometheus") == 0 ||
		    strcmp(k, "alertmanager") == 0 || strcmp(k, "vip") == 0) {
			if (conf_want_map(r, v, k) < 0)
				return -1;
			if (v->kind == SD_YAML_MAP)
				section = *v;
			section.line = root->key_lines[i];
			section.column = root->key_columns[i];
		}
		if (strcmp(k, "cluster_name") == 0)
			rc = conf_get_string(r, v, k, &c->cluster_name);
		else if (strcmp(k, "protected") == 0)
			rc = conf_get_bool(r, v, k, &c->protected_cluster);
		else if (strcmp(k, "read_only") == 0)
			rc = conf_get_bool(r, v, k, &c->read_only);
		else if (strcmp(k, "docker") == 0)
			rc = read_docker(r, &section, c);
		else if (strcmp(k, "interval") == 0) {
			rc = conf_get_number(r, v, k, &c->interval);
			if (rc == 0 && c->interval <= 0)
				rc = CONF_FAIL(r, v, "interval: must be more than 0 seconds, got %s",
					  v->value);
		} else if (strcmp(k, "resync_interval") == 0) {
			rc = conf_get_number(r, v, k, &c->resync_interval);
			if (rc == 0 && c->resync_interval <= 0)
				rc = CONF_FAIL(r, v,
					       "resync_interval: must be more than 0 seconds, got %s",
					       v->value);
		} else if (strcmp(k, "scale_max") == 0)
			rc = conf_get_long(r, v, k, 1, &c->scale_max);
		else if (strcmp(k, "audit_log") == 0) {
			rc = conf_get_path(r, v, k, &c->audit_log);
			if (rc == 0 && (!c->audit_log || !c->audit_log[0]))
				rc = CONF_FAIL(r, v, "audit_log: must not be empty");
		} else if (strcmp(k, "theme") == 0)
			rc = conf_get_path(r, v, k, &c->theme);
		else if (strcmp(k, "keymap") == 0)
			rc = conf_get_path(r, v, k, &c->keymap);
		else if (strcmp(k, "postgres") == 0)
			rc = read_postgres(r, &section, c);
		else if (strcmp(k, "redis") == 0)
			rc = read_redis(r, &section, c);
		else if (strcmp(k, "logs") == 0)
			rc = read_logs(r, &section, c);
		else if (strcmp(k, "timeline") == 0)
			rc = read_timeline(r, &section, c);
		else if (strcmp(k, "prometheus") == 0)
			rc = conf_read_prometheus(r, &section, c);
		else if (strcmp(k, "alertmanager") == 0)
			rc = conf_read_alertmanager(r, &section, c);
		else if (strcmp(k, "vip") == 0)
			rc = conf_read_vip(r, &section, c);
		else
			rc = read_backup(r, &section, c);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* What a cluster of `clusters:` may set, what stays in the file's top level beside it, and
 * what only a file without clusters has at its top level (its one cluster's sections). */
static const char *const cluster_keys[] = {"protected", "read_only", "docker", "interval",
					   "resync_interval",
					   "scale_max", "postgres", "redis", "backup",
					   "timeline", "prometheus", "alertmanager", "vip", NULL};
static const char *const fleet_keys[] = {"clusters", "interval", "resync_interval", "scale_max", "audit_log",
					 "theme", "keymap", "logs", "timeline", NULL};
static const char *const single_keys[] = {"cluster_name", "protected", "read_only", "docker",
					  "interval", "resync_interval", "scale_max", "audit_log", "theme",
					  "keymap", "postgres", "redis", "backup", "logs",
					  "timeline", "prometheus", "alertmanager", "vip", NULL};

static bool listed(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

static bool valid_cluster_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/* A cluster starts with what the top level of the file says for all of them; its timeline
 * is its own file (timeline-NAME.jsonl beside the one named, or in the state folder). */
static void inherit(struct sd_config *dst, const struct sd_config *top, const char *name,
		    bool top_timeline)
{
	dst->path = xstrdup(top->path);
	dst->cluster_name = xstrdup(name);
	dst->interval = top->interval;
	dst->resync_interval = top->resync_interval;
	dst->scale_max = top->scale_max;
	free(dst->audit_log);
	dst->audit_log = xstrdup(top->audit_log);
	dst->logs = top->logs;
	dst->timeline.max_events = top->timeline.max_events;
	free(dst->timeline.path);
	char file[128];
	snprintf(file, sizeof(file), "timeline-%s.jsonl", name);
	if (!top_timeline) {
		dst->timeline.path = sd_state_path(file);
		return;
	}
	const char *slash = strrchr(top->timeline.path, '/');
	size_t dir = slash ? (size_t)(slash - top->timeline.path) + 1 : 0;
	dst->timeline.path = xmalloc(dir + strlen(file) + 1);
	memcpy(dst->timeline.path, top->timeline.path, dir);
	strcpy(dst->timeline.path + dir, file);
}

static int read_clusters(const struct conf_reader *r, const struct sd_yaml *root, size_t at,
			 struct sd_config *c)
{
	const struct sd_yaml *list = root->items[at];
	if (list->kind != SD_YAML_MAP || list->n == 0)
		return CONF_FAIL_AT(r, root->key_lines[at], root->key_columns[at],
				    "clusters: expected a mapping of cluster names to their settings, got %s",
				    list->kind == SD_YAML_MAP ? "an empty mapping" : conf_kind_name(list));
	const struct sd_yaml *timeline = sd_yaml_get(root, "timeline");
	bool top_timeline = timeline && sd_yaml_get(timeline, "path");
	c->clusters = xcalloc(list->n, sizeof(*c->clusters));
	for (size_t i = 0; i < list->n; i++) {
		const char *name = list->keys[i];
		const struct sd_yaml *v = list->items[i];
		if (!valid_cluster_name(name))
			return CONF_FAIL_AT(r, list->key_lines[i], list->key_columns[i],
					    "clusters: '%s' is not a cluster name (letters, digits, '-', '_' and '.', at most 63)",
					    name);
		char where[96];
		snprintf(where, sizeof(where), "clusters.%s", name);
		if (v->kind != SD_YAML_MAP)
			return CONF_FAIL(r, v, "%s: expected a mapping of settings, got %s", where,
					 conf_kind_name(v));
		if (conf_check_keys(r, v, cluster_keys, where) < 0)
			return -1;
		struct sd_config *dst = &c->clusters[c->nclusters++];
		config_defaults(dst);
		inherit(dst, c, name, top_timeline);
		struct conf_reader in = *r;
		in.cluster = name;
		if (read_settings(&in, v, dst) < 0)
			return -1;
	}
	return 0;
}

static int read_config(const struct conf_reader *r, const struct sd_yaml *root, struct sd_config *c)
{
	if (root->kind != SD_YAML_MAP)
		return CONF_FAIL(r, root, "expected a mapping of settings, got %s", conf_kind_name(root));
	const struct sd_yaml *clusters = sd_yaml_get(root, "clusters");
	if (!clusters)
		return conf_check_keys(r, root, single_keys, NULL) < 0 ? -1
									 : read_settings(r, root, c);
	/* a file of clusters: their sections go inside them */
	size_t at = 0;
	for (size_t i = 0; i < root->n; i++) {
		if (strcmp(root->keys[i], "clusters") == 0)
			at = i;
		else if (!listed(fleet_keys, root->keys[i]) && listed(single_keys, root->keys[i]))
			return CONF_FAIL_AT(r, root->key_lines[i], root->key_columns[i],
					    "%s: goes inside a cluster when the file names clusters (clusters: NAME: %s: ...)",
					    root->keys[i], root->keys[i]);
	}
	if (conf_check_keys(r, root, fleet_keys, NULL) < 0 || read_settings(r, root, c) < 0)
		return -1;
	return read_clusters(r, root, at, c);
}

size_t sd_config_ncluster(const struct sd_config *config)
{
	return config->nclusters ? config->nclusters : 1;
}

const struct sd_config *sd_config_cluster(const struct sd_config *config, size_t i)
{
	return config->nclusters ? &config->clusters[i] : config;
}

const char *sd_config_context_from(const struct sd_config *config)
{
	return config->docker.context_flag ? "--context" : "docker.context";
}

int sd_config_find_cluster(const struct sd_config *config, const char *name)
{
	for (size_t i = 0; i < sd_config_ncluster(config); i++) {
		const char *n = sd_config_cluster(config, i)->cluster_name;
		if (n && strcmp(n, name) == 0)
			return (int)i;
	}
	return -1;
}

int sd_config_load(const char *path, struct sd_config *config, struct sd_error *err)
{
	config_defaults(config);
	if (!path)
		return 0;
	struct sd_yaml *root = sd_yaml_load_file(path, err);
	if (!root) {
		sd_config_free(config);
		return -1;
	}
	struct conf_reader r = {.file = path, .err = err};
	config->path = xstrdup(path);
	int rc = read_config(&r, root, config);
	sd_yaml_free(root);
	if (rc < 0)
		sd_config_free(config);
	return rc;
}

