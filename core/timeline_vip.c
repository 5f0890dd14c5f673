/* timeline_vip.c - the front door's events on the timeline: `vip-moved` (source `vip`,
 * target the address) when the node the VIP's answer names is another than the last one
 * named. Looks where the VIP answered nowhere are skipped over: manager-1, no answer,
 * manager-2 is one move, manager-1 -> manager-2 (the outage itself is an alert). */
#include "timeline.h"

#include <stdio.h>
#include <string.h>

size_t sd_timeline_vip(struct sd_timeline *tl, const struct sd_vip *old, const struct sd_vip *new,
		       double now)
{
	if (!old || !new || !*new->holder || !*old->last_holder ||
	    !strcmp(new->holder, old->last_holder))
		return 0;
	char message[512];
	snprintf(message, sizeof(message), "%s moved from %s to %s", new->address, old->last_holder,
		 new->holder);
	return (size_t)sd_timeline_add(tl, now, "vip", "vip-moved", new->address, message);
}
