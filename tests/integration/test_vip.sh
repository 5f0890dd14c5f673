# test_vip.sh - the front door through the real binary against the lab's keepalived + nginx
# (tests/lab/vip.sh): with both nodes up manager-1 holds the VIP and --once --json agrees
# with `ip addr` in the nodes' namespaces; killing manager-1 moves the header's badge to
# `VIP manager-2` within seconds and puts vip-moved on the timeline; heal brings manager-1
# back and keepalived preempts (the VIP returns to it); the vip-loss drill plays and passes;
# with keepalived stopped on both nodes the VIP is CRITICAL, the badge says `VIP none` and
# the rest of the screen stays live.
. "$(dirname "$0")/lib.sh"
plan 18

lab_bash() { bash -c ". tests/lab/lab; $*"; }
ns_holder() { lab_bash vip_holder | tr '\n' ' ' | sed 's/ $//'; }
vip_json() { once_json && jqo "$1"; }
holder_is() { [ "$(vip_json '.vip.holder')" = "$1" ]; }

session=sdvip-$$
screen() { tmux capture-pane -p -t $session 2>/dev/null; }
header() { screen | head -n 1; }
header_has() { header | grep -q -- "$1"; }
at_exit "tmux kill-session -t $session"
at_exit "lab_bash 'for n in manager-1 manager-2; do vip_start_keepalived \$n; done'"

if ! grep -q '^vip:' "$SWARMDECK_CONFIG" 2>/dev/null || [ -z "$(ns_holder)" ]; then
	for i in $(seq 1 18); do skip "front door check $i" "the lab has no front door (keepalived/nginx: tests/deps.sh, tests/lab/lab up)"; done
	exit 0
fi

# --- both up
wait_until 60 holder_is manager-1
check "--once --json: manager-1 holds the VIP with both up ($(jqo '.vip.holder'))" \
	jq_true '.vip.holder == "manager-1" and .vip.error == null and .vip.address == "192.168.213.100"' "$TMP/once.json"
check "--once --json: both keepalived nodes answer with their names" \
	jq_true '[.vip.nodes[] | select(.answers and .says == .name)] | length == 2' "$TMP/once.json"
check "--once --json agrees with ip addr in the namespaces (ip addr: $(ns_holder))" \
	[ "$(ns_holder)" = "$(jqo '.vip.holder')" ]
check "no vip alert with both up" jq_true '[.alerts[] | select(.source == "vip")] | length == 0' "$TMP/once.json"

tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color TZ=UTC SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME HOME=$HOME $SD"
wait_until 30 header_has 'VIP manager-1'
check "the header shows the badge VIP manager-1" header_has 'VIP manager-1'
check "the nodes pane's title names the holder (vip manager-1)" sh -c "tmux capture-pane -p -t $session | grep -q 'leader [a-z0-9-]*  vip manager-1'"

# --- the holder dies
start=$(date +%s.%N)
tests/lab/lab kill manager-1 2>/dev/null
wait_until 30 header_has 'VIP manager-2'
took=$(echo "$(date +%s.%N) - $start" | bc)
note "header: $(header)"
check "kill manager-1: the header shows VIP manager-2 within seconds (${took} s)" \
	sh -c "tmux capture-pane -p -t $session | head -n 1 | grep -q 'VIP manager-2' && [ \$(echo '$took < 15' | bc) = 1 ]"
check "kill manager-1: manager-2's namespace holds the address (ip addr: $(ns_holder))" \
	sh -c "lab_holder=\$(bash -c '. tests/lab/lab; vip_holder'); echo \"\$lab_holder\" | grep -qx manager-2"
wait_until 15 sh -c "'$SD' --once --json | jq -e '[.events[] | select(.kind == \"vip-moved\")] | length > 0'"
once_json
check "the timeline has vip-moved from manager-1 to manager-2 ($(jqo '[.events[] | select(.kind == "vip-moved")][0].message'))" \
	jq_true '[.events[] | select(.kind == "vip-moved" and .source == "vip" and (.message | test("from manager-1 to manager-2")))] | length > 0' "$TMP/once.json"
check "the timeline pane lists vip-moved" sh -c "tmux send-keys -t $session 7; sleep 2; tmux capture-pane -p -t $session | grep -q 'vip-moved'"
tmux send-keys -t $session Escape 1
check "--once --json: manager-1 does not answer, a WARNING names it" \
	jq_true '(.vip.nodes[] | select(.name == "manager-1") | .answers == false) and ([.alerts[] | select(.source == "vip" and .target == "manager-1" and .level == "WARNING")] | length == 1)' "$TMP/once.json"

# --- heal: keepalived preempts (manager-1 has the higher priority), the VIP returns
tests/lab/lab heal manager-1 > "$TMP/heal.log" 2>&1
rc=$?
check "lab heal manager-1 heals the lab (exit $rc)" [ $rc -eq 0 ]
wait_until 30 holder_is manager-1
check "after heal keepalived preempts: manager-1 holds the VIP again (json $(jqo '.vip.holder'), ip addr $(ns_holder))" \
	sh -c "[ '$(jqo '.vip.holder')' = manager-1 ] && [ \"\$(bash -c '. tests/lab/lab; vip_holder' | tr '\n' ' ')\" = 'manager-1 ' ]"

# --- the drill
"$SD" --play tests/drills/vip-loss.yaml --headless --allow-exec --report "$TMP/vip-loss.md" > "$TMP/vip-loss.out" 2>&1
rc=$?
sed 's/^/#   /' "$TMP/vip-loss.md"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/vip-loss.out" | tail -n 5
check "the drill vip-loss plays and passes (RTO $(sed -n 's/^- measured RTO: \(.*\)$/\1/p' "$TMP/vip-loss.md"))" [ $rc -eq 0 ]

# --- keepalived stopped on both nodes: the VIP answers nowhere
wait_until 30 holder_is manager-1
lab_bash 'vip_stop_keepalived manager-1; vip_stop_keepalived manager-2'
wait_until 20 header_has 'VIP none'
once_json
check "both keepalived stopped: --once --json has no holder and the VIP is CRITICAL" \
	jq_true '.vip.holder == null and .vip.error != null and .health == "CRITICAL" and ([.alerts[] | select(.source == "vip" and .level == "CRITICAL")] | length == 1)' "$TMP/once.json"
check "both keepalived stopped: the header shows VIP none" header_has 'VIP none'
c1=$(header | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2} *$')
sleep 3
c2=$(header | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2} *$')
check "both keepalived stopped: the rest of the screen stays live (clock $c1 -> $c2, nodes and services shown, engine answers)" \
	sh -c "[ -n '$c1' ] && [ '$c1' != '$c2' ] && tmux capture-pane -p -t $session | grep -q 'worker-2' && tmux capture-pane -p -t $session | grep -q 'iot-guardian_backend' && jq -e '.cluster.reachable == true' '$TMP/once.json' >/dev/null"
lab_bash 'vip_start_keepalived manager-1; vip_start_keepalived manager-2' 2>/dev/null
wait_until 30 holder_is manager-1
check "keepalived started again: manager-1 holds the VIP" holder_is manager-1
tmux send-keys -t $session q
