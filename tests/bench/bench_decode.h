/* bench_decode.h - figures for the Docker backend on a large synthetic swarm (see synth.h). */
#ifndef SD_BENCH_DECODE_H
#define SD_BENCH_DECODE_H

#include <stddef.h>

struct sd_bench_decode {
	size_t nodes, services, tasks;   /* the swarm measured */
	size_t bytes;                    /* JSON of one refresh: /info, /nodes, /services, /tasks */
	size_t arena_bytes;              /* the swarm part it becomes */
	int rounds;
	/* sd_docker_decode on texts already in memory: decode + model */
	double decode_best_ms, decode_median_ms;
	/* sd_docker_fetch from a fake engine on a unix socket: transfer + decode + model */
	double fetch_best_ms, fetch_median_ms;
	/* peak RSS of a process that only fetches (two parts alive at once, as when a snapshot
	 * is swapped), never holding the texts: the backend's share of the program's peak */
	long fetch_peak_rss_kb, fetch_base_rss_kb;
};

/* Runs both measurements, each in a child process so neither the texts nor the other
 * measurement inflate the figures. 0, or -1 with ERR. */
int sd_bench_decode(size_t nodes, size_t services, size_t tasks, int rounds,
		    struct sd_bench_decode *out, char *err, size_t errlen);

#endif
