/* delta.c - one service or one node asked again and applied to the swarm part before it,
 * for an event that names it: what an event costs is what it changed, not the swarm's size.
 *
 * Contract: the base part is never changed. The new part copies the base's arrays of
 * nodes and stacks (plain structs, copied whole, never walked item by item beyond the
 * changed service's stack and the managers' count) and of pointers to services, and points
 * into the base's services, strings, labels, ports and each service's array of tasks, which
 * it keeps alive by referencing the parts that own them (struct sd_part's shares): the full
 * fetch and the deltas, never a part built here, so the changed service and its tasks stay
 * in its delta's arena. A part built this way names what it was built from and what
 * changed (derived_from, changed_kind, changed_id, and that object before and after) so the
 * timeline compares that one object.
 * Networks, secrets and configs, and which services use each, stay as the last full fetch
 * read them. After max_shares() changes in a row the answer is "do a full fetch" (1): the
 * kept parts are bounded, and so is what a chain of changes can hold. The bound grows with
 * the swarm (a delta part is a few kB; the fetch it saves, the whole swarm), so what the
 * fetch costs, spread over the changes before it, stays the same at any size. */
#include "backends/docker/internal.h"
#include "base/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64, and one more for every 8 services */
static size_t max_shares(const struct sd_swarm *base)
{
	return 64 + base->nservices / 8;
}

/* The parts BASE points into: its own shares, or BASE itself when it was fetched whole. */
static void share_parts(struct sd_swarm *sw, const struct sd_swarm *base, struct sd_swarm *delta)
{
	size_t n = base->part.nshares ? base->part.nshares : 1;
	sw->part.shares = sd_arena_alloc(sw->part.arena, (n + 1) * sizeof(*sw->part.shares));
	for (size_t i = 0; i < base->part.nshares; i++)
		sw->part.shares[sw->part.nshares++] = sd_part_ref(base->part.shares[i]);
	if (!base->part.nshares)
		sw->part.shares[sw->part.nshares++] = sd_part_ref((void *)base);
	sw->part.shares[sw->part.nshares++] = sd_part_ref(delta);
}

static void *copy_array(struct sd_arena *arena, const void *items, size_t n, size_t size)
{
	if (!n)
		return NULL;
	void *copy = sd_arena_alloc_raw(arena, n * size);
	memcpy(copy, items, n * size);
	return copy;
}

/* A new part with BASE's header and copies of its item arrays. */
static struct sd_swarm *derive(const struct sd_swarm *base, struct sd_swarm *delta,
			       const char *kind, const char *id)
{
	struct sd_swarm *sw = sd_part_new(sizeof(*sw));
	struct sd_part part = sw->part;
	*sw = *base;
	sw->part = part;
	sw->part.shares = NULL;
	sw->part.nshares = 0;
	share_parts(sw, base, delta);
	struct sd_arena *a = sw->part.arena;
	sw->nodes = copy_array(a, base->nodes, base->nnodes, sizeof(*base->nodes));
	sw->stacks = copy_array(a, base->stacks, base->nstacks, sizeof(*base->stacks));
	sw->derived_from = base;
	sw->changed_kind = kind;          /* static strings */
	sw->changed_id = sd_arena_strdup(a, id);
	sw->fetched_at = time(NULL);
	return sw;
}

static ptrdiff_t node_index(const struct sd_swarm *sw, const char *id)
{
	for (size_t i = 0; i < sw->nnodes; i++)
		if (!strcmp(sw->nodes[i].id, id))
			return (ptrdiff_t)i;
	return -1;
}

static ptrdiff_t service_index(const struct sd_swarm *sw, const char *id)
{
	for (size_t i = 0; i < sw->nservices; i++)
		if (!strcmp(sw->services[i]->id, id))
			return (ptrdiff_t)i;
	return -1;
}

/* A service's share of its stack's sums, added (SIGN 1) or taken away (-1). False when its
 * stack is not among SW's (a stack appears or goes: the caller sums them again). */
static bool stack_add(struct sd_swarm *sw, const struct sd_service *svc, int sign)
{
	if (!*svc->stack)
		return true;
	struct sd_stack *st = sd_swarm_stack(sw, svc->stack);
	if (!st)
		return false;
	sd_stack_count(st, svc, sign);
	return sign > 0 || st->services > 0;
}

/* Tasks desired running on their node, counted on SW's nodes (SIGN 1 or -1). */
static void node_tasks_add(struct sd_swarm *sw, const struct sd_task *tasks, size_t n, int sign)
{
	for (size_t i = 0; i < n; i++) {
		if (!*tasks[i].node_id || strcmp(tasks[i].desired_state, "running"))
			continue;
		ptrdiff_t k = node_index(sw, tasks[i].node_id);
		if (k >= 0)
			sw->nodes[k].tasks += sign;
	}
}

