# test_prometheus.sh - the console against the lab's real monitoring stack (tests/lab/monitor.sh:
# Prometheus, Alertmanager, a node_exporter per node): a rule that fires (the memory
# threshold raised past what any node has) shows in `--once --json` and on the screen and
# clears after; the node figures agree with each node_exporter's own /metrics; with push on,
# a killed worker is swarmdeck's alert at Alertmanager and resolves once healed; Prometheus
# killed: its section says so and the rest stays live.
. "$(dirname "$0")/lib.sh"
plan 21
MON="$ROOT/tests/lab/monitor.sh"
NCHECKS=21

skip_rest() { # REASON: every check not yet printed, as skipped
	n=$((NCHECKS - done_checks))
	while [ "$n" -gt 0 ]; do skip "prometheus check $((NCHECKS - n + 1))" "$1"; n=$((n - 1)); done
	exit 0
}
done_checks=0
# count what is printed, so skip_rest knows how many are left
ok() { done_checks=$((done_checks + 1)); echo "ok - $*"; }
not_ok() { done_checks=$((done_checks + 1)); echo "not ok - $*"; }
skip() { done_checks=$((done_checks + 1)); echo "ok - $1 # SKIP $2"; }

[ "$(id -u)" -eq 0 ] || skip_rest "needs root (the lab)"
[ -x "$MON" ] || skip_rest "no tests/lab/monitor.sh"
"$MON" up > "$TMP/monitor-up.log" 2>&1 || { sed 's/^/#   /' "$TMP/monitor-up.log" | tail -n 5; skip_rest "the monitoring stack did not come up"; }
grep -q 'left out' "$TMP/monitor-up.log" && skip_rest "prometheus packages not installed (tests/deps.sh)"
eval "$("$MON" env)"
at_exit "'$MON' threshold memory default; '$MON' threshold pool default"
at_exit "'$MON' up"
PROM=$MONITOR_PROM_URL
AM=$MONITOR_AM_URL
pq() { curl -fsS --max-time 5 "$PROM/api/v1/query" --data-urlencode "query=$1"; }
am_alerts() { curl -fsS --max-time 5 "$AM/api/v2/alerts" > "$TMP/am.json" && jq -e . "$TMP/am.json" > /dev/null; }
now() { date +%s; }

# ---- the stack itself
wait_until 20 sh -c "[ \"\$(curl -fsS '$PROM/api/v1/query' --data-urlencode 'query=count(up{job=\"node\"} == 1)' | jq -r '.data.result[0].value[1]')\" = 5 ]"
curl -fsS "$PROM/api/v1/targets" > "$TMP/targets.json"
targets=$(jq -r '[.data.activeTargets[] | select(.labels.job == "node") | "\(.labels.node)=\(.labels.instance)=\(.health)"] | sort | join(" ")' "$TMP/targets.json")
want=""
for n in manager-1 manager-2 manager-3 worker-1 worker-2; do
	want="$want $n=$(node_addr=$(dk node inspect "$n" --format '{{.Status.Addr}}' 2>/dev/null); echo "$node_addr"):9100=up"
done
check "Prometheus scrapes the five node_exporters, instance = address:9100, node = hostname ($targets)" \
	[ "$targets" = "${want# }" ]
curl -fsS "$PROM/api/v1/rules" > "$TMP/rules.json"
rules=$(jq -r '[.data.groups[].rules[] | select(.type == "alerting") | "\(.name):\(.labels.severity):\(.health)"] | sort | join(" ")' "$TMP/rules.json")
check "the three rules are loaded with their severities ($rules)" \
	[ "$rules" = "DatabaseConnectionPoolExhausted:warning:ok HighMemoryUsage:warning:ok ServiceDown:critical:ok" ]
