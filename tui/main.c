/* main.c - the command line: interactive console, --watch, --once [--json], --play, --keys,
 * --check-config, --version [--check]. The only place that exits. */
#include "conf/config.h"
#include "conf/keymap.h"
#include "conf/theme.h"
#include "base/error.h"
#include "core.h"
#include "fleet.h"
#include "backends/docker/context.h"
#include "backends/docker/docker.h"
#include "conf/drill.h"
#include "do.h"
#include "conf/keys.h"
#include "play.h"
#include "model/snapjson.h"
#include "term.h"
#include "ui.h"
#include "version.h"
#include "base/xalloc.h"

#include <curses.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum { EXIT_USAGE = 2 };

struct options {
	const char *config, *theme, *keymap, *play, *report, *record, *context, *cluster;
	struct do_options act;       /* --do ACTION [TARGET] [VALUE] --yes --confirm NAME */
	double interval;
	bool watch, once, json, headless, check_config, allow_exec, keys;
	bool version, check; /* --version [--check] */
};

static void usage(FILE *out)
{
	fputs("usage: swarmdeck [--watch] [--config FILE] [--theme NAME|FILE] [--keymap NAME|FILE]\n"
	      "                 [--interval SECONDS] [--context NAME] [--cluster NAME]\n"
	      "       swarmdeck --once [--json]        one snapshot; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
	      "       swarmdeck --play DRILL.yaml [--headless] [--report FILE] [--allow-exec] [--watch]\n"
	      "       swarmdeck --record DRILL.yaml    record what you type as a drill\n"
	      "       swarmdeck --check-config         validate config, theme and keymap\n"
	      "       swarmdeck --keys                 print every binding of the keymap\n"
	      "       swarmdeck --version [--check]    versions of swarmdeck and its libraries; --check:\n"
	      "                                        also the Engine API version negotiated\n"
	      "       swarmdeck --do ACTION [TARGET] [VALUE] [--yes] [--confirm NAME] [--json] [--watch]\n"
	      "                                        run one action without the screen; one result line\n",
	      out);
}

static void restore_terminal(void) { term_stop(); }

static void on_signal(int sig)
{
	(void)sig;
	ui_interrupted = 1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"theme", required_argument, NULL, 't'},
		{"keymap", required_argument, NULL, 'k'}, {"interval", required_argument, NULL, 'i'},
		{"play", required_argument, NULL, 'p'},   {"report", required_argument, NULL, 'r'},
		{"record", required_argument, NULL, 'R'}, {"watch", no_argument, NULL, 'w'},
		{"once", no_argument, NULL, 'o'},         {"json", no_argument, NULL, 'j'},
		{"headless", no_argument, NULL, 'H'},     {"check-config", no_argument, NULL, 'C'},
		{"allow-exec", no_argument, NULL, 'x'},   {"keys", no_argument, NULL, 'K'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{"check", no_argument, NULL, 'E'},
		{"do", required_argument, NULL, 'D'},     {"yes", no_argument, NULL, 'y'},
		{"confirm", required_argument, NULL, 'N'}, {"context", required_argument, NULL, 'X'},
		{"cluster", required_argument, NULL, 'L'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 't': o->theme = optarg; break;
		case 'k': o->keymap = optarg; break;
		case 'i': {
			char *end;
			o->interval = strtod(optarg, &end);
			if (*end || o->interval <= 0) {
				fprintf(stderr, "swarmdeck: --interval: '%s' is not a positive number of seconds\n", optarg);
				return -1;
			}
			break;
		}
		case 'p': o->play = optarg; break;
		case 'r': o->report = optarg; break;
		case 'R': o->record = optarg; break;
		case 'w': o->watch = true; break;
		case 'o': o->once = true; break;
		case 'j': o->json = true; break;
		case 'H': o->headless = true; break;
		case 'C': o->check_config = true; break;
		case 'x': o->allow_exec = true; break;
		case 'K': o->keys = true; break;
		case 'D': o->act.action = optarg; break;
		case 'y': o->act.yes = true; break;
		case 'N': o->act.confirm = optarg; break;
		case 'X': o->context = optarg; break;
		case 'L': o->cluster = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': o->version = true; break;
		case 'E': o->check = true; break;
		default: usage(stderr); return -1;
		}
	}
	if (o->act.action && optind < argc)
		o->act.target = argv[optind++];
	if (o->act.action && optind < argc)
		o->act.value = argv[optind++];
	if ((o->act.yes || o->act.confirm) && !o->act.action) {
		fprintf(stderr, "swarmdeck: --yes and --confirm go with --do\n");
		return -1;
	}
	if (o->act.action && (o->once || o->play || o->record)) {
		fprintf(stderr, "swarmdeck: --do goes alone (not with --once, --play or --record)\n");
		return -1;
	}
	o->act.json = o->json;
	if (optind < argc) {
		fprintf(stderr, "swarmdeck: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->check && !o->version) {
		fprintf(stderr, "swarmdeck: --check goes with --version\n");
		return -1;
	}
	if (o->json && !o->once && !o->act.action) {
		fprintf(stderr, "swarmdeck: --json goes with --once or --do\n");
		return -1;
	}
	if ((o->headless || o->report || o->allow_exec) && !o->play) {
		fprintf(stderr, "swarmdeck: --headless, --report and --allow-exec go with --play\n");
		return -1;
	}
	if (o->record && (o->play || o->once || o->watch)) {
		fprintf(stderr, "swarmdeck: --record goes alone (not with --play, --once or --watch)\n");
		return -1;
	}
	return 0;
}

