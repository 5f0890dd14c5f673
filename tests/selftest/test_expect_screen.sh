# test_expect_screen.sh - a screen check reads what the console shows, never the drill line
# that echoes the step: a drill expecting text that is absent fails (exit 1, report FAILED),
# even when the pattern is on the drill line itself; text the console does show is found,
# the alerts included; save_screen keeps the drill line, as a person sees it. Headless, with
# no engine to reach: needs neither root nor the lab.
SD_NO_LAB=1
. "$(dirname "$0")/../integration/lib.sh"
plan 9
unset SWARMDECK_CONFIG
export DOCKER_HOST="unix://$TMP/no-engine.sock"
[ -x "$SD" ] || note "no $SD: build it first (make)"

drill absent <<'YAML'
drill: absent
steps:
  - expect_screen: "nothing-on-screen-zzz"
    timeout: 2s
YAML
rc=$?
check "a drill expecting absent text exits 1 ($rc)" [ $rc -eq 1 ]
check "its report says FAILED" grep -q "^# Drill absent: FAILED" "$TMP/absent.md"
check "and names the step" grep -q "| FAILED | .*the screen did not show /nothing-on-screen-zzz/" "$TMP/absent.md"

drill own-line --report "$TMP/own-line.json" <<'YAML'
drill: own-line
steps:
  - expect_screen: "own-line +step 1/1 +expect_screen"
    timeout: 2s
YAML
rc=$?
check "a pattern only the drill line matches fails ($rc)" [ $rc -eq 1 ]
check "its JSON report marks the step failed" \
	jq_true '.passed == false and .steps[0].result == "failed"' "$TMP/own-line.json"

drill shown <<'YAML'
drill: shown
steps:
  - expect_screen: "engine unreachable: cannot connect to unix:"
    timeout: 10s
  - expect_screen: "^ 1 alert: UNKNOWN docker engine unreachable"
    timeout: 10s
  - save_screen: shown.txt
YAML
rc=$?
check "text the console shows is found, the alerts line included ($rc)" [ $rc -eq 0 ]
check "the saved screen has the drill line, as a person sees it" \
	grep -q "^ DRILL shown  step 3/3  save_screen: shown.txt" "$TMP/shown.txt"
check "and the alerts below it" grep -q "^ 1 alert: UNKNOWN docker engine unreachable" "$TMP/shown.txt"
check "the report says PASSED" grep -q "^# Drill shown: PASSED" "$TMP/shown.md"
