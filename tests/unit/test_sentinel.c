/* test_sentinel.c - the Sentinel backend, first against fake servers on socket pairs (through
 * sd_sentinel_set_connect: a master and a replica sharing one closed connection, two
 * replicas at one address, the event stream, SIGPIPE left at its default), then against
 * real redis-server processes on loopback: a master, two replicas and three Sentinels
 * (quorum 2, passwords on all of them) started in a temporary folder, then stopped, killed
 * and failed over. Everything is killed at the end, also when an assertion fails (group
 * teardown, atexit, and PR_SET_PDEATHSIG in the children). Tests after test_fetch_healthy
 * run in order on the same processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/redis/sentinel.h"
#include "base/clock.h"

#include <hiredis/hiredis.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PASSWORD "lab-requirepass-5b1d"
#define SENTINEL_PASSWORD "lab-sentinel-pass-c07e"
#define WRONG_PASSWORD "not-the-password-8e2a"
#define TIMEOUT_MS 500

enum { MASTER, REPLICA1, REPLICA2, SENTINEL1, SENTINEL2, SENTINEL3, NPROC };
static const char *const proc_names[NPROC] = {"master", "replica1", "replica2",
					      "sentinel1", "sentinel2", "sentinel3"};

static struct {
	char dir[64];
	int port[NPROC];
	int closed_port;                  /* nothing listens there */
	pid_t pid[NPROC];
	bool started;
	char why[256];                    /* why the lab is not there */
	bool skip;                        /* redis-server is not installed */
	char sentinel_addr[3][32];
	char *sentinels[3];
	char master_name[16], password_file[128], sentinel_password_file[128];
	char wrong_password_file[128], missing_password_file[128];
} lab;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool port_free(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* 20 ports in 27000-27999, chosen by pid so parallel runs (plain and ASan) do not meet */
static int choose_ports(void)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		int base = 27000 + (int)((getpid() + attempt) % 50) * 20;
		int want[] = {base, base + 1, base + 2, base + 10, base + 11, base + 12, base + 19};
		bool ok = true;
		for (size_t i = 0; i < sizeof want / sizeof *want && ok; i++)
			ok = port_free(want[i]);
		if (!ok)
			continue;
		lab.port[MASTER] = base;
		lab.port[REPLICA1] = base + 1;
		lab.port[REPLICA2] = base + 2;
		lab.port[SENTINEL1] = base + 10;
		lab.port[SENTINEL2] = base + 11;
		lab.port[SENTINEL3] = base + 12;
		lab.closed_port = base + 19;
		return 0;
	}
	return -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void lab_stop(void)
{
	for (int i = 0; i < NPROC; i++) {
		if (lab.pid[i] <= 0)
			continue;
		kill(lab.pid[i], SIGCONT);
		kill(lab.pid[i], SIGKILL);
		waitpid(lab.pid[i], NULL, 0);
		lab.pid[i] = 0;
	}
	if (lab.dir[0] && getenv("SD_TEST_KEEP_LAB") == NULL)
		nftw(lab.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	lab.dir[0] = '\0';
	lab.started = false;
}

static pid_t spawn(int which)
{
	char conf[128];
	snprintf(conf, sizeof conf, "%s/%s.conf", lab.dir, proc_names[which]);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);        /* dies with the test, whatever happens */
		if (getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (which >= SENTINEL1)
			execlp("redis-server", "redis-server", conf, "--sentinel", (char *)NULL);
		else
			execlp("redis-server", "redis-server", conf, (char *)NULL);
		_exit(127);
	}
	lab.pid[which] = pid;
	return pid;
}

