/* bench.c - the figures behind `make bench` that need no lab: a full refresh (decode + model +
 * health) of a synthetic swarm of 100 nodes, 2,000 services and 20,000 tasks made from the
 * lab's captured responses; one frame at 200x60 of the console drawing it; and the peak RSS
 * of the real binary following a fake engine that serves that swarm. */
#include "core.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "base/clock.h"
#include "base/error.h"
#include "backends/docker/docker.h"
#include "model/health.h"
#include "backends/pg/pg.h"
#include "backends/redis/sentinel.h"
#include "synth.h"
#include "term.h"
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODES 100
#define SERVICES 2000
#define TASKS 20000

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), compare_double);
	return v[n / 2];
}

struct texts {
	char *info, *nodes, *services, *tasks;
	size_t info_len, nodes_len, services_len, tasks_len;
};

static struct sd_swarm *decode(const struct texts *t)
{
	char err[256];
	struct sd_swarm *sw = NULL;
	if (sd_docker_decode(t->info, t->info_len, t->nodes, t->nodes_len, t->services,
			     t->services_len, t->tasks, t->tasks_len, &sw, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench: decode: %s\n", err);
		exit(1);
	}
	return sw;
}

static void bench_refresh(const struct texts *t)
{
	enum { RUNS = 15 };
	double total[RUNS], health[RUNS];
	for (int i = 0; i < RUNS; i++) {
		double t0 = sd_now();
		struct sd_swarm *sw = decode(t);
		double t1 = sd_now();
		struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
		snap->swarm = sw;
		snap->docker_status.configured = snap->docker_status.answered = true;
		snap->docker_status.reachable = true;
		sd_health_evaluate(snap, NULL);
		double t2 = sd_now();
		total[i] = (t2 - t0) * 1000;
		health[i] = (t2 - t1) * 1000;
		sd_snapshot_unref(snap);
	}
	double mb = (double)(t->nodes_len + t->services_len + t->tasks_len) / 1e6;
	printf("full refresh, %d nodes / %d services / %d tasks (%.1f MB of JSON):\n", NODES,
	       SERVICES, TASKS, mb);
	printf("  decode + model + health: median %.1f ms (health alone %.2f ms), goal < 50 ms\n",
	       median(total, RUNS), median(health, RUNS));
}

/* One node whose labels make MB megabytes of JSON (distinct keys and values, as a node
 * carrying an inventory in its labels would). */
static char *big_node(size_t mb, size_t *len)
{
	size_t want = mb << 20, cap = want + 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return NULL;
	n += (size_t)snprintf(buf + n, cap - n,
			      "[{\"ID\":\"bignode\",\"Version\":{\"Index\":7},\"Spec\":{"
			      "\"Role\":\"worker\",\"Availability\":\"active\",\"Labels\":{");
	for (unsigned i = 0; n + 200 < want; i++)
		n += (size_t)snprintf(buf + n, cap - n,
				      "%s\"inventory.item.%08u\":\"rack-%04u/slot-%03u/serial-%08x-%08x\"",
				      i ? "," : "", i, i % 9973, i % 97, i * 2654435761u, ~i);
	n += (size_t)snprintf(buf + n, cap - n,
			      "}},\"Description\":{\"Hostname\":\"big\"},"
			      "\"Status\":{\"State\":\"ready\",\"Addr\":\"10.0.0.9\"}}]");
	*len = n;
	return buf;
}

/* The streaming decoder's cost on one large element, fed as curl delivers it (16 KB at a
 * time): linear when the time and the arena grow as the input does. */
static void bench_big_labels(void)
{
	static const size_t sizes[] = {1, 4, 16};
	const size_t piece = 16384;
	printf("one node with large labels, streamed in %zu KB pieces:\n", piece >> 10);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		size_t len = 0;
		char *text = big_node(sizes[i], &len);
		if (!text) {
			printf("  %zu MB: out of memory\n", sizes[i]);
			return;
		}
		char err[256];
		struct sd_swarm *sw = NULL;
		double t0 = sd_now();
		int rc = sd_docker_decode_chunks(NULL, 0, text, len, NULL, 0, NULL, 0, &piece, 1, &sw,
						 err, sizeof(err));
		double took = sd_now() - t0;
		if (rc != 0 || !sw || sw->nnodes != 1) {
			printf("  %zu MB: decode failed: %s\n", sizes[i], rc ? err : "no node");
		} else {
			double arena = (double)sd_arena_size(sw->part.arena);
			printf("  %2zu MB of labels (%zu labels): %8.1f ms, %6.1f ms/MB; arena %7.1f MB "
			       "(%.2fx the input)\n", sizes[i], sw->nodes[0].nlabels, took * 1000,
			       took * 1000 / ((double)len / (1 << 20)), arena / (1 << 20),
			       arena / (double)len);
		}
		fflush(stdout);
		sd_part_unref(sw);
		free(text);
	}
}

