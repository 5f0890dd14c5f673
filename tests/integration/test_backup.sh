# test_backup.sh - backups through the real binary, by keys: a PostgreSQL dump (file,
# checksum, pg_restore --list, verified in the pane), one flipped byte caught by verify, a
# restore that brings deleted rows back with the backend at its replica count, a restore
# that fails midway with the services put back, Redis BGSAVE, the Swarm export without a
# secret's value, retention of old copies, the throughput against plain pg_dump -Fc on a
# database over 200 MB, and a dump whose primary dies midway: no file under a final name.
. "$(dirname "$0")/lib.sh"
plan 42
: "${SWARMDECK_CONFIG:=/run/swarmdeck-lab/swarmdeck.yaml}"
export SWARMDECK_CONFIG
DATA="sh tests/lab/data"
AUDIT=/run/swarmdeck-lab/audit.log
svc=iot-guardian_backend
BDIR=$(sed -n '/^backup:/,/^[^ ]/s/^  dir: *//p' "$SWARMDECK_CONFIG" | head -n 1)
[ -n "$BDIR" ] || { not_ok "the lab config has a backup dir"; exit 1; }

# the newest final backup of KIND (names sort by time)
newest() { ls "$BDIR" 2>/dev/null | grep -E "^$1_[0-9]{8}_[0-9]{6}\.$2\$" | sort | tail -n 1; }
field() { jq -r ".$2" "$BDIR/$1.manifest.json"; }
sum_matches() { [ "$(sha256sum < "$BDIR/$1" | cut -d' ' -f1)" = "$(field "$1" sha256)" ]; }
psql_app() { $DATA psql primary "$1"; }
probe_rows() { psql_app "select count(*) from readings where device = 'backup-probe'"; }
rows_are() { [ "$(probe_rows 2>/dev/null)" = "$1" ]; }
primary_is_known() { [ -n "$($DATA primary 2>/dev/null)" ]; }
# a copy of backup FILE under NAME, dated TIME, with a manifest of its own (unverified)
copy_backup() {
	cp "$BDIR/$1" "$BDIR/$2"
	jq --arg f "$2" --arg t "$3" '.file = $f | .time = $t | .verified = "no" | .verified_at = null' \
		"$BDIR/$1.manifest.json" > "$BDIR/$2.manifest.json"
}
# rewrite NAME's manifest for what is on disk now (a file damaged "with care")
reseal() {
	jq --arg s "$(sha256sum < "$BDIR/$1" | cut -d' ' -f1)" --argjson n "$(stat -c %s "$BDIR/$1")" \
		'.sha256 = $s | .size = $n' "$BDIR/$1.manifest.json" > "$TMP/manifest" &&
		cp "$TMP/manifest" "$BDIR/$1.manifest.json"
}
# the conninfo of MEMBER in the config
member_conninfo() { sed -n "s/.*name: $1, conninfo: \"\(.*\)\"}.*/\1/p" "$SWARMDECK_CONFIG"; }

check "backend starts at 3/3" wait_until 120 replicas_are $svc 3/3
check "a PostgreSQL primary answers" wait_until 120 primary_is_known
primary=$($DATA primary)
note "primary: $primary, backups in $BDIR"
at_exit "$DATA psql primary \"delete from readings where device = 'backup-probe'\""
psql_app "delete from readings where device = 'backup-probe';
	insert into readings (device, value) select 'backup-probe', g from generate_series(1, 50) g" > /dev/null
check "50 probe rows before the backup" rows_are 50

# ---- a PostgreSQL backup by keys ------------------------------------------------------------
before=$(newest postgres dump)
drill backup-postgres <<YAML
drill: backup-postgres
steps:
  - keys: "6bpostgres<Enter>"
  - confirm: "yes"
  - until: backups[0].kind == postgres
    timeout: 300s
  - until: backups[0].verified == yes
    timeout: 60s
  - expect_screen: "postgres +[0-9-]+ [0-9:]+ .* yes .*postgres_[0-9_]+\\\\.dump"
YAML
check "backup.take postgres by keys: drill passes" [ $? -eq 0 ]
dump=$(newest postgres dump)
check "a new postgres_YYYYMMDD_HHMMSS.dump is in the backup folder" [ -n "$dump" -a "$dump" != "$before" ]
check "its manifest's sha256 is the file's (sha256sum)" sum_matches "$dump"
check "its manifest: kind, size, source, database, verified" [ "$(field "$dump" kind)" = postgres \
	-a "$(field "$dump" size)" = "$(stat -c %s "$BDIR/$dump")" -a "$(field "$dump" source)" = "$primary" \
	-a "$(field "$dump" database)" = app -a "$(field "$dump" verified)" = yes ]
check "pg_restore --list reads it" sh -c "pg_restore --list '$BDIR/$dump' > /dev/null"
check "no partial file is left" [ -z "$(ls -a "$BDIR" | grep '\.partial$')" ]
check "the audit log has the backup with its result" \
	grep -q '"action":"backup.take".*"result":"ok"' "$AUDIT"

