/* record.h - --record: what the operator types becomes a drill that plays back to the same
 * result. The recorder sees the console only through the state it is handed at each key. */
#ifndef SD_RECORD_H
#define SD_RECORD_H

#include "actions.h"
#include "model/model.h"

#include <stdbool.h>
#include <stddef.h>

struct recorder;

/* What the recorder sees of the console, taken just before and after each key. */
struct record_state {
	const struct sd_snapshot *snap;   /* the newest snapshot */
	bool confirming;                  /* a confirmation dialog is open: keys are its answer */
	unsigned submitted;               /* actions handed to the core so far */
	const struct sd_request *request; /* the last one handed over */
	bool quit;                        /* the last key quit */
};

struct recorder *recorder_open(const char *path, char *err, size_t errlen);
/* Call with the console's state before the key is handled, and recorder_after_key after. */
void recorder_key(struct recorder *rec, const struct record_state *state, int key);
void recorder_after_key(struct recorder *rec, const struct record_state *state);
/* Write the drill (the last key, quit, is left out) and free REC. 0, or -1 with ERR. */
int recorder_close(struct recorder *rec, const struct record_state *state, char *err,
		   size_t errlen);

#endif
