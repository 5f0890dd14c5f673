/* play.h - drill playback through the console, and its report. */
#ifndef SD_PLAY_H
#define SD_PLAY_H

#include "conf/drill.h"
#include "ui.h"

#include <signal.h>
#include <time.h>

struct play_step {
	bool ran, passed, has_mark;
	double duration, mark_time;
	char message[1200];
};

struct play_result {
	time_t started;
	double duration, rto;    /* rto < 0: not measured */
	bool passed, rto_met;
	enum sd_level health;    /* of the final snapshot */
	struct play_step *steps;
	size_t nsteps;
};


/* Play DRILL (already checked). 0 when every step passed and the RTO was met. */
int play_drill(struct ui *ui, const struct sd_drill *drill, struct play_result *result);
void play_result_free(struct play_result *result);
/* Markdown, or JSON when PATH ends in .json; "-" is stdout. */
int play_report(const char *path, const struct sd_drill *drill, const struct play_result *result);

#endif
