/* internal.h - what the Docker backend's files share, and nothing outside them includes.
 *
 *   transport.c  the client: host parsing, curl handles, TLS, API version negotiation, one
 *                request (perform) and where its body goes (sinks)
 *   decode.c     the per-object decoders: nodes, services, tasks and /info into a swarm part
 *   stream.c     the list decoder fed chunk by chunk as curl delivers a response
 *   fetch.c      one refresh: /info beside the three lists, into one swarm part
 *   delta.c      one service or node asked again, applied to the swarm part before
 *   mutate.c     raw and filtered GETs, the active-task count, read-modify-write mutations
 *   events.c     the /events follower
 *   rollout.c    a service's new image (with the registry's auth header), node labels,
 *                node removal
 *   objects.c    networks, secrets and configs (never a value), what services use, stacks
 *
 * docker.h stays in the model's terms; curl and jansson types appear only here and below. */
#ifndef SD_DOCKER_INTERNAL_H
#define SD_DOCKER_INTERNAL_H

#include "backends/docker/docker.h"
#include "base/jsonscan.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#define NEWEST_API_MAJOR 1
#define NEWEST_API_MINOR 41
#define HANDLE_POOL 4
#define ERROR_BODY_MAX 65536
#define GET_BODY_MAX ((size_t)512 << 20)
#define READ_ONLY_REFUSAL "refused: read-only (watch mode)"

/* One engine the console may talk to: the manager in use, or another to move to. */
struct docker_endpoint {
	char host[PATH_MAX + 16];      /* canonical: unix:///path or tcp://host:port */
	char base_url[PATH_MAX + 16];  /* http://localhost or http(s)://host:port */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool tls, skip_verify;
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char setup_error[PATH_MAX + 64];   /* reported by every request, e.g. a missing key.pem */
};

#define DOCKER_ENDPOINTS 8

struct sd_docker {
	/* written once by sd_docker_open; CUR (atomic) says which one requests go to */
	struct docker_endpoint ep[DOCKER_ENDPOINTS];
	int nep, cur;
	long timeout_ms;
	bool read_only;

	pthread_mutex_t lock;          /* guards what follows */
	CURL *idle[HANDLE_POOL];       /* idle handles keep their connections for reuse */
	int nidle;
	char api_version[16];          /* negotiated, "" until then */
	char engine_version[64];
};

/* The endpoint requests go to now. */
static inline struct docker_endpoint *docker_ep(const struct sd_docker *d)
{
	return (struct docker_endpoint *)&d->ep[__atomic_load_n(&d->cur, __ATOMIC_ACQUIRE)];
}

/* ---- transport.c ------------------------------------------------------------------------ */

void docker_forget_api_version(struct sd_docker *d);   /* negotiate again on the next request */
/* The managers of SW (a whole swarm from the endpoint in use) as further endpoints, when
 * that one is tcp:// with TLS (transport.c says how). */
void docker_learn_managers(struct sd_docker *d, const struct sd_swarm *sw);

/* Where a response body goes. FEED returns 0, or -1 after writing why into ERR. */
struct sink {
	int (*feed)(struct sink *sink, const char *data, size_t len);
	char err[256];
};

/* A sink that keeps the body, up to MAX bytes (NUL-terminated; DATA is malloc'ed). */
struct buffer_sink {
	struct sink sink;
	char *data;
	size_t len, cap, max;
};

void docker_buffer_init(struct buffer_sink *b, size_t max);
int docker_buffer_append(struct buffer_sink *b, const char *data, size_t len);

/* Handles are pooled so connections are reused. */
CURL *docker_handle_acquire(struct sd_docker *d);
void docker_handle_release(struct sd_docker *d, CURL *h);

/* Options shared by every request (the events stream included). */
void docker_setup_handle(struct sd_docker *d, CURL *h, const char *url, char *curl_err);
/* A failed transfer in words ("cannot connect to ...", "no answer within ... ms"). */
void docker_transport_error(struct sd_docker *d, CURL *h, CURLcode rc, const char *curl_err,
			    char *err, size_t errlen);
/* The engine's {"message": ...} verbatim, else the status and a little of the body. */
void docker_engine_error(struct sd_docker *d, long status, const char *body, size_t len,
			 char *err, size_t errlen);

/* One request on handle H, the body into SINK. 0 for a 2xx answer; -1 with ERR otherwise
 * (STATUS says which status came back, 0 when none did). */
int docker_perform(struct sd_docker *d, CURL *h, const char *method, const char *path,
		   const char *body, struct sink *sink, long *status, char *err, size_t errlen);

/* The same with one more request HEADER line ("X-Registry-Auth: ..."; NULL: none) on a
 * request other than GET. The header is never logged nor put in an error. */
int docker_perform_with(struct sd_docker *d, CURL *h, const char *method, const char *path,
			const char *body, const char *header, struct sink *sink, long *status,
			char *err, size_t errlen);

/* Integer major * 1000 + minor from "1.41"; 0 unless exactly MAJOR.MINOR of at most three
 * digits each (so no version can overflow, nor put anything else into a request path). */
long docker_api_number(const char *v);
/* The API version to speak, settled once: min(engine, newest we speak). */
int docker_negotiate(struct sd_docker *d, CURL *h, char *version, size_t vlen, char *err,
		     size_t errlen);
/* PATH as given when it names a version ("/v1.41/..."), else under the negotiated one. */
int docker_versioned_path(struct sd_docker *d, CURL *h, const char *path, char *out,
			  size_t size, char *err, size_t errlen);
/* Percent-encode a path segment (an ID or a name typed by the operator). */
void docker_path_escape(const char *in, char *out, size_t size);

/* Engine text is not always UTF-8 (a hostname, a container's output in a task's error):
 * true when the LEN bytes at S are, fast for ASCII. */
