/* decode.c - the per-object decoders: one node, service or task read in place by the JSON
 * scanner straight into the swarm part (short strings interned), /info through jansson, and
 * the finish that sorts, counts and links tasks to their services and nodes. */
#include "backends/docker/internal.h"
#include "base/arena.h"
#include "base/jsonscan.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const docker_list_names[] = {"nodes", "services", "tasks", "networks", "secrets",
					  "configs"};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

void *docker_grow(void *array, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(array, n * elem);
}

/* One arena copy per distinct short string: states, roles, images, messages repeat a lot. */
static const char *intern(struct decoder *dec, const char *s, size_t len)
{
	len = strnlen(s, len);   /* a \u0000 ends the C string: the entry is what is kept */
	if (len > 512)
		return sd_arena_strndup(dec->arena, s, len);
	if (dec->intern_count * 2 >= dec->intern_cap) {
		size_t cap = dec->intern_cap ? dec->intern_cap * 2 : 256;
		struct intern_entry *e = xcalloc(cap, sizeof(*e));
		for (size_t i = 0; i < dec->intern_cap; i++) {
			if (!dec->interned[i].s)
				continue;
			size_t j = dec->interned[i].hash & (cap - 1);
			while (e[j].s)
				j = (j + 1) & (cap - 1);
			e[j] = dec->interned[i];
		}
		free(dec->interned);
		dec->interned = e;
		dec->intern_cap = cap;
	}
	uint32_t h = hash_bytes(s, len);
	size_t j = h & (dec->intern_cap - 1);
	while (dec->interned[j].s) {
		struct intern_entry *e = &dec->interned[j];
		if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
			return e->s;
		j = (j + 1) & (dec->intern_cap - 1);
	}
	const char *copy = sd_arena_strndup(dec->arena, s, len);
	dec->interned[j] = (struct intern_entry){copy, (uint32_t)len, h};
	dec->intern_count++;
	return copy;
}

/* Engine bytes RAW (JSON escapes undone when ESCAPED) as the model keeps them: UTF-8, each
 * malformed byte replaced by U+FFFD (a hostname or a container's output need not be UTF-8,
 * and what reads the model - the screen, the snapshot JSON - must not meet a bad byte).
 * SHARED: one copy per distinct short string. */
static const char *engine_string(struct decoder *dec, const char *raw, size_t len,
				 bool escaped, bool shared)
{
	if (escaped) {
		dec->unescaped = docker_grow(dec->unescaped, &dec->cap_unescaped, len + 1, 1);
		len = js_unescape(raw, len, dec->unescaped);
		raw = dec->unescaped;
	}
	if (!docker_utf8_ok(raw, len)) {
		dec->sanitized = docker_grow(dec->sanitized, &dec->cap_sanitized, 3 * len + 1, 1);
		len = sd_utf8_sanitize(raw, len, dec->sanitized);
		raw = dec->sanitized;
	}
	return shared ? intern(dec, raw, len) : sd_arena_strndup(dec->arena, raw, len);
}

/* A string value, shared with equal ones ("" for another type). */
static const char *take_interned(struct decoder *dec, struct js *s)
{
	const char *raw;
	size_t len;
	bool escaped;
	if (!js_string_raw(s, &raw, &len, &escaped))
		return dec->empty;
	return engine_string(dec, raw, len, escaped, true);
}

