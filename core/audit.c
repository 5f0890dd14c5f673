/* audit.c - the audit log: JSON lines appended with one write each and flushed to disk. */
#include "audit.h"
#include "model/snapjson.h"
#include "conf/paths.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sd_audit_default_path(void)
{
	return sd_state_path("audit.log");
}

static const char *audit_user(void)
{
	const char *user = getenv("SUDO_USER");
	if (!user || !*user)
		user = getenv("USER");
	if (!user || !*user) {
		struct passwd *pw = getpwuid(getuid());
		user = pw ? pw->pw_name : "?";
	}
	return user;
}

int sd_audit_append(const char *path, const struct sd_request *req, const char *result)
{
	char host[256] = "", when[32];
	gethostname(host, sizeof(host) - 1);
	json_t *params = json_object();
	if (req->param[0])
		json_object_set_new(params, "value", json_string(req->param));
	json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:f}",
				 "time", sd_time_rfc3339(time(NULL), when, sizeof(when)),
				 "user", audit_user(), "host", host,
				 "action", req->action ? req->action->name : "?",
				 "target", req->target_name[0] ? req->target_name : req->target,
				 "parameters", params, "result", result,
				 "message", req->result, "duration", req->duration);
	if (!line)
		return errno = EINVAL, -1;
	/* a step another action takes (the restore's scales) says whose step it is */
	if (req->part_of[0])
		json_object_set_new(line, "part_of", json_string(req->part_of));
	if (req->cluster[0])
		sd_json_set(line, "cluster", sd_json_str(req->cluster));
	char *text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(line);
	if (!text)
		return errno = ENOMEM, -1;
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room for exactly this byte: replace the NUL */

	sd_make_parents(path);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	int rc = -1;
	if (fd >= 0) {
		rc = write(fd, text, len + 1) == (ssize_t)(len + 1) && fsync(fd) == 0 ? 0 : -1;
		int saved = errno;
		close(fd);
		errno = saved;
	}
	free(text);
	return rc;
}
