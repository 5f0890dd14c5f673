/* webdav.c - the WebDAV client: one libcurl easy handle per call, the password from its file
 * (read once at open), connect and stall limits on every call, and a tolerant reader of
 * PROPFIND answers (any namespace prefix, hrefs absolute or relative, percent-encoded). See
 * webdav.h for the contract. */
#include "backends/webdav/webdav.h"

#include "base/error.h"
#include "base/secret.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_KEPT 200             /* bytes of an error body kept for the message */
#define LIST_LIMIT (64 << 20)       /* a PROPFIND answer larger than this is refused */

struct sd_webdav {
	char *url;                  /* ends in '/' */
	char *path;                 /* the URL's path, for the hrefs of PROPFIND */
	char *user;
	char password[512];
	long timeout_ms;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

struct sd_webdav *sd_webdav_open(const struct sd_webdav_config *config, char *err, size_t errlen)
{
	if (!config->url || (strncmp(config->url, "http://", 7) && strncmp(config->url, "https://", 8))) {
		sd_set_error(err, errlen, "remote: the url must start with http:// or https://");
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	struct sd_webdav *dav = xcalloc(1, sizeof(*dav));
	size_t n = strlen(config->url);
	dav->url = config->url[n - 1] == '/' ? xstrdup(config->url) : xasprintf("%s/", config->url);
	const char *host = strstr(dav->url, "://") + 3;
	const char *slash = strchr(host, '/');
	dav->path = xstrdup(slash ? slash : "/");
	dav->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : 10000;
	if (config->user && *config->user) {
		dav->user = xstrdup(config->user);
		if (!config->password_file ||
		    sd_secret_read(config->password_file, dav->password, sizeof(dav->password), err,
				   errlen) != 0) {
			if (!config->password_file)
				sd_set_error(err, errlen, "remote: user %s has no password_file", config->user);
			sd_webdav_close(dav);
			return NULL;
		}
	}
	return dav;
}

void sd_webdav_close(struct sd_webdav *dav)
{
	if (!dav)
		return;
	memset(dav->password, 0, sizeof(dav->password));
	free(dav->url);
	free(dav->path);
	free(dav->user);
	free(dav);
}

const char *sd_webdav_url(const struct sd_webdav *dav) { return dav->url; }

/* ---- one request ---- */

struct call {
	struct sd_webdav *dav;
	CURL *h;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	/* the answer: kept whole (PROPFIND) or its start (errors), or given to a sink */
	char *body;
	size_t len, cap, limit;
	sd_webdav_sink_fn *sink;
	void *sink_ctx;
	bool sink_failed;
	long status;
	/* upload */
	int fd;
	/* progress */
	sd_webdav_progress_fn *progress;
	void *progress_ctx;
	bool upload;
};

static char *escape_name(CURL *h, const char *name)
{
	return curl_easy_escape(h, name, 0);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	size_t len = size * n;
	long status = 0;
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (c->sink && status >= 200 && status < 300) {
		if (c->sink(c->sink_ctx, data, len) != 0) {
			c->sink_failed = true;
			return 0;
		}
		return len;
	}
	size_t room = c->limit > c->len ? c->limit - c->len : 0;
	size_t take = len < room ? len : room;
	if (c->len + take + 1 > c->cap) {
		c->cap = (c->len + take + 1) * 2;
		c->body = xrealloc(c->body, c->cap);
	}
	memcpy(c->body + c->len, data, take);
	c->len += take;
	c->body[c->len] = '\0';
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct call *c = arg;
	for (;;) {
		ssize_t got = read(c->fd, buf, size * n);
		if (got >= 0)
			return (size_t)got;
		if (errno != EINTR)
			return CURL_READFUNC_ABORT;
	}
}

static int on_seek(void *arg, curl_off_t offset, int origin)
{
	struct call *c = arg;
	return lseek(c->fd, (off_t)offset, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct call *c = arg;
	if (!c->progress)
		return 0;
	return c->upload ? c->progress(c->progress_ctx, (long long)ulnow, (long long)ultotal)
			 : c->progress(c->progress_ctx, (long long)dlnow, dltotal > 0 ? (long long)dltotal : -1);
}

static void call_init(struct call *c, struct sd_webdav *dav, const char *method, const char *name,
		      size_t limit)
{
	memset(c, 0, sizeof(*c));
	c->dav = dav;
	c->fd = -1;
	c->limit = limit;
	c->h = curl_easy_init();     /* NULL only without memory: call_run says so */
	char *escaped = name && *name ? escape_name(c->h, name) : NULL;
	char *url = xasprintf("%s%s", dav->url, escaped ? escaped : "");
	curl_free(escaped);
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, dav->timeout_ms);
	/* a stall (no byte for timeout_ms) aborts; a slow but moving transfer goes on */
	curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c->h, CURLOPT_LOW_SPEED_TIME, (dav->timeout_ms + 999) / 1000);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (dav->user) {
		/* Basic, sent at once: no second round with an upload to rewind (use https) */
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERNAME, dav->user);
		curl_easy_setopt(c->h, CURLOPT_PASSWORD, dav->password);
	}
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->h, CURLOPT_NOPROGRESS, 0L);
}

