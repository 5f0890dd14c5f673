# test_fleet.sh - several clusters in one console, against the lab's two swarms: `lab` (its
# config under clusters.lab of the fleet config the lab writes) and `beta` (beta-manager-1,
# beta-worker-1). The lab's side first: the fleet config holds the lab's sections as they
# are, beta's engines form a swarm of their own. Then the console: --check-config counts the
# clusters, --once --json gives one snapshot per cluster and exits with the worst level,
# --cluster beta gives beta's alone; in tmux, 0 shows the Fleet pane with both reachable,
# Enter on beta's row and C (cluster.switch) move between them, killing beta-manager-1 makes
# beta's row UNKNOWN within docker.timeout_ms + interval (+ a margin) while lab stays live and
# keys answer; with lab protected, scaling asks for the service's name typed and `yes` is
# refused (the engine's spec is read to see that only the name scaled it).
. "$(dirname "$0")/lib.sh"
plan 35
RUN=$(dirname "$SWARMDECK_CONFIG")
FLEET=$RUN/swarmdeck-fleet.yaml
BETA_HOST=unix://$RUN/beta-manager-1/docker.sock
bdk() { "$DOCKER" -H "$BETA_HOST" "$@"; }
words() { sort | tr '\n' ' ' | sed 's/ $//'; }
beta_ready() { [ "$(bdk node ls --format '{{.Hostname}} {{.Status}}' | words)" = "beta-manager-1 Ready beta-worker-1 Ready" ]; }
svc=iot-guardian_frontend
spec_replicas() { dk service inspect "$svc" --format '{{.Spec.Mode.Replicated.Replicas}}'; }
spec_is() { [ "$(spec_replicas)" = "$1" ]; }
replicas0=$(spec_replicas)
replicas1=$((${replicas0:-2} + 1))
# whatever happens below, beta's manager runs again and the frontend has its replicas back
at_exit "tests/lab/lab heal beta-manager-1"
at_exit "$DOCKER service scale --detach $svc=${replicas0:-2}"

# ------------------------------------------------------------------ the lab's two swarms
check "the lab writes the fleet config beside its own ($FLEET)" [ -s "$FLEET" ]
# the lab's sections, as the single config has them, and as the fleet has them under lab:
awk '/^[A-Za-z_]/ { keep = $0 !~ /^(cluster_name|interval|scale_max|audit_log):/ } keep' \
	"$SWARMDECK_CONFIG" > "$TMP/single-sections"
awk '/^  [A-Za-z_]/ { in_lab = ($0 == "  lab:"); next } /^[A-Za-z_]/ { in_lab = 0 } in_lab' \
	"$FLEET" | sed 's/^    //' > "$TMP/fleet-sections"
check "clusters.lab holds every section of the lab's config as it is" \
	cmp -s "$TMP/single-sections" "$TMP/fleet-sections"
top=$(sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\):.*/\1/p' "$FLEET" | words)
others=$(echo "$top" | tr ' ' '\n' | grep -vxE 'interval|scale_max|audit_log|theme|keymap|logs|timeline|resync_interval|clusters')
check "beside clusters: only console-wide keys ($top)" \
	sh -c "[ -z '$others' ] && echo ' $top ' | grep -q ' clusters '"
check "clusters.beta asks beta-manager-1's engine" grep -qx "      host: $BETA_HOST" "$FLEET"
check "beta's swarm: beta-manager-1 and beta-worker-1 Ready" wait_until 60 beta_ready
beta_services() { [ "$(bdk service ls --format '{{.Name}} {{.Replicas}}' | words)" = "beta_agent 2/2 beta_web 2/2" ]; }
check "beta's services converged (beta_web 2/2, beta_agent global)" wait_until 60 beta_services
check "the main swarm is its 5 nodes, none of beta's ($(dk node ls --format '{{.Hostname}}' | words))" \
	[ "$(dk node ls --format '{{.Hostname}}' | words)" = "manager-1 manager-2 manager-3 worker-1 worker-2" ]