/* The cluster --cluster names (or the first), with the command line's --interval and
 * --context applied: *SHOWN its index. -1 with the error printed. */
static int choose_cluster(const struct options *o, struct sd_config *config, size_t *shown)
{
	*shown = 0;
	if (o->cluster) {
		int i = sd_config_find_cluster(config, o->cluster);
		if (i < 0) {
			fprintf(stderr, "swarmdeck: --cluster %s: %s names no such cluster", o->cluster,
				config->path ? config->path : "the built-in config");
			for (size_t k = 0; k < config->nclusters; k++)
				fprintf(stderr, "%s%s", k ? ", " : " (it has ", config->clusters[k].cluster_name);
			fprintf(stderr, "%s\n", config->nclusters ? ")" : " (no clusters:)");
			return -1;
		}
		*shown = (size_t)i;
	}
	for (size_t i = 0; i < sd_config_ncluster(config); i++)
		if (o->interval > 0)
			((struct sd_config *)sd_config_cluster(config, i))->interval = o->interval;
	if (o->context) { /* the command line's context beats the file's host and context */
		if (config->nclusters > 1 && !o->cluster) {
			fprintf(stderr, "swarmdeck: --context: the config names %zu clusters: say which with --cluster NAME\n",
				config->nclusters);
			return -1;
		}
		struct sd_config *c = (struct sd_config *)sd_config_cluster(config, *shown);
		free(c->docker.host);
		free(c->docker.context);
		c->docker.host = NULL;
		c->docker.context = xstrdup(o->context);
		c->docker.context_flag = true;
	}
	return 0;
}

/* Load config, theme and keymap; print the first error. */
static int load_all(const struct options *o, struct sd_config *config, size_t *shown,
		    struct sd_theme *theme, struct sd_keymap *keymap)
{
	struct sd_error err = {{0}};
	char *path = o->config ? xstrdup(o->config) : sd_config_default_path();
	int rc = sd_config_load(path, config, &err);
	free(path);
	if (rc != 0) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		return -1;
	}
	if (choose_cluster(o, config, shown) != 0) {
		sd_config_free(config);
		return -1;
	}
	const char *theme_name = o->theme ? o->theme : config->theme;
	if (!theme_name && getenv("NO_COLOR") && *getenv("NO_COLOR"))
		theme_name = "monochrome";
	if (sd_theme_load(theme_name, theme, &err) != 0) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		sd_config_free(config);
		return -1;
	}
	if (sd_keymap_load(o->keymap ? o->keymap : config->keymap, sd_action_find, keymap, &err) != 0) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		sd_theme_free(theme);
		sd_config_free(config);
		return -1;
	}
	/* the user's own keys extend whichever keymap is active */
	char *user_keymap = sd_keymap_user_path();
	rc = user_keymap ? sd_keymap_merge(keymap, user_keymap, sd_action_find, &err) : 0;
	free(user_keymap);
	if (rc != 0) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		sd_keymap_free(keymap);
		sd_theme_free(theme);
		sd_config_free(config);
		return -1;
	}
	return 0;
}