static void bench_frame(const struct texts *t)
{
	setenv("LINES", "60", 1);
	setenv("COLUMNS", "200", 1);
	setenv("TERM", "xterm-256color", 1);
	struct sd_config config = {0};
	config.docker.host = (char *)"unix:///nonexistent/bench.sock";
	config.docker.timeout_ms = 100;
	config.docker.tls_verify = -1;
	config.interval = 1000;
	config.scale_max = 100;
	config.audit_log = (char *)"/dev/null";
	config.cluster_name = (char *)"bench";
	struct sd_theme theme;
	struct sd_keymap keymap;
	struct sd_error err;
	if (sd_theme_load(NULL, &theme, &err) != 0 || sd_keymap_load(NULL, sd_action_find, &keymap, &err) != 0) {
		fprintf(stderr, "bench: %s\n", err.text);
		exit(1);
	}
	struct sd_core *core = sd_core_new(&config, SD_MODE_LIVE, &err);
	bool utf8, color;
	char why[256];
	if (ui_bind_navigation(why, sizeof(why)) != 0) {
		fprintf(stderr, "bench: %s\n", why);
		exit(1);
	}
	if (!core || term_start(true, &theme, &utf8, &color) != 0) {
		fprintf(stderr, "bench: cannot start the core or the off-screen terminal\n");
		exit(1);
	}
	struct ui ui;
	ui_init(&ui, core, &config, &keymap, &theme);
	ui.utf8 = utf8;
	ui.color = color;
	enum { RUNS = 40 };
	double fresh[RUNS], steady[RUNS];
	for (int i = 0; i < RUNS; i++) {
		/* a new snapshot arrives: views rebuild, then the frame is drawn */
		sd_core_put_swarm(core, decode(t));
		ui_update(&ui);
		double t0 = sd_now();
		ui_draw(&ui);
		double t1 = sd_now();
		ui.dirty = true;
		ui_draw(&ui);
		double t2 = sd_now();
		fresh[i] = (t1 - t0) * 1000;
		steady[i] = (t2 - t1) * 1000;
		ui_key(&ui, 'j'); /* move, so the next frame differs */
	}
	/* the heaviest subject: the tasks of a node (a scan of every task) */
	ui_action(&ui, sd_action_get(SD_ACTION_FOCUS_NODES));
	ui_action(&ui, sd_action_get(SD_ACTION_OPEN));
	double node[RUNS];
	for (int i = 0; i < RUNS; i++) {
		sd_core_put_swarm(core, decode(t));
		ui_update(&ui);
		double t0 = sd_now();
		ui_draw(&ui);
		node[i] = (sd_now() - t0) * 1000;
	}
	ui_free(&ui);
	term_stop();
	sd_core_free(core);
	sd_keymap_free(&keymap);
	sd_theme_free(&theme);
	printf("one frame at 200x60 (off-screen terminal, %s):\n", utf8 ? "UTF-8" : "ASCII");
	printf("  after a new snapshot: median %.2f ms; unchanged snapshot: median %.2f ms;\n"
	       "  tasks of a node after a new snapshot: median %.2f ms; goal < 5 ms\n",
	       median(fresh, RUNS), median(steady, RUNS), median(node, RUNS));
}

/* The real binary, headless, following a fake engine with the large swarm. */
static void bench_rss(const char *binary)
{
	char dir[] = "/tmp/sdbench.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("bench: mkdtemp");
		return;
	}
	char sock[256], config[256], drill[256];
	snprintf(sock, sizeof(sock), "%s/engine.sock", dir);
	snprintf(config, sizeof(config), "%s/config.yaml", dir);
	snprintf(drill, sizeof(drill), "%s/drill.yaml", dir);
	pid_t engine = sd_synth_serve(sock, NODES, SERVICES, TASKS);
	if (engine < 0) {
		fprintf(stderr, "bench: fake engine: %s\n", sd_synth_error());
		return;
	}
	FILE *f = fopen(config, "w");
	fprintf(f, "docker:\n  host: unix://%s\n  timeout_ms: 20000\ninterval: 1\naudit_log: %s/audit.log\n",
		sock, dir);
	fclose(f);
	f = fopen(drill, "w");
	fprintf(f, "drill: rss\nsteps:\n  - expect_screen: \"Services \\\\(%d\\\\)\"\n    timeout: 60s\n"
		   "  - keys: \"1<Enter>\"\n  - wait: 5s\n  - keys: \"2jjj\"\n  - wait: 3s\n", SERVICES);
	fclose(f);
	pid_t child = fork();
	if (child == 0) {
		setenv("LINES", "60", 1);
		setenv("COLUMNS", "200", 1);
		execl(binary, binary, "--config", config, "--play", drill, "--headless", (char *)NULL);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	wait4(child, &status, 0, &ru);
	sd_synth_stop(engine);
	printf("peak RSS of swarmdeck following that swarm for ~10 s (headless, refresh every 1 s):\n");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		printf("  %.1f MB, goal < 30 MB\n", (double)ru.ru_maxrss / 1024);
	else
		printf("  the run failed (status %d); no figure\n", status);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
}

