# test_pg_sessions.sh - the sessions view of the primary: a lock holder and its waiter shown
# as blocker and blocked; the waiter cancelled by keys (its psql says "canceling statement
# due to user request"), the blocker terminated by keys (the next waiter goes on); both
# refused in watch mode; then the connection pool above 90 % of max_connections: WARNING
# in the documents' wording, cleared once the connections close.
. "$(dirname "$0")/lib.sh"
plan 13
check "the lab streams to 2 standbys" "$DATA" wait-streaming 2 120
primary=$("$DATA" primary)
note "primary is $primary"
addr=$(grep "name: $primary," "$SWARMDECK_CONFIG" | sed 's/.*host=\([0-9.]*\).*/\1/')
PASSFILE=$("$DATA" pgpass swarmdeck)
# psql as swarmdeck on the primary (it sees every session)
sdsql() {
	PGPASSFILE=$PASSFILE PGCONNECT_TIMEOUT=3 psql -X -At -h "$addr" -p 5432 -U swarmdeck \
		-d postgres -c "$1"
}
pid_of() { sdsql "select pid from pg_stat_activity where application_name = '$1' order by pid limit 1"; }
at_exit "$DATA psql-admin $primary \"select pg_terminate_backend(pid) from pg_stat_activity where application_name in ('sdholder', 'sdwaiter', 'sdwaiter2', 'sdwaiter3', 'sdwaiter4', 'sdpool')\""

"$DATA" psql primary "create table if not exists sdlock(id int)" >/dev/null
mkfifo "$TMP/holder.in"
PGAPPNAME=sdholder "$DATA" psql primary < "$TMP/holder.in" > "$TMP/holder.out" 2>&1 &
exec 7> "$TMP/holder.in"
echo "begin; lock table sdlock in access exclusive mode; select 'locked';" >&7
wait_until 10 grep -q locked "$TMP/holder.out"
PGAPPNAME=sdwaiter "$DATA" psql primary "select count(*) from sdlock" > "$TMP/waiter.out" 2>&1 &
waiter_job=$!
waiting() { [ -n "$(sdsql "select pid from pg_stat_activity where application_name = '$1' and wait_event_type = 'Lock'")" ]; }
wait_until 10 waiting sdwaiter
holder=$(pid_of sdholder)
waiter=$(pid_of sdwaiter)
note "holder pid $holder, waiter pid $waiter"

# watch mode refuses both, and nothing is signalled
drill watch-refused --watch <<YAML
drill: watch-refused
steps:
  - keys: "4/$primary<Enter><Enter>"
  - expect_screen: "sdwaiter .*by $holder"
  - keys: "/sdwaiter<Enter>c"
  - expect_screen: "watch mode"
YAML
check "pg.cancel is refused in watch mode" [ $? -eq 0 ]
check "the waiter still waits after the refusal" waiting sdwaiter

drill cancel <<YAML
drill: cancel
steps:
  - keys: "4/$primary<Enter><Enter>"
  - expect_screen: "sdholder .*BLOCKS 1"
  - expect_screen: "sdwaiter .*by $holder"
  - keys: "/sdwaiter<Enter>c"
  - expect_screen: "Cancel the statement of session $waiter on $primary"
  - confirm: "yes"
  - expect_screen: "cancelled pid $waiter on $primary"
YAML
check "the sessions view shows the blocker and the blocked; the waiter cancelled by keys" [ $? -eq 0 ]
wait "$waiter_job" 2>/dev/null
check "the waiter's psql: canceling statement due to user request" \
	grep -q "canceling statement due to user request" "$TMP/waiter.out"
check "the audit log has pg.cancel with the pid, the user and the query" \
	grep -q "\"pg.cancel\".*pid $waiter (app: select count(\*) from sdlock)" /run/swarmdeck-lab/audit.log

