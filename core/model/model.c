/* model.c - arenas, reference-counted parts and the small lookups over a snapshot. */
#include "model/model.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void *sd_part_new(size_t size)
{
	struct sd_arena *arena = sd_arena_new();
	struct sd_part *part = sd_arena_alloc(arena, size);
	part->arena = arena;
	part->refs = 1;
	return part;
}

void *sd_part_ref(void *p)
{
	struct sd_part *part = p;
	if (part)
		__atomic_add_fetch(&part->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void sd_part_unref(void *p)
{
	struct sd_part *part = p;
	if (!part || __atomic_sub_fetch(&part->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < part->nshares; i++)
		sd_part_unref(part->shares[i]);
	sd_arena_free(part->arena);
}

void sd_snapshot_unref(struct sd_snapshot *snap)
{
	if (!snap || __atomic_sub_fetch(&snap->part.refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	sd_part_unref(snap->swarm);
	sd_part_unref(snap->pg);
	sd_part_unref(snap->redis);
	sd_part_unref(snap->backups);
	sd_part_unref(snap->prom);
	sd_part_unref(snap->vip);
	sd_part_unref(snap->events);
	sd_arena_free(snap->part.arena);
}

const char *sd_level_name(enum sd_level level)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	return (unsigned)level < 4 ? names[level] : "UNKNOWN";
}

const char *sd_mode_name(enum sd_mode mode)
{
	static const char *const names[] = {"live", "watch", "drill"};
	return (unsigned)mode < 3 ? names[mode] : "live";
}

const struct sd_node *sd_swarm_node(const struct sd_swarm *swarm, const char *key)
{
	if (!swarm || !key)
		return NULL;
	for (size_t i = 0; i < swarm->nnodes; i++)
		if (!strcmp(swarm->nodes[i].id, key) || !strcmp(swarm->nodes[i].hostname, key))
			return &swarm->nodes[i];
	return NULL;
}

const struct sd_service *sd_swarm_service(const struct sd_swarm *swarm, const char *key)
{
	if (!swarm || !key)
		return NULL;
	for (size_t i = 0; i < swarm->nservices; i++)
		if (!strcmp(swarm->services[i]->id, key) || !strcmp(swarm->services[i]->name, key))
			return swarm->services[i];
	return NULL;
}

const struct sd_task *sd_swarm_next_task(const struct sd_swarm *swarm, struct sd_task_walk *walk)
{
	if (!swarm)
		return NULL;
	while (walk->service < swarm->nservices) {
		const struct sd_service *s = swarm->services[walk->service];
		if (walk->index < s->task_count)
			return &s->tasks[walk->index++];
		walk->service++;
		walk->index = 0;
	}
	return walk->index < swarm->norphans ? &swarm->orphans[walk->index++] : NULL;
}

struct sd_stack *sd_swarm_stack(struct sd_swarm *sw, const char *name)
{
	size_t lo = 0, hi = sw->nstacks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(sw->stacks[mid].name, name);
		if (c == 0)
			return &sw->stacks[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sd_swarm_sum_stacks(struct sd_swarm *sw, struct sd_arena *arena)
{
	const char **names = xmalloc((sw->nservices + 1) * sizeof(*names));
	size_t n = 0;
	for (size_t i = 0; i < sw->nservices; i++)
		if (*sw->services[i]->stack)
			names[n++] = sw->services[i]->stack;
	if (n > 1)
		qsort(names, n, sizeof(*names), compare_names);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (!distinct || strcmp(names[distinct - 1], names[i]))
			names[distinct++] = names[i];
	sw->nstacks = distinct;
	sw->stacks = distinct ? sd_arena_alloc(arena, distinct * sizeof(*sw->stacks)) : NULL;
	for (size_t i = 0; i < distinct; i++)
		sw->stacks[i] = (struct sd_stack){.name = names[i]};
	free(names);
	for (size_t i = 0; i < sw->nservices; i++)
		if (*sw->services[i]->stack)
			sd_stack_count(sd_swarm_stack(sw, sw->services[i]->stack), sw->services[i], 1);
}

bool sd_service_is_job(const struct sd_service *svc)
{
	size_t n = strlen(svc->mode);
	return n >= 4 && !memcmp(svc->mode + n - 4, "-job", 4);
}

struct sd_service **sd_services_new(struct sd_arena *arena, size_t n)
{
	if (!n)
		return NULL;
	struct sd_service **ptrs = sd_arena_alloc_raw(arena, n * sizeof(*ptrs));
	struct sd_service *store = sd_arena_alloc(arena, n * sizeof(*store));
	for (size_t i = 0; i < n; i++)
		ptrs[i] = &store[i];
	return ptrs;
}

void sd_stack_count(struct sd_stack *st, const struct sd_service *svc, int sign)
{
	bool degraded = svc->running < svc->desired;
	bool updating = !strcmp(svc->update_state, "updating") ||
			!strncmp(svc->update_state, "rollback_st", 11);
	st->services += (size_t)(long)sign;
	st->degraded += (size_t)(long)(sign * degraded);
	st->updating += (size_t)(long)(sign * updating);
	st->running += sign * svc->running;
	st->desired += sign * svc->desired;
}

const struct sd_task *sd_swarm_task(const struct sd_swarm *swarm, const char *id)
{
	struct sd_task_walk w = {0};
	const struct sd_task *t;
	while (id && (t = sd_swarm_next_task(swarm, &w)))
		if (!strcmp(t->id, id))
			return t;
	return NULL;
}

const struct sd_pg_member *sd_pg_member_named(const struct sd_pg *pg, const char *name)
{
	if (!pg || !name)
		return NULL;
	for (size_t i = 0; i < pg->nmembers; i++)
		if (!strcmp(pg->members[i].name, name))
			return &pg->members[i];
	return NULL;
}

const struct sd_node_metrics *sd_prom_node(const struct sd_prom *prom, const char *hostname)
{
	for (size_t i = 0; prom && hostname && i < prom->nnodes; i++)
		if (prom->nodes[i].node && !strcmp(prom->nodes[i].node, hostname))
			return &prom->nodes[i];
	return NULL;
}
