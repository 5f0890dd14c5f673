# test_offsite.sh - off-site copies on the lab's WebDAV store (rclone serve webdav on
# manager-3), through the real binary: --do backup.take with no terminal (exit 0, a verified
# local and remote copy, one audit line; refused with --watch), a backup by keys whose remote
# copy and manifest agree (checked with curl), the WebDAV server killed mid-upload of a
# 200 MB file (nothing under the final remote name, the pane says failed with the reason,
# the local copy intact), backup.sync by keys after the heal, a restore from the remote
# copy alone (rows back, services back), a flipped byte on the remote copy (the restore
# stops before scaling anything), remote retention, the shipped systemd units, and no
# password anywhere it could leak.
. "$(dirname "$0")/lib.sh"
plan 39
# the lab's WebDAV store (tests/lab/webdav.sh says where; that file is bash, this one sh)
WEBDAV_NODE=manager-3
WEBDAV_CONFIG=/run/swarmdeck-lab/swarmdeck-remote.yaml
WEBDAV_DIR=/var/lib/swarmdeck-lab/webdav/store
WEBDAV_PASSFILE=/var/lib/swarmdeck-lab/secrets/webdav.pass
WEBDAV_NETRC=/var/lib/swarmdeck-lab/webdav/netrc
webdav_url() { echo "http://192.168.213.13:8080/backups/"; }
webdav_pid() { cat /run/swarmdeck-lab/$WEBDAV_NODE/webdav.pid 2>/dev/null; }
webdav_curl() { curl -sS --netrc-file "$WEBDAV_NETRC" --max-time 60 "$@"; }
webdav_answers() { webdav_curl -o /dev/null -f -X PROPFIND -H 'Depth: 0' "$(webdav_url)"; }
remote_has() { webdav_curl -f -o /dev/null "$(webdav_url)$1"; }
SWARMDECK_CONFIG=$WEBDAV_CONFIG
export SWARMDECK_CONFIG
DATAX="sh tests/lab/data"
AUDIT=/run/swarmdeck-lab/audit.log
svc=iot-guardian_backend
BDIR=$(sed -n '/^backup:/,/^[^ ]/s/^  dir: *//p' "$SWARMDECK_CONFIG" | head -n 1)
STORE=$WEBDAV_DIR/backups
PASS=$(cat "$WEBDAV_PASSFILE" 2>/dev/null)
if [ ! -r "$SWARMDECK_CONFIG" ] || [ -z "$PASS" ] || ! command -v rclone >/dev/null; then
	for i in $(seq 39); do skip "off-site check $i" "no WebDAV store in the lab (rclone missing or lab not up)"; done
	exit 0
fi

newest() { ls "$BDIR" 2>/dev/null | grep -E "^$1_[0-9]{8}_[0-9]{6}\.$2\$" | sort | tail -n 1; }
field() { jq -r ".$2" "$BDIR/$1.manifest.json"; }
psql_app() { $DATAX psql primary "$1"; }
probe_rows() { psql_app "select count(*) from readings where device = 'offsite-probe'"; }
rows_are() { [ "$(probe_rows 2>/dev/null)" = "$1" ]; }
primary_is_known() { [ -n "$($DATAX primary 2>/dev/null)" ]; }
remote_sha() { webdav_curl -f "$(webdav_url)$1" | sha256sum | cut -d' ' -f1; }
audit_count() { grep -c "$1" "$AUDIT" 2>/dev/null || true; }
webdav_heal() { bash -c ". tests/lab/lab; webdav_up" > "$TMP/webdav-heal.log" 2>&1; }
webdav_gone() { ! kill -0 "$(webdav_pid)" 2>/dev/null; }
# the store again behind a link of 40 MB/s: 200 MB take 5 s, so the cut comes midway on any
# machine (over the lab's loopback the whole upload takes about a second)
webdav_slow() {
	kill -TERM "$(webdav_pid)" 2>/dev/null
	wait_until 10 webdav_gone &&
		WEBDAV_BWLIMIT=40M bash -c ". tests/lab/lab; webdav_up" > "$TMP/webdav-slow.log" 2>&1
}

