/* clock.h - the core's one clock: monotonic time for deadlines, timeouts and durations (wall
 * time, for what is shown or stored, is time(2)). */
#ifndef SD_CLOCK_H
#define SD_CLOCK_H

#include <stdint.h>
#include <time.h>

double sd_now(void);                           /* seconds, CLOCK_MONOTONIC */
int64_t sd_now_ms(void);                       /* milliseconds, CLOCK_MONOTONIC */
struct timespec sd_deadline_after(double seconds); /* CLOCK_MONOTONIC, for timed waits */
void sd_sleep(double seconds);                 /* the whole time, across signals */

#endif