static void call_header(struct call *c, const char *header)
{
	c->headers = curl_slist_append(c->headers, header);
}

/* The answer's first line of text, for an error: tags and blank runs squeezed. */
static void answer_text(const struct call *c, char *buf, size_t size)
{
	size_t o = 0;
	bool tag = false, space = true;
	for (size_t i = 0; c->body && i < c->len && o + 1 < size && o < ANSWER_KEPT; i++) {
		char ch = c->body[i];
		if (ch == '<') { tag = true; continue; }
		if (ch == '>') { tag = false; ch = ' '; }
		if (tag)
			continue;
		if (isspace((unsigned char)ch) || !isprint((unsigned char)ch)) {
			if (space)
				continue;
			ch = ' ';
			space = true;
		} else {
			space = false;
		}
		buf[o++] = ch;
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
}

static const char *reason(long status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 423: return "Locked";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "";
	}
}

/* Run C; 0 on a 2xx answer, else -1 with ERR ("METHOD NAME: HTTP 404 Not Found: text"). */
static int call_run(struct call *c, const char *what, char *err, size_t errlen)
{
	if (!c->h) {
		sd_set_error(err, errlen, "%s: libcurl could not start (out of memory)", what);
		return -1;
	}
	if (c->headers)
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers);
	CURLcode rc = curl_easy_perform(c->h);
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (rc != CURLE_OK) {
		if (c->sink_failed)
			sd_set_error(err, errlen, "%s: stopped while reading the answer", what);
		else
			sd_set_error(err, errlen, "%s: %s", what, c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
		/* libcurl's text ends in a newline at times */
		size_t n = err ? strlen(err) : 0;
		while (n > 0 && err[n - 1] == '\n')
			err[--n] = '\0';
		return -1;
	}
	if (c->status < 200 || c->status >= 300) {
		char text[ANSWER_KEPT + 1];
		answer_text(c, text, sizeof(text));
		sd_set_error(err, errlen, "%s: HTTP %ld%s%s%s%s", what, c->status,
			     *reason(c->status) ? " " : "", reason(c->status), *text ? ": " : "", text);
		return -1;
	}
	return 0;
}

static void call_free(struct call *c)
{
	curl_slist_free_all(c->headers);
	curl_easy_cleanup(c->h);
	free(c->body);
	if (c->fd >= 0)
		close(c->fd);
}

/* ---- requests ---- */