/* A string value of its own (IDs, hostnames). */
static const char *take_string(struct decoder *dec, struct js *s)
{
	const char *raw;
	size_t len;
	bool escaped;
	if (!js_string_raw(s, &raw, &len, &escaped))
		return dec->empty;
	return engine_string(dec, raw, len, escaped, false);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* RFC 3339 with optional fraction and a Z or +hh:mm offset; 0 for Go's zero time or junk. */
static time_t parse_time(const char *p, size_t len)
{
	if (len < 19 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
	    p[13] != ':' || p[16] != ':')
		return 0;
	int year = digits(p, 4), mon = digits(p + 5, 2), day = digits(p + 8, 2);
	int hour = digits(p + 11, 2), min = digits(p + 14, 2), sec = digits(p + 17, 2);
	if (year <= 1 || mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || min < 0 ||
	    sec < 0)
		return 0;
	size_t i = 19;
	if (i < len && p[i] == '.')
		for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
			;
	long offset = 0;
	if (i + 6 <= len && (p[i] == '+' || p[i] == '-') && p[i + 3] == ':') {
		int oh = digits(p + i + 1, 2), om = digits(p + i + 4, 2);
		if (oh >= 0 && om >= 0)
			offset = (p[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
	}
	int64_t t = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + hour * 3600 +
		    min * 60 + sec - offset;
	return (time_t)t;
}

static time_t take_time(struct js *s)
{
	const char *raw;
	size_t len;
	if (!js_string_raw(s, &raw, &len, NULL))
		return 0;
	return parse_time(raw, len);
}

static void take_labels(struct decoder *dec, struct js *s, struct sd_label **out, size_t *count,
			const char **stack)
{
	const char *key;
	size_t klen, n = 0;
	for (int i = 0; js_object_next(s, &i, &key, &klen);) {
		if (!out) {
			if (JS_KEY(key, klen, "com.docker.stack.namespace"))
				*stack = take_interned(dec, s);
			else
				js_skip(s);
			continue;
		}
		dec->labels = docker_grow(dec->labels, &dec->cap_labels, n + 1, sizeof(*dec->labels));
		bool escaped = memchr(key, '\\', klen) != NULL;
		const char *k = engine_string(dec, key, klen, escaped, true);
		dec->labels[n++] = (struct sd_label){k, take_interned(dec, s)};
	}
	if (!out)
		return;
	*count = n;
	*out = NULL;
	if (n) {
		*out = sd_arena_alloc(dec->arena, n * sizeof(**out));
		memcpy(*out, dec->labels, n * sizeof(**out));
	}
}

const char *docker_take_string(struct decoder *dec, struct js *s) { return take_string(dec, s); }
const char *docker_take_interned(struct decoder *dec, struct js *s) { return take_interned(dec, s); }
time_t docker_take_time(struct js *s) { return take_time(s); }
void docker_take_stack(struct decoder *dec, struct js *s, const char **stack)
{
	take_labels(dec, s, NULL, NULL, stack);
}

static void decode_node(struct decoder *dec, struct js *s, struct sd_node *node)
{
	const char *e = dec->empty;
	*node = (struct sd_node){.id = e, .hostname = e, .role = e, .availability = e, .state = e,
				 .manager = e, .engine = e, .addr = e, .message = e,
				 .manager_addr = e};
	bool has_manager = false, leader = false;
	const char *reachability = e;
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			node->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Version")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Index"))
					node->version = (uint64_t)js_int(s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "Spec")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Role"))
					node->role = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Availability"))
					node->availability = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Labels"))
					take_labels(dec, s, &node->labels, &node->nlabels, NULL);
				else
					js_skip(s);
			}
		} else if (JS_KEY(k, kl, "Description")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Hostname")) {
					node->hostname = take_string(dec, s);
				} else if (JS_KEY(k, kl, "Engine")) {
					for (int c = 0; js_object_next(s, &c, &k, &kl);)
						if (JS_KEY(k, kl, "EngineVersion"))
							node->engine = take_interned(dec, s);
						else
							js_skip(s);
				} else {
					js_skip(s);
				}
			}
		} else if (JS_KEY(k, kl, "Status")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "State"))
					node->state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Addr"))
					node->addr = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					node->message = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else if (JS_KEY(k, kl, "ManagerStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				has_manager = true;
				if (JS_KEY(k, kl, "Leader"))
					leader = js_bool(s);
				else if (JS_KEY(k, kl, "Reachability"))
					reachability = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Addr"))
					node->manager_addr = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else {
			js_skip(s);
		}
	}
	if (leader)
		node->manager = intern(dec, "leader", 6);
	else if (has_manager)
		node->manager = *reachability ? reachability : intern(dec, "unknown", 7);
}

