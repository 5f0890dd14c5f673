/* http.h - the one small HTTP client of the Prometheus backend: GET and POST of JSON against
 * one API (Prometheus or Alertmanager), TLS and credentials in one place.
 *
 * Contract. The bearer token or basic-auth password is read from its file once at open
 * (base/secret) and given to libcurl only: never in a URL, an error or a log. Every request
 * is bounded as a whole by timeout_ms (connect, send, answer), has its own easy handle and
 * may be made from any thread. Failures are values: ERR says what the server answered
 * ("HTTP 503", with the API's "error" text when it gave one) or why nothing was answered. */
#ifndef SD_PROM_HTTP_H
#define SD_PROM_HTTP_H

#include "conf/config.h"

#include <stddef.h>

#define SD_HTTP_ANSWER_LIMIT (32 << 20)  /* a larger answer is refused */

struct sd_http;

/* Never NULL: a credential file that cannot be read makes every request fail with that
 * reason (the console shows it; nothing else stops). WHAT names the API in errors. */
struct sd_http *sd_http_open(const struct sd_http_config *config, const char *what);
void sd_http_close(struct sd_http *http);
const char *sd_http_url(const struct sd_http *http);

/* METHOD "GET" or "POST"; PATH (with its query, already escaped) is added to the URL; BODY
 * (POST) is sent as application/json. 0 with *OUT the answer (malloc'ed, NUL-terminated,
 * *LEN bytes) on a 2xx; -1 with ERR. */
int sd_http_request(struct sd_http *http, const char *method, const char *path,
		    const char *body, char **out, size_t *len, char *err, size_t errlen);

/* PART escaped for a URL's query (malloc'ed). */
char *sd_http_escape(const char *part);

#endif
