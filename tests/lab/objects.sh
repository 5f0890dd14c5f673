# objects.sh - the lab's Swarm secrets and config, used by the iot-guardian stack's services,
# so that swarmdeck's objects pane (8) has real ones to show and the tests have real values
# that must never show.
#
# Sourced by tests/lab/lab (bash, set -euo pipefail) after data.sh, which calls objects_up
# at the end of `lab up` and objects_status from `lab status`. Idempotent: what exists is
# left alone, so `lab up` on a lab that is up only adds what is missing.
#
#   iot-guardian_pg_app_password   secret: the data tier's app password (pg-app.pgpass)
#   iot-guardian_redis_password    secret: the Redis password (redis.pass)
#   iot-guardian_nginx_conf        config: a few lines holding OBJECTS_CONFIG_MARKER
# The backend mounts both secrets, nginx the config (one rolling update each, the first time
# only). Values go from the files to `docker secret create -` on a pipe, never on a command
# line. Every name defined here starts with objects_ or OBJECTS_.

OBJECTS_STACK=iot-guardian
OBJECTS_CONFIG_MARKER=sdlab-config-body-5e1d7a
OBJECTS_TIMEOUT=${OBJECTS_TIMEOUT:-180}

objects_docker() {
	local manager
	manager=$(lab_manager) || return 1
	lab_docker "$manager" "$@"
}

# objects_secret NAME FILE FIELD: a secret from FIELD (0: the whole file) of FILE.
objects_secret() {
	local name=$1 file=$2 field=$3
	objects_docker secret inspect "$name" >/dev/null 2>&1 && return 0
	[[ -r $file ]] || { lab_log "objects: $file missing, no secret $name"; return 0; }
	if ((field > 0)); then
		cut -d: -f"$field" "$file" | head -n 1 | tr -d '\n'
	else
		tr -d '\n' <"$file"
	fi | objects_docker secret create --label "com.docker.stack.namespace=$OBJECTS_STACK" \
		"$name" - >/dev/null
	lab_log "objects: secret $name created"
}

objects_config() {
	local name=${OBJECTS_STACK}_nginx_conf
	objects_docker config inspect "$name" >/dev/null 2>&1 && return 0
	printf '# %s\nserver { listen 80; root /www; }\n' "$OBJECTS_CONFIG_MARKER" |
		objects_docker config create --label "com.docker.stack.namespace=$OBJECTS_STACK" \
			"$name" - >/dev/null
	lab_log "objects: config $name created"
}

# objects_uses SERVICE: the secret and config names its spec mounts.
objects_uses() {
	objects_docker service inspect "$1" --format \
		'{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}} {{end}}{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}'
}

objects_updated() {
	local service state
	for service in "${OBJECTS_STACK}_backend" "${OBJECTS_STACK}_nginx"; do
		state=$(objects_docker service inspect "$service" \
			--format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}')
		[[ -z $state || $state == completed ]] || return 1
	done
}

objects_up() {
	local secrets=$LAB_STATE/secrets backend=${OBJECTS_STACK}_backend nginx=${OBJECTS_STACK}_nginx
	local changed=0
	objects_secret "${OBJECTS_STACK}_pg_app_password" "$secrets/pg-app.pgpass" 5
	objects_secret "${OBJECTS_STACK}_redis_password" "$secrets/redis.pass" 0
	objects_config
	if objects_docker secret inspect "${OBJECTS_STACK}_pg_app_password" >/dev/null 2>&1 &&
		objects_docker secret inspect "${OBJECTS_STACK}_redis_password" >/dev/null 2>&1 &&
		[[ " $(objects_uses "$backend") " != *" ${OBJECTS_STACK}_redis_password "* ]]; then
		objects_docker service update --detach --quiet \
			--secret-add "source=${OBJECTS_STACK}_pg_app_password,target=pg_app_password" \
			--secret-add "source=${OBJECTS_STACK}_redis_password,target=redis_password" \
			"$backend" >/dev/null
		changed=1
	fi
	if [[ " $(objects_uses "$nginx") " != *" ${OBJECTS_STACK}_nginx_conf "* ]]; then
		objects_docker service update --detach --quiet \
			--config-add "source=${OBJECTS_STACK}_nginx_conf,target=/etc/sdlab-nginx.conf" \
			"$nginx" >/dev/null
		changed=1
	fi
	if ((changed)); then
		lab_wait "$OBJECTS_TIMEOUT" "the services to mount the secrets and the config" \
			objects_updated || lab_die "objects: the services did not converge"
		lab_wait "$OBJECTS_TIMEOUT" "every service converged" lab_converged ||
			lab_die "objects: the stack did not converge"
	fi
	lab_log "objects: secrets and config in use"
}

objects_status() {
	printf '# docker secret ls; docker config ls\n'
	objects_docker secret ls || true
	objects_docker config ls || true
}