check "the WebDAV store answers (rclone on $WEBDAV_NODE)" wait_until 30 webdav_answers
check "backend starts at 3/3" wait_until 120 replicas_are $svc 3/3
check "a PostgreSQL primary answers" wait_until 120 primary_is_known
at_exit "$DATAX psql primary \"delete from readings where device = 'offsite-probe'\""
at_exit "webdav_heal"
psql_app "delete from readings where device = 'offsite-probe';
	insert into readings (device, value) select 'offsite-probe', g from generate_series(1, 50) g" > /dev/null

# ---- --do backup.take with no terminal ------------------------------------------------------
takes_before=$(audit_count '"action":"backup.take"')
setsid sh -c "'$SD' --do backup.take postgres --yes < /dev/null > '$TMP/do.out' 2> '$TMP/do.err'; echo \$? > '$TMP/do.rc'" < /dev/null
check "--do backup.take postgres --yes with no terminal exits 0" [ "$(cat "$TMP/do.rc")" = 0 ]
sed 's/^/#   /' "$TMP/do.out" "$TMP/do.err" | head -n 4
check "it prints one result line, ok" sh -c "[ \$(wc -l < '$TMP/do.out') -eq 1 ] && grep -q '^ok backup.take' '$TMP/do.out'"
dump=$(newest postgres dump)
check "a verified local copy ($dump)" [ -n "$dump" -a "$(field "$dump" verified)" = yes ]
check "the remote holds it" remote_has "$dump"
check "... and its manifest" remote_has "$dump.manifest.json"
check "the remote copy's SHA-256 (curl GET) is the manifest's" [ "$(remote_sha "$dump")" = "$(field "$dump" sha256)" ]
check "the remote manifest says the same SHA-256" \
	[ "$(webdav_curl -f "$(webdav_url)$dump.manifest.json" | jq -r .sha256)" = "$(field "$dump" sha256)" ]
check "exactly one audit line for the take" [ $(($(audit_count '"action":"backup.take"') - takes_before)) -eq 1 ]
check "no partial left on either side" sh -c "! ls -a '$BDIR' '$STORE' | grep -q '\.partial\$'"

"$SD" --do backup.take postgres --yes --watch < /dev/null > "$TMP/watch.out" 2>&1
rc=$?
check "with --watch it is refused, exit $rc (non-zero)" [ $rc -ne 0 ]
check "... said on its one line and audited as refused" \
	sh -c "grep -q '^refused backup.take.*watch mode' '$TMP/watch.out' && tail -n 1 '$AUDIT' | grep -q '\"result\":\"refused\"'"

# ---- a backup by keys: <Enter> alone takes PostgreSQL, uploaded and checked -----------------
sleep 1
drill offsite-take <<YAML
drill: offsite-take
steps:
  - keys: "6b<Enter>"
  - confirm: "yes"
  - until: backups[0].copies[where=remote].verified == yes
    timeout: 300s
  - expect_screen: "postgres +[0-9-]+ [0-9:]+ .* yes +both +yes +postgres_"
YAML
check "b <Enter> by keys: a PostgreSQL backup, both copies verified in the pane" [ $? -eq 0 ]
keyed=$(newest postgres dump)
check "the keyed backup's remote copy agrees with its manifest (curl)" \
	[ "$keyed" != "$dump" -a "$(remote_sha "$keyed")" = "$(field "$keyed" sha256)" ]

# ---- the WebDAV server killed mid-upload of 200 MB ------------------------------------------
big=postgres_$(date -u -d '-1 hour' +%Y%m%d_%H%M%S)_big.dump
head -c 200000000 /dev/urandom > "$BDIR/$big"
jq --arg f "$big" --arg s "$(sha256sum < "$BDIR/$big" | cut -d' ' -f1)" --arg t "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	'.file = $f | .sha256 = $s | .size = 200000000 | .time = $t' "$BDIR/$dump.manifest.json" > "$BDIR/$big.manifest.json"
at_exit "rm -f '$BDIR/$big' '$BDIR/$big.manifest.json' '$STORE/$big' '$STORE/$big.manifest.json' '$STORE/.$big.partial'"
big_sha=$(sha256sum < "$BDIR/$big" | cut -d' ' -f1)
webdav_slow && wait_until 30 webdav_answers || note "the store could not be slowed down: $(tail -n 3 "$TMP/webdav-slow.log")"
drill offsite-cut <<YAML > /dev/null &
drill: offsite-cut
steps:
  - keys: "6/_big<Enter>U"
  - confirm: "yes"
  - until: alerts[target=remote].level == WARNING
    timeout: 180s
  - expect_screen: "failed [0-9:]+Z: upload $big"
    timeout: 30s
