# test_pg_maint.sh - PostgreSQL tables and maintenance, and the read-only query prompt, by
# keys in the real binary (tmux) against the lab: VACUUM and ANALYZE of a pgbench table with
# the progress bar seen and last_vacuum/last_analyze moving on the server; both refused on a
# standby with the reason; pg.query: a SELECT's rows, a DELETE's read-only error, a pg_sleep
# cancelled by the timeout, refused in watch mode; audit and history.
. "$(dirname "$0")/lib.sh"
plan 24
check "the lab streams to 2 standbys" "$DATA" wait-streaming 2 120
primary=$("$DATA" primary)
standby=$(for m in pg-1 pg-2 pg-3; do [ "$m" != "$primary" ] && echo "$m"; done | head -n 1)
note "primary $primary, standby $standby"
addr=$(sed -n "s/.*name: $primary, conninfo: \"host=\([0-9.]*\) .*/\1/p" "$SWARMDECK_CONFIG")

# pgbench's tables on the app database (made once; later runs reuse them)
if [ "$("$DATA" psql primary "select to_regclass('public.pgbench_accounts') is not null")" != t ]; then
	PGPASSFILE=$("$DATA" pgpass app) PGCONNECT_TIMEOUT=3 pgbench -i -s 1 -q -h "$addr" -U app app \
		>"$TMP/pgbench.log" 2>&1 || sed 's/^/#   /' "$TMP/pgbench.log"
fi
check "pgbench_accounts exists on the app database" \
	[ "$("$DATA" psql primary "select count(*) > 0 from pgbench_accounts")" = t ]
