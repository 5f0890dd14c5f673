# test_scale.sh - scale the backend 3 -> 5 and back by keys; refusals of bad numbers.
. "$(dirname "$0")/lib.sh"
plan 11
svc=iot-guardian_backend
check "backend starts at 3/3" wait_until 120 replicas_are $svc 3/3

drill scale-up <<YAML
drill: scale-up
steps:
  - keys: "2/backend<Enter>s5<Enter>"
  - confirm: "yes"
  - until: services[name=$svc].running == 5
    timeout: 120s
  - expect_screen: "$svc +[^ ]+ +replicated +5/5"
YAML
check "scale to 5 by keys: drill passes" [ $? -eq 0 ]
check "the engine reports 5/5" wait_until 30 replicas_are $svc 5/5

drill scale-down <<YAML
drill: scale-down
steps:
  - keys: "2/backend<Enter>s3<Enter>"
  - confirm: "yes"
  - until: services[name=$svc].running == 3
    timeout: 120s
YAML
check "scale back to 3 by keys: drill passes" [ $? -eq 0 ]
check "the engine reports 3/3" wait_until 60 replicas_are $svc 3/3

for bad in abc -2 1000; do
	drill "scale-bad" <<YAML
drill: scale-bad
steps:
  - keys: "2/backend<Enter>s$bad<Enter>"
  - expect_screen: "scale $svc: .*($bad|number)"
YAML
	check "scale refuses '$bad' with a clear message" [ $? -eq 0 ]
done
check "refusals are in the audit log" \
	grep -q '"action":"service.scale".*"parameters":{"value":"abc"}.*"result":"refused"' /run/swarmdeck-lab/audit.log
check "the service is untouched by refusals" replicas_are $svc 3/3
check "the audit log records the scale with user and duration" \
	grep -q '"action":"service.scale".*"target":"iot-guardian_backend".*"result":"ok"' /run/swarmdeck-lab/audit.log
