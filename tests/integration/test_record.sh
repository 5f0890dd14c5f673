# test_record.sh - a session recorded with --record (driven by tmux send-keys) plays back to
# the same final state.
. "$(dirname "$0")/lib.sh"
plan 5
svc=iot-guardian_backend
wait_until 120 replicas_are $svc 3/3
session=sdrec-$$
rec="$TMP/recorded.yaml"
tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME $SD --record $rec; sleep 60"
at_exit "tmux kill-session -t $session"
shows() { tmux capture-pane -p -t $session | grep -Eq "$1"; }
wait_until 30 shows "$svc"
for k in 2 / b a c k e n d Enter s 4 Enter; do tmux send-keys -t $session "$k"; done
wait_until 10 shows "Scale $svc from 3 to 4"
tmux send-keys -t $session y e s Enter
check "the recorded session scaled the backend to 4" wait_until 120 replicas_are $svc 4/4
sleep 3
tmux send-keys -t $session q
check "the drill file is written when the session ends" wait_until 10 test -s "$rec"
sed 's/^/#   /' "$rec"
check "it has the keys, the answer and a wait on the result, not a sleep" \
	sh -c "grep -q 'keys: \"2/backend<Enter>s4<Enter>\"' $rec && grep -q 'confirm: \"yes\"' $rec &&
	grep -q 'until: services\[name=$svc\].running == 4' $rec && ! grep -q 'q\"' $rec"
"$SD" --check-config >/dev/null
dk service scale --detach $svc=3 >/dev/null
wait_until 120 replicas_are $svc 3/3
"$SD" --play "$rec" --headless --report "$TMP/replay.md" > "$TMP/replay.out" 2>&1
check "the recording plays back" [ $? -eq 0 ]
check "to the same final state: 4/4" wait_until 60 replicas_are $svc 4/4
dk service scale --detach $svc=3 >/dev/null
wait_until 120 replicas_are $svc 3/3
