/* config_vip.c - the `vip:` section:
 *
 *   vip:
 *     address: 192.168.213.100                      # the virtual IP (required)
 *     check_url: http://192.168.213.100/whoami      # through the VIP; default http://ADDRESS/
 *     timeout_ms: 1000                              # every request's limit, default 1000
 *     nodes:                                        # the keepalived nodes (at least one)
 *       - {name: manager-1, url: http://192.168.213.11/whoami}
 *
 * Each URL must answer 200 with a body whose first line is the serving node's name. */
#include "conf/config_vip.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static bool is_http_url(const char *s)
{
	return s && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
	       !strchr(s, '@') && !strpbrk(s, " \t\n");
}

static int want_url(const struct conf_reader *r, const struct sd_yaml *v, const char *what,
		    const char *url)
{
	if (!is_http_url(url))
		return CONF_FAIL(r, v, "%s: expected an http:// or https:// URL (no user or "
				       "password in it), got '%s'", what, url ? url : "");
	return 0;
}

static int read_node(const struct conf_reader *r, const struct sd_yaml *map,
		     struct sd_vip_node_config *n)
{
	static const char *const keys[] = {"name", "url", NULL};
	if (map->kind != SD_YAML_MAP)
		return CONF_FAIL(r, map, "vip.nodes: expected a mapping {name, url} for each node, "
					 "got %s", conf_kind_name(map));
	if (conf_check_keys(r, map, keys, "vip.nodes") < 0)
		return -1;
	const struct sd_yaml *name = sd_yaml_get(map, "name"), *url = sd_yaml_get(map, "url");
	if (!name)
		return CONF_FAIL(r, map, "vip.nodes: a node needs a name");
	if (conf_get_required_string(r, name, "vip.nodes.name", &n->name) < 0)
		return -1;
	if (!url)
		return CONF_FAIL(r, map, "vip.nodes: node '%s' needs a url (its own check URL)",
				 n->name);
	if (conf_get_required_string(r, url, "vip.nodes.url", &n->url) < 0)
		return -1;
	return want_url(r, url, "vip.nodes.url", n->url);
}

static int read_nodes(const struct conf_reader *r, const struct sd_yaml *v, struct sd_config *c)
{
	if (v->kind != SD_YAML_SEQ)
		return CONF_FAIL(r, v, "vip.nodes: expected a list, got %s", conf_kind_name(v));
	c->vip.nodes = xcalloc(v->n ? v->n : 1, sizeof(*c->vip.nodes));
	for (size_t i = 0; i < v->n; i++) {
		struct sd_vip_node_config *n = &c->vip.nodes[c->vip.nnodes++];
		if (read_node(r, v->items[i], n) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->vip.nodes[j].name, n->name) == 0)
				return CONF_FAIL(r, v->items[i], "vip.nodes: name '%s' is used twice",
						 n->name);
	}
	return 0;
}

int conf_read_vip(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c)
{
	static const char *const keys[] = {"address", "check_url", "timeout_ms", "nodes", NULL};
	if (conf_check_keys(r, node, keys, "vip") < 0)
		return -1;
	c->vip.configured = true;
	c->vip.timeout_ms = 1000;
	const struct sd_yaml *nodes = NULL;
	for (size_t i = 0; i < node->n; i++) {
		const char *k = node->keys[i];
		const struct sd_yaml *v = node->items[i];
		int rc;
		if (strcmp(k, "address") == 0) {
			rc = conf_get_required_string(r, v, "vip.address", &c->vip.address);
			unsigned char ip[16];
			if (rc == 0 && inet_pton(AF_INET, c->vip.address, ip) != 1 &&
			    inet_pton(AF_INET6, c->vip.address, ip) != 1)
				rc = CONF_FAIL(r, v, "vip.address: expected an IP address, got '%s'",
					       c->vip.address);
		} else if (strcmp(k, "check_url") == 0) {
			rc = conf_get_required_string(r, v, "vip.check_url", &c->vip.check_url);
			if (rc == 0)
				rc = want_url(r, v, "vip.check_url", c->vip.check_url);
		} else if (strcmp(k, "timeout_ms") == 0) {
			rc = conf_get_long(r, v, "vip.timeout_ms", 1, &c->vip.timeout_ms);
		} else {
			nodes = v;
			rc = conf_is_null(v) ? 0 : read_nodes(r, v, c);
		}
		if (rc < 0)
			return -1;
	}
	if (!c->vip.address)
		return CONF_FAIL(r, node, "vip: needs an address (the virtual IP)");
	if (c->vip.nnodes == 0)
		return CONF_FAIL(r, nodes ? nodes : node,
				 "vip: needs at least one node (the keepalived nodes: {name, url})");
	if (!c->vip.check_url)
		c->vip.check_url = strchr(c->vip.address, ':')
					   ? xasprintf("http://[%s]/", c->vip.address)
					   : xasprintf("http://%s/", c->vip.address);
	return 0;
}

void conf_free_vip(struct sd_config *c)
{
	free(c->vip.address);
	free(c->vip.check_url);
	for (size_t i = 0; i < c->vip.nnodes; i++) {
		free(c->vip.nodes[i].name);
		free(c->vip.nodes[i].url);
	}
	free(c->vip.nodes);
}
