/* fuzz_decode.c - the Engine API decoders over whole buffers (sd_docker_decode): the input
 * is /info, /nodes, /services and /tasks answers in four sections. A part that decodes
 * must show every node, service and task in the snapshot JSON, and --once --json must
 * write valid JSON for it. */
#include "fuzz.h"
#include "swarm_json.h"
#include "backends/docker/docker.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[4] = {NULL, NULL, NULL, NULL};
	size_t lens[4] = {0, 0, 0, 0};
	fuzz_sections(data, size, parts, lens, 4);
	struct sd_swarm *sw = NULL;
	char err[512] = "";
	if (sd_docker_decode(parts[0], lens[0], parts[1], lens[1], parts[2], lens[2], parts[3],
			     lens[3], &sw, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] && !sw, "refused without a message");
		return 0;
	}
	json_decref(fuzz_swarm_json(sw));
	sd_part_unref(sw);
	return 0;
}