static int compare_tasks(const void *a, const void *b)
{
	const struct sd_task *x = a, *y = b;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->slot == 0) {
		int c = strcmp(x->node, y->node);
		if (c)
			return c;
	}
	if (x->since != y->since)
		return x->since > y->since ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Items [FROM, TO) of ITEMS with [GAP, GAP + NGAP) left out, into DST (two copies). */
static void copy_without(void *dst, const void *items, size_t size, size_t gap, size_t ngap,
			 size_t from, size_t to)
{
	char *d = dst;
	const char *s = items;
	if (from < gap) {
		size_t n = (to < gap ? to : gap) - from;
		memcpy(d, s + from * size, n * size);
		d += n * size;
		from += n;
	}
	if (from < to)
		memcpy(d, s + (from + ngap) * size, (to - from) * size);
}

/* DELTA holds the service (none: removed) and its tasks. */
static struct sd_swarm *apply_service(const struct sd_swarm *base, struct sd_swarm *delta,
				      const char *id)
{
	struct sd_swarm *sw = derive(base, delta, "service", id);
	struct sd_arena *a = sw->part.arena;
	ptrdiff_t old = service_index(base, id);
	/* the delta's own: this change is the first to share it */
	struct sd_service *now = delta->nservices ? delta->services[0] : NULL;
	size_t gap = old >= 0 ? (size_t)old : 0, ngap = old >= 0 ? 1 : 0;

	/* the services: the old one out, the new one in at its place by name */
	size_t kept = base->nservices - ngap, ns = kept + (now != NULL);
	struct sd_service **svcs = ns ? sd_arena_alloc_raw(a, ns * sizeof(*svcs)) : NULL;
	size_t at = kept;
	if (now) {
		size_t lo = 0, hi = base->nservices;   /* where it goes among BASE's, by name */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			int c = strcmp(base->services[mid]->name, now->name);
			if (!c)
				c = strcmp(base->services[mid]->id, now->id);
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		at = lo - (old >= 0 && (size_t)old < lo);
	}
	copy_without(svcs, base->services, sizeof(*svcs), gap, ngap, 0, at);
	if (now)
		svcs[at] = now;
	copy_without(svcs + at + (now != NULL), base->services, sizeof(*svcs), gap, ngap, at, kept);

	/* its tasks, where the delta decoded them: the parts after this one share the delta,
	 * never this part (nor anything in its arena). They name the nodes as this part knows
	 * them, in the decoder's order. */
	size_t nnew = now ? now->task_count : 0;
	struct sd_task *mine = nnew ? now->tasks : NULL;
	for (size_t i = 0; i < nnew; i++) {
		ptrdiff_t k = *mine[i].node_id ? node_index(base, mine[i].node_id) : -1;
		if (k >= 0) {
			mine[i].node_id = base->nodes[k].id;
			mine[i].node = base->nodes[k].hostname;
		}
	}
	if (nnew > 1)
		qsort(mine, nnew, sizeof(*mine), compare_tasks);
	const struct sd_service *was = old >= 0 ? base->services[old] : NULL;
	size_t nold = was ? was->task_count : 0;
	sw->ntasks = base->ntasks - nold + nnew;

	/* what depends on them: tasks per node, the stacks' sums */
	bool restack = false;
	if (was) {
		node_tasks_add(sw, was->tasks, nold, -1);
		sd_stack_count(&sw->totals, was, -1);
		restack |= !stack_add(sw, was, -1);
	}
	if (now) {
		node_tasks_add(sw, mine, nnew, 1);
		sd_stack_count(&sw->totals, now, 1);
		restack |= !stack_add(sw, now, 1);
	}
	sw->services = svcs;
	sw->nservices = ns;
	sw->changed_was = was;
	sw->changed_now = now;
	if (restack)
		sd_swarm_sum_stacks(sw, sw->part.arena);
	return sw;
}

static int compare_nodes(const void *a, const void *b)
{
	const struct sd_node *x = a, *y = b;
	int c = strcmp(x->hostname, y->hostname);
	return c ? c : strcmp(x->id, y->id);
}

/* DELTA holds the node (none: removed). */
static struct sd_swarm *apply_node(const struct sd_swarm *base, struct sd_swarm *delta,
				   const char *id)
{
	struct sd_swarm *sw = derive(base, delta, "node", id);
	struct sd_arena *a = sw->part.arena;
	sw->services = copy_array(a, base->services, base->nservices, sizeof(*base->services));
	ptrdiff_t old = node_index(sw, id);
	const struct sd_node *now = delta->nnodes ? &delta->nodes[0] : NULL;
	if (old >= 0 && now) {
		int tasks = sw->nodes[old].tasks;
		bool moved = strcmp(sw->nodes[old].hostname, now->hostname) != 0;
		sw->nodes[old] = *now;
		sw->nodes[old].tasks = tasks;
		if (moved && sw->nnodes > 1)
			qsort(sw->nodes, sw->nnodes, sizeof(*sw->nodes), compare_nodes);
	} else if (old >= 0) {
		memmove(sw->nodes + old, sw->nodes + old + 1,
			(sw->nnodes - (size_t)old - 1) * sizeof(*sw->nodes));
		sw->nnodes--;
	} else if (now) {
		struct sd_node *nodes = sd_arena_alloc(a, (sw->nnodes + 1) * sizeof(*nodes));
		if (sw->nnodes)
			memcpy(nodes, sw->nodes, sw->nnodes * sizeof(*nodes));
		nodes[sw->nnodes++] = *now;
		qsort(nodes, sw->nnodes, sizeof(*nodes), compare_nodes);
		sw->nodes = nodes;
	}
	sw->changed_was = old >= 0 ? &base->nodes[old] : NULL;
	ptrdiff_t at = now ? node_index(sw, id) : -1;
	sw->changed_now = at >= 0 ? &sw->nodes[at] : NULL;
	sw->leader = "";
	docker_count_managers(sw);
	return sw;
}