# every page gets a dead row, so VACUUM has the whole heap to scan
"$DATA" psql primary "update pgbench_accounts set abalance = abalance" >/dev/null
vacuumed() { "$DATA" psql primary "select coalesce(extract(epoch from last_vacuum)::bigint, 0)
	from pg_stat_user_tables where relname = 'pgbench_accounts'"; }
analyzed() { "$DATA" psql primary "select coalesce(extract(epoch from last_analyze)::bigint, 0)
	from pg_stat_user_tables where relname = 'pgbench_accounts'"; }
v0=$(vacuumed)
a0=$(analyzed)

# this run's config: its own audit log (and history beside it), a short query timeout, and a
# throttled VACUUM (vacuum_cost_delay) so that its progress can be watched
sed -e "s|^audit_log: .*|audit_log: $TMP/state/audit.log|" \
    -e "s|^  statement_timeout_ms: .*|&\n  query_timeout_ms: 2000|" \
    -e "s|dbname=postgres\"|dbname=postgres options='-c vacuum_cost_delay=10 -c vacuum_cost_limit=20'\"|" \
    "$SWARMDECK_CONFIG" > "$TMP/sd.yaml"
CONF="$TMP/sd.yaml"
AUDIT="$TMP/state/audit.log"

session=sdmaint$$
tmux kill-session -t $session 2>/dev/null
tmux new-session -d -s $session -x 200 -y 50 "$SD --config $CONF 2>$TMP/stderr"
at_exit "tmux kill-session -t $session"
screen() { tmux capture-pane -p -t $session; }
shows() { screen | grep -Eq "$1"; }
keys() { tmux send-keys -t $session "$@"; }
# Esc alone (a key right after it would read as Alt+key)
esc() { for _ in $(seq "${1:-1}"); do tmux send-keys -t $session Escape; sleep 0.5; done; }
wait_shows() { wait_until "$1" shows "$2"; }

wait_shows 30 "$primary +primary" || note "the pane did not show $primary"
keys 4 / "$primary" Enter T
check "T opens the databases of $primary" wait_shows 15 "Databases.*on $primary"
wait_shows 15 "^ *app +[0-9.]+ [KMG]?i?B" || note "no row for the app database"
keys / app Enter Enter
check "Enter on app lists its tables with pgbench_accounts" wait_shows 15 "pgbench_accounts"
check "the tables view has sizes, rows and last (auto)vacuum columns" \
	shows "TABLE +SIZE +INDEXES +TOAST +LIVE +DEAD +VACUUM +AUTOVACUUM +ANALYZE +AUTOANALYZE"
keys / pgbench_accounts Enter i
check "i shows its columns and indexes" wait_shows 15 "pgbench_accounts_pkey.*primary key"
screen > "$TMP/describe.txt"
check "with the column aid integer not null" grep -Eq "aid +integer +not null" "$TMP/describe.txt"
esc

# VACUUM by keys, confirmed; the progress bar while it runs; last_vacuum moves
keys V
check "V asks to VACUUM public.pgbench_accounts on the primary" \
	wait_shows 10 "VACUUM public.pgbench_accounts in app on $primary \(primary\)"
keys y e s Enter
check "the progress bar shows the heap being scanned" \
	wait_shows 60 "VACUUM $primary/app/public.pgbench_accounts \[.*\] +[0-9]+% +(scanning|vacuuming)"
screen > "$TMP/progress.txt"
sed -n '/VACUUM .*%/s/^/#   /p' "$TMP/progress.txt" | head -n 1
check "and VACUUM finishes" wait_shows 120 "VACUUM $primary/app/public.pgbench_accounts done"
check "last_vacuum moved on the server" [ "$(vacuumed)" -gt "$v0" ]
check "the table's VACUUM column is seconds old" \
	wait_shows 15 "pgbench_accounts +[0-9.]+ [KMG]iB .* [0-9]+s +(never|[0-9]+[smhd])"

keys A
wait_shows 10 "ANALYZE public.pgbench_accounts in app on $primary" || note "no ANALYZE dialog"
keys y e s Enter
check "ANALYZE by keys finishes" wait_shows 120 "ANALYZE $primary/app/public.pgbench_accounts done"
check "last_analyze moved on the server" [ "$(analyzed)" -gt "$a0" ]

# on a standby both are refused, with the reason
esc 5
keys 4 / "$standby" Enter V
check "pg.vacuum on $standby is refused: a standby" \
	wait_shows 10 "refused: $standby is a standby: VACUUM runs on the primary only \(the primary is $primary\)"
keys A
check "pg.analyze on $standby is refused too" \
	wait_shows 10 "refused: $standby is a standby: ANALYZE runs on the primary only"

# pg.query on the standby: the rows with their column names
keys Q
keys -l "select 1 as one, 'x' as two union all select 2, 'y'"
keys Enter
wait_shows 10 "READ ONLY transaction" || note "no confirmation asked"
keys y e s Enter
wait_shows 15 "SELECT 2 +2 rows"
screen > "$TMP/select.txt"
check "a SELECT on $standby shows its rows under their column names" \
	sh -c "grep -Eq '^ +one +two' '$TMP/select.txt' && grep -Eq '^ +1 +x' '$TMP/select.txt' &&
		grep -Eq '^ +2 +y' '$TMP/select.txt'"
esc 3
# DELETE on the primary: the server's read-only error, and nothing deleted
n0=$("$DATA" psql primary "select count(*) from pgbench_branches")
keys 4 / "$primary" Enter T
wait_shows 15 "^ *app +[0-9.]+ [KMG]?i?B" || note "no row for the app database"
keys / app Enter Enter
wait_shows 15 "pgbench_branches" || note "no tables of app"
keys Q
keys -l "delete from pgbench_branches"
keys Enter
check "DELETE fails with the server's read-only error, verbatim" \
	wait_shows 15 "ERROR: +cannot execute DELETE in a read-only transaction"
check "and deletes nothing" [ "$("$DATA" psql primary "select count(*) from pgbench_branches")" = "$n0" ]
keys Q
keys -l "select pg_sleep(30)"
keys Enter
start=$(date +%s)
wait_shows 20 "canceling statement due to statement timeout"
rc=$?
took=$(($(date +%s) - start))
note "pg_sleep(30) answered after ${took}s"
fast=no; [ $rc -eq 0 ] && [ $took -lt 15 ] && fast=yes
check "pg_sleep(30) is cancelled by the 2 s statement timeout" [ $fast = yes ]
keys q

# audited with the statement text; the history kept it
check "the audit log has pg.vacuum, pg.analyze and pg.query with its statement" \
	sh -c "grep -q '\"pg.vacuum\"' '$AUDIT' && grep -q '\"pg.analyze\"' '$AUDIT' &&
		grep -q 'delete from pgbench_branches' '$AUDIT'"
check "the statement history is in the state folder" grep -q "select pg_sleep(30)" "$TMP/state/query_history"

# watch mode: refused before any prompt, and audited as refused
drill watch-query --watch --config "$CONF" <<YAML
drill: watch-query
steps:
  - keys: "4/$primary<Enter>Q"
  - expect_screen: "refused: watch mode is read-only .pg.query."
  - keys: "V"
  - expect_screen: "refused: watch mode is read-only .pg.vacuum."
YAML
check "pg.query (and pg.vacuum) are refused in watch mode" [ $? -eq 0 ]
check "and audited as refused" grep -q '"pg.query".*"refused"' "$AUDIT"
