/* docker.c - the Docker Engine API backend: requests over libcurl, lists decoded in a stream
 * straight into the swarm part, mutations read-modify-write with the object's version. */
#include "backends/docker/docker.h"
#include "base/error.h"
#include "base/text.h"
#include "base/jsonscan.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_HOST "unix:///var/run/docker.sock"
#define NEWEST_API_MAJOR 1
#define NEWEST_API_MINOR 41
#define HANDLE_POOL 4
#define ERROR_BODY_MAX 65536
#define GET_BODY_MAX ((size_t)512 << 20)
#define READ_ONLY_REFUSAL "refused: read-only (watch mode)"

struct sd_docker {
	char host[PATH_MAX + 16];      /* canonical: unix:///path or tcp://host:port */
	char base_url[PATH_MAX + 16];  /* http://localhost or http(s)://host:port */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool tls;
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char setup_error[PATH_MAX + 64];   /* reported by every request, e.g. a missing key.pem */
	long timeout_ms;
	bool read_only;

	pthread_mutex_t lock;          /* guards what follows */
	CURL *idle[HANDLE_POOL];       /* idle handles keep their connections for reuse */
	int nidle;
	char api_version[16];          /* negotiated, "" until then */
	char engine_version[64];
};

/* ------------------------------------------------------------------------------------------ */
/* host parsing                                                                               */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static bool env_truthy(const char *v) { return v && *v && strcmp(v, "0") != 0; }

static int parse_host(struct sd_docker *d, const char *host, char *err, size_t errlen)
{
	const char *sep = strstr(host, "://");
	if (!sep) {
		snprintf(err, errlen, "bad Docker host \"%s\": expected unix:///path or tcp://host:port",
			 host);
		return -1;
	}
	size_t slen = (size_t)(sep - host);
	const char *rest = sep + 3;
	if (slen == 4 && !strncasecmp(host, "unix", 4)) {
		if (*rest != '/') {
			snprintf(err, errlen, "bad Docker host \"%s\": the socket path must be absolute",
				 host);
			return -1;
		}
		if (strlen(rest) >= sizeof(d->socket_path)) {
			snprintf(err, errlen, "bad Docker host \"%s\": socket path too long", host);
			return -1;
		}
		sd_strlcpy(d->socket_path, rest, sizeof(d->socket_path));
		snprintf(d->host, sizeof(d->host), "unix://%s", rest);
		snprintf(d->base_url, sizeof(d->base_url), "http://localhost");
		d->tls = false;   /* as the docker CLI: TLS is for TCP only */
		return 0;
	}
	if (slen == 3 && !strncasecmp(host, "tcp", 3)) {
		size_t len = strcspn(rest, "/");
		const char *path = rest + len;
		if (len == 0 || len > 255) {
			snprintf(err, errlen, "bad Docker host \"%s\": no host name", host);
			return -1;
		}
		char hostport[300];
		memcpy(hostport, rest, len);
		hostport[len] = '\0';
		if (strspn(hostport, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:[]%")
		    != len) {
			snprintf(err, errlen, "bad Docker host \"%s\": bad host name", host);
			return -1;
		}
		const char *close = strrchr(hostport, ']');
		const char *colon = strrchr(hostport, ':');
		bool has_port = colon && (!close || colon > close);
		if (has_port) {
			const char *digits = colon + 1;
			if (!*digits || strspn(digits, "0123456789") != strlen(digits) ||
			    atol(digits) < 1 || atol(digits) > 65535) {
				snprintf(err, errlen, "bad Docker host \"%s\": bad port", host);
				return -1;
			}
			if (colon == hostport) {
				snprintf(err, errlen, "bad Docker host \"%s\": no host name", host);
				return -1;
			}
		} else {
			size_t n = strlen(hostport);
			snprintf(hostport + n, sizeof(hostport) - n, ":%d", d->tls ? 2376 : 2375);
		}
		/* a trailing "/" is noise; a longer path is a prefix the CLI also honours */
		char prefix[256] = "";
		if (*path && strcmp(path, "/") != 0) {
			sd_strlcpy(prefix, path, sizeof(prefix));
			size_t n = strlen(prefix);
			while (n > 0 && prefix[n - 1] == '/')
				prefix[--n] = '\0';
		}
		snprintf(d->host, sizeof(d->host), "tcp://%s%s", hostport, prefix);
		snprintf(d->base_url, sizeof(d->base_url), "%s://%s%s", d->tls ? "https" : "http",
			 hostport, prefix);
		return 0;
	}
	snprintf(err, errlen,
		 "unsupported Docker host scheme \"%.*s\" in \"%s\" (use unix:// or tcp://)",
		 (int)slen, host, host);
	return -1;
}

static void check_cert_file(struct sd_docker *d, const char *path)
{
	if (d->setup_error[0] || access(path, R_OK) == 0)
		return;
	char buf[128];
	snprintf(d->setup_error, sizeof(d->setup_error), "TLS: cannot read %s: %s", path,
		 strerror_r(errno, buf, sizeof(buf)));
}

struct sd_docker *sd_docker_open(const struct sd_docker_config *config, char *err, size_t errlen)
{
	static const struct sd_docker_config defaults = {.tls_verify = -1};
	if (!config)
		config = &defaults;
	pthread_once(&curl_once, curl_init_once);

	struct sd_docker *d = xcalloc(1, sizeof(*d));
	d->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 5000;
	d->read_only = config->read_only;
	d->tls = config->tls_verify >= 0 ? config->tls_verify != 0
					 : env_truthy(getenv("DOCKER_TLS_VERIFY"));

	const char *host = config->host;
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = DEFAULT_HOST;
	if (parse_host(d, host, err, errlen) < 0) {
		free(d);
		return NULL;
	}
	if (d->tls) {
		const char *dir = config->cert_path;
		char home_dir[PATH_MAX];
		if (!dir || !*dir)
			dir = getenv("DOCKER_CERT_PATH");
		if (!dir || !*dir) {
			const char *home = getenv("HOME");
			snprintf(home_dir, sizeof(home_dir), "%s/.docker", home && *home ? home : "");
			dir = home_dir;
		}
		snprintf(d->ca, sizeof(d->ca), "%.*s/ca.pem", PATH_MAX - 16, dir);
		snprintf(d->cert, sizeof(d->cert), "%.*s/cert.pem", PATH_MAX - 16, dir);
		snprintf(d->key, sizeof(d->key), "%.*s/key.pem", PATH_MAX - 16, dir);
		check_cert_file(d, d->ca);
		check_cert_file(d, d->cert);
		check_cert_file(d, d->key);
	}
	pthread_mutex_init(&d->lock, NULL);
	if (err && errlen)
		err[0] = '\0';
	return d;
}

void sd_docker_close(struct sd_docker *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nidle; i++)
		curl_easy_cleanup(d->idle[i]);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

const char *sd_docker_host(const struct sd_docker *d)
{
	return d ? d->host : "";
}

/* ------------------------------------------------------------------------------------------ */
/* requests                                                                                   */

/* Where a response body goes. FEED returns 0, or -1 after writing why into ERR. */
struct sink {
	int (*feed)(struct sink *sink, const char *data, size_t len);
	char err[256];
};

struct buffer_sink {
	struct sink sink;
	char *data;
	size_t len, cap, max;
};

static int buffer_append(struct buffer_sink *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		if (b->len + len + 1 > b->max) {
			snprintf(b->sink.err, sizeof(b->sink.err), "response larger than %zu bytes",
				 b->max);
			return -1;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

static int buffer_feed(struct sink *sink, const char *data, size_t len)
{
	return buffer_append((struct buffer_sink *)sink, data, len);
}

static void buffer_init(struct buffer_sink *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->sink.feed = buffer_feed;
	b->max = max;
}

struct transfer {
	CURL *h;
	struct sink *sink;
	long status;
	bool sink_failed;
	struct buffer_sink error_body;   /* body of a non-2xx answer */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct transfer *t = user;
	size_t len = size * nmemb;
	if (t->status == 0)
		curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &t->status);
	if (t->status < 200 || t->status >= 300) {
		size_t room = ERROR_BODY_MAX - 1 - t->error_body.len;
		buffer_append(&t->error_body, data, len < room ? len : room);
		return len;
	}
	if (t->sink && t->sink->feed(t->sink, data, len) < 0) {
		t->sink_failed = true;
		return 0;   /* aborts the transfer */
	}
	return len;
}

static CURL *handle_acquire(struct sd_docker *d)
{
	CURL *h = NULL;
	pthread_mutex_lock(&d->lock);
	if (d->nidle > 0)
		h = d->idle[--d->nidle];
	pthread_mutex_unlock(&d->lock);
	if (!h)
		h = curl_easy_init();
	return h;
}

static void handle_release(struct sd_docker *d, CURL *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&d->lock);
	if (d->nidle < HANDLE_POOL) {
		d->idle[d->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	if (h)
		curl_easy_cleanup(h);
}

static void forget_api_version(struct sd_docker *d)
{
	pthread_mutex_lock(&d->lock);
	d->api_version[0] = '\0';
	pthread_mutex_unlock(&d->lock);
}

/* Options shared by every request (the events stream included). */
static void setup_handle(struct sd_docker *d, CURL *h, const char *url, char *curl_err)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (d->socket_path[0])
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, d->socket_path);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "swarmdeck");
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 65536L);
	if (!d->socket_path[0])
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (d->tls) {
		curl_easy_setopt(h, CURLOPT_CAINFO, d->ca);
		curl_easy_setopt(h, CURLOPT_SSLCERT, d->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, d->key);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
}

