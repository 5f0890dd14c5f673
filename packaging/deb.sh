#!/bin/sh
# deb.sh ROOT VERSION OUTDIR - turns ROOT, a staged `make install PREFIX=/usr DESTDIR=ROOT`,
# into OUTDIR/swarmdeck_VERSION_ARCH.deb with Debian's own tools only (dpkg-deb,
# dpkg-shlibdeps). The Depends line is what dpkg-shlibdeps finds the binary links against,
# never typed by hand. Files get Debian's layout first: a stripped binary, the man page and
# the long README compressed.
set -eu
umask 022
root=$1 version=$2 out=$3
arch=$(dpkg --print-architecture)
root=$(cd "$root" && pwd)

strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/swarmdeck"
gzip -9nf "$root/usr/share/man/man1/swarmdeck.1"
gzip -9nf "$root/usr/share/doc/swarmdeck/README.md"

# dpkg-shlibdeps wants a source package's debian/control (a scratch folder gives it a
# minimal one) and the binary under a package root (the folder holding DEBIAN/)
mkdir -p "$root/DEBIAN"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
printf 'Source: swarmdeck\n\nPackage: swarmdeck\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$root/usr/bin/swarmdeck" | sed -n 's/^shlibs:Depends=//p')
if [ -z "$depends" ]; then
	echo "deb.sh: dpkg-shlibdeps found no dependencies of $root/usr/bin/swarmdeck" >&2
	exit 1
fi

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: swarmdeck
Version: $version
Architecture: $arch
Maintainer: ${DEBFULLNAME:-swarmdeck maintainers} <${DEBEMAIL:-swarmdeck@localhost}>
Installed-Size: $size
Depends: $depends
Section: admin
Priority: optional
Description: terminal console for Docker Swarm disaster-recovery stacks
 One live screen of a Docker Swarm's nodes, services and tasks, PostgreSQL
 streaming replication, Redis Sentinel and backups, with one key per
 operator action (scale, drain, promote, fail over, back up, restore), each
 confirmed and audited; a read-only watch mode, a monitoring check
 (--once) and scripted drills with RTO reports (--play).
CONTROL
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) > "$root/DEBIAN/md5sums"
deb="$out/swarmdeck_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb"