static void take_ports(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl, n = 0;
	for (int a = 0; js_array_next(s, &a);) {
		dec->ports = docker_grow(dec->ports, &dec->cap_ports, n + 1, sizeof(*dec->ports));
		struct sd_port *p = &dec->ports[n++];
		*p = (struct sd_port){.protocol = dec->empty, .mode = dec->empty};
		for (int b = 0; js_object_next(s, &b, &k, &kl);) {
			if (JS_KEY(k, kl, "Protocol"))
				p->protocol = take_interned(dec, s);
			else if (JS_KEY(k, kl, "TargetPort"))
				p->target = (long)js_int(s);
			else if (JS_KEY(k, kl, "PublishedPort"))
				p->published = (long)js_int(s);
			else if (JS_KEY(k, kl, "PublishMode"))
				p->mode = take_interned(dec, s);
			else
				js_skip(s);
		}
	}
	svc->nports = n;
	svc->ports = NULL;
	if (n) {
		svc->ports = sd_arena_alloc(dec->arena, n * sizeof(*svc->ports));
		memcpy(svc->ports, dec->ports, n * sizeof(*svc->ports));
	}
}

static void take_mode(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		bool replicated = JS_KEY(k, kl, "Replicated");
		bool replicated_job = JS_KEY(k, kl, "ReplicatedJob");
		if (replicated)
			svc->mode = intern(dec, "replicated", 10);
		else if (replicated_job)
			svc->mode = intern(dec, "replicated-job", 14);
		else if (JS_KEY(k, kl, "Global"))
			svc->mode = intern(dec, "global", 6);
		else if (JS_KEY(k, kl, "GlobalJob"))
			svc->mode = intern(dec, "global-job", 10);
		if (!replicated && !replicated_job) {
			js_skip(s);
			continue;
		}
		for (int b = 0; js_object_next(s, &b, &k, &kl);) {
			if ((replicated && JS_KEY(k, kl, "Replicas")) ||
			    (replicated_job && JS_KEY(k, kl, "TotalCompletions")))
				svc->desired = (long)js_int(s);
			else
				js_skip(s);
		}
	}
}

/* ContainerSpec.Image without its @sha256:... digest; DEFAULT when there is none. With USES,
 * the container's secrets and configs go to the service's uses too. */
static const char *take_container_image(struct decoder *dec, struct js *s, const char *dflt,
					bool uses)
{
	const char *k, *image = dflt;
	size_t kl;
	for (int c = 0; js_object_next(s, &c, &k, &kl);) {
		const char *raw;
		size_t len;
		bool escaped;
		if (uses && JS_KEY(k, kl, "Secrets")) {
			docker_take_uses(dec, s, USE_SECRET);
		} else if (uses && JS_KEY(k, kl, "Configs")) {
			docker_take_uses(dec, s, USE_CONFIG);
		} else if (!JS_KEY(k, kl, "Image")) {
			js_skip(s);
		} else if (js_string_raw(s, &raw, &len, &escaped)) {
			const char *at = memchr(raw, '@', len);
			if (at)
				len = (size_t)(at - raw);   /* drop @sha256:... */
			image = engine_string(dec, raw, len, escaped, true);
		}
	}
	return image;
}

/* Placement.Constraints ("node.labels.type==db"), kept as written. */
static void take_constraints(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (!JS_KEY(k, kl, "Constraints")) {
			js_skip(s);
			continue;
		}
		const char *items[64];
		size_t n = 0;
		for (int b = 0; js_array_next(s, &b);) {
			const char *c = take_interned(dec, s);
			if (n < sizeof(items) / sizeof(items[0]) && *c)
				items[n++] = c;
		}
		svc->nconstraints = n;
		svc->constraints = NULL;
		if (n) {
			svc->constraints = sd_arena_alloc(dec->arena, n * sizeof(*svc->constraints));
			memcpy(svc->constraints, items, n * sizeof(*items));
		}
	}
}

