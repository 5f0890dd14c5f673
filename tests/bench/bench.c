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
#include "timeline.h"
#include "term.h"
#include "ui.h"

#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
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
	fprintf(f, "docker:\n  host: unix://%s\n  timeout_ms: 20000\ninterval: 1\n"
		   "resync_interval: 1\naudit_log: %s/audit.log\n", sock, dir);
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

/* ---- an event's cost: one service changed, at 1x, 4x and 16x a swarm ---- */

static const size_t change_scale[] = {1, 4, 16};
#define SCALE_NODES 25
#define SCALE_SERVICES 500
#define SCALE_TASKS 5000

/* One service changed in process: the filtered answers decoded and applied to the part
 * before, the timeline's comparison and the health of the new snapshot. */
static void bench_change_in_process(void)
{
	printf("one service changed, in process (decode of its two filtered answers, applied to "
	       "the part before, timeline, health):\n");
	for (size_t k = 0; k < sizeof(change_scale) / sizeof(*change_scale); k++) {
		size_t nn = SCALE_NODES * change_scale[k], ns = SCALE_SERVICES * change_scale[k],
		       nt = SCALE_TASKS * change_scale[k];
		struct texts t = {0};
		t.info = sd_synth_info(&t.info_len);
		t.nodes = sd_synth_nodes(nn, &t.nodes_len);
		t.services = sd_synth_services(ns, &t.services_len);
		t.tasks = sd_synth_tasks(nt, ns, nn, &t.tasks_len);
		if (!t.info || !t.nodes || !t.services || !t.tasks) {
			printf("  synthetic swarm: %s\n", sd_synth_error());
			return;
		}
		struct sd_swarm *base = decode(&t);
		/* the middle service's answers, as the engine gives them */
		json_t *svcs = json_loads(t.services, 0, NULL), *tasks = json_loads(t.tasks, 0, NULL);
		json_t *svc = json_array_get(svcs, ns / 2), *one = json_array(), *mine = json_array();
		const char *id = json_string_value(json_object_get(svc, "ID"));
		json_array_append(one, svc);
		size_t i;
		json_t *task;
		json_array_foreach(tasks, i, task)
			if (!strcmp(json_string_value(json_object_get(task, "ServiceID")) ?: "", id))
				json_array_append(mine, task);
		char *sbody = json_dumps(one, JSON_COMPACT), *tbody = json_dumps(mine, JSON_COMPACT);
		struct sd_docker_bodies delta = {.nodes = "[]", .nodes_len = 2, .services = sbody,
						 .services_len = strlen(sbody), .tasks = tbody,
						 .tasks_len = strlen(tbody)};
		struct sd_timeline *tl = sd_timeline_open("/dev/null", 0);
		enum { RUNS = 41 };
		double took[RUNS];
		int failed = 0;
		for (int r = 0; r < RUNS; r++) {
			char err[256];
			double t0 = sd_now();
			struct sd_swarm *next = NULL;
			if (sd_docker_apply_bodies(base, "service", id, &delta, &next, err,
						   sizeof(err)) != 0) {
				failed = 1;
				break;
			}
			sd_timeline_swarm(tl, base, next, 0);
			struct sd_snapshot *snap = sd_part_new(sizeof(*snap));
			snap->swarm = next;
			snap->docker_status.configured = snap->docker_status.answered = true;
			snap->docker_status.reachable = true;
			sd_health_evaluate(snap, NULL);
			took[r] = (sd_now() - t0) * 1000;
			sd_snapshot_unref(snap);
		}
		if (failed)
			printf("  %zux: the change could not be applied\n", change_scale[k]);
		else
			printf("  %2zux (%zu nodes / %zu services / %zu tasks): median %.3f ms, goal < 1 ms\n",
			       change_scale[k], nn, ns, nt, median(took, RUNS));
		sd_timeline_free(tl);
		free(sbody);
		free(tbody);
		json_decref(one);
		json_decref(mine);
		json_decref(svcs);
		json_decref(tasks);
		sd_part_unref(base);
		free(t.info);
		free(t.nodes);
		free(t.services);
		free(t.tasks);
	}
}

/* A console following a synthetic engine: --watch in a tmux session of its own (a real
 * terminal's screen, drawn as an operator would see it), found by its config's path. */
struct console {
	char dir[64], sock[128], session[64];
	pid_t engine, pid;
};

static pid_t pid_of(const char *pattern)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "pgrep -f -n -- '%s'", pattern);
	FILE *p = popen(cmd, "r");
	int pid = 0;
	if (p) {
		if (fscanf(p, "%d", &pid) != 1)
			pid = 0;
		pclose(p);
	}
	return (pid_t)pid;
}

static int console_start(struct console *c, const char *binary, size_t nn, size_t ns,
			 size_t nt, double resync)
{
	snprintf(c->dir, sizeof(c->dir), "/tmp/sdbench.XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	char config[128], cmd[1024];
	snprintf(c->sock, sizeof(c->sock), "%s/engine.sock", c->dir);
	snprintf(config, sizeof(config), "%s/config.yaml", c->dir);
	snprintf(c->session, sizeof(c->session), "sdbench-%s", c->dir + 13);
	c->engine = sd_synth_serve(c->sock, nn, ns, nt);
	if (c->engine < 0)
		return -1;
	FILE *f = fopen(config, "w");
	fprintf(f, "docker:\n  host: unix://%s\n  timeout_ms: 20000\ninterval: 2\n"
		   "resync_interval: %g\naudit_log: %s/audit.log\ntimeline:\n  path: %s/timeline\n",
		c->sock, resync, c->dir, c->dir);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "tmux new-session -d -s %s -x 200 -y 60 'env TERM=xterm-256color TZ=UTC "
		 "XDG_STATE_HOME=%s %s --watch --config %s'", c->session, c->dir, binary, config);
	if (system(cmd) != 0)
		return -1;
	/* the console itself, not the tmux server nor a shell whose command line names it */
	char pattern[200];
	snprintf(pattern, sizeof(pattern), "^[^ ]*swarmdeck --watch --config %s", config);
	for (int i = 0; i < 50 && !c->pid; i++) {
		sd_sleep(0.1);
		c->pid = pid_of(pattern);
	}
	return c->pid > 0 ? 0 : -1;
}