if [ -x /usr/bin/prometheus-postgres-exporter ] && [ -d /var/lib/swarmdeck-lab/pg ]; then
	check "DatabaseConnectionPoolExhausted's ratio has a value per PostgreSQL member" wait_until 20 sh -c \
		"curl -fsS '$PROM/api/v1/query' --data-urlencode 'query=sum by (member) (pg_stat_activity_count) / max by (member) (pg_settings_max_connections)' | jq -e '.data.result | length == 3'"
else
	skip "DatabaseConnectionPoolExhausted's ratio has a value per PostgreSQL member" "no postgres exporter or data tier"
fi

# ---- the console: is the Prometheus side there?
NOPUSH="$TMP/nopush.yaml"
sed 's/^  push: true$/  push: false/' "$MONITOR_CONFIG" > "$NOPUSH"
export SWARMDECK_CONFIG="$NOPUSH"
"$SD" --once --json > "$TMP/once.json" 2> "$TMP/once.err"
if ! jq -e '.prometheus | type == "object"' "$TMP/once.json" > /dev/null 2>&1; then
	sed 's/^/#   /' "$TMP/once.err" | head -n 3
	skip_rest "this binary has no Prometheus side (no .prometheus in --once --json)"
fi

# the console in tmux, with push on, for the screen and the push checks
session=sdprom-$$
tmux kill-session -t $session 2>/dev/null
tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color SWARMDECK_CONFIG=$MONITOR_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME $SD"
at_exit "tmux kill-session -t $session"
screen() { tmux capture-pane -p -t $session; }
shows() { screen | grep -Eq "$1"; }
wait_until 30 shows "manager-1" || note "the console does not show manager-1 after 30 s"

# ---- (a) a rule that fires: the memory threshold raised above every node's available share
mem_alerts() { once_json && jq -e '[.prometheus.alerts[] | select(.name == "HighMemoryUsage" and .state == "firing")] | length' "$TMP/once.json"; }
firing() { [ "$(mem_alerts 2>/dev/null)" -ge 1 ] 2>/dev/null; }
none() { [ "$(mem_alerts 2>/dev/null)" = 0 ]; }
wait_until 20 none || note "HighMemoryUsage already firing before the test"
t0=$(now)
"$MON" threshold memory 1.5 > /dev/null 2>&1
if wait_until 30 firing; then
	took=$(($(now) - t0))
	sev=$(jq -r '[.prometheus.alerts[] | select(.name == "HighMemoryUsage")][0] | "\(.severity)/\(.level)"' "$TMP/once.json")
	check "HighMemoryUsage fires in --once --json ${took}s after the threshold moved (<= 20 s), warning ($sev)" \
		sh -c "[ $took -le 20 ] && [ '$(echo "$sev" | tr '[:upper:]' '[:lower:]')' = warning/warning ]"
else
	not_ok "HighMemoryUsage fires in --once --json after the threshold moved (not within 30 s)"
fi
tmux send-keys -t $session 9
check "and on the screen (alerts, pane 9)" wait_until 15 shows "HighMemoryUsage"
t0=$(now)
"$MON" threshold memory default > /dev/null 2>&1
if wait_until 30 none; then
	check "it clears from --once --json $(($(now) - t0))s after the threshold came back (<= 20 s)" [ $(($(now) - t0)) -le 20 ]
else
	not_ok "it clears from --once --json after the threshold came back (not within 30 s)"
fi
check "and from the screen" wait_until 15 sh -c "! tmux capture-pane -p -t $session | grep -q HighMemoryUsage"
tmux send-keys -t $session Escape

# the pool rule, its threshold at 0 (every member has sessions: the exporter's own at least)
if [ -x /usr/bin/prometheus-postgres-exporter ] && [ -d /var/lib/swarmdeck-lab/pg ]; then
	t0=$(now)
	"$MON" threshold pool 0 > /dev/null 2>&1
	check "DatabaseConnectionPoolExhausted fires for the three members when its threshold is 0" \
		wait_until 30 sh -c "[ \"\$('$SD' --once --json 2>/dev/null | jq '[.prometheus.alerts[] | select(.name == \"DatabaseConnectionPoolExhausted\" and .state == \"firing\") | .labels.member] | unique | length')\" = 3 ]"
	note "pool alerts firing $(($(now) - t0))s after the threshold moved"
	"$MON" threshold pool default > /dev/null 2>&1