/* Spec.UpdateConfig: durations come in nanoseconds. */
static void take_update_config(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "Parallelism"))
			svc->update_parallelism = (long)js_int(s);
		else if (JS_KEY(k, kl, "Delay"))
			svc->update_delay = (double)js_int(s) / 1e9;
		else if (JS_KEY(k, kl, "Monitor"))
			svc->update_monitor = (double)js_int(s) / 1e9;
		else if (JS_KEY(k, kl, "Order"))
			svc->update_order = take_interned(dec, s);
		else if (JS_KEY(k, kl, "FailureAction"))
			svc->update_failure_action = take_interned(dec, s);
		else
			js_skip(s);
	}
}

static void take_service_spec(struct decoder *dec, struct js *s, struct sd_service *svc)
{
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "Name")) {
			svc->name = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Labels")) {
			take_labels(dec, s, NULL, NULL, &svc->stack);
		} else if (JS_KEY(k, kl, "Mode")) {
			take_mode(dec, s, svc);
		} else if (JS_KEY(k, kl, "Networks")) {
			docker_take_uses(dec, s, USE_NETWORK);
		} else if (JS_KEY(k, kl, "TaskTemplate")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "ContainerSpec"))
					svc->image = take_container_image(dec, s, svc->image, true);
				else if (JS_KEY(k, kl, "Placement"))
					take_constraints(dec, s, svc);
				else if (JS_KEY(k, kl, "Networks"))
					docker_take_uses(dec, s, USE_NETWORK);
				else
					js_skip(s);
			}
		} else if (JS_KEY(k, kl, "UpdateConfig")) {
			take_update_config(dec, s, svc);
		} else {
			js_skip(s);
		}
	}
}

static void decode_service(struct decoder *dec, struct js *s, struct service_rec *rec)
{
	const char *e = dec->empty;
	struct sd_service *svc = &rec->svc;
	rec->status_desired = -1;
	*svc = (struct sd_service){.id = e, .name = e, .stack = e, .mode = e, .image = e,
				   .update_state = e, .update_message = e,
				   .desired = -1, .running = -1, .update_parallelism = -1,
				   .update_delay = -1, .update_monitor = -1,
				   .update_order = e,
				   .update_failure_action = e};
	docker_uses_begin(dec);
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			svc->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "Version")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Index"))
					svc->version = (uint64_t)js_int(s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "UpdatedAt")) {
			svc->updated_at = take_time(s);
		} else if (JS_KEY(k, kl, "Spec")) {
			take_service_spec(dec, s, svc);
		} else if (JS_KEY(k, kl, "PreviousSpec")) {
			if (!js_is_null(s)) {
				svc->has_previous_spec = true;
				js_skip(s);
			}
		} else if (JS_KEY(k, kl, "Endpoint")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "Ports"))
					take_ports(dec, s, svc);
				else if (JS_KEY(k, kl, "VirtualIPs"))
					docker_take_uses(dec, s, USE_VIRTUAL_IP);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "UpdateStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "State"))
					svc->update_state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					svc->update_message = take_interned(dec, s);
				else if (JS_KEY(k, kl, "StartedAt"))
					svc->update_started = take_time(s);
				else if (JS_KEY(k, kl, "CompletedAt"))
					svc->update_completed = take_time(s);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "ServiceStatus")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "RunningTasks"))
					svc->running = (long)js_int(s);
				else if (JS_KEY(k, kl, "DesiredTasks"))
					rec->status_desired = (long)js_int(s);
				else
					js_skip(s);
		} else {
			js_skip(s);
		}
	}
	docker_uses_end(dec, &svc->uses);
}

static bool lookup_id(const struct id_map *map, const char *key, size_t len, uint32_t *index)
{
	if (!map->slots)
		return false;
	uint32_t h = hash_bytes(key, len);
	for (size_t j = h & map->mask;; j = (j + 1) & map->mask) {
		const struct id_entry *e = &map->slots[j];
		if (!e->key)
			return false;
		if (e->len == len && memcmp(e->key, key, len) == 0) {
			*index = e->index;
			return true;
		}
	}
}

