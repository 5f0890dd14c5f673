# test_context.sh - which engine the console asks, against the lab: a Docker context made by
# `docker context create` used with --context, DOCKER_CONTEXT and config.json's current
# context, DOCKER_HOST still winning over the last two as for the CLI, a context that does
# not exist refused before anything is asked; docker.hosts moving past a manager that does
# not answer, said in the JSON, the header and the timeline.
. "$(dirname "$0")/lib.sh"
plan 14
sock() { echo "unix:///run/swarmdeck-lab/$1/docker.sock"; }
export DOCKER_CONFIG="$TMP/docker"
unset DOCKER_HOST DOCKER_CONTEXT
# a config without docker.host: the context decides
grep -v '^  host: ' "$SWARMDECK_CONFIG" > "$TMP/nohost.yaml"

"$DOCKER" context create lab-m2 --docker "host=$(sock manager-2)" > "$TMP/create.out" 2>&1
check "docker context create made the context" grep -q lab-m2 "$TMP/create.out"
"$SD" --once --json --config "$TMP/nohost.yaml" --context lab-m2 > "$TMP/ctx.json"
check "--context lab-m2: the console asks manager-2" \
	jq_true '.cluster.reachable and .cluster.engine == "manager-2" and .cluster.failover == false' "$TMP/ctx.json"
"$SD" --check-config --config "$TMP/nohost.yaml" --context lab-m2 > "$TMP/check.out"
check "--check-config says where the engine comes from" \
	grep -q "^docker $(sock manager-2) (from --context, context lab-m2)" "$TMP/check.out"

# the file's docker.context, said as the file's
sed 's/^docker:$/docker:\n  context: lab-m2/' "$TMP/nohost.yaml" > "$TMP/filectx.yaml"
"$SD" --check-config --config "$TMP/filectx.yaml" > "$TMP/filectx.out" 2>&1
check "a context the file names: --check-config says docker.context" \
	grep -q "^docker $(sock manager-2) (from docker.context, context lab-m2)" "$TMP/filectx.out"
sed 's/^docker:$/docker:\n  context: nowhere/' "$TMP/nohost.yaml" > "$TMP/filebad.yaml"
"$SD" --once --config "$TMP/filebad.yaml" > "$TMP/filebad.out" 2>&1
check "one that does not exist is named as the file's" \
	grep -q 'Docker context "nowhere" (docker.context) does not exist' "$TMP/filebad.out"

DOCKER_CONTEXT=lab-m2 "$SD" --once --json --config "$TMP/nohost.yaml" > "$TMP/env.json"
check "DOCKER_CONTEXT=lab-m2 does the same" jq_true '.cluster.engine == "manager-2"' "$TMP/env.json"
"$DOCKER" context use lab-m2 > /dev/null 2>&1
"$SD" --once --json --config "$TMP/nohost.yaml" > "$TMP/current.json"
check "so does the current context of config.json (docker context use)" \
	jq_true '.cluster.engine == "manager-2"' "$TMP/current.json"
DOCKER_HOST=$(sock manager-3) "$SD" --once --json --config "$TMP/nohost.yaml" > "$TMP/host.json"
check "DOCKER_HOST beats the current context, as for the CLI" \
	jq_true '.cluster.engine == "manager-3"' "$TMP/host.json"
DOCKER_HOST=$(sock manager-3) "$SD" --once --json --config "$TMP/nohost.yaml" --context lab-m2 > "$TMP/both.json"
check "and --context beats DOCKER_HOST" jq_true '.cluster.engine == "manager-2"' "$TMP/both.json"
"$SD" --once --config "$TMP/nohost.yaml" --context nowhere > "$TMP/nowhere.out" 2>&1
rc=$?
check "a context that does not exist: exit 2 ($rc), named with its file" \
	sh -c "[ $rc -eq 2 ] && grep -q 'Docker context \"nowhere\" (--context) does not exist: no $DOCKER_CONFIG/contexts/meta/' '$TMP/nowhere.out'"

# docker.hosts: the first does not answer, the next does
awk -v hosts="[$(sock manager-2), $(sock manager-3)]" '
	/^  host: / { print "  host: unix:///nonexistent/docker.sock"; print "  hosts: " hosts; next }
	{ print }' "$SWARMDECK_CONFIG" > "$TMP/failover.yaml"
"$SD" --once --json --config "$TMP/failover.yaml" > "$TMP/failover.json"
check "docker.hosts: past a manager that does not answer to the next (manager-2)" \
	jq_true '.cluster.reachable and .cluster.failover and .cluster.engine == "manager-2" and .cluster.endpoint == "unix:///run/swarmdeck-lab/manager-2/docker.sock"' "$TMP/failover.json"
session=sdctx-$$
tmux kill-session -t $session 2>/dev/null
tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color XDG_STATE_HOME=$XDG_STATE_HOME $SD --watch --config $TMP/failover.yaml"
at_exit "tmux kill-session -t $session"
shows() { tmux capture-pane -p -t $session | grep -Eq "$1"; }
check "the header says the console failed over" wait_until 30 shows "manager manager-2 \\(failover\\)"
check "and the live console reads the swarm through it" wait_until 30 shows "managers 3/3"
printf 'docker:\n  host: unix:///nonexistent/a.sock\n  hosts: [unix:///nonexistent/b.sock]\n  timeout_ms: 500\n' > "$TMP/none.yaml"
"$SD" --once --json --config "$TMP/none.yaml" > "$TMP/none.json"
check "none answers: UNKNOWN with the first one's error" \
	jq_true '.cluster.reachable == false and (.cluster.error | test("a.sock"))' "$TMP/none.json"
