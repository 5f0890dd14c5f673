# test_failures.sh - a worker dies and comes back; the engine the console talks to dies and
# comes back while the real binary runs in tmux.
. "$(dirname "$0")/lib.sh"
plan 11

tests/lab/lab kill worker-2 >/dev/null 2>&1
at_exit "tests/lab/lab heal worker-2"
drill worker-down <<YAML
drill: worker-down
steps:
  - until: nodes[hostname=worker-2].state == down
    timeout: 30s
  - expect_screen: "worker-2 +worker +active +down"
  - until: health != OK
    timeout: 10s
YAML
check "a killed worker shows down within 30 s" [ $? -eq 0 ]
tests/lab/lab heal worker-2 >/dev/null 2>&1
check "the healed worker is ready again" wait_until 120 node_is worker-2 ready

# the console in tmux, talking to manager-1; manager-1's engine is killed and restarted
session=sdtest-$$
tmux kill-session -t $session 2>/dev/null
tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME $SD"
at_exit "tmux kill-session -t $session"
screen() { tmux capture-pane -p -t $session; }
shows() { screen | grep -Eq "$1"; }
check "the console starts and shows the leader" wait_until 30 shows "manager-[1-3] .*leader"

tests/lab/lab kill manager-1 >/dev/null 2>&1
at_exit "tests/lab/lab heal manager-1"
check "the console says the engine is unreachable" wait_until 30 shows "ENGINE UNREACHABLE"
check "the last data stays visible while unreachable" shows "iot-guardian_backend"
tmux send-keys -t $session '?'
check "the console still answers keys (help opens)" wait_until 10 shows "Keys in the"
tmux send-keys -t $session Escape
check "and closes" wait_until 10 sh -c "! tmux capture-pane -p -t $session | grep -q 'Keys in the'"
tests/lab/lab heal manager-1 >/dev/null 2>&1
check "the console recovers by itself" wait_until 120 sh -c "! tmux capture-pane -p -t $session | grep -q 'UNREACHABLE'"
check "and shows live nodes again" wait_until 60 shows "manager-1 .*(leader|reachable)"
check "the process is still the same console" tmux has-session -t $session
tmux send-keys -t $session q
check "q quits" wait_until 10 sh -c "! tmux has-session -t $session 2>/dev/null"