static void transport_error(struct sd_docker *d, CURL *h, CURLcode rc, const char *curl_err,
			    char *err, size_t errlen)
{
	long os_errno = 0;
	char buf[128];
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	const char *detail = curl_err && *curl_err ? curl_err : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		snprintf(err, errlen, "cannot connect to %s: %s", d->host,
			 os_errno ? strerror_r((int)os_errno, buf, sizeof(buf)) : detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "%s: no answer within %ld ms", d->host, d->timeout_ms);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(err, errlen, "cannot resolve %s: %s", d->host, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(err, errlen, "%s: TLS: %s", d->host, detail);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		snprintf(err, errlen, "%s: connection broken: %s", d->host, detail);
		break;
	default:
		snprintf(err, errlen, "%s: %s", d->host, detail);
	}
}

/* The engine's {"message": ...} verbatim, else the status and a little of the body. */
static void engine_error(struct sd_docker *d, long status, const char *body, size_t len,
			 char *err, size_t errlen)
{
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *message = json_string_value(json_object_get(root, "message"));
	if (message) {
		snprintf(err, errlen, "%s", message);
	} else if (body && len) {
		while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
			len--;
		snprintf(err, errlen, "%s: HTTP %ld: %.*s", d->host, status,
			 (int)(len > 200 ? 200 : len), body);
	} else {
		snprintf(err, errlen, "%s: HTTP %ld", d->host, status);
	}
	json_decref(root);
}

static bool is_mutation(const char *method) { return strcmp(method, "GET") != 0; }

/* One request on handle H. 0 for a 2xx answer; -1 with ERR otherwise (STATUS says which
 * status came back, 0 when none did). */
static int perform(struct sd_docker *d, CURL *h, const char *method, const char *path,
		   const char *body, struct sink *sink, long *status, char *err, size_t errlen)
{
	if (status)
		*status = 0;
	/* the read-only guarantee: nothing that could change the engine leaves the process */
	if (d->read_only && is_mutation(method)) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (d->setup_error[0]) {
		snprintf(err, errlen, "%s: %s", d->host, d->setup_error);
		return -1;
	}
	if (!h) {
		snprintf(err, errlen, "%s: cannot create a request handle", d->host);
		return -1;
	}
	char url[sizeof(d->base_url) + 1024];
	if (snprintf(url, sizeof(url), "%s%s", d->base_url, path) >= (int)sizeof(url)) {
		snprintf(err, errlen, "request path too long");
		return -1;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct transfer t = {.h = h, .sink = sink};
	buffer_init(&t.error_body, ERROR_BODY_MAX);
	setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	struct curl_slist *headers = NULL;
	if (strcmp(method, "GET") != 0) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
		if (strcmp(method, "POST") == 0) {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
		} else {
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		}
	}
	CURLcode rc = curl_easy_perform(h);
	curl_slist_free_all(headers);
	if (t.status == 0)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.status);
	if (status)
		*status = t.status;
	int result = -1;
	if (t.sink_failed) {
		snprintf(err, errlen, "%s", sink->err);
	} else if (rc != CURLE_OK) {
		transport_error(d, h, rc, curl_err, err, errlen);
		forget_api_version(d);   /* the engine may come back as another version */
	} else if (t.status < 200 || t.status >= 300) {
		engine_error(d, t.status, t.error_body.data, t.error_body.len, err, errlen);
	} else {
		result = 0;
	}
	free(t.error_body.data);
	return result;
}

/* Integer major.minor from "1.41"; 0 when unreadable. */
static long api_number(const char *v)
{
	char *end;
	long major = strtol(v, &end, 10);
	if (*end != '.')
		return 0;
	long minor = strtol(end + 1, NULL, 10);
	return major * 1000 + minor;
}

/* The Api-Version header of a response. */
static size_t on_ping_header(char *line, size_t size, size_t count, void *user)
{
	size_t len = size * count;
	static const char name[] = "api-version:";
	if (len > sizeof(name) && !strncasecmp(line, name, sizeof(name) - 1)) {
		const char *v = line + sizeof(name) - 1;
		while (*v == ' ')
			v++;
		size_t n = 0;
		char *out = user;
		while (n < 15 && v + n < line + len && v[n] != '\r' && v[n] != '\n') {
			out[n] = v[n];
			n++;
		}
		out[n] = '\0';
	}
	return len;
}

/* GET /_ping: the engine's API version from its header, the way the docker CLI asks; far
 * cheaper for the engine than /version. "" when the engine does not say. */
static void ping_version(struct sd_docker *d, CURL *h, char *api, size_t len)
{
	api[0] = '\0';
	if (d->setup_error[0] || !h)
		return;
	char url[sizeof(d->base_url) + 16], curl_err[CURL_ERROR_SIZE] = "", found[16] = "";
	snprintf(url, sizeof(url), "%s/_ping", d->base_url);
	struct buffer_sink b;
	buffer_init(&b, 4096);
	struct transfer t = {.h = h, .sink = &b.sink};
	buffer_init(&t.error_body, ERROR_BODY_MAX);
	setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_ping_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)found);
	long status = 0;
	if (curl_easy_perform(h) == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200)
		sd_strlcpy(api, found, len);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, NULL);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, (void *)NULL);
	free(b.data);
	free(t.error_body.data);
}

