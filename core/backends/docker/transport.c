/* transport.c - the Docker Engine API client: DOCKER_HOST parsing, TLS settings, a pool of
 * curl handles, API version negotiation, one request with its body streamed into a sink.
 * Everything else in the backend talks to the engine through docker_perform. */
#include "backends/docker/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_HOST "unix:///var/run/docker.sock"

/* ------------------------------------------------------------------------------------------ */
/* host parsing                                                                               */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static bool env_truthy(const char *v) { return v && *v && strcmp(v, "0") != 0; }

static int parse_host(struct docker_endpoint *ep, const char *host, char *err, size_t errlen)
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
		if (strlen(rest) >= sizeof(ep->socket_path)) {
			snprintf(err, errlen, "bad Docker host \"%s\": socket path too long", host);
			return -1;
		}
		sd_strlcpy(ep->socket_path, rest, sizeof(ep->socket_path));
		snprintf(ep->host, sizeof(ep->host), "unix://%s", rest);
		snprintf(ep->base_url, sizeof(ep->base_url), "http://localhost");
		ep->tls = false;   /* as the docker CLI: TLS is for TCP only */
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
			snprintf(hostport + n, sizeof(hostport) - n, ":%d", ep->tls ? 2376 : 2375);
		}
		/* a trailing "/" is noise; a longer path is a prefix the CLI also honours */
		char prefix[256] = "";
		if (*path && strcmp(path, "/") != 0) {
			sd_strlcpy(prefix, path, sizeof(prefix));
			size_t n = strlen(prefix);
			while (n > 0 && prefix[n - 1] == '/')
				prefix[--n] = '\0';
		}
		snprintf(ep->host, sizeof(ep->host), "tcp://%s%s", hostport, prefix);
		snprintf(ep->base_url, sizeof(ep->base_url), "%s://%s%s", ep->tls ? "https" : "http",
			 hostport, prefix);
		return 0;
	}
	snprintf(err, errlen,
		 "unsupported Docker host scheme \"%.*s\" in \"%s\" (use unix:// or tcp://)",
		 (int)slen, host, host);
	return -1;
}

static void check_cert_file(struct docker_endpoint *ep, const char *path)
{
	if (ep->setup_error[0] || access(path, R_OK) == 0)
		return;
	char buf[128];
	snprintf(ep->setup_error, sizeof(ep->setup_error), "TLS: cannot read %s: %s", path,
		 strerror_r(errno, buf, sizeof(buf)));
}

/* One endpoint of HOST ("" or NULL: DOCKER_HOST, else the default socket), with the TLS
 * material of CONFIG. */