/* --check-config: which engine the console would ask, and why that one (context.h). */
static int print_engine(const struct sd_config *config, const char *prefix)
{
	struct sd_docker_target t;
	char err[1024];
	if (sd_docker_resolve(config->docker.context, sd_config_context_from(config),
			      config->docker.host, &t, err,
			      sizeof(err)) < 0) {
		fprintf(stderr, "swarmdeck: %s\n", err);
		return -1;
	}
	printf("%sdocker %s (from %s%s%s%s)\n", prefix,
	       *t.host ? t.host : "unix:///var/run/docker.sock", t.source,
	       *t.context ? ", context " : "", t.context, t.tls ? ", TLS" : "");
	for (size_t i = 0; i < config->docker.nhosts; i++)
		printf("%sdocker failover %zu: %s\n", prefix, i + 1, config->docker.hosts[i]);
	return 0;
}

static void print_keys(const struct sd_keymap *keymap)
{
	printf("# keymap %s\n", keymap->source ? keymap->source : "default");
	if (keymap->user_file)
		printf("# user keymap %s\n", keymap->user_file);
	for (int scope = 0; scope < SD_SCOPE_COUNT; scope++)
		for (size_t i = 0; i < keymap->n; i++) {
			const struct sd_binding *b = &keymap->bindings[i];
			if ((int)b->scope != scope)
				continue;
			char name[32];
			printf("%-9s %-12s %-18s %s\n", sd_scope_name(b->scope),
			       sd_key_name(b->key, name, sizeof(name)), b->action->name, b->action->help);
		}
}

static void print_text(const struct sd_snapshot *s)
{
	printf("swarmdeck %s  cluster %s  health %s\n", SD_VERSION,
	       s->cluster_name && *s->cluster_name ? s->cluster_name : "-", sd_level_name(s->health));
	if (!s->docker_status.reachable)
		printf("engine unreachable: %s\n", s->docker_status.error);
	for (size_t i = 0; i < s->nalerts; i++)
		printf("%-8s %-8s %s\n", sd_level_name(s->alerts[i].level), s->alerts[i].source,
		       s->alerts[i].message);
	const struct sd_swarm *sw = s->swarm;
	if (sw) {
		printf("\nmanagers %d/%d reachable, leader %s\n", sw->managers_reachable, sw->managers,
		       sw->leader && *sw->leader ? sw->leader : "none");
		printf("%-16s %-8s %-7s %-8s %-12s %s\n", "NODE", "ROLE", "AVAIL", "STATE", "MANAGER", "TASKS");
		for (size_t i = 0; i < sw->nnodes; i++) {
			const struct sd_node *n = &sw->nodes[i];
			printf("%-16s %-8s %-7s %-8s %-12s %d\n", n->hostname, n->role, n->availability,
			       n->state, *n->manager ? n->manager : "-", n->tasks);
		}
		printf("\n%-32s %-11s %-9s %s\n", "SERVICE", "MODE", "REPLICAS", "UPDATE");
		for (size_t i = 0; i < sw->nservices; i++) {
			const struct sd_service *v = sw->services[i];
			char rep[32];
			snprintf(rep, sizeof(rep), "%ld/%ld", v->running, v->desired);
			printf("%-32s %-11s %-9s %s\n", v->name, v->mode, rep,
			       *v->update_state ? v->update_state : "-");
		}
	}
	if (s->pg) {
		printf("\n%-10s %-8s %-10s %-4s %-12s %s\n", "MEMBER", "ROLE", "STATE", "TL", "LSN", "LAG");
		for (size_t i = 0; i < s->pg->nmembers; i++) {
			const struct sd_pg_member *m = &s->pg->members[i];
			printf("%-10s %-8s %-10s %-4ld %-12s %lld\n", m->name, m->role,
			       m->reachable ? (m->repl_state && *m->repl_state ? m->repl_state : "up") : "DOWN",
			       m->timeline, m->lsn ? m->lsn : "", m->lag_bytes);
		}
	}
	if (s->redis && s->redis->master.addr) {
		printf("\nredis master %s at %s (%s), %zu replicas, %zu sentinels, ckquorum %s\n",
		       s->redis->master.name, s->redis->master.addr, s->redis->master.flags,
		       s->redis->nreplicas, s->redis->nsentinels, s->redis->master.ckquorum ? "ok" : "FAILS");
	}
	if (s->vip) { /* the front door */
		size_t answering = 0;
		for (size_t i = 0; i < s->vip->nnodes; i++)
			answering += s->vip->nodes[i].answers;
		printf("\nvip %s held by %s, %zu/%zu keepalived nodes answer\n", s->vip->address,
		       *s->vip->holder ? s->vip->holder : "NONE", answering, s->vip->nnodes);
	}
}

