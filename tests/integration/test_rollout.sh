# test_rollout.sh - rollouts and node edits by keys against the lab: backend rolled out to
# the lab's second tag (the progress view reaches 3 of 3, the engine reports the image), to
# the tag that fails its healthcheck (the automatic rollback shown, the task error named,
# the engine back on the old image), then back to its original image; a node label added
# and removed (docker node inspect agrees); worker-2 killed, refused for removal while ready
# and for a manager, removed by keys with its name typed, and healed back into the swarm.
. "$(dirname "$0")/lib.sh"
plan 17
svc=iot-guardian_backend
image_of() { dk service inspect "$1" --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'; }
state_of() { dk service inspect "$1" --format '{{.UpdateStatus.State}}' 2>/dev/null; }
wait_until 120 replicas_are $svc 3/3
orig=$(image_of $svc)
note "backend runs $orig"
# whatever happens, leave backend on its image and every node in the swarm
at_exit "[ \"\$(image_of $svc)\" = '$orig' ] || dk service update --detach --no-resolve-image --image '$orig' $svc"
at_exit "node_is worker-2 ready || tests/lab/lab heal worker-2"

# ---- a good rollout by keys
drill rollout-good <<YAML
drill: rollout-good
steps:
  - keys: "2/backend<Enter>u"
  - expect_screen: "Image for $svc: $orig"
  - keys: "<C-u>sdlab/busybox:rollout<Enter>"
  - expect_screen: "parallelism 1, delay 2s, order stop-first, failure_action rollback, monitor 10s"
  - confirm: "yes"
  - expect_screen: "Rollout of $svc +$orig -> sdlab/busybox:rollout"
  - expect_screen: "tasks updated 3 of 3"
    timeout: 240s
  - expect_screen: "result: completed: 3 of 3 tasks on sdlab/busybox:rollout"
    timeout: 60s
  - save_screen: rollout-good.txt
  - keys: "<Esc>"
  - expect_screen: "$svc +[^ ]+ +replicated +3/3 +sdlab/busybox:r"
YAML
check "backend rolled out by keys: the progress view reached 3 of 3 and completed" [ $? -eq 0 ]
grep -E 'tasks updated|result:' "$TMP/rollout-good.txt" 2>/dev/null | sed 's/^/#   /'
check "the engine reports sdlab/busybox:rollout ($(image_of $svc))" [ "$(image_of $svc)" = sdlab/busybox:rollout ]
once_json
check "--once --json: backend's update is completed, with its start and end" \
	jq_true ".services[] | select(.name == \"$svc\") | .update | .state == \"completed\" and .started != null and .completed != null" "$TMP/once.json"

# ---- a rollout whose tasks never get healthy: the engine rolls back by itself
drill rollout-bad <<YAML
drill: rollout-bad
steps:
  - keys: "2/backend<Enter>u<C-u>sdlab/busybox:unhealthy<Enter>"
  - confirm: "yes"
  - expect_screen: "result: (rolling back|rolled back) to sdlab/busybox:rollout"
    timeout: 240s
  - save_screen: rollout-rolling-back.txt
  - until: services[name=$svc].update_state == rollback_completed
    timeout: 240s
  - expect_screen: "result: rolled back to sdlab/busybox:rollout: task $svc\\\\.[0-9]+ on worker-[12] [a-z]+: [^ ]"
    timeout: 30s
  - save_screen: rollout-bad.txt
  - keys: "<Esc>"
YAML
check "the failing rollout rolled back by itself and the view named the failed task" [ $? -eq 0 ]
grep -E 'result:' "$TMP/rollout-rolling-back.txt" "$TMP/rollout-bad.txt" 2>/dev/null | sed 's/^/#   /'
check "the rollback was shown as it happened" grep -Eq 'result: (rolling back|rolled back) to' "$TMP/rollout-rolling-back.txt"
check "the engine ends on the old image ($(image_of $svc))" [ "$(image_of $svc)" = sdlab/busybox:rollout ]
wait_until 120 replicas_are $svc 3/3

# ---- back to the original image, by keys
drill rollout-back <<YAML
drill: rollout-back
steps:
  - keys: "2/backend<Enter>u<C-u>$orig<Enter>"
  - confirm: "yes"
  - expect_screen: "result: completed: 3 of 3 tasks on $orig"
    timeout: 240s
  - keys: "<Esc>"
YAML
check "backend rolled back out to $orig by keys" [ $? -eq 0 ]
check "the engine reports $orig again" [ "$(image_of $svc)" = "$orig" ]

# ---- a label added and removed
drill label <<'YAML'
drill: label
steps:
  - keys: "1/worker-1<Enter>L"
  - expect_screen: "Label \\(key=value or -key\\) for worker-1:"
  - keys: "sdtest=yes<Enter>"
  - expect_screen: "Add label sdtest=yes to node worker-1\\?"
  - expect_screen: "No service's placement constraints read node.labels.sdtest"
  - confirm: "yes"
  - until: nodes[hostname=worker-1].labels.sdtest == "yes"
    timeout: 30s
YAML
check "a label added by keys" [ $? -eq 0 ]
check "docker node inspect agrees ($(node_field worker-1 '{{json .Spec.Labels}}'))" \
	[ "$(node_field worker-1 '{{index .Spec.Labels "sdtest"}}')" = yes ]
drill unlabel <<'YAML'
drill: unlabel
steps:
  - keys: "1/worker-1<Enter>L-sdtest<Enter>"
  - expect_screen: "Remove label sdtest \\(=yes\\) from node worker-1\\?"
  - confirm: "yes"
  - expect_screen: "label sdtest removed"
    timeout: 30s
YAML
check "the label removed by keys" [ $? -eq 0 ]
check "docker node inspect agrees ($(node_field worker-1 '{{json .Spec.Labels}}'))" \
	sh -c "! $DOCKER node inspect worker-1 --format '{{json .Spec.Labels}}' | grep -q sdtest"

# ---- node removal: refused while ready and for a manager; a down worker removed
drill remove-refused <<'YAML'
drill: remove-refused
steps:
  - keys: "1/worker-2<Enter>X"
  - expect_screen: "worker-2 is ready: only a node that is down can be removed"
  - keys: "/<C-u>manager-2<Enter>X"
  - expect_screen: "manager-2 is a manager: demote it first"
YAML
check "node.remove refused for a ready node and for a manager, with the reason" [ $? -eq 0 ]
tests/lab/lab kill worker-2 >/dev/null 2>&1
wait_until 60 node_is worker-2 down
drill remove <<'YAML'
drill: remove
steps:
  - until: nodes[hostname=worker-2].state == down
    timeout: 60s
  - keys: "1/worker-2<Enter>X"
  - expect_screen: "Type the node's name worker-2 to go on"
  - confirm: "worker-2"
  - expect_screen: "node worker-2 removed from the swarm"
    timeout: 30s
YAML
check "a down worker removed by keys with its name typed" [ $? -eq 0 ]
check "the engine no longer lists worker-2" sh -c "! $DOCKER node ls --format '{{.Hostname}}' | grep -qx worker-2"
tests/lab/lab heal worker-2 >"$TMP/heal.log" 2>&1
sed 's/^/#   /' "$TMP/heal.log" | tail -n 3
check "lab heal rejoined worker-2: ready again" wait_until 60 node_is worker-2 ready
check "all 5 nodes in the swarm, ready" sh -c "[ \$($DOCKER node ls --format '{{.Status}}' | grep -c Ready) -eq 5 ]"
