/* swarm_json.c - see swarm_json.h. */
#include "swarm_json.h"
#include "fuzz.h"
#include "model/snapjson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_items(json_t *root, const char *list, size_t n)
{
	json_t *a = json_object_get(root, list);
	FUZZ_ASSERT(json_is_array(a) && json_array_size(a) == n,
		    "%s: %zu in the snapshot JSON, %zu in the part", list,
		    json_is_array(a) ? json_array_size(a) : 0, n);
}

json_t *fuzz_swarm_json(struct sd_swarm *sw)
{
	struct sd_snapshot snap;
	memset(&snap, 0, sizeof(snap));
	snap.swarm = sw;
	snap.cluster_name = "fuzz";
	snap.docker_status.answered = snap.docker_status.reachable = true;
	json_t *root = sd_snapshot_json_tasks(&snap, true);
	FUZZ_ASSERT(root, "no snapshot JSON");
	expect_items(root, "nodes", sw->nnodes);
	expect_items(root, "services", sw->nservices);
	expect_items(root, "tasks", sw->ntasks);

	/* --once --json streams the tasks: its text must read back as the same JSON */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FUZZ_ASSERT(out, "open_memstream");
	sd_snapshot_write_json(&snap, out);
	fclose(out);
	json_error_t jerr;
	json_t *back = json_loadb(text, len, 0, &jerr);
	FUZZ_ASSERT(back, "--once --json wrote invalid JSON: %s at byte %d", jerr.text,
		    jerr.position);
	expect_items(back, "tasks", sw->ntasks);
	json_decref(back);
	free(text);
	return root;
}
