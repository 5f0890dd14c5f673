/* failover.c - the one mutation of the Sentinel backend: SENTINEL FAILOVER <master>, asked
 * of the first configured Sentinel that answers. Its refusal comes back verbatim ("-ERR ..."),
 * so the operator reads what the Sentinel said. */
#include "backends/redis/sentinel_private.h"
#include "base/error.h"

#include <stdio.h>

int sd_sentinel_failover(struct sd_sentinel_backend *b, char *err, size_t errlen)
{
	if (!b || !b->nsentinels) {
		sd_set_error(err, errlen, "no Sentinel configured");
		return -1;
	}
	char why[1024] = "";
	size_t len = 0;
	for (size_t i = 0; i < b->nsentinels; i++) {
		char one[256];
		struct sd_redis_conn c;
		redisReply *r = NULL;
		if (sentinel_connect(b, b->sentinels[i].host, b->sentinels[i].port,
				     b->sentinel_password_file, &c, one, sizeof one) == 0)
			r = sd_redis_call_words(&c, one, sizeof one, "SENTINEL", "FAILOVER",
						b->master_name, (const char *)NULL);
		if (!r) {
			if (len < sizeof why)
				len += (size_t)snprintf(why + len, sizeof why - len, "%s%s: %s",
							len ? "; " : "", b->sentinels[i].label, one);
			sd_redis_conn_close(&c);
			continue;
		}
		int rc = 0;
		if (r->type == REDIS_REPLY_ERROR) {
			sd_set_error(err, errlen, "-%s", r->str);   /* as the Sentinel said it */
			rc = -1;
		} else if (r->type != REDIS_REPLY_STATUS) {
			sd_set_error(err, errlen, "unexpected reply to SENTINEL FAILOVER");
			rc = -1;
		}
		freeReplyObject(r);
		sd_redis_conn_close(&c);
		return rc;
	}
	sd_set_error(err, errlen, "no Sentinel answered (%s)", why);
	return -1;
}
