/* docker.h - the Docker Engine API backend, in the model's terms (no curl or jansson here). */
#ifndef SD_DOCKER_H
#define SD_DOCKER_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

struct sd_docker_config {
	const char *host;        /* unix:///path, tcp://host:port; NULL: DOCKER_HOST, else the default socket */
	int tls_verify;          /* -1: from DOCKER_TLS_VERIFY */
	const char *cert_path;   /* NULL: DOCKER_CERT_PATH, else ~/.docker */
	long timeout_ms;         /* every request, default 5000 */
	bool read_only;          /* refuse every non-GET request before it leaves the process */
	bool skip_verify;        /* TLS without verifying the engine (a context's SkipTLSVerify) */
	/* other managers (unix:// or tcp://, the same TLS material): when the engine in use
	 * stops answering, sd_docker_fetch moves to the first of them that answers */
	const char *const *hosts;
	size_t nhosts;
};

struct sd_docker;

/* Never fails for reachability: the connection is made per request. Returns NULL only for a
 * malformed host (ERR says why). */
struct sd_docker *sd_docker_open(const struct sd_docker_config *config, char *err, size_t errlen);
void sd_docker_close(struct sd_docker *docker);
const char *sd_docker_host(const struct sd_docker *docker);   /* for the header line */
/* Which of the endpoints (the host given first, then config hosts) requests go to now. */
int sd_docker_endpoint(const struct sd_docker *docker, int *count);

/* GET /version (negotiates the API version once), /info, /nodes, /services?status=true,
 * /tasks, then /networks (swarm scope), /secrets and /configs (never a value: see
 * objects.c); builds a new swarm part. The objects' failure is the part's objects_error. 0 on success; -1 with ERR (engine message verbatim when it
 * answered with an error, else the transport error). */
int sd_docker_fetch(struct sd_docker *docker, struct sd_swarm **out, char *err, size_t errlen);

/* Decode captured responses into a swarm part without any network (tests, bench).
 * Any of the JSON texts may be NULL (treated as empty). */
int sd_docker_decode(const char *info, size_t info_len, const char *nodes, size_t nodes_len,
		     const char *services, size_t services_len, const char *tasks,
		     size_t tasks_len, struct sd_swarm **out, char *err, size_t errlen);

/* The same, each list fed to the streaming decoder (the one sd_docker_fetch uses) in pieces
 * of the sizes in PIECES, cycled (NPIECES of them; a size of 0 counts as 1; none: one piece
 * per list). The result equals sd_docker_decode's whatever the pieces. */
int sd_docker_decode_chunks(const char *info, size_t info_len, const char *nodes,
			    size_t nodes_len, const char *services, size_t services_len,
			    const char *tasks, size_t tasks_len, const size_t *pieces,
			    size_t npieces, struct sd_swarm **out, char *err, size_t errlen);

/* Every list a refresh reads, networks, secrets and configs included (NULL: empty; the
 * objects count as read when any of the three is given), decoded as sd_docker_decode_chunks
 * does. For tests and the bench. */
struct sd_docker_bodies {
	const char *info, *nodes, *services, *tasks, *networks, *secrets, *configs;
	size_t info_len, nodes_len, services_len, tasks_len, networks_len, secrets_len,
		configs_len;
};
int sd_docker_decode_bodies(const struct sd_docker_bodies *bodies, const size_t *pieces,
			    size_t npieces, struct sd_swarm **out, char *err, size_t errlen);

/* An event names one object: KIND "service" (GET /services?filters={"id":[ID]}&status=true,
 * then /tasks?filters={"service":[ID]}; no such service: it was removed) or "node"
 * (GET /nodes?filters={"id":[ID]}). What it answers is applied to BASE (never changed) in a
 * new part that shares BASE's unchanged items (delta.c says how, and what stays as the last
 * full fetch read it). 0 with *OUT; 1 when a full fetch is needed instead (another kind, too
 * many changes applied in a row); -1 with ERR when the engine did not answer. */
int sd_docker_refresh_object(struct sd_docker *docker, const struct sd_swarm *base,
			     const char *kind, const char *id, struct sd_swarm **out, char *err,
			     size_t errlen);
/* The same from captured answers (BODIES' nodes, services, tasks: the filtered lists), with
 * no network (tests, bench). */
int sd_docker_apply_bodies(const struct sd_swarm *base, const char *kind, const char *id,
			   const struct sd_docker_bodies *bodies, struct sd_swarm **out,
			   char *err, size_t errlen);

/* One event as the follower reads it: TYPE and ACTION as the engine names them, ID the
 * Actor's, NAME its name attribute (else the ID), SERVICE_ID the Swarm service a container
 * belongs to ("" when none). */
