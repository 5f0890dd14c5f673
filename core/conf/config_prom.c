/* config_prom.c - the prometheus: and alertmanager: sections of the configuration (config.c
 * calls in here): an HTTP API's URL, timeout, TLS CA and credentials, then Prometheus's node
 * label, job, thresholds and severities, and Alertmanager's push. Errors name file:line:column;
 * a password or token is only ever a file's path here, never its content. */
#include "conf/config_prom.h"
#include "conf/read.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conf_prom_defaults(struct sd_config *c)
{
	c->prometheus.http.timeout_ms = 3000;
	c->prometheus.node_label = xstrdup("instance");
	c->prometheus.job = xstrdup("node");
	c->prometheus.cpu_percent = 90;
	c->prometheus.memory_available_percent = 10;
	c->prometheus.disk_free_percent = 10;
	c->prometheus.other_level = 1; /* SD_WARNING */
	c->alertmanager.http.timeout_ms = 3000;
}

static void http_free(struct sd_http_config *h)
{
	free(h->url);
	free(h->ca_file);
	free(h->bearer_token_file);
	free(h->user);
	free(h->password_file);
}

void conf_prom_free(struct sd_config *c)
{
	http_free(&c->prometheus.http);
	http_free(&c->alertmanager.http);
	free(c->prometheus.node_label);
	free(c->prometheus.job);
	for (size_t i = 0; i < c->prometheus.nseverities; i++)
		free(c->prometheus.severities[i].name);
	free(c->prometheus.severities);
}

/* One key of an HTTP API's section; 1 when KEY is not one of them. */
static int read_http_key(const struct conf_reader *r, const char *section, const char *key,
			 const struct sd_yaml *v, struct sd_http_config *h)
{
	char what[64];
	snprintf(what, sizeof(what), "%s.%s", section, key);
	if (strcmp(key, "url") == 0) {
		if (conf_get_required_string(r, v, what, &h->url) < 0)
			return -1;
		if (strncmp(h->url, "http://", 7) != 0 && strncmp(h->url, "https://", 8) != 0)
			return CONF_FAIL(r, v, "%s: expected http:// or https://, got '%s'", what,
					 h->url);
		const char *host = strstr(h->url, "://") + 3;
		const char *at = strchr(host, '@');
		if (at && at < host + strcspn(host, "/"))
			return CONF_FAIL(r, v, "%s: no user or password in the URL (use user and "
					       "password_file, or bearer_token_file)", what);
		size_t n = strlen(h->url);
		while (n > 0 && h->url[n - 1] == '/')
			h->url[--n] = '\0'; /* paths are added as /api/... */
		return 0;
	}
	if (strcmp(key, "timeout_ms") == 0)
		return conf_get_long(r, v, what, 1, &h->timeout_ms);
	if (strcmp(key, "ca_file") == 0)
		return conf_get_path(r, v, what, &h->ca_file);
	if (strcmp(key, "bearer_token_file") == 0)
		return conf_get_path(r, v, what, &h->bearer_token_file);
	if (strcmp(key, "user") == 0)
		return conf_get_string(r, v, what, &h->user);
	if (strcmp(key, "password_file") == 0)
		return conf_get_path(r, v, what, &h->password_file);
	return 1;
}

static int check_http(const struct conf_reader *r, const struct sd_yaml *node, const char *section,
		      struct sd_http_config *h)
{
	h->configured = true;
	if (!h->url)
		return CONF_FAIL(r, node, "%s: needs a url", section);
	if (h->user && !h->password_file)
		return CONF_FAIL(r, node, "%s: a user needs a password_file", section);
	if (h->password_file && !h->user)
		return CONF_FAIL(r, node, "%s: a password_file needs a user", section);
	if (h->bearer_token_file && h->user)
		return CONF_FAIL(r, node, "%s: bearer_token_file or user and password_file, not both",
				 section);
	return 0;
}