/* A reply to COMMAND from the server on PORT (authenticated), or NULL. */
static redisReply *ask(int port, const char *password, const char *command)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	redisReply *r = NULL;
	if (password) {
		r = redisCommand(c, "AUTH %s", password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			if (r)
				freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	r = redisCommand(c, command);
	redisFree(c);
	return r;
}

/* Wait until the reply to COMMAND on PORT contains NEEDLE; bounded. */
static bool wait_for(int port, const char *password, const char *command, const char *needle,
		     double seconds)
{
	double end = sd_now() + seconds;
	do {
		redisReply *r = ask(port, password, command);
		bool ok = r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
			  strstr(r->str, needle);
		if (r)
			freeReplyObject(r);
		if (ok)
			return true;
		sd_sleep(0.05);
	} while (sd_now() < end);
	return false;
}

static void write_confs(void)
{
	char path[160], text[2048];
	snprintf(path, sizeof path, "%s/auth.conf", lab.dir);
	write_file(path, "requirepass " PASSWORD "\nmasterauth " PASSWORD "\n");
	for (int i = MASTER; i <= REPLICA2; i++) {
		int n = snprintf(text, sizeof text,
				 "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
				 "logfile %s/%s.log\ndbfilename %s.rdb\nsave \"\"\nappendonly no\n"
				 "repl-diskless-sync yes\nrepl-diskless-sync-delay 0\n"
				 "include %s/auth.conf\n",
				 lab.port[i], lab.dir, lab.dir, proc_names[i], proc_names[i], lab.dir);
		if (i != MASTER)
			snprintf(text + n, sizeof text - (size_t)n, "replicaof 127.0.0.1 %d\n",
				 lab.port[MASTER]);
		snprintf(path, sizeof path, "%s/%s.conf", lab.dir, proc_names[i]);
		write_file(path, text);
	}
	for (int i = SENTINEL1; i <= SENTINEL3; i++) {
		snprintf(text, sizeof text,
			 "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nlogfile %s/%s.log\n"
			 "requirepass " SENTINEL_PASSWORD "\n"
			 "sentinel sentinel-pass " SENTINEL_PASSWORD "\n"
			 "sentinel monitor mymaster 127.0.0.1 %d 2\n"
			 "sentinel auth-pass mymaster " PASSWORD "\n"
			 "sentinel down-after-milliseconds mymaster 2000\n"
			 "sentinel failover-timeout mymaster 10000\n"
			 "sentinel parallel-syncs mymaster 1\n",
			 lab.port[i], lab.dir, lab.dir, proc_names[i], lab.port[MASTER]);
		snprintf(path, sizeof path, "%s/%s.conf", lab.dir, proc_names[i]);
		write_file(path, text);
	}
	snprintf(lab.password_file, sizeof lab.password_file, "%s/redis.pass", lab.dir);
	write_file(lab.password_file, PASSWORD "\n");
	snprintf(lab.sentinel_password_file, sizeof lab.sentinel_password_file,
		 "%s/sentinel.pass", lab.dir);
	write_file(lab.sentinel_password_file, SENTINEL_PASSWORD "\n");
	snprintf(lab.wrong_password_file, sizeof lab.wrong_password_file, "%s/wrong.pass",
		 lab.dir);
	write_file(lab.wrong_password_file, WRONG_PASSWORD "\n");
	snprintf(lab.missing_password_file, sizeof lab.missing_password_file,
		 "%s/missing.pass", lab.dir);
	for (int i = 0; i < 3; i++) {
		snprintf(lab.sentinel_addr[i], sizeof lab.sentinel_addr[i], "127.0.0.1:%d",
			 lab.port[SENTINEL1 + i]);
		lab.sentinels[i] = lab.sentinel_addr[i];
	}
	snprintf(lab.master_name, sizeof lab.master_name, "mymaster");
}

static int lab_start(void **state)
{
	(void)state;
	atexit(lab_stop);
	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		lab.skip = true;
		return 0;
	}
	snprintf(lab.dir, sizeof lab.dir, "/tmp/sd-sentinel-XXXXXX");
	if (!mkdtemp(lab.dir) || choose_ports() < 0) {
		snprintf(lab.why, sizeof lab.why, "no temporary folder or no free ports");
		lab.dir[0] = '\0';
		return 0;
	}
	write_confs();
	for (int i = MASTER; i <= REPLICA2; i++)
		spawn(i);
	for (int i = MASTER; i <= REPLICA2; i++)
		if (!wait_for(lab.port[i], PASSWORD, "PING", "PONG", 10)) {
			snprintf(lab.why, sizeof lab.why, "%s did not start", proc_names[i]);
			return 0;
		}
	/* Sentinels learn the replicas from the master's INFO: start them once both synced */
	if (!wait_for(lab.port[MASTER], PASSWORD, "INFO replication", "connected_slaves:2", 15) ||
	    !wait_for(lab.port[REPLICA1], PASSWORD, "INFO replication", "master_link_status:up",
		      15) ||
	    !wait_for(lab.port[REPLICA2], PASSWORD, "INFO replication", "master_link_status:up",
		      15)) {
		snprintf(lab.why, sizeof lab.why, "the replicas did not sync");
		return 0;
	}
	for (int i = SENTINEL1; i <= SENTINEL3; i++)
		spawn(i);
	for (int i = SENTINEL1; i <= SENTINEL3; i++)
		if (!wait_for(lab.port[i], SENTINEL_PASSWORD, "PING", "PONG", 10)) {
			snprintf(lab.why, sizeof lab.why, "%s did not start", proc_names[i]);
			return 0;
		}
	lab.started = true;
	return 0;
}

static int lab_teardown(void **state)
{
	(void)state;
	lab_stop();
	return 0;
}

#define NEED_LAB()                                                                         \
	do {                                                                               \
		if (lab.skip)                                                              \
			skip();                                                            \
		if (!lab.started)                                                          \
			fail_msg("lab not running: %s", lab.why);                          \
	} while (0)

static struct sd_config lab_config(const char *password_file)
{
	struct sd_config c;
	memset(&c, 0, sizeof c);
	c.redis.configured = true;
	c.redis.sentinels = lab.sentinels;
	c.redis.nsentinels = 3;
	c.redis.master_name = lab.master_name;
	c.redis.password_file = (char *)password_file;
	c.redis.sentinel_password_file = lab.sentinel_password_file;
	c.redis.timeout_ms = TIMEOUT_MS;
	return c;
}

