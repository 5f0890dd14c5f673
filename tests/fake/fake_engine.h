/* fake_engine.h - a fake Docker engine on a unix socket, for tests: the unit tests of the
 * Docker backend (tests/unit/test_docker.c) and the quick tier's engine program
 * (tests/check/fake-engine.c) both run this one.
 *
 * Contract: fake_engine_start binds PATH (removed first), answers GET /version with a body
 * naming API_VERSION, and serves each connection on its own thread with keep-alive. A
 * request goes to the first route whose method matches and whose path is the target
 * without its query (or the whole target, when the route's path has a '?' itself); no route
 * answers 404 {"message":"page not found"}. Every request is recorded (the first
 * FAKE_MAX_LOG in memory, all of them as "METHOD TARGET" lines on log_file when set).
 * Bodies belong to the caller and must outlive the engine. fake_engine_stop ends the event
 * streams, joins every thread and removes the socket. Nothing here uses a test framework:
 * failures are return values and a message. */
#ifndef SD_FAKE_ENGINE_H
#define SD_FAKE_ENGINE_H

#include <pthread.h>
#include <stdio.h>

enum fake_send {
	FAKE_SEND_WHOLE,     /* Content-Length and the body in one write */
	FAKE_SEND_TRICKLE,   /* the body in pieces of 1 to 1500 bytes */
	FAKE_SEND_EVENTS,    /* chunked, one chunk per line, then held open until stopped */
	FAKE_SEND_NOTHING,   /* never answer */
};

struct fake_route {
	const char *method, *path;
	int status;
	const char *body;
	enum fake_send send;
};

struct fake_request {
	char method[8], target[512];
	char *body;
	char registry_auth[1024];     /* the X-Registry-Auth header's value, "" when absent */
};

#define FAKE_MAX_ROUTES 48
#define FAKE_MAX_LOG 64

struct fake_engine {
	char path[108];
	int lfd;
	pthread_t thread;
	char version[128];
	struct fake_route routes[FAKE_MAX_ROUTES];
	int nroutes;
	pthread_mutex_t lock;
	pthread_cond_t idle;          /* signalled when a connection thread ends */
	struct fake_request log[FAKE_MAX_LOG];
	int nlog;
	FILE *log_file;               /* optional: every request, one line each, flushed */
	int connections;              /* accepted so far */
	int active;                   /* connection threads still running */
	volatile int stop;
	volatile int end_events;      /* the event streams close when set */
	/* answers made per request (a synthetic engine's filtered lists): asked before the
	 * routes; a malloc'ed body (the engine frees it) with *STATUS, or NULL: the routes */
	char *(*answer)(void *user, const char *method, const char *target, int *status);
	void *answer_user;
	void (*change)(void *answer_user);   /* the answers' owner changing something, or NULL */
	/* lines given to fake_engine_emit, sent to every event stream open (under LOCK) */
	char *emitted;
	size_t emitted_len, emitted_cap;
};

/* NULL on failure, with ERR saying why. */
struct fake_engine *fake_engine_start(const char *path, const char *api_version, char *err,
				      size_t errlen);
/* -1 when the table is full. */
int fake_engine_route(struct fake_engine *f, const char *method, const char *path, int status,
		      const char *body, enum fake_send send);
void fake_engine_stop(struct fake_engine *f);
/* One event line (no newline) to the event streams open now and to come. */
void fake_engine_emit(struct fake_engine *f, const char *line);

/* Requests recorded with exactly this method and target. */
int fake_engine_count(struct fake_engine *f, const char *method, const char *target);
/* The last recorded request with METHOD, or NULL. */
const struct fake_request *fake_engine_last(struct fake_engine *f, const char *method);

#endif
