/* header_vip.h - the front door's badge on the header line (`VIP manager-1`). */
#ifndef SD_HEADER_VIP_H
#define SD_HEADER_VIP_H

#include "model/model.h"

/* Draw the badge on row 0 ending just before column RIGHT (where the health level starts),
 * when it fits after the header's text (LEFT columns); nothing when the snapshot has no vip
 * section. */
void header_vip_badge(const struct sd_snapshot *snap, int left, int right);

#endif
