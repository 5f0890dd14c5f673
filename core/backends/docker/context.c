/* context.c - see context.h. Reads the docker CLI's context store; never writes it. */
#include "backends/docker/context.h"
#include "base/text.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* $DOCKER_CONFIG, else ~/.docker */
static void config_dir(char *buf, size_t len)
{
	const char *dir = getenv("DOCKER_CONFIG");
	if (dir && *dir) {
		snprintf(buf, len, "%s", dir);
		return;
	}
	const char *home = getenv("HOME");
	snprintf(buf, len, "%s/.docker", home && *home ? home : "");
}

/* The store names a context's folders by the hex SHA-256 of its name. */
static void name_digest(const char *name, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(name, strlen(name), md, &n, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
}

/* config.json's currentContext, "" when none (an unreadable file is the CLI's problem too:
 * it falls back to the default). */
static void current_context(char *buf, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	config_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	buf[0] = '\0';
	json_t *root = json_load_file(path, 0, NULL);
	const char *name = json_string_value(json_object_get(root, "currentContext"));
	if (name)
		sd_strlcpy(buf, name, len);
	json_decref(root);
}

/* The default endpoint: DOCKER_HOST, else the default socket. */
static void default_endpoint(struct sd_docker_target *out, const char *source)
{
	const char *env = getenv("DOCKER_HOST");
	sd_strlcpy(out->host, env && *env ? env : "", sizeof(out->host));
	out->source = env && *env ? "DOCKER_HOST" : source;
}

static int read_context(const char *name, const char *source, struct sd_docker_target *out,
			char *err, size_t errlen)
{
	sd_strlcpy(out->context, name, sizeof(out->context));
	if (!strcmp(name, "default")) {
		default_endpoint(out, source);
		return 0;
	}
	char dir[PATH_MAX], hex[65], path[PATH_MAX + 200];
	config_dir(dir, sizeof(dir));
	name_digest(name, hex);
	snprintf(path, sizeof(path), "%s/contexts/meta/%s/meta.json", dir, hex);
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) != 0)
			snprintf(err, errlen, "Docker context \"%s\" (%s) does not exist: no %s", name,
				 source, path);
		else
			snprintf(err, errlen, "%s:%d:%d: %s (Docker context \"%s\")", path, jerr.line,
				 jerr.column, jerr.text, name);
		return -1;
	}
	json_t *ep = json_object_get(json_object_get(root, "Endpoints"), "docker");
	const char *host = json_string_value(json_object_get(ep, "Host"));
	if (!host || !*host) {
		snprintf(err, errlen, "%s: Docker context \"%s\" has no Endpoints.docker.Host", path,
			 name);
		json_decref(root);
		return -1;
	}
	sd_strlcpy(out->host, host, sizeof(out->host));
	out->skip_verify = json_is_true(json_object_get(ep, "SkipTLSVerify"));
	out->source = source;
	json_decref(root);

	/* TLS material, when the context was created with ca=, cert= and key= */
	char tls[PATH_MAX + 200], ca[PATH_MAX + 220];
	snprintf(tls, sizeof(tls), "%s/contexts/tls/%s/docker", dir, hex);
	snprintf(ca, sizeof(ca), "%s/cert.pem", tls);
	if (!strncmp(out->host, "tcp://", 6) && access(ca, F_OK) == 0) {
		sd_strlcpy(out->cert_path, tls, sizeof(out->cert_path));
		out->tls = true;
	}
	return 0;
}

int sd_docker_resolve(const char *context, const char *from, const char *host,
		      struct sd_docker_target *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (host && *host) {
		sd_strlcpy(out->host, host, sizeof(out->host));
		out->source = "config";
		return 0;
	}
	if (context && *context)
		return read_context(context, from ? from : "--context", out, err, errlen);
	const char *env = getenv("DOCKER_HOST");
	if (env && *env) {
		default_endpoint(out, "DOCKER_HOST");
		return 0;
	}
	env = getenv("DOCKER_CONTEXT");
	if (env && *env)
		return read_context(env, "DOCKER_CONTEXT", out, err, errlen);
	char current[128];
	current_context(current, sizeof(current));
	if (*current)
		return read_context(current, "config.json", out, err, errlen);
	out->source = "default";
	return 0;
}