/* Settle once on min(engine, newest we speak): from /_ping's header, else GET /version. */
static int negotiate(struct sd_docker *d, CURL *h, char *version, size_t vlen, char *err,
		     size_t errlen)
{
	pthread_mutex_lock(&d->lock);
	sd_strlcpy(version, d->api_version, vlen);
	pthread_mutex_unlock(&d->lock);
	if (version[0])
		return 0;

	char pinged[16];
	ping_version(d, h, pinged, sizeof(pinged));
	if (api_number(pinged) > 0) {
		if (api_number(pinged) > NEWEST_API_MAJOR * 1000 + NEWEST_API_MINOR)
			snprintf(version, vlen, "%d.%d", NEWEST_API_MAJOR, NEWEST_API_MINOR);
		else
			sd_strlcpy(version, pinged, vlen);
		pthread_mutex_lock(&d->lock);
		sd_strlcpy(d->api_version, version, sizeof(d->api_version));
		pthread_mutex_unlock(&d->lock);
		return 0;
	}

	struct buffer_sink b;
	buffer_init(&b, 1 << 20);
	if (perform(d, h, "GET", "/version", NULL, &b.sink, NULL, err, errlen) < 0) {
		free(b.data);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	free(b.data);
	const char *api = json_string_value(json_object_get(root, "ApiVersion"));
	const char *engine = json_string_value(json_object_get(root, "Version"));
	if (!api || api_number(api) <= 0) {
		snprintf(err, errlen, "%s: /version: no ApiVersion in the answer", d->host);
		json_decref(root);
		return -1;
	}
	if (api_number(api) > NEWEST_API_MAJOR * 1000 + NEWEST_API_MINOR)
		snprintf(version, vlen, "%d.%d", NEWEST_API_MAJOR, NEWEST_API_MINOR);
	else
		sd_strlcpy(version, api, vlen);
	pthread_mutex_lock(&d->lock);
	sd_strlcpy(d->api_version, version, sizeof(d->api_version));
	sd_strlcpy(d->engine_version, engine ? engine : "", sizeof(d->engine_version));
	pthread_mutex_unlock(&d->lock);
	json_decref(root);
	return 0;
}

/* Percent-encode a path segment (an ID or a name typed by the operator). */
static void path_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------------------------------ */
/* decoding lists into the swarm part                                                         */

struct intern_entry {
	const char *s;
	uint32_t len, hash;
};

struct id_entry {
	const char *key;
	uint32_t len, index;
};

struct id_map {
	struct id_entry *slots;
	size_t mask;
};

struct service_rec {
	struct sd_service svc;
	long status_desired;   /* ServiceStatus.DesiredTasks, -1 when absent */
};

struct task_rec {
	struct sd_task task;
	uint32_t service;   /* index in the sorted services; UINT32_MAX when unknown */
	int32_t node;       /* index in the sorted nodes; -1 when none or unknown */
};

struct decoder {
	struct sd_swarm *sw;
	struct sd_arena *arena;
	const char *empty;

	struct intern_entry *interned;
	size_t intern_cap, intern_count;

	struct sd_node *nodes;
	size_t nnodes, cap_nodes;
	struct service_rec *services;
	size_t nservices, cap_services;
	struct task_rec *tasks;
	size_t ntasks, cap_tasks;

	struct sd_label *labels;        /* scratch for one object's labels */
	size_t cap_labels;
	struct sd_port *ports;          /* scratch for one service's ports */
	size_t cap_ports;

	struct id_map node_ids, service_ids;
};

enum list_kind { LIST_NODES, LIST_SERVICES, LIST_TASKS };
static const char *const list_names[] = {"nodes", "services", "tasks"};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void *grow(void *array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(array, n * elem);
}

/* One arena copy per distinct short string: states, roles, images, messages repeat a lot. */
static const char *intern(struct decoder *dec, const char *s, size_t len)
{
	if (len > 512)
		return sd_arena_strndup(dec->arena, s, len);
	if (dec->intern_count * 2 >= dec->intern_cap) {
		size_t cap = dec->intern_cap ? dec->intern_cap * 2 : 256;
		struct intern_entry *e = xcalloc(cap, sizeof(*e));
		for (size_t i = 0; i < dec->intern_cap; i++) {
			if (!dec->interned[i].s)
				continue;
			size_t j = dec->interned[i].hash & (cap - 1);
			while (e[j].s)
				j = (j + 1) & (cap - 1);
			e[j] = dec->interned[i];
		}
		free(dec->interned);
		dec->interned = e;
		dec->intern_cap = cap;
	}
	uint32_t h = hash_bytes(s, len);
	size_t j = h & (dec->intern_cap - 1);
	while (dec->interned[j].s) {
		struct intern_entry *e = &dec->interned[j];
		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
			return e->s;
		j = (j + 1) & (dec->intern_cap - 1);
	}
	const char *copy = sd_arena_strndup(dec->arena, s, len);
	dec->interned[j] = (struct intern_entry){copy, (uint32_t)len, h};
	dec->intern_count++;
	return copy;
}

/* A string value, shared with equal ones. */
static const char *take_interned(struct decoder *dec, struct js *s)
{
	const char *raw;
	size_t len;
	bool escaped;
	if (!js_string_raw(s, &raw, &len, &escaped))
		return dec->empty;
	if (escaped) {
		char *out = sd_arena_alloc(dec->arena, len + 1);
		out[js_unescape(raw, len, out)] = '\0';
		return out;
	}
	return intern(dec, raw, len);
}

/* A string value of its own (IDs, hostnames). */
static const char *take_string(struct decoder *dec, struct js *s)
{
	const char *v = js_string_dup(s, dec->arena);
	return v ? v : dec->empty;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* RFC 3339 with optional fraction and a Z or +hh:mm offset; 0 for Go's zero time or junk. */
static time_t parse_time(const char *p, size_t len)
{
	if (len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    p[13] != ':' || p[16] != ':')
		return 0;
	int year = digits(p, 4), mon = digits(p + 5, 2), day = digits(p + 8, 2);
	int hour = digits(p + 11, 2), min = digits(p + 14, 2), sec = digits(p + 17, 2);
	if (year <= 1 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || min < 0 ||
	    sec < 0)
		return 0;
	size_t i = 19;
	if (i < len && p[i] == '.')
		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			;
	long offset = 0;
	if (i + 6 <= len && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
		int oh = digits(p + i + 1, 2), om = digits(p + i + 4, 2);
		if (oh >= 0 && om >= 0)
			offset = (p[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	}
	int64_t t = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 +
		    min * 60 + sec - offset;
	return (time_t)t;
}

static time_t take_time(struct js *s)
{
	const char *raw;
	size_t len;
	if (!js_string_raw(s, &raw, &len, NULL))
		return 0;
	return parse_time(raw, len);
}

static void take_labels(struct decoder *dec, struct js *s, struct sd_label **out, size_t *count,
			const char **stack)
{
	const char *key;
	size_t klen, n = 0;
	for (int i = 0; js_object_next(s, &i, &key, &klen);) {
		if (!out) {
			if (JS_KEY(key, klen, "com.docker.stack.namespace"))
				*stack = take_interned(dec, s);
			else
				js_skip(s);
			continue;
		}
		dec->labels = grow(dec->labels, &dec->cap_labels, n + 1, sizeof(*dec->labels));
		bool escaped = memchr(key, '\\', klen) != NULL;
		char *k = sd_arena_alloc(dec->arena, klen + 1);
		if (escaped)
			k[js_unescape(key, klen, k)] = '\0';
		else
			memcpy(k, key, klen);
		dec->labels[n++] = (struct sd_label){k, take_interned(dec, s)};
	}
	if (!out)
		return;
	*count = n;
	*out = NULL;
	if (n) {
		*out = sd_arena_alloc(dec->arena, n * sizeof(**out));
		memcpy(*out, dec->labels, n * sizeof(**out));
	}
}

static void decode_node(struct decoder *dec, struct js *s, struct sd_node *node)
{
	const char *e = dec->empty;
	*node = (struct sd_node){.id = e, .hostname = e, .role = e, .availability = e, .state = e,
				 .manager = e, .engine = e, .addr = e, .message = e};
	bool has_manager = false, leader = false;
	const char *reachability = e;
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			node->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Version")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Index"))
					node->version = (uint64_t)js_int(s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "Spec")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Role"))
					node->role = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Availability"))
					node->availability = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Labels"))
					take_labels(dec, s, &node->labels, &node->nlabels, NULL);
				else
					js_skip(s);
			}
		} else if (JS_KEY(k, kl, "Description")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Hostname")) {
					node->hostname = take_string(dec, s);
				} else if (JS_KEY(k, kl, "Engine")) {
					for (int c = 0; js_object_next(s, &c, &k, &kl);)
						if (JS_KEY(k, kl, "EngineVersion"))
							node->engine = take_interned(dec, s);
						else
							js_skip(s);
				} else {
					js_skip(s);
				}
			}
		} else if (JS_KEY(k, kl, "Status")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "State"))
					node->state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Addr"))
					node->addr = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					node->message = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else if (JS_KEY(k, kl, "ManagerStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				has_manager = true;
				if (JS_KEY(k, kl, "Leader"))
					leader = js_bool(s);
				else if (JS_KEY(k, kl, "Reachability"))
					reachability = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else {
			js_skip(s);
		}
	}
	if (leader)
		node->manager = intern(dec, "leader", 6);
	else if (has_manager)
		node->manager = *reachability ? reachability : intern(dec, "unknown", 7);
}

static void take_ports(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl, n = 0;
	for (int a = 0; js_array_next(s, &a);) {
		dec->ports = grow(dec->ports, &dec->cap_ports, n + 1, sizeof(*dec->ports));
		struct sd_port *p = &dec->ports[n++];
		*p = (struct sd_port){.protocol = dec->empty, .mode = dec->empty};
		for (int b = 0; js_object_next(s, &b, &k, &kl);) {
			if (JS_KEY(k, kl, "Protocol"))
				p->protocol = take_interned(dec, s);
			else if (JS_KEY(k, kl, "TargetPort"))
				p->target = (long)js_int(s);
			else if (JS_KEY(k, kl, "PublishedPort"))
				p->published = (long)js_int(s);
			else if (JS_KEY(k, kl, "PublishMode"))
				p->mode = take_interned(dec, s);
			else
				js_skip(s);
		}
	}
	svc->nports = n;
	svc->ports = NULL;
	if (n) {
		svc->ports = sd_arena_alloc(dec->arena, n * sizeof(*svc->ports));
		memcpy(svc->ports, dec->ports, n * sizeof(*svc->ports));
	}
}

