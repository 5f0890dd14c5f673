# test_nonroot.sh - the console run by an ordinary user in the docker group, against the lab's
# engine: uid nobody with the docker group as its only supplementary group (setpriv, no
# capabilities; no account is created), no config (built-in defaults, DOCKER_HOST), a HOME of
# its own. Without access to the socket it says why; with the socket group-readable (for this
# test only: owner, group and modes of the socket and its folders are put back however the
# script ends) it negotiates the API, takes a snapshot, scales a service by keys and back,
# and writes its audit log under ~/.local/state (or $XDG_STATE_HOME) with nothing written
# anywhere else. Needs root to switch users, and the lab.
. "$(dirname "$0")/lib.sh"
plan 10
SOCK=${DOCKER_HOST#unix://}
SVC=iot-guardian_frontend
USER_ID=65534
GROUP=docker
GROUP_ID=$(getent group "$GROUP" | cut -d: -f3)

skip_all() {
	for i in $(seq 1 10); do skip "non-root check $i" "$1"; done
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip_all "needs root to run as another user"
command -v setpriv > /dev/null || skip_all "needs setpriv (util-linux)"
[ -n "$GROUP_ID" ] || skip_all "no '$GROUP' group on this machine"
[ -S "$SOCK" ] || skip_all "the lab is not up ($SOCK)"

# the user's own folder, and a copy of the binary it can run wherever the tree lives
chmod 755 "$TMP"
U="$TMP/user"
mkdir -p "$U/home" "$U/bin"
cp "$SD" "$U/bin/swarmdeck"
chmod 755 "$U/bin" "$U/bin/swarmdeck"
chown -R "$USER_ID:$USER_ID" "$U/home"
chmod 700 "$U/home"
STAMP="$TMP/stamp"
: > "$STAMP"

# as_user CMD...: CMD as uid nobody in the docker group (NO_GROUP=1: in no group but its
# own), with a clean environment
as_user() {
	if [ -n "${NO_GROUP:-}" ]; then groups=--clear-groups; else groups=--groups=$GROUP_ID; fi
	setpriv --reuid="$USER_ID" --regid="$USER_ID" "$groups" --inh-caps=-all \
		env -i PATH=/usr/bin:/bin HOME="$U/home" USER=sdtest-operator LOGNAME=sdtest-operator \
		TERM=xterm-256color LINES=50 COLUMNS=200 TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8 \
		DOCKER_HOST="$DOCKER_HOST" ${XDG_STATE:+XDG_STATE_HOME="$XDG_STATE"} "$@"
}
XDG_STATE=""

# ---- open the socket to the docker group, for this test only ----
paths="$SOCK"
d=$(dirname "$SOCK")
while [ "$d" != / ] && [ "$d" != /run ]; do
	paths="$d $paths"
	d=$(dirname "$d")
done
: > "$TMP/modes"
for p in $paths; do
	stat -c '%u %g %a %n' "$p" >> "$TMP/modes"
done
note "before: $(tr '\n' ';' < "$TMP/modes")"
at_exit "while read -r u g m p; do chown \"\$u:\$g\" \"\$p\"; chmod \"\$m\" \"\$p\"; done < '$TMP/modes'"
for p in $paths; do
	chgrp "$GROUP" "$p"
	if [ -S "$p" ]; then chmod g+rw,o-rwx "$p"; else chmod g+x "$p"; fi
done

# ---- the same user outside the docker group is refused, and the console says why ----
ids=$(NO_GROUP=1 as_user id -G)
NO_GROUP=1 as_user "$U/bin/swarmdeck" --version --check > "$TMP/denied.txt" 2>&1
rc=$?
if [ "$ids" = "$USER_ID" ] && [ $rc -eq 1 ] && grep -qi "permission denied" "$TMP/denied.txt"; then
	ok "uid $USER_ID outside the docker group: the engine not reached, permission denied"
else
	not_ok "uid $USER_ID outside the docker group (groups $ids, exit $rc): $(tail -n 1 "$TMP/denied.txt")"
fi

as_user "$U/bin/swarmdeck" --version --check > "$TMP/check.txt" 2>&1
rc=$?
groups=$(as_user id -Gn | tr ' ' ',')
if [ $rc -eq 0 ] && grep -q 'Engine API 1\.[0-9]* negotiated' "$TMP/check.txt"; then
	ok "--version --check as uid $USER_ID in groups $groups: $(tail -n 1 "$TMP/check.txt")"
else
	not_ok "--version --check as uid $USER_ID in groups $groups (exit $rc): $(tail -n 1 "$TMP/check.txt")"
fi

as_user "$U/bin/swarmdeck" --once --json > "$TMP/once.json" 2> "$TMP/once.err"
nodes=$(jq -r '.nodes | length' "$TMP/once.json" 2>/dev/null)
reach=$(jq -r '.cluster.reachable' "$TMP/once.json" 2>/dev/null)
if [ "$reach" = true ] && [ "$nodes" = 5 ]; then
	ok "--once --json as that user: the engine reachable, $nodes nodes"
else
	not_ok "--once --json as that user: reachable $reach, ${nodes:-no} nodes: $(tail -n 1 "$TMP/once.err")"
fi

# ---- the console: scale by keys and back, audited in the user's state folder ----
wait_until 120 replicas_are "$SVC" 2/2
cat > "$U/scale.yaml" <<YAML
drill: nonroot-scale
description: an ordinary user in the docker group scales a service by keys and back
steps:
  - keys: "2/frontend<Enter>s3<Enter>"
  - confirm: "yes"
  - until: services[name=$SVC].running == 3
    timeout: 120s
  - keys: "s2<Enter>"
  - confirm: "yes"
  - until: services[name=$SVC].running == 2
    timeout: 120s
YAML
mkdir -p "$U/reports"
chown "$USER_ID:$USER_ID" "$U/reports"
chmod 644 "$U/scale.yaml"
at_exit "$DOCKER service scale -d $SVC=2"
(cd "$U/reports" && as_user "$U/bin/swarmdeck" --play "$U/scale.yaml" --headless \
	--report "$U/reports/scale.md") > "$TMP/scale.out" 2>&1
rc=$?
check "the console as that user scales $SVC 2 -> 3 -> 2 by keys (drill exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -n 5 "$TMP/scale.out" | sed 's/^/#   /'
check "the engine reports $SVC 2/2 again" wait_until 60 replicas_are "$SVC" 2/2

AUDIT="$U/home/.local/state/swarmdeck/audit.log"
lines=$(grep -c '"action":"service.scale".*"result":"ok"' "$AUDIT" 2>/dev/null)
if [ "${lines:-0}" -eq 2 ] && grep -q '"user":"sdtest-operator"' "$AUDIT"; then
	ok "the audit log is ~/.local/state/swarmdeck/audit.log: 2 scales by sdtest-operator"
else
	not_ok "the audit log ~/.local/state/swarmdeck/audit.log: ${lines:-0} scales (want 2 by sdtest-operator)"
fi
owner=$(stat -c '%u %a' "$AUDIT" 2>/dev/null)/$(stat -c '%u %a' "$(dirname "$AUDIT")" 2>/dev/null)
check "the audit log is the user's, mode 600, in a folder of mode 700 ($owner)" \
	[ "$owner" = "$USER_ID 600/$USER_ID 700" ]

# XDG_STATE_HOME moves it; a watch-mode refusal is audited there
XDG_STATE="$U/home/xdg-state"
cat > "$U/watch.yaml" <<'YAML'
drill: nonroot-watch
steps:
  - keys: "2/frontend<Enter>s"
  - expect_screen: "refused: watch mode is read-only"
YAML
chmod 644 "$U/watch.yaml"
(cd "$U/reports" && as_user "$U/bin/swarmdeck" --watch --play "$U/watch.yaml" --headless) \
	> "$TMP/watch.out" 2>&1
rc=$?
check "with XDG_STATE_HOME the refusal is audited in \$XDG_STATE_HOME/swarmdeck/audit.log (exit $rc)" \
	grep -q '"action":"service.scale".*"result":"refused"' "$XDG_STATE/swarmdeck/audit.log"
XDG_STATE=""

# nothing the user wrote outside its own folders (/tmp and /var/tmp are the only other places
# it could write)
elsewhere=$(find /tmp /var/tmp -xdev -user "$USER_ID" -newer "$STAMP" 2>/dev/null | grep -v "^$TMP" | head -n 5 | tr '\n' ' ')
check "the user wrote nothing outside its home and the reports folder (${elsewhere:-nothing})" [ -z "$elsewhere" ]

# put the socket back now, and check it is as it was
_cleanup_modes() { while read -r u g m p; do chown "$u:$g" "$p"; chmod "$m" "$p"; done < "$TMP/modes"; }
_cleanup_modes
now=""
for p in $paths; do now="$now$(stat -c '%u %g %a %n' "$p")
"; done
check "the socket and its folders have their owners and modes back" \
	[ "$(printf '%s' "$now")" = "$(cat "$TMP/modes")" ]
