/* test_redis_rdb.c - the Redis data-node client of core/backends/redis (node.h, rdb.h): the
 * RDB stream over the replication protocol against fake servers on socket pairs (a counted
 * transfer, a diskless one crossing buffer boundaries, keep-alives, refusals, a cut
 * transfer, a failing writer, a refused AUTH, a peer gone with SIGPIPE at its default), the
 * reply texts and INFO fields; then, when redis-server is installed, BGSAVE, INFO, CONFIG
 * GET and the stream against a real one on loopback (skipped, and said so, without it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "backends/redis/node.h"
#include "base/clock.h"
#include "backends/redis/rdb.h"

#include <errno.h>
#include <fcntl.h>
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

#define PASSWORD "rdb-test-pass-6e0b"
#define VALUE "rdb-test-value-3f81"
#define MARK "0123456789abcdef0123456789abcdef01234567"

static char top[64];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- a fake server: a thread writes the whole script, then ends the answer ---- */

struct script {
	char *data;
	size_t len;
	bool close_both;                  /* close at once (writes to it fail with EPIPE) */
};

struct fake {
	int fd;
	struct script script;
	pthread_t thread;
	bool running;
};

static struct fake fake;

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	size_t off = 0;
	while (off < f->script.len) {
		ssize_t n = send(f->fd, f->script.data + off, f->script.len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(f->fd, SHUT_WR);
	char sink[4096];
	while (recv(f->fd, sink, sizeof sink, 0) > 0)   /* until the client closes */
		;
	return NULL;
}

static int fake_connect(void *user, const char *host, int port)
{
	(void)user;
	(void)host;
	(void)port;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (fake.script.close_both) {
		close(sv[1]);
		return sv[0];
	}
	fake.fd = sv[1];
	fake.running = pthread_create(&fake.thread, NULL, fake_run, &fake) == 0;
	return sv[0];
}

static void fake_finish(void)
{
	if (fake.running) {
		pthread_join(fake.thread, NULL);
		close(fake.fd);
	}
	free(fake.script.data);
	memset(&fake, 0, sizeof fake);
}

static void script_add(const void *data, size_t len)
{
	fake.script.data = realloc(fake.script.data, fake.script.len + len + 1);
	assert_non_null(fake.script.data);
	memcpy(fake.script.data + fake.script.len, data, len);
	fake.script.len += len;
}

static void script_text(const char *text)
{
	script_add(text, strlen(text));
}

static struct sd_redis_node *fake_node(const char *password_file, char *err, size_t errlen)
{
	struct sd_redis_node_options o = {.addr = "10.0.0.1:6379", .timeout_ms = 1000,
					  .password_file = password_file,
					  .connect = fake_connect};
	return sd_redis_node_open(&o, err, errlen);
}

/* ---- a sink that keeps the bytes ---- */

struct sink {
	char *data;
	size_t len;
	long long last_bytes, last_total, progress_calls;
	bool fail;
};

static int sink_write(void *user, const void *data, size_t len, char *err, size_t errlen)
{
	struct sink *s = user;
	if (s->fail) {
		snprintf(err, errlen, "disk full (test)");
		return -1;
	}
	s->data = realloc(s->data, s->len + len + 1);
	assert_non_null(s->data);
	memcpy(s->data + s->len, data, len);
	s->len += len;
	return 0;
}

static void sink_progress(void *user, long long bytes, long long total)
{
	struct sink *s = user;
	assert_true(bytes >= s->last_bytes);
	s->last_bytes = bytes;
	s->last_total = total;
	s->progress_calls++;
}

static int stream(struct sd_redis_node *node, struct sink *s, long long *size, char *err,
		  size_t errlen)
{
	struct sd_redis_rdb_sink sink = {.write = sink_write, .progress = sink_progress,
					 .user = s};
	return sd_redis_rdb_stream(node, 5, &sink, size, err, errlen);
}

/* ---- fake-socket tests ---- */

static void test_stream_counted(void **state)
{
	(void)state;
	script_text("+OK\r\n\n\n$12\r\nREDIS0011abc");      /* keep-alives before the length */
	char err[256] = "";
	struct sd_redis_node *node = fake_node(NULL, err, sizeof err);
	assert_non_null(node);
	struct sink s = {0};
	long long size = -1;
	if (stream(node, &s, &size, err, sizeof err) != 0)
		fail_msg("stream: %s", err);
	assert_int_equal(size, 12);
	assert_int_equal(s.len, 12);
	assert_memory_equal(s.data, "REDIS0011abc", 12);
	assert_int_equal(s.last_bytes, 12);
	assert_int_equal(s.last_total, 12);
	sd_redis_node_close(node);
	fake_finish();
	free(s.data);
}

static void test_stream_diskless(void **state)
{
	(void)state;
	/* 300 KB: the payload crosses the 64 KB buffer many times, the mark lands anywhere */
	size_t n = 300 * 1024 + 7;
	char *payload = malloc(n);
	assert_non_null(payload);
	memcpy(payload, "REDIS0011", 9);
	for (size_t i = 9; i < n; i++)
		payload[i] = (char)('a' + (i * 7) % 26);
	script_text("-ERR Unrecognized REPLCONF option: rdb-only\r\n");   /* an older server */
	script_text("$EOF:" MARK "\r\n");
	script_add(payload, n);
	script_text(MARK);
	char err[256] = "";
	struct sd_redis_node *node = fake_node(NULL, err, sizeof err);
	assert_non_null(node);
	struct sink s = {0};
	long long size = -1;
	if (stream(node, &s, &size, err, sizeof err) != 0)
		fail_msg("stream: %s", err);
	assert_int_equal(size, (long long)n);
	assert_int_equal(s.len, n);
	assert_memory_equal(s.data, payload, n);
	assert_int_equal(s.last_total, -1);
	assert_true(s.progress_calls > 1);
	sd_redis_node_close(node);
	fake_finish();
	free(s.data);
	free(payload);
}

static void expect_stream_error(const char *script, const char *needle, bool fail_writer)
{
	script_text(script);
	char err[256] = "";
	struct sd_redis_node *node = fake_node(NULL, err, sizeof err);
	assert_non_null(node);
	struct sink s = {.fail = fail_writer};
	long long size = -1;
	assert_int_equal(stream(node, &s, &size, err, sizeof err), -1);
	if (!strstr(err, needle))
		fail_msg("expected '%s' in: %s", needle, err);
	/* the connection is spent: a command fails at once */
	const char *ping[] = {"PING"};
	assert_int_equal(sd_redis_node_command(node, 1, ping, NULL, 0, err, sizeof err), -1);
	sd_redis_node_close(node);
	fake_finish();
	free(s.data);
}

static void test_stream_failures(void **state)
{
	(void)state;
	expect_stream_error("+OK\r\n-NOPERM this user has no permissions\r\n", "SYNC refused: NOPERM",
			    false);
	expect_stream_error("+OK\r\n$100\r\nREDIS0011", "closed the connection", false);
	expect_stream_error("+OK\r\n$EOF:short\r\nREDIS", "malformed EOF mark", false);
	expect_stream_error("+OK\r\n*1\r\n", "unexpected reply", false);
	expect_stream_error("+OK\r\n$-5\r\n", "unexpected reply", false);
	expect_stream_error("+OK\r\n$12\r\nREDIS0011abc", "disk full (test)", true);
	expect_stream_error("", "REPLCONF", false);
}

static void test_auth_refused(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof path, "%s/fake.pass", top);
	write_file(path, PASSWORD "\n");
	script_text("-WRONGPASS invalid username-password pair\r\n");
	char err[256] = "";
	assert_null(fake_node(path, err, sizeof err));
	assert_non_null(strstr(err, "AUTH: WRONGPASS"));
	assert_non_null(strstr(err, "10.0.0.1:6379"));
	assert_null(strstr(err, PASSWORD));
	fake_finish();

	/* a password file that is not there is named */
	snprintf(path, sizeof path, "%s/missing.pass", top);
	assert_null(fake_node(path, err, sizeof err));
	assert_non_null(strstr(err, "missing.pass"));
}