static int read_thresholds(const struct conf_reader *r, const struct sd_yaml *node,
			   struct sd_config *c)
{
	static const char *const keys[] = {"cpu_percent", "memory_available_percent",
					   "disk_free_percent", NULL};
	if (conf_want_map(r, node, "prometheus.thresholds") < 0 ||
	    conf_check_keys(r, node, keys, "prometheus.thresholds") < 0)
		return -1;
	for (size_t i = 0; node->kind == SD_YAML_MAP && i < node->n; i++) {
		const char *k = node->keys[i];
		char what[64];
		snprintf(what, sizeof(what), "prometheus.thresholds.%s", k);
		double *out = !strcmp(k, "cpu_percent") ? &c->prometheus.cpu_percent
			      : !strcmp(k, "memory_available_percent")
				      ? &c->prometheus.memory_available_percent
				      : &c->prometheus.disk_free_percent;
		if (conf_get_number(r, node->items[i], what, out) < 0)
			return -1;
		if (*out < 0 || *out > 100)
			return CONF_FAIL(r, node->items[i], "%s: expected a percent from 0 to 100, got %s",
					 what, node->items[i]->value);
	}
	return 0;
}

static int level_named(const char *s)
{
	static const char *const names[] = {"ok", "warning", "critical", "unknown"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* severities: {page: critical, info: ok, other: warning}: "other" is any severity not named */
static int read_severities(const struct conf_reader *r, const struct sd_yaml *node,
			   struct sd_config *c)
{
	if (conf_want_map(r, node, "prometheus.severities") < 0)
		return -1;
	if (node->kind != SD_YAML_MAP)
		return 0;
	c->prometheus.severities = xcalloc(node->n ? node->n : 1, sizeof(struct sd_severity_config));
	for (size_t i = 0; i < node->n; i++) {
		const struct sd_yaml *v = node->items[i];
		char *value = NULL;
		if (conf_get_required_string(r, v, "prometheus.severities", &value) < 0)
			return -1;
		int level = level_named(value);
		free(value);
		if (level < 0)
			return CONF_FAIL(r, v, "prometheus.severities.%s: expected ok, warning, critical "
					       "or unknown, got '%s'", node->keys[i], v->value);
		if (strcmp(node->keys[i], "other") == 0) {
			c->prometheus.other_level = level;
			continue;
		}
		struct sd_severity_config *s = &c->prometheus.severities[c->prometheus.nseverities++];
		s->name = xstrdup(node->keys[i]);
		s->level = level;
	}
	return 0;
}

int conf_read_prometheus(const struct conf_reader *r, const struct sd_yaml *node,
			 struct sd_config *c)
{
	static const char *const keys[] = {"url", "timeout_ms", "ca_file", "bearer_token_file",
					   "user", "password_file", "node_label", "job",
					   "thresholds", "severities", NULL};
	if (conf_check_keys(r, node, keys, "prometheus") < 0)
		return -1;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = read_http_key(r, "prometheus", k, v, &c->prometheus.http);
		if (rc != 1) {
			if (rc < 0)
				return -1;
			continue;
		}
		if (strcmp(k, "node_label") == 0) {
			free(c->prometheus.node_label);
			c->prometheus.node_label = NULL;
			rc = conf_get_required_string(r, v, "prometheus.node_label",
						      &c->prometheus.node_label);
		} else if (strcmp(k, "job") == 0) {
			free(c->prometheus.job);
			c->prometheus.job = NULL;
			rc = conf_get_required_string(r, v, "prometheus.job", &c->prometheus.job);
			if (rc == 0 && strpbrk(c->prometheus.job, "\"\\\n"))
				rc = CONF_FAIL(r, v, "prometheus.job: no quote, backslash or newline "
						     "in a job name");
		} else if (strcmp(k, "thresholds") == 0) {
			rc = read_thresholds(r, v, c);
		} else {
			rc = read_severities(r, v, c);
		}
		if (rc < 0)
			return -1;
	}
	return check_http(r, node, "prometheus", &c->prometheus.http);
}

int conf_read_alertmanager(const struct conf_reader *r, const struct sd_yaml *node,
			   struct sd_config *c)
{
	static const char *const keys[] = {"url", "timeout_ms", "ca_file", "bearer_token_file",
					   "user", "password_file", "push", NULL};
	if (conf_check_keys(r, node, keys, "alertmanager") < 0)
		return -1;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc = read_http_key(r, "alertmanager", k, v, &c->alertmanager.http);
		if (rc == 1)
			rc = conf_get_bool(r, v, "alertmanager.push", &c->alertmanager.push);
		if (rc < 0)
			return -1;
	}
	return check_http(r, node, "alertmanager", &c->alertmanager.http);
}
