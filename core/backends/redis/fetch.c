/* fetch.c - one look at the Redis side: the five Sentinel questions (SENTINEL MASTER,
 * GET-MASTER-ADDR-BY-NAME, CKQUORUM, REPLICAS, SENTINELS) sent to every Sentinel before any
 * answer is read, so Sentinels answer in parallel and one that hangs costs one timeout; then
 * INFO replication on the master and each replica the same way. Connections to Sentinels
 * and nodes are kept between fetches (a node no longer listed is let go). Decoding is in
 * decode.c. */
#include "backends/redis/node.h"
#include "backends/redis/sentinel_private.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void answer_clear(struct sentinel_answer *a, int upto)
{
	for (int k = 0; k < upto; k++) {
		if (a->reply[k])
			freeReplyObject(a->reply[k]);
		a->reply[k] = NULL;
	}
}

/* Send the five questions to every Sentinel first, then read the answers. */
static void ask_sentinels(struct sd_sentinel_backend *b, struct sentinel_answer *answers)
{
	bool *sent = xcalloc(b->nsentinels + 1, sizeof *sent);
	const char *const questions[ASK_COUNT] = {
		[ASK_MASTER] = "MASTER", [ASK_ADDR] = "GET-MASTER-ADDR-BY-NAME",
		[ASK_CKQUORUM] = "CKQUORUM", [ASK_REPLICAS] = "REPLICAS",
		[ASK_SENTINELS] = "SENTINELS"};
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		struct sd_redis_conn *c = &b->sentinel_conns[i];
		if (!c->context &&
		    sentinel_connect(b, b->sentinels[i].host, b->sentinels[i].port,
				     b->sentinel_password_file, c, a->error, sizeof a->error) < 0)
			continue;
		bool ok = true;
		for (int q = 0; q < ASK_COUNT && ok; q++)
			ok = sd_redis_send_words(c, a->error, sizeof a->error, "SENTINEL",
						 questions[q], b->master_name,
						 (const char *)NULL) == 0;
		sent[i] = ok;
	}
	for (size_t i = 0; i < b->nsentinels; i++) {
		struct sentinel_answer *a = &answers[i];
		struct sd_redis_conn *c = &b->sentinel_conns[i];
		if (!sent[i])
			continue;
		int q;
		for (q = 0; q < ASK_COUNT; q++)
			if (!(a->reply[q] = sd_redis_read(c, a->error, sizeof a->error)))
				break;
		if (q < ASK_COUNT) {
			answer_clear(a, q);
			continue;
		}
		a->reachable = true;
		/* Sentinels before 5.0 know only SLAVES */
		redisReply *r = a->reply[ASK_REPLICAS];
		if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "nknown")) {
			char why[256];
			redisReply *old = sd_redis_call_words(c, why, sizeof why, "SENTINEL",
							      "SLAVES", b->master_name,
							      (const char *)NULL);
			if (old) {
				freeReplyObject(r);
				a->reply[ASK_REPLICAS] = old;
			}
		}
	}
	free(sent);
}

static size_t node_connection(struct sd_sentinel_backend *b, const char *addr)
{
	for (size_t i = 0; i < b->nnodes; i++)
		if (!strcmp(b->nodes[i].addr, addr)) {
			b->nodes[i].used = b->fetches;
			return i;
		}
	b->nodes = xrealloc(b->nodes, (b->nnodes + 1) * sizeof *b->nodes);
	struct node_connection *n = &b->nodes[b->nnodes++];
	memset(n, 0, sizeof *n);
	n->addr = xstrdup(addr);
	n->used = b->fetches;
	return b->nnodes - 1;
}

/* Close connections to nodes that are no longer the master or a replica. */
static void node_connections_prune(struct sd_sentinel_backend *b)
{
	size_t kept = 0;
	for (size_t i = 0; i < b->nnodes; i++) {
		if (b->nodes[i].used == b->fetches) {
			b->nodes[kept++] = b->nodes[i];
			continue;
		}
		sd_redis_conn_close(&b->nodes[i].conn);
		free(b->nodes[i].addr);
	}
	b->nnodes = kept;
}

/* The earlier probe of the same node as probe I, or I. */
static size_t probe_first(const struct node_probe *probes, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (probes[j].node == probes[i].node)
			return j;
	return i;
}