static void console_stop(struct console *c)
{
	char cmd[160];
	if (c->session[0]) {
		snprintf(cmd, sizeof(cmd), "tmux kill-session -t %s 2>/dev/null", c->session);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: tmux session %s was gone\n", c->session);
	}
	sd_synth_stop(c->engine);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	if (c->dir[0] && system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", c->dir);
}

/* CPU seconds of every thread of PID so far (schedstat: nanoseconds on a CPU). */
static double cpu_seconds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	double total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char file[400];
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, e->d_name);
		FILE *f = fopen(file, "r");
		unsigned long long ns = 0;
		if (f && fscanf(f, "%llu", &ns) == 1)
			total += (double)ns / 1e9;
		if (f)
			fclose(f);
	}
	closedir(d);
	return total;
}

/* The console's idle CPU over IDLE seconds on the bench swarm beside the same console
 * resyncing every 2 s (the old behaviour), both at once. */
static void bench_idle(const char *binary)
{
	enum { IDLE = 60 };
	printf("idle CPU of the console over %d s, %d nodes / %d services / %d tasks (--watch in "
	       "tmux at 200x60, events up, nothing changing):\n", IDLE, NODES, SERVICES, TASKS);
	struct console now = {0}, old = {0};
	if (console_start(&now, binary, NODES, SERVICES, TASKS, 30) < 0 ||
	    console_start(&old, binary, NODES, SERVICES, TASKS, 2) < 0) {
		printf("  could not start the consoles: %s\n", sd_synth_error());
		console_stop(&now);
		console_stop(&old);
		return;
	}
	sd_sleep(10);   /* their first full fetch */
	double a0 = cpu_seconds(now.pid), b0 = cpu_seconds(old.pid), t0 = sd_now();
	sd_sleep(IDLE);
	double span = sd_now() - t0;
	double a = (cpu_seconds(now.pid) - a0) / span, b = (cpu_seconds(old.pid) - b0) / span;
	printf("  resync_interval 30 s: %.3f%% of a core; beside it resync every 2 s (the old "
	       "behaviour): %.3f%%, %.1fx more; goal < 0.5%%\n", a * 100, b * 100,
	       a > 0 ? b / a : 0);
	console_stop(&now);
	console_stop(&old);
}

/* At 1x, 4x and 16x, the CPU of one service change (an event, its two requests, the new
 * part, the screen), the console's idle rate over the seconds before taken off. The chain
 * of changes is fetched whole again after 64 + services/8 of them: fewer than that here. */
static void bench_changes(const char *binary)
{
	enum { BEFORE = 10, CHANGES = 100 };
	const double spacing = 0.2;   /* more than the 150 ms a burst is merged in */
	printf("one service change by an event, CPU of the console (%d changes %.2f s apart, "
	       "no resync nor full fetch among them, the idle rate of the %d s before taken off; "
	       "the screen redrawn each time):\n", CHANGES, spacing, BEFORE);
	for (size_t k = 0; k < sizeof(change_scale) / sizeof(*change_scale); k++) {
		size_t nn = SCALE_NODES * change_scale[k], ns = SCALE_SERVICES * change_scale[k],
		       nt = SCALE_TASKS * change_scale[k];
		struct console c = {0};
		if (console_start(&c, binary, nn, ns, nt, 600) < 0) {
			printf("  %zux: could not start: %s\n", change_scale[k], sd_synth_error());
			console_stop(&c);
			continue;
		}
		sd_sleep(5 + (double)change_scale[k] / 2);   /* the first full fetch */
		double i0 = cpu_seconds(c.pid), s0 = sd_now();
		sd_sleep(BEFORE);
		double idle = (cpu_seconds(c.pid) - i0) / (sd_now() - s0);
		double cpu0 = cpu_seconds(c.pid);
		s0 = sd_now();
		for (int i = 0; i < CHANGES; i++) {
			sd_synth_change(c.engine);
			sd_sleep(spacing);
		}
		double cpu = cpu_seconds(c.pid) - cpu0, s = sd_now() - s0;
		printf("  %2zux (%zu nodes / %zu services / %zu tasks): %.3f ms a change (idle "
		       "%.3f%%), goal < 1 ms at every size\n", change_scale[k], nn, ns, nt,
		       (cpu - idle * s) / CHANGES * 1000, idle * 100);
		console_stop(&c);
	}
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
	/* the figures of an event's cost alone; "changes": without the minute of idle CPU */
	const char *events_only = getenv("SD_BENCH_EVENTS_ONLY");
	if (events_only) {
		bench_change_in_process();
		if (strcmp(events_only, "in-process") && strcmp(events_only, "changes"))
			bench_idle(argc > 1 ? argv[1] : "./swarmdeck");
		if (strcmp(events_only, "in-process"))
			bench_changes(argc > 1 ? argv[1] : "./swarmdeck");
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
	bench_change_in_process();
	if (!getenv("SD_BENCH_NO_IDLE")) {
		bench_idle(argc > 1 ? argv[1] : "./swarmdeck");
		bench_changes(argc > 1 ? argv[1] : "./swarmdeck");
	}
	/* last: the child's peak RSS above would count this process's pages at the fork */
	bench_big_labels();
	return 0;
}
