# vip.sh - the lab's front door: Debian's keepalived (VRRP, one instance) holding the virtual
# IP 192.168.213.100/24 on manager-1 or manager-2, and Debian's nginx on both answering
# http://NODE:8088/whoami (and so http://VIP:8088/whoami) with the node's name on the first
# line. Port 8088, not 80: port 80 of every node is the Swarm routing mesh's (the stack's
# published nginx), which would answer for any node. Every process runs inside the node's
# network namespace (lab_spawn), so `lab kill manager-1` takes them with the node and the
# VIP moves to manager-2.
#
# keepalived: virtual_router_id 213, manager-1 priority 110 (MASTER), manager-2 100, advert_int 1,
# unicast between the two nodes, a track script that asks the node's own nginx (weight -20:
# a node whose nginx is gone hands the VIP over), preemption on (keepalived's default): when
# manager-1 is back, the VIP returns to it. Gratuitous ARP is refreshed every 5 s, so the
# bridge's neighbours follow the holder even while a killed node's namespace still has the
# address (a SIGKILLed keepalived cannot remove it; vip_start does, before starting again).
#
# Sourced by tests/lab/lab, which calls:
#   vip_up                 start what is not running on manager-1 and manager-2 (idempotent)
#   vip_start NODE         after `lab heal NODE`: start it again when NODE is one of them
#   vip_config FILE        append the vip section to FILE (the lab's config)
#   vip_status             one line per node: nginx, keepalived, who holds the address
# `lab down` needs no hook: it kills every process of the nodes and removes their namespaces
# (and with them the address) and $LAB_RUN (the configs).
# Helpers for tests: vip_holder (the node whose eth0 has the VIP, from `ip addr`),
# vip_stop_keepalived NODE, vip_start_keepalived NODE.

VIP_NODES=(manager-1 manager-2)
VIP_ADDRESS=192.168.213.100
VIP_PORT=8088
VIP_ROUTER_ID=213

vip_priority() { [[ $1 == manager-1 ]] && echo 110 || echo 100; }
vip_dir() { echo "$LAB_RUN/$1/vip"; }
vip_url() { echo "http://$1:$VIP_PORT/whoami"; }

_vip_pid_is() { # NODE NAME COMM
	local pid
	pid=$(cat "$LAB_RUN/$1/$2.pid" 2>/dev/null) && lab_pid_alive "$pid" &&
		grep -qx "$3" "/proc/$pid/comm" 2>/dev/null
}
vip_nginx_running() { _vip_pid_is "$1" vip-nginx nginx; }
vip_keepalived_running() { _vip_pid_is "$1" vip-keepalived keepalived; }

vip_answers() { # NODE: its nginx answers its name
	[[ $(curl -sf --noproxy '*' -m 2 "$(vip_url "$(lab_ip "$1")")" 2>/dev/null | head -n 1) == "$1" ]]
}

# The node whose namespace has the VIP on eth0 (what `ip addr` says), or nothing.
vip_holder() {
	local node
	for node in "${VIP_NODES[@]}"; do
		lab_ns_exists "$node" || continue
		if lab_nsexec "$node" ip -o -4 addr show dev eth0 2>/dev/null | grep -q " $VIP_ADDRESS/"; then
			echo "$node"
		fi
	done
}

_vip_write_nginx() { # NODE
	local dir
	dir=$(vip_dir "$1")
	mkdir -p "$dir/nginx/tmp"
	cat >"$dir/nginx/nginx.conf" <<-EOF
		# the lab's front door on $1 (tests/lab/vip.sh)
		daemon off;
		worker_processes 1;
		pid $dir/nginx/nginx.pid;
		error_log $dir/nginx/error.log;
		events { worker_connections 64; }
		http {
		    access_log off;
		    client_body_temp_path $dir/nginx/tmp/body;
		    proxy_temp_path $dir/nginx/tmp/proxy;
		    fastcgi_temp_path $dir/nginx/tmp/fastcgi;
		    uwsgi_temp_path $dir/nginx/tmp/uwsgi;
		    scgi_temp_path $dir/nginx/tmp/scgi;
		    server {
		        listen $VIP_PORT;
		        default_type text/plain;
		        # the node's name on the first line (elsewhere: return 200 "\$hostname\\n";)
		        location = /whoami { return 200 "$1\\n"; }
		        location / { return 200 "$1: the swarmdeck lab's front door\\n"; }
		    }
		}
	EOF
}

