/* view_logs.c - the logs view: a ring (logs.max_lines, logs.max_bytes) filled by the Docker
 * backend's log session (backends/docker/logs.h) on its own threads, shown through the text
 * view. On a service: its logs; on a task: that task's; on a node: the lines of the tasks on
 * that node, read from the services that have tasks there. Lines are prefixed as
 * `docker service logs` prefixes them: name.slot.task@node. */
#include "views.h"
#include "ui.h"
#include "backends/docker/logs.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_STREAMS_MAX 32

struct logs_source {
	struct sd_log_ring ring;
	struct sd_docker_logs *session;
	struct sd_core *core;
	size_t nstreams;
};

static void src_lock(void *u) { sd_log_ring_lock(&((struct logs_source *)u)->ring); }
static void src_unlock(void *u) { sd_log_ring_unlock(&((struct logs_source *)u)->ring); }

static void src_range(void *u, uint64_t *first, uint64_t *end)
{
	struct logs_source *s = u;
	*first = sd_log_ring_first_seq(&s->ring);
	*end = s->ring.next_seq;
}

static bool src_get(void *u, uint64_t seq, struct textview_line *out)
{
	const struct sd_log_line *l = sd_log_ring_seq(&((struct logs_source *)u)->ring, seq);
	if (!l)
		return false;
	*out = (struct textview_line){.time = l->time, .source = l->source, .text = l->text,
				      .role = l->stream == SD_LOG_NOTICE ? SD_ROLE_CRITICAL
									 : SD_ROLE_DEFAULT,
				      .stderr_line = l->stream == SD_LOG_STDERR};
	return true;
}

static void src_state(void *u, char *buf, size_t size)
{
	struct logs_source *s = u;
	unsigned up = sd_docker_logs_connected(s->session);
	snprintf(buf, size, "%u/%zu stream%s connected%s, %llu received", up, s->nstreams,
		 s->nstreams == 1 ? "" : "s", up == s->nstreams ? ""
		 : sd_docker_logs_reconnects(s->session) ? " (reconnecting)" : " (connecting)",
		 (unsigned long long)s->ring.next_seq);
}

static void src_follow(void *u, bool on)
{
	sd_docker_logs_pause(((struct logs_source *)u)->session, !on);
}

static void src_close(void *u)
{
	struct logs_source *s = u;
	sd_docker_logs_stop(s->session);
	sd_log_ring_free(&s->ring);
	free(s);
}

/* name.slot.task@node from the newest snapshot (called on the session's threads). */
static void namer(void *user, const char *node_id, const char *service_id, const char *task_id,
		  char *out, size_t size)
{
	struct logs_source *s = user;
	struct sd_snapshot *snap = sd_core_snapshot(s->core);
	const struct sd_swarm *sw = snap->swarm;
	const struct sd_service *svc = sd_swarm_service(sw, service_id);
	const struct sd_node *node = sd_swarm_node(sw, node_id);
	const struct sd_task *task = sd_swarm_task(sw, task_id);
	long slot = task ? task->slot : -1;
	char slot_text[32];
	if (slot > 0)
		snprintf(slot_text, sizeof(slot_text), "%ld.", slot);
	else
		slot_text[0] = '\0';
	snprintf(out, size, "%s.%s%.12s@%s", svc ? svc->name : service_id, slot_text, task_id,
		 node ? node->hostname : node_id);
	sd_snapshot_unref(snap);
}

struct textview *logs_view_open(struct ui *ui, char *err, size_t errlen)
{
	const struct sd_swarm *sw = ui->snap->swarm;
	struct sd_docker *docker = sd_core_docker(ui->core);
	if (!sw || !docker) {
		snprintf(err, errlen, "logs: no answer from the engine yet");
		return NULL;
	}
	enum sd_docker_logs_kind kinds[NODE_STREAMS_MAX];
	const char *ids[NODE_STREAMS_MAX];
	size_t n = 0;
	const char *node_id = NULL;
	char title[256];
	const char *sel = ui_selected(ui, ui->focus);
	if (ui->focus == PANE_SERVICES && *sel) {
		const struct sd_service *svc = sd_swarm_service(sw, sel);
		kinds[n] = SD_LOGS_SERVICE;
		ids[n++] = sel;
		snprintf(title, sizeof(title), "logs: service %s", svc ? svc->name : sel);
	} else if (ui->focus == PANE_TASKS && *sel) {
		kinds[n] = SD_LOGS_TASK;
		ids[n++] = sel;
		const struct sd_task *t = sd_swarm_task(sw, sel);
		snprintf(title, sizeof(title), "logs: task %s.%ld %.12s on %s", t ? t->service : "?",
			 t ? t->slot : 0L, sel, t && *t->node ? t->node : "-");
	} else if (ui->focus == PANE_NODES && *sel) {
		const struct sd_node *node = sd_swarm_node(sw, sel);
		node_id = node ? node->id : sel;
		/* the services with a task on the node, each stream filtered to the node's lines */
		for (size_t i = 0; i < sw->nservices && n < NODE_STREAMS_MAX; i++) {
			const struct sd_service *svc = sw->services[i];
			bool there = false;
			for (size_t t = 0; t < svc->task_count; t++)
				there |= !strcmp(svc->tasks[t].node_id, node_id);
			if (there) {
				kinds[n] = SD_LOGS_SERVICE;
				ids[n++] = svc->id;
			}
		}
		snprintf(title, sizeof(title), "logs: tasks on node %s", node ? node->hostname : sel);
		if (n == 0) {
			snprintf(err, errlen, "logs: no tasks on node %s", node ? node->hostname : sel);
			return NULL;
		}
	} else {
		snprintf(err, errlen, "logs work on a service, a task or a node");
		return NULL;
	}
	struct logs_source *s = xcalloc(1, sizeof(*s));
	s->core = ui->core;
	s->nstreams = n;
	sd_log_ring_init(&s->ring, (size_t)ui->config->logs.max_lines,
			 (size_t)ui->config->logs.max_bytes);
	struct sd_docker_logs_config lc = {.tail = 1000, .node_id = node_id, .reconnect_delay = 1.0,
					   .namer = namer, .namer_user = s};
	s->session = sd_docker_logs_start(docker, kinds, ids, n, &lc, &s->ring);
	struct textview_source src = {.lock = src_lock, .unlock = src_unlock, .range = src_range,
				      .get = src_get, .state = src_state, .follow = src_follow,
				      .close = src_close, .user = s};
	return textview_new(&src, title, true, ui->screen_dir);
}
