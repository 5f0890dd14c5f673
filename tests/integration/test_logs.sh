# test_logs.sh - the logs and inspect views through the real binary against the lab: the
# backend's logs follow (a line a task prints shows within 1 s), stderr is marked, a task's
# own logs (in watch mode) and a node's, search and filter find a known line and the saved
# file holds it; a flood of 10,000 lines a second for 30 s leaves the keys answering within 100 ms and RSS
# under the cap, and the stream reconnects after the manager's engine restarts; inspect shows
# backend's UpdateConfig and, after an update by the CLI, the rollback diff shows the change.
. "$(dirname "$0")/lib.sh"
plan 16
svc=iot-guardian_backend
flood=sd-logs-flood
M="sdmark$$"
wait_until 120 replicas_are $svc 3/3
# and no fourth container still stopping from a scale before (print.sh would reach it too):
# three running on the workers
running_on_workers() {
	for n in worker-1 worker-2; do
		"$DOCKER" -H unix:///run/swarmdeck-lab/$n/docker.sock ps -q --filter name=$svc
	done | wc -l
}
three_running() { [ "$(running_on_workers)" -eq 3 ]; }
wait_until 60 three_running || note "backend containers running on the workers: $(running_on_workers)"

# play NAME [options] < YAML: a headless drill with a JSON report ($TMP/NAME.json)
play() {
	name=$1
	shift
	cat > "$TMP/$name.yaml"
	"$SD" --play "$TMP/$name.yaml" --headless --allow-exec --report "$TMP/$name.json" "$@" \
		> "$TMP/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/#   /' "$TMP/$name.out" | tail -n 5
		jq -r '.steps[] | select(.result != "passed") | "#   line \(.line) \(.kind): \(.result) \(.message)"' \
			"$TMP/$name.json" 2>/dev/null | head -n 5
	fi
	return $rc
}
# the duration of the step at LINE of drill NAME's report
step_time() { jq -r --argjson l "$2" '.steps[] | select(.line == $l) | .duration' "$TMP/$1.json"; }
step_passed() { [ "$(jq -r --argjson l "$2" '.steps[] | select(.line == $l) | .result' "$TMP/$1.json")" = passed ]; }

# print.sh: one line on stdout and one on stderr in every backend task (through each worker's
# own engine socket), written to the task's own stdout and stderr (PID 1's)
cat > "$TMP/print.sh" <<SH
for n in worker-1 worker-2; do
	d="$DOCKER -H unix:///run/swarmdeck-lab/\$n/docker.sock"
	for c in \$(\$d ps -q --filter name=$svc); do
		\$d exec \$c sh -c 'echo "$M-out from the task" > /proc/1/fd/1; echo "$M-err on stderr" > /proc/1/fd/2' &
	done
done
wait
SH

# ---- the backend's logs: follow, stderr, search, filter, save ----
play follow <<YAML
drill: logs-follow
steps:
  - keys: "2/backend<Enter>l"
  - expect_screen: "logs: service $svc  1/1 stream connected"
  - exec: "sh $TMP/print.sh"
  - expect_log: "^$svc\\\\.[0-9]\\\\.[a-z0-9]+@worker-[12] \\\\| $M-out from the task\$"
    timeout: 1s
  - expect_log: "\\\\| \\\\[stderr\\\\] $M-err on stderr\$"
    timeout: 1s
  - keys: "/nosuchline-$$<Enter>"
  - expect_screen: "no line matches /nosuchline-$$/"
  - keys: "/$M-out<Enter>"
  - expect_screen: "search /$M-out"
  - keys: "&$M-out<Enter>"
  - expect_screen: "filter &$M-out  search /$M-out  3 lines"
  - keys: "s"
  - expect_screen: "saved to .*swarmdeck-logs-"
  - keys: "<Esc><Esc><Esc>"
  - expect_screen: "REPLICAS"
YAML
check "the backend's logs view plays (exit 0)" [ $? -eq 0 ]
# from the start of the exec that prints (in the three tasks at once) to the line held: an
# upper bound of the time the first task's line took
latency=$(awk "BEGIN { print $(step_time follow 5) + $(step_time follow 6) }" 2>/dev/null)
within_1s() { step_passed follow 6 && awk "BEGIN { exit !(${latency:-9} < 1.0) }"; }
check "a line the task prints shows within 1 s (at most ${latency:-?} s)" within_1s
check "stderr lines are marked [stderr]" step_passed follow 8
check "a search for a line that is not held says so" step_passed follow 11
check "the filter keeps the 3 lines (one per task)" step_passed follow 15
saved=$(ls "$TMP"/swarmdeck-logs-*.txt 2>/dev/null | head -n 1)
check "the saved file holds the known line 3 times" \
	sh -c "[ -n '$saved' ] && [ \$(grep -c -- '$M-out from the task' '$saved') -eq 3 ]"

# ---- a task's own logs, in watch mode ----
play task --watch <<YAML
drill: logs-task
steps:
  - keys: "2/backend<Enter><Enter>/running<Enter>l"
  - expect_screen: "logs: task $svc\\\\.[0-9]"
  - expect_log: "$M-out from the task\$"
    timeout: 5s
  - keys: "&$M-out<Enter>"
  - expect_screen: "filter &$M-out  1 line"
YAML
check "a task's logs (in watch mode) hold that task's line, once" [ $? -eq 0 ]