static char *port_addr(int which)
{
	static char buf[4][32];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 32, "127.0.0.1:%d", lab.port[which]);
	return p;
}

static const struct sd_redis_replica *find_replica(const struct sd_redis *r, int which)
{
	for (size_t i = 0; i < r->nreplicas; i++)
		if (!strcmp(r->replicas[i].addr, port_addr(which)))
			return &r->replicas[i];
	return NULL;
}

static bool has_text(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

/* No string of the part holds NEEDLE. */
static void assert_nowhere(const struct sd_redis *r, const char *needle, const char *err)
{
	const struct sd_redis_master *m = &r->master;
	assert_false(has_text(err, needle));
	assert_false(has_text(m->name, needle) || has_text(m->addr, needle) ||
		     has_text(m->flags, needle) || has_text(m->ckquorum_message, needle) ||
		     has_text(m->error, needle) || has_text(r->failover, needle));
	for (size_t i = 0; i < r->nreplicas; i++)
		assert_false(has_text(r->replicas[i].addr, needle) ||
			     has_text(r->replicas[i].flags, needle) ||
			     has_text(r->replicas[i].link, needle) ||
			     has_text(r->replicas[i].error, needle));
	for (size_t i = 0; i < r->nsentinels; i++)
		assert_false(has_text(r->sentinels[i].addr, needle) ||
			     has_text(r->sentinels[i].flags, needle) ||
			     has_text(r->sentinels[i].master_addr, needle) ||
			     has_text(r->sentinels[i].error, needle));
	for (size_t i = 0; i < r->nevents; i++)
		assert_false(has_text(r->events[i].channel, needle) ||
			     has_text(r->events[i].message, needle));
}

/* ---- without servers ---- */

struct stopper {
	volatile int stop;
	double started, returned;
	struct sd_sentinel_backend *backend;
};

static void *watch_thread(void *arg)
{
	struct stopper *s = arg;
	sd_sentinel_watch_events(s->backend, NULL, NULL, &s->stop);
	s->returned = sd_now();
	return NULL;
}

static void test_nothing_listens(void **state)
{
	(void)state;
	int port = lab.closed_port ? lab.closed_port : 27999;
	char a[32], b[40];
	snprintf(a, sizeof a, "127.0.0.1:%d", port);
	snprintf(b, sizeof b, "[::1]:%d", port);
	char *sentinels[] = {a, b};
	struct sd_config c;
	memset(&c, 0, sizeof c);
	c.redis.configured = true;
	c.redis.sentinels = sentinels;
	c.redis.nsentinels = 2;
	c.redis.timeout_ms = TIMEOUT_MS;
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	assert_non_null(backend);

	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	assert_non_null(r);
	assert_non_null(strstr(err, "no Sentinel answered"));
	assert_string_equal(r->master.name, "mymaster");
	assert_int_equal(r->nsentinels, 2);
	assert_string_equal(r->sentinels[0].addr, a);
	assert_string_equal(r->sentinels[1].addr, b);
	for (size_t i = 0; i < 2; i++) {
		assert_false(r->sentinels[i].reachable);
		assert_true(r->sentinels[i].error[0] != '\0');
	}
	assert_int_equal(r->nreplicas, 0);
	assert_string_equal(r->failover, "");
	sd_part_unref(r);

	assert_int_equal(sd_sentinel_failover(backend, err, sizeof err), -1);
	assert_non_null(strstr(err, "no Sentinel answered"));

	/* the event loop keeps retrying and still sees STOP */
	struct stopper s = {.backend = backend};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, watch_thread, &s), 0);
	sd_sleep(0.7);
	s.started = sd_now();
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	print_message("watch_events returned %.0f ms after STOP\n",
		      (s.returned - s.started) * 1000);
	sd_sentinel_close(backend);
}

static void test_null_and_empty(void **state)
{
	(void)state;
	char err[128] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(NULL, NULL, &r, err, sizeof err), -1);
	assert_non_null(r);
	sd_part_unref(r);
	struct sd_config c;
	memset(&c, 0, sizeof c);
	char bad[] = "host:notaport";
	char *list[] = {bad};
	c.redis.sentinels = list;
	c.redis.nsentinels = 1;
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	assert_int_equal(r->nsentinels, 0);
	sd_part_unref(r);
	assert_int_equal(sd_sentinel_failover(backend, err, sizeof err), -1);
	sd_sentinel_close(backend);
	sd_sentinel_close(NULL);
}

/* ---- fake servers over socket pairs ---- */

/* What a fake server at an address does when the backend connects: its whole answer is
 * written at once (replies are read in order, so a script needs no thread), then it either
 * stays open, stops sending (the backend reads end-of-file after the script), or closes
 * both ways (the backend's writes fail with EPIPE). */
enum fake_end { FAKE_STAY, FAKE_SHUT_WRITE, FAKE_CLOSE };