static void build_id_map(struct id_map *map, size_t count, const char *(*key_of)(const void *,
										 size_t),
			 const void *items)
{
	free(map->slots);
	size_t cap = 16;
	while (cap < count * 2)
		cap *= 2;
	map->slots = xcalloc(cap, sizeof(*map->slots));
	map->mask = cap - 1;
	for (size_t i = 0; i < count; i++) {
		const char *key = key_of(items, i);
		size_t len = strlen(key);
		uint32_t dummy;
		if (!len || lookup_id(map, key, len, &dummy))
			continue;
		size_t j = hash_bytes(key, len) & map->mask;
		while (map->slots[j].key)
			j = (j + 1) & map->mask;
		map->slots[j] = (struct id_entry){key, (uint32_t)len, (uint32_t)i};
	}
}

static const char *node_key(const void *items, size_t i)
{
	return ((const struct sd_node *)items)[i].id;
}

static const char *service_key(const void *items, size_t i)
{
	return ((const struct service_rec *)items)[i].svc.id;
}

static void decode_task(struct decoder *dec, struct js *s, struct task_rec *rec)
{
	const char *e = dec->empty;
	struct sd_task *t = &rec->task;
	*t = (struct sd_task){.id = e, .service_id = e, .service = e, .node_id = e, .node = e,
			      .desired_state = e, .state = e, .error = e, .message = e, .image = e};
	rec->service = UINT32_MAX;
	rec->node = -1;
	const char *k, *raw;
	size_t kl, len;
	bool escaped;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			t->id = take_string(dec, s);
		} else if (JS_KEY(k, kl, "ServiceID")) {
			if (!js_string_raw(s, &raw, &len, &escaped))
				continue;
			uint32_t i;
			if (lookup_id(&dec->service_ids, raw, len, &i)) {
				rec->service = i;
				t->service_id = dec->services[i].svc.id;
				t->service = dec->services[i].svc.name;
			} else {
				t->service_id = engine_string(dec, raw, len, escaped, false);
			}
		} else if (JS_KEY(k, kl, "NodeID")) {
			if (!js_string_raw(s, &raw, &len, &escaped) || len == 0)
				continue;
			uint32_t i;
			if (lookup_id(&dec->node_ids, raw, len, &i)) {
				rec->node = (int32_t)i;
				t->node_id = dec->nodes[i].id;
				t->node = dec->nodes[i].hostname;
			} else {
				/* a node that left the swarm: show its ID rather than nothing */
				t->node_id = t->node = engine_string(dec, raw, len, escaped, false);
			}
		} else if (JS_KEY(k, kl, "Slot")) {
			t->slot = (long)js_int(s);
		} else if (JS_KEY(k, kl, "DesiredState")) {
			t->desired_state = take_interned(dec, s);
		} else if (JS_KEY(k, kl, "Spec")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);)
				if (JS_KEY(k, kl, "ContainerSpec"))
					t->image = take_container_image(dec, s, t->image, false);
				else
					js_skip(s);
		} else if (JS_KEY(k, kl, "Status")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Timestamp"))
					t->since = take_time(s);
				else if (JS_KEY(k, kl, "State"))
					t->state = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Message"))
					t->message = take_interned(dec, s);
				else if (JS_KEY(k, kl, "Err"))
					t->error = take_interned(dec, s);
				else
					js_skip(s);
			}
		} else {
			js_skip(s);
		}
	}
}

void docker_decode_element(struct decoder *dec, enum list_kind kind, struct js *s)
{
	switch (kind) {
	case LIST_NODES: {
		struct sd_node node;
		decode_node(dec, s, &node);
		if (s->err)
			break;
		dec->nodes = docker_grow(dec->nodes, &dec->cap_nodes, dec->nnodes + 1,
					 sizeof(*dec->nodes));
		dec->nodes[dec->nnodes++] = node;
		break;
	}
	case LIST_SERVICES: {
		struct service_rec svc;
		decode_service(dec, s, &svc);
		if (s->err)
			break;
		dec->services = docker_grow(dec->services, &dec->cap_services, dec->nservices + 1,
					    sizeof(*dec->services));
		dec->services[dec->nservices++] = svc;
		break;
	}
	case LIST_TASKS:
		dec->tasks = docker_grow(dec->tasks, &dec->cap_tasks, dec->ntasks + 1,
					 sizeof(*dec->tasks));
		decode_task(dec, s, &dec->tasks[dec->ntasks]);
		if (!s->err)
			dec->ntasks++;
		break;
	default:
		docker_decode_object(dec, kind, s);
		break;
	}
}

