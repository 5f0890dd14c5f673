/* format.c - ages and sizes as the panes show them. */
#include "format.h"

#include <math.h>
#include <stdio.h>

void fmt_age(time_t since, char *buf, size_t len)
{
	if (since <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	long s = (long)(time(NULL) - since);
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%lds", s);
	else if (s < 7200)
		snprintf(buf, len, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%ldh", s / 3600);
	else
		snprintf(buf, len, "%ldd", s / 86400);
}

void fmt_bytes(long long bytes, char *buf, size_t len)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;
	while ((v >= 1024 || v <= -1024) && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%lld B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void fmt_sparkline(const double *values, int n, int points, double max, bool utf8, char *buf,
		   size_t len)
{
	static const char *const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	static const char ascii[] = "_.-~=*#@";
	int first = n > points ? n - points : 0;
	if (max <= 0)
		for (int i = first; i < n; i++)
			if (values[i] > max)
				max = values[i];
	size_t at = 0;
	if (len)
		buf[0] = '\0';
	for (int i = first; i < n && at + 4 < len; i++) {
		double v = isnan(values[i]) ? 0 : values[i];
		int level = max > 0 ? (int)(v * 7.0 / max + 0.5) : 0;
		level = level < 0 ? 0 : level > 7 ? 7 : level;
		if (utf8)
			at += (size_t)snprintf(buf + at, len - at, "%s", blocks[level]);
		else
			buf[at++] = ascii[level], buf[at] = '\0';
	}
}
