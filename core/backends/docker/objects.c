/* objects.c - the Swarm's networks, secrets and configs, what each service uses, and stacks.
 *
 * Contract:
 * - Elements of GET /networks (swarm scope), /secrets and /configs are decoded in place by
 *   the list stream (stream.c), as nodes and services are. A secret's Spec.Data is skipped
 *   unread (the engine never sends it; were one sent, it still never reaches the part); a
 *   config's Spec.Data is measured (its decoded size) and skipped: no byte of it is kept.
 * - A service's uses are the IDs its spec names: task template (and legacy spec) networks,
 *   the endpoint's virtual IPs (ingress), the container's secrets and configs.
 * - At the decoder's finish each object gets the names of the services that use it (matched
 *   by ID, or by name for a reference made by name), and the services are summed per stack
 *   (the com.docker.stack.namespace label, as `docker stack ls` reads it).
 * - A list that cannot be read is not the swarm's failure: the part says why in
 *   objects_error, and the other lists stay. */
#include "backends/docker/internal.h"
#include "base/arena.h"
#include "base/jsonscan.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- one service's uses ---- */

void docker_uses_begin(struct decoder *dec)
{
	for (int i = 0; i < 3; i++)
		dec->objects.nscratch[i] = 0;
}

static void add_use(struct decoder *dec, int which, const char *id)
{
	struct objects_decoder *o = &dec->objects;
	if (!id || !*id)
		return;
	for (size_t i = 0; i < o->nscratch[which]; i++)
		if (!strcmp(o->scratch[which][i], id))
			return;
	o->scratch[which] = docker_grow(o->scratch[which], &o->cap_scratch[which],
					o->nscratch[which] + 1, sizeof(*o->scratch[which]));
	o->scratch[which][o->nscratch[which]++] = id;
}

void docker_take_uses(struct decoder *dec, struct js *s, enum use_kind kind)
{
	/* the member naming the object, by kind; the name too, for a reference by name */
	static const char *const id_key[] = {"Target", "SecretID", "ConfigID", "NetworkID"};
	static const char *const name_key[] = {"", "SecretName", "ConfigName", ""};
	int which = kind == USE_VIRTUAL_IP ? USE_NETWORK : (int)kind;
	const char *k;
	size_t kl;
	for (int a = 0; js_array_next(s, &a);) {
		const char *id = NULL, *name = NULL;
		for (int b = 0; js_object_next(s, &b, &k, &kl);) {
			if (kl == strlen(id_key[kind]) && !memcmp(k, id_key[kind], kl))
				id = docker_take_interned(dec, s);
			else if (*name_key[kind] && kl == strlen(name_key[kind]) &&
				 !memcmp(k, name_key[kind], kl))
				name = docker_take_interned(dec, s);
			else
				js_skip(s);
		}
		add_use(dec, which, id && *id ? id : name);
	}
}

static const char **copy_strings(struct decoder *dec, const char **from, size_t n)
{
	if (!n)
		return NULL;
	const char **to = sd_arena_alloc(dec->arena, n * sizeof(*to));
	memcpy(to, from, n * sizeof(*to));
	return to;
}

void docker_uses_end(struct decoder *dec, struct sd_service_uses *uses)
{
	struct objects_decoder *o = &dec->objects;
	uses->nnetworks = o->nscratch[USE_NETWORK];
	uses->networks = copy_strings(dec, o->scratch[USE_NETWORK], uses->nnetworks);
	uses->nsecrets = o->nscratch[USE_SECRET];
	uses->secrets = copy_strings(dec, o->scratch[USE_SECRET], uses->nsecrets);
	uses->nconfigs = o->nscratch[USE_CONFIG];
	uses->configs = copy_strings(dec, o->scratch[USE_CONFIG], uses->nconfigs);
}

/* ---- networks, secrets, configs ---- */

/* The decoded size of base64 RAW (LEN bytes between the quotes, JSON escapes read as the
 * byte they stand for; line breaks and blanks ignored), computed without keeping any of it. */
static long long base64_size(const char *raw, size_t len)
{
	long long chars = 0, pad = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)raw[i];
		if (c == '\\' && i + 1 < len) {
			c = (unsigned char)raw[++i];
			if (c == 'u' && i + 4 < len) {
				char hex[5] = {raw[i + 1], raw[i + 2], raw[i + 3], raw[i + 4], 0};
				c = (unsigned)strtoul(hex, NULL, 16);
				i += 4;
			} else if (c == 'n' || c == 'r' || c == 't') {
				c = ' ';
			}
		}
		if (c == '=')
			pad++;
		else if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			chars++;
	}
	return (chars + pad) / 4 * 3 - pad + (chars + pad) % 4 * 3 / 4;
}