# ---- one flipped byte -----------------------------------------------------------------------
flipped=postgres_20000101_000002.dump
copy_backup "$dump" $flipped 2000-01-01T00:00:02Z
size=$(stat -c %s "$BDIR/$flipped")
off=$((size / 2))
byte=$(od -An -tu1 -j $off -N1 "$BDIR/$flipped" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$BDIR/$flipped" bs=1 seek=$off conv=notrunc 2>/dev/null
check "the copy differs from the dump in one byte" \
	[ "$(cmp -l "$BDIR/$dump" "$BDIR/$flipped" | wc -l)" -eq 1 ]
drill backup-verify-flipped <<YAML
drill: backup-verify-flipped
steps:
  - keys: "6/20000101_000002<Enter>v"
  - until: backups[file=$BDIR/$flipped].verified == failed
    timeout: 60s
  - expect_screen: "postgres +2000-01-01 00:00:02 .* failed .*postgres_20000101_000002"
YAML
check "backup.verify by keys marks the flipped dump failed" [ $? -eq 0 ]
check "its manifest says failed, with the checksum mismatch" \
	[ "$(field $flipped verified)" = failed -a -n "$(field $flipped verify_message | grep 'sha256 mismatch')" ]

# ---- restore: rows deleted after the backup come back ----------------------------------------
psql_app "delete from readings where device = 'backup-probe'" > /dev/null
check "the probe rows are deleted" rows_are 0
drill backup-restore <<YAML
drill: backup-restore
steps:
  - keys: "6/$dump<Enter>X"
  - confirm: "app"
  - until: services[name=$svc].desired == 3
    timeout: 60s
  - expect_screen: "restored $dump into app on $primary"
YAML
check "backup.restore by keys (typing the database name): drill passes" [ $? -eq 0 ]
check "the 50 probe rows are back" wait_until 30 rows_are 50
check "the backend is back at 3/3" wait_until 120 replicas_are $svc 3/3
check "the audit log lists the restore's steps: scaled to 0, pg_restore, scaled back" \
	grep -q "\"action\":\"backup.restore\".*\"result\":\"ok\".*$svc 3->0.*pg_restore into app.*$svc 0->3" "$AUDIT"
check "each scale of the restore went through service.scale and is audited as its step" \
	sh -c "grep -q '\"action\":\"service.scale\".*\"target\":\"$svc\".*\"value\":\"0\".*\"result\":\"ok\".*\"part_of\":\"backup.restore\"' '$AUDIT' &&
	       grep -q '\"action\":\"service.scale\".*\"target\":\"$svc\".*\"value\":\"3\".*\"result\":\"ok\".*\"part_of\":\"backup.restore\"' '$AUDIT'"

# ---- a restore that fails midway: the services as they were ----------------------------------
broken=postgres_20000101_000001.dump
copy_backup "$dump" $broken 2000-01-01T00:00:01Z
truncate -s -12 "$BDIR/$broken"          # the end of the last data block: the TOC stays readable
reseal $broken
check "the broken copy still lists (pg_restore --list) but does not restore" \
	sh -c "pg_restore --list '$BDIR/$broken' > /dev/null && ! pg_restore -f /dev/null '$BDIR/$broken' 2> /dev/null"
psql_app "insert into readings (device, value) values ('backup-probe', 51)" > /dev/null
drill backup-restore-broken <<YAML
drill: backup-restore-broken
steps:
  - keys: "6/20000101_000001<Enter>X"
  - confirm: "app"
  - expect_screen: "FAILED at step 4 \\\\(pg_restore"
    timeout: 120s
YAML
check "a restore of a dump that cannot be read says which step failed" [ $? -eq 0 ]
check "the audit log says what failed and that the services were put back" \
	grep -q "\"action\":\"backup.restore\".*\"result\":\"failed\".*FAILED at step 4.*put back: $svc 0->3" "$AUDIT"
check "the backend is back at 3/3 after the failed restore" wait_until 120 replicas_are $svc 3/3
check "the database is as it was (one transaction: 51 probe rows)" rows_are 51

# ---- Redis BGSAVE ---------------------------------------------------------------------------
drill backup-redis <<YAML
drill: backup-redis
steps:
  - keys: "6bredis<Enter>"
  - confirm: "yes"
  - until: backups[0].kind == redis
    timeout: 120s
  - until: backups[0].verified == yes
    timeout: 30s
YAML
check "backup.take redis by keys: drill passes" [ $? -eq 0 ]
rdb=$(newest redis rdb)
check "a redis_YYYYMMDD_HHMMSS.rdb with its checksum" sh -c "[ -n '$rdb' ] && [ \"\$(head -c 5 '$BDIR/$rdb')\" = REDIS ]"
check "the RDB's manifest matches it and names the master" \
	sh -c "[ -n '$rdb' ] && [ \"\$(sha256sum < '$BDIR/$rdb' | cut -d' ' -f1)\" = \"\$(jq -r .sha256 '$BDIR/$rdb.manifest.json')\" ] &&
	       jq -r .source '$BDIR/$rdb.manifest.json' | grep -q ':6379\$'"

# ---- the Swarm export: secret names, never values --------------------------------------------
secret_value="sdtest-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s' "$secret_value" | dk secret create sdtest_backup_secret - > /dev/null
at_exit "$DOCKER secret rm sdtest_backup_secret"
drill backup-swarm <<YAML
drill: backup-swarm
steps:
  - keys: "6bswarm<Enter>"
  - confirm: "yes"
  - until: backups[0].kind == swarm
    timeout: 60s
YAML
check "backup.take swarm by keys: drill passes" [ $? -eq 0 ]
export_file=$(newest swarm json)
check "the export names the secret" grep -q '"sdtest_backup_secret"' "$BDIR/$export_file"
check "the export holds no secret value (plain or base64)" sh -c \
	"! grep -qF '$secret_value' '$BDIR/$export_file' && ! grep -qF '$(printf '%s' "$secret_value" | base64)' '$BDIR/$export_file'"
check "the export has the stack's services, nodes and networks" sh -c \
	"jq -e '([.services[].Spec.Name] | index(\"$svc\")) and (.nodes | length == 5) and (.networks | length > 0)' '$BDIR/$export_file' > /dev/null"

# ---- a database over 200 MB: throughput, retention, and a primary that dies mid-dump ----------
at_exit "$DATA psql primary 'drop table if exists backup_bulk'"
psql_app "drop table if exists backup_bulk; create table backup_bulk as
	select i, md5(i::text) as a, md5((i * 7)::text) as b, repeat('x', 40) as c
	from generate_series(1, 2000000) as i" > /dev/null
mb=$(psql_app "select pg_database_size('app') / 1000000")
check "the app database is over 200 MB ($mb MB)" [ "${mb:-0}" -ge 200 ]
t0=$(date +%s.%N)
PGPASSFILE=$($DATA pgpass swarmdeck) pg_dump -Fc -f "$TMP/plain.dump" \
	-d "$(member_conninfo "$primary") dbname=app" 2> "$TMP/plain.err"
t1=$(date +%s.%N)
drill backup-big <<YAML
drill: backup-big
steps:
  - keys: "6bpostgres<Enter>"
  - confirm: "yes"
  - until: backups[0].verified == yes
    timeout: 600s
YAML
check "a backup of the large database by keys" [ $? -eq 0 ]
t2=$(date +%s.%N)
big=$(newest postgres dump)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v mb="$mb" -v s="$(stat -c %s "$TMP/plain.dump" 2>/dev/null)" 'BEGIN {
	printf "# %d MB database: pg_dump -Fc %.1f s (%.1f MB/s), backup.take by keys with its verification %.1f s (%.1f MB/s), dump %.1f MB\n",
		mb, b - a, mb / (b - a), c - b, mb / (c - b), s / 1e6 }'