struct fake_server {
	const char *host;
	int port;
	const char *script;
	enum fake_end end;
	int connects;
};

static struct {
	struct fake_server servers[8];
	size_t nservers;
	int peers[64];
	size_t npeers;
} fakes;

static void fakes_reset(void)
{
	for (size_t i = 0; i < fakes.npeers; i++)
		close(fakes.peers[i]);
	memset(&fakes, 0, sizeof fakes);
}

static void fake_add(const char *host, int port, const char *script, enum fake_end end)
{
	assert_true(fakes.nservers < sizeof fakes.servers / sizeof *fakes.servers);
	fakes.servers[fakes.nservers++] =
		(struct fake_server){.host = host, .port = port, .script = script, .end = end};
}

static int fake_connect(void *user, const char *host, int port)
{
	(void)user;
	for (size_t i = 0; i < fakes.nservers; i++) {
		struct fake_server *f = &fakes.servers[i];
		if (strcmp(f->host, host) || f->port != port)
			continue;
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		f->connects++;
		size_t len = strlen(f->script);
		if (len && write(sv[1], f->script, len) != (ssize_t)len) {
			close(sv[0]);
			close(sv[1]);
			return -1;
		}
		if (f->end == FAKE_CLOSE) {
			close(sv[1]);
		} else {
			if (f->end == FAKE_SHUT_WRITE)
				shutdown(sv[1], SHUT_WR);
			if (fakes.npeers < sizeof fakes.peers / sizeof *fakes.peers)
				fakes.peers[fakes.npeers++] = sv[1];
			else
				close(sv[1]);
		}
		return sv[0];
	}
	return -1;                                /* nothing listens there */
}

/* The five answers a Sentinel gives to one fetch: the master 10.0.0.1:6379 and one replica
 * reported at that same address, as Sentinels do in the middle of a failover. */
static const char *const sentinel_mid_failover =
	"*8\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"
	"$4\r\nport\r\n$4\r\n6379\r\n$5\r\nflags\r\n$6\r\nmaster\r\n"
	"*2\r\n$8\r\n10.0.0.1\r\n$4\r\n6379\r\n"
	"+OK 1 usable Sentinels. Quorum and failover authorization can be reached\r\n"
	"*1\r\n*6\r\n$4\r\nname\r\n$13\r\n10.0.0.1:6379\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"
	"$4\r\nport\r\n$4\r\n6379\r\n"
	"*0\r\n";

static struct sd_sentinel_backend *fake_backend(void)
{
	static char sentinel[] = "10.0.0.9:26379";
	static char *list[] = {sentinel};
	struct sd_config c;
	memset(&c, 0, sizeof c);
	c.redis.configured = true;
	c.redis.sentinels = list;
	c.redis.nsentinels = 1;
	c.redis.timeout_ms = TIMEOUT_MS;
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	assert_non_null(backend);
	sd_sentinel_set_connect(backend, fake_connect, NULL);
	return backend;
}

/* The master and a replica at one address share one kept connection; the master closes it
 * without answering. Both show the failure, and nothing reads from a freed connection. */
static void test_shared_connection_closed(void **state)
{
	(void)state;
	fakes_reset();
	fake_add("10.0.0.9", 26379, sentinel_mid_failover, FAKE_STAY);
	fake_add("10.0.0.1", 6379, "", FAKE_SHUT_WRITE);
	struct sd_sentinel_backend *backend = fake_backend();
	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_string_equal(r->master.addr, "10.0.0.1:6379");
	assert_false(r->master.reachable);
	assert_true(has_text(r->master.error, "closed"));
	assert_int_equal(r->nreplicas, 1);
	assert_string_equal(r->replicas[0].addr, "10.0.0.1:6379");
	assert_false(r->replicas[0].reachable);
	assert_true(has_text(r->replicas[0].error, "closed"));
	assert_true(r->sentinels[0].reachable);
	sd_part_unref(r);

	/* the next fetch connects again (the Sentinel answers from a fresh connection) */
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	sd_part_unref(r);
	sd_sentinel_close(backend);
	fakes_reset();
}

/* Two replicas at one address, one reply for both: each gets it. */
static void test_shared_connection_answers(void **state)
{
	(void)state;
	fakes_reset();
	fake_add("10.0.0.9", 26379,
		 "*6\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"
		 "$4\r\nport\r\n$4\r\n6379\r\n"
		 "*2\r\n$8\r\n10.0.0.1\r\n$4\r\n6379\r\n"
		 "+OK\r\n"
		 "*2\r\n*4\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$4\r\nport\r\n$4\r\n6379\r\n"
		 "*4\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n$4\r\nport\r\n$4\r\n6379\r\n"
		 "*0\r\n",
		 FAKE_STAY);
	fake_add("10.0.0.1", 6379, "$35\r\nrole:master\r\nmaster_repl_offset:500\r\n",
		 FAKE_STAY);
	fake_add("10.0.0.2", 6379, "$33\r\nrole:slave\r\nslave_repl_offset:400\r\n",
		 FAKE_STAY);
	struct sd_sentinel_backend *backend = fake_backend();
	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_true(r->master.reachable);
	assert_int_equal(r->master.offset, 500);
	assert_int_equal(r->nreplicas, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(r->replicas[i].reachable);
		assert_int_equal(r->replicas[i].offset, 400);
		assert_int_equal(r->replicas[i].lag_bytes, 100);
	}
	sd_part_unref(r);
	sd_sentinel_close(backend);
	fakes_reset();
}