static void decode_network(struct decoder *dec, struct js *s, struct sd_network *n)
{
	const char *e = dec->empty;
	*n = (struct sd_network){.id = e, .name = e, .driver = e, .scope = e, .stack = e};
	struct objects_decoder *o = &dec->objects;
	size_t nsubnets = 0;
	const char *k;
	size_t kl;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "Id"))
			n->id = docker_take_string(dec, s);
		else if (JS_KEY(k, kl, "Name"))
			n->name = docker_take_string(dec, s);
		else if (JS_KEY(k, kl, "Driver"))
			n->driver = docker_take_interned(dec, s);
		else if (JS_KEY(k, kl, "Scope"))
			n->scope = docker_take_interned(dec, s);
		else if (JS_KEY(k, kl, "Created"))
			n->created = docker_take_time(s);
		else if (JS_KEY(k, kl, "Attachable"))
			n->attachable = js_bool(s);
		else if (JS_KEY(k, kl, "Internal"))
			n->internal = js_bool(s);
		else if (JS_KEY(k, kl, "Ingress"))
			n->ingress = js_bool(s);
		else if (JS_KEY(k, kl, "Labels"))
			docker_take_stack(dec, s, &n->stack);
		else if (JS_KEY(k, kl, "IPAM")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (!JS_KEY(k, kl, "Config")) {
					js_skip(s);
					continue;
				}
				for (int c = 0; js_array_next(s, &c);)
					for (int d = 0; js_object_next(s, &d, &k, &kl);) {
						if (!JS_KEY(k, kl, "Subnet")) {
							js_skip(s);
							continue;
						}
						o->strings = docker_grow(o->strings, &o->cap_strings,
									 nsubnets + 1, sizeof(*o->strings));
						o->strings[nsubnets++] = docker_take_interned(dec, s);
					}
			}
		} else
			js_skip(s);
	}
	n->nsubnets = nsubnets;
	n->subnets = copy_strings(dec, o->strings, nsubnets);
}

static void decode_secret_or_config(struct decoder *dec, struct js *s,
				    struct sd_swarm_object *obj, bool config)
{
	const char *e = dec->empty;
	*obj = (struct sd_swarm_object){.id = e, .name = e, .stack = e, .size = config ? 0 : -1};
	const char *k, *raw;
	size_t kl, len;
	for (int a = 0; js_object_next(s, &a, &k, &kl);) {
		if (JS_KEY(k, kl, "ID")) {
			obj->id = docker_take_string(dec, s);
		} else if (JS_KEY(k, kl, "CreatedAt")) {
			obj->created = docker_take_time(s);
		} else if (JS_KEY(k, kl, "UpdatedAt")) {
			obj->updated = docker_take_time(s);
		} else if (JS_KEY(k, kl, "Spec")) {
			for (int b = 0; js_object_next(s, &b, &k, &kl);) {
				if (JS_KEY(k, kl, "Name"))
					obj->name = docker_take_string(dec, s);
				else if (JS_KEY(k, kl, "Labels"))
					docker_take_stack(dec, s, &obj->stack);
				else if (config && JS_KEY(k, kl, "Data") &&
					 js_string_raw(s, &raw, &len, NULL))
					obj->size = base64_size(raw, len);   /* measured, not kept */
				else
					js_skip(s);   /* a secret's Data, were it ever sent, too */
			}
		} else {
			js_skip(s);
		}
	}
}

void docker_decode_object(struct decoder *dec, enum list_kind kind, struct js *s)
{
	struct objects_decoder *o = &dec->objects;
	if (kind == LIST_NETWORKS) {
		struct sd_network n;
		decode_network(dec, s, &n);
		if (s->err)
			return;
		o->networks = docker_grow(o->networks, &o->cap_networks, o->nnetworks + 1,
					  sizeof(*o->networks));
		o->networks[o->nnetworks++] = n;
	} else if (kind == LIST_SECRETS || kind == LIST_CONFIGS) {
		bool config = kind == LIST_CONFIGS;
		struct sd_swarm_object obj;
		decode_secret_or_config(dec, s, &obj, config);
		if (s->err)
			return;
		if (config) {
			o->configs = docker_grow(o->configs, &o->cap_configs, o->nconfigs + 1,
						 sizeof(*o->configs));
			o->configs[o->nconfigs++] = obj;
		} else {
			o->secrets = docker_grow(o->secrets, &o->cap_secrets, o->nsecrets + 1,
						 sizeof(*o->secrets));
			o->secrets[o->nsecrets++] = obj;
		}
	} else {
		js_skip(s);
	}
}

