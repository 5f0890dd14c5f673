# test_watch.sh - watch mode refuses every mutating action in the core: nothing changes in the
# cluster and the engine's debug log shows no POST or DELETE from the console.
. "$(dirname "$0")/lib.sh"
plan 7
log=/run/swarmdeck-lab/manager-1/dockerd.log
wait_until 120 replicas_are iot-guardian_backend 3/3
before_specs=$(dk service ls --format '{{.Name}} {{.Replicas}} {{.Image}}' | sort)
before_nodes=$(dk node ls --format '{{.Hostname}} {{.Availability}} {{.ManagerStatus}}' | sort)
lines_before=$(wc -l < "$log")
audit_before=$(wc -l < /run/swarmdeck-lab/audit.log 2>/dev/null || echo 0)

drill watch --watch <<'YAML'
drill: watch-every-key
steps:
  - keys: "2/backend<Enter>s"
  - expect_screen: "refused: watch mode is read-only"
  - keys: "rFb"
  - keys: "1/worker-1<Enter>dPapD"
  - keys: "4p5p6vX"
  - keys: "2/frontend<Enter>s"
  - expect_screen: "WATCH"
YAML
check "a drill pressing every mutating key runs in watch mode" [ $? -eq 0 ]
check "no service changed" [ "$(dk service ls --format '{{.Name}} {{.Replicas}} {{.Image}}' | sort)" = "$before_specs" ]
check "no node changed" [ "$(dk node ls --format '{{.Hostname}} {{.Availability}} {{.ManagerStatus}}' | sort)" = "$before_nodes" ]
posts=$(tail -n +"$((lines_before + 1))" "$log" | grep -Ec 'Calling (POST|DELETE|PUT)')
gets=$(tail -n +"$((lines_before + 1))" "$log" | grep -Ec 'Calling (GET|HEAD)')
check "the engine saw the console's GETs ($gets)" [ "$gets" -gt 0 ]
check "the engine's debug log shows no POST, PUT or DELETE ($posts)" [ "$posts" -eq 0 ]
refused=$(tail -n +"$((audit_before + 1))" /run/swarmdeck-lab/audit.log | grep -c '"result":"refused"')
check "every mutating key is audited as refused ($refused >= 8)" [ "$refused" -ge 8 ]
check "refusals say watch mode" sh -c "tail -n 3 /run/swarmdeck-lab/audit.log | grep -q 'watch mode'"
