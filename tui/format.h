/* format.h - how the panes write ages and sizes, one way everywhere. */
#ifndef SD_FORMAT_H
#define SD_FORMAT_H

#include <stddef.h>
#include <time.h>

void fmt_age(time_t since, char *buf, size_t len);       /* "3m", "2h", "5d"; "-" for 0 */
void fmt_bytes(long long bytes, char *buf, size_t len);  /* "1.2 MiB" */

#endif