else
	skip "DatabaseConnectionPoolExhausted fires for the three members when its threshold is 0" "no postgres exporter or data tier"
fi

# ---- (b) node figures against each node_exporter's own /metrics
full() { once_json && jq -e '[.prometheus.nodes[] | select(.cpu_busy != null and .mem_available != null and .disk_free != null)] | length == 5' "$TMP/once.json"; }
wait_until 70 full
matched=$(jq -r '.prometheus.nodes[] | "\(.node) \(.instance)"' "$TMP/once.json" | while read -r n i; do
	[ "$(node_of_addr "$i")" = "$n" ] && [ "${i##*:}" = 9100 ] && echo "$n"; done | wc -l)
check "five nodes with figures, instance = the node's address:9100 ($matched), no error" \
	sh -c "[ $matched -eq 5 ] && jq -e '.prometheus.error == null' '$TMP/once.json' > /dev/null"
mem_bad="" disk_bad="" cpu_bad="" mem_n=0 disk_n=0
for inst in $(jq -r '.prometheus.nodes[].instance' "$TMP/once.json"); do
	curl -fsS --max-time 5 "http://$inst/metrics" > "$TMP/metrics" || { mem_bad="$mem_bad $inst:unreachable"; continue; }
	m=$(awk '$1 == "node_memory_MemAvailable_bytes" { print $2 }' "$TMP/metrics")
	d=$(awk '/^node_filesystem_avail_bytes\{/ && /mountpoint="\/"[,}]/ { print $2 }' "$TMP/metrics")
	jm=$(jq -r --arg i "$inst" '.prometheus.nodes[] | select(.instance == $i) | .mem_available' "$TMP/once.json")
	jd=$(jq -r --arg i "$inst" '.prometheus.nodes[] | select(.instance == $i) | .disk_free' "$TMP/once.json")
	jc=$(jq -r --arg i "$inst" '.prometheus.nodes[] | select(.instance == $i) | .cpu_busy' "$TMP/once.json")
	awk -v a="$jm" -v b="$m" 'BEGIN { exit !(b > 0 && (a - b) / b < 0.05 && (b - a) / b < 0.05) }' && mem_n=$((mem_n + 1)) ||
		mem_bad="$mem_bad $inst:$jm/$m"
	awk -v a="$jd" -v b="$d" 'BEGIN { exit !(b > 0 && (a - b) / b < 0.01 && (b - a) / b < 0.01) }' && disk_n=$((disk_n + 1)) ||
		disk_bad="$disk_bad $inst:$jd/$d"
	awk -v c="$jc" 'BEGIN { exit !(c != "null" && c >= 0 && c <= 100) }' || cpu_bad="$cpu_bad $inst:$jc"
done
check "memory available agrees with each node_exporter within 5 % ($mem_n of 5${mem_bad:+;$mem_bad})" [ "$mem_n" -eq 5 ]
check "root disk free agrees with each node_exporter within 1 % ($disk_n of 5${disk_bad:+;$disk_bad})" [ "$disk_n" -eq 5 ]
check "CPU busy is between 0 and 100 % on every node${cpu_bad:+ (not:$cpu_bad)}" sh -c "[ -z '$cpu_bad' ] && [ $mem_n -gt 0 ]"

