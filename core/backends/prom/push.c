/* push.c - the console's findings as Alertmanager alerts: the body of POST /api/v2/alerts,
 * and the memory of what is held open there so that a finding that clears is posted once
 * more, resolved (endsAt now). Each alert is open only until now + hold: a console that dies
 * leaves nothing firing for ever, Alertmanager resolves it by itself. */
#include "backends/prom/prom.h"

#include "base/xalloc.h"
#include "model/snapjson.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct held {
	char *key;               /* alertname, source, target, severity: the identity */
	json_t *labels, *annotations;
	time_t starts;
	bool seen;               /* in this round's findings */
	bool resolved_sent;      /* its resolve is in the body not confirmed yet */
};

struct sd_prom_pusher {
	char *cluster, *generator;
	struct held *items;
	size_t n, cap;
};

struct sd_prom_pusher *sd_prom_pusher_new(const char *cluster, const char *host)
{
	struct sd_prom_pusher *p = xcalloc(1, sizeof(*p));
	p->cluster = xstrdup(cluster ? cluster : "");
	p->generator = xasprintf("swarmdeck://%s/", host && *host ? host : "localhost");
	return p;
}

static void held_free(struct held *h)
{
	free(h->key);
	json_decref(h->labels);
	json_decref(h->annotations);
}

void sd_prom_pusher_free(struct sd_prom_pusher *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		held_free(&p->items[i]);
	free(p->items);
	free(p->cluster);
	free(p->generator);
	free(p);
}

void sd_prom_alertname(const struct sd_alert *a, char *buf, size_t size)
{
	const char *kind = a->kind && *a->kind ? a->kind : a->source ? a->source : "finding";
	size_t k = 0;
	const char *prefix = "Swarmdeck";
	for (const char *p = prefix; *p && k + 1 < size; p++)
		buf[k++] = *p;
	bool up = true;
	for (const char *p = kind; *p && k + 1 < size; p++) {
		if (!isalnum((unsigned char)*p)) {
			up = true;
			continue;
		}
		buf[k++] = up ? (char)toupper((unsigned char)*p) : *p;
		up = false;
	}
	buf[k] = '\0';
}

static const char *severity_of(enum sd_level level)
{
	return level == SD_CRITICAL ? "critical" : "warning";
}

static void rfc3339(time_t t, char *buf, size_t size) { sd_time_rfc3339(t, buf, size); }

static json_t *alert_json(const struct sd_prom_pusher *p, const struct held *h, time_t ends)
{
	char starts[40], until[40];
	rfc3339(h->starts, starts, sizeof(starts));
	rfc3339(ends, until, sizeof(until));
	json_t *o = json_object();
	json_object_set(o, "labels", h->labels);
	json_object_set(o, "annotations", h->annotations);
	json_object_set_new(o, "startsAt", json_string(starts));
	json_object_set_new(o, "endsAt", json_string(until));
	json_object_set_new(o, "generatorURL", json_string(p->generator));
	return o;
}

char *sd_prom_pusher_body(struct sd_prom_pusher *p, const struct sd_alert *alerts, size_t n,
			  double hold, time_t now, size_t *open)
{
	for (size_t i = 0; i < p->n; i++)
		p->items[i].seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct sd_alert *a = &alerts[i];
		if (a->level == SD_OK || (a->source && !strcmp(a->source, "prometheus")))
			continue; /* Prometheus's own alerts go back to nobody */
		char name[128];
		sd_prom_alertname(a, name, sizeof(name));
		const char *severity = severity_of(a->level);
		char *key = xasprintf("%s\x1f%s\x1f%s\x1f%s", name, a->source ? a->source : "",
				      a->target ? a->target : "", severity);
		struct held *h = NULL;
		for (size_t j = 0; j < p->n && !h; j++)
			if (!strcmp(p->items[j].key, key))
				h = &p->items[j];
		if (h && h->seen) { /* the same finding twice: one alert */
			free(key);
			continue;
		}
		if (!h) {
			if (p->n == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 16;
				p->items = xrealloc(p->items, p->cap * sizeof(*p->items));
			}
			h = &p->items[p->n++];
			memset(h, 0, sizeof(*h));
			h->key = key;
			h->starts = now;
			h->labels = json_object();
			h->annotations = json_object();
			json_object_set_new(h->labels, "alertname", json_string(name));
			json_object_set_new(h->labels, "source", json_string(a->source ? a->source : ""));
			json_object_set_new(h->labels, "target", json_string(a->target ? a->target : ""));
			json_object_set_new(h->labels, "severity", json_string(severity));
			if (*p->cluster)
				json_object_set_new(h->labels, "cluster", json_string(p->cluster));
		} else {
			free(key);
		}
		h->seen = true;
		h->resolved_sent = false;
		/* the message may change while the finding holds (a lag that grows) */
		json_object_set_new(h->annotations, "summary", json_string(a->message ? a->message : ""));
	}
	json_t *body = json_array();
	size_t held_open = 0;
	time_t until = now + (time_t)(hold > 1 ? hold : 1);
	for (size_t i = 0; i < p->n; i++) {
		struct held *h = &p->items[i];
		if (h->seen)
			held_open++;
		else
			h->resolved_sent = true;
		json_array_append_new(body, alert_json(p, h, h->seen ? until : now));
	}
	*open = held_open;
	char *text = json_array_size(body) ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return text;
}

void sd_prom_pusher_done(struct sd_prom_pusher *p, bool ok)
{
	if (!ok)
		return; /* the resolves are posted again next time */
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].resolved_sent && !p->items[i].seen)
			held_free(&p->items[i]);
		else
			p->items[k++] = p->items[i];
	}
	p->n = k;
}