int sd_webdav_put_file(struct sd_webdav *dav, const char *path, const char *name,
		       sd_webdav_progress_fn *progress, void *ctx, char *err, size_t errlen)
{
	struct call c;
	char what[320];
	snprintf(what, sizeof(what), "PUT %s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		sd_set_error(err, errlen, "%s: cannot read %s: %s", what, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	call_init(&c, dav, "PUT", name, ANSWER_KEPT);
	c.fd = fd;
	c.upload = true;
	c.progress = progress;
	c.progress_ctx = ctx;
	curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c.h, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c.h, CURLOPT_READDATA, &c);
	curl_easy_setopt(c.h, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(c.h, CURLOPT_SEEKDATA, &c);
	curl_easy_setopt(c.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st.st_size);
	curl_easy_setopt(c.h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	call_header(&c, "Expect:");
	call_header(&c, "Content-Type: application/octet-stream");
	int rc = call_run(&c, what, err, errlen);
	call_free(&c);
	return rc;
}

int sd_webdav_move(struct sd_webdav *dav, const char *from, const char *to, char *err,
		   size_t errlen)
{
	struct call c;
	char what[600];
	snprintf(what, sizeof(what), "MOVE %s to %s", from, to);
	call_init(&c, dav, "MOVE", from, ANSWER_KEPT);
	char *escaped = escape_name(c.h, to);
	char *dest = xasprintf("Destination: %s%s", dav->url, escaped);
	curl_free(escaped);
	call_header(&c, dest);
	call_header(&c, "Overwrite: T");
	free(dest);
	int rc = call_run(&c, what, err, errlen);
	call_free(&c);
	return rc;
}

int sd_webdav_delete(struct sd_webdav *dav, const char *name, char *err, size_t errlen)
{
	struct call c;
	char what[320];
	snprintf(what, sizeof(what), "DELETE %s", name);
	call_init(&c, dav, "DELETE", name, ANSWER_KEPT);
	int rc = call_run(&c, what, err, errlen);
	if (rc != 0 && c.status == 404)
		rc = 0;
	call_free(&c);
	return rc;
}

int sd_webdav_get(struct sd_webdav *dav, const char *name, long long first, long long last,
		  sd_webdav_sink_fn *sink, void *sink_ctx, sd_webdav_progress_fn *progress,
		  void *ctx, char *err, size_t errlen)
{
	struct call c;
	char what[320];
	snprintf(what, sizeof(what), "GET %s", name);
	call_init(&c, dav, "GET", name, ANSWER_KEPT);
	c.sink = sink;
	c.sink_ctx = sink_ctx;
	c.progress = progress;
	c.progress_ctx = ctx;
	curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c.h, CURLOPT_HTTPGET, 1L);
	char range[64];
	if (first >= 0) {
		if (last >= 0)
			snprintf(range, sizeof(range), "%lld-%lld", first, last);
		else
			snprintf(range, sizeof(range), "%lld-", first);
		curl_easy_setopt(c.h, CURLOPT_RANGE, range);
	}
	int rc = call_run(&c, what, err, errlen);
	if (rc == 0 && first >= 0 && c.status != 206) {
		sd_set_error(err, errlen, "%s: asked for bytes %s, the server answered HTTP %ld", what,
			     range, c.status);
		rc = -1;
	}
	call_free(&c);
	return rc;
}

static const char PROPFIND_BODY[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<D:propfind xmlns:D=\"DAV:\"><D:prop><D:getcontentlength/><D:getlastmodified/>"
	"<D:resourcetype/></D:prop></D:propfind>\n";

static int propfind(struct sd_webdav *dav, const char *name, const char *depth, struct call *c,
		    char *err, size_t errlen)
{
	char what[320];
	snprintf(what, sizeof(what), "PROPFIND %s", name && *name ? name : dav->url);
	call_init(c, dav, "PROPFIND", name, LIST_LIMIT);
	char header[32];
	snprintf(header, sizeof(header), "Depth: %s", depth);
	call_header(c, header);
	call_header(c, "Content-Type: application/xml; charset=utf-8");
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, PROPFIND_BODY);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)(sizeof(PROPFIND_BODY) - 1));
	return call_run(c, what, err, errlen);
}

int sd_webdav_list(struct sd_webdav *dav, struct sd_webdav_entry **out, size_t *count,
		   char *err, size_t errlen)
{
	*out = NULL;
	*count = 0;
	struct call c;
	int rc = propfind(dav, NULL, "1", &c, err, errlen);
	if (rc == 0 && c.len >= LIST_LIMIT) {
		sd_set_error(err, errlen, "PROPFIND %s: the answer is larger than %d MB", dav->url,
			     LIST_LIMIT >> 20);
		rc = -1;
	}
	if (rc == 0 && sd_webdav_parse_multistatus(c.body ? c.body : "", c.len, dav->path, out, count) < 0) {
		sd_set_error(err, errlen, "PROPFIND %s: the answer is not a WebDAV multistatus", dav->url);
		rc = -1;
	}
	call_free(&c);
	return rc;
}

int sd_webdav_stat(struct sd_webdav *dav, const char *name, long long *size, char *err,
		   size_t errlen)
{
	struct call c;
	int rc = propfind(dav, name, "0", &c, err, errlen);
	if (rc != 0) {
		rc = c.status == 404 ? 1 : -1;
		call_free(&c);
		return rc;
	}
	struct sd_webdav_entry *e = NULL;
	size_t n = 0;
	/* Depth 0 answers for NAME itself: parse it against the folder, so it is kept */
	if (sd_webdav_parse_multistatus(c.body ? c.body : "", c.len, dav->path, &e, &n) < 0 || n == 0) {
		sd_set_error(err, errlen, "PROPFIND %s: no entry in the answer", name);
		rc = -1;
	} else {
		*size = e[0].size;
	}
	free(e);
	call_free(&c);
	return rc;
}

