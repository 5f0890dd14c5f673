# webdav.sh - the lab's off-site store: Debian's rclone serving WebDAV (`rclone serve
# webdav`, the tool of the storage plan) inside manager-3's network namespace, with one user
# whose password is in a file (the server reads an htpasswd file, so no password is on any
# command line). Sourced by tests/lab/lab, which calls:
#   webdav_up              start it when it is not running (idempotent: an up lab gains it);
#                          WEBDAV_BWLIMIT=RATE (rclone's --bwlimit, e.g. 40M) starts it
#                          behind a slow link, for a test that must catch an upload midway
#   webdav_start NODE      after `lab heal NODE`: start it again when NODE is its node
#   webdav_config FILE     write $WEBDAV_CONFIG: FILE (the lab's config) with backup.remote
#                          (a file of its own: a binary that does not know the key keeps
#                          reading the lab's config)
#   webdav_status          one line: where it listens and whether it answers
# `lab kill manager-3` kills it with everything else of the node; `lab partition manager-3`
# cuts it off. Helpers for tests: webdav_pid, webdav_url, webdav_curl ARGS (curl as the
# lab's user, password from the file through a netrc file: never on a command line).

WEBDAV_NODE=manager-3
WEBDAV_PORT=8080
WEBDAV_USER=swarmdeck
WEBDAV_DIR=$LAB_STATE/webdav/store          # what the server holds
WEBDAV_SECRETS=$LAB_STATE/secrets
WEBDAV_PASSFILE=$WEBDAV_SECRETS/webdav.pass
WEBDAV_HTPASSWD=$LAB_STATE/webdav/htpasswd
WEBDAV_NETRC=$LAB_STATE/webdav/netrc        # for curl in tests
WEBDAV_LOG=$LAB_RUN/$WEBDAV_NODE/webdav.log
WEBDAV_CONFIG=$LAB_RUN/swarmdeck-remote.yaml

webdav_url() { echo "http://$(lab_ip "$WEBDAV_NODE"):$WEBDAV_PORT/backups/"; }
webdav_pid() { cat "$LAB_RUN/$WEBDAV_NODE/webdav.pid" 2>/dev/null; }

webdav_running() {
	local pid
	pid=$(webdav_pid) && lab_pid_alive "$pid" &&
		grep -q rclone "/proc/$pid/comm" 2>/dev/null
}

webdav_curl() { curl -sS --netrc-file "$WEBDAV_NETRC" --max-time 60 "$@"; }

webdav_answers() { webdav_curl -o /dev/null -f -X PROPFIND -H 'Depth: 0' "$(webdav_url)"; }

_webdav_secrets() {
	mkdir -p "$WEBDAV_SECRETS" "$WEBDAV_DIR/backups"
	# the secrets folder is shared with the data tier (711: postgres reads its passfile there)
	chmod 711 "$WEBDAV_SECRETS"
	chmod 700 "$LAB_STATE/webdav"
	if [[ ! -s $WEBDAV_PASSFILE ]]; then
		(umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$WEBDAV_PASSFILE")
	fi
	local pass
	pass=$(cat "$WEBDAV_PASSFILE")
	# {SHA} entries: rclone's htpasswd reader takes them; openssl is there already
	(umask 077 && printf '%s:{SHA}%s\n' "$WEBDAV_USER" \
		"$(printf '%s' "$pass" | openssl dgst -binary -sha1 | base64)" >"$WEBDAV_HTPASSWD")
	(umask 077 && printf 'machine %s login %s password %s\n' "$(lab_ip "$WEBDAV_NODE")" \
		"$WEBDAV_USER" "$pass" >"$WEBDAV_NETRC")
}

webdav_up() {
	command -v rclone >/dev/null || { lab_log "webdav: rclone is not installed (tests/deps.sh)"; return 0; }
	lab_ns_exists "$WEBDAV_NODE" || { lab_log "webdav: $WEBDAV_NODE is not up"; return 1; }
	_webdav_secrets
	if ! webdav_running; then
		lab_spawn "$WEBDAV_NODE" webdav rclone serve webdav "$WEBDAV_DIR" \
			--addr "$(lab_ip "$WEBDAV_NODE"):$WEBDAV_PORT" --htpasswd "$WEBDAV_HTPASSWD" \
			--realm swarmdeck-lab ${WEBDAV_BWLIMIT:+--bwlimit "$WEBDAV_BWLIMIT"} || return 1
	fi
	lab_wait 20 "the WebDAV server on $WEBDAV_NODE" webdav_answers ||
		{ tail -n 5 "$WEBDAV_LOG" >&2; return 1; }
	lab_log "webdav: $(webdav_url) (rclone on $WEBDAV_NODE)"
}

webdav_start() { # NODE
	[[ $1 == "$WEBDAV_NODE" ]] || return 0
	webdav_up
}

webdav_config() { # FILE: a copy with backup.remote inside the backup section
	command -v rclone >/dev/null || return 0
	grep -q '^backup:' "$1" || return 0
	local block
	block="  remote:\n    url: $(webdav_url)\n    user: $WEBDAV_USER\n    password_file: $WEBDAV_PASSFILE\n    retention_days: 180\n    timeout_ms: 5000"
	sed "/^backup:/a\\$block" "$1" >"$WEBDAV_CONFIG.tmp" && mv "$WEBDAV_CONFIG.tmp" "$WEBDAV_CONFIG"
}

webdav_status() {
	local state=stopped
	webdav_running && state=running
	webdav_running && ! webdav_answers 2>/dev/null && state="running, not answering"
	printf '%-10s %-10s %-20s %s\n' webdav "$WEBDAV_NODE" "$(lab_ip "$WEBDAV_NODE"):$WEBDAV_PORT" "$state"
}
