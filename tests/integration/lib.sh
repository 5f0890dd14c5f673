# lib.sh - sourced by the integration tests: the lab's environment, a pinned terminal, checks
# that print TAP ("1..N" first, from `plan N`, then "ok - NAME" / "not ok - NAME" /
# "ok - NAME # SKIP reason"), waits with deadlines, and headless drills. Cleanups registered
# with at_exit run however the script ends: exit, error, or TERM/INT from the runner's timeout.
set -u
ROOT=${SD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
[ -n "${SD_NO_LAB:-}" ] || eval "$(tests/lab/lab env)" # SD_NO_LAB=1: scripts that need no lab
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
_cleanup() {
	echo "$CLEANUPS" | while IFS= read -r c; do [ -n "$c" ] && eval "$c" >/dev/null 2>&1; done
	CLEANUPS=""
	rm -rf "$TMP"
}
# the runner counts the checks that did not run; this only says why
_finish() {
	rc=$?
	[ $rc -eq 0 ] || echo "# $SCRIPT_NAME: stopped early (exit $rc)"
	_cleanup
}
# dash runs no EXIT trap on a signal: clean up here, then die of it
_on_signal() {
	trap - EXIT "$1"
	echo "# $SCRIPT_NAME: stopped by SIG$1"
	_cleanup
	kill -s "$1" $$
	exit 128
}
trap _finish EXIT
trap '_on_signal TERM' TERM
trap '_on_signal INT' INT

# plan N: the script runs N checks (TAP's "1..N"); print it before the first check
plan() { echo "1..$1"; }
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
# skip NAME REASON: a check that could not run here, counted as skipped
skip() { echo "ok - $1 # SKIP $2"; }
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
once_json() { "$SD" --once --json > "$TMP/once.json" 2>/dev/null; jq_true . "$TMP/once.json"; }
jqo() { jq -r "$1" "$TMP/once.json"; }
# jq_true [jq options] FILTER FILE: the filter holds (quietly); an empty file fails (jq -e
# alone exits 0 when it reads no input at all)
jq_true() { _jq_out=$(jq -e "$@") && [ -n "$_jq_out" ]; }