/* ---- PROPFIND answers ---- */

/* The start of the next element named LOCAL (any prefix) in [P, END), opening tag only. */
static const char *find_element(const char *p, const char *end, const char *local,
				const char **content)
{
	size_t n = strlen(local);
	for (; p < end; p++) {
		if (*p != '<' || p + 1 >= end || p[1] == '/' || p[1] == '?' || p[1] == '!')
			continue;
		const char *name = p + 1, *q = name;
		while (q < end && *q != '>' && *q != ' ' && *q != '/' && !isspace((unsigned char)*q))
			q++;
		const char *colon = memchr(name, ':', (size_t)(q - name));
		const char *l = colon ? colon + 1 : name;
		if ((size_t)(q - l) == n && !strncasecmp(l, local, n)) {
			const char *close = memchr(q, '>', (size_t)(end - q));
			if (!close)
				return NULL;
			if (content)
				*content = close[-1] == '/' ? NULL : close + 1; /* <x/>: empty */
			return p;
		}
	}
	return NULL;
}

/* Text of element LOCAL in [P, END) into BUF, "" when absent. */
static void element_text(const char *p, const char *end, const char *local, char *buf, size_t size)
{
	const char *content = NULL;
	buf[0] = '\0';
	if (!find_element(p, end, local, &content) || !content)
		return;
	const char *stop = memchr(content, '<', (size_t)(end - content));
	if (!stop)
		return;
	size_t n = (size_t)(stop - content);
	while (n > 0 && isspace((unsigned char)*content))
		content++, n--;
	while (n > 0 && isspace((unsigned char)content[n - 1]))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(buf, content, n);
	buf[n] = '\0';
}

static int hex_value(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decoding in place, &amp; too (hrefs come XML-escaped). */
static void decode_href(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p == '%' && hex_value((unsigned char)p[1]) >= 0 && hex_value((unsigned char)p[2]) >= 0) {
			*o++ = (char)(hex_value((unsigned char)p[1]) * 16 + hex_value((unsigned char)p[2]));
			p += 2;
		} else if (!strncmp(p, "&amp;", 5)) {
			*o++ = '&';
			p += 4;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

int sd_webdav_parse_multistatus(const char *body, size_t len, const char *base_path,
				struct sd_webdav_entry **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	const char *end = body + len;
	if (!find_element(body, end, "multistatus", NULL))
		return -1;
	size_t n = 0, cap = 0;
	struct sd_webdav_entry *list = NULL;
	const char *p = body;
	const char *start;
	while ((start = find_element(p, end, "response", NULL)) != NULL) {
		const char *next = find_element(start + 1, end, "response", NULL);
		const char *stop = next ? next : end;
		char href[1024], length[32], modified[64];
		element_text(start, stop, "href", href, sizeof(href));
		element_text(start, stop, "getcontentlength", length, sizeof(length));
		element_text(start, stop, "getlastmodified", modified, sizeof(modified));
		bool folder = find_element(start, stop, "collection", NULL) != NULL;
		p = stop;
		decode_href(href);
		/* an absolute URL: keep its path */
		char *path = href;
		char *scheme = strstr(href, "://");
		if (scheme) {
			path = strchr(scheme + 3, '/');
			if (!path)
				continue;
		}
		size_t plen = strlen(path);
		while (plen > 1 && path[plen - 1] == '/')
			path[--plen] = '\0';
		char base[1024];
		sd_strlcpy(base, base_path ? base_path : "/", sizeof(base));
		size_t blen = strlen(base);
		while (blen > 1 && base[blen - 1] == '/')
			base[--blen] = '\0';
		if (!strcmp(path, base) || folder)
			continue;                /* the folder itself, or a sub-folder */
		const char *slash = strrchr(path, '/');
		const char *name = slash ? slash + 1 : path;
		if (!*name)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			list = xrealloc(list, cap * sizeof(*list));
		}
		struct sd_webdav_entry *e = &list[n++];
		memset(e, 0, sizeof(*e));
		sd_strlcpy(e->name, name, sizeof(e->name));
		char *endp;
		e->size = *length ? strtoll(length, &endp, 10) : -1;
		if (*length && *endp)
			e->size = -1;
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		if (*modified && strptime(modified, "%a, %d %b %Y %H:%M:%S", &tm))
			e->modified = timegm(&tm);
	}
	*out = list;
	*count = n;
	return 0;
}
