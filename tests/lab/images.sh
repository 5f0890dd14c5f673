# images.sh - sourced by tests/lab/lab: the rollout tags beside sdlab/busybox:1, on every
# node, made with `docker import` like the first (no registry is reachable):
#
#   sdlab/busybox:rollout    the same busybox files as :1, a distinct image (its own ID), so
#                            an update to it replaces every task and the engine reports it
#   sdlab/busybox:unhealthy  the same, with no /www/index.html: httpd answers 404, the
#                            stack's healthcheck (wget http://127.0.0.1:PORT/) fails, and an
#                            update to it fails its monitor and rolls back
#
# images_up imports only what a node lacks, so `lab up` on a lab that is already up adds
# the tags and changes nothing else.

LAB_ROLLOUT_GOOD=$LAB_IMAGE:rollout
LAB_ROLLOUT_BAD=$LAB_IMAGE:unhealthy

images_present() {
	lab_docker "$1" image inspect "$LAB_ROLLOUT_GOOD" "$LAB_ROLLOUT_BAD" >/dev/null 2>&1
}

images_import() {
	local node=$1 tmp=$2
	lab_docker "$node" image inspect "$LAB_ROLLOUT_GOOD" >/dev/null 2>&1 ||
		lab_docker "$node" import \
			--change 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]' \
			--change 'ENV PATH=/bin' \
			--message "swarmdeck lab image (busybox-static), rollout tag" \
			"$tmp/good.tar" "$LAB_ROLLOUT_GOOD" >/dev/null
	lab_docker "$node" image inspect "$LAB_ROLLOUT_BAD" >/dev/null 2>&1 ||
		lab_docker "$node" import \
			--change 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]' \
			--change 'ENV PATH=/bin' \
			--message "swarmdeck lab image (busybox-static) without index.html: unhealthy" \
			"$tmp/bad.tar" "$LAB_ROLLOUT_BAD" >/dev/null
}

images_up() {
	local node todo=() pids=() tmp status=0 pid
	for node in "${LAB_NODES[@]}"; do
		images_present "$node" || todo+=("$node")
	done
	((${#todo[@]})) || return 0
	tmp=$(mktemp -d "$LAB_RUN/rollout-image.XXXXXX")
	lab_build_rootfs "$tmp/rootfs"
	tar -C "$tmp/rootfs" --numeric-owner --owner=0 --group=0 -cf "$tmp/good.tar" .
	rm -f "$tmp/rootfs/www/index.html"
	tar -C "$tmp/rootfs" --numeric-owner --owner=0 --group=0 -cf "$tmp/bad.tar" .
	for node in "${todo[@]}"; do
		images_import "$node" "$tmp" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || status=1; done
	rm -rf "$tmp"
	((status == 0)) || lab_die "docker import of the rollout tags failed"
	lab_log "rollout tags $LAB_ROLLOUT_GOOD and $LAB_ROLLOUT_BAD on ${todo[*]}"
}