static int endpoint_open(struct docker_endpoint *ep, const struct sd_docker_config *config,
			 const char *host, char *err, size_t errlen)
{
	ep->tls = config->tls_verify >= 0 ? config->tls_verify != 0
					  : env_truthy(getenv("DOCKER_TLS_VERIFY"));
	ep->skip_verify = config->skip_verify;
	if (!host || !*host)
		host = getenv("DOCKER_HOST");
	if (!host || !*host)
		host = DEFAULT_HOST;
	if (parse_host(ep, host, err, errlen) < 0)
		return -1;
	if (ep->tls) {
		const char *dir = config->cert_path;
		char home_dir[PATH_MAX];
		if (!dir || !*dir)
			dir = getenv("DOCKER_CERT_PATH");
		if (!dir || !*dir) {
			const char *home = getenv("HOME");
			snprintf(home_dir, sizeof(home_dir), "%s/.docker", home && *home ? home : "");
			dir = home_dir;
		}
		snprintf(ep->ca, sizeof(ep->ca), "%.*s/ca.pem", PATH_MAX - 16, dir);
		snprintf(ep->cert, sizeof(ep->cert), "%.*s/cert.pem", PATH_MAX - 16, dir);
		snprintf(ep->key, sizeof(ep->key), "%.*s/key.pem", PATH_MAX - 16, dir);
		check_cert_file(ep, ep->ca);
		check_cert_file(ep, ep->cert);
		check_cert_file(ep, ep->key);
	}
	return 0;
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
	if (endpoint_open(&d->ep[0], config, config->host, err, errlen) < 0) {
		free(d);
		return NULL;
	}
	d->nep = 1;
	/* the other managers, in order; the one given first is not repeated */
	for (size_t i = 0; i < config->nhosts && d->nep < DOCKER_ENDPOINTS; i++) {
		char why[512];
		struct docker_endpoint *ep = &d->ep[d->nep];
		if (endpoint_open(ep, config, config->hosts[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "docker.hosts[%zu]: %s", i, why);
			free(d);
			return NULL;
		}
		if (strcmp(ep->host, d->ep[0].host) != 0)
			d->nep++;
		else
			memset(ep, 0, sizeof(*ep));
	}
	pthread_mutex_init(&d->lock, NULL);
	if (err && errlen)
		err[0] = '\0';
	return d;
}

/* Called after a whole swarm came from the endpoint in use: when it is tcp:// with TLS, each
 * other manager's address (ManagerStatus.Addr's IP with the port in use) becomes one more
 * endpoint to fail over to, with the same TLS material, unless it is one already (up to
 * DOCKER_ENDPOINTS in all). Only the fetching thread adds; NEP is published last. */
void docker_learn_managers(struct sd_docker *d, const struct sd_swarm *sw)
{
	const struct docker_endpoint *cur = docker_ep(d);
	if (!cur->tls || strncmp(cur->host, "tcp://", 6) != 0)
		return;
	const char *hostport = cur->host + 6;
	size_t hlen = strcspn(hostport, "/");
	const char *colon = NULL;
	for (const char *p = hostport; p < hostport + hlen; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return;
	char port[8];
	snprintf(port, sizeof(port), "%.*s", (int)(hostport + hlen - colon - 1), colon + 1);
	for (size_t i = 0; i < sw->nnodes; i++) {
		int nep = __atomic_load_n(&d->nep, __ATOMIC_ACQUIRE);
		if (nep >= DOCKER_ENDPOINTS)
			return;
		const struct sd_node *n = &sw->nodes[i];
		const char *addr = n->manager_addr;
		if (strcmp(n->role, "manager") || !addr || !*addr ||
		    (sw->engine_name && !strcmp(n->hostname, sw->engine_name)))
			continue;   /* a worker, or the engine asked now */
		const char *last = strrchr(addr, ':'), *close = strrchr(addr, ']');
		size_t iplen = last && (!close || last > close) ? (size_t)(last - addr) : strlen(addr);
		char host[300], why[256];
		snprintf(host, sizeof(host), "tcp://%.*s:%s", (int)iplen, addr, port);
		struct docker_endpoint *ep = &d->ep[nep];
		*ep = *cur;   /* the TLS material of the one in use */
		if (parse_host(ep, host, why, sizeof(why)) < 0)
			continue;
		bool known = false;
		for (int k = 0; k < nep && !known; k++)
			known = !strcmp(d->ep[k].host, ep->host);
		if (!known)
			__atomic_store_n(&d->nep, nep + 1, __ATOMIC_RELEASE);
	}
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
	return d ? docker_ep(d)->host : "";
}

int sd_docker_endpoint(const struct sd_docker *d, int *count)
{
	if (count)
		*count = d ? __atomic_load_n(&d->nep, __ATOMIC_ACQUIRE) : 0;
	return d ? __atomic_load_n(&d->cur, __ATOMIC_ACQUIRE) : 0;
}

bool docker_utf8_ok(const char *s, size_t len)
{
	size_t i = 0;
	uint64_t high = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		high |= w;
	}
	for (; i < len; i++)
		high |= (unsigned char)s[i];
	return (high & 0x8080808080808080ull) == 0 || sd_utf8_valid(s, len);
}

char *docker_utf8_copy(const char *text, size_t len, size_t *out_len)
{
	if (!text || docker_utf8_ok(text, len))
		return NULL;
	char *copy = xmalloc(3 * len + 1);
	*out_len = sd_utf8_sanitize(text, len, copy);
	return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* requests                                                                                   */

int docker_buffer_append(struct buffer_sink *b, const char *data, size_t len)
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
	return docker_buffer_append((struct buffer_sink *)sink, data, len);
}

void docker_buffer_init(struct buffer_sink *b, size_t max)
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
	bool timed_out;
	int64_t deadline_ms;             /* sd_now_ms() past which the transfer stops */
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
		docker_buffer_append(&t->error_body, data, len < room ? len : room);
		return len;
	}
	if (t->sink && t->sink->feed(t->sink, data, len) < 0) {
		t->sink_failed = true;
		return 0;   /* aborts the transfer */
	}
	/* curl looks at its timeout between reads; time spent taking the body counts too */
	if (sd_now_ms() > t->deadline_ms) {
		t->timed_out = true;
		return 0;
	}
	return len;
}