# this run's copy: lab protected, polled every second
sed -e 's/^interval: .*/interval: 1/' -e '/^  lab:$/a\    protected: true' "$FLEET" > "$TMP/fleet.yaml"
CONF=$TMP/fleet.yaml
note "beta: docker.timeout_ms $(sed -n '/^  beta:/,$s/^      timeout_ms: //p' "$CONF"), interval 1"

# ------------------------------------------------------------------ without a screen
"$SD" --check-config --config "$FLEET" > "$TMP/check.out" 2>&1
check "--check-config on the lab's fleet config: 2 clusters, lab and beta" \
	grep -qx "config $FLEET: ok (2 clusters: lab, beta)" "$TMP/check.out"
sed 's/^/#   /' "$TMP/check.out" | head -n 3

level_rc() { case $1 in OK) echo 0 ;; WARNING) echo 1 ;; CRITICAL) echo 2 ;; *) echo 3 ;; esac; }
"$SD" --config "$CONF" --once --json > "$TMP/fleet.json" 2>"$TMP/fleet.err"
rc=$?
check "--once --json: a snapshot per cluster, lab then beta" \
	jq_true '.version and (.clusters | keys_unsorted) == ["lab", "beta"]' "$TMP/fleet.json"
check "both reachable, beta's 2 nodes and its services in its own snapshot" \
	jq_true '.clusters.lab.cluster.reachable and .clusters.beta.cluster.reachable
		and ([.clusters.beta.nodes[].hostname] | sort) == ["beta-manager-1", "beta-worker-1"]
		and ([.clusters.beta.services[].name] | sort) == ["beta_agent", "beta_web"]
		and (.clusters.lab.nodes | length) == 5' "$TMP/fleet.json"
worst=$(jq -r '[.clusters[].health | {"OK": 0, "WARNING": 1, "CRITICAL": 2}[.] // 3] | max' "$TMP/fleet.json" 2>/dev/null)
health=$(jq -r '.health' "$TMP/fleet.json" 2>/dev/null)
note "health: lab $(jq -r '.clusters.lab.health' "$TMP/fleet.json" 2>/dev/null), beta $(jq -r '.clusters.beta.health' "$TMP/fleet.json" 2>/dev/null), all $health"
check "health is the worst of the clusters' ($health) and so is the exit status ($rc)" \
	sh -c "[ -n '$worst' ] && [ '$rc' = '$worst' ] && [ '$(level_rc "$health")' = '$worst' ]"
