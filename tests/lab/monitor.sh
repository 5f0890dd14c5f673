#!/usr/bin/env bash
# monitor.sh - the lab's monitoring stack, the planning documents' Prometheus with its alert
# rules (seed 000), from Debian's packages, every process started by the lab with its own
# config and data (the packages' system services are never used):
#   node_exporter        in each node's namespace, <node address>:9100, killed with the node
#   postgres_exporter    in the namespace of each PostgreSQL member's node, <address>:9187
#   Prometheus           root namespace, 192.168.213.1:9090 (--web.enable-lifecycle)
#   Alertmanager         root namespace, 192.168.213.1:9093 (no cluster port, no receiver)
# Scrape and evaluation every 2 s, alerts sent again every 2 s (a resolution lost while a
# reload restarts the notifier arrives 2 s later, not a minute later). The rules
# (ServiceDown, HighMemoryUsage, DatabaseConnectionPoolExhausted) carry severity labels;
# their thresholds live in $MONITOR_STATE/thresholds, which `monitor.sh threshold NAME
# VALUE` rewrites (the rules are checked with promtool, then Prometheus reloads them).
#
# Sourced by tests/lab/lab, which calls:
#   monitor_up            start what is not running (idempotent), check the generated
#                         configs with promtool/amtool first (a bad one fails `lab up`)
#   monitor_down          stop what runs in the root namespace (the exporters die with
#                         their nodes); `lab down` then removes the directories
#   monitor_start NODE    after `lab heal NODE`: that node's exporters again
#   monitor_config FILE   write $MONITOR_CONFIG: FILE with prometheus: and alertmanager:
#                         (a file of its own: a binary that does not know the sections keeps
#                         reading the lab's config)
#   monitor_status        a line per process
# Run as a command (tests and humans, as root):
#   tests/lab/monitor.sh up | down | status | env
#   tests/lab/monitor.sh threshold memory|pool VALUE|default | kill prometheus|alertmanager
#   (env: MONITOR_* facts for shell tests; down: the stack alone and its files, lab kept)

# (run as a command, this file is read twice: once before tests/lab/lab defines LAB_*, once
# when the lab sources it; the second reading is the one that counts)
MONITOR_ADDR=$LAB_HOST_IP
MONITOR_PROM_PORT=9090
MONITOR_AM_PORT=9093
MONITOR_NODE_PORT=9100
MONITOR_PG_PORT=9187
MONITOR_INTERVAL=2s                       # scrape and rule evaluation
MONITOR_RUN=$LAB_RUN/monitor              # configs, rules, pidfiles, logs
MONITOR_STATE=$LAB_STATE/monitor          # the TSDB, Alertmanager's data, the thresholds
MONITOR_THRESHOLDS=$MONITOR_STATE/thresholds
MONITOR_CONFIG=$LAB_RUN/swarmdeck-monitor.yaml
MONITOR_USER=prometheus                   # the packages' system user
MONITOR_PROMETHEUS=/usr/bin/prometheus
MONITOR_ALERTMANAGER=/usr/bin/prometheus-alertmanager
MONITOR_NODE_EXPORTER=/usr/bin/prometheus-node-exporter
MONITOR_PG_EXPORTER=/usr/bin/prometheus-postgres-exporter
MONITOR_DEFAULT_MEMORY=0.10               # HighMemoryUsage: MemAvailable/MemTotal below this
MONITOR_DEFAULT_POOL=0.9                  # DatabaseConnectionPoolExhausted: sessions/max above

monitor_prom_url() { echo "http://$MONITOR_ADDR:$MONITOR_PROM_PORT"; }
monitor_am_url() { echo "http://$MONITOR_ADDR:$MONITOR_AM_PORT"; }
_monitor_say() { printf 'monitor: %s\n' "$*" >&2; }

monitor_installed() {
	[[ -x $MONITOR_PROMETHEUS && -x $MONITOR_ALERTMANAGER && -x $MONITOR_NODE_EXPORTER ]] &&
		command -v promtool >/dev/null && command -v amtool >/dev/null
}