static void take_mode(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		bool replicated = JS_KEY(k, kl, "Replicated");
		bool replicated_job = JS_KEY(k, kl, "ReplicatedJob");
		if (replicated)
			svc->mode = intern(dec, "replicated", 10);
		else if (replicated_job)
			svc->mode = intern(dec, "replicated-job", 14);
		else if (JS_KEY(k, kl, "Global"))
			svc->mode = intern(dec, "global", 6);
		else if (JS_KEY(k, kl, "GlobalJob"))
			svc->mode = intern(dec, "global-job", 10);
		if (!replicated && !replicated_job) {
			js_skip(s);
			continue;
		}
		for (int b = 0; js_object_next(s, &b, &k, &kl);) {
			if ((replicated && JS_KEY(k, kl, "Replicas")) ||
			    (replicated_job && JS_KEY(k, kl, "TotalCompletions")))
				svc->desired = (long)js_int(s);
			else
				js_skip(s);
		}
	}
}

static void take_service_spec(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "Name")) {
			svc->name = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Labels")) {
			take_labels(dec, s, NULL, NULL, &svc->stack);
		} else if (JS_KEY(k, kl, "Mode")) {
			take_mode(dec, s, svc);
		} else if (JS_KEY(k, kl, "TaskTemplate")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (!JS_KEY(k, kl, "ContainerSpec")) {
					js_skip(s);
					continue;
				}
				for (int c = 0; js_object_next(s, &c, &k, &kl);) {
					const char *raw;
					size_t len;
					bool escaped;
					if (!JS_KEY(k, kl, "Image")) {
						js_skip(s);
					} else if (js_string_raw(s, &raw, &len, &escaped)) {
						const char *at = memchr(raw, '@', len);
						if (at)
							len = (size_t)(at - raw);   /* drop @sha256:... */
						svc->image = intern(dec, raw, len);
					}
				}
			}
		} else {
			js_skip(s);
		}
	}
}

static void decode_service(struct decoder *dec, struct js *s, struct service_rec *rec)
{
	const char *e = dec->empty;
	struct sd_service *svc = &rec->svc;
	rec->status_desired = -1;
	*svc = (struct sd_service){.id = e, .name = e, .stack = e, .mode = e, .image = e,
				   .update_state = e, .update_message = e,
				   .desired = -1, .running = -1};
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			svc->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Version")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Index"))
					svc->version = (uint64_t)js_int(s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "UpdatedAt")) {
			svc->updated_at = take_time(s);
		} else if (JS_KEY(k, kl, "Spec")) {
			take_service_spec(dec, s, svc);
		} else if (JS_KEY(k, kl, "PreviousSpec")) {
			if (!js_is_null(s)) {
				svc->has_previous_spec = true;
				js_skip(s);
			}
		} else if (JS_KEY(k, kl, "Endpoint")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Ports"))
					take_ports(dec, s, svc);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "UpdateStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "State"))
					svc->update_state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					svc->update_message = take_interned(dec, s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "ServiceStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "RunningTasks"))
					svc->running = (long)js_int(s);
				else if (JS_KEY(k, kl, "DesiredTasks"))
					rec->status_desired = (long)js_int(s);
				else
					js_skip(s);
		} else {
			js_skip(s);
		}
	}
}

static bool lookup_id(const struct id_map *map, const char *key, size_t len, uint32_t *index)
{
	if (!map->slots)
		return false;
	uint32_t h = hash_bytes(key, len);
	for (size_t j = h & map->mask;; j = (j + 1) & map->mask) {
		const struct id_entry *e = &map->slots[j];
		if (!e->key)
			return false;
		if (e->len == len && memcmp(e->key, key, len) == 0) {
			*index = e->index;
			return true;
		}
	}
}

static void build_id_map(struct id_map *map, size_t count, const char *(*key_of)(const void *,
										 size_t),
			 const void *items)
{
	free(map->slots);
	size_t cap = 16;
	while (cap < count * 2)
		cap *= 2;
	map->slots = xcalloc(cap, sizeof(*map->slots));
	map->mask = cap - 1;
	for (size_t i = 0; i < count; i++) {
		const char *key = key_of(items, i);
		size_t len = strlen(key);
		uint32_t dummy;
		if (!len || lookup_id(map, key, len, &dummy))
			continue;
		size_t j = hash_bytes(key, len) & map->mask;
		while (map->slots[j].key)
			j = (j + 1) & map->mask;
		map->slots[j] = (struct id_entry){key, (uint32_t)len, (uint32_t)i};
	}
}

static const char *node_key(const void *items, size_t i)
{
	return ((const struct sd_node *)items)[i].id;
}

static const char *service_key(const void *items, size_t i)
{
	return ((const struct service_rec *)items)[i].svc.id;
}

static void decode_task(struct decoder *dec, struct js *s, struct task_rec *rec)
{
	const char *e = dec->empty;
	struct sd_task *t = &rec->task;
	*t = (struct sd_task){.id = e, .service_id = e, .service = e, .node_id = e, .node = e,
			      .desired_state = e, .state = e, .error = e, .message = e};
	rec->service = UINT32_MAX;
	rec->node = -1;
	const char *k, *raw;
	size_t kl, len;
	bool escaped;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			t->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "ServiceID")) {
			if (!js_string_raw(s, &raw, &len, &escaped))
				continue;
			uint32_t i;
			if (lookup_id(&dec->service_ids, raw, len, &i)) {
				rec->service = i;
				t->service_id = dec->services[i].svc.id;
				t->service = dec->services[i].svc.name;
			} else {
				t->service_id = sd_arena_strndup(dec->arena, raw, len);
			}
		} else if (JS_KEY(k, kl, "NodeID")) {
			if (!js_string_raw(s, &raw, &len, &escaped) || len == 0)
				continue;
			uint32_t i;
			if (lookup_id(&dec->node_ids, raw, len, &i)) {
				rec->node = (int32_t)i;
				t->node_id = dec->nodes[i].id;
				t->node = dec->nodes[i].hostname;
			} else {
				/* a node that left the swarm: show its ID rather than nothing */
				t->node_id = t->node = sd_arena_strndup(dec->arena, raw, len);
			}
		} else if (JS_KEY(k, kl, "Slot")) {
			t->slot = (long)js_int(s);
		} else if (JS_KEY(k, kl, "DesiredState")) {
			t->desired_state = take_interned(dec, s);
		} else if (JS_KEY(k, kl, "Status")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Timestamp"))
					t->since = take_time(s);
				else if (JS_KEY(k, kl, "State"))
					t->state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					t->message = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Err"))
					t->error = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else {
			js_skip(s);
		}
	}
}

/* One list response, fed as it arrives: elements are decoded from the bytes at hand, an
 * unfinished element's bytes are kept and retried with the next chunk. */
struct list_stream {
	struct sink sink;
	struct decoder *dec;
	enum list_kind kind;
	int state;                 /* 0 before '[', 1 inside, 2 after ']' */
	size_t count;              /* elements decoded */
	size_t position;           /* stream offset of the first byte not yet consumed */
	char *pending;             /* the unfinished tail, retried with more bytes */
	size_t plen, pcap;
};

/* Decode whole elements from BUF; returns the bytes consumed, or (size_t)-1 with the error. */
static size_t decode_some(struct list_stream *ls, const char *buf, size_t len, bool final)
{
	struct decoder *dec = ls->dec;
	struct js s;
	js_init(&s, buf, len);
	for (;;) {
		const char *mark = s.p;
		if (ls->state == 2)
			return len;
		int c = js_peek(&s);
		if (c < 0)
			break;
		if (ls->state == 0) {
			if (c != '[') {
				snprintf(ls->sink.err, sizeof(ls->sink.err),
					 "%s: expected a JSON array at byte %zu", list_names[ls->kind],
					 ls->position + (size_t)(s.p - buf));
				return (size_t)-1;
			}
			s.p++;
			ls->state = 1;
			continue;
		}
		if (c == ']') {
			s.p++;
			ls->state = 2;
			continue;
		}
		if (ls->count > 0) {
			if (c != ',') {
				s.err = JS_BAD;
				s.err_at = s.p;
				break;
			}
			s.p++;
		}
		switch (ls->kind) {
		case LIST_NODES: {
			struct sd_node node;
			decode_node(dec, &s, &node);
			if (s.err)
				break;
			dec->nodes = grow(dec->nodes, &dec->cap_nodes, dec->nnodes + 1,
					  sizeof(*dec->nodes));
			dec->nodes[dec->nnodes++] = node;
			break;
		}
		case LIST_SERVICES: {
			struct service_rec svc;
			decode_service(dec, &s, &svc);
			if (s.err)
				break;
			dec->services = grow(dec->services, &dec->cap_services, dec->nservices + 1,
					     sizeof(*dec->services));
			dec->services[dec->nservices++] = svc;
			break;
		}
		case LIST_TASKS: {
			dec->tasks = grow(dec->tasks, &dec->cap_tasks, dec->ntasks + 1,
					  sizeof(*dec->tasks));
			decode_task(dec, &s, &dec->tasks[dec->ntasks]);
			if (!s.err)
				dec->ntasks++;
			break;
		}
		}
		if (s.err == JS_EOF && !final)
			return (size_t)(mark - buf);   /* incomplete: wait for more bytes */
		if (s.err)
			break;
		ls->count++;
	}
	if (s.err == JS_EOF && !final) {
		return (size_t)(s.p - buf);
	}
	char why[160];
	js_error_text(&s, why, sizeof(why));
	if (s.err == JS_EOF) {
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: truncated JSON at byte %zu",
			 list_names[ls->kind], ls->position + len);
	} else {
		/* js_error_text counts from BUF; restate the offset in the stream */
		const char *near = strstr(why, " near ");
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: bad JSON at byte %zu%s",
			 list_names[ls->kind],
			 ls->position + (size_t)((s.err_at ? s.err_at : s.p) - buf), near ? near : "");
	}
	return (size_t)-1;
}

