/* vip.h - the front door: which keepalived node holds the virtual IP, found the way an
 * operator confirms it (the check URL, asked through the VIP, answers with the serving
 * node's name), and whether each node answers its own check URL.
 *
 * Contract. A check URL answers 200 with a body whose first line is the node's name
 * (nginx: `return 200 "$hostname\n";`). One look asks the VIP and every node at once (one
 * libcurl multi handle, the backend's own easy handles, no connection reused: each look
 * asks whoever holds the address now), each request bounded by timeout_ms (connect and
 * whole transfer), so a look never takes longer than timeout_ms plus a little; proxies from
 * the environment are not used. One thread at a time calls sd_vip_fetch (the poller). */
#ifndef SD_VIP_H
#define SD_VIP_H

#include "conf/config.h"
#include "model/model.h"

#include <stddef.h>

struct sd_vip_backend;

struct sd_vip_backend *sd_vip_open(const struct sd_config *config);
void sd_vip_close(struct sd_vip_backend *b);

/* One look. *OUT is always set to a new part (the caller owns it); PREVIOUS (may be NULL)
 * carries holder_since and last_holder over. 0 when the VIP answered with a name, -1 with
 * ERR (why the VIP did not answer) otherwise. */
int sd_vip_fetch(struct sd_vip_backend *b, const struct sd_vip *previous, struct sd_vip **out,
		 char *err, size_t errlen);

/* Read one check answer: HTTP STATUS and the BODY's LEN bytes. 0 with the first line (blanks
 * trimmed) in SAYS; -1 with ERR ("HTTP 503", "an empty answer", "the first line is not a
 * name") otherwise. */
int sd_vip_parse_answer(long status, const char *body, size_t len, char *says, size_t sayslen,
			char *err, size_t errlen);

#endif
