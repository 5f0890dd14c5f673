# test_valgrind.sh - drill playback under valgrind: no invalid access and no leak in the
# console's own code while it draws every pane, filters, opens tasks and refuses an action.
. "$(dirname "$0")/lib.sh"
plan 2
command -v valgrind >/dev/null || { not_ok "valgrind is installed"; exit 0; }
cat > "$TMP/walk.yaml" <<'YAML'
drill: walk
steps:
  - until: cluster.reachable == true
    timeout: 60s
  - keys: "1jjk<Enter>"
  - expect_screen: "Tasks .* of node"
  - keys: "<Esc>2/backend<Enter>o<Enter>"
  - keys: "4j5j6?"
  - keys: "<Esc>2s"
  - expect_screen: "refused: watch mode is read-only"
  - until: len(tasks) > 0
    timeout: 30s
  - save_screen: walk.txt
YAML
valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--suppressions=/dev/null "$SD" --watch --play "$TMP/walk.yaml" --headless \
	--report "$TMP/walk.md" > "$TMP/valgrind.out" 2>&1
rc=$?
sed 's/^/#   /' "$TMP/valgrind.out" | grep -v '^#   $' | head -n 30
check "a headless drill under valgrind passes with no memory error or definite leak (rc $rc)" [ $rc -eq 0 ]
check "the screen it saved shows the panes" grep -q "Services" "$TMP/walk.txt"