YAML
drill_pid=$!
partial_grows() { [ "$(stat -c %s "$STORE/.$big.partial" 2>/dev/null || echo 0)" -gt 30000000 ]; }
check "the upload is under way (a partial over 30 MB on the store)" wait_until 120 partial_grows
ps -eo args > "$TMP/ps.txt"
kill -KILL "$(webdav_pid)"
note "WebDAV server killed at $(stat -c %s "$STORE/.$big.partial" 2>/dev/null) bytes"
wait $drill_pid
check "the pane says the upload failed, with the reason (drill passes)" [ $? -eq 0 ]
grep -o "failed [0-9:]*Z: upload $big[^│]*" "$TMP"/offsite-cut*.md 2>/dev/null | head -n 1 | sed 's/^/#   /'
check "no file under the final remote name" [ ! -e "$STORE/$big" ]
check "the local copy is intact and matches its manifest" [ "$(sha256sum < "$BDIR/$big" | cut -d' ' -f1)" = "$big_sha" ]
check "the password is not in the process list during the upload" sh -c "! grep -qF -- '$PASS' '$TMP/ps.txt'"

webdav_heal
check "after the heal the store answers again" wait_until 30 webdav_answers
drill offsite-sync <<YAML
drill: offsite-sync
steps:
  - keys: "6Y"
  - confirm: "yes"
  - until: backups[file=$BDIR/$big].copies[where=remote].verified == yes
    timeout: 300s
YAML
check "backup.sync by keys uploads it" [ $? -eq 0 ]
check "its remote copy is whole: size and SHA-256 (curl)" \
	[ "$(stat -c %s "$STORE/$big")" = 200000000 -a "$(remote_sha "$big")" = "$big_sha" ]
check "no partial left on the store" [ ! -e "$STORE/.$big.partial" ]

# ---- restore from the remote copy alone ------------------------------------------------------
primary=$($DATAX primary)
rm -f "$BDIR/$dump" "$BDIR/$dump.manifest.json"
psql_app "delete from readings where device = 'offsite-probe'" > /dev/null
drill offsite-restore <<YAML
drill: offsite-restore
steps:
  - until: backups[file=$BDIR/$dump].copies[0].where == remote
    timeout: 30s
  - keys: "6/$dump<Enter>X"
  - confirm: "app"
  - until: services[name=$svc].desired == 3
    timeout: 120s
  - expect_screen: "restored $dump into app on $primary"
    timeout: 120s
YAML
check "backup.restore by keys of a remote-only backup: drill passes" [ $? -eq 0 ]
check "the 50 probe rows are back" wait_until 30 rows_are 50
check "the backend is back at 3/3" wait_until 120 replicas_are $svc 3/3
check "the download is in the folder, matching the manifest" \
	[ "$(sha256sum < "$BDIR/$dump" | cut -d' ' -f1)" = "$(field "$dump" sha256)" ]

