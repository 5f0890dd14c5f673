/* inspect.h - an object as text for the inspect view: the API's JSON as nested "key: value"
 * lines, and the line-by-line difference of two JSON values (a service's PreviousSpec and
 * Spec: what service.rollback would change).
 *
 * Contract: no secret's value is ever written. A key that names a secret (password, secret,
 * token, credential, private key, a Docker secret's or config's Data) has its value shown as
 * "******"; so does the value of an environment entry whose name does, the password of a URL
 * (scheme://user:PASSWORD@host) and a conninfo's password=... */
#ifndef SD_INSPECT_H
#define SD_INSPECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum sd_inspect_mark {
	SD_INSPECT_PLAIN = 0, SD_INSPECT_HEADING, SD_INSPECT_ADDED, SD_INSPECT_REMOVED,
	SD_INSPECT_GAP,           /* "…": unchanged lines left out of a difference */
};

struct sd_inspect_line {
	char *text;
	enum sd_inspect_mark mark;
};

struct sd_inspect {
	struct sd_inspect_line *lines;
	size_t n, cap;
};

void sd_inspect_free(struct sd_inspect *out);
void sd_inspect_add(struct sd_inspect *out, enum sd_inspect_mark mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* VALUE as nested lines, INDENT spaces deep. */
void sd_inspect_json(struct sd_inspect *out, const json_t *value, int indent);
/* The lines of BEFORE and AFTER (as sd_inspect_json writes them) compared: unchanged lines
 * within CONTEXT of a change as PLAIN, the others folded into one GAP; removed and added
 * lines marked. Returns the number of changed lines (0: the same). */
size_t sd_inspect_diff(struct sd_inspect *out, const json_t *before, const json_t *after,
		       size_t context);

/* True when a key or variable name names a secret. */
bool sd_inspect_secret_name(const char *name);
/* A string value as it may be shown under KEY (NULL: none): masked as the contract says.
 * Returns OUT. */
char *sd_inspect_mask(const char *key, const char *value, char *out, size_t size);

#endif
