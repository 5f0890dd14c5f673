# test_timeline.sh - the timeline through the real binary against the lab: after the shipped
# worker-loss drill it lists worker-1 down, the drain (with the user who did it) and worker-1
# ready, in that order; --once --json reads them from the file; a console started afterwards
# lists them in pane 7, from the file, and from the engine's /events and the audit log when
# its file holds none of them (the backfill); a Sentinel failover (the shipped
# redis-planned-failover drill) appears with +switch-master.
. "$(dirname "$0")/lib.sh"
plan 17
OPERATOR=tl-operator-$$
STATE1=$XDG_STATE_HOME
FILE1=$STATE1/swarmdeck/timeline.jsonl

check "the lab's workers are ready before the drill" wait_until 120 node_is worker-1 ready
start=$(date -u +%s)
# the drill's actions are audited as OPERATOR (SUDO_USER would win over USER)
env -u SUDO_USER USER="$OPERATOR" "$SD" --play tests/drills/worker-loss.yaml --headless \
	--allow-exec --report "$TMP/worker-loss.md" > "$TMP/worker-loss.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/worker-loss.out" | tail -n 5
check "the worker-loss drill passes" [ $rc -eq 0 ]
check "the timeline file is written under XDG_STATE_HOME" [ -s "$FILE1" ]