static void pending_set(struct list_stream *ls, const char *data, size_t len)
{
	ls->plen = 0;
	if (len == 0)
		return;
	ls->pending = grow(ls->pending, &ls->pcap, len, 1);
	memmove(ls->pending, data, len);
	ls->plen = len;
}

static int list_feed(struct sink *sink, const char *data, size_t len)
{
	struct list_stream *ls = (struct list_stream *)sink;
	/* finish the element cut by the previous chunk: append just enough of this one */
	size_t taken = 0, step = 8192;
	while (ls->plen > 0) {
		size_t add = len - taken < step ? len - taken : step;
		size_t tail = ls->plen;
		ls->pending = grow(ls->pending, &ls->pcap, ls->plen + add, 1);
		memcpy(ls->pending + ls->plen, data + taken, add);
		ls->plen += add;
		taken += add;
		size_t used = decode_some(ls, ls->pending, ls->plen, false);
		if (used == (size_t)-1)
			return -1;
		ls->position += used;
		if (used >= tail) {
			/* the rest continues inside DATA: decode it in place */
			size_t resume = taken - (ls->plen - used);
			ls->plen = 0;
			taken = resume;
			break;
		}
		memmove(ls->pending, ls->pending + used, ls->plen - used);
		ls->plen -= used;
		if (taken == len)
			return 0;
		step *= 2;
	}
	size_t used = decode_some(ls, data + taken, len - taken, false);
	if (used == (size_t)-1)
		return -1;
	ls->position += used;
	pending_set(ls, data + taken + used, len - taken - used);
	return 0;
}

/* End of the response: whatever is pending must now decode completely. */
static int list_finish(struct list_stream *ls)
{
	size_t used = decode_some(ls, ls->pending ? ls->pending : "", ls->plen, true);
	free(ls->pending);
	ls->pending = NULL;
	ls->plen = ls->pcap = 0;
	if (used == (size_t)-1)
		return -1;
	if (ls->state != 2) {
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: truncated JSON at byte %zu",
			 list_names[ls->kind], ls->position + used);
		return -1;
	}
	return 0;
}

static void list_init(struct list_stream *ls, struct decoder *dec, enum list_kind kind)
{
	memset(ls, 0, sizeof(*ls));
	ls->sink.feed = list_feed;
	ls->dec = dec;
	ls->kind = kind;
}

static int compare_nodes(const void *a, const void *b)
{
	const struct sd_node *x = a, *y = b;
	int c = strcmp(x->hostname, y->hostname);
	return c ? c : strcmp(x->id, y->id);
}

static int compare_services(const void *a, const void *b)
{
	const struct sd_service *x = &((const struct service_rec *)a)->svc;
	const struct sd_service *y = &((const struct service_rec *)b)->svc;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

/* Called when a list is complete: sort it and index its IDs for the lists that refer to it. */
static void list_done(struct decoder *dec, enum list_kind kind)
{
	if (kind == LIST_NODES) {
		if (dec->nnodes > 1)
			qsort(dec->nodes, dec->nnodes, sizeof(*dec->nodes), compare_nodes);
		build_id_map(&dec->node_ids, dec->nnodes, node_key, dec->nodes);
	} else if (kind == LIST_SERVICES) {
		if (dec->nservices > 1)
			qsort(dec->services, dec->nservices, sizeof(*dec->services), compare_services);
		build_id_map(&dec->service_ids, dec->nservices, service_key, dec->services);
	}
}

static void decoder_init(struct decoder *dec)
{
	memset(dec, 0, sizeof(*dec));
	dec->sw = sd_part_new(sizeof(struct sd_swarm));
	dec->arena = dec->sw->part.arena;
	dec->empty = sd_arena_strdup(dec->arena, "");
	dec->sw->engine_name = dec->sw->engine_version = dec->sw->api_version = dec->empty;
	dec->sw->cluster_id = dec->sw->leader = dec->empty;
}

static void decoder_free(struct decoder *dec)
{
	free(dec->interned);
	free(dec->nodes);
	free(dec->services);
	free(dec->tasks);
	free(dec->labels);
	free(dec->ports);
	free(dec->node_ids.slots);
	free(dec->service_ids.slots);
	sd_part_unref(dec->sw);   /* NULL once handed out */
}

static int compare_tasks(const void *a, const void *b)
{
	const struct task_rec *x = a, *y = b;
	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if (x->task.slot != y->task.slot)
		return x->task.slot < y->task.slot ? -1 : 1;
	if (x->task.slot == 0) {   /* global services: one group per node */
		int c = strcmp(x->task.node, y->task.node);
		if (c)
			return c;
	}
	if (x->task.since != y->task.since)
		return x->task.since > y->task.since ? -1 : 1;
	return strcmp(x->task.id, y->task.id);
}

/* Sort, count and move everything into the part's arena. */
static struct sd_swarm *decoder_finish(struct decoder *dec)
{
	struct sd_swarm *sw = dec->sw;
	struct sd_arena *arena = dec->arena;

	/* counts that need the tasks */
	size_t ns = dec->nservices;
	long *running = xcalloc(ns + 1, sizeof(long));
	long *desired_running = xcalloc(ns + 1, sizeof(long));
	for (size_t i = 0; i < dec->ntasks; i++) {
		struct task_rec *r = &dec->tasks[i];
		bool want = !strcmp(r->task.desired_state, "running");
		if (want && r->node >= 0)
			dec->nodes[r->node].tasks++;
		if (r->service == UINT32_MAX)
			continue;
		if (want)
			desired_running[r->service]++;
		if (want && !strcmp(r->task.state, "running"))
			running[r->service]++;
	}
	for (size_t i = 0; i < ns; i++) {
		struct sd_service *svc = &dec->services[i].svc;
		long status_desired = dec->services[i].status_desired;
		/* replicated: the spec's count (set by take_mode); else what the engine says, or
		 * the tasks it wants running */
		bool replicated = !strcmp(svc->mode, "replicated") ||
				  !strcmp(svc->mode, "replicated-job");
		if (!replicated || svc->desired < 0)
			svc->desired = status_desired >= 0 ? status_desired : desired_running[i];
		if (svc->running < 0)
			svc->running = running[i];
	}
	free(running);
	free(desired_running);

	if (dec->ntasks > 1)
		qsort(dec->tasks, dec->ntasks, sizeof(*dec->tasks), compare_tasks);
	sw->ntasks = dec->ntasks;
	sw->tasks = dec->ntasks ? sd_arena_alloc(arena, dec->ntasks * sizeof(*sw->tasks)) : NULL;
	for (size_t i = 0; i < dec->ntasks; i++) {
		sw->tasks[i] = dec->tasks[i].task;
		uint32_t si = dec->tasks[i].service;
		if (si == UINT32_MAX)
			continue;
		if (dec->services[si].svc.task_count++ == 0)
			dec->services[si].svc.task_first = i;
	}

	sw->nservices = ns;
	sw->services = ns ? sd_arena_alloc(arena, ns * sizeof(*sw->services)) : NULL;
	for (size_t i = 0; i < ns; i++)
		sw->services[i] = dec->services[i].svc;

	sw->nnodes = dec->nnodes;
	sw->nodes = dec->nnodes ? sd_arena_alloc(arena, dec->nnodes * sizeof(*sw->nodes)) : NULL;
	for (size_t i = 0; i < dec->nnodes; i++) {
		struct sd_node *n = &dec->nodes[i];
		sw->nodes[i] = *n;
		if (!strcmp(n->role, "manager")) {
			sw->managers++;
			if (!strcmp(n->manager, "leader") || !strcmp(n->manager, "reachable"))
				sw->managers_reachable++;
		}
		if (!strcmp(n->manager, "leader"))
			sw->leader = n->hostname;
	}
	sw->fetched_at = time(NULL);
	dec->sw = NULL;
	return sw;
}

/* /info: the engine's name, the cluster ID, the engine version. */
static int decode_info(struct decoder *dec, const char *text, size_t len, char *err, size_t errlen)
{
	if (!text || !len)
		return 0;
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "info: bad JSON at byte %d: %s", jerr.position, jerr.text);
		json_decref(root);
		return -1;
	}
	const char *name = json_string_value(json_object_get(root, "Name"));
	const char *version = json_string_value(json_object_get(root, "ServerVersion"));
	json_t *swarm = json_object_get(root, "Swarm");
	const char *cluster = json_string_value(
		json_object_get(json_object_get(swarm, "Cluster"), "ID"));
	if (name)
		dec->sw->engine_name = sd_arena_strdup(dec->arena, name);
	if (version)
		dec->sw->engine_version = sd_arena_strdup(dec->arena, version);
	if (cluster)
		dec->sw->cluster_id = sd_arena_strdup(dec->arena, cluster);
	json_decref(root);
	return 0;
}

