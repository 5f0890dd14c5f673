/* take_pg.c - PostgreSQL dumps: the snapshot's primary, the connection target handed to
 * pg_dump and pg_restore (never a password on a command line), and pg_dump -Fc streamed
 * from its pipe into the output file. */

#include "backup/internal.h"
#include "base/child.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------ */
/* PostgreSQL                                                                                  */

/* The primary of the snapshot: the reachable member with role primary (the newest timeline
 * if several say so). NULL with ERR when there is none. */
const struct sd_pg_member *find_primary(const struct sd_snapshot *snap, char *err,
					       size_t errlen)
{
	if (!snap || !snap->pg) {
		sd_set_error(err, errlen, "no PostgreSQL state yet (is the postgres section configured?)");
		return NULL;
	}
	const struct sd_pg_member *best = NULL;
	bool tie = false;
	for (size_t i = 0; i < snap->pg->nmembers; i++) {
		const struct sd_pg_member *m = &snap->pg->members[i];
		if (!m->reachable || strcmp(m->role, "primary") != 0)
			continue;
		if (!best || m->timeline > best->timeline) {
			best = m;
			tie = false;
		} else if (m->timeline == best->timeline) {
			tie = true;
		}
	}
	if (!best) {
		sd_set_error(err, errlen, "no reachable primary in the snapshot (standbys are never used)");
		return NULL;
	}
	if (tie) {
		sd_set_error(err, errlen, "two members claim to be the primary on timeline %ld: refusing to choose",
			best->timeline);
		return NULL;
	}
	return best;
}

void pg_target_free(struct pg_target *t)
{
	free(t->conninfo);
	t->conninfo = NULL;
}

int pg_target_make(struct sd_backup_runner *r, const char *member, const char *database,
		   const char *purpose, const char *settings, struct pg_target *t,
		   char *err, size_t errlen)
{
	t->conninfo = NULL;
	if (!r->pg) {
		sd_set_error(err, errlen, "PostgreSQL is not configured");
		return -1;
	}
	const struct sd_pg_conninfo_request want = {
		.database = database, .application_name = purpose, .options = settings,
		.read_write = true, .keepalives = true,
	};
	t->conninfo = sd_pg_member_conninfo(r->pg, member, &want, err, errlen);
	return t->conninfo ? 0 : -1;
}

int take_postgres_one(struct sd_backup_runner *r, const struct sd_pg_member *primary,
			     const char *database, bool several, struct out *o, char *err,
			     size_t errlen)
{
	struct pg_target t;
	if (pg_target_make(r, primary->name, database, "swarmdeck-backup", NULL, &t, err, errlen) < 0)
		return -1;
	if (out_open(o, r, "postgres", several ? database : NULL, err, errlen) < 0) {
		pg_target_free(&t);
		return -1;
	}
	char lock_wait[64];
	snprintf(lock_wait, sizeof(lock_wait), "--lock-wait-timeout=%d", LOCK_WAIT_MS);
	const char *argv[] = {"pg_dump", "-Fc", lock_wait, "-d", t.conninfo, NULL};
	struct sd_child c;
	if (sd_child_start(&c, argv, SD_CHILD_STDOUT_PIPE, err, errlen) < 0) {
		out_abort(o);
		pg_target_free(&t);
		return -1;
	}
	char *buf = xmalloc(IO_BUFFER);
	double last_byte = sd_now();
	int rc = 0;
	char why[1536] = "";
	while (c.out_fd >= 0) {
		struct pollfd p[2] = {{.fd = c.out_fd, .events = POLLIN},
				      {.fd = c.err_fd, .events = POLLIN}};
		int n = poll(p, c.err_fd >= 0 ? 2 : 1, 1000);
		if (n < 0 && errno != EINTR) {
			sd_set_error(why, sizeof(why), "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (n > 0 && c.err_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			sd_child_read_errors(&c);
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t got = read(c.out_fd, buf, IO_BUFFER);
			if (got < 0 && errno != EINTR && errno != EAGAIN) {
				sd_set_error(why, sizeof(why), "reading pg_dump's output: %s", strerror(errno));
				rc = -1;
				break;
			}
			if (got == 0)
				break;
			if (got > 0) {
				last_byte = sd_now();
				if (o->size == 0 && (got < 5 || memcmp(buf, "PGDMP", 5) != 0)) {
					sd_set_error(why, sizeof(why), "pg_dump wrote something that is not a custom-format dump");
					rc = -1;
					break;
				}
				if (out_write(o, buf, (size_t)got, why, sizeof(why)) < 0) {
					rc = -1;
					break;
				}
				/* small reads: let the pipe fill a little so reads stay large */
				if ((size_t)got < IO_BUFFER / 8)
					sd_sleep(0.002);
			}
		}
		if (sd_now() - last_byte > DUMP_IDLE_LIMIT) {
			sd_set_error(why, sizeof(why), "pg_dump wrote nothing for %.0f s (the primary does not answer)",
				DUMP_IDLE_LIMIT);
			rc = -1;
			break;
		}
	}
	free(buf);
	if (rc < 0)
		sd_child_kill(&c);
	char status[1536] = "";
	int exit_rc = sd_child_finish(&c, "pg_dump", status, sizeof(status));
	if (rc == 0 && exit_rc < 0) {
		sd_strlcpy(why, status, sizeof(why));
		rc = -1;
	}
	if (rc == 0 && o->size == 0) {
		sd_set_error(why, sizeof(why), "pg_dump wrote nothing");
		rc = -1;
	}
	if (rc < 0) {
		sd_set_error(err, errlen, "%s", why);
		out_abort(o);
		pg_target_free(&t);
		return -1;
	}
	pg_target_free(&t);
	return out_commit(o, "postgres", primary->name, database, err, errlen);
}