# ---- a flipped byte on the remote copy: nothing is touched -----------------------------------
rm -f "$BDIR/$dump" "$BDIR/$dump.manifest.json"
size=$(stat -c %s "$STORE/$dump")
off=$((size / 2))
byte=$(od -An -tu1 -j $off -N1 "$STORE/$dump" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$STORE/$dump" bs=1 seek=$off conv=notrunc 2>/dev/null
# the damaged copy goes when the test ends: no later restore should meet it
at_exit "webdav_curl -o /dev/null -X DELETE '$(webdav_url)$dump.manifest.json'; webdav_curl -o /dev/null -X DELETE '$(webdav_url)$dump'"
scales_before=$(audit_count '"part_of":"backup.restore"')
drill offsite-restore-flipped <<YAML
drill: offsite-restore-flipped
steps:
  - until: backups[file=$BDIR/$dump].copies[0].where == remote
    timeout: 30s
  - keys: "6/$dump<Enter>X"
  - confirm: "app"
  - expect_screen: "does not match its manifest"
    timeout: 60s
YAML
check "the restore of the flipped remote copy stops with the mismatch" [ $? -eq 0 ]
check "... before scaling anything (no scale step audited)" [ "$(audit_count '"part_of":"backup.restore"')" = "$scales_before" ]
check "... the backend still 3/3, nothing under the final local name" \
	sh -c "[ '$(replicas $svc)' = 3/3 ] && [ ! -e '$BDIR/$dump' ] && ! ls -a '$BDIR' | grep -q '\.partial\$'"

# ---- remote retention -------------------------------------------------------------------------
old=postgres_20000101_000010_old.dump
# the lone copy: of a database no other copy is of (Redis copies that earlier tests took would
# be uploaded by the sync, newer, and let retention delete a lone Redis copy)
lone=postgres_20000101_000011_old.dump
# put up through the server, as a client would (the server caches its folder listing)
for f in $old $lone; do
	head -c 1000 /dev/urandom > "$TMP/$f"
	kind=${f%%_*}
	jq -n --arg f "$f" --arg k "$kind" --arg s "$(sha256sum < "$TMP/$f" | cut -d' ' -f1)" --arg db "$([ "$f" = "$lone" ] && echo archive || echo app)" \
		'{kind: $k, file: $f, time: "2000-01-01T00:00:10Z", size: 1000, sha256: $s, source: "test", database: $db, verified: "yes"}' \
		> "$TMP/$f.manifest.json"
	webdav_curl -f -o /dev/null -T "$TMP/$f" "$(webdav_url)$f" &&
		webdav_curl -f -o /dev/null -T "$TMP/$f.manifest.json" "$(webdav_url)$f.manifest.json"
done
at_exit "rm -f '$STORE/$old' '$STORE/$old.manifest.json' '$STORE/$lone' '$STORE/$lone.manifest.json'"
drill offsite-retention <<YAML
drill: offsite-retention
steps:
  - until: backups[file=$BDIR/$old].copies[0].where == remote
    timeout: 30s
  - keys: "6Y"
  - expect_screen: "Remote retention deletes"
  - expect_screen: "$old"
  - confirm: "yes"
  - expect_screen: "remote retention deleted 1 copy"
    timeout: 120s
YAML
check "backup.sync shows the remote copy retention deletes, and deletes it" [ $? -eq 0 ]
check "the old PostgreSQL copy (a newer verified remote one exists) is gone with its manifest" \
	[ ! -e "$STORE/$old" -a ! -e "$STORE/$old.manifest.json" ]
check "the old copy of another database (no newer verified remote copy of it) stays" [ -e "$STORE/$lone" ]

# ---- the shipped timer ------------------------------------------------------------------------
units=$TMP/units
mkdir -p "$units"
for f in packaging/systemd/swarmdeck-backup.service packaging/systemd/swarmdeck-backup.timer; do
	sed "s#/usr/local/bin/swarmdeck#$SD#" "$f" > "$units/$(basename "$f")"
done
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify passes on the service and timer (ExecStart pointed at this build)" \
		systemd-analyze verify "$units/swarmdeck-backup.service" "$units/swarmdeck-backup.timer"
else
	skip "systemd-analyze verify of the units" "systemd-analyze is not installed"
fi

# ---- the password nowhere -----------------------------------------------------------------------
check "no password in the audit log" sh -c "! grep -qF -- '$PASS' '$AUDIT'"
check "no password in any manifest, local or remote" \
	sh -c "! cat '$BDIR'/*.manifest.json '$STORE'/*.manifest.json 2>/dev/null | grep -qF -- '$PASS'"
check "no password on the screens the drills saw or in their output" \
	sh -c "! cat '$TMP'/*.md '$TMP'/*.out '$TMP/do.out' '$TMP/watch.out' 2>/dev/null | grep -qF -- '$PASS'"
