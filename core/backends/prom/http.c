/* http.c - GET/POST of JSON over libcurl for the Prometheus backend: one easy handle per
 * request, CURLOPT_TIMEOUT_MS bounding it whole, TLS verified (against ca_file when set), the
 * credential from its file. See http.h for the contract. */
#include "backends/prom/http.h"

#include "base/error.h"
#include "base/secret.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sd_http {
	char *what, *url, *ca_file, *user;
	char secret[1024];          /* the token or the password */
	char open_error[256];       /* why the credential could not be read, or "" */
	long timeout_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct sd_http *sd_http_open(const struct sd_http_config *config, const char *what)
{
	pthread_once(&curl_once, curl_init_once);
	struct sd_http *h = xcalloc(1, sizeof(*h));
	h->what = xstrdup(what);
	h->url = xstrdup(config->url ? config->url : "");
	h->ca_file = config->ca_file ? xstrdup(config->ca_file) : NULL;
	h->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 3000;
	const char *file = config->bearer_token_file ? config->bearer_token_file
						     : config->password_file;
	if (config->user && *config->user)
		h->user = xstrdup(config->user);
	if (file) {
		char why[200] = "";
		if (sd_secret_read(file, h->secret, sizeof(h->secret), why, sizeof(why)) != 0)
			snprintf(h->open_error, sizeof(h->open_error), "%s: %s", what, why);
	}
	return h;
}

void sd_http_close(struct sd_http *h)
{
	if (!h)
		return;
	memset(h->secret, 0, sizeof(h->secret));
	free(h->what);
	free(h->url);
	free(h->ca_file);
	free(h->user);
	free(h);
}

const char *sd_http_url(const struct sd_http *h) { return h->url; }

char *sd_http_escape(const char *part)
{
	pthread_once(&curl_once, curl_init_once);
	char *e = curl_easy_escape(NULL, part, 0);
	char *copy = xstrdup(e ? e : "");
	curl_free(e);
	return copy;
}

struct answer {
	char *data;
	size_t len, cap;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n;
	if (a->len + len > SD_HTTP_ANSWER_LIMIT) {
		a->too_big = true;
		return 0;
	}
	if (a->len + len + 1 > a->cap) {
		a->cap = (a->len + len + 1) * 2;
		a->data = xrealloc(a->data, a->cap);
	}
	memcpy(a->data + a->len, data, len);
	a->len += len;
	a->data[a->len] = '\0';
	return len;
}

/* "HTTP 400: bad_data: parse error ..." from an API's error answer */
static void status_error(const struct sd_http *h, long status, const struct answer *a, char *err,
			 size_t errlen)
{
	const char *text = NULL;
	json_t *root = a->data ? json_loadb(a->data, a->len, 0, NULL) : NULL;
	if (json_is_object(root)) {
		text = json_string_value(json_object_get(root, "error"));
		if (!text)
			text = json_string_value(json_object_get(root, "message"));
	}
	if (text)
		snprintf(err, errlen, "%s: HTTP %ld: %.160s", h->what, status, text);
	else
		snprintf(err, errlen, "%s: HTTP %ld", h->what, status);
	json_decref(root);
}

int sd_http_request(struct sd_http *h, const char *method, const char *path, const char *body,
		    char **out, size_t *len, char *err, size_t errlen)
{
	*out = NULL;
	if (len)
		*len = 0;
	if (h->open_error[0]) {
		sd_strlcpy(err, h->open_error, errlen);
		return -1;
	}
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "%s: out of memory", h->what);
		return -1;
	}
	struct answer a = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	char *url = xasprintf("%s%s", h->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (h->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, h->secret);
	} else if (h->secret[0]) {
		char *auth = xasprintf("Authorization: Bearer %s", h->secret);
		headers = curl_slist_append(headers, auth);
		memset(auth, 0, strlen(auth));
		free(auth);
	}
	if (strcmp(method, "POST") == 0) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	int result = -1;
	if (rc != CURLE_OK) {
		if (a.too_big)
			snprintf(err, errlen, "%s: answer larger than %d MiB", h->what,
				 SD_HTTP_ANSWER_LIMIT >> 20);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			snprintf(err, errlen, "%s: no answer within %ld ms", h->what, h->timeout_ms);
		else
			snprintf(err, errlen, "%s: %s", h->what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (status < 200 || status > 299) {
		status_error(h, status, &a, err, errlen);
	} else {
		result = 0;
		*out = a.data ? a.data : xstrdup("");
		if (len)
			*len = a.len;
		a.data = NULL;
	}
	free(a.data);
	curl_slist_free_all(headers); /* the Authorization line is libcurl's copy */
	curl_easy_cleanup(c);
	free(url);
	return result;
}