struct event_count {
	pthread_mutex_t lock;
	int n;
	char last[64];
};

static void count_event(void *user, const char *channel)
{
	struct event_count *c = user;
	pthread_mutex_lock(&c->lock);
	c->n++;
	snprintf(c->last, sizeof c->last, "%s", channel);
	pthread_mutex_unlock(&c->lock);
}

struct fake_watch {
	struct sd_sentinel_backend *backend;
	struct event_count *count;
	volatile int stop;
};

static void *fake_watch_thread(void *arg)
{
	struct fake_watch *w = arg;
	sd_sentinel_watch_events(w->backend, count_event, w->count, &w->stop);
	return NULL;
}

/* The event stream through the connect hook: the subscription is confirmed, Sentinel hello
 * messages are left out, a failover event is logged and shows as the failover state. */
static void test_events_over_socket_pair(void **state)
{
	(void)state;
	fakes_reset();
	fake_add("10.0.0.9", 26379,
		 "*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:1\r\n"
		 "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n"
		 "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$13\r\n+try-failover\r\n"
		 "$29\r\nmaster mymaster 10.0.0.1 6379\r\n",
		 FAKE_STAY);
	struct sd_sentinel_backend *backend = fake_backend();
	struct event_count count = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct fake_watch w = {.backend = backend, .count = &count};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, fake_watch_thread, &w), 0);
	double end = sd_now() + 5;
	int n = 0;
	while (n == 0 && sd_now() < end) {
		sd_sleep(0.02);
		pthread_mutex_lock(&count.lock);
		n = count.n;
		pthread_mutex_unlock(&count.lock);
	}
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(count.n, 1);
	assert_string_equal(count.last, "+try-failover");

	char err[512] = "";
	struct sd_redis *r = NULL;
	sd_sentinel_fetch(backend, NULL, &r, err, sizeof err);   /* the answers are not a fetch's */
	assert_int_equal(r->nevents, 1);
	assert_string_equal(r->events[0].channel, "+try-failover");
	assert_string_equal(r->events[0].sentinel, "10.0.0.9:26379");
	assert_string_equal(r->events[0].message, "master mymaster 10.0.0.1 6379");
	assert_string_equal(r->failover, "try-failover");
	sd_part_unref(r);
	sd_sentinel_close(backend);
	fakes_reset();
}

/* Opening the backend leaves SIGPIPE as the program set it, and a peer that has closed its
 * socket costs an error, not the process (SIGPIPE is at its default here). */
static void test_sigpipe_left_alone(void **state)
{
	(void)state;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old, now;
	sigemptyset(&dfl.sa_mask);
	assert_int_equal(sigaction(SIGPIPE, &dfl, &old), 0);
	fakes_reset();
	fake_add("10.0.0.9", 26379, "", FAKE_CLOSE);
	struct sd_sentinel_backend *backend = fake_backend();
	assert_int_equal(sigaction(SIGPIPE, NULL, &now), 0);
	bool unchanged = now.sa_handler == SIG_DFL;

	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	assert_false(r->sentinels[0].reachable);
	sd_part_unref(r);
	assert_int_equal(sd_sentinel_failover(backend, err, sizeof err), -1);

	/* the master's socket closed both ways */
	fakes_reset();
	fake_add("10.0.0.9", 26379, sentinel_mid_failover, FAKE_STAY);
	fake_add("10.0.0.1", 6379, "", FAKE_CLOSE);
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_false(r->master.reachable);
	sd_part_unref(r);
	sd_sentinel_close(backend);
	fakes_reset();
	sigaction(SIGPIPE, &old, NULL);
	assert_true(unchanged);
}

/* ---- against the lab ---- */

static bool healthy(const struct sd_redis *r, int rc, int master)
{
	if (rc || strcmp(r->master.addr, port_addr(master)) || r->nreplicas != 2 ||
	    r->nsentinels != 3 || r->master.num_other_sentinels != 2 || !r->master.ckquorum ||
	    !r->master.reachable)
		return false;
	for (size_t i = 0; i < r->nreplicas; i++)
		if (!r->replicas[i].reachable || strcmp(r->replicas[i].link, "up") ||
		    r->replicas[i].lag_bytes < 0)
			return false;
	for (size_t i = 0; i < r->nsentinels; i++)
		if (!r->sentinels[i].reachable ||
		    strcmp(r->sentinels[i].master_addr, port_addr(master)))
			return false;
	return true;
}

