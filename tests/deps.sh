#!/bin/sh
# deps.sh - installs what a fresh Debian 12 machine lacks to build, test and demo swarmdeck
# (Debian packages only). Quiet when everything is there.
set -eu
packages="gcc make pkg-config libncurses-dev libcurl4-openssl-dev libjansson-dev libpq-dev
libhiredis-dev libyaml-dev libcmocka-dev libssl-dev docker.io busybox-static iproute2 iptables tmux curl rclone
postgresql-15 postgresql-client-15 redis-server redis-sentinel redis-tools util-linux procps
ncurses-term valgrind jq clang libclang-rt-14-dev pg-activity"
packages="$packages dpkg-dev man-db" # make deb (dpkg-shlibdeps) and its test (man)
packages="$packages keepalived nginx-light" # the lab's front door (tests/lab/vip.sh)
# the lab's monitoring stack (tests/lab/monitor.sh)
packages="$packages prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
# services of these packages are started by the lab, never by the package scripts
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/dev/null
# where systemd runs, the packages have enabled their units: the lab starts its own copies
# (tests/lab/monitor.sh), with its own addresses and data, and nothing else may hold them
if [ -d /run/systemd/system ]; then
	for unit in prometheus prometheus-alertmanager prometheus-node-exporter prometheus-postgres-exporter; do
		systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
	done
fi
# the lab runs its own nginx and keepalived inside the nodes' namespaces (tests/lab/vip.sh):
# the packages' system services stay off, now and at boot (nothing on the host's port 80)
for s in nginx keepalived; do
	case " $missing " in *" $s "* | *" $s-light "*) ;; *) continue ;; esac
	if [ -d /run/systemd/system ]; then systemctl disable --now "$s" >/dev/null 2>&1 || true
	elif command -v update-rc.d >/dev/null; then update-rc.d "$s" disable >/dev/null 2>&1 || true
	fi
done