/* How long --once waits for a cluster's first answers. */
static double first_wait(const struct sd_config *config)
{
	double wait = config->docker.timeout_ms / 1000.0 + 2;
	if (config->postgres.configured)
		wait += config->postgres.connect_timeout + config->postgres.statement_timeout_ms / 1000.0;
	return wait;
}

/* --once on one cluster's CORE (--cluster NAME). */
static int run_once_core(struct sd_core *core, const struct sd_config *config, bool json)
{
	sd_core_start_pollers(core);
	sd_core_wait_first(core, first_wait(config));
	struct sd_snapshot *snap = sd_core_snapshot(core);
	if (json)
		sd_snapshot_write_json(snap, stdout);
	else
		print_text(snap);
	int code = (int)snap->health;
	sd_snapshot_unref(snap);
	return code;
}

/* --once over FLEET: the one cluster as ever, or with several, each in turn (the JSON keys
 * them by name); the exit status is the worst health. */
static int run_once(struct sd_fleet *fleet, bool json)
{
	size_t n = sd_fleet_count(fleet);
	double wait = 0;
	for (size_t i = 0; i < n; i++)
		if (first_wait(sd_fleet_config(fleet, i)) > wait)
			wait = first_wait(sd_fleet_config(fleet, i));
	sd_fleet_start_pollers(fleet);
	sd_fleet_wait_first(fleet, wait);
	struct sd_snapshot *snaps[n];
	const char *names[n];
	for (size_t i = 0; i < n; i++) {
		snaps[i] = sd_core_snapshot(sd_fleet_core(fleet, i));
		names[i] = sd_fleet_name(fleet, i);
	}
	enum sd_level health = sd_fleet_health(fleet);
	if (json && n == 1)
		sd_snapshot_write_json(snaps[0], stdout);
	else if (json)
		sd_fleet_write_json(names, snaps, n, health, stdout);
	for (size_t i = 0; !json && i < n; i++) {
		if (i)
			putchar('\n');
		print_text(snaps[i]);
	}
	for (size_t i = 0; i < n; i++)
		sd_snapshot_unref(snaps[i]);
	return (int)health;
}

/* --version: swarmdeck, then each library as it runs in this process. */
static void print_versions(void)
{
	printf("swarmdeck %s\n", SD_VERSION);
	struct sd_library_version libs[16];
	size_t n = sd_library_versions(libs, 16);
	for (size_t i = 0; i < n; i++)
		printf("%-10s %s\n", libs[i].name, libs[i].version);
	const char *curses = curses_version(); /* "ncurses 6.4.20221231" */
	if (strncmp(curses, "ncurses ", 8) == 0)
		curses += 8;
	printf("%-10s %s\n", "ncurses", curses);
}

/* --version --check: reach the engine of the config (read-only, Docker only) and say which
 * Engine API version was negotiated with it. 0 when it answered, 1 when not. */
