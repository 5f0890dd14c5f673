# test_screen.sh - the console in tmux: live resize, "terminal too small" below 80x24, ASCII
# lines when the locale is not UTF-8, UTF-8 lines when it is.
. "$(dirname "$0")/lib.sh"
plan 6
session=sdscreen-$$
# a tmux server of its own for each start (one that quits takes its server along), told the
# terminal speaks UTF-8
sock=$session-utf8
T() { tmux -u -L "$sock" "$@"; }
start() { # LANG
	sock=$session-$1
	T new-session -d -s $session -x 120 -y 40 \
		"env -u LINES -u COLUMNS TERM=xterm-256color LANG=$1 LC_ALL=$1 SWARMDECK_CONFIG=$SWARMDECK_CONFIG XDG_STATE_HOME=$XDG_STATE_HOME $SD --watch"
}
at_exit "tmux -L $session-C.UTF-8 kill-server; tmux -L $session-C kill-server"
shows() { T capture-pane -p -t $session | grep -Eq "$1"; }
start C.UTF-8
check "UTF-8 locale: line drawing characters" wait_until 20 shows "─ 1 Nodes"
T resize-window -t $session -x 70 -y 20
check "resized to 70x20: it says the terminal is too small" wait_until 10 shows "terminal too small: 70x20, swarmdeck needs 80x24"
T resize-window -t $session -x 200 -y 50
check "resized to 200x50: two columns, the data tier on the right" wait_until 10 shows "│─ 4 PostgreSQL"
T resize-window -t $session -x 100 -y 40
check "resized to 100x40: one column again" wait_until 10 sh -c "! tmux -u -L $session-C.UTF-8 capture-pane -p -t $session | grep -q '│─ 4 PostgreSQL' && tmux -u -L $session-C.UTF-8 capture-pane -p -t $session | grep -q '─ 4 PostgreSQL'"
T send-keys -t $session q
start C
check "C locale: ASCII lines instead" wait_until 20 shows "^- 1 Nodes"
check "and no UTF-8 box drawing at all" sh -c "! tmux -u -L $session-C capture-pane -p -t $session | grep -q '─'"
