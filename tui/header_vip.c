/* header_vip.c - the header's front-door badge: `VIP manager-1` (ok colour; warning when a
 * keepalived node does not answer or the holder is not a configured node), `VIP none` in
 * the critical colour when the VIP answers nowhere, `VIP ?` before the first look. Drawn
 * only when the config has a vip section, so a screen without one is unchanged. */
#include "header_vip.h"
#include "term.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

void header_vip_badge(const struct sd_snapshot *s, int left, int right)
{
	if (!s->vip_status.configured)
		return;
	const struct sd_vip *v = s->vip;
	const char *who = !v ? "?" : *v->holder ? v->holder : "none";
	enum sd_color_role role = !v ? SD_ROLE_UNKNOWN : *v->holder ? SD_ROLE_OK : SD_ROLE_CRITICAL;
	if (v && *v->holder) {
		bool known = false;
		for (size_t i = 0; i < v->nnodes; i++) {
			if (!v->nodes[i].answers)
				role = SD_ROLE_WARNING;
			if (!strcmp(v->nodes[i].name, v->holder))
				known = true;
		}
		if (!known)
			role = SD_ROLE_WARNING;
	}
	char badge[160];
	snprintf(badge, sizeof(badge), " VIP %s ", who);
	int width = text_width(badge), x = right - width - 1;
	if (x < left + 1) /* never over the header's own text: a wider terminal shows it */
		return;
	term_put(0, x, badge, width, term_attr(role) | (int)A_BOLD);
}