bool docker_utf8_ok(const char *s, size_t len);
/* NULL when TEXT is UTF-8 already; else a malloc'ed copy with each malformed byte replaced by
 * U+FFFD, its length in *OUT_LEN. For bodies read whole by jansson, which refuses them. */
char *docker_utf8_copy(const char *text, size_t len, size_t *out_len);

/* ---- decode.c --------------------------------------------------------------------------- */

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

/* objects.c: networks, secrets and configs decoded so far, and one service's uses. */
struct objects_decoder {
	struct sd_network *networks;
	size_t nnetworks, cap_networks;
	struct sd_swarm_object *secrets, *configs;
	size_t nsecrets, cap_secrets, nconfigs, cap_configs;
	const char **scratch[3];        /* one service's network, secret and config IDs */
	size_t nscratch[3], cap_scratch[3];
	const char **strings;           /* scratch for one object's subnets */
	size_t cap_strings;
	bool read;
	char error[256];
};

/* Everything decoded so far for one swarm part. */
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
	char *unescaped, *sanitized;    /* scratch for one string */
	size_t cap_unescaped, cap_sanitized;

	struct id_map node_ids, service_ids;
	struct objects_decoder objects;
};

enum list_kind { LIST_NODES, LIST_SERVICES, LIST_TASKS, LIST_NETWORKS, LIST_SECRETS,
		 LIST_CONFIGS };
extern const char *const docker_list_names[];

void *docker_grow(void *array, size_t *cap, size_t need, size_t elem);

void docker_decoder_init(struct decoder *dec);
void docker_decoder_free(struct decoder *dec);
/* Sort, count and move everything into the part's arena; the part is the caller's. */
struct sd_swarm *docker_decoder_finish(struct decoder *dec);
/* /info: the engine's name, the cluster ID, the engine version. */
int docker_decode_info(struct decoder *dec, const char *text, size_t len, char *err,
		       size_t errlen);
/* One element of a KIND list at S; kept when S has no error after it. */
void docker_decode_element(struct decoder *dec, enum list_kind kind, struct js *s);
/* A list is complete: sort it and index its IDs for the lists that refer to it. */
void docker_list_done(struct decoder *dec, enum list_kind kind);

/* ---- mutate.c (for rollout.c) ----------------------------------------------------------- */

/* GET /services/SERVICE and /nodes/NODE (by ID, else hostname) as JSON with a Spec, or NULL
 * with ERR. */
struct json_t;
struct json_t *docker_inspect_service(struct sd_docker *d, CURL *h, const char *service,
				      char *err, size_t errlen);
struct json_t *docker_inspect_node(struct sd_docker *d, CURL *h, const char *node, char *err,
				   size_t errlen);
/* Engine bytes at S as the model keeps them: a string of its own, or one shared with equal
 * short ones; "" for another type. */
const char *docker_take_string(struct decoder *dec, struct js *s);
const char *docker_take_interned(struct decoder *dec, struct js *s);
time_t docker_take_time(struct js *s);
/* Labels at S: only the stack namespace into *STACK. */
void docker_take_stack(struct decoder *dec, struct js *s, const char **stack);

/* ---- objects.c -------------------------------------------------------------------------- */

/* One network, secret or config element at S (KIND one of those lists). */
void docker_decode_object(struct decoder *dec, enum list_kind kind, struct js *s);
/* A service's uses: BEGIN before its fields, then each list at S (networks of the task
 * template or the spec, the endpoint's virtual IPs, the container's secrets and configs),
 * END copies them into the part. */
enum use_kind { USE_NETWORK, USE_SECRET, USE_CONFIG, USE_VIRTUAL_IP };
void docker_uses_begin(struct decoder *dec);
void docker_take_uses(struct decoder *dec, struct js *s, enum use_kind kind);
void docker_uses_end(struct decoder *dec, struct sd_service_uses *uses);
/* In docker_decoder_finish, once the services are in the part: stacks, and which services
 * use each object. */
void docker_objects_finish(struct decoder *dec, struct sd_swarm *sw);
/* The swarm's managers, those reachable and the leader, from its nodes. */
void docker_count_managers(struct sd_swarm *sw);
void docker_objects_free(struct decoder *dec);

/* ---- fetch.c --------------------------------------------------------------------------- */

/* GET PATH on H streamed through DEC as a KIND list (docker_list_done once complete). */
int docker_get_list(struct sd_docker *d, CURL *h, struct decoder *dec, enum list_kind kind,
		    const char *path, char *err, size_t errlen);

/* ---- stream.c --------------------------------------------------------------------------- */

/* One list response, fed as it arrives. Elements that lie whole in a chunk are decoded in
 * place; one cut by the chunk's end is copied into PENDING, followed byte by byte (depth,
 * strings, escapes) through the next chunks until it is complete, and decoded once. The
 * cost is linear in the response and the memory beyond the part is the largest element. */
struct list_stream {
	struct sink sink;
	struct decoder *dec;
	enum list_kind kind;
	int state;                 /* LS_OPEN ... LS_DONE (stream.c) */
	size_t count;              /* elements decoded */
	size_t position;           /* stream offset of the chunk being fed */
	char *pending;             /* the unfinished element's bytes */
	size_t plen, pcap;
	size_t pstart;             /* its stream offset */
	int depth;                 /* brackets open in it */
	bool in_string, escape, scalar;
};
void docker_list_init(struct list_stream *ls, struct decoder *dec, enum list_kind kind);
/* End of the response: 0, or -1 with the reason in LS->sink.err. */
int docker_list_finish(struct list_stream *ls);
/* What LS holds (after the end or an aborted transfer). */
void docker_list_free(struct list_stream *ls);

#endif
