/* decode.c - Sentinel and INFO replies into the model: which Sentinel speaks for the master,
 * the Sentinel list (configured ones, then those the others know of), the master and its
 * replicas from SENTINEL MASTER/REPLICAS, and their offsets and links from INFO replication.
 * Pure: no I/O here; everything goes into the part's arena. A reply of an unexpected shape
 * decodes to empty fields, never to a crash. */
#include "backends/redis/node.h"
#include "backends/redis/sentinel_private.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "ip:port", with brackets around IPv6 addresses */
static char *format_addr(struct sd_arena *arena, const char *host, const char *port)
{
	if (strchr(host, ':'))
		return sd_arena_printf(arena, "[%s]:%s", host, port);
	return sd_arena_printf(arena, "%s:%s", host, port);
}

const char *sentinel_reply_field(const redisReply *r, const char *key)
{
	if (!r || r->type != REDIS_REPLY_ARRAY)
		return NULL;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *k = r->element[i], *v = r->element[i + 1];
		if (k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
		    !strcmp(k->str, key))
			return v->str;
	}
	return NULL;
}

/* The offset the master's INFO gives for the replica at HOST:PORT ("slaveN:ip=,port=,...,
 * offset=N"); -1 when it is not listed. */
static long long info_replica_offset(const char *info, const char *host, const char *port)
{
	char ipkey[128], portkey[32];
	snprintf(ipkey, sizeof ipkey, "ip=%s,", host);
	snprintf(portkey, sizeof portkey, ",port=%s,", port);
	for (const char *line = info; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		if (len > 6 && !strncmp(line, "slave", 5) && line[5] >= '0' && line[5] <= '9') {
			char copy[512];
			if (len >= sizeof copy)
				len = sizeof copy - 1;
			memcpy(copy, line, len);
			copy[len] = '\0';
			const char *value = strchr(copy, ':');
			const char *offset = strstr(copy, ",offset=");
			if (value && !strncmp(value + 1, ipkey, strlen(ipkey)) &&
			    strstr(copy, portkey) && offset) {
				char *end;
				long long v = strtoll(offset + 8, &end, 10);
				return end == offset + 8 || v < 0 ? -1 : v;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -1;
}

bool sentinel_flag_set(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	for (const char *p = flags; p && (p = strstr(p, flag)); p += n)
		if ((p == flags || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

static bool endpoint_matches(const struct endpoint *ep, const char *ip, const char *port)
{
	if (!ip || !port || sd_redis_number(port, -1) != ep->port)
		return false;
	if (!strcmp(ip, ep->host))
		return true;
	for (size_t i = 0; i < ep->naddresses; i++)
		if (!strcmp(ip, ep->addresses[i]))
			return true;
	return false;
}

static int compare_replicas(const void *a, const void *b)
{
	return strcmp(((const struct sd_redis_replica *)a)->addr,
		      ((const struct sd_redis_replica *)b)->addr);
}

static const char *address_reply(struct sd_arena *arena, const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		return "";
	return format_addr(arena, r->element[0]->str, r->element[1]->str);
}

/* The flags the other Sentinels' SENTINEL SENTINELS report for EP, the source's view first;
 * NULL when none lists it (N: the source, or N when there is none). */
static const char *sentinel_flags_seen(const struct sentinel_answer *answers, size_t n,
				       size_t source, const struct endpoint *ep)
{
	for (size_t step = 0; step < n; step++) {
		size_t i = (source + step) % n;
		if (!answers[i].reachable)
			continue;
		const redisReply *list = answers[i].reply[ASK_SENTINELS];
		if (list->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t k = 0; k < list->elements; k++)
			if (endpoint_matches(ep, sentinel_reply_field(list->element[k], "ip"),
					     sentinel_reply_field(list->element[k], "port")))
				return sentinel_reply_field(list->element[k], "flags");
	}
	return NULL;
}

/* The first Sentinel that knows the master speaks for it, unless another one has a newer
 * view: a newer configuration epoch, or the same epoch with the failover done. During a
 * failover the Sentinels learn the new master at different moments (the others from the
 * leader's hello, up to 2 s apart; the leader itself only once it has reconfigured the
 * replicas), and +switch-master from any of them must show. b->nsentinels when none does. */
size_t sentinel_choose_source(const struct sd_sentinel_backend *b,
			      const struct sentinel_answer *answers)
{
	size_t source = b->nsentinels;
	long long source_rank = -1;
	for (size_t i = 0; i < b->nsentinels; i++) {
		const redisReply *m = answers[i].reply[ASK_MASTER];
		if (!answers[i].reachable || m->type != REDIS_REPLY_ARRAY)
			continue;
		long long epoch = sd_redis_number(sentinel_reply_field(m, "config-epoch"), 0);
		bool busy = sentinel_flag_set(sentinel_reply_field(m, "flags"),
					      "failover_in_progress");
		long long rank = (epoch < 0 ? 0 : epoch) * 2 + (busy ? 0 : 1);
		if (rank > source_rank) {
			source = i;
			source_rank = rank;
		}
	}
	return source;
}

/* The Sentinel list: every configured one, then those the answering ones know of. */
void sentinel_fill_sentinels(const struct sd_sentinel_backend *b, struct sd_redis *part,
			     struct sentinel_answer *answers, size_t source)
{
	struct sd_arena *arena = part->part.arena;
	part->sentinels = sd_arena_alloc(arena, (b->nsentinels + 1) * sizeof *part->sentinels);
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		struct sd_redis_sentinel *s = &part->sentinels[part->nsentinels++];
		s->addr = sd_arena_strdup(arena, b->sentinels[i].label);
		s->reachable = a->reachable;
		s->master_addr = a->reachable ? address_reply(arena, a->reply[ASK_ADDR]) : "";
		const char *flags =
			sentinel_flags_seen(answers, b->nsentinels, source, &b->sentinels[i]);
		s->flags = sd_arena_strdup(arena, flags ? flags : a->reachable ? "sentinel" : "");
		if (a->reachable && a->reply[ASK_MASTER]->type == REDIS_REPLY_ERROR)
			sd_set_error(a->error, sizeof a->error, "%s", a->reply[ASK_MASTER]->str);
		s->error = sd_arena_strdup(arena, a->error);
	}
	size_t extra_cap = 0;
	for (size_t i = 0; i < b->nsentinels; i++)
		if (answers[i].reachable && answers[i].reply[ASK_SENTINELS]->type == REDIS_REPLY_ARRAY)
			extra_cap += answers[i].reply[ASK_SENTINELS]->elements;
	if (extra_cap) {
		struct sd_redis_sentinel *all = sd_arena_alloc(
			arena, (part->nsentinels + extra_cap) * sizeof *all);
		memcpy(all, part->sentinels, part->nsentinels * sizeof *all);
		part->sentinels = all;
		size_t configured = part->nsentinels;
		for (size_t i = 0; i < b->nsentinels; i++) {
			size_t who = (i + source) % b->nsentinels;   /* the source's view first */
			if (!answers[who].reachable ||
			    answers[who].reply[ASK_SENTINELS]->type != REDIS_REPLY_ARRAY)
				continue;
			const redisReply *list = answers[who].reply[ASK_SENTINELS];
			for (size_t k = 0; k < list->elements; k++) {
				const char *ip = sentinel_reply_field(list->element[k], "ip");
				const char *port = sentinel_reply_field(list->element[k], "port");
				const char *flags = sentinel_reply_field(list->element[k], "flags");
				if (!ip || !port)
					continue;
				bool known = false;
				for (size_t c = 0; c < b->nsentinels && !known; c++)
					known = endpoint_matches(&b->sentinels[c], ip, port);
				const char *addr = format_addr(arena, ip, port);
				for (size_t c = configured; c < part->nsentinels && !known; c++)
					known = !strcmp(part->sentinels[c].addr, addr);
				if (known)
					continue;
				struct sd_redis_sentinel *s = &part->sentinels[part->nsentinels++];
				s->addr = addr;
				s->flags = sd_arena_strdup(arena, flags);
				/* not asked by us: as the Sentinels see it */
				s->reachable = !sentinel_flag_set(s->flags, "s_down") &&
					       !sentinel_flag_set(s->flags, "o_down") &&
					       !sentinel_flag_set(s->flags, "disconnected");
				s->master_addr = "";
				s->error = "not in the configuration";
			}
		}
	}

}

/* Why no Sentinel could speak for the master, with each one's reason. */
void sentinel_explain_no_source(const struct sd_sentinel_backend *b,
				const struct sentinel_answer *answers, char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	char detail[768] = "";
	size_t len = 0;
	bool any = false;
	for (size_t i = 0; i < b->nsentinels; i++) {
		any = any || answers[i].reachable;
		if (len < sizeof detail)
			len += (size_t)snprintf(detail + len, sizeof detail - len, "%s%s: %s",
						i ? "; " : "", b->sentinels[i].label,
						answers[i].error);
	}
	if (any)
		sd_set_error(err, errlen, "no Sentinel answered for master %s (%s)", b->master_name,
			  detail);
	else
		sd_set_error(err, errlen, "no Sentinel answered (%s)", detail);
}

/* The master and its replicas as the Sentinel answer A sees them, into PART; the probes to
 * make (the master first, then each replica) in a malloc'ed *PROBES. Returns their count. */
size_t sentinel_fill_master(struct sd_redis *part, const struct sentinel_answer *a,
			    struct node_probe **out)
{
	struct sd_arena *arena = part->part.arena;
	const redisReply *m = a->reply[ASK_MASTER];
	const char *ip = sentinel_reply_field(m, "ip"), *port = sentinel_reply_field(m, "port");
	struct sd_redis_master *master = &part->master;
	master->name = sd_arena_strdup(arena, sentinel_reply_field(m, "name"));
	master->addr = ip && port ? format_addr(arena, ip, port) : "";
	master->flags = sd_arena_strdup(arena, sentinel_reply_field(m, "flags"));
	master->quorum = (long)sd_redis_number(sentinel_reply_field(m, "quorum"), 0);
	master->num_other_sentinels =
		(long)sd_redis_number(sentinel_reply_field(m, "num-other-sentinels"), 0);
	master->num_slaves = (long)sd_redis_number(sentinel_reply_field(m, "num-slaves"), 0);
	const redisReply *q = a->reply[ASK_CKQUORUM];
	master->ckquorum = q->type == REDIS_REPLY_STATUS;
	master->ckquorum_message = sd_arena_strdup(
		arena, (q->type == REDIS_REPLY_STATUS || q->type == REDIS_REPLY_ERROR ||
			q->type == REDIS_REPLY_STRING) ? q->str : "");

	const redisReply *list = a->reply[ASK_REPLICAS];
	size_t nlisted = list->type == REDIS_REPLY_ARRAY ? list->elements : 0;
	part->replicas = sd_arena_alloc(arena, (nlisted + 1) * sizeof *part->replicas);
	struct node_probe *probes = xcalloc(nlisted + 1, sizeof *probes);
	size_t nprobes = 0;
	if (ip && port) {
		probes[0].host = sd_arena_strdup(arena, ip);
		probes[0].port = sd_arena_strdup(arena, port);
		probes[0].addr = master->addr;
		probes[0].master = true;
		nprobes = 1;
	}
	for (size_t k = 0; k < nlisted; k++) {
		const redisReply *r = list->element[k];
		const char *rip = sentinel_reply_field(r, "ip");
		const char *rport = sentinel_reply_field(r, "port");
		if (!rip || !rport)
			continue;
		struct sd_redis_replica *rep = &part->replicas[part->nreplicas++];
		rep->addr = format_addr(arena, rip, rport);
		rep->flags = sd_arena_strdup(arena, sentinel_reply_field(r, "flags"));
		const char *link = sentinel_reply_field(r, "master-link-status");
		rep->link = !link ? "" : !strcmp(link, "ok") ? "up" : "down";
		rep->offset = sd_redis_number(sentinel_reply_field(r, "slave-repl-offset"), -1);
		rep->lag_bytes = -1;
		rep->error = "";
		probes[nprobes].host = sd_arena_strdup(arena, rip);
		probes[nprobes].port = sd_arena_strdup(arena, rport);
		probes[nprobes].addr = rep->addr;
		nprobes++;
	}
	qsort(part->replicas, part->nreplicas, sizeof *part->replicas, compare_replicas);
	*out = probes;
	return nprobes;
}

/* What the INFO replication of each probe says, into the master and replicas of PART. */
void sentinel_fill_nodes(struct sd_redis *part, const struct node_probe *probes, size_t nprobes)
{
	struct sd_arena *arena = part->part.arena;
	struct sd_redis_master *master = &part->master;
	const struct node_probe *mp = nprobes && probes[0].master ? &probes[0] : NULL;
	const char *master_info = mp && mp->reachable ? mp->info->str : NULL;
	char value[256];
	if (mp) {
		master->reachable = mp->reachable;
		master->error = sd_arena_strdup(arena, mp->error);
	}
	if (master_info) {
		master->offset = sd_redis_info_number(master_info, "master_repl_offset", -1);
		const char *role = sd_redis_info_field(master_info, "role", value, sizeof value);
		if (role && strcmp(role, "master"))
			master->error = sd_arena_printf(arena, "reports role:%s", role);
	}
	for (size_t k = mp ? 1 : 0; k < nprobes; k++) {
		const struct node_probe *p = &probes[k];
		struct sd_redis_replica *rep = NULL;
		for (size_t j = 0; j < part->nreplicas && !rep; j++)
			if (part->replicas[j].addr == p->addr)
				rep = &part->replicas[j];
		if (!rep)
			continue;
		rep->reachable = p->reachable;
		rep->error = sd_arena_strdup(arena, p->error);
		if (p->reachable) {
			const char *info = p->info->str;
			const char *v = sd_redis_info_field(info, "master_link_status", value,
							    sizeof value);
			if (v)
				rep->link = sd_arena_strdup(arena, v);
			long long off = sd_redis_info_number(info, "slave_repl_offset", -1);
			if (off >= 0)
				rep->offset = off;
			const char *role = sd_redis_info_field(info, "role", value, sizeof value);
			if (role && strcmp(role, "slave"))
				rep->error = sd_arena_printf(arena, "reports role:%s", role);
		} else if (master_info) {
			long long off = info_replica_offset(master_info, p->host, p->port);
			if (off >= 0)
				rep->offset = off;
		}
		if (master->offset >= 0 && rep->offset >= 0)
			rep->lag_bytes = master->offset > rep->offset
						 ? master->offset - rep->offset : 0;
	}
}
