#!/bin/sh
# offsite.sh - part of `make bench` (tests/bench/run, the lab up): the upload of a 200 MB
# backup to the lab's WebDAV store by swarmdeck (`--do backup.upload`: PUT to a temporary
# name, MOVE, then the check: PROPFIND and a full read back) beside `rclone copy` of the same
# file to the same store, in the same run, 3 rounds each, medians and ratios. Figures only.
set -u
cd "$(dirname "$0")/../.." || exit 2
conf=/run/swarmdeck-lab/swarmdeck-remote.yaml
pass=/var/lib/swarmdeck-lab/secrets/webdav.pass
netrc=/var/lib/swarmdeck-lab/webdav/netrc
if [ ! -r "$conf" ] || ! command -v rclone > /dev/null; then
	echo "no WebDAV store in the lab (rclone missing?): no off-site upload figure"
	exit 0
fi
url=$(sed -n 's/^    url: *//p' "$conf" | head -n 1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# a backup folder of its own, so the lab's backups are not uploaded too
mkdir -p "$tmp/bk"
sed "s#^  dir: .*#  dir: $tmp/bk#" "$conf" > "$tmp/conf.yaml"
name=postgres_20000101_000000_bench.dump
head -c 200000000 /dev/urandom > "$tmp/bk/$name"
jq -n --arg f "$name" --arg s "$(sha256sum < "$tmp/bk/$name" | cut -d' ' -f1)" \
	'{kind: "postgres", file: $f, time: "2000-01-01T00:00:00Z", size: 200000000, sha256: $s,
	  source: "bench", database: "app", verified: "yes"}' > "$tmp/bk/$name.manifest.json"
dav() { curl -sS --netrc-file "$netrc" --max-time 120 "$@"; }
now() { date +%s.%N; }
# rclone reads its WebDAV settings from the environment: no password on its command line
RCLONE_WEBDAV_URL=${url}bench-rclone/ RCLONE_WEBDAV_USER=swarmdeck RCLONE_WEBDAV_VENDOR=other
RCLONE_WEBDAV_PASS=$(rclone obscure - < "$pass")
export RCLONE_WEBDAV_URL RCLONE_WEBDAV_USER RCLONE_WEBDAV_VENDOR RCLONE_WEBDAV_PASS
: > "$tmp/figures"
for round in 1 2 3; do
	dav -X DELETE "$url$name" -o /dev/null; dav -X DELETE "$url$name.manifest.json" -o /dev/null
	dav -X DELETE "${url}bench-rclone/" -o /dev/null
	t0=$(now)
	./swarmdeck --config "$tmp/conf.yaml" --do backup.upload "$name" --yes > "$tmp/sd.out" 2>&1
	t1=$(now)
	rclone copy --config /dev/null "$tmp/bk/$name" :webdav: > "$tmp/rclone.out" 2>&1
	t2=$(now)
	# the PUT and MOVE alone, from the result line ("200.0 MB in 2.1 s")
	put=$(sed -n 's/.*MB in \([0-9.]*\) s.*/\1/p' "$tmp/sd.out" | head -n 1)
	grep -q '^ok ' "$tmp/sd.out" || { sed 's/^/  /' "$tmp/sd.out"; put=; }
	echo "$round ${put:-0} $(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}') $(awk -v a="$t1" -v b="$t2" 'BEGIN{print b-a}')" >> "$tmp/figures"
done
dav -X DELETE "$url$name" -o /dev/null; dav -X DELETE "$url$name.manifest.json" -o /dev/null
dav -X DELETE "${url}bench-rclone/" -o /dev/null
awk '
	function median(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		return a[int((n + 1) / 2)] }
	{ n++; put[n] = $2; total[n] = $3; rc[n] = $4
	  printf "upload of 200 MB to the lab WebDAV, round %d: swarmdeck PUT+MOVE %.2f s, with the check read back and start-up %.2f s; rclone copy %.2f s\n", $1, $2, $3, $4 }
	END { p = median(put, n); t = median(total, n); r = median(rc, n)
	  printf "  medians: swarmdeck upload %.2f s (%.0f MB/s), whole action %.2f s; rclone copy %.2f s (%.0f MB/s)\n", p, 200 / p, t, r, 200 / r
	  printf "  swarmdeck upload / rclone copy: %.2fx the time (goal: no slower than rclone, <= 1.00x)\n", p / r }' "$tmp/figures"