/* A peer that has closed both ways: an error, and the process lives with SIGPIPE at its
 * default (requests go out with MSG_NOSIGNAL). */
static void test_peer_gone_no_sigpipe(void **state)
{
	(void)state;
	struct sigaction dfl = {.sa_handler = SIG_DFL}, old;
	sigemptyset(&dfl.sa_mask);
	assert_int_equal(sigaction(SIGPIPE, &dfl, &old), 0);
	fake.script.close_both = true;
	char err[256] = "";
	struct sd_redis_node *node = fake_node(NULL, err, sizeof err);
	assert_non_null(node);                /* no AUTH: nothing sent yet */
	const char *ping[] = {"PING"};
	assert_int_equal(sd_redis_node_command(node, 1, ping, NULL, 0, err, sizeof err), -1);
	assert_non_null(strstr(err, "PING: connection closed"));
	sd_redis_node_close(node);
	fake_finish();
	sigaction(SIGPIPE, &old, NULL);
}

static void test_replies_as_text(void **state)
{
	(void)state;
	script_text("*2\r\n$3\r\ndir\r\n$8\r\n/var/lib\r\n"       /* CONFIG GET dir */
		    "*0\r\n"                                       /* CONFIG GET nothing */
		    ":1700000000\r\n"                              /* LASTSAVE */
		    "*2\r\n$10\r\n1700000001\r\n$6\r\n123456\r\n"  /* TIME */
		    "$34\r\n# Replication\r\nrole:master\r\nnum:12\r\n"
		    "+PONG\r\n"
		    "-ERR unknown command 'NOPE'\r\n");
	char err[256] = "", value[64];
	struct sd_redis_node *node = fake_node(NULL, err, sizeof err);
	assert_non_null(node);
	assert_string_equal(sd_redis_node_addr(node), "10.0.0.1:6379");
	assert_int_equal(sd_redis_node_config_get(node, "dir", value, sizeof value, err, sizeof err), 0);
	assert_string_equal(value, "/var/lib");
	assert_int_equal(sd_redis_node_config_get(node, "nothing", value, sizeof value, err,
						  sizeof err), -1);
	assert_non_null(strstr(err, "CONFIG GET nothing"));
	long long n = 0;
	const char *lastsave[] = {"LASTSAVE"};
	assert_int_equal(sd_redis_node_integer(node, 1, lastsave, &n, err, sizeof err), 0);
	assert_int_equal(n, 1700000000);
	const char *time_argv[] = {"TIME"};
	assert_int_equal(sd_redis_node_command(node, 1, time_argv, value, sizeof value, err,
					       sizeof err), 0);
	assert_string_equal(value, "1700000001\n123456");
	char *info = NULL;
	assert_int_equal(sd_redis_node_info(node, "replication", &info, err, sizeof err), 0);
	assert_string_equal(sd_redis_info_field(info, "role", value, sizeof value), "master");
	assert_int_equal(sd_redis_info_number(info, "num", -1), 12);
	assert_int_equal(sd_redis_info_number(info, "role", -1), -1);
	assert_null(sd_redis_info_field(info, "rol", value, sizeof value));
	free(info);
	const char *ping[] = {"PING"};
	assert_int_equal(sd_redis_node_command(node, 1, ping, value, 3, err, sizeof err), 0);
	assert_string_equal(value, "PO");                  /* truncated to the room given */
	const char *nope[] = {"NOPE"};
	assert_int_equal(sd_redis_node_command(node, 1, nope, value, sizeof value, err, sizeof err),
			 -1);
	assert_string_equal(err, "NOPE: ERR unknown command 'NOPE'");
	sd_redis_node_close(node);
	fake_finish();
}