/* The delta (a part decoded from the filtered lists) applied to BASE. */
static int apply(const struct sd_swarm *base, struct sd_swarm *delta, const char *kind,
		 const char *id, struct sd_swarm **out)
{
	*out = NULL;
	if (base->part.nshares + 2 > max_shares(base))
		return 1;
	if (!strcmp(kind, "service"))
		*out = apply_service(base, delta, id);
	else
		*out = apply_node(base, delta, id);
	return 0;
}

int sd_docker_apply_bodies(const struct sd_swarm *base, const char *kind, const char *id,
			   const struct sd_docker_bodies *bodies, struct sd_swarm **out,
			   char *err, size_t errlen)
{
	*out = NULL;
	if (strcmp(kind, "service") && strcmp(kind, "node")) {
		snprintf(err, errlen, "%s: not a service nor a node", kind);
		return -1;
	}
	struct sd_docker_bodies only = {.nodes = bodies->nodes, .nodes_len = bodies->nodes_len,
					.services = bodies->services,
					.services_len = bodies->services_len,
					.tasks = bodies->tasks, .tasks_len = bodies->tasks_len};
	struct sd_swarm *delta = NULL;
	if (sd_docker_decode_bodies(&only, NULL, 0, &delta, err, errlen) != 0)
		return -1;
	int rc = apply(base, delta, kind, id, out);
	sd_part_unref(delta);
	return rc;
}

/* ?filters={"KEY":["VALUE"]} percent-encoded into OUT. */
static void filter_query(const char *key, const char *value, char *out, size_t size)
{
	char raw[256], escaped[64];
	docker_path_escape(value, escaped, sizeof(escaped));   /* an ID: [0-9a-z] as is */
	snprintf(raw, sizeof(raw), "{\"%s\":[\"%s\"]}", key, escaped);
	docker_path_escape(raw, out, size);
}

int sd_docker_refresh_object(struct sd_docker *d, const struct sd_swarm *base,
			     const char *kind, const char *id, struct sd_swarm **out, char *err,
			     size_t errlen)
{
	*out = NULL;
	bool service = !strcmp(kind, "service");
	if (!base || (!service && strcmp(kind, "node")) || !id || !*id)
		return 1;
	if (base->part.nshares + 2 > max_shares(base))
		return 1;
	CURL *h = docker_handle_acquire(d);
	char api[16], path[512], query[256];
	if (docker_negotiate(d, h, api, sizeof(api), err, errlen) < 0) {
		docker_handle_release(d, h);
		return -1;
	}
	struct decoder dec;
	docker_decoder_init(&dec);
	int rc;
	filter_query("id", id, query, sizeof(query));
	if (service) {
		snprintf(path, sizeof(path), "/v%s/services?filters=%s%s", api, query,
			 docker_api_number(api) >= 1041 ? "&status=true" : "");
		rc = docker_get_list(d, h, &dec, LIST_SERVICES, path, err, errlen);
		if (rc == 0 && dec.nservices) {
			filter_query("service", id, query, sizeof(query));
			snprintf(path, sizeof(path), "/v%s/tasks?filters=%s", api, query);
			rc = docker_get_list(d, h, &dec, LIST_TASKS, path, err, errlen);
		}
	} else {
		snprintf(path, sizeof(path), "/v%s/nodes?filters=%s", api, query);
		rc = docker_get_list(d, h, &dec, LIST_NODES, path, err, errlen);
	}
	docker_handle_release(d, h);
	/* the ID filter matches a prefix: only the object itself counts */
	if (rc == 0 && service && dec.nservices && strcmp(dec.services[0].svc.id, id))
		dec.nservices = 0;
	if (rc == 0 && !service && dec.nnodes && strcmp(dec.nodes[0].id, id))
		dec.nnodes = 0;
	if (rc == 0 && (dec.nservices > 1 || dec.nnodes > 1))
		rc = 1;   /* more than the one named: not a change to apply in place */
	if (rc == 0) {
		struct sd_swarm *delta = docker_decoder_finish(&dec);
		rc = apply(base, delta, kind, id, out);
		sd_part_unref(delta);
	}
	docker_decoder_free(&dec);
	return rc;
}