# ---- (c) push: worker-1 killed, swarmdeck's alert at Alertmanager; healed, it resolves
service_down() { am_alerts && jq -e 'any(.[]; .labels.alertname == "ServiceDown" and .labels.node == "worker-1")' "$TMP/am.json"; }
own_alert() { # the swarmdeck alert about worker-1, open now
	am_alerts && jq -e 'any(.[]; (.generatorURL | startswith("swarmdeck://")) and .labels.target == "worker-1"
		and (.labels | has("alertname") and has("source") and has("severity"))
		and (.labels.severity == "critical" or .labels.severity == "warning")
		and ((.endsAt // "9999") > (now | todate)))' "$TMP/am.json"
}
t0=$(now)
tests/lab/lab kill worker-1 > /dev/null 2>&1
at_exit "tests/lab/lab heal worker-1"
if wait_until 30 service_down; then
	check "ServiceDown for worker-1 at Alertmanager $(($(now) - t0))s after the kill (<= 15 s)" [ $(($(now) - t0)) -le 15 ]
else
	not_ok "ServiceDown for worker-1 at Alertmanager (not within 30 s)"
fi
if wait_until 90 own_alert; then
	a=$(jq -c '[.[] | select((.generatorURL | startswith("swarmdeck://")) and .labels.target == "worker-1")][0] | {labels: .labels | {alertname, source, target, severity}, generatorURL}' "$TMP/am.json")
	ok "swarmdeck's worker-down alert is at Alertmanager $(($(now) - t0))s after the kill: $a"
else
	note "Alertmanager holds: $(jq -c '[.[] | {n: .labels.alertname, t: .labels.target, g: .generatorURL}]' "$TMP/am.json" 2>/dev/null | cut -c1-400)"
	not_ok "swarmdeck's worker-down alert is at Alertmanager (not within 90 s of the kill)"
fi
# within 25 s of the heal's start: less than the 30 s an alert stays open unrenewed, so a
# console that had stopped pushing would not pass by its alert expiring
t0=$(now)
tests/lab/lab heal worker-1 > "$TMP/heal.log" 2>&1 || sed 's/^/#   /' "$TMP/heal.log" | tail -n 3
left=$((25 - ($(now) - t0)))
[ "$left" -gt 0 ] || left=1
check "healed: it resolves (gone, or endsAt past) within 25 s of the heal's start" wait_until "$left" sh -c "! { curl -fsS '$AM/api/v2/alerts' > '$TMP/am2.json' && jq -e 'any(.[]; (.generatorURL | startswith(\"swarmdeck://\")) and .labels.target == \"worker-1\" and ((.endsAt // \"9999\") > (now | todate)))' '$TMP/am2.json'; }"
note "resolved $(($(now) - t0))s after the heal started"
check "lab heal started worker-1's node_exporter again" wait_until 10 curl -fsS --max-time 3 -o /dev/null "http://192.168.213.21:$MONITOR_NODE_PORT/metrics"

# ---- (d) Prometheus down: its section says so, the rest stays live
"$SD" --once --json > "$TMP/before.json" 2>/dev/null
rc_before=$?
"$MON" kill prometheus > /dev/null 2>&1
"$SD" --once --json > "$TMP/down.json" 2>/dev/null
rc_down=$?
err=$(jq -r '.prometheus.error // empty' "$TMP/down.json" 2>/dev/null)
check "Prometheus killed: the prometheus section says so (${err:-no error})" [ -n "$err" ]
check "the exit code is still a health level (before $rc_before, now $rc_down) and nodes and services are read" \
	sh -c "[ $rc_down -le 3 ] && jq -e '(.nodes | length) == 5 and (.services | length) >= 3' '$TMP/down.json' > /dev/null"
check "the running console says so on screen and still shows the swarm" wait_until 20 sh -c \
	"tmux capture-pane -p -t $session | grep -Eqi 'prometheus.*(refused|unreach|fail|error|connect|timed)' && tmux capture-pane -p -t $session | grep -q 'iot-guardian_backend'"
"$MON" up > /dev/null 2>&1
check "Prometheus back: the error clears" wait_until 30 sh -c "'$SD' --once --json 2>/dev/null | jq -e '.prometheus.error == null' > /dev/null"
check "the console in tmux is the same process throughout" tmux has-session -t $session