static void test_addresses(void **state)
{
	(void)state;
	char *host = NULL;
	int port = 0;
	assert_int_equal(sd_redis_parse_addr("10.0.0.1:6380", 6379, &host, &port), 0);
	assert_string_equal(host, "10.0.0.1");
	assert_int_equal(port, 6380);
	free(host);
	assert_int_equal(sd_redis_parse_addr("[fd00::1]:7000", 6379, &host, &port), 0);
	assert_string_equal(host, "fd00::1");
	assert_int_equal(port, 7000);
	free(host);
	assert_int_equal(sd_redis_parse_addr("redis-master", 6379, &host, &port), 0);
	assert_string_equal(host, "redis-master");
	assert_int_equal(port, 6379);
	free(host);
	assert_int_equal(sd_redis_parse_addr("fd00::1", 6379, &host, &port), 0);
	assert_string_equal(host, "fd00::1");
	free(host);
	const char *bad[] = {"", ":6379", "host:", "host:0", "host:65536", "host:12x", "[fd00::1",
			     "[fd00::1]x", "[]:1"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (sd_redis_parse_addr(bad[i], 6379, &host, &port) == 0)
			fail_msg("accepted '%s'", bad[i]);
	char err[128] = "";
	assert_null(sd_redis_node_open_config(NULL, "host:notaport", err, sizeof err));
	assert_non_null(strstr(err, "host:notaport"));
}

/* ---- a real redis-server on loopback ---- */

static struct {
	pid_t pid;
	int port;
	char dir[128], password_file[160];
} server;

static void server_stop(void)
{
	if (server.pid > 0) {
		kill(server.pid, SIGKILL);
		waitpid(server.pid, NULL, 0);
		server.pid = 0;
	}
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

static struct sd_config server_config(void)
{
	struct sd_config c;
	memset(&c, 0, sizeof c);
	c.redis.configured = true;
	c.redis.password_file = server.password_file;
	c.redis.timeout_ms = 2000;
	return c;
}

static char *server_addr(void)
{
	static char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", server.port);
	return addr;
}

/* redis-server with a password and one key; false (and why) when it cannot run */
static bool server_start(char *why, size_t size)
{
	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		snprintf(why, size, "redis-server is not installed");
		return false;
	}
	for (int attempt = 0; attempt < 50 && !server.port; attempt++) {
		int p = 28700 + (int)((getpid() + attempt) % 100) * 2;
		if (port_free(p))
			server.port = p;
	}
	if (!server.port) {
		snprintf(why, size, "no free port");
		return false;
	}
	snprintf(server.dir, sizeof server.dir, "%s/redis", top);
	mkdir(server.dir, 0700);
	char conf[192], text[1024];
	snprintf(conf, sizeof conf, "%s/redis.conf", server.dir);
	snprintf(text, sizeof text,
		 "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\nlogfile %s/redis.log\n"
		 "dbfilename dump.rdb\nsave \"\"\nappendonly no\nrequirepass " PASSWORD "\n"
		 "repl-diskless-sync-delay 0\n",
		 server.port, server.dir, server.dir);
	write_file(conf, text);
	snprintf(server.password_file, sizeof server.password_file, "%s/redis.pass", top);
	write_file(server.password_file, PASSWORD "\n");
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("redis-server", "redis-server", conf, (char *)NULL);
		_exit(127);
	}
	server.pid = pid;
	struct sd_config c = server_config();
	for (int i = 0; i < 100; i++) {
		char err[256];
		struct sd_redis_node *node = sd_redis_node_open_config(&c, server_addr(), err,
								       sizeof err);
		if (node) {
			const char *set[] = {"SET", "rdb-test-key", VALUE};
			int rc = sd_redis_node_command(node, 3, set, NULL, 0, err, sizeof err);
			sd_redis_node_close(node);
			if (rc == 0)
				return true;
		}
		sd_sleep(0.05);
	}
	snprintf(why, size, "redis-server did not start");
	return false;
}

