/* rollout.c - the Swarm changes that roll a service to a new image and edit or remove a
 * node, each a read-modify-write of the object posted back with the version it was read at:
 *
 *   sd_docker_service_update_image  Spec.TaskTemplate.ContainerSpec.Image, with the
 *                                   registry's X-Registry-Auth header when the Docker
 *                                   client configuration has credentials for it
 *   sd_docker_node_label            Spec.Labels: one key added, changed or removed
 *   sd_docker_node_remove           DELETE /nodes/ID (never forced: the engine refuses a
 *                                   node that is still up, and its refusal is the answer)
 *
 * The registry credentials are read from $DOCKER_CONFIG/config.json (else
 * ~/.docker/config.json) "auths", as the docker CLI does, only while the request is built;
 * they are wiped afterwards and never appear in an error, a log or the audit. Credential
 * helpers (credsStore, credHelpers) are not run: an image whose registry only has one is
 * sent without the header, and the engine's answer says what the registry thought. */
#include "backends/docker/internal.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- registry credentials ---- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t base64_encode(const unsigned char *in, size_t len, const char *alphabet, char *out,
			    size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		if (n + 5 > size)
			return 0;
		out[n++] = alphabet[(v >> 18) & 63];
		out[n++] = alphabet[(v >> 12) & 63];
		out[n++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
		out[n++] = i + 2 < len ? alphabet[v & 63] : '=';
	}
	if (n >= size)
		return 0;
	out[n] = '\0';
	return n;
}