/* ---- the finish ---- */

static int compare_networks(const void *a, const void *b)
{
	const struct sd_network *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static int compare_objects(const void *a, const void *b)
{
	const struct sd_swarm_object *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->id, y->id);
}

static bool uses(const char **ids, size_t n, const char *id, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ids[i], id) || (*name && !strcmp(ids[i], name)))
			return true;
	return false;
}

/* The services (names, in services order) whose uses of WHICH name ID or NAME. */
static const char **users(struct decoder *dec, const struct sd_swarm *sw, int which,
			  const char *id, const char *name, size_t *count)
{
	struct objects_decoder *o = &dec->objects;
	size_t n = 0;
	for (size_t i = 0; i < sw->nservices; i++) {
		const struct sd_service_uses *u = &sw->services[i]->uses;
		const char **ids = which == USE_NETWORK ? u->networks
				   : which == USE_SECRET ? u->secrets : u->configs;
		size_t nids = which == USE_NETWORK ? u->nnetworks
			      : which == USE_SECRET ? u->nsecrets : u->nconfigs;
		if (!uses(ids, nids, id, name))
			continue;
		o->strings = docker_grow(o->strings, &o->cap_strings, n + 1, sizeof(*o->strings));
		o->strings[n++] = sw->services[i]->name;
	}
	*count = n;
	return copy_strings(dec, o->strings, n);
}

void docker_objects_finish(struct decoder *dec, struct sd_swarm *sw)
{
	struct objects_decoder *o = &dec->objects;
	sd_swarm_sum_stacks(sw, dec->arena);
	for (size_t i = 0; i < sw->nservices; i++)
		sd_stack_count(&sw->totals, sw->services[i], 1);
	sw->objects_read = o->read;
	sw->objects_error = *o->error ? sd_arena_strdup(dec->arena, o->error) : dec->empty;

	if (o->nnetworks > 1)
		qsort(o->networks, o->nnetworks, sizeof(*o->networks), compare_networks);
	if (o->nsecrets > 1)
		qsort(o->secrets, o->nsecrets, sizeof(*o->secrets), compare_objects);
	if (o->nconfigs > 1)
		qsort(o->configs, o->nconfigs, sizeof(*o->configs), compare_objects);
	for (size_t i = 0; i < o->nnetworks; i++) {
		struct sd_network *n = &o->networks[i];
		n->services = users(dec, sw, USE_NETWORK, n->id, n->name, &n->nservices);
	}
	for (size_t i = 0; i < o->nsecrets; i++) {
		struct sd_swarm_object *x = &o->secrets[i];
		x->services = users(dec, sw, USE_SECRET, x->id, x->name, &x->nservices);
	}
	for (size_t i = 0; i < o->nconfigs; i++) {
		struct sd_swarm_object *x = &o->configs[i];
		x->services = users(dec, sw, USE_CONFIG, x->id, x->name, &x->nservices);
	}
	sw->nnetworks = o->nnetworks;
	sw->networks = o->nnetworks ? sd_arena_alloc(dec->arena, o->nnetworks * sizeof(*sw->networks))
				    : NULL;
	if (o->nnetworks)
		memcpy(sw->networks, o->networks, o->nnetworks * sizeof(*sw->networks));
	sw->nsecrets = o->nsecrets;
	sw->secrets = o->nsecrets ? sd_arena_alloc(dec->arena, o->nsecrets * sizeof(*sw->secrets))
				  : NULL;
	if (o->nsecrets)
		memcpy(sw->secrets, o->secrets, o->nsecrets * sizeof(*sw->secrets));
	sw->nconfigs = o->nconfigs;
	sw->configs = o->nconfigs ? sd_arena_alloc(dec->arena, o->nconfigs * sizeof(*sw->configs))
				  : NULL;
	if (o->nconfigs)
		memcpy(sw->configs, o->configs, o->nconfigs * sizeof(*sw->configs));
}

void docker_objects_free(struct decoder *dec)
{
	struct objects_decoder *o = &dec->objects;
	free(o->networks);
	free(o->secrets);
	free(o->configs);
	for (int i = 0; i < 3; i++)
		free(o->scratch[i]);
	free(o->strings);
	memset(o, 0, sizeof(*o));
}
