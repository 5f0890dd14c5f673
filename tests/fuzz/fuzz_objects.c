/* fuzz_objects.c - the Swarm objects' decoders (networks, secrets, configs) and the services'
 * uses of them: the input is /services, /networks, /secrets and /configs answers in four
 * sections, then a fifth whose bytes are piece sizes. Decoded whole and fed in those pieces,
 * both must agree (refuse both, or give the same stacks, networks, secrets and configs),
 * and the snapshot JSON must hold every object of the part. */
#include "fuzz.h"
#include "swarm_json.h"
#include "backends/docker/docker.h"
#include "model/snapjson.h"

#include <stdlib.h>
#include <string.h>

static char *section_text(json_t *root, const char *key)
{
	return json_dumps(json_object_get(root, key), JSON_COMPACT | JSON_ENCODE_ANY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[5] = {NULL, NULL, NULL, NULL, NULL};
	size_t lens[5] = {0, 0, 0, 0, 0};
	fuzz_sections(data, size, parts, lens, 5);
	size_t pieces[16], npieces = 0;
	for (size_t i = 0; i < lens[4] && npieces < 16; i++)
		pieces[npieces++] = (unsigned char)parts[4][i];
	struct sd_docker_bodies b = {
		.services = parts[0], .services_len = lens[0], .networks = parts[1],
		.networks_len = lens[1], .secrets = parts[2], .secrets_len = lens[2],
		.configs = parts[3], .configs_len = lens[3],
	};
	struct sd_swarm *whole = NULL, *chunked = NULL;
	char whole_err[512] = "", chunk_err[512] = "";
	int whole_rc = sd_docker_decode_bodies(&b, NULL, 0, &whole, whole_err, sizeof(whole_err));
	int chunk_rc = sd_docker_decode_bodies(&b, pieces, npieces, &chunked, chunk_err,
					       sizeof(chunk_err));
	FUZZ_ASSERT((whole_rc == 0) == (chunk_rc == 0), "whole: %s; chunked: %s",
		    whole_rc == 0 ? "decoded" : whole_err, chunk_rc == 0 ? "decoded" : chunk_err);
	if (whole_rc != 0) {
		FUZZ_ASSERT(whole_err[0] && !whole, "refused without a message");
		return 0;
	}
	json_t *a = fuzz_swarm_json(whole), *c = fuzz_swarm_json(chunked);
	static const char *const keys[] = {"stacks", "networks", "secrets", "configs", "services"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *x = section_text(a, keys[i]), *y = section_text(c, keys[i]);
		FUZZ_ASSERT(x && y && !strcmp(x, y), "%s differ: %s / %s", keys[i], x, y);
		free(x);
		free(y);
	}
	FUZZ_ASSERT(json_array_size(json_object_get(a, "networks")) == whole->nnetworks &&
			    json_array_size(json_object_get(a, "secrets")) == whole->nsecrets &&
			    json_array_size(json_object_get(a, "configs")) == whole->nconfigs,
		    "an object missing from the JSON");
	json_decref(a);
	json_decref(c);
	sd_part_unref(whole);
	sd_part_unref(chunked);
	return 0;
}
