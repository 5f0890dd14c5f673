# test_config.sh - bad config, theme and keymap files: the error names file, line and column,
# the exit status is 2, and the console does not start.
. "$(dirname "$0")/lib.sh"
plan 9
printf 'docker:\n  host: unix:///x\ninterval: 2\nbogus: 1\n' > "$TMP/bad-config.yaml"
printf 'generic:\n  q: quit\nservices:\n  s: service.scael\n' > "$TMP/bad-keymap.yaml"
printf 'header:\n  fg: red\nwarning:\n  fg: chartreuse\n' > "$TMP/bad-theme.yaml"
printf 'generic:\n  q: quit\n  q: help\n' > "$TMP/twice-keymap.yaml"

"$SD" --check-config --config "$TMP/bad-config.yaml" 2> "$TMP/err1"
check "bad config: exit 2" [ $? -eq 2 ]
check "bad config: file:4:1 and the key ($(cat "$TMP/err1"))" grep -q "bad-config.yaml:4:1: .*bogus" "$TMP/err1"
"$SD" --check-config --keymap "$TMP/bad-keymap.yaml" 2> "$TMP/err2"
check "bad keymap: exit 2" [ $? -eq 2 ]
check "bad keymap: file:4:6 and the action ($(cat "$TMP/err2"))" grep -q "bad-keymap.yaml:4:6: .*service.scael" "$TMP/err2"
"$SD" --check-config --theme "$TMP/bad-theme.yaml" 2> "$TMP/err3"
check "bad theme: exit 2" [ $? -eq 2 ]
check "bad theme: file:4:7 and the colour ($(cat "$TMP/err3"))" grep -q "bad-theme.yaml:4:7: .*chartreuse" "$TMP/err3"
"$SD" --check-config --keymap "$TMP/twice-keymap.yaml" 2> "$TMP/err4"
rc=$?
check "a key bound twice: exit 2 naming line 3 ($(cat "$TMP/err4"))" sh -c "[ $rc -eq 2 ] && grep -q 'twice-keymap.yaml:3:' $TMP/err4"
"$SD" --headless --play /dev/null --config "$TMP/bad-config.yaml" 2>/dev/null
check "the console does not start on a bad config" [ $? -eq 2 ]
"$SD" --check-config > "$TMP/ok"
rc=$?
check "the lab config checks out" sh -c "[ $rc -eq 0 ] && grep -q 'config .*swarmdeck.yaml: ok' $TMP/ok"