struct sd_docker_event {
	const char *type, *action, *id, *name, *service_id;
};
/* sd_docker_watch_events_since with the whole event to ON_CHANGE. */
int sd_docker_follow_events(struct sd_docker *docker, double since,
			    void (*on_change)(void *user, const struct sd_docker_event *event),
			    void (*on_raw)(void *user, const char *json, size_t len), void *user,
			    const volatile int *stop, char *err, size_t errlen);

/* Follow GET /events (swarm scope: service, node, task, ...) and call ON_EVENT for each
 * event until STOP becomes non-zero (read atomically, at least every 500 ms) or the stream
 * breaks. Returns 0 when stopped, -1 with ERR when the stream failed. */
int sd_docker_watch_events(struct sd_docker *docker,
			   void (*on_event)(void *user, const char *type, const char *action,
					    const char *actor),
			   void *user, const volatile int *stop, char *err, size_t errlen);
/* The same from SINCE (epoch seconds; 0: from now): the engine replays the events it kept
 * since then first. ON_RAW (may be NULL) gets each event's JSON line as well (the timeline
 * reads its attributes). */
int sd_docker_watch_events_since(struct sd_docker *docker, double since,
				 void (*on_event)(void *user, const char *type,
						  const char *action, const char *actor),
				 void (*on_raw)(void *user, const char *json, size_t len),
				 void *user, const volatile int *stop, char *err, size_t errlen);

/* The events in TEXT (newline-delimited, as /events sends them) to ON_EVENT, fed to the
 * follower's own line reader in pieces of the sizes in PIECES, cycled (NPIECES of them; a
 * size of 0 counts as 1; none: one piece). A last line without its newline is not an event
 * yet, as on the stream. Returns the number of events delivered. */
size_t sd_docker_decode_events(const char *text, size_t len, const size_t *pieces,
			       size_t npieces,
			       void (*on_event)(void *user, const char *type, const char *action,
						const char *actor),
			       void *user);

/* Mutations. Each reads the object's current spec and version, changes it and posts it back
 * with that version. 0 on success; -1 with ERR: the engine's message verbatim. */
int sd_docker_service_scale(struct sd_docker *docker, const char *service, long replicas,
			    char *err, size_t errlen);
int sd_docker_service_rollback(struct sd_docker *docker, const char *service, char *err,
			       size_t errlen);
int sd_docker_service_redeploy(struct sd_docker *docker, const char *service, char *err,
			       size_t errlen);
int sd_docker_node_availability(struct sd_docker *docker, const char *node,
				const char *availability, char *err, size_t errlen);
int sd_docker_node_role(struct sd_docker *docker, const char *node, const char *role,
			char *err, size_t errlen);

/* Rollouts and node edits (rollout.c). SERVICE's spec with its image set to IMAGE, posted
 * with the spec's version and, when the Docker client configuration has credentials for the
 * image's registry, the X-Registry-Auth header (*SENT_AUTH says whether it went; the
 * credentials themselves never leave this call). */
int sd_docker_service_update_image(struct sd_docker *docker, const char *service,
				   const char *image, bool *sent_auth, char *err, size_t errlen);
/* NODE's label KEY set to VALUE, or removed when VALUE is NULL (an absent key is an error). */
int sd_docker_node_label(struct sd_docker *docker, const char *node, const char *key,
			 const char *value, char *err, size_t errlen);
/* DELETE /nodes/ID, not forced. */
int sd_docker_node_remove(struct sd_docker *docker, const char *node, char *err, size_t errlen);
/* POST /swarm/init with ForceNewCluster on the engine asked now, advertising ADDR ("": the
 * engine's choice): the last resort once the managers' quorum is lost. */
int sd_docker_swarm_force_new_cluster(struct sd_docker *docker, const char *addr, char *err,
				      size_t errlen);
/* The X-Registry-Auth value for IMAGE's registry from the "auths" of CONFIG_PATH (NULL:
 * $DOCKER_CONFIG/config.json, else ~/.docker/config.json): base64url of the JSON auth config,
 * as the CLI sends it. 1 when found (OUT filled), 0 when there is none (OUT ""). */
int sd_docker_registry_auth(const char *image, const char *config_path, char *out, size_t size);

/* Raw GET for exports (backups): the response body, malloc'ed, or NULL with ERR. */
char *sd_docker_get(struct sd_docker *docker, const char *path, size_t *len, char *err,
		    size_t errlen);
/* The same with ?filters={"KEY":["VALUE"]} (e.g. "label", "com.docker.stack.namespace=app"). */
char *sd_docker_get_filtered(struct sd_docker *docker, const char *path, const char *key,
			     const char *value, size_t *len, char *err, size_t errlen);

/* Tasks of SERVICE in an active state (new .. running) on a node that is up (or on none yet):
 * what a scale-down still waits for. -1 with ERR when the engine did not answer. */
long sd_docker_service_active_tasks(struct sd_docker *docker, const char *service, char *err,
				    size_t errlen);

#endif