CURL *docker_handle_acquire(struct sd_docker *d)
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

void docker_handle_release(struct sd_docker *d, CURL *h)
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

void docker_forget_api_version(struct sd_docker *d)
{
	pthread_mutex_lock(&d->lock);
	d->api_version[0] = '\0';
	pthread_mutex_unlock(&d->lock);
}

/* Options shared by every request (the events stream included). */
void docker_setup_handle(struct sd_docker *d, CURL *h, const char *url, char *curl_err)
{
	const struct docker_endpoint *ep = docker_ep(d);
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	if (ep->socket_path[0])
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, ep->socket_path);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "swarmdeck");
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 65536L);
	if (!ep->socket_path[0])
		curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	if (ep->tls) {
		curl_easy_setopt(h, CURLOPT_CAINFO, ep->ca);
		curl_easy_setopt(h, CURLOPT_SSLCERT, ep->cert);
		curl_easy_setopt(h, CURLOPT_SSLKEY, ep->key);
		/* a context may say SkipTLSVerify, as the CLI honours it */
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, ep->skip_verify ? 0L : 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, ep->skip_verify ? 0L : 2L);
	}
}

void docker_transport_error(struct sd_docker *d, CURL *h, CURLcode rc, const char *curl_err,
			    char *err, size_t errlen)
{
	long os_errno = 0;
	char buf[128];
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	const char *detail = curl_err && *curl_err ? curl_err : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		snprintf(err, errlen, "cannot connect to %s: %s", docker_ep(d)->host,
			 os_errno ? strerror_r((int)os_errno, buf, sizeof(buf)) : detail);
		break;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "%s: no answer within %ld ms", docker_ep(d)->host, d->timeout_ms);
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(err, errlen, "cannot resolve %s: %s", docker_ep(d)->host, detail);
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		snprintf(err, errlen, "%s: TLS: %s", docker_ep(d)->host, detail);
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		snprintf(err, errlen, "%s: connection broken: %s", docker_ep(d)->host, detail);
		break;
	default:
		snprintf(err, errlen, "%s: %s", docker_ep(d)->host, detail);
	}
}

/* The engine's {"message": ...} verbatim, else the status and a little of the body. */
void docker_engine_error(struct sd_docker *d, long status, const char *body, size_t len,
			 char *err, size_t errlen)
{
	size_t fixed_len = 0;
	char *fixed = docker_utf8_copy(body, len, &fixed_len);
	if (fixed) {
		body = fixed;
		len = fixed_len;
	}
	json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *message = json_string_value(json_object_get(root, "message"));
	if (message) {
		snprintf(err, errlen, "%s", message);
	} else if (body && len) {
		while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
			len--;
		snprintf(err, errlen, "%s: HTTP %ld: %.*s", docker_ep(d)->host, status,
			 (int)(len > 200 ? 200 : len), body);
	} else {
		snprintf(err, errlen, "%s: HTTP %ld", docker_ep(d)->host, status);
	}
	json_decref(root);
	free(fixed);
}