static double seconds_of(const char *command, int runs)
{
	double t0 = sd_now();
	for (int i = 0; i < runs; i++)
		if (system(command) != 0)
			return -1;
	return (sd_now() - t0) / runs;
}

/* One data-tier refresh (every PostgreSQL member, every Sentinel and Redis node) against
 * the same facts gathered the seeds' way: psql -c per member, redis-cli SENTINEL calls. */
static void bench_data_tier(const char *config_path)
{
	struct sd_config config;
	struct sd_error e;
	if (sd_config_load(config_path, &config, &e) != 0 || !config.postgres.configured ||
	    !config.redis.configured) {
		printf("data tier: no lab config with postgres and redis (%s)\n", config_path);
		return;
	}
	struct sd_pg_backend *pg = sd_pg_open(&config);
	struct sd_sentinel_backend *sentinel = sd_sentinel_open(&config);
	char err[256];
	struct sd_pg *pg_part = NULL;
	struct sd_redis *redis_part = NULL;
	enum { RUNS = 50 };
	double t[RUNS];
	for (int i = -1; i < RUNS; i++) { /* the first connects */
		double t0 = sd_now();
		struct sd_pg *next = NULL;
		struct sd_redis *rnext = NULL;
		sd_pg_fetch(pg, pg_part, &next, err, sizeof(err));
		sd_sentinel_fetch(sentinel, redis_part, &rnext, err, sizeof(err));
		if (i >= 0)
			t[i] = (sd_now() - t0) * 1000;
		sd_part_unref(pg_part);
		sd_part_unref(redis_part);
		pg_part = next;
		redis_part = rnext;
	}
	double ours = median(t, RUNS);
	char cmd[4096];
	size_t n = 0;
	for (size_t i = 0; i < config.postgres.nmembers; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n,
			"PGPASSFILE=%s psql -X -At -d '%s connect_timeout=3' -c 'select pg_is_in_recovery(), "
			"pg_current_wal_lsn(), * from pg_stat_replication' > /dev/null 2>&1 || "
			"PGPASSFILE=%s psql -X -At -d '%s' -c 'select pg_is_in_recovery(), pg_last_wal_replay_lsn()' "
			"> /dev/null; ", config.postgres.password_file, config.postgres.members[i].conninfo,
			config.postgres.password_file, config.postgres.members[i].conninfo);
	char host[128];
	snprintf(host, sizeof(host), "%s", config.redis.sentinels[0]);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = ' ';
	char *h = host, *port = colon ? colon + 1 : (char *)"26379";
	if (colon)
		*colon = '\0';
	snprintf(cmd + n, sizeof(cmd) - n,
		 "redis-cli -h %s -p %s SENTINEL masters > /dev/null && "
		 "redis-cli -h %s -p %s SENTINEL replicas %s > /dev/null", h, port, h, port,
		 config.redis.master_name);
	double seeds = seconds_of(cmd, 10) * 1000;
	printf("one data-tier refresh (%zu PostgreSQL members, %zu Sentinels, master and replicas):\n",
	       config.postgres.nmembers, config.redis.nsentinels);
	printf("  swarmdeck: median %.1f ms; psql -c per member + redis-cli SENTINEL masters/replicas: "
	       "%.1f ms; %.0fx faster, goal >= 10x\n", ours, seeds, ours > 0 ? seeds / ours : 0);
	sd_part_unref(pg_part);
	sd_part_unref(redis_part);
	sd_pg_close(pg);
	sd_sentinel_close(sentinel);
	sd_config_free(&config);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--data-tier")) {
		bench_data_tier(argv[2]);
		return 0;
	}
	struct texts t = {0};
	t.info = sd_synth_info(&t.info_len);
	t.nodes = sd_synth_nodes(NODES, &t.nodes_len);
	t.services = sd_synth_services(SERVICES, &t.services_len);
	t.tasks = sd_synth_tasks(TASKS, SERVICES, NODES, &t.tasks_len);
	if (!t.info || !t.nodes || !t.services || !t.tasks) {
		fprintf(stderr, "bench: synthetic swarm: %s\n", sd_synth_error());
		return 1;
	}
	bench_refresh(&t);
	bench_frame(&t);
	free(t.info);
	free(t.nodes);
	free(t.services);
	free(t.tasks);
	bench_rss(argc > 1 ? argv[1] : "./swarmdeck");
	/* last: the child's peak RSS above would count this process's pages at the fork */
	bench_big_labels();
	return 0;
}
