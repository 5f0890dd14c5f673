# test_redis.sh - a planned Sentinel failover by keys, then the master's Redis killed: Sentinel
# fails over by itself and the pane follows.
. "$(dirname "$0")/lib.sh"
plan 8
check "the lab's Redis is healthy (1 master, 2 replicas, 3 Sentinels agree)" "$DATA" wait-redis 90
master_addr() { "$DATA" sentinel manager-1 SENTINEL get-master-addr-by-name mymaster | paste -sd: ; }
old=$(master_addr)
note "master is $old"

drill failover <<YAML
drill: failover
steps:
  - until: redis.master.addr == "$old"
    timeout: 20s
  - keys: "5p"
  - expect_screen: "SENTINEL FAILOVER"
  - confirm: "yes"
  - until: redis.master.addr != "$old"
    timeout: 30s
  - expect_screen: "switch-master"
  - save_screen: $TMP/failover-screen.txt
YAML
check "redis.failover by keys moves the master" [ $? -eq 0 ]
new=$(master_addr)
check "SENTINEL GET-MASTER-ADDR-BY-NAME reports the new master ($old -> $new)" \
	sh -c "[ -n '$new' ] && [ '$new' != '$old' ]"
once_json
check "the JSON shows the same master" [ "$(jqo .redis.master.addr)" = "$new" ]
check "the pane's event log shows +switch-master to the new master" \
	grep -Eq "\+switch-master +mymaster .* ${new%%:*} ${new##*:}" "$TMP/failover-screen.txt"
"$DATA" wait-redis 90 >/dev/null 2>&1

# the master's Redis dies: Sentinel fails over by itself (down-after 5 s)
mnode=$(node_of_addr "$new")
"$DATA" redis-stop "$mnode" >/dev/null 2>&1
at_exit "'$DATA' start '$mnode'"
start=$(date +%s)
drill auto-failover <<YAML
drill: auto-failover
steps:
  - until: redis.master.addr != "$new"
    timeout: 45s
  - expect_screen: "master +192\\\\.168\\\\.213\\\\."
YAML
rc=$?
check "Sentinel fails over by itself and the pane follows (in $(($(date +%s) - start)) s)" [ $rc -eq 0 ]
check "the Sentinels agree on a master other than $new" sh -c "[ \"\$('$DATA' sentinel manager-2 SENTINEL get-master-addr-by-name mymaster | paste -sd:)\" != '$new' ]"
"$DATA" start "$mnode" >/dev/null 2>&1
check "the old master comes back as a replica" "$DATA" wait-redis 90