# the nodes that host a PostgreSQL member (none when the data tier is left out)
_monitor_pg_nodes() {
	declare -F _data_pg_node >/dev/null || return 0
	local m
	for m in $DATA_PG_MEMBERS; do _data_pg_node "$m"; done
}
_monitor_pg_member() { # NODE -> pg-N
	local m
	for m in $DATA_PG_MEMBERS; do [[ $(_data_pg_node "$m") == "$1" ]] && echo "$m"; done
	return 0
}

# ---------------------------------------------------------------------- processes

# PIDFILE names a live process running EXE (and, with NODE, inside NODE's namespace)
_monitor_alive() { # PIDFILE EXE [NODE]
	local pid
	pid=$(cat "$1" 2>/dev/null) && lab_pid_alive "$pid" &&
		[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$2" ]] || return 1
	[[ -z ${3:-} ]] || [[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == \
		"$(stat -L -c %i "/run/netns/$(lab_ns "$3")" 2>/dev/null)" ]]
}

monitor_pid() { # prometheus | alertmanager
	cat "$MONITOR_RUN/$1.pid" 2>/dev/null
}

_monitor_root_running() { # NAME EXE
	_monitor_alive "$MONITOR_RUN/$1.pid" "$2"
}

# Start CMD in the root namespace as the monitoring user under a tini reaper (PID 1 of
# this machine reaps nothing); the pidfile names CMD itself. No descriptor of the caller's
# is inherited (the lab holds its lock on fd 9).
_monitor_spawn_root() { # NAME CMD...
	local name=$1
	shift
	rm -f "$MONITOR_RUN/$name.pid"
	# shellcheck disable=SC2016 # the inner shell expands them
	(cd / && PATH=$LAB_PATH exec setsid "$LAB_TINI" -s -- sh -c 'echo $$ >"$0" && exec "$@"' \
		"$MONITOR_RUN/$name.pid" setpriv --reuid="$MONITOR_USER" --regid="$MONITOR_USER" \
		--init-groups -- "$@") \
		</dev/null >>"$MONITOR_RUN/$name.log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	lab_wait 10 "$name to start" test -s "$MONITOR_RUN/$name.pid"
}

_monitor_node_exporter_running() { # NODE
	_monitor_alive "$LAB_RUN/$1/node_exporter.pid" "$MONITOR_NODE_EXPORTER" "$1"
}
_monitor_pg_exporter_running() { # NODE
	_monitor_alive "$LAB_RUN/$1/postgres_exporter.pid" "$MONITOR_PG_EXPORTER" "$1"
}

_monitor_start_node_exporter() { # NODE
	local node=$1 ip
	ip=$(lab_ip "$node")
	_monitor_node_exporter_running "$node" && return 0
	# the engines' overlay and bind mounts under the lab's directories are not disks
	lab_spawn "$node" node_exporter setpriv --reuid="$MONITOR_USER" --regid="$MONITOR_USER" \
		--init-groups -- "$MONITOR_NODE_EXPORTER" --web.listen-address="$ip:$MONITOR_NODE_PORT" \
		--collector.filesystem.mount-points-exclude='^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/swarmdeck-lab/.+)($|/)' \
		--no-collector.textfile --no-collector.systemd
}

_monitor_start_pg_exporter() { # NODE
	local node=$1 ip member
	ip=$(lab_ip "$node")
	member=$(_monitor_pg_member "$node")
	[[ -n $member && -s $MONITOR_STATE/pg.pass ]] || return 0
	_monitor_pg_exporter_running "$node" && return 0
	lab_spawn "$node" postgres_exporter setpriv --reuid="$MONITOR_USER" --regid="$MONITOR_USER" \
		--init-groups -- env -i PATH="$LAB_PATH" \
		DATA_SOURCE_URI="$ip:5432/postgres?sslmode=disable&application_name=postgres_exporter&connect_timeout=2" \
		DATA_SOURCE_USER=swarmdeck DATA_SOURCE_PASS_FILE="$MONITOR_STATE/pg.pass" \
		"$MONITOR_PG_EXPORTER" --web.listen-address="$ip:$MONITOR_PG_PORT"
}

_monitor_get() { curl -fsS --max-time 3 -o /dev/null "$1"; }

# ------------------------------------------------------------------------- configs

# the thresholds file: "memory VALUE" and "pool VALUE" lines
monitor_threshold_value() { # memory|pool
	local value=""
	[[ -r $MONITOR_THRESHOLDS ]] && value=$(awk -v k="$1" '$1 == k { print $2 }' "$MONITOR_THRESHOLDS")
	if [[ -z $value ]]; then
		case $1 in
		memory) value=$MONITOR_DEFAULT_MEMORY ;;
		pool) value=$MONITOR_DEFAULT_POOL ;;
		esac
	fi
	echo "$value"
}

