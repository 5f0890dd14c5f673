/* fuzz_sentinel.c - Sentinel, master and replica replies read by the real Sentinel backend
 * (sd_sentinel_fetch) over socket pairs. The first byte of the input says how many
 * Sentinels are configured (1 + bits 0-1, at most 3), whether the Sentinels (bit 2) and the
 * nodes (bit 3) need a password, and whether a second fetch follows over the connections
 * the first one kept (bit 4). The rest is one section per connection the backend opens, in
 * the order it opens them: what the peer answers (RESP), then the peer closes. An empty
 * section is a peer that closes without answering; a connection past the last section is
 * refused.
 *
 * The harness stands in for the two hiredis calls that open and tune a TCP connection
 * (redisConnectWithTimeout, redisEnableKeepAlive): the executable's definitions come before
 * the library's. Any other connect() is a harness failure, so a change in how the backend
 * connects shows here instead of reaching the network. */
#include "fuzz.h"
#include "backends/redis/sentinel.h"

#include <hiredis/hiredis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SECTIONS 16

static const char *sections[MAX_SECTIONS];
static size_t section_lens[MAX_SECTIONS], nsections, next_section;
static int peers[MAX_SECTIONS];
static size_t npeers;

redisContext *redisConnectWithTimeout(const char *ip, int port, const struct timeval tv)
{
	(void)ip;
	(void)port;
	(void)tv;
	int sp[2];
	FUZZ_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
	redisContext *c = redisConnectFd(sp[0]);
	FUZZ_ASSERT(c, "redisConnectFd");
	if (next_section >= nsections) {
		close(sp[1]);
		c->err = REDIS_ERR_IO;
		snprintf(c->errstr, sizeof(c->errstr), "Connection refused");
		return c;
	}
	const char *p = sections[next_section];
	size_t len = section_lens[next_section++];
	while (len > 0) {
		ssize_t n = send(sp[1], p, len, MSG_NOSIGNAL);
		FUZZ_ASSERT(n > 0, "the reply does not fit in the socket pair (%zu bytes)", len);
		p += n;
		len -= (size_t)n;
	}
	shutdown(sp[1], SHUT_WR);
	peers[npeers++] = sp[1];
	return c;
}

int redisEnableKeepAlive(redisContext *c)
{
	(void)c;
	return REDIS_OK;   /* TCP keepalive has no meaning on a socket pair */
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	(void)fd;
	(void)addr;
	(void)len;
	FUZZ_ASSERT(0, "the backend connected past the socket pairs: update the harness");
}

static char sentinel_password[128], node_password[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(sentinel_password, sizeof(sentinel_password), "%s/sentinel.pass", fuzz_dir());
	snprintf(node_password, sizeof(node_password), "%s/node.pass", fuzz_dir());
	FILE *f = fopen(sentinel_password, "w");
	FILE *g = fopen(node_password, "w");
	FUZZ_ASSERT(f && g, "password files");
	fputs("sentinel-secret\n", f);
	fputs("node-secret\n", g);
	fclose(f);
	fclose(g);
	return 0;
}

static void check_part(const struct sd_redis *r)
{
	FUZZ_ASSERT(r, "no part");
	const struct sd_redis_master *m = &r->master;
	FUZZ_ASSERT(m->name && m->addr && m->flags && m->error && m->ckquorum_message,
		    "master field NULL");
	for (size_t i = 0; i < r->nreplicas; i++)
		FUZZ_ASSERT(r->replicas[i].addr && r->replicas[i].flags && r->replicas[i].link &&
			    r->replicas[i].error, "replica %zu field NULL", i);
	for (size_t i = 0; i < r->nsentinels; i++)
		FUZZ_ASSERT(r->sentinels[i].addr && r->sentinels[i].flags &&
			    r->sentinels[i].master_addr && r->sentinels[i].error,
			    "sentinel %zu field NULL", i);
	FUZZ_ASSERT(r->failover, "failover NULL");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t flags = data[0];
	nsections = fuzz_sections(data + 1, size - 1, sections, section_lens, MAX_SECTIONS);
	next_section = npeers = 0;

	static char a1[] = "127.0.0.1:26379", a2[] = "127.0.0.2:26379", a3[] = "127.0.0.3:26379";
	static char *addresses[] = {a1, a2, a3};
	static char master_name[] = "mymaster";
	struct sd_config config;
	memset(&config, 0, sizeof(config));
	config.redis.configured = true;
	config.redis.sentinels = addresses;
	config.redis.nsentinels = (flags & 3) == 3 ? 3 : (size_t)(flags & 3) + 1;
	config.redis.master_name = master_name;
	config.redis.timeout_ms = 2000;
	if (flags & 4)
		config.redis.sentinel_password_file = sentinel_password;
	if (flags & 8)
		config.redis.password_file = node_password;

	struct sd_sentinel_backend *b = sd_sentinel_open(&config);
	FUZZ_ASSERT(b, "sd_sentinel_open");
	struct sd_redis *part = NULL, *again = NULL;
	char err[512] = "";
	if (sd_sentinel_fetch(b, NULL, &part, err, sizeof(err)) < 0)
		FUZZ_ASSERT(err[0], "a failed fetch without a message");
	check_part(part);
	if (flags & 16) {
		if (sd_sentinel_fetch(b, part, &again, err, sizeof(err)) < 0)
			FUZZ_ASSERT(err[0], "a failed fetch without a message");
		check_part(again);
	}
	sd_part_unref(part);
	sd_part_unref(again);
	sd_sentinel_close(b);
	for (size_t i = 0; i < npeers; i++)
		close(peers[i]);
	return 0;
}