check "the large dump's checksum matches" sum_matches "$big"
check "retention deleted the year-2000 copies (older than 7 days, a newer verified dump exists)" \
	sh -c "[ ! -e '$BDIR/$flipped' ] && [ ! -e '$BDIR/$broken' ] && [ ! -e '$BDIR/$flipped.manifest.json' ]"

finals_before=$(ls "$BDIR" | grep -cE '^postgres_.*\.dump$')
drill backup-killed <<YAML &
drill: backup-killed
steps:
  - keys: "6bpostgres<Enter>"
  - confirm: "yes"
  - expect_screen: "failed .*postgres backup"
    timeout: 120s
YAML
drill_pid=$!
partial_growing() {
	f=$(ls -a "$BDIR" | grep -E '^\.postgres_.*\.dump\.partial$' | head -n 1)
	[ -n "$f" ] && [ "$(stat -c %s "$BDIR/$f" 2>/dev/null || echo 0)" -gt 2000000 ]
}
if wait_until 120 partial_growing; then
	ok "the dump is under way (a growing .partial file)"
	$DATA pg-stop "$primary"
else
	not_ok "the dump is under way (a growing .partial file)"
fi
wait $drill_pid
check "the pane says the backup failed" [ $? -eq 0 ]
check "no new file under a final name" [ "$(ls "$BDIR" | grep -cE '^postgres_.*\.dump$')" -eq "$finals_before" ]
check "no partial file is left" [ -z "$(ls -a "$BDIR" | grep '\.partial$')" ]
check "the audit log has the failed backup with pg_dump's reason" \
	grep -q '"action":"backup.take".*"result":"failed".*pg_dump' "$AUDIT"
$DATA pg-start "$primary" > /dev/null 2>&1
check "the primary is back" wait_until 120 primary_is_known
$DATA wait-streaming > /dev/null 2>&1 || true
psql_app "drop table if exists backup_bulk" > /dev/null

pw=$(cut -d: -f5- "$($DATA pgpass swarmdeck)")
rpw=$(cat /var/lib/swarmdeck-lab/secrets/redis.pass 2>/dev/null)
leaks() { # everything a password could have leaked into
	{ cat "$TMP"/*.out "$TMP"/*.md "$AUDIT" 2>/dev/null; ls -a "$BDIR"; } |
		grep -qF -e "$pw" -e "${rpw:-no-redis-password-file}"
}
check "no password on screen, in reports, in the audit log or in a file name" eval '! leaks'
rm -f "$TMP/plain.dump"
