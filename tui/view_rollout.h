/* view_rollout.h - the rollout progress view: a full-screen view over the panes that follows
 * one service.update from the moment it is submitted (tasks updated N of M, each task's
 * state, the engine's UpdateStatus state and message, elapsed time, and the result line:
 * completed, paused, or rolled back with the task error that failed the update). It reads
 * only the snapshot on screen; Esc closes it, the rollout goes on. */
#ifndef SD_VIEW_ROLLOUT_H
#define SD_VIEW_ROLLOUT_H

#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct rollout_view {
	bool open;
	char service[256];          /* the service's ID (or name) as the action targeted it */
	char from[256], to[256];    /* images: before and the one asked for */
	time_t opened;
};

/* Tasks of S desired running and running the image its spec names now: N of M (M: the
 * replicas wanted). False when S has no rollout to show (no update state). */
bool rollout_progress(const struct sd_swarm *sw, const struct sd_service *s, long *updated,
		      long *total);
/* A bar of WIDTH cells for N of M ("███░░" or "###.." without UTF-8). */
void rollout_bar(long n, long m, int width, bool utf8, char *buf, size_t len);

/* Start following SERVICE's update FROM -> TO. */
void rollout_open(struct rollout_view *v, const char *service, const char *from, const char *to);
/* The result line of the rollout as the snapshot shows it now ("" while nothing is known). */
void rollout_result(const struct rollout_view *v, const struct sd_snapshot *snap, char *buf,
		    size_t len);
/* Draw the view in rows TOP .. BOTTOM-1 of the screen. */
void rollout_draw(const struct rollout_view *v, const struct sd_snapshot *snap, int top,
		  int bottom, bool utf8);

#endif