static void test_real_server(void **state)
{
	(void)state;
	char why[128];
	if (!server_start(why, sizeof why)) {
		if (strstr(why, "not installed")) {
			print_message("skipped: %s\n", why);
			skip();
		}
		fail_msg("%s", why);
	}
	struct sd_config c = server_config();
	char err[512] = "", value[256];
	struct sd_redis_node *node = sd_redis_node_open_config(&c, server_addr(), err, sizeof err);
	if (!node)
		fail_msg("open: %s", err);
	char *info = NULL;
	assert_int_equal(sd_redis_node_info(node, "replication", &info, err, sizeof err), 0);
	assert_string_equal(sd_redis_info_field(info, "role", value, sizeof value), "master");
	free(info);

	long long lastsave = 0;
	if (sd_redis_bgsave(node, 60, &lastsave, NULL, NULL, err, sizeof err) != 0)
		fail_msg("bgsave: %s", err);
	assert_true(lastsave > 0);
	/* a second one right away waits for the next second of LASTSAVE */
	long long second = 0;
	if (sd_redis_bgsave(node, 60, &second, NULL, NULL, err, sizeof err) != 0)
		fail_msg("bgsave: %s", err);
	assert_true(second > lastsave);
	char dir[256], name[64];
	assert_int_equal(sd_redis_node_config_get(node, "dir", dir, sizeof dir, err, sizeof err), 0);
	assert_int_equal(sd_redis_node_config_get(node, "dbfilename", name, sizeof name, err,
						  sizeof err), 0);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char file[4096];
	size_t got = fread(file, 1, sizeof file, f);
	fclose(f);
	assert_true(got > 9);
	assert_memory_equal(file, "REDIS", 5);
	assert_non_null(memmem(file, got, VALUE, strlen(VALUE)));
	sd_redis_node_close(node);

	/* the RDB over SYNC, with diskless sync off and on */
	const char *modes[] = {"no", "yes"};
	for (size_t m = 0; m < 2; m++) {
		node = sd_redis_node_open_config(&c, server_addr(), err, sizeof err);
		assert_non_null(node);
		const char *set[] = {"CONFIG", "SET", "repl-diskless-sync", modes[m]};
		assert_int_equal(sd_redis_node_command(node, 4, set, NULL, 0, err, sizeof err), 0);
		struct sink s = {0};
		long long size = 0;
		if (stream(node, &s, &size, err, sizeof err) != 0)
			fail_msg("stream (diskless %s): %s", modes[m], err);
		print_message("streamed %lld bytes (diskless %s, total reported %lld)\n", size,
			      modes[m], s.last_total);
		assert_true(s.len > 9);
		assert_int_equal(size, (long long)s.len);
		assert_memory_equal(s.data, "REDIS", 5);
		assert_non_null(memmem(s.data, s.len, VALUE, strlen(VALUE)));
		/* no REPLCONF capa eof: the master sends a counted RDB even when diskless (the
		 * $EOF: form is covered by test_stream_diskless) */
		assert_int_equal(s.last_total, (long long)s.len);
		free(s.data);
		sd_redis_node_close(node);
	}

	/* a wrong password: refused, and it never shows */
	char wrong[192];
	snprintf(wrong, sizeof wrong, "%s/wrong.pass", top);
	write_file(wrong, "not-the-password-77\n");
	c.redis.password_file = wrong;
	assert_null(sd_redis_node_open_config(&c, server_addr(), err, sizeof err));
	assert_non_null(strstr(err, "AUTH"));
	assert_null(strstr(err, "not-the-password-77"));
	server_stop();
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(top, sizeof top, "/tmp/sd-rdb-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	server_stop();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	atexit(server_stop);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_counted),
		cmocka_unit_test(test_stream_diskless),
		cmocka_unit_test(test_stream_failures),
		cmocka_unit_test(test_auth_refused),
		cmocka_unit_test(test_peer_gone_no_sigpipe),
		cmocka_unit_test(test_replies_as_text),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_real_server),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
