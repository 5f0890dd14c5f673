/* take.c - sd_backup_take: one backup of a kind (a dump per configured database), each
 * verified at once, then retention. */

#include "backup/internal.h"
#include "base/clock.h"
#include "base/error.h"
#include "base/text.h"
#include "base/xalloc.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* take                                                                                        */

int sd_backup_take(struct sd_backup_runner *r, const char *kind, const struct sd_snapshot *snap,
		   char *file, size_t filelen, char *err, size_t errlen)
{
	if (file && filelen)
		file[0] = '\0';
	if (!kind || !kind_extension(kind)) {
		sd_set_error(err, errlen, "unknown backup kind '%s' (postgres, redis or swarm)", kind ? kind : "");
		return -1;
	}
	char what[256], why[1024] = "", summary[1024] = "";
	const struct sd_pg_member *primary = NULL;
	size_t ndb = r->config->backup.ndatabases;
	if (!strcmp(kind, "postgres")) {
		if (!(primary = find_primary(snap, err, errlen)))
			return -1;
		if (ndb == 0) {
			sd_set_error(err, errlen, "no databases listed in backup.databases");
			return -1;
		}
		snprintf(what, sizeof(what), "postgres backup of %s%s on %s",
			 r->config->backup.databases[0], ndb > 1 ? "..." : "", primary->name);
	} else if (!strcmp(kind, "redis")) {
		snprintf(what, sizeof(what), "redis backup of %s",
			 snap && snap->redis && snap->redis->master.addr ? snap->redis->master.addr : "?");
	} else {
		snprintf(what, sizeof(what), "swarm export");
	}
	if (runner_begin(r, what, -1, true, err, errlen) < 0)
		return -1;
	double taking = 0, verifying = 0;     /* seconds */
	int rc = 0;
	size_t files = 0;
	long long bytes = 0;
	char first[PATH_MAX] = "", verify_notes[1024] = "";
	bool all_verified = true;
	for (size_t i = 0; rc == 0 && i < (primary ? ndb : 1); i++) {
		double file_started = sd_now();
		struct out o;
		char source[256] = "", how[PATH_MAX + 64] = "";
		if (primary) {
			const char *database = r->config->backup.databases[i];
			snprintf(what, sizeof(what), "postgres backup of %s on %s", database, primary->name);
			runner_what(r, what, -1, true);
			rc = take_postgres_one(r, primary, database, ndb > 1, &o, why, sizeof(why));
		} else {
			if (out_open(&o, r, kind, NULL, why, sizeof(why)) < 0) {
				rc = -1;
				break;
			}
			if (!strcmp(kind, "redis")) {
				rc = take_redis(r, snap, &o, how, sizeof(how), why, sizeof(why));
				if (rc == 0)
					sd_strlcpy(source, snap->redis->master.addr, sizeof(source));
			} else {
				rc = take_swarm(r, snap, &o, source, sizeof(source), why, sizeof(why));
			}
			if (rc == 0)
				rc = out_commit(&o, kind, source, NULL, why, sizeof(why));
			else
				out_abort(&o);
		}
		if (rc < 0)
			break;
		files++;
		bytes += o.size;
		if (!first[0])
			sd_strlcpy(first, o.final, sizeof(first));
		append(summary, sizeof(summary), "%s%s", summary[0] ? ", " : "", o.name);
		if (how[0])
			append(summary, sizeof(summary), " (%s)", how);
		/* a fresh backup is checked at once: checksum from disk and a look inside */
		double verify_started = sd_now();
		taking += verify_started - file_started;
		char vresult[1024];
		sd_set_error(what, sizeof(what), "verify %s", o.name);
		runner_what(r, what, -1, false);
		if (verify_path(r, o.final, vresult, sizeof(vresult)) < 0) {
			all_verified = false;
			append(verify_notes, sizeof(verify_notes), "; %s", vresult);
		}
		verifying += sd_now() - verify_started;
	}
	if (rc < 0) {
		sd_set_error(err, errlen, "%s failed: %s", kind, why);
		runner_end(r, why);
		return -1;
	}
	char amount[32];
	format_mb(bytes, amount, sizeof(amount));
	sd_set_error(err, errlen, "%s backup %s: %s in %.1f s (%.1f MB/s)%s%.1f s%s", kind, summary,
		amount, taking, taking > 0 ? (double)bytes / 1e6 / taking : 0.0,
		all_verified ? ", verified in " : ", verification took ", verifying, verify_notes);
	/* retention, now that a newer verified backup may exist */
	char **expired = sd_backup_expired(r);
	size_t nexpired = 0;
	while (expired[nexpired])
		nexpired++;
	if (nexpired) {
		char derr[512];
		if (sd_backup_delete(r, expired, derr, sizeof(derr)) == 0)
			append(err, errlen, "; %zu expired backup%s deleted", nexpired, nexpired == 1 ? "" : "s");
		else
			append(err, errlen, "; expired backups not all deleted: %s", derr);
	}
	for (size_t i = 0; i < nexpired; i++)
		free(expired[i]);
	free(expired);
	if (file && filelen)
		sd_strlcpy(file, first, filelen);
	runner_end(r, all_verified ? NULL : verify_notes + 2);
	(void)files;
	return all_verified ? 0 : -1;
}

