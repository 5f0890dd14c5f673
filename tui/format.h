/* format.h - how the panes write ages and sizes, one way everywhere. */
#ifndef SD_FORMAT_H
#define SD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

void fmt_age(time_t since, char *buf, size_t len);       /* "3m", "2h", "5d"; "-" for 0 */
void fmt_bytes(long long bytes, char *buf, size_t len);  /* "1.2 MiB" */
/* The last POINTS of the N values as a sparkline (block characters, or ASCII when !UTF8),
 * scaled to MAX (<= 0: to the largest value shown); NAN values drawn as the lowest. */
void fmt_sparkline(const double *values, int n, int points, double max, bool utf8, char *buf,
		   size_t len);

#endif