/* INFO replication on every node: all asked first, then all read. Probes of one address (a
 * replica reported at the master's address, two replicas at one address, as Sentinels do
 * during a failover) share one connection and one answer: the node is asked once. */
static void ask_nodes(struct sd_sentinel_backend *b, struct node_probe *probes, size_t n)
{
	bool *sent = xcalloc(n + 1, sizeof *sent);
	for (size_t i = 0; i < n; i++)
		probes[i].node = node_connection(b, probes[i].addr);
	for (size_t i = 0; i < n; i++) {
		struct node_probe *p = &probes[i];
		struct sd_redis_conn *c = &b->nodes[p->node].conn;
		if (probe_first(probes, i) != i)
			continue;
		if (!c->context &&
		    sentinel_connect(b, p->host, (int)sd_redis_number(p->port, 0), b->password_file,
				     c, p->error, sizeof p->error) < 0)
			continue;
		sent[i] = sd_redis_send_words(c, p->error, sizeof p->error, "INFO", "replication",
					      (const char *)NULL) == 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct node_probe *p = &probes[i];
		if (!sent[i])
			continue;
		p->info = sd_redis_read(&b->nodes[p->node].conn, p->error, sizeof p->error);
		if (!p->info)
			continue;
		if (p->info->type == REDIS_REPLY_ERROR) {
			sd_set_error(p->error, sizeof p->error, "INFO: %s", p->info->str);
			freeReplyObject(p->info);
			p->info = NULL;
			continue;
		}
		if (p->info->type != REDIS_REPLY_STRING) {
			sd_set_error(p->error, sizeof p->error, "INFO: unexpected reply");
			freeReplyObject(p->info);
			p->info = NULL;
			continue;
		}
		p->reachable = true;
	}
	for (size_t i = 0; i < n; i++) {
		size_t first = probe_first(probes, i);
		if (first == i)
			continue;
		probes[i].reachable = probes[first].reachable;
		probes[i].info = probes[first].info;
		probes[i].borrowed = true;
		memcpy(probes[i].error, probes[first].error, sizeof probes[i].error);
	}
	free(sent);
}

int sd_sentinel_fetch(struct sd_sentinel_backend *b, const struct sd_redis *previous,
		      struct sd_redis **out, char *err, size_t errlen)
{
	(void)previous;
	struct sd_redis *part = sd_part_new(sizeof *part);
	struct sd_arena *arena = part->part.arena;
	*out = part;
	part->fetched_at = time(NULL);
	part->master.name = sd_arena_strdup(arena, b ? b->master_name : "");
	part->master.addr = part->master.flags = part->master.ckquorum_message = "";
	part->master.error = "";
	part->master.offset = -1;
	part->failover = "";
	if (!b) {
		sd_set_error(err, errlen, "Redis Sentinel is not configured");
		return -1;
	}
	if (!b->nsentinels) {
		sentinel_copy_events(b, part);
		sd_set_error(err, errlen, "no Sentinel configured");
		return -1;
	}

	pthread_mutex_lock(&b->fetch_lock);
	b->fetches++;
	struct sentinel_answer *answers = xcalloc(b->nsentinels, sizeof *answers);
	ask_sentinels(b, answers);
	size_t source = sentinel_choose_source(b, answers);
	sentinel_fill_sentinels(b, part, answers, source);
	int rc = 0;
	if (source == b->nsentinels) {
		sentinel_explain_no_source(b, answers, err, errlen);
		rc = -1;
	} else {
		struct node_probe *probes = NULL;
		size_t nprobes = sentinel_fill_master(part, &answers[source], &probes);
		ask_nodes(b, probes, nprobes);
		sentinel_fill_nodes(part, probes, nprobes);
		for (size_t k = 0; k < nprobes; k++)
			if (probes[k].info && !probes[k].borrowed)
				freeReplyObject(probes[k].info);
		free(probes);
	}
	node_connections_prune(b);
	for (size_t i = 0; i < b->nsentinels; i++)
		answer_clear(&answers[i], ASK_COUNT);
	free(answers);
	pthread_mutex_unlock(&b->fetch_lock);

	sentinel_copy_events(b, part);
	if (!part->failover[0] && sentinel_flag_set(part->master.flags, "failover_in_progress"))
		part->failover = "failover_in_progress";
	return rc;
}