static int compare_nodes(const void *a, const void *b)
{
	const struct sd_node *x = a, *y = b;
	int c = strcmp(x->hostname, y->hostname);
	return c ? c : strcmp(x->id, y->id);
}

static int compare_services(const void *a, const void *b)
{
	const struct sd_service *x = &((const struct service_rec *)a)->svc;
	const struct sd_service *y = &((const struct service_rec *)b)->svc;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

/* Called when a list is complete: sort it and index its IDs for the lists that refer to it. */
void docker_list_done(struct decoder *dec, enum list_kind kind)
{
	if (kind == LIST_NODES) {
		if (dec->nnodes > 1)
			qsort(dec->nodes, dec->nnodes, sizeof(*dec->nodes), compare_nodes);
		build_id_map(&dec->node_ids, dec->nnodes, node_key, dec->nodes);
	} else if (kind == LIST_SERVICES) {
		if (dec->nservices > 1)
			qsort(dec->services, dec->nservices, sizeof(*dec->services), compare_services);
		build_id_map(&dec->service_ids, dec->nservices, service_key, dec->services);
	}
}

void docker_decoder_init(struct decoder *dec)
{
	memset(dec, 0, sizeof(*dec));
	dec->sw = sd_part_new(sizeof(struct sd_swarm));
	dec->arena = dec->sw->part.arena;
	dec->empty = sd_arena_strdup(dec->arena, "");
	dec->sw->engine_name = dec->sw->engine_version = dec->sw->api_version = dec->empty;
	dec->sw->cluster_id = dec->sw->leader = dec->empty;
}

void docker_decoder_free(struct decoder *dec)
{
	free(dec->interned);
	free(dec->nodes);
	free(dec->services);
	free(dec->tasks);
	free(dec->labels);
	free(dec->ports);
	free(dec->unescaped);
	free(dec->sanitized);
	free(dec->node_ids.slots);
	free(dec->service_ids.slots);
	docker_objects_free(dec);
	sd_part_unref(dec->sw);   /* NULL once handed out */
}

static int compare_tasks(const void *a, const void *b)
{
	const struct task_rec *x = a, *y = b;
	if (x->service != y->service)
		return x->service < y->service ? -1 : 1;
	if (x->task.slot != y->task.slot)
		return x->task.slot < y->task.slot ? -1 : 1;
	if (x->task.slot == 0) {   /* global services: one group per node */
		int c = strcmp(x->task.node, y->task.node);
		if (c)
			return c;
	}
	if (x->task.since != y->task.since)
		return x->task.since > y->task.since ? -1 : 1;
	return strcmp(x->task.id, y->task.id);
}

/* Sort, count and move everything into the part's arena. */
void docker_count_managers(struct sd_swarm *sw)
{
	sw->managers = sw->managers_reachable = 0;
	for (size_t i = 0; i < sw->nnodes; i++) {
		const struct sd_node *n = &sw->nodes[i];
		if (!strcmp(n->role, "manager")) {
			sw->managers++;
			if (!strcmp(n->manager, "leader") || !strcmp(n->manager, "reachable"))
				sw->managers_reachable++;
		}
		if (!strcmp(n->manager, "leader"))
			sw->leader = n->hostname;
	}
}

struct sd_swarm *docker_decoder_finish(struct decoder *dec)
{
	struct sd_swarm *sw = dec->sw;
	struct sd_arena *arena = dec->arena;

	/* counts that need the tasks */
	size_t ns = dec->nservices;
	long *running = xcalloc(ns + 1, sizeof(long));
	long *desired_running = xcalloc(ns + 1, sizeof(long));
	for (size_t i = 0; i < dec->ntasks; i++) {
		struct task_rec *r = &dec->tasks[i];
		bool want = !strcmp(r->task.desired_state, "running");
		if (want && r->node >= 0)
			dec->nodes[r->node].tasks++;
		if (r->service == UINT32_MAX)
			continue;
		if (want)
			desired_running[r->service]++;
		if (want && !strcmp(r->task.state, "running"))
			running[r->service]++;
	}
	for (size_t i = 0; i < ns; i++) {
		struct sd_service *svc = &dec->services[i].svc;
		long status_desired = dec->services[i].status_desired;
		/* replicated: the spec's count (set by take_mode); else what the engine says, or
		 * the tasks it wants running */
		bool replicated = !strcmp(svc->mode, "replicated") ||
				  !strcmp(svc->mode, "replicated-job");
		if (!replicated || svc->desired < 0)
			svc->desired = status_desired >= 0 ? status_desired : desired_running[i];
		if (svc->running < 0)
			svc->running = running[i];
	}
	free(running);
	free(desired_running);

	if (dec->ntasks > 1)
		qsort(dec->tasks, dec->ntasks, sizeof(*dec->tasks), compare_tasks);
	/* one array for all, cut in each service's range (sorted by service first), the
	 * orphans last */
	sw->ntasks = dec->ntasks;
	struct sd_task *all = dec->ntasks ? sd_arena_alloc(arena, dec->ntasks * sizeof(*all)) : NULL;
	for (size_t i = 0; i < dec->ntasks; i++) {
		all[i] = dec->tasks[i].task;
		uint32_t si = dec->tasks[i].service;
		if (si == UINT32_MAX) {
			if (!sw->norphans++)
				sw->orphans = &all[i];
		} else if (dec->services[si].svc.task_count++ == 0) {
			dec->services[si].svc.tasks = &all[i];
		}
	}

	sw->nservices = ns;
	sw->services = sd_services_new(arena, ns);
	for (size_t i = 0; i < ns; i++)
		*sw->services[i] = dec->services[i].svc;

	sw->nnodes = dec->nnodes;
	sw->nodes = dec->nnodes ? sd_arena_alloc(arena, dec->nnodes * sizeof(*sw->nodes)) : NULL;
	for (size_t i = 0; i < dec->nnodes; i++)
		sw->nodes[i] = dec->nodes[i];
	docker_count_managers(sw);
	docker_objects_finish(dec, sw);
	sw->fetched_at = time(NULL);
	dec->sw = NULL;
	return sw;
}

/* /info: the engine's name, the cluster ID, the engine version. */
int docker_decode_info(struct decoder *dec, const char *text, size_t len, char *err, size_t errlen)
{
	if (!text || !len)
		return 0;
	/* jansson refuses a bad byte anywhere, and the engine's name is a hostname */
	size_t fixed_len = 0;
	char *fixed = docker_utf8_copy(text, len, &fixed_len);
	json_error_t jerr;
	json_t *root = json_loadb(fixed ? fixed : text, fixed ? fixed_len : len, 0, &jerr);
	free(fixed);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "info: bad JSON at byte %d: %s", jerr.position, jerr.text);
		json_decref(root);
		return -1;
	}
	const char *name = json_string_value(json_object_get(root, "Name"));
	const char *version = json_string_value(json_object_get(root, "ServerVersion"));
	json_t *swarm = json_object_get(root, "Swarm");
	const char *cluster = json_string_value(
		json_object_get(json_object_get(swarm, "Cluster"), "ID"));
	if (name)
		dec->sw->engine_name = sd_arena_strdup(dec->arena, name);
	if (version)
		dec->sw->engine_version = sd_arena_strdup(dec->arena, version);
	if (cluster)
		dec->sw->cluster_id = sd_arena_strdup(dec->arena, cluster);
	json_decref(root);
	return 0;
}

