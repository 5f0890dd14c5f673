# test_drills.sh - every shipped drill (tests/drills) plays headless against the lab with its
# RTO target; a drill whose condition never holds fails and names its step; a drill with exec
# steps is refused before any key without --allow-exec; watch mode's refusals reach the report.
. "$(dirname "$0")/lib.sh"
plan $(($(ls tests/drills/*.yaml | wc -l) + 10))

# manager-loss kills the leader: the console talks to it first and knows the other managers
leader=$(tests/lab/lab leader)
sock() { echo "unix:///run/swarmdeck-lab/$1/docker.sock"; }
awk -v host="$(sock "${leader:-manager-1}")" \
	-v hosts="[$(sock manager-1), $(sock manager-2), $(sock manager-3)]" '
	/^docker:/ { docker = 1 }
	docker && /^  host:/ { print "  host: " host; print "  hosts: " hosts; docker = 0; next }
	{ print }' "$SWARMDECK_CONFIG" > "$TMP/failover.yaml"

for f in tests/drills/*.yaml; do
	name=$(basename "$f" .yaml)
	config=$SWARMDECK_CONFIG
	[ "$name" = manager-loss ] && config=$TMP/failover.yaml
	SWARMDECK_CONFIG=$config "$SD" --play "$f" --headless --allow-exec --report "$TMP/$name.md" \
		> "$TMP/$name.out" 2>&1
	rc=$?
	sed 's/^/#   /' "$TMP/$name.md"
	[ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/$name.out" | tail -n 5
	rto=$(sed -n 's/^- measured RTO: \(.*\)$/\1/p' "$TMP/$name.md")
	check "drill $name passes (RTO ${rto:-not measured})" [ $rc -eq 0 ]
done

check "manager-loss: the leader ${leader:-?} was the manager the console asked; it moved (header)" \
	grep -q "(failover)" "$TMP/manager-loss.txt"
check "and the timeline says to which" \
	grep -q '"kind":"manager-switch"' "$XDG_STATE_HOME/swarmdeck/timeline.jsonl"

cat > "$TMP/never.yaml" <<'YAML'
drill: never
steps:
  - keys: "1"
  - until: nodes[hostname=worker-1].state == exploded
    timeout: 3s
  - keys: "2"
YAML
"$SD" --play "$TMP/never.yaml" --headless --report "$TMP/never.json" > "$TMP/never.out" 2>&1
rc=$?
check "a drill whose condition never holds exits non-zero ($rc)" [ $rc -ne 0 ]
check "its JSON report names the failed step (line 4) and skips the rest" \
	jq_true '.passed == false and (.steps[1] | .result == "failed" and .line == 4 and (.message | test("exploded|ready"))) and .steps[2].result == "skipped"' "$TMP/never.json"
check "stderr names file and line" grep -q "never.yaml:4: step 2 failed" "$TMP/never.out"

audit_before=$(wc -l < /run/swarmdeck-lab/audit.log)
"$SD" --play tests/drills/worker-loss.yaml --headless > "$TMP/noexec.out" 2>&1
rc=$?
check "exec without --allow-exec: refused, exit 2 ($rc)" [ $rc -eq 2 ]
check "the refusal names the exec step's line and column" grep -q "worker-loss.yaml:7:5: exec steps run only with --allow-exec" "$TMP/noexec.out"
check "nothing was played (the audit log did not grow)" [ "$(wc -l < /run/swarmdeck-lab/audit.log)" -eq "$audit_before" ]

drill watch-refused --watch <<'YAML'
drill: watch-refused
steps:
  - keys: "2/backend<Enter>s"
  - keys: "1/worker-1<Enter>d"
YAML
check "in watch mode the drill runs" [ $? -eq 0 ]
check "and its report says the mutating keys were refused" grep -q "refused: watch mode is read-only (node.drain)" "$TMP/watch-refused.md"