# ---- a node: the lines of the tasks on it, and only those ----
play node <<YAML
drill: logs-node
steps:
  - keys: "1/worker-1<Enter>l"
  - expect_screen: "logs: tasks on node worker-1"
  - expect_log: "@worker-1 \\\\| $M-out from the task\$"
    timeout: 5s
  - keys: "&@worker-2<Enter>"
  - expect_screen: "filter &@worker-2  0 lines"
YAML
check "a node's logs hold its tasks' lines and none of another node's" [ $? -eq 0 ]

# ---- inspect and the rollback diff ----
play inspect <<YAML
drill: inspect
steps:
  - keys: "2/backend<Enter>i"
  - expect_screen: "inspect: service $svc +[0-9]+ lines"
  - keys: "/^ +UpdateConfig:<Enter>"
  - expect_screen: "\n +UpdateConfig:\n +Parallelism: 1\n"
YAML
check "inspect shows backend's UpdateConfig" [ $? -eq 0 ]
dk service update --detach --no-resolve-image --env-add SD_LOGS_PROBE=$$ $svc >/dev/null
at_exit "$DOCKER service update --detach --no-resolve-image --env-rm SD_LOGS_PROBE $svc"
play diff <<YAML
drill: rollback-diff
steps:
  - keys: "2/backend<Enter>i"
  - expect_screen: "inspect: service $svc +[0-9]+ lines"
  - expect_screen: "Rollback diff, PreviousSpec -> Spec"
  - expect_screen: "\\\\+ +- SD_LOGS_PROBE=$$"
  - keys: "/SD_LOGS_PROBE<Enter>"
  - expect_screen: "search /SD_LOGS_PROBE"
YAML
check "after an update, the rollback diff shows the added variable" [ $? -eq 0 ]
grep -q "hunter\|password=[^*]" "$TMP/diff.out" 2>/dev/null
check "no password in the inspect drill's output" [ $? -ne 0 ]
dk service update --detach --no-resolve-image --env-rm SD_LOGS_PROBE $svc >/dev/null

# ---- a flood: 10,000 lines a second for 30 s ----
dk service rm $flood >/dev/null 2>&1
at_exit "$DOCKER service rm $flood"
dk service create --detach --quiet --name $flood --constraint node.role==worker --no-resolve-image \
	sdlab/busybox:1 sh -c 'while :; do seq 10000; sleep 1; done' >/dev/null
{
	cat <<YAML
drill: logs-flood
steps:
  - until: services[name=$flood].running == 1
    timeout: 60s
  - keys: "2/$flood<Enter>l"
  - expect_log: "\\\\| 10000\$"
    timeout: 20s
YAML
	# 8 key presses over 30 s, each answered on screen: the drill times them
	for round in 1 2; do
		cat <<YAML
  - wait: 3s
  - keys: "w"
  - expect_screen: "\\\\[follow\\\\]  \\\\[wrap\\\\]  [0-9]+ lines"
  - wait: 3s
  - keys: "w"
  - expect_screen: "\\\\[follow\\\\]  [0-9]+ lines"
  - wait: 3s
  - keys: "t"
  - expect_screen: "\\\\[follow\\\\]  \\\\[timestamps\\\\]  [0-9]+ lines"
  - wait: 3s
  - keys: "t"
  - expect_screen: "\\\\[follow\\\\]  [0-9]+ lines"
YAML
	done
	cat <<YAML
  - exec: "grep -E '^Vm(HWM|RSS)' /proc/\$PPID/status > $TMP/rss.txt"
  - exec: "tests/lab/lab kill manager-1"
    timeout: 120s
  - expect_log: "reconnecting"
    timeout: 30s
  - exec: "tests/lab/lab heal manager-1"
    timeout: 180s
  - expect_screen: "1/1 stream connected"
    timeout: 90s
  - expect_log: "\\\\| 5000\$"
    timeout: 30s
YAML
} > "$TMP/flood-steps.yaml"
play flood < "$TMP/flood-steps.yaml"
flood_rc=$?
tests/lab/lab heal manager-1 >/dev/null 2>&1
worst=$(jq -r '[range(0; .steps | length) as $i | .steps as $s
	| select($s[$i].kind == "keys" and ($s[$i].text == "w" or $s[$i].text == "t"))
	| $s[$i].duration + $s[$i + 1].duration] | max' "$TMP/flood.json" 2>/dev/null)
check "during the flood every key is answered on screen within 100 ms (worst ${worst:-?} s)" \
	awk "BEGIN { exit !(\"${worst:-x}\" != \"x\" && ${worst:-1} < 0.1) }"
hwm=$(awk '/^VmHWM/ { print $2 }' "$TMP/rss.txt" 2>/dev/null)
note "flood: $(tr '\n' ' ' < "$TMP/rss.txt" 2>/dev/null)"
check "peak RSS during the flood stays under 40 MB (${hwm:-?} kB)" \
	sh -c "[ -n '$hwm' ] && [ '$hwm' -lt 40960 ]"
check "the flood drill ran to its end without a crash (exit $flood_rc)" [ $flood_rc -eq 0 ]
check "the stream reconnects after manager-1's engine is killed and healed" \
	sh -c "[ \"\$(jq -r '[.steps[] | select(.kind == \"expect_screen\" and .text == \"1/1 stream connected\")][0].result' $TMP/flood.json)\" = passed ]"
dk service rm $flood >/dev/null 2>&1
check "backend converges to 3/3 again" wait_until 180 replicas_are $svc 3/3