static int base64_value(char c)
{
	const char *p = c ? strchr(b64_std, c) : NULL;
	if (p)
		return (int)(p - b64_std);
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Standard (or URL-safe) base64 into OUT, NUL-terminated; -1 when malformed or too long. */
static long base64_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;
	unsigned v = 0;
	int bits = 0;
	for (const char *p = in; *p && *p != '='; p++) {
		int x = base64_value(*p);
		if (x < 0)
			return -1;
		v = (v << 6) | (unsigned)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)((v >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return (long)n;
}

/* The registry an image reference names, as the CLI reads it: the first part when it has a
 * dot or a colon or is localhost, else Docker Hub ("docker.io"). */
static void image_registry(const char *image, char *out, size_t size)
{
	const char *slash = strchr(image, '/');
	size_t n = slash ? (size_t)(slash - image) : 0;
	if (slash && (memchr(image, '.', n) || memchr(image, ':', n) ||
		      (n == 9 && !strncmp(image, "localhost", 9)))) {
		snprintf(out, size, "%.*s", (int)n, image);
		return;
	}
	snprintf(out, size, "docker.io");
}

/* A key of "auths" ("https://index.docker.io/v1/", "registry:5000", "https://reg/v2/")
 * reduced to its host[:port]; Docker Hub's names become "docker.io". */
static void auth_key_host(const char *key, char *out, size_t size)
{
	const char *p = strstr(key, "://");
	p = p ? p + 3 : key;
	size_t n = strcspn(p, "/");
	snprintf(out, size, "%.*s", (int)n, p);
	if (!strcmp(out, "index.docker.io") || !strcmp(out, "registry-1.docker.io"))
		snprintf(out, size, "docker.io");
}

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;
	while (n--)
		*v++ = 0;
}

static void wipe_json_strings(json_t *obj)
{
	const char *key;
	json_t *value;
	json_object_foreach(obj, key, value) {
		if (json_is_string(value))
			wipe((void *)json_string_value(value), json_string_length(value));
		else if (json_is_object(value))
			wipe_json_strings(value);
	}
}

int sd_docker_registry_auth(const char *image, const char *config_path, char *out, size_t size)
{
	if (size)
		out[0] = '\0';
	char path[4096];
	if (config_path) {
		sd_strlcpy(path, config_path, sizeof(path));
	} else {
		const char *dir = getenv("DOCKER_CONFIG");
		const char *home = getenv("HOME");
		if (dir && *dir)
			snprintf(path, sizeof(path), "%s/config.json", dir);
		else if (home && *home)
			snprintf(path, sizeof(path), "%s/.docker/config.json", home);
		else
			return 0;
	}
	json_t *root = json_load_file(path, 0, NULL);
	if (!root)
		return 0;
	char want[256];
	image_registry(image ? image : "", want, sizeof(want));
	json_t *auths = json_object_get(root, "auths"), *entry, *found = NULL;
	const char *key;
	char found_key[512] = "";
	json_object_foreach(auths, key, entry) {
		char host[256];
		auth_key_host(key, host, sizeof(host));
		if (!strcmp(host, want) && json_is_object(entry)) {
			found = entry;
			sd_strlcpy(found_key, key, sizeof(found_key));
			break;
		}
	}
	int rc = 0;
	if (found) {
		char pair[1024] = "";
		const char *auth = json_string_value(json_object_get(found, "auth"));
		const char *user = json_string_value(json_object_get(found, "username"));
		const char *pass = json_string_value(json_object_get(found, "password"));
		const char *token = json_string_value(json_object_get(found, "identitytoken"));
		char *colon = NULL;
		if (auth && base64_decode(auth, pair, sizeof(pair)) > 0 && (colon = strchr(pair, ':'))) {
			*colon = '\0';
			user = pair;
			pass = colon + 1;
		}
		json_t *config = json_object();
		if (user && *user)
			json_object_set_new(config, "username", json_string(user));
		if (pass && *pass)
			json_object_set_new(config, "password", json_string(pass));
		if (token && *token)
			json_object_set_new(config, "identitytoken", json_string(token));
		if (json_object_size(config) > 0) {
			json_object_set_new(config, "serveraddress", json_string(found_key));
			char *text = json_dumps(config, JSON_COMPACT);
			if (text) {
				size_t len = strlen(text);
				rc = base64_encode((const unsigned char *)text, len, b64_url, out, size) ? 1
													 : 0;
				wipe(text, len);
				free(text);
			}
		}
		wipe_json_strings(config);
		json_decref(config);
		wipe(pair, sizeof(pair));
	}
	wipe_json_strings(root);
	json_decref(root);
	if (!rc && size)
		out[0] = '\0';
	return rc;
}

/* ---- requests ---- */

static int post_spec(struct sd_docker *d, CURL *h, const char *kind, json_t *obj,
		     const char *header, char *err, size_t errlen)
{
	char escaped[128], path[300], full[1024];
	docker_path_escape(json_string_value(json_object_get(obj, "ID")), escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/%s/%s/update?version=%lld", kind, escaped,
		 (long long)json_integer_value(json_object_get(json_object_get(obj, "Version"),
							       "Index")));
	if (docker_versioned_path(d, h, path, full, sizeof(full), err, errlen) < 0)
		return -1;
	char *text = json_dumps(json_object_get(obj, "Spec"), JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode the request body");
		return -1;
	}
	struct buffer_sink b;
	docker_buffer_init(&b, 1 << 20);
	int rc = docker_perform_with(d, h, "POST", full, text, header, &b.sink, NULL, err, errlen);
	free(b.data);
	free(text);
	return rc;
}

static bool refuse_read_only(struct sd_docker *d, const char *what, char *err, size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return true;
	}
	if (!what || !*what) {
		snprintf(err, errlen, "nothing given");
		return true;
	}
	return false;
}

