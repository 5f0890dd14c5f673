# test_frozen.sh - a PostgreSQL member and a Redis replica SIGSTOPped: the console (real binary
# in tmux) still answers keys and redraws, the panes say so; SIGCONT and it recovers.
. "$(dirname "$0")/lib.sh"
plan 6
"$DATA" wait-streaming 2 120 >/dev/null 2>&1
"$DATA" wait-redis 90 >/dev/null 2>&1
once_json
standby=$(jqo '.postgres.members[] | select(.role=="standby") | .name' | head -n 1)
replica=$(jqo '.redis.replicas[0].addr')
note "freezing $standby and the Redis replica $replica"

session=sdfrozen-$$
tmux new-session -d -s $session -x 200 -y 50 \
	"env TERM=xterm-256color SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME $SD --watch"
at_exit "tmux kill-session -t $session"
shows() { tmux capture-pane -p -t $session | grep -Eq "$1"; }
wait_until 30 shows "$standby +standby +streaming"

pg_pids=$(pid=$(head -n 1 /var/lib/swarmdeck-lab/pg/$standby/postmaster.pid); echo $pid $(ps -o pid= --ppid $pid))
rnode=$(node_of_addr "$replica")
redis_pid=$(for p in $(ip netns pids "sdlab-$rnode"); do
	[ "$(cat /proc/$p/comm 2>/dev/null)" = redis-server ] && echo $p; done | head -n 1)
note "pids: postgres $pg_pids, redis $redis_pid"
kill -STOP $pg_pids $redis_pid
at_exit "kill -CONT $pg_pids $redis_pid"

check "the PostgreSQL pane says the frozen member is down" wait_until 30 shows "$standby +(standby|unknown) +DOWN"
check "the Redis pane says the replica does not answer" wait_until 30 shows "replica +$replica +.*(no answer|timeout|timed out)"
c1=$(tmux capture-pane -p -t $session | head -n 1)
sleep 2
c2=$(tmux capture-pane -p -t $session | head -n 1)
check "the header clock keeps moving (the screen redraws)" [ "$c1" != "$c2" ]
tmux send-keys -t $session '1'
tmux send-keys -t $session 'j'
tmux send-keys -t $session '?'
check "keys are answered at once (help opens)" wait_until 5 shows "Keys in the"
tmux send-keys -t $session Escape
kill -CONT $pg_pids $redis_pid
check "after SIGCONT the member streams again in the pane" wait_until 60 shows "$standby +standby +streaming"
check "and the replica answers again" wait_until 60 sh -c "! tmux capture-pane -p -t $session | grep -Eq 'replica +$replica +.*(no answer|timeout|timed out)'"