static bool is_mutation(const char *method) { return strcmp(method, "GET") != 0; }

/* One request on handle H. 0 for a 2xx answer; -1 with ERR otherwise (STATUS says which
 * status came back, 0 when none did). */
int docker_perform(struct sd_docker *d, CURL *h, const char *method, const char *path,
		   const char *body, struct sink *sink, long *status, char *err, size_t errlen)
{
	return docker_perform_with(d, h, method, path, body, NULL, sink, status, err, errlen);
}

int docker_perform_with(struct sd_docker *d, CURL *h, const char *method, const char *path,
			const char *body, const char *header, struct sink *sink, long *status,
			char *err, size_t errlen)
{
	if (status)
		*status = 0;
	/* the read-only guarantee: nothing that could change the engine leaves the process */
	if (d->read_only && is_mutation(method)) {
		snprintf(err, errlen, READ_ONLY_REFUSAL);
		return -1;
	}
	if (docker_ep(d)->setup_error[0]) {
		snprintf(err, errlen, "%s: %s", docker_ep(d)->host, docker_ep(d)->setup_error);
		return -1;
	}
	if (!h) {
		snprintf(err, errlen, "%s: cannot create a request handle", docker_ep(d)->host);
		return -1;
	}
	char url[sizeof(docker_ep(d)->base_url) + 1024];
	if (snprintf(url, sizeof(url), "%s%s", docker_ep(d)->base_url, path) >= (int)sizeof(url)) {
		snprintf(err, errlen, "request path too long");
		return -1;
	}
	char curl_err[CURL_ERROR_SIZE] = "";
	struct transfer t = {.h = h, .sink = sink, .deadline_ms = sd_now_ms() + d->timeout_ms};
	docker_buffer_init(&t.error_body, ERROR_BODY_MAX);
	docker_setup_handle(d, h, url, curl_err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	struct curl_slist *headers = NULL;
	if (strcmp(method, "GET") != 0) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		if (header)
			headers = curl_slist_append(headers, header);
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
	} else if (t.timed_out) {
		snprintf(err, errlen, "%s: no answer within %ld ms", docker_ep(d)->host, d->timeout_ms);
	} else if (rc != CURLE_OK) {
		docker_transport_error(d, h, rc, curl_err, err, errlen);
		docker_forget_api_version(d);   /* the engine may come back as another version */
	} else if (t.status < 200 || t.status >= 300) {
		docker_engine_error(d, t.status, t.error_body.data, t.error_body.len, err, errlen);
	} else {
		result = 0;
	}
	free(t.error_body.data);
	return result;
}

/* Integer major.minor from "1.41"; 0 when unreadable. */
long docker_api_number(const char *v)
{
	/* exactly MAJOR.MINOR, each of 1 to 3 digits, MAJOR at least 1: the string goes into
	 * every request path, and anything longer is not a version an engine speaks */
	long part[2] = {0, 0};
	const char *p = v ? v : "";
	for (int i = 0; i < 2; i++) {
		int n = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++n > 3)
				return 0;
			part[i] = part[i] * 10 + (*p - '0');
		}
		if (n == 0 || (i == 0 && *p++ != '.'))
			return 0;
	}
	if (*p != '\0' || part[0] < 1)
		return 0;
	return part[0] * 1000 + part[1];
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
		while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
			n--;
		out[n] = '\0';
	}
	return len;
}

/* GET /_ping: the engine's API version from its header, the way the docker CLI asks; far
 * cheaper for the engine than /version. "" when the engine does not say. */
