/* timeline_prom.c - the timeline's events of Prometheus and Alertmanager: an alert that
 * starts firing or resolves between two parts, known by its whole label set (see
 * sd_timeline_prom in timeline.h). */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

static bool same_labels(const struct sd_prom_alert *a, const struct sd_prom_alert *b)
{
	if (a->nlabels != b->nlabels)
		return false;
	for (size_t i = 0; i < a->nlabels; i++) /* both sorted by key */
		if (strcmp(a->labels[i].key, b->labels[i].key) ||
		    strcmp(a->labels[i].value, b->labels[i].value))
			return false;
	return true;
}

static bool counts(const struct sd_prom_alert *a)
{
	return !a->own && !strcmp(a->state, "firing");
}

static bool firing_in(const struct sd_prom *p, const struct sd_prom_alert *a)
{
	for (size_t i = 0; i < p->nalerts; i++)
		if (counts(&p->alerts[i]) && !strcmp(p->alerts[i].name, a->name) &&
		    same_labels(&p->alerts[i], a))
			return true;
	return false;
}

static size_t one(struct sd_timeline *tl, const struct sd_prom_alert *a, const char *kind,
		  double now)
{
	char message[512];
	snprintf(message, sizeof(message), "%s %s%s%s%s", a->name,
		 strcmp(kind, "alert-firing") ? "resolved" : "firing",
		 *a->severity ? " (" : "", a->severity, *a->severity ? ")" : "");
	if (*a->summary && strcmp(kind, "alert-firing") == 0) {
		size_t len = strlen(message);
		snprintf(message + len, sizeof(message) - len, ": %s", a->summary);
	}
	return (size_t)sd_timeline_add(tl, now, "prometheus", kind, *a->target ? a->target : a->name,
				       message);
}

size_t sd_timeline_prom(struct sd_timeline *tl, const struct sd_prom *old,
			const struct sd_prom *new, double now)
{
	if (!old || !new || *old->alerts_error || *new->alerts_error)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < new->nalerts; i++)
		if (counts(&new->alerts[i]) && !firing_in(old, &new->alerts[i]))
			kept += one(tl, &new->alerts[i], "alert-firing", now);
	for (size_t i = 0; i < old->nalerts; i++)
		if (counts(&old->alerts[i]) && !firing_in(new, &old->alerts[i]))
			kept += one(tl, &old->alerts[i], "alert-resolved", now);
	return kept;
}
