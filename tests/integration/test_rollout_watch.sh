# test_rollout_watch.sh - watch mode refuses service.update, node.label and node.remove in
# the core: every new key pressed (with what each would ask), nothing changes in the
# cluster, the engine's debug log shows no POST, PUT or DELETE, and each refusal is audited.
. "$(dirname "$0")/lib.sh"
plan 6
log=/run/swarmdeck-lab/manager-1/dockerd.log
wait_until 120 replicas_are iot-guardian_backend 3/3
before_specs=$(dk service ls --format '{{.Name}} {{.Replicas}} {{.Image}}' | sort)
before_nodes=$(dk node ls --format '{{.Hostname}} {{.Status}} {{.Availability}}' | sort)
before_labels=$(dk node inspect worker-1 --format '{{json .Spec.Labels}}')
lines_before=$(wc -l < "$log")
audit_before=$(wc -l < /run/swarmdeck-lab/audit.log 2>/dev/null || echo 0)

drill watch-rollout --watch <<'YAML'
drill: watch-rollout
steps:
  - keys: "2/backend<Enter>u"
  - expect_screen: "refused: watch mode is read-only \\(service.update\\)"
  - keys: "1/worker-1<Enter>L"
  - expect_screen: "refused: watch mode is read-only \\(node.label\\)"
  - keys: "/<C-u>worker-2<Enter>X"
  - expect_screen: "refused: watch mode is read-only \\(node.remove\\)"
  - expect_screen: "WATCH"
YAML
check "a drill pressing u, L and X runs in watch mode, each refused" [ $? -eq 0 ]
check "no service changed" [ "$(dk service ls --format '{{.Name}} {{.Replicas}} {{.Image}}' | sort)" = "$before_specs" ]
check "no node changed or left" [ "$(dk node ls --format '{{.Hostname}} {{.Status}} {{.Availability}}' | sort)" = "$before_nodes" ]
check "worker-1's labels unchanged" [ "$(dk node inspect worker-1 --format '{{json .Spec.Labels}}')" = "$before_labels" ]
posts=$(tail -n +"$((lines_before + 1))" "$log" | grep -Ec 'Calling (POST|DELETE|PUT)')
check "the engine's debug log shows no POST, PUT or DELETE ($posts)" [ "$posts" -eq 0 ]
refused=$(tail -n +"$((audit_before + 1))" /run/swarmdeck-lab/audit.log |
	grep '"result":"refused"' | grep 'watch mode' | grep -Ec '"(service.update|node.label|node.remove)"')
check "the three refusals are audited ($refused)" [ "$refused" -ge 3 ]