static int decode_whole_list(struct decoder *dec, enum list_kind kind, const char *text,
			     size_t len, char *err, size_t errlen)
{
	if (text && len) {
		struct list_stream ls;
		list_init(&ls, dec, kind);
		size_t used = decode_some(&ls, text, len, true);
		if (used != (size_t)-1 && ls.state != 2)
			snprintf(ls.sink.err, sizeof(ls.sink.err), "%s: truncated JSON at byte %zu",
				 list_names[kind], len);
		if (used == (size_t)-1 || ls.state != 2) {
			snprintf(err, errlen, "%s", ls.sink.err);
			return -1;
		}
	}
	list_done(dec, kind);
	return 0;
}

int sd_docker_decode(const char *info, size_t info_len, const char *nodes, size_t nodes_len,
		     const char *services, size_t services_len, const char *tasks,
		     size_t tasks_len, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	struct decoder dec;
	decoder_init(&dec);
	int rc = -1;
	if (decode_info(&dec, info, info_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_NODES, nodes, nodes_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_SERVICES, services, services_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_TASKS, tasks, tasks_len, err, errlen) == 0) {
		*out = decoder_finish(&dec);
		rc = 0;
	}
	decoder_free(&dec);
	return rc;
}

/* One list fed to the streaming decoder in pieces of the sizes in PIECES, cycled: the way
 * curl delivers a response, without a network. */
static int decode_list_pieces(struct decoder *dec, enum list_kind kind, const char *text,
			      size_t len, const size_t *pieces, size_t npieces, char *err,
			      size_t errlen)
{
	if (!text || !len) {
		list_done(dec, kind);
		return 0;
	}
	struct list_stream ls;
	list_init(&ls, dec, kind);
	int rc = 0;
	for (size_t off = 0, i = 0; off < len && rc == 0; i++) {
		size_t piece = npieces ? pieces[i % npieces] : len;
		if (piece == 0)
			piece = 1;
		if (piece > len - off)
			piece = len - off;
		rc = list_feed(&ls.sink, text + off, piece);
		off += piece;
	}
	if (rc == 0)
		rc = list_finish(&ls);
	free(ls.pending);
	if (rc < 0) {
		snprintf(err, errlen, "%s", ls.sink.err);
		return -1;
	}
	list_done(dec, kind);
	return 0;
}

int sd_docker_decode_chunks(const char *info, size_t info_len, const char *nodes,
			    size_t nodes_len, const char *services, size_t services_len,
			    const char *tasks, size_t tasks_len, const size_t *pieces,
			    size_t npieces, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	struct decoder dec;
	decoder_init(&dec);
	int rc = -1;
	if (decode_info(&dec, info, info_len, err, errlen) == 0 &&
	    decode_list_pieces(&dec, LIST_NODES, nodes, nodes_len, pieces, npieces, err,
			       errlen) == 0 &&
	    decode_list_pieces(&dec, LIST_SERVICES, services, services_len, pieces, npieces, err,
			       errlen) == 0 &&
	    decode_list_pieces(&dec, LIST_TASKS, tasks, tasks_len, pieces, npieces, err,
			       errlen) == 0) {
		*out = decoder_finish(&dec);
		rc = 0;
	}
	decoder_free(&dec);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* fetch                                                                                      */

static int get_list(struct sd_docker *d, CURL *h, struct decoder *dec, enum list_kind kind,
		    const char *path, char *err, size_t errlen)
{
	struct list_stream ls;
	list_init(&ls, dec, kind);
	int rc = perform(d, h, "GET", path, NULL, &ls.sink, NULL, err, errlen);
	if (rc == 0 && list_finish(&ls) < 0) {
		snprintf(err, errlen, "%s", ls.sink.err);
		rc = -1;
	}
	free(ls.pending);
	if (rc == 0)
		list_done(dec, kind);
	return rc;
}

/* /info is the engine's slowest answer (it gathers system facts): it is asked on a handle
 * and thread of its own while the lists stream in. */
struct info_job {
	struct sd_docker *d;
	char path[64];
	struct buffer_sink sink;
	int rc;
	char err[256];
};

static void *info_main(void *arg)
{
	struct info_job *job = arg;
	CURL *h = handle_acquire(job->d);
	job->rc = perform(job->d, h, "GET", job->path, NULL, &job->sink.sink, NULL, job->err,
			  sizeof(job->err));
	handle_release(job->d, h);
	return NULL;
}

int sd_docker_fetch(struct sd_docker *d, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	CURL *h = handle_acquire(d);
	char api[16], path[64];
	if (negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		handle_release(d, h);
		return -1;
	}
	struct info_job job = {.d = d};
	snprintf(job.path, sizeof(job.path), "/v%s/info", api);
	buffer_init(&job.sink, 16 << 20);
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, info_main, &job) == 0;
	if (!threaded)
		info_main(&job);

	struct decoder dec;
	decoder_init(&dec);
	char list_err[512] = "";
	snprintf(path, sizeof(path), "/v%s/nodes", api);
	int rc = get_list(d, h, &dec, LIST_NODES, path, list_err, sizeof(list_err));
	/* ServiceStatus (running/desired counts) exists from API 1.41 */
	snprintf(path, sizeof(path), "/v%s/services%s", api,
		 api_number(api) >= 1041 ? "?status=true" : "");
	if (rc == 0)
		rc = get_list(d, h, &dec, LIST_SERVICES, path, list_err, sizeof(list_err));
	snprintf(path, sizeof(path), "/v%s/tasks", api);
	if (rc == 0)
		rc = get_list(d, h, &dec, LIST_TASKS, path, list_err, sizeof(list_err));
	handle_release(d, h);
	if (threaded)
		pthread_join(thread, NULL);
	/* /info speaks first, as if asked first: "not a swarm manager" beats a list's error */
	if (job.rc < 0)
		snprintf(err, errlen, "%s", job.err);
	else if (rc < 0)
		snprintf(err, errlen, "%s", list_err);
	if (job.rc < 0)
		rc = -1;
	if (rc == 0)
		rc = decode_info(&dec, job.sink.data, job.sink.len, err, errlen);
	if (rc == 0) {
		pthread_mutex_lock(&d->lock);
		dec.sw->api_version = sd_arena_strdup(dec.arena, api);
		if (d->engine_version[0])
			dec.sw->engine_version = sd_arena_strdup(dec.arena, d->engine_version);
		pthread_mutex_unlock(&d->lock);
		*out = decoder_finish(&dec);
	}
	free(job.sink.data);
	decoder_free(&dec);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* raw GET and JSON helpers for mutations                                                     */

/* PATH as given when it names a version ("/v1.41/..."), else under the negotiated one. */
static int versioned_path(struct sd_docker *d, CURL *h, const char *path, char *out,
			  size_t size, char *err, size_t errlen)
{
	if (path[0] == '/' && path[1] == 'v' && path[2] >= '0' && path[2] <= '9') {
		if (snprintf(out, size, "%s", path) >= (int)size)
			goto too_long;
		return 0;
	}
	char api[16];
	if (negotiate(d, h, api, sizeof(api), err, errlen) < 0)
		return -1;
	if (snprintf(out, size, "/v%s%s%s", api, path[0] == '/' ? "" : "/", path) >= (int)size)
		goto too_long;
	return 0;
too_long:
	snprintf(err, errlen, "request path too long");
	return -1;
}

char *sd_docker_get(struct sd_docker *d, const char *path, size_t *len, char *err,
		    size_t errlen)
{
	if (len)
		*len = 0;
	CURL *h = handle_acquire(d);
	char full[1024];
	struct buffer_sink b;
	buffer_init(&b, GET_BODY_MAX);
	char *result = NULL;
	if (versioned_path(d, h, path, full, sizeof(full), err, errlen) == 0 &&
	    perform(d, h, "GET", full, NULL, &b.sink, NULL, err, errlen) == 0) {
		result = b.data ? b.data : xstrdup("");
		if (len)
			*len = b.len;
		b.data = NULL;
	}
	free(b.data);
	handle_release(d, h);
	return result;
}

/* PATH?filters={"KEY":["VALUE"]}, the filter percent-encoded as the engine expects. */
char *sd_docker_get_filtered(struct sd_docker *d, const char *path, const char *key,
			     const char *value, size_t *len, char *err, size_t errlen)
{
	json_t *f = json_pack("{s:[s]}", key, value);
	char *text = f ? json_dumps(f, JSON_COMPACT) : NULL;
	json_decref(f);
	char *enc = text ? curl_easy_escape(NULL, text, 0) : NULL;
	free(text);
	if (!enc) {
		sd_set_error(err, errlen, "cannot encode the filter %s=%s", key, value);
		return NULL;
	}
	char *full = xasprintf("%s?filters=%s", path, enc);
	curl_free(enc);
	char *body = sd_docker_get(d, full, len, err, errlen);
	free(full);
	return body;
}

static json_t *list_filtered(struct sd_docker *d, const char *path, const char *key,
			     const char *value, char *err, size_t errlen)
{
	size_t len = 0;
	char e[512] = "";
	char *body = key ? sd_docker_get_filtered(d, path, key, value, &len, e, sizeof(e))
			 : sd_docker_get(d, path, &len, e, sizeof(e));
	if (!body) {
		sd_set_error(err, errlen, "GET %s: %s", path, e);
		return NULL;
	}
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	free(body);
	if (!root || !json_is_array(root)) {
		sd_set_error(err, errlen, "GET %s: not a JSON list%s%s", path, root ? "" : ": ",
			     root ? "" : jerr.text);
		json_decref(root);
		return NULL;
	}
	return root;
}

static bool task_state_active(const char *state)
{
	static const char *const active[] = {"new", "allocated", "pending", "assigned", "accepted",
					     "preparing", "ready", "starting", "running", NULL};
	for (size_t i = 0; state && active[i]; i++)
		if (!strcmp(state, active[i]))
			return true;
	return false;
}

long sd_docker_service_active_tasks(struct sd_docker *d, const char *service, char *err,
				    size_t errlen)
{
	json_t *tasks = list_filtered(d, "/tasks", "service", service, err, errlen);
	if (!tasks)
		return -1;
	json_t *nodes = list_filtered(d, "/nodes", NULL, NULL, err, errlen);
	if (!nodes) {
		json_decref(tasks);
		return -1;
	}
	long count = 0;
	size_t i;
	json_t *t;
	json_array_foreach(tasks, i, t) {
		const char *state = json_string_value(json_object_get(json_object_get(t, "Status"), "State"));
		if (!task_state_active(state))
			continue;
		/* a task on a node that is down is not running anything one could wait for */
		const char *node = json_string_value(json_object_get(t, "NodeID"));
		bool node_up = !node || !*node;
		size_t j;
		json_t *n;
		json_array_foreach(nodes, j, n) {
			const char *id = json_string_value(json_object_get(n, "ID"));
			const char *nstate = json_string_value(json_object_get(json_object_get(n, "Status"), "State"));
			if (node && id && !strcmp(id, node))
				node_up = nstate && !strcmp(nstate, "ready");
		}
		if (node_up)
			count++;
	}
	json_decref(tasks);
	json_decref(nodes);
	return count;
}

/* GET PATH (relative to the API version) as JSON. */
static json_t *get_json(struct sd_docker *d, CURL *h, const char *path, long *status, char *err,
			size_t errlen)
{
	char full[1024];
	struct buffer_sink b;
	buffer_init(&b, 64 << 20);
	json_t *root = NULL;
	if (versioned_path(d, h, path, full, sizeof(full), err, errlen) == 0 &&
	    perform(d, h, "GET", full, NULL, &b.sink, status, err, errlen) == 0) {
		json_error_t jerr;
		root = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
		if (!root)
			snprintf(err, errlen, "%s: %s: bad JSON: %s", d->host, path, jerr.text);
	}
	free(b.data);
	return root;
}

static int post_json(struct sd_docker *d, CURL *h, const char *path, json_t *body, char *err,
		     size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	char full[1024];
	if (versioned_path(d, h, path, full, sizeof(full), err, errlen) < 0)
		return -1;
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		snprintf(err, errlen, "cannot encode the request body");
		return -1;
	}
	struct buffer_sink b;
	buffer_init(&b, 1 << 20);
	int rc = perform(d, h, "POST", full, text, &b.sink, NULL, err, errlen);
	free(b.data);
	free(text);
	return rc;
}