"$SD" --config "$CONF" --cluster beta --once --json > "$TMP/beta.json" 2>/dev/null
rc=$?
check "--cluster beta --once --json: beta's snapshot alone, as a single cluster's (exit $rc)" \
	jq_true --argjson rc "$rc" '(has("clusters") | not) and .cluster.reachable
		and ([.nodes[].hostname] | sort) == ["beta-manager-1", "beta-worker-1"]
		and ({"OK": 0, "WARNING": 1, "CRITICAL": 2}[.health] // 3) == $rc' "$TMP/beta.json"
"$SD" --config "$CONF" --once > "$TMP/fleet.txt" 2>&1
first_line() { grep -n -- "$1" "$TMP/fleet.txt" | head -n 1 | cut -d: -f1; }
lab_at=$(first_line 'cluster lab  health') beta_at=$(first_line 'cluster beta  health')
check "--once: lab's block, then beta's (lines ${lab_at:-none} and ${beta_at:-none})" \
	sh -c "[ -n '$lab_at' ] && [ -n '$beta_at' ] && [ '$lab_at' -lt '$beta_at' ]"

# ------------------------------------------------------------------ the console (tmux)
session=sdfleet-$$
T() { tmux -u -L "$session" "$@"; }
at_exit "tmux -L $session kill-server"
T new-session -d -s "$session" -x 200 -y 50 \
	"env TERM=xterm-256color TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME=$HOME XDG_STATE_HOME=$XDG_STATE_HOME $SD --config $CONF 2>$TMP/stderr"
screen() { T capture-pane -p -t "$session" 2>/dev/null; }
shows() { screen | grep -Eq -- "$1"; }
keys() { T send-keys -t "$session" "$@"; }
esc() { keys Escape; sleep 0.5; } # Esc alone (a key right after it reads as Alt+key)
header_has() { screen | head -n 1 | grep -Eq -- "$1"; }
# a fleet row: NAME then its columns, up to the pane's edge (left column or right)
row() { screen | grep -Eo -- "(^|│) ?.?$1( \*)? +(reachable|UNREACHABLE)[^│]*" | sed 's/^│//' | head -n 1; }
row_has() { row "$1" | grep -Eq -- "$2"; }
# the nodes pane lists exactly these hostnames (one row each, at a line's start)
nodes_shown() { # COUNT HOSTNAME...
	_s=$(screen)
	echo "$_s" | grep -q "Nodes ($1)" || return 1
	shift
	for _h in "$@"; do echo "$_s" | grep -Eq "^ ?$_h " || return 1; done
}
# wait_fine SECONDS CMD...: as wait_until, polled every 0.1 s; sets took (seconds)
wait_fine() {
	_limit=$1
	shift
	_start=$(date +%s.%N)
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(echo "$(date +%s.%N) - $_start > $_limit" | bc)" = 1 ]; then
			took=$(echo "$(date +%s.%N) - $_start" | bc)
			return 1
		fi
		sleep 0.1
	done
	took=$(echo "$(date +%s.%N) - $_start" | bc)
}

wait_until 30 header_has 'cluster lab( |$)' || note "header: $(screen | head -n 1)"
check "the console opens on the first cluster of the file (header: cluster lab)" header_has 'cluster lab( |$)'
keys 0
check "0 shows the Fleet pane" wait_until 10 shows '0 Fleet'
check "with the columns CLUSTER STATE MANAGERS QUORUM DOWN SERVICES PRIMARY LAG REDIS CKQUORUM RPO ALERTS LEVEL" \
	shows 'CLUSTER +STATE +MANAGERS +QUORUM +DOWN +SERVICES +PRIMARY +LAG +REDIS +CKQUORUM +RPO +ALERTS +LEVEL'
check "lab's row: reachable, managers 3/3, quorum ok" wait_until 20 row_has lab '^.?.?lab( \*)? +reachable +3/3 +ok( |$)'
check "beta's row: reachable, managers 1/1, quorum ok" wait_until 20 row_has beta '^.?.?beta( \*)? +reachable +1/1 +ok( |$)'
note "fleet rows: $(row lab) | $(row beta)"

# to beta by its row (Enter: open), and back by C (cluster.switch)
keys Down Enter
check "Enter on beta's row shows beta (header: cluster beta)" wait_until 10 header_has 'cluster beta( |$)'
keys 1
beta_nodes_only() { nodes_shown 2 beta-manager-1 beta-worker-1 && ! screen | grep -Eq '^ ?(manager|worker)-[0-9] '; }
check "its nodes pane lists beta's 2 nodes and none of lab's" wait_until 15 beta_nodes_only
keys C
asks_cluster() { screen | grep -Eq 'cluster \(lab, beta[;)]'; }
check "C asks for the cluster, naming lab and beta" wait_until 5 asks_cluster
keys l a b Enter
check "lab typed and Enter: lab again (header: cluster lab)" wait_until 10 header_has 'cluster lab( |$)'
check "and its nodes pane has its 5 nodes again" \
	wait_until 15 nodes_shown 5 manager-1 manager-2 manager-3 worker-1 worker-2

# beta's manager dies: its row goes UNKNOWN, lab stays live
keys 0
wait_until 10 row_has beta 'reachable' || note "beta's row: $(row beta)"
tests/lab/lab kill beta-manager-1 > "$TMP/kill.out" 2>&1 || sed 's/^/#   /' "$TMP/kill.out"
bound=$((2 + 1 + 5)) # docker.timeout_ms 2000 + interval 1 + 5 s of margin
wait_fine $bound row_has beta '^.?.?beta +UNREACHABLE.*UNKNOWN *$'
check "kill beta-manager-1: beta's row UNREACHABLE and UNKNOWN within ${bound} s (${took} s)" \
	row_has beta '^.?.?beta +UNREACHABLE.*UNKNOWN *$'
note "fleet rows: $(row lab) | $(row beta)"
check "lab's row is still reachable, with a level of its own (not UNKNOWN)" \
	row_has lab '^.?.?lab( \*)? +reachable .*(OK|WARNING|CRITICAL) *$'
keys 1 '?'
wait_fine 1 shows 'Keys in the Nodes pane'
check "keys still answer: 1 then ? shows the Nodes pane's keys within 1 s (${took} s)" \
	shows 'Keys in the Nodes pane'
esc
"$SD" --config "$CONF" --once --json > "$TMP/down.json" 2>/dev/null
rc=$?
check "--once --json with beta down: beta UNKNOWN, lab answers, exit 3 (the worst; got $rc)" \
	jq_true --argjson rc "$rc" '$rc == 3 and .health == "UNKNOWN" and .clusters.beta.health == "UNKNOWN"
		and (.clusters.beta.cluster.reachable | not) and .clusters.lab.cluster.reachable
		and .clusters.lab.health != "UNKNOWN"' "$TMP/down.json"

# healed: its row comes back
tests/lab/lab heal beta-manager-1 > "$TMP/heal.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/heal.out" | tail -n 5
check "lab heal beta-manager-1: both beta nodes Ready again (heal exit $rc)" wait_until 60 beta_ready
keys 0
check "beta's row is reachable again" wait_until 30 row_has beta '^.?.?beta( \*)? +reachable +1/1 +ok( |$)'

# lab protected: the scale asks for the service's name; yes is refused
wait_until 60 replicas_are $svc "$replicas0/$replicas0"
keys 2 / frontend Enter s "$replicas1" Enter
check "scale on the protected lab asks for $svc typed" \
	wait_until 10 shows "Type $svc and Enter to confirm"
check "and the question names the protected cluster" shows 'PROTECTED cluster lab: '
keys y e s Enter
wait_until 10 shows 'not confirmed \(the name typed did not match\)'
sleep 2 # time for a scale that should not happen to reach the engine
refused_unscaled() { shows 'not confirmed \(the name typed did not match\)' && spec_is "$replicas0"; }
check "yes is refused (the name typed did not match) and the spec still says $replicas0 replicas ($(spec_replicas))" \
	refused_unscaled
keys s "$replicas1" Enter
wait_until 10 shows "Type $svc and Enter to confirm" || note "no dialog the second time"
keys -l "$svc"
keys Enter
check "the name typed scales it: the engine's spec says $replicas1 replicas" wait_until 15 spec_is "$replicas1"
# the last two scales of the service in the audit log: refused, then ok
# (the line is written when the action has run: just after the engine has the new spec)
scale_results() {
	grep "\"action\":\"service.scale\".*\"target\":\"$svc\"" /run/swarmdeck-lab/audit.log |
		tail -n 2 | sed 's/.*"result":"\([a-z]*\)".*/\1/' | tr '\n' ' ' | sed 's/ $//' # in order
}
audit_in_order() { [ "$(scale_results)" = "refused ok" ]; }
check "the audit log has the refusal, then the scale" wait_until 5 audit_in_order
note "the last two scales of $svc in the audit log: $(scale_results)"
dk service scale --detach "$svc=$replicas0" > /dev/null 2>&1
check "scaled back to $replicas0" wait_until 60 replicas_are $svc "$replicas0/$replicas0"
keys q || true # the console may have died already: said by the checks above
