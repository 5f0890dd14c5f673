# test_nodes.sh - drain and activate a worker, promote a worker and demote it back, by keys.
. "$(dirname "$0")/lib.sh"
plan 15
svc=iot-guardian_backend
wait_until 120 replicas_are $svc 3/3

drill drain <<YAML
drill: drain
steps:
  - keys: "1/worker-1<Enter>d"
  - confirm: "yes"
  - until: nodes[hostname=worker-1].availability == drain
    timeout: 30s
  - until: nodes[hostname=worker-1].tasks == 0
    timeout: 120s
  - until: services[name=$svc].running == 3
    timeout: 120s
  - expect_screen: "worker-1 +worker +drain"
YAML
check "drain worker-1 by keys" [ $? -eq 0 ]
check "the engine has worker-1 drained" [ "$(node_field worker-1 '{{.Spec.Availability}}')" = drain ]
on_w1=$(dk node ps worker-1 --filter desired-state=running -q | wc -l)
check "no task runs on worker-1 any more ($on_w1)" [ "$on_w1" -eq 0 ]
check "backend still 3/3 on the other worker" wait_until 60 replicas_are $svc 3/3

drill drain-again <<YAML
drill: drain-again
steps:
  - keys: "1/worker-1<Enter>d"
  - expect_screen: "worker-1 is already drain"
YAML
check "draining a drained node is refused with a reason" [ $? -eq 0 ]

drill activate <<YAML
drill: activate
steps:
  - keys: "1/worker-1<Enter>a"
  - confirm: "y"
  - until: nodes[hostname=worker-1].availability == active
    timeout: 30s
YAML
check "activate worker-1 by keys" [ $? -eq 0 ]
check "the engine has worker-1 active" [ "$(node_field worker-1 '{{.Spec.Availability}}')" = active ]

drill promote <<YAML
drill: promote
steps:
  - keys: "1/worker-2<Enter>p"
  - expect_screen: "Managers: 3 -> 4"
  - expect_screen: "4 managers [(]even[)] tolerate"
  - confirm: "yes"
  - until: nodes[hostname=worker-2].manager == reachable
    timeout: 60s
  - until: cluster.managers == 4
    timeout: 30s
YAML
check "promote worker-2 by keys (the dialog warns of an even count)" [ $? -eq 0 ]
check "the engine reports worker-2 a reachable manager" \
	wait_until 30 sh -c "[ \"\$($DOCKER node inspect worker-2 --format '{{.ManagerStatus.Reachability}}')\" = reachable ]"

drill demote <<YAML
drill: demote
steps:
  - keys: "1/worker-2<Enter>D"
  - expect_screen: "Managers: 4 -> 3"
  - confirm: "yes"
  - until: nodes[hostname=worker-2].role == worker
    timeout: 60s
  - until: cluster.managers == 3
    timeout: 60s
YAML
check "demote worker-2 back by keys" [ $? -eq 0 ]
check "the engine reports worker-2 a worker" [ "$(node_field worker-2 '{{.Spec.Role}}')" = worker ]

# Demoting a manager while another is down would lose quorum: the name must be typed.
tests/lab/lab kill manager-3 >/dev/null 2>&1
at_exit "tests/lab/lab heal manager-3"
wait_until 60 sh -c "$DOCKER node ls --format '{{.Hostname}} {{.ManagerStatus}}' | grep -q 'manager-3 Unreachable'"
drill demote-quorum <<YAML
drill: demote-quorum
steps:
  - until: cluster.managers_reachable == 2
    timeout: 60s
  - keys: "1/manager-2<Enter>D"
  - expect_screen: "quorum would be LOST"
  - confirm: "yes"
YAML
rc=$?
check "demote below quorum is not accepted with a plain yes" [ $rc -ne 0 ]
check "the report says the typed name did not match" grep -q "name typed did not match" "$TMP/demote-quorum.md"
check "manager-2 is still a manager" [ "$(node_field manager-2 '{{.Spec.Role}}')" = manager ]
tests/lab/lab heal manager-3 >/dev/null 2>&1
check "manager-3 back" wait_until 120 node_is manager-3 ready