static void test_fetch_healthy(void **state)
{
	(void)state;
	NEED_LAB();
	struct sd_config c = lab_config(lab.password_file);
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	char err[512] = "";
	struct sd_redis *r = NULL;
	int rc;
	/* the Sentinels find each other through hello messages every 2 s */
	double end = sd_now() + 20;
	for (;;) {
		sd_part_unref(r);
		rc = sd_sentinel_fetch(backend, r, &r, err, sizeof err);
		if (healthy(r, rc, MASTER) || sd_now() > end)
			break;
		sd_sleep(0.2);
	}
	assert_int_equal(rc, 0);
	assert_string_equal(r->master.name, "mymaster");
	assert_string_equal(r->master.addr, port_addr(MASTER));
	assert_true(has_text(r->master.flags, "master"));
	assert_int_equal(r->master.quorum, 2);
	assert_int_equal(r->master.num_other_sentinels, 2);
	assert_int_equal(r->master.num_slaves, 2);
	assert_true(r->master.ckquorum);
	assert_true(has_text(r->master.ckquorum_message, "3 usable Sentinels"));
	assert_true(r->master.reachable);
	assert_string_equal(r->master.error, "");
	assert_true(r->master.offset > 0);
	assert_int_equal(r->nreplicas, 2);
	for (int which = REPLICA1; which <= REPLICA2; which++) {
		const struct sd_redis_replica *rep = find_replica(r, which);
		assert_non_null(rep);
		assert_true(rep->reachable);
		assert_string_equal(rep->link, "up");
		assert_true(has_text(rep->flags, "slave"));
		assert_true(rep->offset > 0);
		assert_in_range(rep->lag_bytes, 0, 1024 * 1024);
		assert_string_equal(rep->error, "");
	}
	assert_int_equal(r->nsentinels, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(r->sentinels[i].addr, lab.sentinel_addr[i]);
		assert_true(r->sentinels[i].reachable);
		assert_string_equal(r->sentinels[i].master_addr, port_addr(MASTER));
		assert_true(has_text(r->sentinels[i].flags, "sentinel"));
		assert_string_equal(r->sentinels[i].error, "");
	}
	assert_string_equal(r->failover, "");
	assert_nowhere(r, PASSWORD, err);
	assert_nowhere(r, SENTINEL_PASSWORD, err);

	/* a kept connection makes the next fetch cheap */
	double t0 = sd_now();
	const int rounds = 20;
	for (int i = 0; i < rounds; i++) {
		sd_part_unref(r);
		assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	}
	print_message("one fetch with kept connections: %.2f ms\n",
		      (sd_now() - t0) * 1000 / rounds);
	sd_part_unref(r);
	sd_sentinel_close(backend);
}

static void test_passwords_stay_secret(void **state)
{
	(void)state;
	NEED_LAB();
	char err[512] = "";
	struct sd_redis *r = NULL;

	/* a wrong requirepass: the nodes refuse, the Sentinels still answer */
	struct sd_config c = lab_config(lab.wrong_password_file);
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_false(r->master.reachable);
	assert_true(has_text(r->master.error, "AUTH"));
	assert_int_equal(r->nreplicas, 2);
	for (size_t i = 0; i < r->nreplicas; i++) {
		assert_false(r->replicas[i].reachable);
		assert_true(has_text(r->replicas[i].error, "AUTH"));
	}
	assert_nowhere(r, WRONG_PASSWORD, err);
	assert_nowhere(r, PASSWORD, err);
	sd_part_unref(r);
	sd_sentinel_close(backend);

	/* a missing password file is named, not guessed */
	c = lab_config(lab.missing_password_file);
	backend = sd_sentinel_open(&c);
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_false(r->master.reachable);
	assert_true(has_text(r->master.error, "missing.pass"));
	sd_part_unref(r);
	sd_sentinel_close(backend);

	/* no Sentinel password: every Sentinel refuses, the error says so */
	c = lab_config(lab.password_file);
	c.redis.sentinel_password_file = NULL;
	backend = sd_sentinel_open(&c);
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	assert_true(has_text(err, "NOAUTH"));
	assert_nowhere(r, SENTINEL_PASSWORD, err);
	assert_nowhere(r, PASSWORD, err);
	sd_part_unref(r);
	sd_sentinel_close(backend);
}

