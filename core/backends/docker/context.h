/* context.h - which engine the console talks to, decided as the docker CLI decides it:
 * an explicit host, a Docker context (--context, the config's docker.context,
 * DOCKER_CONTEXT, the current context of config.json), DOCKER_HOST, the default socket.
 * A context's endpoint and TLS material are read from the CLI's own store
 * ($DOCKER_CONFIG, else ~/.docker: contexts/meta/SHA256(NAME)/meta.json and
 * contexts/tls/SHA256(NAME)/docker/{ca,cert,key}.pem). */
#ifndef SD_DOCKER_CONTEXT_H
#define SD_DOCKER_CONTEXT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct sd_docker_target {
	char host[PATH_MAX + 16];      /* "" : the default socket */
	char cert_path[PATH_MAX];      /* the context's TLS folder, "" when it has none */
	bool tls;                      /* the context has TLS material for its tcp:// host */
	bool skip_verify;              /* the context's SkipTLSVerify */
	char context[128];             /* the context used, "" when none */
	const char *source;            /* "config", FROM, "DOCKER_HOST", ... (static) */
};

/* CONTEXT (--context or docker.context, may be NULL; FROM says which, a static string) and
 * HOST (docker.host, may be NULL):
 * HOST wins, then CONTEXT, then DOCKER_HOST, DOCKER_CONTEXT, config.json's currentContext,
 * the default. The context "default" is DOCKER_HOST or the default socket, as for the CLI.
 * 0, or -1 with ERR (a context that does not exist or cannot be read, named with its file). */
int sd_docker_resolve(const char *context, const char *from, const char *host,
		      struct sd_docker_target *out, char *err, size_t errlen);

#endif
