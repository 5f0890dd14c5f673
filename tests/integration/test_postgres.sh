# test_postgres.sh - streaming replication in the pane; a standby stopped and started; the
# primary killed, CRITICAL, a standby promoted by keys; promotion refused while a primary
# answers unless the name is typed.
. "$(dirname "$0")/lib.sh"
plan 15
check "the lab streams to 2 standbys" "$DATA" wait-streaming 2 120
primary=$("$DATA" primary)
note "primary is $primary"

"$DATA" psql primary "create table if not exists sdtest(id serial primary key, t text);
  insert into sdtest(t) select md5(g::text) from generate_series(1, 20000) g" >/dev/null
target=$(lsn_num "$("$DATA" psql primary 'select pg_current_wal_lsn()')")
caught_up() {
	once_json || return 1
	for m in $(jqo '.postgres.members[] | select(.role=="standby") | .name'); do
		l=$(jqo ".postgres.members[] | select(.name==\"$m\") | .lsn")
		[ -n "$l" ] && [ "$(lsn_num "$l")" -ge "$target" ] || return 1
	done
	[ "$(jqo '[.postgres.members[] | select(.role=="standby")] | length')" -eq 2 ]
}
check "after 20,000 rows the standbys' LSNs catch up in the snapshot" wait_until 60 caught_up
drill streaming <<YAML
drill: streaming
steps:
  - expect_screen: "pg-[123] +standby +streaming .*(sync|potential)"
  - expect_screen: "primary $primary"
YAML
check "the pane shows streaming standbys and the primary" [ $? -eq 0 ]

standby=$(jqo ".postgres.members[] | select(.role==\"standby\") | .name" | tail -n 1)
"$DATA" pg-stop "$standby" >/dev/null 2>&1
at_exit "'$DATA' pg-start '$standby'"
drill standby-down <<YAML
drill: standby-down
steps:
  - until: postgres.members[name=$standby].reachable == false
    timeout: 20s
  - until: alerts[target=$standby].level == WARNING
    timeout: 10s
  - expect_screen: "$standby +(standby|unknown) +DOWN"
YAML
check "a stopped standby ($standby): the pane and the alerts say so" [ $? -eq 0 ]
"$DATA" pg-start "$standby" >/dev/null 2>&1
check "started again, it streams" "$DATA" wait-streaming 2 120

# promotion is refused while the primary answers, unless the standby's name is typed
drill promote-refused <<YAML
drill: promote-refused
steps:
  - keys: "4/$standby<Enter>p"
  - expect_screen: "primary $primary still answers"
  - confirm: "yes"
YAML
rc=$?
check "pg.promote with the primary alive and a plain yes: refused" [ $rc -ne 0 ]
check "the report says the typed name did not match" grep -q "name typed did not match" "$TMP/promote-refused.md"
check "$standby is still in recovery" [ "$("$DATA" psql "$standby" 'select pg_is_in_recovery()')" = t ]

# the primary's node dies
pnode=$(node_of_addr "$(grep -A0 "name: $primary" "$SWARMDECK_CONFIG" | sed 's/.*host=\([0-9.]*\).*/\1/')")
note "killing $pnode (primary $primary)"
start=$(date +%s)
tests/lab/lab kill "$pnode" >/dev/null 2>&1
at_exit "tests/lab/lab heal $pnode"
drill primary-lost <<YAML
drill: primary-lost
steps:
  - until: alerts[target=primary].level == CRITICAL
    timeout: 15s
YAML
rc=$?
took=$(($(date +%s) - start))
check "no reachable primary is CRITICAL (after ${took}s; interval 2 s + connect timeout 3 s)" [ $rc -eq 0 ]
candidate=$(for m in pg-1 pg-2 pg-3; do [ "$m" != "$primary" ] && echo $m; done | head -n 1)
drill promote <<YAML
drill: promote
steps:
  - keys: "4/$candidate<Enter>p"
  - expect_screen: "Standbys:"
  - confirm: "yes"
  - until: postgres.members[name=$candidate].role == primary
    timeout: 90s
  - expect_screen: "primary $candidate"
YAML
check "promote $candidate by keys" [ $? -eq 0 ]
check "psql: $candidate is no longer in recovery" [ "$("$DATA" psql "$candidate" 'select pg_is_in_recovery()')" = f ]
once_json
check "the JSON shows $candidate primary" [ "$(jqo ".postgres.members[] | select(.name==\"$candidate\") | .role")" = primary ]
check "the new timeline is higher" [ "$(jqo ".postgres.members[] | select(.name==\"$candidate\") | .timeline")" -ge 2 ]
check "the audit log has the promotion" grep -q '"action":"pg.promote".*"result":"ok"' /run/swarmdeck-lab/audit.log
tests/lab/lab heal "$pnode" >/dev/null 2>&1
check "after heal the old primary follows as a standby" "$DATA" wait-streaming 2 180
