# test_once.sh - --once [--json] against the lab: the schema's sections and the exit code.
. "$(dirname "$0")/lib.sh"
plan 13
wait_until 120 replicas_are iot-guardian_backend 3/3
"$SD" --once --json > "$TMP/once.json"
rc=$?
check "--once --json exits by health ($rc is 0 or 1)" [ $rc -le 1 ]
check "the JSON parses" jq_true . "$TMP/once.json"
check "5 nodes" [ "$(jq '.nodes | length' "$TMP/once.json")" -eq 5 ]
check "3 managers, all reachable" [ "$(jq -r '"\(.cluster.managers)/\(.cluster.managers_reachable)"' "$TMP/once.json")" = 3/3 ]
check "the leader is named" [ "$(jq -r .cluster.leader "$TMP/once.json")" != null ]
check "backend 3/3 in the JSON" [ "$(jq -r '.services[] | select(.name=="iot-guardian_backend") | "\(.running)/\(.desired)"' "$TMP/once.json")" = 3/3 ]
check "tasks carry service, slot, node and state" \
	jq_true '[.tasks[] | select(.service=="iot-guardian_backend" and .desired_state=="running")] | length == 3 and all(.[]; .node != "" and .slot > 0)' "$TMP/once.json"
check "mode and health fields" jq_true '.mode == "live" and (.health | test("^(OK|WARNING|CRITICAL|UNKNOWN)$"))' "$TMP/once.json"
"$SD" --once > "$TMP/once.txt"
check "--once text lists the services" grep -q "iot-guardian_nginx" "$TMP/once.txt"

# an engine that is not there: UNKNOWN (3), the error said
printf 'docker:\n  host: unix:///nonexistent/docker.sock\n  timeout_ms: 500\n' > "$TMP/none.yaml"
"$SD" --once --json --config "$TMP/none.yaml" > "$TMP/none.json"
rc=$?
check "an unreachable engine gives exit 3 (UNKNOWN), got $rc" [ $rc -eq 3 ]
check "and says why in cluster.error" jq_true '.cluster.reachable == false and (.cluster.error | test("nonexistent"))' "$TMP/none.json"
check "sections not configured are null" jq_true '.postgres == null and .redis == null and .backups == null' "$TMP/none.json"

# a worker down makes it WARNING (1)
tests/lab/lab kill worker-1 >/dev/null 2>&1
at_exit "tests/lab/lab heal worker-1"
wait_until 60 sh -c "$DOCKER node ls --format '{{.Hostname}} {{.Status}}' | grep -q 'worker-1 Down'"
"$SD" --once --json > "$TMP/down.json"
rc=$?
check "a worker down: exit 1 or 2 and an alert names it (rc $rc)" \
	sh -c "[ $rc -ge 1 ] && jq -e '[.alerts[] | select(.target == \"worker-1\")] | length >= 1' $TMP/down.json >/dev/null"
tests/lab/lab heal worker-1 >/dev/null 2>&1
wait_until 120 node_is worker-1 ready
