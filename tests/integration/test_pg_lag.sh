# test_pg_lag.sh - replication figures under pgbench load: 50 snapshots (--once --json), each
# next to the primary's own pg_stat_replication read in the same second. Every lag is >= 0 or
# null (never -1), the standbys' come from pg_stat_replication, the primary has none, and
# each replay lag in bytes lies, give or take one second of the load's WAL, between what
# pg_stat_replication says just before and just after it.
. "$(dirname "$0")/lib.sh"
plan 7
check "the lab streams to 2 standbys" "$DATA" wait-streaming 2 120
primary=$("$DATA" primary)
addr=$(grep "name: $primary," "$SWARMDECK_CONFIG" | sed 's/.*host=\([0-9.]*\).*/\1/')
PASSFILE=$("$DATA" pgpass swarmdeck)
sdsql() {
	PGPASSFILE=$PASSFILE PGCONNECT_TIMEOUT=3 psql -X -At -F ' ' -h "$addr" -p 5432 -U swarmdeck \
		-d postgres -c "$1"
}
lsn0=$(sdsql "select pg_current_wal_lsn()")
t0=$(date +%s.%N)
"$DATA" pgbench 60 300 4 > "$TMP/pgbench.out" 2>&1 &
bench=$!
sleep 3
: > "$TMP/samples"
i=0
theirs() {
	sdsql "select application_name, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint
	       from pg_stat_replication" > "$1"
}
while [ $i -lt 50 ]; do
	# the primary's own view just before and just after the console's: a burst of WAL (a
	# checkpoint's full pages) in between moves it by more than a second's average
	theirs "$TMP/before"
	"$SD" --once --json > "$TMP/s.json" 2>/dev/null   # exits non-zero on a warning
	theirs "$TMP/after"
	tries=$((${tries:-0} + 1))
	[ "$tries" -le 100 ] || break
	members=$(jq -c '.postgres.members[]' "$TMP/s.json" 2>/dev/null) || continue
	[ "$(printf '%s\n' "$members" | grep -c .)" -eq 3 ] || continue
	printf '%s\n' "$members" >> "$TMP/samples"
	jq -r '.postgres.members[] | select(.role=="standby") | "\(.name) \(.lag_bytes)"' "$TMP/s.json" |
		while read -r name ours; do
			a=$(awk -v n="$name" '$1 == n {print $2}' "$TMP/before")
			b=$(awk -v n="$name" '$1 == n {print $2}' "$TMP/after")
			echo "$name $ours ${a:-?} ${b:-?}"
		done >> "$TMP/pairs"
	i=$((i + 1))
done
lsn1=$(sdsql "select pg_current_wal_lsn()")
t1=$(date +%s.%N)
rate=$(awk -v a="$(lsn_num "$lsn0")" -v b="$(lsn_num "$lsn1")" -v t0="$t0" -v t1="$t1" \
	'BEGIN { printf "%d\n", (b - a) / (t1 - t0) }')
note "WAL rate under load: $rate bytes/s over $i samples"
wait "$bench" 2>/dev/null     # pgbench ends by itself (-T)
grep -E "^tps|latency average" "$TMP/pgbench.out" | sed 's/^/# pgbench: /'

samples=$(wc -l < "$TMP/samples")
check "50 snapshots under load ($samples member rows, $tries tries)" [ "$samples" -eq 150 ]
bad=$(jq -c 'select([.lag_bytes, .write_lag_bytes, .flush_lag_bytes, .replay_lag_seconds,
	.write_lag_seconds, .flush_lag_seconds][] | select(. != null and . < 0)) | .name' "$TMP/samples" | wc -l)
check "every lag is >= 0 or null ($bad negative)" [ "$bad" -eq 0 ]
check "the primary has no lag: null, never -1" \
	sh -c "! jq -e 'select(.role==\"primary\") | select(.lag_bytes != null or .replay_lag_seconds != null)' '$TMP/samples' >/dev/null"
check "the standbys' lag comes from pg_stat_replication" \
	sh -c "! jq -e 'select(.role==\"standby\") | select(.lag_source != \"pg_stat_replication\")' '$TMP/samples' >/dev/null"
# ours must lie between the two readings around it, give or take a second of the load's WAL
far=$(awk -v r="$rate" '$2 == "null" || $3 == "?" || $4 == "?" { next }
	{ lo = $3 < $4 ? $3 : $4; hi = $3 < $4 ? $4 : $3
	  if ($2 < lo - r || $2 > hi + r) { n++; print "# " $0 > "/dev/stderr" } }
	END { print n + 0 }' "$TMP/pairs")
pairs=$(wc -l < "$TMP/pairs")
check "each standby's lag within the load's rate ($rate B) of pg_stat_replication read just before and after: $far of $pairs off" [ "$far" -eq 0 ]
known=$(awk '$2 != "null" && $3 != "?" && $4 != "?"' "$TMP/pairs" | wc -l)
check "the lag is known in most samples ($known of $pairs)" [ "$known" -ge $((pairs * 9 / 10)) ]