static void test_replica_stopped(void **state)
{
	(void)state;
	NEED_LAB();
	struct sd_config c = lab_config(lab.password_file);
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_true(find_replica(r, REPLICA2) && find_replica(r, REPLICA2)->reachable);
	sd_part_unref(r);

	assert_int_equal(kill(lab.pid[REPLICA2], SIGSTOP), 0);
	for (int round = 0; round < 2; round++) {       /* kept connection, then a new one */
		double t0 = sd_now();
		int rc = sd_sentinel_fetch(backend, NULL, &r, err, sizeof err);
		print_message("fetch with a stopped replica (%s connection): %.0f ms\n",
			      round ? "new" : "kept", (sd_now() - t0) * 1000);
		assert_int_equal(rc, 0);
		const struct sd_redis_replica *stopped = find_replica(r, REPLICA2);
		const struct sd_redis_replica *other = find_replica(r, REPLICA1);
		assert_non_null(stopped);
		assert_non_null(other);
		assert_false(stopped->reachable);
		assert_true(has_text(stopped->error, "no answer within"));
		assert_true(other->reachable);
		assert_true(r->master.reachable);
		sd_part_unref(r);
	}
	assert_int_equal(kill(lab.pid[REPLICA2], SIGCONT), 0);
	double end = sd_now() + 10;
	bool back = false;
	while (!back && sd_now() < end) {
		assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
		const struct sd_redis_replica *rep = find_replica(r, REPLICA2);
		back = rep && rep->reachable;
		sd_part_unref(r);
		if (!back)
			sd_sleep(0.1);
	}
	assert_true(back);
	sd_sentinel_close(backend);
}

static void test_sentinel_killed(void **state)
{
	(void)state;
	NEED_LAB();
	struct sd_config c = lab_config(lab.password_file);
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	char err[512] = "";
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	sd_part_unref(r);

	/* stopped: answers nothing, costs one timeout, marked unreachable */
	assert_int_equal(kill(lab.pid[SENTINEL3], SIGSTOP), 0);
	double t0 = sd_now();
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	print_message("fetch with a stopped Sentinel: %.0f ms\n", (sd_now() - t0) * 1000);
	assert_false(r->sentinels[2].reachable);
	assert_true(has_text(r->sentinels[2].error, "no answer within"));
	assert_true(r->sentinels[0].reachable && r->sentinels[1].reachable);
	assert_string_equal(r->master.addr, port_addr(MASTER));
	sd_part_unref(r);

	kill(lab.pid[SENTINEL3], SIGKILL);
	waitpid(lab.pid[SENTINEL3], NULL, 0);
	lab.pid[SENTINEL3] = 0;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	assert_string_equal(r->master.addr, port_addr(MASTER));
	assert_int_equal(r->nreplicas, 2);
	assert_int_equal(r->nsentinels, 3);
	assert_true(r->sentinels[0].reachable);
	assert_true(r->sentinels[1].reachable);
	assert_false(r->sentinels[2].reachable);
	assert_true(r->sentinels[2].error[0] != '\0');
	assert_string_equal(r->sentinels[2].master_addr, "");
	sd_part_unref(r);

	/* the same with only the first Sentinel down */
	c.redis.sentinels = &lab.sentinels[2];
	c.redis.nsentinels = 1;
	struct sd_sentinel_backend *only_dead = sd_sentinel_open(&c);
	assert_int_equal(sd_sentinel_fetch(only_dead, NULL, &r, err, sizeof err), -1);
	assert_true(has_text(err, lab.sentinel_addr[2]));
	sd_part_unref(r);
	sd_sentinel_close(only_dead);
	sd_sentinel_close(backend);
}

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int switches, events;
} seen = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static void on_event(void *user, const char *channel)
{
	(void)user;
	pthread_mutex_lock(&seen.lock);
	seen.events++;
	if (!strcmp(channel, "+switch-master"))
		seen.switches++;
	pthread_cond_broadcast(&seen.cond);
	pthread_mutex_unlock(&seen.lock);
}

struct watch_run {
	struct sd_sentinel_backend *backend;
	volatile int stop;
};

static void *events_thread(void *arg)
{
	struct watch_run *w = arg;
	sd_sentinel_watch_events(w->backend, on_event, NULL, &w->stop);
	return NULL;
}

static size_t count_events(const struct sd_redis *r, const char *channel, const char *sentinel)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nevents; i++)
		if (!strcmp(r->events[i].channel, channel) &&
		    (!sentinel || !strcmp(r->events[i].sentinel, sentinel)))
			n++;
	return n;
}