# the positions, oldest first, of worker-1 down, the drain by OPERATOR, worker-1 ready
# (the first of each after the drill began, and the ready after the drain)
order() {   # order JSON-FILE -> "DOWN DRAIN READY" indexes (oldest first), or nothing
	jq -r --arg op "$OPERATOR" --argjson t0 "$start" '
		def secs: sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601;
		[.events | reverse | to_entries[] | select((.value.time | secs) >= $t0 - 1)] as $e
		| ([$e[] | select(.value.kind == "node-state" and .value.target == "worker-1"
			and (.value.message | startswith("down")))][0].key) as $down
		| ([$e[] | select(.value.source == "audit" and .value.kind == "node.drain"
			and .value.target == "worker-1"
			and (.value.message | startswith($op + " ok")))][0].key) as $drain
		| ([$e[] | select(.value.kind == "node-state" and .value.target == "worker-1"
			and (.value.message | startswith("ready")) and .key > ($drain // 1e9))][0].key)
			as $ready
		| "\($down // "none") \($drain // "none") \($ready // "none")"' "$1"
}
in_order() { set -- $1; [ "$1" != none ] && [ "$2" != none ] && [ "$3" != none ] &&
	[ "$1" -lt "$2" ] && [ "$2" -lt "$3" ]; }

once_json
got=$(order "$TMP/once.json")
note "--once --json: down, drain, ready at $got (oldest first)"
check "--once --json lists worker-1 down, the drain by $OPERATOR, worker-1 ready, in order" \
	in_order "$got"
check "the drain event names its user and result" \
	jq_true --arg op "$OPERATOR" '[.events[] | select(.kind == "node.drain" and .source == "audit"
		and (.message | test("^" + $op + " ok")))] | length == 1' "$TMP/once.json"
check "every event has time, source, kind, target and message" \
	jq_true '.events | length > 0 and all(.[]; (.time | test("^[0-9-]+T[0-9:.]+Z$")) and
		(.source | length > 0) and (.kind | length > 0) and has("target") and has("message"))' \
	"$TMP/once.json"
check "the Redis section no longer carries an events list" jq_true '.redis | has("events") | not' \
	"$TMP/once.json"

# a console in tmux with the same state folder: pane 7 lists them from the file
session=sdtl-$$
console() {   # console STATE-DIR: swarmdeck in tmux with that state folder
	tmux kill-session -t $session 2>/dev/null
	tmux new-session -d -s $session -x 200 -y 50 \
		"env TERM=xterm-256color TZ=UTC SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$1 $SD"
}
at_exit "tmux kill-session -t $session"
screen() { tmux capture-pane -p -t $session; }
# line numbers on screen (newest first) of the three rows, "DOWN DRAIN READY"
screen_order() {
	screen > "$TMP/screen.txt"
	down=$(grep -nE "swarm +node-state +worker-1 +down \(was" "$TMP/screen.txt" | tail -n 1 | cut -d: -f1)
	drain=$(grep -nE "audit +node\.drain +worker-1 +$OPERATOR ok" "$TMP/screen.txt" | head -n 1 | cut -d: -f1)
	ready=$(grep -nE "swarm +node-state +worker-1 +ready \(was" "$TMP/screen.txt" | head -n 1 | cut -d: -f1)
	echo "${down:-none} ${drain:-none} ${ready:-none}"
}
# newest first on screen: ready above the drain above down
on_screen_in_order() { set -- $(screen_order); [ "$1" != none ] && [ "$2" != none ] &&
	[ "$3" != none ] && [ "$3" -lt "$2" ] && [ "$2" -lt "$1" ]; }

console "$STATE1"
wait_until 30 sh -c "tmux capture-pane -p -t $session | grep -q 'Services'"
tmux send-keys -t $session 7
check "a console started afterwards lists them in pane 7, newest first (from its file)" \
	wait_until 20 on_screen_in_order
note "screen rows (down drain ready): $(screen_order)"
tmux send-keys -t $session / worker-1 Enter
check "pane 7 filters like every pane" wait_until 10 sh -c \
	"tmux capture-pane -p -t $session | grep -q 'Timeline.*\[/worker-1\]'"
tmux send-keys -t $session Escape Escape
check "<Esc> goes back to the grid" wait_until 10 sh -c \
	"tmux capture-pane -p -t $session | grep -q 'Nodes' && ! tmux capture-pane -p -t $session | grep -q 'Timeline'"
tmux send-keys -t $session q
wait_until 10 sh -c "! tmux has-session -t $session 2>/dev/null"

# a console whose file stops before the drill (an earlier console's last event): the Swarm
# events come back from the engine's /events?since=, the drain from the audit log
STATE2=$TMP/state2
mkdir -p "$STATE2/swarmdeck"
t_before=$(date -u -d "@$((start - 5))" +%Y-%m-%dT%H:%M:%S.000Z)
printf '{"time":"%s","source":"swarm","kind":"node-state","target":"marker","message":"ready (was down)"}\n' \
	"$t_before" > "$STATE2/swarmdeck/timeline.jsonl"
console "$STATE2"
wait_until 30 sh -c "tmux capture-pane -p -t $session | grep -q 'Services'"
tmux send-keys -t $session 7
check "a console whose file ended before the drill backfills down, drain and ready, in order" \
	wait_until 30 on_screen_in_order
note "screen rows (down drain ready): $(screen_order)"
tmux send-keys -t $session q
wait_until 10 sh -c "! tmux has-session -t $session 2>/dev/null"
check "the backfilled events were persisted to its file" \
	grep -q '"kind":"node-state","target":"worker-1","message":"down (was' "$STATE2/swarmdeck/timeline.jsonl"
check "--once --json reads that backfilled file back" \
	sh -c "XDG_STATE_HOME=$STATE2 $SD --once --json 2>&1 | jq -e '.events | length > 3' >/dev/null"

# a Sentinel failover: the shipped drill waits on len(events[kind=switch-master]) > 0
fstart=$(date -u +%s)
"$SD" --play tests/drills/redis-planned-failover.yaml --headless --allow-exec \
	--report "$TMP/failover.md" > "$TMP/failover.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/failover.out" | tail -n 5
check "the redis-planned-failover drill passes (its until reads the timeline)" [ $rc -eq 0 ]
once_json
check "the timeline has the failover with +switch-master, once" \
	jq_true --argjson t0 "$fstart" '[.events[] | select(.source == "redis" and .kind == "switch-master"
		and (.message | startswith("+switch-master mymaster"))
		and ((.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) >= $t0 - 1))] | length == 1' \
	"$TMP/once.json"
check "and the Sentinel states around it (+odown or failover states)" \
	jq_true --argjson t0 "$fstart" '[.events[] | select(.source == "redis"
		and ((.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) >= $t0 - 1)
		and (.kind | test("^(odown|sdown|failover-|try-failover|elected-leader|selected-slave)")))]
		| length > 0' "$TMP/once.json"
"$DATA" wait-redis 90 >/dev/null 2>&1
check "the lab is healed: worker-1 ready and active" sh -c \
	"[ \"\$($DOCKER node inspect worker-1 --format '{{.Status.State}} {{.Spec.Availability}}')\" = 'ready active' ]"