static json_t *inspect_service(struct sd_docker *d, CURL *h, const char *service, char *err,
			       size_t errlen)
{
	char escaped[512], path[600];
	path_escape(service, escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/services/%s", escaped);
	json_t *svc = get_json(d, h, path, NULL, err, errlen);
	if (svc && (!json_is_object(json_object_get(svc, "Spec")) ||
		    !json_string_value(json_object_get(svc, "ID")))) {
		snprintf(err, errlen, "%s: service %s: the answer has no Spec", d->host, service);
		json_decref(svc);
		return NULL;
	}
	return svc;
}

/* A node by ID (or ID prefix), else by hostname. */
static json_t *inspect_node(struct sd_docker *d, CURL *h, const char *node, char *err,
			    size_t errlen)
{
	char escaped[512], path[600];
	long status = 0;
	path_escape(node, escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/nodes/%s", escaped);
	json_t *found = get_json(d, h, path, &status, err, errlen);
	if (!found && status == 404) {
		char not_found[256];
		sd_strlcpy(not_found, err, sizeof(not_found));
		json_t *all = get_json(d, h, "/nodes", NULL, err, errlen);
		if (!all)
			return NULL;
		size_t i, matches = 0, ready = 0;
		json_t *item, *pick = NULL, *pick_ready = NULL;
		json_array_foreach(all, i, item) {
			const char *hostname = json_string_value(
				json_object_get(json_object_get(item, "Description"), "Hostname"));
			if (!hostname || strcmp(hostname, node) != 0)
				continue;
			matches++;
			pick = item;
			const char *state = json_string_value(
				json_object_get(json_object_get(item, "Status"), "State"));
			if (state && !strcmp(state, "ready")) {
				ready++;
				pick_ready = item;
			}
		}
		if (matches > 1 && ready == 1)
			pick = pick_ready;
		if (matches == 1 || (matches > 1 && ready == 1)) {
			found = json_incref(pick);
		} else if (matches > 1) {
			snprintf(err, errlen, "hostname %s matches %zu nodes; use the node ID", node,
				 matches);
		} else {
			snprintf(err, errlen, "%s", not_found);
		}
		json_decref(all);
	}
	if (found && (!json_is_object(json_object_get(found, "Spec")) ||
		      !json_string_value(json_object_get(found, "ID")))) {
		snprintf(err, errlen, "%s: node %s: the answer has no Spec", d->host, node);
		json_decref(found);
		return NULL;
	}
	return found;
}

static json_int_t object_version(json_t *obj)
{
	return json_integer_value(json_object_get(json_object_get(obj, "Version"), "Index"));
}

enum service_change { SERVICE_SCALE, SERVICE_ROLLBACK, SERVICE_REDEPLOY };

static int service_update(struct sd_docker *d, const char *service, enum service_change change,
			  long replicas, char *err, size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (!service || !*service) {
		snprintf(err, errlen, "no service given");
		return -1;
	}
	CURL *h = handle_acquire(d);
	json_t *svc = inspect_service(d, h, service, err, errlen);
	int rc = -1;
	if (!svc)
		goto done;
	json_t *spec = json_object_get(svc, "Spec");
	const char *name = json_string_value(json_object_get(spec, "Name"));
	if (!name)
		name = service;
	const char *query = "";
	switch (change) {
	case SERVICE_SCALE: {
		json_t *mode = json_object_get(spec, "Mode");
		json_t *replicated = json_object_get(mode, "Replicated");
		if (!json_is_object(replicated)) {
			if (json_object_get(mode, "Global"))
				snprintf(err, errlen,
					 "cannot scale %s: it is a global service (one task per node)",
					 name);
			else
				snprintf(err, errlen, "cannot scale %s: it is a %s, not a replicated service",
					 name, json_object_get(mode, "GlobalJob") ? "global job"
					       : json_object_get(mode, "ReplicatedJob") ? "replicated job"
											: "service");
			goto done;
		}
		if (replicas < 0) {
			snprintf(err, errlen, "cannot scale %s to %ld replicas", name, replicas);
			goto done;
		}
		json_object_set_new(replicated, "Replicas", json_integer(replicas));
		break;
	}
	case SERVICE_ROLLBACK:
		if (!json_is_object(json_object_get(svc, "PreviousSpec"))) {
			snprintf(err, errlen, "no previous spec to roll back to");
			goto done;
		}
		query = "&rollback=previous";
		break;
	case SERVICE_REDEPLOY: {
		json_t *task_template = json_object_get(spec, "TaskTemplate");
		if (!json_is_object(task_template)) {
			task_template = json_object();
			json_object_set_new(spec, "TaskTemplate", task_template);
		}
		json_int_t force = json_integer_value(json_object_get(task_template, "ForceUpdate"));
		json_object_set_new(task_template, "ForceUpdate", json_integer(force + 1));
		break;
	}
	}
	char escaped[128], path[300];
	path_escape(json_string_value(json_object_get(svc, "ID")), escaped, sizeof(escaped));
	snprintf(path, sizeof(path), "/services/%s/update?version=%lld%s", escaped,
		 (long long)object_version(svc), query);
	rc = post_json(d, h, path, spec, err, errlen);
done:
	json_decref(svc);
	handle_release(d, h);
	return rc;
}

int sd_docker_service_scale(struct sd_docker *d, const char *service, long replicas, char *err,
			    size_t errlen)
{
	return service_update(d, service, SERVICE_SCALE, replicas, err, errlen);
}

int sd_docker_service_rollback(struct sd_docker *d, const char *service, char *err,
			       size_t errlen)
{
	return service_update(d, service, SERVICE_ROLLBACK, 0, err, errlen);
}

int sd_docker_service_redeploy(struct sd_docker *d, const char *service, char *err,
			       size_t errlen)
{
	return service_update(d, service, SERVICE_REDEPLOY, 0, err, errlen);
}

static int node_update(struct sd_docker *d, const char *node, const char *field,
		       const char *value, const char *const *allowed, char *err, size_t errlen)
{
	if (d->read_only) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (!node || !*node) {
		snprintf(err, errlen, "no node given");
		return -1;
	}
	bool ok = false;
	for (const char *const *a = allowed; *a; a++)
		ok = ok || (value && !strcmp(value, *a));
	if (!ok) {
		snprintf(err, errlen, "bad node %s \"%s\" (expected %s or %s%s%s)",
			 !strcmp(field, "Role") ? "role" : "availability", value ? value : "",
			 allowed[0], allowed[1], allowed[2] ? " or " : "", allowed[2] ? allowed[2] : "");
		return -1;
	}
	CURL *h = handle_acquire(d);
	json_t *found = inspect_node(d, h, node, err, errlen);
	int rc = -1;
	if (found) {
		json_t *spec = json_object_get(found, "Spec");
		json_object_set_new(spec, field, json_string(value));
		char escaped[128], path[300];
		path_escape(json_string_value(json_object_get(found, "ID")), escaped, sizeof(escaped));
		snprintf(path, sizeof(path), "/nodes/%s/update?version=%lld", escaped,
			 (long long)object_version(found));
		rc = post_json(d, h, path, spec, err, errlen);
		json_decref(found);
	}
	handle_release(d, h);
	return rc;
}

int sd_docker_node_availability(struct sd_docker *d, const char *node, const char *availability,
				char *err, size_t errlen)
{
	static const char *const allowed[] = {"active", "pause", "drain", NULL};
	return node_update(d, node, "Availability", availability, allowed, err, errlen);
}

int sd_docker_node_role(struct sd_docker *d, const char *node, const char *role, char *err,
			size_t errlen)
{
	static const char *const allowed[] = {"manager", "worker", NULL, NULL};
	return node_update(d, node, "Role", role, allowed, err, errlen);
}

/* ------------------------------------------------------------------------------------------ */
/* events                                                                                     */

struct event_stream {
	void (*on_event)(void *user, const char *type, const char *action, const char *actor);
	void *user;
	CURL *h;
	long status;
	struct buffer_sink line;       /* bytes of the unfinished event */
	struct buffer_sink error_body;
};

static void emit_event(struct event_stream *es, const char *text, size_t len)
{
	json_t *ev = json_loadb(text, len, 0, NULL);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return;
	}
	json_t *actor = json_object_get(ev, "Actor");
	const char *type = json_string_value(json_object_get(ev, "Type"));
	const char *action = json_string_value(json_object_get(ev, "Action"));
	const char *name = json_string_value(
		json_object_get(json_object_get(actor, "Attributes"), "name"));
	if (!name || !*name)
		name = json_string_value(json_object_get(actor, "ID"));
	es->on_event(es->user, type ? type : "", action ? action : "", name ? name : "");
	json_decref(ev);
}

static size_t on_event_bytes(char *data, size_t size, size_t nmemb, void *user)
{
	struct event_stream *es = user;
	size_t len = size * nmemb;
	if (es->status == 0)
		curl_easy_getinfo(es->h, CURLINFO_RESPONSE_CODE, &es->status);
	if (es->status != 200) {
		size_t room = ERROR_BODY_MAX - 1 - es->error_body.len;
		buffer_append(&es->error_body, data, len < room ? len : room);
		return len;
	}
	/* the engine writes one JSON object per line */
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (buffer_append(&es->line, p, (size_t)(end - p)) < 0)
				return 0;
			break;
		}
		if (es->line.len) {
			if (buffer_append(&es->line, p, (size_t)(nl - p)) < 0)
				return 0;
			emit_event(es, es->line.data, es->line.len);
			es->line.len = 0;
		} else if (nl > p) {
			emit_event(es, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	return len;
}

int sd_docker_watch_events(struct sd_docker *d,
			   void (*on_event)(void *user, const char *type, const char *action,
					    const char *actor),
			   void *user, const volatile int *stop, char *err, size_t errlen)
{
	/* a handle of its own: the stream never holds up fetches or actions */
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "%s: cannot create a request handle", d->host);
		return -1;
	}
	char api[16];
	if (negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		curl_easy_cleanup(h);
		return -1;
	}
	/* swarm objects, plus the local engine's containers starting and dying; exec and
	 * attach noise filtered out by the engine */
	static const char filters[] =
		"{\"type\":[\"service\",\"node\",\"container\"],"
		"\"event\":[\"create\",\"update\",\"remove\",\"start\",\"die\",\"oom\","
		"\"destroy\",\"health_status\"]}";
	char escaped[sizeof(filters) * 3], url[sizeof(d->base_url) + sizeof(escaped) + 64];
	path_escape(filters, escaped, sizeof(escaped));
	snprintf(url, sizeof(url), "%s/v%s/events?filters=%s", d->base_url, api, escaped);

	char curl_err[CURL_ERROR_SIZE] = "";
	struct event_stream es = {.on_event = on_event, .user = user, .h = h};
	buffer_init(&es.line, 1 << 20);
	buffer_init(&es.error_body, ERROR_BODY_MAX);
	setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_event_bytes);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &es);

	int rc = -1;
	CURLM *multi = curl_multi_init();
	if (!multi) {
		snprintf(err, errlen, "%s: cannot create a request handle", d->host);
		goto done;
	}
	if (d->setup_error[0]) {
		snprintf(err, errlen, "%s: %s", d->host, d->setup_error);
		goto done;
	}
	curl_multi_add_handle(multi, h);
	CURLcode result = CURLE_OK;
	bool finished = false;
	while (!finished) {
		if (stop && *stop) {
			rc = 0;
			break;
		}
		int running = 0;
		CURLMcode mc = curl_multi_perform(multi, &running);
		if (mc != CURLM_OK) {
			snprintf(err, errlen, "%s: events: %s", d->host, curl_multi_strerror(mc));
			break;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				result = msg->data.result;
				finished = true;
			}
		if (finished || running == 0) {
			finished = true;
			break;
		}
		curl_multi_poll(multi, NULL, 0, 200, NULL);   /* STOP is looked at 5 times a second */
	}
	if (finished) {
		if (es.status == 0)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &es.status);
		if (result != CURLE_OK)
			transport_error(d, h, result, curl_err, err, errlen);
		else if (es.status != 200)
			engine_error(d, es.status, es.error_body.data, es.error_body.len, err, errlen);
		else
			snprintf(err, errlen, "%s: the event stream ended", d->host);
		if (stop && *stop)
			rc = 0;
	}
	curl_multi_remove_handle(multi, h);
done:
	if (multi)
		curl_multi_cleanup(multi);
	curl_easy_cleanup(h);
	free(es.line.data);
	free(es.error_body.data);
	return rc;
}