static int check_engine(const struct options *o)
{
	struct sd_error err = {{0}};
	struct sd_config file;
	size_t shown;
	char *path = o->config ? xstrdup(o->config) : sd_config_default_path();
	int rc = sd_config_load(path, &file, &err);
	free(path);
	if (rc != 0) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		return EXIT_USAGE;
	}
	if (choose_cluster(o, &file, &shown) != 0) {
		sd_config_free(&file);
		return EXIT_USAGE;
	}
	struct sd_config config = *sd_config_cluster(&file, shown); /* its strings stay FILE's */
	config.postgres.configured = config.redis.configured = config.backup.configured = false;
	config.prometheus.http.configured = config.alertmanager.http.configured = false;
	config.vip.configured = false;
	struct sd_core *core = sd_core_new(&config, SD_MODE_WATCH, &err);
	if (!core) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		sd_config_free(&file);
		return EXIT_USAGE;
	}
	sd_core_start_pollers(core);
	sd_core_wait_first(core, config.docker.timeout_ms / 1000.0 + 2);
	struct sd_snapshot *snap = sd_core_snapshot(core);
	const char *host = sd_docker_host(sd_core_docker(core));
	const struct sd_swarm *sw = snap->swarm;
	int code = 0;
	if (snap->docker_status.reachable && sw && sw->api_version && *sw->api_version) {
		printf("engine     %s: Docker %s, Engine API %s negotiated\n", host,
		       sw->engine_version && *sw->engine_version ? sw->engine_version : "?",
		       sw->api_version);
	} else {
		printf("engine     %s: not reached: %s\n", host,
		       snap->docker_status.error[0] ? snap->docker_status.error : "no answer");
		code = 1;
	}
	sd_snapshot_unref(snap);
	sd_core_free(core);
	sd_config_free(&file);
	return code;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	if (parse_options(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (o.version) {
		print_versions();
		return o.check ? check_engine(&o) : 0;
	}
	char why_not[256];
	if (ui_bind_navigation(why_not, sizeof(why_not)) != 0) {
		fprintf(stderr, "swarmdeck: %s\n", why_not);
		return EXIT_USAGE;
	}

	struct sd_config config;
	struct sd_theme theme;
	struct sd_keymap keymap;
	size_t shown;
	if (load_all(&o, &config, &shown, &theme, &keymap) != 0)
		return EXIT_USAGE;
	const struct sd_config *cluster = sd_config_cluster(&config, shown);

	struct sd_drill drill;
	bool have_drill = false;
	if (o.play) {
		struct sd_error err = {{0}};
		if (sd_drill_load(o.play, &drill, &err) != 0) {
			fprintf(stderr, "swarmdeck: %s\n", err.text);
			return EXIT_USAGE;
		}
		have_drill = true;
		if (drill.has_exec && !o.allow_exec) {
			for (size_t i = 0; i < drill.nsteps; i++)
				if (drill.steps[i].kind == SD_STEP_EXEC) {
					fprintf(stderr, "swarmdeck: %s:%d:%d: exec steps run only with --allow-exec; nothing was played\n",
						drill.file, drill.steps[i].line, drill.steps[i].column);
					break;
				}
			return EXIT_USAGE;
		}
	}

	int code = 0;
	if (o.check_config || o.keys) {
		if (o.keys)
			print_keys(&keymap);
		else {
			printf("config %s: ok", config.path ? config.path : "(built-in defaults)");
			if (!config.nclusters)
				printf(" (one cluster: the file names no clusters:)");
			else
				printf(" (%zu cluster%s:", config.nclusters, config.nclusters == 1 ? "" : "s");
			for (size_t i = 0; i < config.nclusters; i++)
				printf("%s %s", i ? "," : "", config.clusters[i].cluster_name);
			printf("%s\ntheme %s: ok\nkeymap %s: ok\n", config.nclusters ? ")" : "",
			       theme.source ? theme.source : "default",
			       keymap.source ? keymap.source : "default");
			for (size_t i = 0; i < sd_config_ncluster(&config); i++) {
				char prefix[96] = "";
				if (config.nclusters)
					snprintf(prefix, sizeof(prefix), "cluster %s: ",
						 config.clusters[i].cluster_name);
				if (print_engine(sd_config_cluster(&config, i), prefix) != 0)
					code = EXIT_USAGE;
			}
			if (keymap.user_file)
				printf("user keymap %s: ok\n", keymap.user_file);
		}
		goto done;
	}

	/* read_only: in a cluster's config forces what --watch asks (fleet.c) */
	enum sd_mode mode = o.watch ? SD_MODE_WATCH : o.play ? SD_MODE_DRILL : SD_MODE_LIVE;
	if (o.act.action && config.nclusters > 1 && !o.cluster) {
		fprintf(stderr, "swarmdeck: --do: the config names %zu clusters: say which with --cluster NAME\n",
			config.nclusters);
		code = EXIT_USAGE;
		goto done;
	}
	struct sd_error err = {{0}};
	struct sd_fleet *fleet = NULL;
	struct sd_core *core = NULL;
	if (o.act.action || (o.once && o.cluster)) /* that cluster alone */
		core = sd_core_new(cluster, cluster->read_only ? SD_MODE_WATCH : mode, &err);
	else
		fleet = sd_fleet_new(&config, mode, shown, &err);
	if (!core && !fleet) {
		fprintf(stderr, "swarmdeck: %s\n", err.text);
		code = EXIT_USAGE;
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (o.play)
		sigaction(SIGINT, &sa, NULL);

	if (o.act.action) {
		code = do_action(core, cluster, &o.act);
		sd_core_free(core);
		goto done;
	}
	if (o.once && core) {
		code = run_once_core(core, cluster, o.json);
		sd_core_free(core);
		goto done;
	}
	if (o.once) {
		code = run_once(fleet, o.json);
		sd_fleet_free(fleet);
		goto done;
	}
	core = sd_fleet_core(fleet, shown);

	sd_set_fatal_hook(restore_terminal);
	bool utf8 = false, color = false;
	if (term_start(o.headless, &theme, &utf8, &color) != 0) {
		fprintf(stderr, "swarmdeck: cannot start the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		sd_fleet_free(fleet);
		code = EXIT_USAGE;
		goto done;
	}
	sd_fleet_start(fleet);
	struct ui ui;
	ui_init(&ui, core, cluster, &keymap, &theme);
	ui_set_fleet(&ui, fleet);
	ui.utf8 = utf8;
	ui.color = color;
	ui.headless = o.headless;
	if (o.report && strchr(o.report, '/')) {
		snprintf(ui.screen_dir, sizeof(ui.screen_dir), "%s", o.report);
		*strrchr(ui.screen_dir, '/') = '\0';
		if (!ui.screen_dir[0])
			snprintf(ui.screen_dir, sizeof(ui.screen_dir), "/");
	}
	if (o.play) {
		struct play_result result;
		sd_core_wait_first(core, cluster->docker.timeout_ms / 1000.0 + 2);
		ui_update(&ui);
		code = play_drill(&ui, &drill, &result) == 0 ? 0 : 1;
		ui_free(&ui);
		term_stop();
		if (o.report && play_report(o.report, &drill, &result) != 0) {
			fprintf(stderr, "swarmdeck: cannot write the report %s\n", o.report);
			code = 1;
		}
		for (size_t i = 0; i < result.nsteps; i++)
			if (result.steps[i].ran && !result.steps[i].passed)
				fprintf(stderr, "swarmdeck: %s:%d: step %zu failed: %s\n", drill.file,
					drill.steps[i].line, i + 1, result.steps[i].message);
		if (!result.rto_met)
			fprintf(stderr, "swarmdeck: %s: RTO not met (measured %.1f s, target %.0f s)\n",
				drill.file, result.rto, drill.target_rto);
		play_result_free(&result);
	} else {
		char why[256] = "";
		if (o.record && ui_record_open(&ui, o.record, why, sizeof(why)) != 0) {
			ui_free(&ui);
			term_stop();
			fprintf(stderr, "swarmdeck: %s\n", why);
			sd_fleet_free(fleet);
			code = EXIT_USAGE;
			goto done;
		}
		ui_run(&ui);
		int rc = ui_record_close(&ui, why, sizeof(why));
		ui_free(&ui);
		term_stop();
		if (rc != 0) {
			fprintf(stderr, "swarmdeck: %s\n", why);
			code = 1;
		} else if (o.record) {
			printf("recorded into %s\n", o.record);
		}
	}
	sd_fleet_free(fleet);
done:
	if (have_drill)
		sd_drill_free(&drill);
	sd_keymap_free(&keymap);
	sd_theme_free(&theme);
	sd_config_free(&config);
	return code;
}