# the row standing for every session the holder blocks
PGAPPNAME=sdwaiter2 "$DATA" psql primary "select count(*) from sdlock" > "$TMP/waiter2.out" 2>&1 &
w2=$!
PGAPPNAME=sdwaiter3 "$DATA" psql primary "select count(*) from sdlock" > "$TMP/waiter3.out" 2>&1 &
w3=$!
wait_until 10 waiting sdwaiter2
wait_until 10 waiting sdwaiter3
drill group-cancel <<YAML
drill: group-cancel
steps:
  - keys: "4/$primary<Enter><Enter>"
  - expect_screen: "sdholder .*BLOCKS 2"
  - keys: "/$holder+<Enter>c"
  - expect_screen: "Cancel the statement of the 2 sessions blocked by pid $holder on $primary"
  - confirm: "yes"
  - expect_screen: "cancelled pid [0-9]+, [0-9]+ on $primary"
YAML
check "the holder's group row cancels both its waiters by keys" [ $? -eq 0 ]
wait "$w2" "$w3" 2>/dev/null
both() { grep -q "canceling statement due to user request" "$TMP/waiter2.out" &&
	grep -q "canceling statement due to user request" "$TMP/waiter3.out" &&
	[ -n "$(pid_of sdholder)" ]; }
check "both waiters' psql: canceling statement due to user request; the holder still holds" both

PGAPPNAME=sdwaiter4 "$DATA" psql primary "select count(*) from sdlock" > "$TMP/waiter4.out" 2>&1 &
waiter4_job=$!
wait_until 10 waiting sdwaiter4
drill terminate <<YAML
drill: terminate
steps:
  - keys: "4/$primary<Enter><Enter>"
  - expect_screen: "sdholder .*BLOCKS 1"
  - keys: "/sdholder<Enter>K"
  - expect_screen: "Terminate session $holder on $primary"
  - confirm: "yes"
  - expect_screen: "terminated pid $holder on $primary"
YAML
check "the blocker terminated by keys" [ $? -eq 0 ]
gone() { [ -z "$(pid_of sdholder)" ]; }
check "the blocker's connection is gone" wait_until 10 gone
wait "$waiter4_job" 2>/dev/null
check "the next waiter went on once the blocker was gone" grep -qx "0" "$TMP/waiter4.out"
exec 7>&-

# the connection pool: above 90 % of max_connections. The app's connections take every slot
# the server gives them: max_connections less the superusers' reserved ones (57 of 60, 95 %),
# whatever else is connected; the console connects before they do, as it would have on a
# real day, and the superuser clears them through the reserved slots.
once_json
max=$(jqo ".postgres.members[] | select(.name==\"$primary\") | .overview.max_connections")
reserved=$(jqo ".postgres.members[] | select(.name==\"$primary\") | .overview.reserved_connections")
note "max_connections $max, $reserved reserved for superusers"
drill pool --allow-exec <<YAML
drill: pool
steps:
  - until: postgres.members[name=$primary].overview.connections > 0
    timeout: 20s
  - exec: "for i in \$(seq $max); do PGAPPNAME=sdpool $DATA psql $primary 'select pg_sleep(120)' >/dev/null 2>&1 & done"
  - until: alerts[target=$primary].level == WARNING
    timeout: 30s
  - expect_screen: "$primary: database connection pool nearly exhausted: [0-9]+ of $max connections"
  - exec: "$DATA psql-admin $primary \"select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'sdpool'\""
  - until: postgres.members[name=$primary].overview.connections < $((max * 80 / 100))
    timeout: 20s
YAML
rc=$?
check "above 90 % of max_connections: WARNING with the documents' wording" \
	grep -q "connection pool nearly exhausted.* | passed |" "$TMP/pool.md"
cleared() {
	once_json && ! jq_true '.alerts[] | select(.message | test("connection pool"))' "$TMP/once.json"
}
pool_cleared() { [ $rc -eq 0 ] && wait_until 10 cleared; }
check "the connections closed: the warning is cleared" pool_cleared
wait
