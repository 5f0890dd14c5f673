# test_zz_secrets.sh - runs last: no password of the lab appears in any screen capture, log,
# report or the audit file the tests produced, nor on any command line.
. "$(dirname "$0")/lib.sh"
plan 7
secrets=$TMP/secrets
{
	cut -d: -f5 /var/lib/swarmdeck-lab/secrets/pg-*.pgpass 2>/dev/null
	cat /var/lib/swarmdeck-lab/secrets/redis.pass 2>/dev/null
} | grep -v '^$' > "$secrets"
check "the lab has passwords to look for ($(wc -l < "$secrets"))" [ "$(wc -l < "$secrets")" -ge 2 ]
# a screen capture of every pane, with the secrets' users on screen
drill capture <<YAML
drill: capture
steps:
  - keys: "4"
  - save_screen: $TMP/screen-postgres.txt
  - keys: "5"
  - save_screen: $TMP/screen-redis.txt
  - keys: "?"
  - save_screen: $TMP/screen-help.txt
YAML
check "screens captured" [ -s "$TMP/screen-redis.txt" ]
leaks() { grep -rlF -f "$secrets" "$@" 2>/dev/null; }
check "no password in the screen captures" [ -z "$(leaks "$TMP"/screen-*.txt)" ]
check "no password in the audit log" [ -z "$(leaks /run/swarmdeck-lab/audit.log)" ]
check "no password in the test logs and reports" [ -z "$(leaks build/test-logs)" ]
check "no password in the --once JSON" sh -c "'$SD' --once --json | grep -qF -f '$secrets'; [ \$? -eq 1 ]"
check "no password on any command line" sh -c "ps -eo args | grep -v grep | grep -qF -f '$secrets'; [ \$? -eq 1 ]"