static void test_failover_and_events(void **state)
{
	(void)state;
	NEED_LAB();
	struct sd_config c = lab_config(lab.password_file);
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	struct watch_run run = {.backend = backend};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, events_thread, &run), 0);

	/* the third Sentinel comes back; the event loop reconnects to it by itself */
	if (lab.pid[SENTINEL3] <= 0)
		spawn(SENTINEL3);
	assert_true(wait_for(lab.port[SENTINEL3], SENTINEL_PASSWORD, "PING", "PONG", 10));
	for (int i = SENTINEL1; i <= SENTINEL3; i++)
		assert_true(wait_for(lab.port[i], SENTINEL_PASSWORD, "CLIENT LIST",
				     "cmd=psubscribe", 10));

	char err[512] = "";
	struct sd_redis *r = NULL;
	pthread_mutex_lock(&seen.lock);
	int switches_before = seen.switches;
	pthread_mutex_unlock(&seen.lock);
	double t0 = sd_now();
	assert_int_equal(sd_sentinel_failover(backend, err, sizeof err), 0);
	print_message("SENTINEL FAILOVER accepted in %.1f ms\n", (sd_now() - t0) * 1000);

	/* while it runs, a fetch says which state it is in */
	bool state_seen = false;
	char state_text[96] = "";
	double end = sd_now() + 30;
	for (;;) {
		pthread_mutex_lock(&seen.lock);
		bool switched = seen.switches > switches_before;
		pthread_mutex_unlock(&seen.lock);
		if (switched || sd_now() > end)
			break;
		assert_non_null(backend);
		sd_sentinel_fetch(backend, NULL, &r, err, sizeof err);
		if (r->failover[0] && !state_seen) {
			state_seen = true;
			snprintf(state_text, sizeof state_text, "%s", r->failover);
		}
		sd_part_unref(r);
		r = NULL;
		pthread_mutex_lock(&seen.lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (seen.switches == switches_before)
			pthread_cond_timedwait(&seen.cond, &seen.lock, &until);
		pthread_mutex_unlock(&seen.lock);
	}
	double switched_at = sd_now();
	print_message("+switch-master %.1f s after SENTINEL FAILOVER; state seen: %s\n",
		      switched_at - t0, state_text);
	pthread_mutex_lock(&seen.lock);
	assert_true(seen.switches > switches_before);
	pthread_mutex_unlock(&seen.lock);
	assert_true(state_seen);

	/* the next fetch, right after the event, shows the new master */
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
	print_message("fetch after +switch-master done %.0f ms after the event\n",
		      (sd_now() - switched_at) * 1000);
	assert_string_not_equal(r->master.addr, port_addr(MASTER));
	assert_true(!strcmp(r->master.addr, port_addr(REPLICA1)) ||
		    !strcmp(r->master.addr, port_addr(REPLICA2)));
	assert_true(count_events(r, "+switch-master", NULL) >= 1);
	assert_true(count_events(r, "+try-failover", NULL) >= 1);
	assert_string_equal(r->failover, "");
	char new_master[32];
	snprintf(new_master, sizeof new_master, "%s", r->master.addr);
	sd_part_unref(r);

	/* every Sentinel, the restarted one too, learns the new master and says so; the
	 * leader ends the failover once the other replica follows the new master */
	end = sd_now() + 15;
	bool agreed = false;
	while (!agreed && sd_now() < end) {
		assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), 0);
		agreed = count_events(r, "+failover-end", NULL) >= 1;
		for (size_t i = 0; i < 3 && agreed; i++)
			agreed = count_events(r, "+switch-master", lab.sentinel_addr[i]) >= 1;
		for (size_t i = 0; i < 3 && agreed; i++)
			agreed = !strcmp(r->sentinels[i].master_addr, new_master);
		if (!agreed) {
			sd_part_unref(r);
			sd_sleep(0.2);
		}
	}
	assert_true(agreed);
	assert_string_equal(r->master.addr, new_master);
	assert_string_equal(r->failover, "");
	assert_int_equal(r->nreplicas, 2);                 /* the old master is one now */
	assert_non_null(find_replica(r, MASTER));
	for (size_t i = 0; i < r->nevents; i++)
		assert_true(r->events[i].time > 0 && r->events[i].sentinel[0] &&
			    r->events[i].channel[0]);
	assert_nowhere(r, PASSWORD, err);
	assert_nowhere(r, SENTINEL_PASSWORD, err);
	sd_part_unref(r);

	double s0 = sd_now();
	__atomic_store_n(&run.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	print_message("watch_events returned %.0f ms after STOP\n", (sd_now() - s0) * 1000);
	sd_sentinel_close(backend);
}

static void test_failover_error_verbatim(void **state)
{
	(void)state;
	NEED_LAB();
	struct sd_config c = lab_config(lab.password_file);
	char other[] = "no-such-master";
	c.redis.master_name = other;
	struct sd_sentinel_backend *backend = sd_sentinel_open(&c);
	char err[512] = "";
	assert_int_equal(sd_sentinel_failover(backend, err, sizeof err), -1);
	assert_string_equal(err, "-ERR No such master with that name");
	struct sd_redis *r = NULL;
	assert_int_equal(sd_sentinel_fetch(backend, NULL, &r, err, sizeof err), -1);
	assert_true(has_text(err, "No such master"));
	assert_string_equal(r->master.name, "no-such-master");
	sd_part_unref(r);
	sd_sentinel_close(backend);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_empty),
		cmocka_unit_test(test_nothing_listens),
		cmocka_unit_test(test_shared_connection_closed),
		cmocka_unit_test(test_shared_connection_answers),
		cmocka_unit_test(test_events_over_socket_pair),
		cmocka_unit_test(test_sigpipe_left_alone),
		cmocka_unit_test(test_fetch_healthy),
		cmocka_unit_test(test_passwords_stay_secret),
		cmocka_unit_test(test_replica_stopped),
		cmocka_unit_test(test_sentinel_killed),
		cmocka_unit_test(test_failover_and_events),
		cmocka_unit_test(test_failover_error_verbatim),
	};
	return cmocka_run_group_tests(tests, lab_start, lab_teardown);
}