# The thresholds are series (recording rules first in the group, so an evaluation uses the
# value it has just recorded), the alert rules never change: a threshold the tests rewrite
# changes what fires, not the rules.
_monitor_write_rules() { # FILE
	cat >"$1" <<-EOF
		# written by tests/lab/monitor.sh: the seeds' three rules, adapted to the lab; the
		# thresholds come from $MONITOR_THRESHOLDS
		groups:
		  - name: iot_guardian_alerts
		    rules:
		      - record: swarmdeck_lab_threshold
		        expr: vector($(monitor_threshold_value memory))
		        labels: {alert: HighMemoryUsage}
		      - record: swarmdeck_lab_threshold
		        expr: vector($(monitor_threshold_value pool))
		        labels: {alert: DatabaseConnectionPoolExhausted}
	EOF
	cat >>"$1" <<-'EOF'
		      # the seeds watch up{job="backend"}; the lab scrapes one node_exporter per node
		      - alert: ServiceDown
		        expr: up{job="node"} == 0
		        for: 4s
		        labels:
		          severity: critical
		        annotations:
		          summary: "node_exporter of {{ $labels.node }} ({{ $labels.instance }}) does not answer"
		      - alert: HighMemoryUsage
		        expr: >-
		          node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"}
		          < on () group_left () swarmdeck_lab_threshold{alert="HighMemoryUsage"}
		        for: 4s
		        labels:
		          severity: warning
		        annotations:
		          summary: "{{ $labels.node }}: available memory {{ $value | humanizePercentage }}, below the threshold"
		      # the seeds' application pool metrics do not exist in the lab: the server's
		      # sessions against its max_connections, from postgres_exporter
		      - alert: DatabaseConnectionPoolExhausted
		        expr: >-
		          sum by (instance, node, member) (pg_stat_activity_count{job="postgres"})
		          / on (instance, node, member) max by (instance, node, member) (pg_settings_max_connections{job="postgres"})
		          > on () group_left () swarmdeck_lab_threshold{alert="DatabaseConnectionPoolExhausted"}
		        for: 4s
		        labels:
		          severity: warning
		        annotations:
		          summary: "{{ $labels.member }} on {{ $labels.node }}: {{ $value | humanizePercentage }} of max_connections in use"
	EOF
}

_monitor_write_prometheus() { # FILE
	local node pg_nodes
	pg_nodes=$(_monitor_pg_nodes)
	{
		cat <<-EOF
			# written by tests/lab/monitor.sh
			global:
			  scrape_interval: $MONITOR_INTERVAL
			  scrape_timeout: 1s
			  evaluation_interval: $MONITOR_INTERVAL
			alerting:
			  alertmanagers:
			    - static_configs:
			        - targets: ["$MONITOR_ADDR:$MONITOR_AM_PORT"]
			rule_files:
			  - $MONITOR_RUN/rules.yml
			scrape_configs:
			  # instance is the node's address:9100; node is its hostname
			  - job_name: node
			    static_configs:
		EOF
		for node in "${LAB_NODES[@]}"; do
			printf '      - targets: ["%s:%s"]\n        labels: {node: %s}\n' \
				"$(lab_ip "$node")" "$MONITOR_NODE_PORT" "$node"
		done
		if [[ -n $pg_nodes && -s $MONITOR_STATE/pg.pass ]]; then
			printf '  - job_name: postgres\n    scrape_interval: 5s\n    scrape_timeout: 3s\n    static_configs:\n'
			for node in $pg_nodes; do
				printf '      - targets: ["%s:%s"]\n        labels: {node: %s, member: %s}\n' \
					"$(lab_ip "$node")" "$MONITOR_PG_PORT" "$node" "$(_monitor_pg_member "$node")"
			done
		fi
	} >"$1"
}

