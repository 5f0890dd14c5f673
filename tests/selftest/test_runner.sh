# test_runner.sh - tests/run cannot be fooled: fake scripts (tests/fixtures/runner) that exit
# non-zero after passing checks, are killed by their timeout, print fewer or more checks than
# planned, no plan, or skip, and fake cmocka binaries that skip, crash, or skip until the lab
# is up, each counted as its comment says; a timed-out script's cleanups still run, and so do
# those of a script running when the runner itself is stopped.
SD_NO_LAB=1
. "$(dirname "$0")/../integration/lib.sh"
plan 17
F="$ROOT/tests/fixtures/runner"
export SD_ROOT="$ROOT" SD_SELFTEST_MARK="$TMP/cleaned" SD_SELFTEST_STATE="$TMP/state"

# counts FAKE... -> the runner's last line for those fakes alone ($TMP/run.out keeps it all)
counts() {
	SD_LOG_DIR="$TMP/logs" SD_TEST_TIMEOUT=${T:-20} sh "$ROOT/tests/run" only "$@" > "$TMP/run.out" 2>&1
	echo "rc $? $(tail -n 1 "$TMP/run.out")"
}
expect() { # expect NAME "rc N P passed, F failed, S skipped" FAKE...
	name=$1 want=$2
	shift 2
	got=$(counts "$@")
	[ "$got" = "$want" ] || { note "$name: got '$got', want '$want'"; sed 's/^/#   /' "$TMP/run.out"; }
	check "$name: $want" [ "$got" = "$want" ]
}

expect "a script that exits 1 after only ok lines fails" "rc 1 2 passed, 1 failed, 0 skipped" "$F/exit_after_ok.sh"
start=$(date +%s)
T=2 expect "a script killed by its timeout fails, its missing checks counted" \
	"rc 1 1 passed, 2 failed, 0 skipped" "$F/killed.sh"
took=$(($(date +%s) - start))
check "the runner said it was killed by its timeout" grep -q "killed by its timeout" "$TMP/run.out"
check "the killed script's cleanup ran" grep -qx cleaned "$SD_SELFTEST_MARK"
check "the kill came at the timeout, not after the script's sleep (${took}s)" [ "$took" -lt 30 ]
expect "a script printing fewer checks than planned fails" "rc 1 2 passed, 2 failed, 0 skipped" "$F/short.sh"
check "the runner said how many were missing" grep -q "2 of 4 planned checks missing" "$TMP/run.out"
expect "a skipped check counts as skipped, not passed" "rc 0 2 passed, 0 failed, 1 skipped" "$F/skips.sh"
expect "a script with no plan fails" "rc 1 1 passed, 1 failed, 0 skipped" "$F/no_plan.sh"
expect "a failed check and the exit status it causes count once" "rc 1 1 passed, 1 failed, 0 skipped" "$F/one_failed.sh"
expect "more checks than planned fail" "rc 1 3 passed, 1 failed, 0 skipped" "$F/too_many.sh"
expect "a cmocka case that skips counts as skipped" "rc 0 1 passed, 0 failed, 1 skipped" "$F/cmocka_skip"
expect "a cmocka binary dying after its cases fails" "rc 1 2 passed, 1 failed, 0 skipped" "$F/cmocka_crash"
rm -f "$SD_SELFTEST_STATE"
SD_RERUN_SKIPPED=1 expect "a case skipped before the lab and run after it counts once" \
	"rc 1 2 passed, 1 failed, 0 skipped" "$F/cmocka_lab"
rm -f "$SD_SELFTEST_STATE"
T=2 expect "all of them together add up" "rc 1 17 passed, 9 failed, 2 skipped" \
	"$F/exit_after_ok.sh" "$F/killed.sh" "$F/short.sh" "$F/skips.sh" "$F/no_plan.sh" \
	"$F/one_failed.sh" "$F/too_many.sh" "$F/good.sh" "$F/cmocka_skip" "$F/cmocka_crash"

# the runner itself stopped (^C, TERM) while a script runs: the script's cleanups run
rm -f "$SD_SELFTEST_MARK"
SD_LOG_DIR="$TMP/logs-stopped" SD_TEST_TIMEOUT=100 sh "$ROOT/tests/run" only "$F/killed.sh" > "$TMP/stopped.out" 2>&1 &
runner=$!
wait_until 20 grep -q "^ok - before the hang" "$TMP/logs-stopped/killed.log"
kill -TERM $runner
wait $runner
rc=$?
check "a runner stopped by TERM exits 130 and counts the script failed ($rc)" \
	sh -c "[ $rc -eq 130 ] && tail -n 1 '$TMP/stopped.out' | grep -qx '0 passed, 1 failed, 0 skipped'"
check "and the script's cleanup ran" grep -qx cleaned "$SD_SELFTEST_MARK"