int sd_docker_service_update_image(struct sd_docker *d, const char *service, const char *image,
				   bool *sent_auth, char *err, size_t errlen)
{
	if (sent_auth)
		*sent_auth = false;
	if (refuse_read_only(d, service, err, errlen))
		return -1;
	if (!image || !*image || strpbrk(image, " \t\r\n")) {
		snprintf(err, errlen, "bad image \"%s\"", image ? image : "");
		return -1;
	}
	CURL *h = docker_handle_acquire(d);
	json_t *svc = docker_inspect_service(d, h, service, err, errlen);
	int rc = -1;
	if (svc) {
		json_t *spec = json_object_get(svc, "Spec");
		json_t *tt = json_object_get(spec, "TaskTemplate");
		json_t *cs = json_object_get(tt, "ContainerSpec");
		if (!json_is_object(cs)) {
			snprintf(err, errlen, "%s has no container spec (a plugin service?)", service);
		} else {
			json_object_set_new(cs, "Image", json_string(image));
			char auth[8192];
			char header[sizeof(auth) + 32] = "";
			if (sd_docker_registry_auth(image, NULL, auth, sizeof(auth)) == 1) {
				snprintf(header, sizeof(header), "X-Registry-Auth: %s", auth);
				if (sent_auth)
					*sent_auth = true;
			}
			rc = post_spec(d, h, "services", svc, *header ? header : NULL, err, errlen);
			wipe(auth, sizeof(auth));
			wipe(header, sizeof(header));
		}
		json_decref(svc);
	}
	docker_handle_release(d, h);
	return rc;
}

int sd_docker_node_label(struct sd_docker *d, const char *node, const char *key,
			 const char *value, char *err, size_t errlen)
{
	if (refuse_read_only(d, node, err, errlen))
		return -1;
	if (!key || !*key) {
		snprintf(err, errlen, "no label key given");
		return -1;
	}
	CURL *h = docker_handle_acquire(d);
	json_t *found = docker_inspect_node(d, h, node, err, errlen);
	int rc = -1;
	if (found) {
		json_t *spec = json_object_get(found, "Spec");
		json_t *labels = json_object_get(spec, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(spec, "Labels", labels);
		}
		if (value) {
			json_object_set_new(labels, key, json_string(value));
			rc = post_spec(d, h, "nodes", found, NULL, err, errlen);
		} else if (!json_object_get(labels, key)) {
			snprintf(err, errlen, "node %s has no label %s", node, key);
		} else {
			json_object_del(labels, key);
			rc = post_spec(d, h, "nodes", found, NULL, err, errlen);
		}
		json_decref(found);
	}
	docker_handle_release(d, h);
	return rc;
}

int sd_docker_node_remove(struct sd_docker *d, const char *node, char *err, size_t errlen)
{
	if (refuse_read_only(d, node, err, errlen))
		return -1;
	CURL *h = docker_handle_acquire(d);
	json_t *found = docker_inspect_node(d, h, node, err, errlen);
	int rc = -1;
	if (found) {
		char escaped[128], path[300], full[1024];
		docker_path_escape(json_string_value(json_object_get(found, "ID")), escaped,
				   sizeof(escaped));
		snprintf(path, sizeof(path), "/nodes/%s", escaped);
		if (docker_versioned_path(d, h, path, full, sizeof(full), err, errlen) == 0) {
			struct buffer_sink b;
			docker_buffer_init(&b, 1 << 20);
			rc = docker_perform(d, h, "DELETE", full, NULL, &b.sink, NULL, err, errlen);
			free(b.data);
		}
		json_decref(found);
	}
	docker_handle_release(d, h);
	return rc;
}

int sd_docker_swarm_force_new_cluster(struct sd_docker *d, const char *addr, char *err,
				      size_t errlen)
{
	if (refuse_read_only(d, "swarm", err, errlen))
		return -1;
	/* an empty Spec: the cluster's own settings are kept (the engine merges what is set) */
	json_t *body = json_pack("{s:s, s:b, s:{}}", "ListenAddr", "0.0.0.0:2377",
				 "ForceNewCluster", 1, "Spec");
	if (addr && *addr)
		json_object_set_new(body, "AdvertiseAddr", json_string(addr));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	CURL *h = docker_handle_acquire(d);
	char full[256];
	int rc = docker_versioned_path(d, h, "/swarm/init", full, sizeof(full), err, errlen);
	if (rc == 0) {
		struct buffer_sink b;
		docker_buffer_init(&b, 1 << 20);
		rc = docker_perform(d, h, "POST", full, text, &b.sink, NULL, err, errlen);
		free(b.data);
	}
	docker_handle_release(d, h);
	free(text);
	return rc;
}
