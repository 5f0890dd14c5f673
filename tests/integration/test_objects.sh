# test_objects.sh - stacks and Swarm objects against the lab, through the real binary: the
# services grouped by stack (iot-guardian with its 3 services), a stack opened and left, the
# filter by stack; pane 8 listing the lab's networks, secrets and config with the services
# that use them, as the engine says; --once --json's stacks, networks, secrets and configs;
# and no secret value nor config data anywhere (screens, JSON, audit).
. "$(dirname "$0")/lib.sh"
plan 17
STACK=iot-guardian
NET=${STACK}_iot_guardian_network
wait_until 120 replicas_are ${STACK}_backend 3/3

# the lab's objects (tests/lab/objects.sh) and the values that must never show
dk secret inspect ${STACK}_redis_password >/dev/null 2>&1 &&
	dk config inspect ${STACK}_nginx_conf >/dev/null 2>&1
check "the lab has its secrets and config" [ $? -eq 0 ]
values=$TMP/values
{
	cut -d: -f5 /var/lib/swarmdeck-lab/secrets/pg-*.pgpass 2>/dev/null
	cat /var/lib/swarmdeck-lab/secrets/redis.pass 2>/dev/null
	echo sdlab-config-body-5e1d7a      # in the config's data (tests/lab/objects.sh)
	dk config inspect ${STACK}_nginx_conf | jq -r '.[0].Spec.Data'   # the data as sent
} | grep -v '^$' > "$values"

# stacks: grouped, opened, left, filtered
drill stacks <<YAML
drill: stacks
steps:
  - until: services[name=${STACK}_backend].running == 3
    timeout: 60s
  - keys: "2zt"
  - expect_screen: "Stacks \\\\(1\\\\)"
  - save_screen: $TMP/screen-stacks.txt
  - keys: "<Enter>"
  - expect_screen: "\\\\[/stack:${STACK}\\\\]"
  - save_screen: $TMP/screen-stack-open.txt
  - keys: "<Esc>"
  - expect_screen: "Stacks \\\\(1\\\\)"
  - save_screen: $TMP/screen-stack-back.txt
  - keys: "t/stack:${STACK}<Enter>"
  - save_screen: $TMP/screen-filter.txt
  - keys: "/<C-u>stack:no-such-stack<Enter>"
  - save_screen: $TMP/screen-filter-none.txt
  - keys: "<Esc>z8"
  - save_screen: $TMP/screen-objects.txt
YAML
check "the stacks drill played" [ $? -eq 0 ]
check "grouped: ${STACK} with 3 services, none degraded or updating" \
	grep -Eq "^${STACK} +3 +0 +0 +7/7 +ok" "$TMP/screen-stacks.txt"
n=$(grep -cE "^${STACK}_(backend|frontend|nginx) +${STACK} " "$TMP/screen-stack-open.txt")
check "open on the stack lists its 3 services ($n)" [ "$n" -eq 3 ]
check "back: the stacks again" grep -Eq "^${STACK} +3 " "$TMP/screen-stack-back.txt"
n=$(grep -cE "^${STACK}_[a-z]+ +${STACK} " "$TMP/screen-filter.txt")
check "filter stack:${STACK} keeps its 3 services ($n)" [ "$n" -eq 3 ]
check "filter by a stack that does not exist keeps none" \
	sh -c "! grep -Eq '^${STACK}_' '$TMP/screen-filter-none.txt' && grep -q 'Services (0)' '$TMP/screen-filter-none.txt'"

# pane 8 against what the engine says
users() { # the services whose spec uses network/secret/config $2 of kind $1, sorted, comma-joined
	for s in $(dk service ls -q --filter "label=com.docker.stack.namespace=$STACK"); do
		case $1 in
		network) f='{{range .Spec.TaskTemplate.Networks}}{{.Target}} {{end}}'
			want=$(dk network inspect "$2" --format '{{.Id}}') ;;
		secret) f='{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}'; want=$2 ;;
		config) f='{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}'; want=$2 ;;
		esac
		dk service inspect "$s" --format "{{.Spec.Name}} $f" | grep -qw -- "$want" &&
			dk service inspect "$s" --format '{{.Spec.Name}}'
	done | sort | paste -sd, -
}
want=$(users network $NET)
check "objects: the stack's network lists $want" sh -c "grep -E '^network +$NET ' '$TMP/screen-objects.txt' | grep -qF -- '$want'"
check "the network is an attachable swarm overlay with its subnet" \
	sh -c "grep -E '^network +$NET ' '$TMP/screen-objects.txt' | grep -Eq 'overlay +swarm +yes +[0-9.]+/[0-9]+'"
want=$(users secret ${STACK}_redis_password)
check "objects: the Redis password secret is used by $want" sh -c "grep -E '^secret +${STACK}_redis_password ' '$TMP/screen-objects.txt' | grep -qF -- '$want'"
want=$(users config ${STACK}_nginx_conf)
check "objects: the config is used by $want, its size shown" sh -c "grep -E '^config +${STACK}_nginx_conf ' '$TMP/screen-objects.txt' | grep -F -- '$want' | grep -Eq '[0-9]+ B'"
check "the ingress network is listed, the node's own bridges are not" \
	sh -c "grep -Eq '^network +ingress ' '$TMP/screen-objects.txt' && ! grep -Eq '^network +(bridge|docker_gwbridge|host) ' '$TMP/screen-objects.txt'"

# --once --json
once_json
check "JSON: stacks has ${STACK} with 3 services, 0 degraded, 0 updating" \
	jq_true ".stacks[] | select(.name == \"$STACK\") | .services == 3 and .degraded == 0 and .updating == 0" "$TMP/once.json"
check "JSON: every service of the stack names it" \
	jq_true "[.services[] | select(.name | startswith(\"${STACK}_\")) | .stack] | length == 3 and all(. == \"$STACK\")" "$TMP/once.json"
size=$(dk config inspect ${STACK}_nginx_conf | jq -r '.[0].Spec.Data' | base64 -d | wc -c)
check "JSON: networks, secrets with their services, the config's size ($size bytes)" \
	jq_true "(.networks[] | select(.name == \"$NET\") | .services | length == 3) and
		(.secrets[] | select(.name == \"${STACK}_redis_password\") | .services == [\"${STACK}_backend\"]) and
		(.configs[] | select(.name == \"${STACK}_nginx_conf\") | .size == $size)" "$TMP/once.json"

# no value anywhere
leaks() { grep -rlF -f "$values" "$@" 2>/dev/null; }
check "no secret value nor config data on the screens ($(wc -l < "$values") values)" \
	[ -z "$(leaks "$TMP"/screen-*.txt)" ]
check "none in the --once JSON nor the audit log" \
	sh -c "[ -z \"\$(grep -lF -f '$values' '$TMP/once.json' /run/swarmdeck-lab/audit.log 2>/dev/null)\" ]"
