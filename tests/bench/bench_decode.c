/* bench_decode.c - time and memory of a full Docker refresh on a synthetic swarm. */
#include "bench_decode.h"
#include "docker.h"
#include "model.h"
#include "synth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void best_and_median(double *times, int n, double *best, double *median)
{
	qsort(times, (size_t)n, sizeof(*times), compare_double);
	*best = times[0];
	*median = times[n / 2];
}

/* VmHWM / VmRSS from /proc/self/status, in KB. */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = atol(line + n + 1);
	if (f)
		fclose(f);
	return kb;
}

/* the children report through a pipe: a result struct, or 'E' and a message */
struct report {
	char tag;
	struct sd_bench_decode r;
	char err[256];
};

static void child_decode(const struct sd_bench_decode *in, struct report *rep)
{
	size_t li, ln, ls, lt;
	char *info = sd_synth_info(&li), *nodes = sd_synth_nodes(in->nodes, &ln);
	char *services = sd_synth_services(in->services, &ls);
	char *tasks = sd_synth_tasks(in->tasks, in->services, in->nodes, &lt);
	if (!info || !nodes || !services || !tasks) {
		snprintf(rep->err, sizeof(rep->err), "synthetic swarm: %s", sd_synth_error());
		return;
	}
	rep->r.bytes = li + ln + ls + lt;
	double *times = calloc((size_t)in->rounds, sizeof(double));
	for (int i = 0; i < in->rounds; i++) {
		struct sd_swarm *sw = NULL;
		double t0 = now_ms();
		if (sd_docker_decode(info, li, nodes, ln, services, ls, tasks, lt, &sw, rep->err,
				     sizeof(rep->err)) != 0)
			return;
		times[i] = now_ms() - t0;
		if (sw->ntasks != in->tasks || sw->nservices != in->services) {
			snprintf(rep->err, sizeof(rep->err), "decoded %zu services and %zu tasks",
				 sw->nservices, sw->ntasks);
			return;
		}
		rep->r.arena_bytes = sd_arena_size(sw->part.arena);
		sd_part_unref(sw);
	}
	best_and_median(times, in->rounds, &rep->r.decode_best_ms, &rep->r.decode_median_ms);
	free(times);
	rep->tag = 'R';
}

static void child_fetch(const struct sd_bench_decode *in, struct report *rep)
{
	char sock[128], host[160];
	snprintf(sock, sizeof(sock), "/tmp/sdbench-docker-%d.sock", (int)getpid());
	snprintf(host, sizeof(host), "unix://%s", sock);
	/* the engine is forked before this process grows */
	pid_t engine = sd_synth_serve(sock, in->nodes, in->services, in->tasks);
	if (engine < 0) {
		snprintf(rep->err, sizeof(rep->err), "%s", sd_synth_error());
		return;
	}
	struct sd_docker_config config = {.host = host, .tls_verify = 0, .timeout_ms = 30000};
	struct sd_docker *docker = sd_docker_open(&config, rep->err, sizeof(rep->err));
	double *times = calloc((size_t)in->rounds, sizeof(double));
	struct sd_swarm *kept = NULL;
	/* reset the high-water mark to what this process holds now (Linux >= 4.0) */
	FILE *clear = fopen("/proc/self/clear_refs", "w");
	if (clear) {
		fputs("5", clear);
		fclose(clear);
	}
	rep->r.fetch_base_rss_kb = status_kb("VmRSS");
	for (int i = 0; docker && i < in->rounds; i++) {
		struct sd_swarm *sw = NULL;
		double t0 = now_ms();
		if (sd_docker_fetch(docker, &sw, rep->err, sizeof(rep->err)) != 0)
			goto done;
		times[i] = now_ms() - t0;
		sd_part_unref(kept);   /* the previous part lives until the new one is out */
		kept = sw;
	}
	rep->r.fetch_peak_rss_kb = status_kb("VmHWM");
	best_and_median(times, in->rounds, &rep->r.fetch_best_ms, &rep->r.fetch_median_ms);
	rep->tag = 'R';
done:
	sd_part_unref(kept);
	sd_docker_close(docker);
	free(times);
	sd_synth_stop(engine);
	unlink(sock);
}

static int run_child(void (*fn)(const struct sd_bench_decode *, struct report *),
		     const struct sd_bench_decode *in, struct sd_bench_decode *out, char *err,
		     size_t errlen)
{
	int fds[2];
	if (pipe(fds) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		struct report rep = {.tag = 'E', .r = *in};
		fn(in, &rep);
		ssize_t w = write(fds[1], &rep, sizeof(rep));
		_exit(w == (ssize_t)sizeof(rep) ? 0 : 1);
	}
	close(fds[1]);
	struct report rep;
	size_t got = 0;
	while (got < sizeof(rep)) {
		ssize_t r = read(fds[0], (char *)&rep + got, sizeof(rep) - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (got != sizeof(rep)) {
		snprintf(err, errlen, "the measuring process died");
		return -1;
	}
	if (rep.tag != 'R') {
		snprintf(err, errlen, "%s", rep.err);
		return -1;
	}
	*out = rep.r;
	return 0;
}

int sd_bench_decode(size_t nodes, size_t services, size_t tasks, int rounds,
		    struct sd_bench_decode *out, char *err, size_t errlen)
{
	struct sd_bench_decode in = {.nodes = nodes, .services = services, .tasks = tasks,
				     .rounds = rounds > 0 ? rounds : 10};
	struct sd_bench_decode decoded, fetched;
	if (run_child(child_decode, &in, &decoded, err, errlen) < 0 ||
	    run_child(child_fetch, &in, &fetched, err, errlen) < 0)
		return -1;
	*out = decoded;
	out->fetch_best_ms = fetched.fetch_best_ms;
	out->fetch_median_ms = fetched.fetch_median_ms;
	out->fetch_peak_rss_kb = fetched.fetch_peak_rss_kb;
	out->fetch_base_rss_kb = fetched.fetch_base_rss_kb;
	return 0;
}
