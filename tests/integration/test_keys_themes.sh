# test_keys_themes.sh - keymaps and themes through the real binary: `--keys` of every shipped
# keymap matches its saved copy (tests/fixtures/keys/NAME.txt; SD_UPDATE_GOLDEN=1 rewrites
# them), a user's keymap.yaml extends the active keymap, every shipped theme renders in a
# real terminal (tmux) with colours, "#rrggbb" gets palette slots of its own, NO_COLOR and a
# terminal without colours render with attributes only, and bad theme or keymap files stop
# swarmdeck before it starts. Only --watch runs against the lab; a lab that is down is fine.
. "$(dirname "$0")/lib.sh"
plan $(($(ls keymaps/*.yaml | wc -l) + 2 * $(ls themes/*.yaml | wc -l) + 37))
[ -r "${SWARMDECK_CONFIG:-}" ] || unset SWARMDECK_CONFIG # lab down: built-in defaults
KEYS="$ROOT/tests/fixtures/keys"
ESC=$(printf '\033')
SOCK="$TMP/tmux.sock"
at_exit "tmux -S '$SOCK' kill-server"

# ---- --keys: every shipped keymap against its saved copy ----
# (lib.sh's check uses $name: the loops here use other names)
for file in keymaps/*.yaml; do
	km=$(basename "$file" .yaml)
	"$SD" --keys --keymap "$km" > "$TMP/keys-$km.txt" 2> "$TMP/keys-$km.err"
	rc=$?
	if [ -n "${SD_UPDATE_GOLDEN:-}" ] && [ $rc -eq 0 ]; then
		mkdir -p "$KEYS" && cp "$TMP/keys-$km.txt" "$KEYS/$km.txt"
	fi
	if [ $rc -eq 0 ] && diff -u "$KEYS/$km.txt" "$TMP/keys-$km.txt" > "$TMP/keys-$km.diff" 2>&1; then
		ok "--keys --keymap $km is tests/fixtures/keys/$km.txt"
	else
		not_ok "--keys --keymap $km is tests/fixtures/keys/$km.txt (exit $rc; SD_UPDATE_GOLDEN=1 rewrites it)"
		cat "$TMP/keys-$km.err" "$TMP/keys-$km.diff" | sed 's/^/#   /' | head -n 40
	fi
done
stale=""
for saved in "$KEYS"/*.txt; do
	[ -f "keymaps/$(basename "$saved" .txt).yaml" ] || stale="$stale $(basename "$saved")"
done
check "every saved listing is of a shipped keymap (stale:${stale:- none})" [ -z "$stale" ]

# ---- a user's keymap extends the active one ----
user="$XDG_CONFIG_HOME/swarmdeck/keymap.yaml"
mkdir -p "$XDG_CONFIG_HOME/swarmdeck"
cat > "$user" <<'YAML'
generic:
  q: none
  Q: quit
nodes:
  d: node.pause
  x: node.drain
YAML
# the lines the user's file touches, and the header naming it
touched='^# user keymap |^generic +[qQ] |^nodes +[dx] '
for km in default vim; do
	"$SD" --keys --keymap "$km" > "$TMP/user-$km.txt" 2> "$TMP/user-$km.err"
	rc=$?
	check "user keymap over $km: --keys exits 0 ($(head -c 200 "$TMP/user-$km.err"))" [ $rc -eq 0 ]
	check "user keymap over $km: --keys names $user" grep -qxF "# user keymap $user" "$TMP/user-$km.txt"
	check "user keymap over $km: q is unbound" sh -c "! grep -Eq '^generic +q ' '$TMP/user-$km.txt'"
	check "user keymap over $km: Q quits" grep -Eq '^generic +Q +quit ' "$TMP/user-$km.txt"
	check "user keymap over $km: d pauses a node" grep -Eq '^nodes +d +node\.pause ' "$TMP/user-$km.txt"
	check "user keymap over $km: x drains a node" grep -Eq '^nodes +x +node\.drain ' "$TMP/user-$km.txt"
	grep -Ev "$touched" "$KEYS/$km.txt" > "$TMP/rest-saved-$km.txt"
	grep -Ev "$touched" "$TMP/user-$km.txt" > "$TMP/rest-user-$km.txt"
	check "user keymap over $km: every other binding stays" \
		diff -u "$TMP/rest-saved-$km.txt" "$TMP/rest-user-$km.txt"
done
"$SD" --check-config > "$TMP/check.out" 2>&1
rc=$?
check "--check-config reads the user keymap ($(tr '\n' ' ' < "$TMP/check.out"))" \
	sh -c "[ $rc -eq 0 ] && grep -qxF 'user keymap $user: ok' '$TMP/check.out'"
# without XDG_CONFIG_HOME the file is ~/.config/swarmdeck/keymap.yaml
mkdir -p "$HOME/.config/swarmdeck"
printf 'services:\n  <F5>: service.scale\n' > "$HOME/.config/swarmdeck/keymap.yaml"
env -u XDG_CONFIG_HOME "$SD" --keys > "$TMP/home.txt" 2>&1
check "without XDG_CONFIG_HOME, ~/.config/swarmdeck/keymap.yaml is read" \
	grep -Eq '^services +<F5> +service\.scale ' "$TMP/home.txt"
rm -rf "$HOME/.config"
# a bad user keymap stops everything, naming its line and column
printf 'generic:\n  Q: quit\nnodes:\n  x: node.drian\n' > "$user"
"$SD" --keys > "$TMP/bad-user.out" 2> "$TMP/bad-user.err"
rc=$?
check "a bad user keymap: --keys exits 2 naming keymap.yaml:4:6 ($(cat "$TMP/bad-user.err"))" \
	sh -c "[ $rc -eq 2 ] && grep -qF '$user:4:6: unknown action' '$TMP/bad-user.err' && [ ! -s '$TMP/bad-user.out' ]"
timeout 20 "$SD" --watch < /dev/null > "$TMP/bad-user-watch.out" 2>&1
rc=$?
check "a bad user keymap: the console does not start (exit $rc)" \
	sh -c "[ $rc -eq 2 ] && ! grep -q '$ESC' '$TMP/bad-user-watch.out'"
rm -f "$user"

# ---- bad theme and keymap files (test_config.sh has the unknown colour, the unknown action
# and the key bound twice) ----
# refused NAME PATTERN ARGS...: exit 2, PATTERN on stderr, and no screen drawn
refused() {
	what=$1 pattern=$2
	shift 2
	timeout 20 "$SD" --watch "$@" < /dev/null > "$TMP/refused.out" 2> "$TMP/refused.err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qF "$pattern" "$TMP/refused.err" && [ ! -s "$TMP/refused.out" ]; then
		ok "$what: exit 2 naming $pattern, no screen"
	else
		not_ok "$what: exit 2 naming $pattern, no screen (exit $rc: $(head -c 200 "$TMP/refused.err"))"
	fi
}
printf 'header:\n  fg: red\nsucess:\n  fg: green\n' > "$TMP/role-theme.yaml"
refused "a theme with an unknown role" "role-theme.yaml:3:1: unknown role 'sucess'" \
	--theme "$TMP/role-theme.yaml"
printf 'ok: {fg: "#00ff7"}\n' > "$TMP/hex-theme.yaml"
refused "a theme with a short #rrggbb" "hex-theme.yaml:1:10: unknown colour '#00ff7'" \
	--theme "$TMP/hex-theme.yaml"
printf 'generic:\n  q: quit\nnodes:\n  <Entr>: open\n' > "$TMP/key-keymap.yaml"
refused "a keymap with an unknown key name" "key-keymap.yaml:4:3: unknown key name '<Entr>'" \
	--keymap "$TMP/key-keymap.yaml"
printf 'generic:\n  q: none\n' > "$TMP/none-keymap.yaml"
refused "none is for the user's keymap only" "none-keymap.yaml:2:6: unknown action 'none'" \
	--keymap "$TMP/none-keymap.yaml"

# ---- themes rendered by the real binary in tmux ----
# render NAME "ENV=..." ARGS...: the console in a 200x50 tmux window until the nodes pane
# shows (and the lab's rows, when the lab answers); $TMP/NAME.ansi keeps the escape
# sequences, $TMP/NAME.txt is the plain screen.
screen_has() { tmux -S "$SOCK" capture-pane -p -t "$1" 2>/dev/null | grep -Eq "$2"; }
render() {
	session=$1 envs=$2
	shift 2
	tmux -S "$SOCK" new-session -d -s "$session" -x 200 -y 50 \
		"env TERM=xterm-256color LINES=50 COLUMNS=200 $envs $SD --watch $* 2> $TMP/$session.err; sleep 60"
	if ! wait_until 30 screen_has "$session" '1 Nodes'; then
		tmux -S "$SOCK" capture-pane -p -t "$session" > "$TMP/$session.txt" 2>/dev/null
		sed 's/^/#   /' "$TMP/$session.err" "$TMP/$session.txt" | head -n 20
		tmux -S "$SOCK" kill-session -t "$session" 2>/dev/null
		return 1
	fi
	wait_until 15 screen_has "$session" 'iot-guardian_' || note "$session: no services on screen (lab down?)"
	tmux -S "$SOCK" capture-pane -p -e -t "$session" > "$TMP/$session.ansi"
	tmux -S "$SOCK" capture-pane -p -t "$session" > "$TMP/$session.txt"
	tmux -S "$SOCK" kill-session -t "$session"
}
# the parameters of every SGR sequence of FILE, one a line
sgr_params() { grep -o "$ESC\[[0-9;:]*m" "$1" | sed "s/^$ESC\[//; s/m\$//" | tr ';:' '\n\n'; }
# a colour was set: 30-38, 40-48, 90-97, 100-107 (39 and 49 are the terminal's own colours)
has_colour() { sgr_params "$1" | grep -Eqx '3[0-8]|4[0-8]|9[0-7]|10[0-7]'; }
no_colour() { ! has_colour "$1"; }
# a line starts in reverse video
starts_reverse() { grep -Eq "^($ESC\[[0-9;]*m)*$ESC\[([0-9]+;)*7(;[0-9]+)*m"; }
# the selected service's row is in reverse video
cursor_reverse() { grep -E "^($ESC\[[0-9;]*m)*iot-guardian_" "$1" | starts_reverse; }
# the header (white on blue in the default theme) is reverse video, as in monochrome
header_reverse() { head -n 1 "$1" | starts_reverse; }

for file in themes/*.yaml; do
	theme=$(basename "$file" .yaml)
	if ! render "theme-$theme" "" --theme "$theme"; then
		not_ok "theme $theme: the console shows the nodes pane in tmux"
		continue
	fi
	ok "theme $theme: the console shows the nodes pane in tmux"
	if [ "$theme" = monochrome ]; then
		check "theme $theme: no colour escapes" no_colour "$TMP/theme-$theme.ansi"
	else
		check "theme $theme: colours on screen (SGR 3x/4x/38/48)" has_colour "$TMP/theme-$theme.ansi"
	fi
done

# "#rrggbb": slots from the top of the palette where the terminal can change colours
# (xterm-256color), the nearest 256-colour entry where it cannot (screen-256color)
printf 'header: {fg: "#00ff7f", bg: "#102030", bold: true}\nok: {fg: "#00ff7f"}\nwarning: {fg: 255}\n' \
	> "$TMP/rgb-theme.yaml"
if render rgb-ccc "" --theme "$TMP/rgb-theme.yaml"; then
	# 255 is named by the theme and stays; #00ff7f takes 254, #102030 253
	check "#rrggbb on xterm-256color: its own palette slots (38;5;254 48;5;253)" \
		sh -c "grep -qF '${ESC}[38;5;254m' '$TMP/rgb-ccc.ansi' && grep -qF '${ESC}[48;5;253m' '$TMP/rgb-ccc.ansi'"
else
	not_ok "#rrggbb on xterm-256color: the console starts"
fi
if render rgb-nearest "TERM=screen-256color" --theme "$TMP/rgb-theme.yaml"; then
	check "#rrggbb on screen-256color: the nearest cube entry (38;5;48)" \
		grep -qF "${ESC}[38;5;48m" "$TMP/rgb-nearest.ansi"
else
	not_ok "#rrggbb on screen-256color: the console starts"
fi

# NO_COLOR (no theme named): monochrome; a terminal without colours: attributes only, even
# with a colour theme named
for case in "no-color NO_COLOR=1" "mono-terminal TERM=xterm-mono" "mono-terminal-default TERM=xterm-mono --theme default"; do
	set -- $case
	session=$1 envs=$2
	shift 2
	if ! render "$session" "$envs" "$@"; then
		not_ok "$session: the console shows the nodes pane in tmux"
		continue
	fi
	check "$session ($envs $*): no colour escapes" no_colour "$TMP/$session.ansi"
	check "$session: attributes still show (bold, reverse)" sh -c "
		grep -Eq '$ESC\[([0-9]+;)*1(;[0-9]+)*m' '$TMP/$session.ansi' &&
		grep -Eq '$ESC\[([0-9]+;)*7(;[0-9]+)*m' '$TMP/$session.ansi'"
	check "$session: the header is reverse video, as in monochrome" header_reverse "$TMP/$session.ansi"
	if grep -q 'iot-guardian_' "$TMP/$session.txt"; then
		check "$session: the cursor row is reverse video" cursor_reverse "$TMP/$session.ansi"
	else
		skip "$session: the cursor row is reverse video" "no services on screen (lab down?)"
	fi
done
