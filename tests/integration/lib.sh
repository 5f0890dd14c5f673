# lib.sh - sourced by the integration tests: the lab's environment, a pinned terminal, checks
# that print "ok - NAME" / "not ok - NAME", waits with deadlines, and headless drills.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
eval "$(tests/lab/lab env)"
DOCKER=${SDLAB_DOCKER:-/usr/bin/docker}
SD="$ROOT/swarmdeck"
TMP=$(mktemp -d /tmp/sdtest.XXXXXX)
export TERM=xterm-256color LINES=50 COLUMNS=200 TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
export HOME="$TMP/home" XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/config"
mkdir -p "$HOME"
unset NO_COLOR
SCRIPT_NAME=$(basename "$0" .sh)
CLEANUPS=""

at_exit() { CLEANUPS="$1
$CLEANUPS"; }
_finish() {
	rc=$?
	[ $rc -eq 0 ] || echo "not ok - $SCRIPT_NAME stopped early (exit $rc)"
	echo "$CLEANUPS" | while IFS= read -r c; do [ -n "$c" ] && eval "$c" >/dev/null 2>&1; done
	rm -rf "$TMP"
}
trap _finish EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
note() { echo "# $*"; }
check() {
	name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# wait_until SECONDS CMD...: true once CMD succeeds, false at the deadline
wait_until() {
	limit=$1
	shift
	end=$(($(date +%s) + limit))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 1
	done
	return 0
}

dk() { "$DOCKER" "$@"; }
# replicas NAME -> "running/desired" as the engine counts them
replicas() { dk service ls --filter "name=$1" --format '{{.Replicas}}' | awk '{print $1}'; }
replicas_are() { [ "$(replicas "$1")" = "$2" ]; }
node_field() { dk node inspect "$1" --format "$2"; }

# drill NAME [swarmdeck options] < YAML: play it headless; the report is $TMP/NAME.md
drill() {
	name=$1
	shift
	cat > "$TMP/$name.yaml"
	"$SD" --play "$TMP/$name.yaml" --headless --report "$TMP/$name.md" "$@" \
		> "$TMP/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/#   /' "$TMP/$name.out" | tail -n 5
		grep -E 'FAILED|failed' "$TMP/$name.md" 2>/dev/null | sed 's/^/#   /' | head -n 5
	fi
	return $rc
}

# Is the lab node NAME ready according to the engine?
node_is() { [ "$(node_field "$1" '{{.Status.State}}' 2>/dev/null)" = "$2" ]; }

DATA="$ROOT/tests/lab/data"
# node_of_addr 192.168.213.22[:port] -> worker-2
node_of_addr() {
	case ${1%%:*} in
	192.168.213.11) echo manager-1 ;; 192.168.213.12) echo manager-2 ;;
	192.168.213.13) echo manager-3 ;; 192.168.213.21) echo worker-1 ;;
	192.168.213.22) echo worker-2 ;; *) return 1 ;;
	esac
}
# lsn_num 0/5000148 -> a number to compare
lsn_num() { printf '%d\n' "$(( (0x${1%%/*} << 32) + 0x${1##*/} ))"; }
# once_json: a fresh snapshot as JSON into $TMP/once.json
once_json() { "$SD" --once --json > "$TMP/once.json" 2>/dev/null; jq -e . "$TMP/once.json" >/dev/null; }
jqo() { jq -r "$1" "$TMP/once.json"; }
# jq_true FILTER FILE: the filter holds (quietly)
jq_true() { jq -e "$@" >/dev/null; }