_vip_write_keepalived() { # NODE
	local node=$1 dir peer state=BACKUP
	dir=$(vip_dir "$node")
	mkdir -p "$dir"
	peer=manager-2
	[[ $node == manager-2 ]] && peer=manager-1
	[[ $node == manager-1 ]] && state=MASTER
	cat >"$dir/keepalived.conf" <<-EOF
		# the lab's front door on $node (tests/lab/vip.sh)
		global_defs {
		    router_id sdlab-$node
		    script_user root
		    enable_script_security
		}
		vrrp_script chk_nginx {
		    script "/usr/bin/curl -sf --noproxy * -m 1 -o /dev/null http://127.0.0.1:$VIP_PORT/whoami"
		    interval 1
		    timeout 2
		    fall 2
		    rise 1
		    weight -20
		}
		vrrp_instance VI_SDLAB {
		    state $state
		    interface eth0
		    virtual_router_id $VIP_ROUTER_ID
		    priority $(vip_priority "$node")
		    advert_int 1
		    unicast_src_ip $(lab_ip "$node")
		    unicast_peer {
		        $(lab_ip "$peer")
		    }
		    authentication {
		        auth_type PASS
		        auth_pass sdlab213
		    }
		    virtual_ipaddress {
		        $VIP_ADDRESS/24 dev eth0
		    }
		    garp_master_refresh 5
		    track_script {
		        chk_nginx
		    }
		}
	EOF
}

vip_start_nginx() { # NODE
	vip_nginx_running "$1" && return 0
	local dir
	dir=$(vip_dir "$1")
	_vip_write_nginx "$1"
	lab_spawn "$1" vip-nginx nginx -p "$dir/nginx" -e "$dir/nginx/error.log" \
		-c "$dir/nginx/nginx.conf" || return 1
}

vip_start_keepalived() { # NODE
	vip_keepalived_running "$1" && return 0
	local dir
	dir=$(vip_dir "$1")
	_vip_write_keepalived "$1"
	# a keepalived that was SIGKILLed left the address behind
	lab_nsexec "$1" ip addr del "$VIP_ADDRESS/24" dev eth0 2>/dev/null || true
	lab_spawn "$1" vip-keepalived keepalived --dont-fork --log-console --vrrp \
		--use-file "$dir/keepalived.conf" --pid "$dir/keepalived.pid" \
		--vrrp_pid "$dir/vrrp.pid" || return 1
}

vip_stop_keepalived() { # NODE: as an orderly stop (keepalived drops the address)
	local pid
	pid=$(cat "$LAB_RUN/$1/vip-keepalived.pid" 2>/dev/null) || return 0
	vip_keepalived_running "$1" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	lab_wait 10 "keepalived on $1 to stop" eval '! vip_keepalived_running '"$1"
}

_vip_node_up() { # NODE
	lab_ns_exists "$1" || { lab_log "vip: $1 is not up"; return 1; }
	vip_start_nginx "$1" || return 1
	lab_wait 10 "nginx on $1 to answer" vip_answers "$1" ||
		{ tail -n 5 "$(vip_dir "$1")/nginx/error.log" >&2; return 1; }
	vip_start_keepalived "$1"
}

vip_up() {
	command -v keepalived >/dev/null && command -v nginx >/dev/null ||
		{ lab_log "vip: keepalived or nginx is not installed (tests/deps.sh)"; return 0; }
	local node
	for node in "${VIP_NODES[@]}"; do
		_vip_node_up "$node" || return 1
	done
	lab_wait 15 "the VIP $VIP_ADDRESS to answer" \
		eval '[[ -n $(curl -sf --noproxy "*" -m 1 '"$(vip_url $VIP_ADDRESS)"') ]]' ||
		{ tail -n 5 "$LAB_RUN/manager-1/vip-keepalived.log" >&2; return 1; }
	lab_log "vip: $(vip_url $VIP_ADDRESS) held by $(vip_holder | tr '\n' ' ')(keepalived + nginx on ${VIP_NODES[*]})"
}

vip_start() { # NODE
	local node
	for node in "${VIP_NODES[@]}"; do
		[[ $1 == "$node" ]] || continue
		command -v keepalived >/dev/null && command -v nginx >/dev/null || return 0
		_vip_node_up "$node"
	done
	return 0
}

vip_config() { # FILE: the vip section appended (once)
	command -v keepalived >/dev/null && command -v nginx >/dev/null || return 0
	grep -q '^vip:' "$1" && return 0
	{
		echo "vip:"
		echo "  address: $VIP_ADDRESS"
		echo "  check_url: $(vip_url $VIP_ADDRESS)"
		echo "  timeout_ms: 1000"
		echo "  nodes:"
		local node
		for node in "${VIP_NODES[@]}"; do
			echo "    - {name: $node, url: $(vip_url "$(lab_ip "$node")")}"
		done
	} >>"$1"
}

vip_status() {
	local node nginx keepalived holder
	holder=$(vip_holder | tr '\n' ' ')
	for node in "${VIP_NODES[@]}"; do
		nginx=stopped keepalived=stopped
		vip_nginx_running "$node" && nginx=running
		vip_nginx_running "$node" && ! vip_answers "$node" && nginx="running, not answering"
		vip_keepalived_running "$node" && keepalived=running
		printf '%-10s %-10s %-20s nginx %s, keepalived %s%s\n' vip "$node" \
			"$(lab_ip "$node"):$VIP_PORT" "$nginx" "$keepalived" \
			"$([[ " $holder" == *" $node "* ]] && echo ", holds $VIP_ADDRESS")"
	done
}
