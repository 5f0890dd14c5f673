#!/bin/sh
# pg_activity.sh - `make bench`, PostgreSQL part: swarmdeck's overview + sessions refresh
# against pg_activity (Debian's pg-activity) on the same primary, under the same pgbench load,
# in the same run, both refreshing every second for SECONDS (default 30) in a tmux pane.
# Figures: the server's CPU time per refresh (the tool's backends, from /proc/PID/stat of
# the postgres processes on this host) and the client's CPU (% of a core). Never pass/fail.
# Called by tests/bench/run with the lab's environment set; TMP is a scratch folder.
set -u
tmp=${1:?scratch folder}
secs=${2:-30}
DATA=tests/lab/data
command -v pg_activity >/dev/null || { echo "pg_activity is not installed (tests/deps.sh): no comparison"; exit 0; }
primary=$($DATA primary) || { echo "no PostgreSQL primary: no pg_activity comparison"; exit 0; }
addr=$(grep "name: $primary," "$SWARMDECK_CONFIG" | sed 's/.*host=\([0-9.]*\).*/\1/')
pass=$($DATA pgpass swarmdeck)
hz=$(getconf CLK_TCK)
now() { date +%s.%N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
sdsql() { PGPASSFILE=$pass psql -X -At -h "$addr" -U swarmdeck -d postgres -c "$1"; }
backends() { sdsql "select pid from pg_stat_activity where application_name = '$1'"; }
sum_ticks() { t=0; for p in $1; do t=$((t + $(ticks "$p"))); done; echo $t; }

# swarmdeck: the PostgreSQL primary alone, no engine (docker points at nothing)
cat > "$tmp/pg.yaml" <<YAML
docker:
  host: unix://$tmp/no-engine.sock
  timeout_ms: 200
interval: 1
audit_log: $tmp/audit.log
postgres:
  password_file: $pass
  statement_timeout_ms: 3000
  members:
    - {name: $primary, conninfo: "host=$addr port=5432 user=swarmdeck dbname=postgres"}
YAML

$DATA pgbench $((secs * 2 + 15)) 300 4 > "$tmp/pgbench.out" 2>&1 &
bench=$!
sleep 3

measure() { # NAME APPNAME COMMAND: "client% server_ms_per_refresh refreshes"
	tmux kill-session -t sdbench-pg 2>/dev/null
	tmux new-session -d -s sdbench-pg -x 200 -y 50 "$3"
	sleep 4
	pid=$(tmux list-panes -t sdbench-pg -F '#{pane_pid}' | head -n 1)
	# the tool itself may be a child of the pane's shell
	child=$(pgrep -P "$pid" | head -n 1)
	[ -n "$child" ] && pid=$child
	b=$(backends "$2")
	c0=$(ticks "$pid") s0=$(sum_ticks "$b") t0=$(now)
	sleep "$secs"
	c1=$(ticks "$pid") s1=$(sum_ticks "$b") t1=$(now)
	tmux kill-session -t sdbench-pg 2>/dev/null
	awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
		-v n="$(echo "$b" | grep -c .)" 'BEGIN {
		d = t1 - t0; r = d / 1.0
		printf "%.2f %.2f %d %d\n", (c1 - c0) / hz / d * 100, (s1 - s0) / hz * 1000 / r, r, n }'
}

sd=$(measure swarmdeck swarmdeck "env TERM=xterm-256color ./swarmdeck --watch --config $tmp/pg.yaml")
pa=$(measure pg_activity pg_activity "env TERM=xterm-256color PGPASSFILE=$pass pg_activity -h $addr -p 5432 -U swarmdeck -d postgres --refresh 1 --no-sys-info")
wait "$bench" 2>/dev/null     # pgbench ends by itself (-T)
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$tmp/pgbench.out" | head -n 1)
echo "$sd" "$pa" | awk -v s="$secs" -v tps="${tps:-?}" '{
	printf "PostgreSQL overview + sessions on the primary, refresh every 1 s for %d s each, pgbench %s tps:\n", s, tps
	printf "  swarmdeck:   client %.2f%% of a core, server CPU %.2f ms a refresh (%d backend%s)\n", $1, $2, $4, $4 == 1 ? "" : "s"
	printf "  pg_activity: client %.2f%% of a core, server CPU %.2f ms a refresh (%d backend%s)\n", $5, $6, $8, $8 == 1 ? "" : "s"
	if ($1 > 0) printf "  client CPU: pg_activity / swarmdeck = %.1fx", $5 / $1; else printf "  client CPU: swarmdeck below the clock tick"
	if ($2 > 0) printf "; server CPU: %.1fx\n", $6 / $2; else printf "; server CPU: swarmdeck below the clock tick\n"
	printf "  (goal: less server time and less client CPU than pg_activity at the same interval)\n" }'