static void ping_version(struct sd_docker *d, CURL *h, char *api, size_t len)
{
	api[0] = '\0';
	if (docker_ep(d)->setup_error[0] || !h)
		return;
	char url[sizeof(docker_ep(d)->base_url) + 16], curl_err[CURL_ERROR_SIZE] = "", found[16] = "";
	snprintf(url, sizeof(url), "%s/_ping", docker_ep(d)->base_url);
	struct buffer_sink b;
	docker_buffer_init(&b, 4096);
	struct transfer t = {.h = h, .sink = &b.sink, .deadline_ms = sd_now_ms() + d->timeout_ms};
	docker_buffer_init(&t.error_body, ERROR_BODY_MAX);
	docker_setup_handle(d, h, url, curl_err);
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
int docker_negotiate(struct sd_docker *d, CURL *h, char *version, size_t vlen, char *err,
		     size_t errlen)
{
	pthread_mutex_lock(&d->lock);
	sd_strlcpy(version, d->api_version, vlen);
	pthread_mutex_unlock(&d->lock);
	if (version[0])
		return 0;

	char pinged[16];
	ping_version(d, h, pinged, sizeof(pinged));
	if (docker_api_number(pinged) > 0) {
		if (docker_api_number(pinged) > NEWEST_API_MAJOR * 1000 + NEWEST_API_MINOR)
			snprintf(version, vlen, "%d.%d", NEWEST_API_MAJOR, NEWEST_API_MINOR);
		else
			sd_strlcpy(version, pinged, vlen);
		pthread_mutex_lock(&d->lock);
		sd_strlcpy(d->api_version, version, sizeof(d->api_version));
		pthread_mutex_unlock(&d->lock);
		return 0;
	}

	struct buffer_sink b;
	docker_buffer_init(&b, 1 << 20);
	if (docker_perform(d, h, "GET", "/version", NULL, &b.sink, NULL, err, errlen) < 0) {
		free(b.data);
		return -1;
	}
	json_error_t jerr;
	json_t *root = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
	free(b.data);
	const char *api = json_string_value(json_object_get(root, "ApiVersion"));
	const char *engine = json_string_value(json_object_get(root, "Version"));
	if (!api) {
		snprintf(err, errlen, "%s: /version: no ApiVersion in the answer", docker_ep(d)->host);
		json_decref(root);
		return -1;
	}
	if (docker_api_number(api) <= 0) {
		snprintf(err, errlen, "%s: /version: unreadable ApiVersion \"%.40s%s\"", docker_ep(d)->host, api,
			 strlen(api) > 40 ? "..." : "");
		json_decref(root);
		return -1;
	}
	if (docker_api_number(api) > NEWEST_API_MAJOR * 1000 + NEWEST_API_MINOR)
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
void docker_path_escape(const char *in, char *out, size_t size)
{
	if (size == 0)
		return;
	char *enc = curl_easy_escape(NULL, in ? in : "", 0);
	size_t n = enc ? strlen(enc) : 0;
	if (n >= size) {
		n = size - 1;
		/* never cut an escape in two */
		if (n >= 1 && enc[n - 1] == '%')
			n -= 1;
		else if (n >= 2 && enc[n - 2] == '%')
			n -= 2;
	}
	if (n)
		memcpy(out, enc, n);
	out[n] = '\0';
	curl_free(enc);
}

/* PATH as given when it names a version ("/v1.41/..."), else under the negotiated one. */
int docker_versioned_path(struct sd_docker *d, CURL *h, const char *path, char *out,
			  size_t size, char *err, size_t errlen)
{
	if (path[0] == '/' && path[1] == 'v' && path[2] >= '0' && path[2] <= '9') {
		if (snprintf(out, size, "%s", path) >= (int)size)
			goto too_long;
		return 0;
	}
	char api[16];
	if (docker_negotiate(d, h, api, sizeof(api), err, errlen) < 0)
		return -1;
	if (snprintf(out, size, "/v%s%s%s", api, path[0] == '/' ? "" : "/", path) >= (int)size)
		goto too_long;
	return 0;
too_long:
	snprintf(err, errlen, "request path too long");
	return -1;
}
