/* fetch.c - one refresh: GET /info on a thread of its own while /nodes, /services and
 * /tasks stream through the list decoder into one swarm part, then the swarm's networks,
 * secrets and configs (objects.c), whose failure is the part's objects_error, not the
 * refresh's. */
#include "backends/docker/internal.h"
#include "base/arena.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int docker_get_list(struct sd_docker *d, CURL *h, struct decoder *dec, enum list_kind kind,
		    const char *path, char *err, size_t errlen)
{
	struct list_stream ls;
	docker_list_init(&ls, dec, kind);
	int rc = docker_perform(d, h, "GET", path, NULL, &ls.sink, NULL, err, errlen);
	if (rc == 0 && docker_list_finish(&ls) < 0) {
		snprintf(err, errlen, "%s", ls.sink.err);
		rc = -1;
	}
	docker_list_free(&ls);
	if (rc == 0)
		docker_list_done(dec, kind);
	return rc;
}

/* Networks (swarm scope: the node's own bridges are not the Swarm's), secrets and configs. A
 * list that fails says so in the part; the lists already read stay. */
static void fetch_objects(struct sd_docker *d, CURL *h, struct decoder *dec, const char *api)
{
	static const struct {
		enum list_kind kind;
		const char *path;
	} lists[] = {
		{LIST_NETWORKS, "networks?filters=%7B%22scope%22%3A%5B%22swarm%22%5D%7D"},
		{LIST_SECRETS, "secrets"},
		{LIST_CONFIGS, "configs"},
	};
	struct objects_decoder *o = &dec->objects;
	o->read = true;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char path[128], err[256] = "";
		snprintf(path, sizeof(path), "/v%s/%s", api, lists[i].path);
		if (docker_get_list(d, h, dec, lists[i].kind, path, err, sizeof(err)) == 0)
			continue;
		/* nothing of a list cut short: a part of it would read as all of it */
		if (lists[i].kind == LIST_NETWORKS)
			o->nnetworks = 0;
		else if (lists[i].kind == LIST_SECRETS)
			o->nsecrets = 0;
		else
			o->nconfigs = 0;
		if (!*o->error)
			snprintf(o->error, sizeof(o->error), "%s: %.*s",
				 docker_list_names[lists[i].kind], (int)(sizeof(o->error) / 2), err);
		o->read = false;
	}
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
	CURL *h = docker_handle_acquire(job->d);
	job->rc = docker_perform(job->d, h, "GET", job->path, NULL, &job->sink.sink, NULL, job->err,
			  sizeof(job->err));
	docker_handle_release(job->d, h);
	return NULL;
}

static int fetch_once(struct sd_docker *d, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	CURL *h = docker_handle_acquire(d);
	char api[16], path[64];
	if (docker_negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		docker_handle_release(d, h);
		return -1;
	}
	struct info_job job = {.d = d};
	snprintf(job.path, sizeof(job.path), "/v%s/info", api);
	docker_buffer_init(&job.sink, 16 << 20);
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, info_main, &job) == 0;
	if (!threaded)
		info_main(&job);

	struct decoder dec;
	docker_decoder_init(&dec);
	char list_err[512] = "";
	snprintf(path, sizeof(path), "/v%s/nodes", api);
	int rc = docker_get_list(d, h, &dec, LIST_NODES, path, list_err, sizeof(list_err));
	/* ServiceStatus (running/desired counts) exists from API 1.41 */
	snprintf(path, sizeof(path), "/v%s/services%s", api,
		 docker_api_number(api) >= 1041 ? "?status=true" : "");
	if (rc == 0)
		rc = docker_get_list(d, h, &dec, LIST_SERVICES, path, list_err, sizeof(list_err));
	snprintf(path, sizeof(path), "/v%s/tasks", api);
	if (rc == 0)
		rc = docker_get_list(d, h, &dec, LIST_TASKS, path, list_err, sizeof(list_err));
	if (rc == 0)
		fetch_objects(d, h, &dec, api);
	docker_handle_release(d, h);
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
		rc = docker_decode_info(&dec, job.sink.data, job.sink.len, err, errlen);
	if (rc == 0) {
		pthread_mutex_lock(&d->lock);
		dec.sw->api_version = sd_arena_strdup(dec.arena, api);
		dec.sw->endpoint = sd_arena_strdup(dec.arena, docker_ep(d)->host);
		dec.sw->endpoint_index = __atomic_load_n(&d->cur, __ATOMIC_ACQUIRE);
		if (d->engine_version[0])
			dec.sw->engine_version = sd_arena_strdup(dec.arena, d->engine_version);
		pthread_mutex_unlock(&d->lock);
		*out = docker_decoder_finish(&dec);
	}
	free(job.sink.data);
	docker_decoder_free(&dec);
	return rc;
}


/* The engine in use did not give a whole swarm: the other managers are tried in turn, from
 * the one after it, and the first that gives one is kept (the timeline says so); when none
 * does, requests stay with the one that failed and its error is the answer. */
int sd_docker_fetch(struct sd_docker *d, struct sd_swarm **out, char *err, size_t errlen)
{
	int rc = fetch_once(d, out, err, errlen);
	if (rc == 0)
		docker_learn_managers(d, *out);
	if (rc == 0 || d->nep < 2)
		return rc;
	int from = __atomic_load_n(&d->cur, __ATOMIC_ACQUIRE);
	for (int step = 1; step < d->nep; step++) {
		int to = (from + step) % d->nep;
		__atomic_store_n(&d->cur, to, __ATOMIC_RELEASE);
		docker_forget_api_version(d);   /* another engine, maybe another version */
		char why[256];
		if (fetch_once(d, out, why, sizeof(why)) == 0) {
			docker_learn_managers(d, *out);
			return 0;
		}
	}
	__atomic_store_n(&d->cur, from, __ATOMIC_RELEASE);
	docker_forget_api_version(d);
	return rc;
}
