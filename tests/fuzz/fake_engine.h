/* fake_engine.h - a Docker engine on a unix socket inside the harness process, answering
 * each request with the body the current input gives for it, sent as HTTP chunks whose
 * sizes come from the input too: the client's streaming decoders then see the answer cut
 * at those places. */
#ifndef SD_FUZZ_FAKE_ENGINE_H
#define SD_FUZZ_FAKE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct fake_answer {
	const char *name;        /* last segment of the request path: _ping, version, info,
	                            nodes, services, tasks, events */
	const char *body;
	size_t len;
	const char *headers;     /* extra header lines, each ending in \r\n; NULL for none */
};

/* Started once; "unix:///...". */
const char *fake_engine_host(void);

/* Answers from now on (copied); requests for other names get 404. Chunk sizes cycle through
 * PLAN, one byte each: (b & 0x7f) + 1 bytes, 64 times that when b & 0x80; an empty plan
 * sends each body as one chunk. */
void fake_engine_set(const struct fake_answer *answers, size_t n, const uint8_t *plan,
		     size_t planlen);

#endif