_monitor_write_alertmanager() { # FILE
	cat >"$1" <<-EOF
		# written by tests/lab/monitor.sh: alerts are kept and listed, sent nowhere
		route:
		  receiver: lab
		  group_by: [alertname]
		  group_wait: 1s
		  group_interval: 5s
		  repeat_interval: 1h
		receivers:
		  - name: lab
	EOF
}

# Write the three files beside the running ones, check them, move them in; prints
# "changed" when any differs from what was there.
_monitor_write_configs() {
	local tmp=$MONITOR_RUN/new f changed=""
	mkdir -p "$tmp"
	_monitor_write_rules "$tmp/rules.yml" &&
		_monitor_write_prometheus "$tmp/prometheus.yml" &&
		_monitor_write_alertmanager "$tmp/alertmanager.yml" || return 1
	# promtool reads the rule files the config names: check the new ones where they will be
	sed -i "s|$MONITOR_RUN/|$tmp/|" "$tmp/prometheus.yml"
	if ! promtool check rules "$tmp/rules.yml" >"$tmp/check.log" 2>&1 ||
		! promtool check config "$tmp/prometheus.yml" >>"$tmp/check.log" 2>&1 ||
		! amtool check-config "$tmp/alertmanager.yml" >>"$tmp/check.log" 2>&1; then
		_monitor_say "the generated configuration does not pass promtool/amtool:"
		sed 's/^/  /' "$tmp/check.log" >&2
		return 1
	fi
	sed -i "s|$tmp/|$MONITOR_RUN/|" "$tmp/prometheus.yml"
	for f in rules.yml prometheus.yml alertmanager.yml; do
		if ! cmp -s "$tmp/$f" "$MONITOR_RUN/$f"; then
			mv "$tmp/$f" "$MONITOR_RUN/$f"
			changed=changed
		fi
	done
	chmod 644 "$MONITOR_RUN"/*.yml
	rm -rf "$tmp"
	echo "$changed"
}

# the swarmdeck role's bare password, readable by the exporters' user only
_monitor_pg_secret() {
	local pgpass=${DATA_SECRETS:-}/pg-swarmdeck.pgpass
	[[ -n ${DATA_SECRETS:-} && -s $pgpass ]] || return 0
	(umask 077 && head -n1 "$pgpass" | cut -d: -f5- >"$MONITOR_STATE/pg.pass.tmp") || return 1
	chown "$MONITOR_USER:$MONITOR_USER" "$MONITOR_STATE/pg.pass.tmp" &&
		mv "$MONITOR_STATE/pg.pass.tmp" "$MONITOR_STATE/pg.pass"
}

# ------------------------------------------------------------------------ commands

monitor_up() {
	monitor_installed || {
		_monitor_say "prometheus, prometheus-alertmanager or prometheus-node-exporter is not installed (tests/deps.sh): left out"
		return 0
	}
	id "$MONITOR_USER" >/dev/null 2>&1 || { _monitor_say "no user $MONITOR_USER"; return 1; }
	local start=$SECONDS node changed
	mkdir -p "$MONITOR_RUN" "$MONITOR_STATE/prometheus" "$MONITOR_STATE/alertmanager" || return 1
	chown "$MONITOR_USER:$MONITOR_USER" "$MONITOR_STATE/prometheus" "$MONITOR_STATE/alertmanager" || return 1
	chmod 755 "$MONITOR_RUN" "$MONITOR_STATE" || return 1
	_monitor_pg_secret || return 1
	changed=$(_monitor_write_configs) || return 1

	for node in "${LAB_NODES[@]}"; do
		lab_ns_exists "$node" || continue
		_monitor_start_node_exporter "$node" || return 1
	done
	for node in $(_monitor_pg_nodes); do
		lab_ns_exists "$node" || continue
		[[ -x $MONITOR_PG_EXPORTER ]] && { _monitor_start_pg_exporter "$node" || return 1; }
	done
	if ! _monitor_root_running alertmanager "$MONITOR_ALERTMANAGER"; then
		_monitor_spawn_root alertmanager "$MONITOR_ALERTMANAGER" \
			--config.file="$MONITOR_RUN/alertmanager.yml" \
			--storage.path="$MONITOR_STATE/alertmanager" \
			--web.listen-address="$MONITOR_ADDR:$MONITOR_AM_PORT" \
			--web.external-url="$(monitor_am_url)" \
			--cluster.listen-address= || return 1
	elif [[ -n $changed ]]; then
		curl -fsS --max-time 5 -X POST "$(monitor_am_url)/-/reload" >/dev/null || return 1
	fi
	if ! _monitor_root_running prometheus "$MONITOR_PROMETHEUS"; then
		_monitor_spawn_root prometheus "$MONITOR_PROMETHEUS" \
			--config.file="$MONITOR_RUN/prometheus.yml" \
			--storage.tsdb.path="$MONITOR_STATE/prometheus" \
			--storage.tsdb.retention.time=1d \
			--web.listen-address="$MONITOR_ADDR:$MONITOR_PROM_PORT" \
			--web.external-url="$(monitor_prom_url)" \
			--web.enable-lifecycle --rules.alert.resend-delay=2s || return 1
	elif [[ -n $changed ]]; then
		curl -fsS --max-time 5 -X POST "$(monitor_prom_url)/-/reload" >/dev/null || return 1
	fi

	lab_wait 30 "Alertmanager to be ready" _monitor_get "$(monitor_am_url)/-/ready" ||
		{ tail -n 5 "$MONITOR_RUN/alertmanager.log" >&2; return 1; }
	lab_wait 30 "Prometheus to be ready" _monitor_get "$(monitor_prom_url)/-/ready" ||
		{ tail -n 5 "$MONITOR_RUN/prometheus.log" >&2; return 1; }
	for node in "${LAB_NODES[@]}"; do
		[[ $(lab_node_state "$node") == running ]] || continue
		lab_wait 10 "node_exporter of $node" _monitor_get "http://$(lab_ip "$node"):$MONITOR_NODE_PORT/metrics" ||
			{ tail -n 5 "$LAB_RUN/$node/node_exporter.log" >&2; return 1; }
	done
	# the first scrapes, so that a test starts on a Prometheus that has seen every node
	lab_wait 20 "Prometheus to scrape every running node" _monitor_nodes_scraped ||
		_monitor_say "not every running node is scraped yet (see $(monitor_prom_url)/targets)"
	# the config too (`monitor.sh up` on a lab that another checkout brought up, whose
	# $LAB_CONFIG may hold sections this checkout's binary does not know): the lab's config
	# as this checkout writes it, into a file of the stack's own, then the copy from it
	if declare -F lab_write_config >/dev/null; then
		# shellcheck disable=SC2034 # lab_write_config writes $LAB_CONFIG
		(unset -f webdav_config && LAB_CONFIG=$MONITOR_RUN/lab.yaml && lab_write_config) || return 1
	fi
	_monitor_say "Prometheus $(monitor_prom_url), Alertmanager $(monitor_am_url), exporters on :$MONITOR_NODE_PORT ($((SECONDS - start))s)"
}

_monitor_nodes_scraped() {
	local want=0 node got
	for node in "${LAB_NODES[@]}"; do
		[[ $(lab_node_state "$node") == running ]] && want=$((want + 1))
	done
	got=$(curl -fsS --max-time 3 "$(monitor_prom_url)/api/v1/query" --data-urlencode 'query=count(up{job="node"} == 1)' |
		jq -r '.data.result[0].value[1] // 0') || return 1
	((got >= want))
}

monitor_start() { # NODE: after a heal, the node's exporters
	monitor_installed && [[ -d $MONITOR_RUN ]] || return 0
	_monitor_start_node_exporter "$1" || return 1
	if [[ -x $MONITOR_PG_EXPORTER && -n $(_monitor_pg_member "$1") ]]; then
		_monitor_pg_secret && _monitor_start_pg_exporter "$1" || return 1
	fi
}

_monitor_stop_root() { # NAME EXE
	local pid tries=0
	_monitor_root_running "$1" "$2" || return 0
	pid=$(monitor_pid "$1")
	kill -TERM "$pid" 2>/dev/null || true
	while _monitor_root_running "$1" "$2"; do
		((++tries < 100)) || { kill -KILL "$pid" 2>/dev/null || true; }
		((tries < 150)) || { _monitor_say "$1 ($pid) survives SIGKILL"; return 1; }
		sleep 0.1
	done
	rm -f "$MONITOR_RUN/$1.pid"
}

monitor_down() {
	local status=0
	_monitor_stop_root prometheus "$MONITOR_PROMETHEUS" || status=1
	_monitor_stop_root alertmanager "$MONITOR_ALERTMANAGER" || status=1
	return $status
}

# `monitor.sh down`: the stack alone, exporters included, and its files (the lab stays up)
monitor_remove() {
	local node name pid status=0
	monitor_down || status=1
	for node in "${LAB_NODES[@]}"; do
		for name in node_exporter postgres_exporter; do
			pid=$(cat "$LAB_RUN/$node/$name.pid" 2>/dev/null) || continue
			if _monitor_alive "$LAB_RUN/$node/$name.pid" "$MONITOR_NODE_EXPORTER" "$node" ||
				_monitor_alive "$LAB_RUN/$node/$name.pid" "$MONITOR_PG_EXPORTER" "$node"; then
				kill -TERM "$pid" 2>/dev/null || true
				lab_wait 10 "$name of $node to stop" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" || status=1
			fi
			rm -f "$LAB_RUN/$node/$name.pid" "$LAB_RUN/$node/$name.log"
		done
	done
	((status == 0)) || return 1
	rm -rf "$MONITOR_RUN" "$MONITOR_STATE" "$MONITOR_CONFIG"
	monitor_check_clean || { _monitor_say "processes of the stack are left"; return 1; }
	_monitor_say "stopped and removed"
}

# after `lab down`: nothing of the stack left running
monitor_check_clean() {
	if pgrep -af -- "--(config\\.file|web\\.listen-address)=($LAB_RUN|$LAB_HOST_IP|192\\.168\\.213\\.)" >&2; then
		return 1
	fi
}

monitor_kill() { # prometheus | alertmanager: SIGKILL, as a crash would
	local pid
	pid=$(monitor_pid "$1") || { _monitor_say "$1 is not running"; return 1; }
	kill -KILL "$pid" 2>/dev/null || true
	lab_wait 10 "$1 to die" sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status"
	_monitor_say "$1 killed"
}

monitor_threshold() { # memory|pool VALUE|default
	local name=$1 value=$2 changed
	case $name in memory | pool) ;; *) _monitor_say "threshold: memory or pool, not '$name'"; return 2 ;; esac
	[[ $value == default ]] || [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
		{ _monitor_say "threshold: a number, not '$value'"; return 2; }
	mkdir -p "$MONITOR_STATE"
	{
		[[ -r $MONITOR_THRESHOLDS ]] && awk -v k="$name" '$1 != k' "$MONITOR_THRESHOLDS"
		[[ $value == default ]] || echo "$name $value"
	} >"$MONITOR_THRESHOLDS.tmp" && mv "$MONITOR_THRESHOLDS.tmp" "$MONITOR_THRESHOLDS"
	changed=$(_monitor_write_configs) || return 1
	if [[ -n $changed ]] && _monitor_root_running prometheus "$MONITOR_PROMETHEUS"; then
		curl -fsS --max-time 5 -X POST "$(monitor_prom_url)/-/reload" >/dev/null || return 1
	fi
	_monitor_say "threshold $name: $(monitor_threshold_value "$name")"
}

monitor_config() { # FILE: a copy with the prometheus: and alertmanager: sections
	monitor_installed || return 0
	{
		cat "$1"
		cat <<-EOF
			prometheus:
			  url: $(monitor_prom_url)
			  timeout_ms: 3000
			alertmanager:
			  url: $(monitor_am_url)
			  push: true
		EOF
	} >"$MONITOR_CONFIG.tmp" && mv "$MONITOR_CONFIG.tmp" "$MONITOR_CONFIG"
}

_monitor_line() { # NAME NODE ADDRESS RUNNING-CMD... -> one status line
	local name=$1 node=$2 addr=$3 state=stopped
	shift 3
	if "$@"; then
		state=running
		_monitor_get "http://$addr/metrics" 2>/dev/null || state="running, not answering"
	fi
	printf '%-10s %-10s %-20s %s\n' "$name" "$node" "$addr" "$state"
}

monitor_status() {
	monitor_installed || return 0
	[[ -d $MONITOR_RUN ]] || { printf 'monitoring: not started (lab up starts it)\n'; return 0; }
	local node
	for node in "${LAB_NODES[@]}"; do
		_monitor_line node-exp "$node" "$(lab_ip "$node"):$MONITOR_NODE_PORT" _monitor_node_exporter_running "$node"
	done
	for node in $(_monitor_pg_nodes); do
		_monitor_line pg-exp "$node" "$(lab_ip "$node"):$MONITOR_PG_PORT" _monitor_pg_exporter_running "$node"
	done
	_monitor_line prometheus host "$MONITOR_ADDR:$MONITOR_PROM_PORT" _monitor_root_running prometheus "$MONITOR_PROMETHEUS"
	_monitor_line alertmgr host "$MONITOR_ADDR:$MONITOR_AM_PORT" _monitor_root_running alertmanager "$MONITOR_ALERTMANAGER"
}

monitor_env() {
	cat <<-EOF
		MONITOR_PROM_URL=$(monitor_prom_url)
		MONITOR_AM_URL=$(monitor_am_url)
		MONITOR_CONFIG=$MONITOR_CONFIG
		MONITOR_NODE_PORT=$MONITOR_NODE_PORT
		MONITOR_INTERVAL=${MONITOR_INTERVAL%s}
	EOF
}

_monitor_main() {
	local cmd=${1:-}
	case $cmd in
	up | down | threshold | kill)
		lab_require_root
		exec 9<"$LAB_DIR/lab"
		flock 9 # one mutating lab command at a time
		;;
	esac
	case $cmd in
	up) monitor_up ;;
	down) monitor_remove ;;
	status) monitor_status ;;
	env) monitor_env ;;
	threshold) [[ $# -eq 3 ]] || _monitor_usage; monitor_threshold "$2" "$3" ;;
	kill)
		[[ $# -eq 2 && ($2 == prometheus || $2 == alertmanager) ]] || _monitor_usage
		monitor_kill "$2"
		;;
	*) _monitor_usage ;;
	esac
}

_monitor_usage() {
	echo "usage: $0 up | down | status | env | threshold memory|pool VALUE|default | kill prometheus|alertmanager" >&2
	exit 2
}

if [[ ${BASH_SOURCE[0]} == "$0" && -z ${_MONITOR_SOURCED:-} ]]; then
	set -euo pipefail
	_MONITOR_SOURCED=1
	# shellcheck source=/dev/null
	source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab"
	export PATH=$LAB_PATH:$PATH
	_monitor_main "$@"
fi
