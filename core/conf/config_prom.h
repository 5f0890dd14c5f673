/* config_prom.h - the prometheus: and alertmanager: sections, read for config.c. */
#ifndef SD_CONF_CONFIG_PROM_H
#define SD_CONF_CONFIG_PROM_H

#include "conf/config.h"
#include "conf/read.h"

void conf_prom_defaults(struct sd_config *c);
void conf_prom_free(struct sd_config *c);
/* NODE: the section (a mapping; its own errors point at its name). 0, or -1 with the error. */
int conf_read_prometheus(const struct conf_reader *r, const struct sd_yaml *node,
			 struct sd_config *c);
int conf_read_alertmanager(const struct conf_reader *r, const struct sd_yaml *node,
			   struct sd_config *c);

#endif
