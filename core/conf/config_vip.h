/* config_vip.h - the `vip:` section (the front door: keepalived's virtual IP and the nodes
 * that may hold it), read by config.c. Errors name file:line:column like every section. */
#ifndef SD_CONFIG_VIP_H
#define SD_CONFIG_VIP_H

#include "conf/config.h"
#include "conf/read.h"

/* NODE: the section (a mapping, or an empty one placed at the key). 0, or -1 with the error. */
int conf_read_vip(const struct conf_reader *r, const struct sd_yaml *node, struct sd_config *c);
void conf_free_vip(struct sd_config *c);

#endif
