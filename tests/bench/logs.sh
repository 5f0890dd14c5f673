#!/bin/sh
# logs.sh - the log flood figure of `make bench` (called by tests/bench/run with the lab up and
# its environment set): one service prints 1,000,000 lines as fast as it can; swarmdeck's logs
# view (a headless drill) and `docker service logs -f` follow it side by side in the same run.
# Printed: lines per second each kept up with (first line to the millionth as each received
# them), the CPU each used, and each one's peak RSS. Figures, never pass/fail.
set -u
cd "$(dirname "$0")/../.." || exit 2
DOCKER=${SDLAB_DOCKER:-/usr/bin/docker}
svc=sd-bench-flood
lines=${SD_BENCH_LOG_LINES:-1000000}
tmp=$(mktemp -d)
cli=""
cleanup() {
	[ -n "$cli" ] && kill "$cli" 2>/dev/null
	"$DOCKER" service rm $svc > /dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

"$DOCKER" service rm $svc > /dev/null 2>&1
# 20 s for both followers to attach, the flood, 3 s of quiet, then an end line every second
# (the swarm's log broker may drop lines of a flood: each side counts what it received)
"$DOCKER" service create --detach --quiet --name $svc --constraint node.role==worker \
	--no-resolve-image sdlab/busybox:1 \
	sh -c "sleep 20; seq $lines; sleep 3; while :; do echo flood-end; sleep 1; done" > /dev/null

cat > "$tmp/flood.yaml" <<YAML
drill: bench-log-flood
steps:
  - until: services[name=$svc].running == 1
    timeout: 60s
  - keys: "2/$svc<Enter>l"
  - expect_log: "\\\\| 1\$"
    timeout: 120s
  - expect_log: "\\\\| flood-end\$"
    timeout: 600s
  - save_screen: $tmp/sd.screen
  - exec: "echo \$(awk '{print \$14 + \$15}' /proc/\$PPID/stat) \$(awk '/^VmHWM/ {print \$2}' /proc/\$PPID/status) > $tmp/sd.stat"
YAML
env TERM=xterm-256color LINES=50 COLUMNS=200 ./swarmdeck --play "$tmp/flood.yaml" --headless \
	--allow-exec --report "$tmp/flood.json" > "$tmp/sd.out" 2>&1 &
sd=$!

# the CLI's output counted by awk (its own CPU is not counted): the time of its first line
# and of the end line, how many lines it had, and the CLI's CPU and peak RSS right then
cat > "$tmp/clistat.sh" <<SH
p=\$(cat "$tmp/cli.pid")
echo "\$(awk '{print \$14 + \$15}' /proc/\$p/stat) \$(awk '/^VmHWM/ {print \$2}' /proc/\$p/status)" > "$tmp/cli.stat"
SH
sh -c 'echo $$ > "$1"; exec "$2" service logs -f "$3" 2> /dev/null' sh "$tmp/cli.pid" "$DOCKER" $svc | awk -v n="$lines" -v t="$tmp" '
	{ c++ }
	c == 1 { system("date +%s.%N > " t "/cli.t1") }
	$NF == "flood-end" { system("date +%s.%N > " t "/cli.t2; sh " t "/clistat.sh"); print c - 1 > (t "/cli.count"); exit }
	c % 10000 == 0 { print c > (t "/cli.count"); close(t "/cli.count") }' &
sleep 1
cli=$(cat "$tmp/cli.pid")
wait "$sd"
sd_rc=$?
sd_secs=$(jq -r '[.steps[] | select(.kind == "expect_log")][1].duration' "$tmp/flood.json" 2>/dev/null)
# the CLI gets as long again as swarmdeck took, and 30 s more, to reach the last line
limit=$(awk -v s="${sd_secs:-60}" 'BEGIN { printf "%d", (s > 0 ? s : 60) + 30 }')
waited=0
while [ ! -s "$tmp/cli.t2" ] && [ $waited -lt "$limit" ]; do sleep 1; waited=$((waited + 1)); done
[ -s "$tmp/cli.stat" ] || sh "$tmp/clistat.sh" 2> /dev/null   # no end line: as it is now
[ -n "$cli" ] && kill "$cli" 2>/dev/null
cli=""

if [ $sd_rc -ne 0 ] || [ ! -s "$tmp/sd.stat" ] || [ ! -s "$tmp/cli.stat" ] || [ ! -s "$tmp/cli.t1" ]; then
	echo "log flood: no figure (swarmdeck exit $sd_rc; see the drill's report)"
	tail -n 3 "$tmp/sd.out"
	exit 0
fi
set -- $(cat "$tmp/sd.stat")
sd_ticks=$1 sd_hwm=$2
set -- $(cat "$tmp/cli.stat")
cli_ticks=$1 cli_hwm=$2
c2=$(cat "$tmp/cli.t2" 2>/dev/null)
# what the console received: its title says so (the end line itself not counted)
sd_got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$tmp/sd.screen" | head -n 1)
awk -v n="$lines" -v ss="$sd_secs" -v sg="${sd_got:-0}" -v st="$sd_ticks" -v sh="$sd_hwm" \
	-v c1="$(cat "$tmp/cli.t1")" -v c2="${c2:-0}" -v got="$(cat "$tmp/cli.count" 2>/dev/null || echo 0)" \
	-v now="$(now)" -v ct="$cli_ticks" -v ch="$cli_hwm" -v hz="$hz" 'BEGIN {
	# from the first line to the end line, less the 3 s of quiet before it
	sg -= 1
	printf "log flood of %d lines: swarmdeck received %d at %.0f lines/s (goal >= 50000); ", n, sg, sg / (ss - 3)
	if (c2 > 0)
		printf "docker service logs -f received %d at %.0f lines/s\n", got, got / (c2 - c1 - 3)
	else
		printf "docker service logs -f had %d lines after %.0f s (never the end line)\n", got, now - c1
	printf "  CPU: swarmdeck %.2f s, docker service logs -f %.2f s (%.2fx; goal: less than the CLI)\n", st / hz, ct / hz, (ct > 0 ? st / ct : 0)
	printf "  peak RSS: swarmdeck %.1f MB, docker service logs -f %.1f MB (goal: swarmdeck < 40 MB)\n", sh / 1024, ch / 1024 }'
