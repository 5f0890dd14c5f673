# test_update.sh - a bad update rolls back by itself and the console shows it; a good update
# is rolled back by key to the previous spec.
. "$(dirname "$0")/lib.sh"
plan 6
svc=iot-guardian_frontend
wait_until 120 replicas_are $svc 2/2

# a command whose healthcheck never passes: the update monitor fails, Swarm rolls back
dk service update --detach --no-resolve-image --args "httpd -f -p 9999 -h /www" $svc >/dev/null
drill bad-update <<YAML
drill: bad-update
steps:
  - until: services[name=$svc].update_state == updating
    timeout: 30s
  - expect_screen: "$svc .*updating"
  - until: services[name=$svc].update_state == rollback_completed
    timeout: 240s
  - keys: "2/frontend<Enter>"
  - expect_screen: "$svc .*rollback_completed"
YAML
check "a bad update rolls back by itself and the console shows rollback_completed" [ $? -eq 0 ]
args=$(dk service inspect $svc --format '{{json .Spec.TaskTemplate.ContainerSpec.Args}}')
check "the spec is the previous one again ($args)" sh -c "echo '$args' | grep -q 5173"
check "frontend converges to 2/2" wait_until 120 replicas_are $svc 2/2

dk service update --detach --no-resolve-image --image sdlab/busybox:2 $svc >/dev/null
wait_until 180 sh -c "[ \"\$($DOCKER service inspect $svc --format '{{.UpdateStatus.State}}')\" = completed ]"
drill rollback <<YAML
drill: rollback
steps:
  - until: services[name=$svc].image == "sdlab/busybox:2"
    timeout: 60s
  - keys: "2/frontend<Enter>r"
  - confirm: "yes"
  - until: services[name=$svc].image == "sdlab/busybox:1"
    timeout: 60s
  - until: services[name=$svc].update_state == rollback_completed
    timeout: 180s
YAML
check "service.rollback by key restores the previous image" [ $? -eq 0 ]
image=$(dk service inspect $svc --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}')
check "the engine's spec has sdlab/busybox:1 ($image)" sh -c "echo '$image' | grep -q '^sdlab/busybox:1'"
check "frontend converges to 2/2 after the rollback" wait_until 120 replicas_are $svc 2/2
