# test_install.sh - swarmdeck installed like any Unix tool. Without root or the lab: `make
# install` into a staging folder puts every file in place, the installed man page's key and
# action tables are what `--keys` prints, the completion offers options, names, drill files
# and clusters, named themes and keymaps come from the user's folder, `--version` names the
# libraries and `--version --check` the Engine API negotiated with the quick tier's fake
# engine (with GETs only), and `make uninstall` leaves only what a site added. As root with
# apt, the Debian package: its Depends cover every library the binary links, `apt-get install
# ./swarmdeck_*.deb` installs it, `swarmdeck --version` runs from /usr/bin, the installed
# folder's themes are found by name, and `apt-get remove` leaves nothing behind.
#
# It leaves the machine as it found it: the package is removed however the script ends, and
# the Debian part is skipped when a swarmdeck is already installed here or apt would have to
# install anything else with it. It builds the package in build/deb, never touches the lab,
# and never rebuilds ./swarmdeck (the staging install uses the default PREFIX it was built
# with).
SD_NO_LAB=1
. "$(dirname "$0")/lib.sh"
plan 21
unset SWARMDECK_CONFIG DOCKER_HOST
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
STAGE="$TMP/stage"
PREFIX=/usr/local
chmod 755 "$TMP" # apt's sandbox user reads the package from here

# ---- make install into a staging folder ----
make -s install DESTDIR="$STAGE" > "$TMP/install.out" 2>&1
rc=$?
missing=""
for f in bin/swarmdeck share/man/man1/swarmdeck.1 share/bash-completion/completions/swarmdeck \
	share/doc/swarmdeck/config.example.yaml share/doc/swarmdeck/README.md; do
	[ -f "$STAGE$PREFIX/$f" ] || missing="$missing $f"
done
for f in themes/*.yaml keymaps/*.yaml; do
	[ -f "$STAGE$PREFIX/share/swarmdeck/$f" ] || missing="$missing share/swarmdeck/$f"
done
for f in tests/drills/*.yaml; do
	[ -f "$STAGE$PREFIX/share/swarmdeck/drills/$(basename "$f")" ] || missing="$missing drills/$(basename "$f")"
done
[ -x "$STAGE$PREFIX/bin/swarmdeck" ] || missing="$missing (bin/swarmdeck not executable)"
if [ $rc -eq 0 ] && [ -z "$missing" ]; then
	ok "make install DESTDIR=... puts the binary, man page, completion, themes, keymaps, drills and docs in place"
else
	not_ok "make install DESTDIR=... (exit $rc; missing:$missing)"
	tail -n 5 "$TMP/install.out" | sed 's/^/#   /'
fi
BIN="$STAGE$PREFIX/bin/swarmdeck"

# ---- --version ----
"$BIN" --version > "$TMP/version.txt" 2>&1
rc=$?
bad=""
head -n 1 "$TMP/version.txt" | grep -qx "swarmdeck $VERSION" || bad="$bad first-line"
for lib in libcurl libpq hiredis jansson libyaml ncurses; do
	grep -Eq "^$lib +[0-9]" "$TMP/version.txt" || bad="$bad $lib"
done
if [ $rc -eq 0 ] && [ -z "$bad" ]; then
	ok "--version names swarmdeck $VERSION and the versions of libcurl, libpq, hiredis, jansson, libyaml, ncurses (wrong:${bad:- none})"
else
	not_ok "--version names swarmdeck $VERSION and the versions of libcurl, libpq, hiredis, jansson, libyaml, ncurses (wrong:${bad:- none})"
fi

# ---- --version --check: the Engine API negotiated, read-only ----
ENGINE=${SD_CHECK_ENGINE:-build/check/fake-engine}
[ -x "$ENGINE" ] || make -s "$ENGINE" > /dev/null 2>&1
if [ -x "$ENGINE" ]; then
	"$ENGINE" "$TMP/engine.sock" --fixtures tests/fixtures/docker --log "$TMP/requests.log" \
		> "$TMP/engine.out" 2>&1 &
	engine_pid=$!
	at_exit "kill $engine_pid"
	wait_until 10 grep -q ready "$TMP/engine.out"
	DOCKER_HOST="unix://$TMP/engine.sock" "$BIN" --version --check > "$TMP/check.txt" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "Engine API 1.41 negotiated" "$TMP/check.txt" &&
		grep -q '^GET ' "$TMP/requests.log" && ! grep -qv '^GET ' "$TMP/requests.log"; then
		ok "--version --check prints the Engine API version negotiated (1.41 with the fake engine), with GET requests only"
	else
		not_ok "--version --check against the fake engine (exit $rc)"
		cat "$TMP/check.txt" "$TMP/requests.log" 2>/dev/null | sed 's/^/#   /' | head -n 12
	fi
else
	skip "--version --check against the fake engine" "build/check/fake-engine could not be built"
fi
DOCKER_HOST="unix://$TMP/nothing.sock" "$BIN" --version --check > "$TMP/check-down.txt" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "not reached" "$TMP/check-down.txt"; then
	ok "--version --check with no engine: exit 1 and says it was not reached (exit $rc)"
else
	not_ok "--version --check with no engine: exit 1 and says it was not reached (exit $rc)"
fi

# ---- the installed man page: its tables are the registry and the default keymap ----
PAGE="$STAGE$PREFIX/share/man/man1/swarmdeck.1"
LC_ALL=C MANWIDTH=250 man --warnings -l "$PAGE" > "$TMP/man.txt" 2> "$TMP/man.err"
rc=$?
missing=""
for s in NAME SYNOPSIS DESCRIPTION OPTIONS KEYS ACTIONS FILES ENVIRONMENT "EXIT STATUS" \
	"SNAPSHOT JSON" DRILLS; do
	grep -qx "$s" "$TMP/man.txt" || missing="$missing '$s'"
done
if [ $rc -eq 0 ] && [ ! -s "$TMP/man.err" ] && [ -z "$missing" ]; then
	ok "man -l renders the installed page with no warnings and every section (missing:${missing:- none})"
else
	not_ok "man -l renders the installed page with no warnings and every section (missing:${missing:- none})"
fi

# "scope key action" of every binding: from --keys, and from the man page's KEYS tables
"$BIN" --keys | awk '!/^#/ {print $1, $2, $3}' | LC_ALL=C sort > "$TMP/keys.want"
awk -F '   +' '
	/^KEYS$/ {inside = 1; next}
	/^ACTIONS$/ {inside = 0}
	inside && /^   [a-z]+$/ {scope = $2; next}
	inside && scope != "" && /^       / && $2 != "KEYS" {
		n = split($2, keys, " ")
		for (i = 1; i <= n; i++) print scope, keys[i], $3
	}' "$TMP/man.txt" | LC_ALL=C sort > "$TMP/keys.man"
if [ -s "$TMP/keys.want" ] && diff -u "$TMP/keys.want" "$TMP/keys.man" > "$TMP/keys.diff"; then
	ok "the man page's key table is every binding --keys prints ($(wc -l < "$TMP/keys.want") bindings)"
else
	not_ok "the man page's key table differs from --keys"
	sed 's/^/#   /' "$TMP/keys.diff" | head -n 20
fi
# every action a shipped keymap binds has its row in ACTIONS (with its default keys)
sed -n '/^ACTIONS$/,/^CONFIGURATION$/p' "$TMP/man.txt" | awk -F '   +' '/^       / {print $2}' \
	> "$TMP/actions.man"
missing=""
for km in keymaps/*.yaml; do
	for a in $("$BIN" --keys --keymap "$(basename "$km" .yaml)" | awk '!/^#/ {print $3}' | sort -u); do
		grep -qx "$a" "$TMP/actions.man" || missing="$missing $a"
	done
done
if [ -s "$TMP/actions.man" ] && [ -z "$missing" ]; then
	ok "every action the shipped keymaps bind has a row in the man page's ACTIONS (missing:${missing:- none})"
else
	not_ok "every action the shipped keymaps bind has a row in the man page's ACTIONS (missing:${missing:- none})"
fi

# ---- bash completion ----
COMP="$STAGE$PREFIX/share/bash-completion/completions/swarmdeck"
# complete WORD...: what the completion offers for the last word, one per line
cat > "$TMP/complete.bash" <<'EOF'
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMPREPLY=()
_swarmdeck swarmdeck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF
complete_words() { bash "$TMP/complete.bash" "$COMP" "$@" 2> "$TMP/complete.err"; }
"$BIN" --help | grep -o -- '--[a-z][a-z-]*' | LC_ALL=C sort -u > "$TMP/options.want"
echo --help >> "$TMP/options.want"
LC_ALL=C sort -u -o "$TMP/options.want" "$TMP/options.want"
complete_words swarmdeck '' | LC_ALL=C sort > "$TMP/options.got"
if diff "$TMP/options.want" "$TMP/options.got" && [ "$(complete_words swarmdeck --th)" = "--theme" ]; then
	ok "completion offers every option of --help ($(wc -l < "$TMP/options.want")), and --th completes to --theme"
else
	not_ok "completion offers every option of --help ($(wc -l < "$TMP/options.want")), and --th completes to --theme"
fi

mkdir -p "$XDG_CONFIG_HOME/swarmdeck/themes" "$XDG_CONFIG_HOME/swarmdeck/keymaps"
printf 'ok: {fg: green, bold: true}\n' > "$XDG_CONFIG_HOME/swarmdeck/themes/sdtest-night.yaml"
printf 'generic:\n  Q: quit\n' > "$XDG_CONFIG_HOME/swarmdeck/keymaps/sdtest-mine.yaml"
want=$( (ls themes; echo sdtest-night.yaml) | sed 's/\.yaml$//' | LC_ALL=C sort | tr '\n' ' ')
got=$(complete_words swarmdeck --theme '' | LC_ALL=C sort | tr '\n' ' ')
check "completion of --theme: the built-in themes and the user's ($got)" [ "$got" = "$want" ]
got=$(complete_words swarmdeck --keymap sdtest | tr '\n' ' ')
check "completion of --keymap sdtest: the user's keymap ($got)" [ "$got" = "sdtest-mine " ]

mkdir -p "$TMP/drills/sub"
: > "$TMP/drills/a.yaml"
: > "$TMP/drills/b.yml"
: > "$TMP/drills/notes.txt"
got=$(complete_words swarmdeck --headless --play "$TMP/drills/" | sed "s|^$TMP/drills/||" | LC_ALL=C sort | tr '\n' ' ')
check "completion of --play: drill files and folders, not other files ($got)" [ "$got" = "a.yaml b.yml sub " ]

cat > "$TMP/clusters.yaml" <<'YAML'
# two clusters, as a config naming several has them
clusters:
  prod:
    docker: {host: "unix:///run/prod.sock"}
    protected: true
  "beta":
    docker:
      host: tcp://beta:2376
interval: 3
YAML
got=$(complete_words swarmdeck --config "$TMP/clusters.yaml" --cluster '' | tr '\n' ' ')
got2=$(printf 'clusters: {prod: {docker: {host: "unix:///a"}}, beta: {}}\n' > "$TMP/flow.yaml" &&
	SWARMDECK_CONFIG="$TMP/flow.yaml" complete_words swarmdeck --cluster b | tr '\n' ' ')
if [ "$got" = "prod beta " ] && [ "$got2" = "beta " ]; then
	ok "completion of --cluster: the config's cluster names, block ($got) and flow style ($got2)"
else
	not_ok "completion of --cluster: the config's cluster names, block ($got) and flow style ($got2)"
fi

# ---- named themes and keymaps from the user's folder, through the binary ----
"$BIN" --theme sdtest-night --keymap sdtest-mine --check-config > "$TMP/named.txt" 2>&1
rc=$?
"$BIN" --keymap sdtest-mine --keys > "$TMP/named-keys.txt" 2>&1
if [ $rc -eq 0 ] && grep -q "^theme $XDG_CONFIG_HOME/swarmdeck/themes/sdtest-night.yaml: ok" "$TMP/named.txt" &&
	grep -Eq '^generic +Q +quit' "$TMP/named-keys.txt"; then
	ok "--theme NAME and --keymap NAME read \$XDG_CONFIG_HOME/swarmdeck/{themes,keymaps}/NAME.yaml (exit $rc)"
else
	not_ok "--theme NAME and --keymap NAME read \$XDG_CONFIG_HOME/swarmdeck/{themes,keymaps}/NAME.yaml (exit $rc)"
fi

# ---- make uninstall: only what a site added is left ----
printf 'ok: {fg: blue}\n' > "$STAGE$PREFIX/share/swarmdeck/themes/site.yaml"
make -s uninstall DESTDIR="$STAGE" > "$TMP/uninstall.out" 2>&1
rc=$?
left=$(cd "$STAGE" && find . -type f | sort | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$left" = "./usr/local/share/swarmdeck/themes/site.yaml " ] &&
	[ ! -d "$STAGE$PREFIX/share/doc/swarmdeck" ] && [ ! -d "$STAGE$PREFIX/share/swarmdeck/drills" ]; then
	ok "make uninstall removes every installed file and keeps a site's own theme (left: $left)"
else
	not_ok "make uninstall removes every installed file and keeps a site's own theme (left: $left)"
fi

# ---- the Debian package ----
DEB_CHECKS=7
deb_skip() {
	for i in $(seq 1 $DEB_CHECKS); do skip "Debian package check $i" "$1"; done
	exit 0
}
[ "$(id -u)" -eq 0 ] || deb_skip "needs root (apt-get install)"
command -v apt-get > /dev/null && command -v dpkg-deb > /dev/null && command -v dpkg-shlibdeps > /dev/null ||
	deb_skip "needs apt-get, dpkg-deb and dpkg-shlibdeps"
if dpkg-query -W -f '${db:Status-Abbrev}' swarmdeck 2>/dev/null | grep -q '^.[^n]' ||
	[ -e /usr/bin/swarmdeck ] || [ -e /usr/share/swarmdeck ]; then
	deb_skip "a swarmdeck is already installed on this machine: it is left alone"
fi

rm -f swarmdeck_*.deb
make -s deb > "$TMP/deb.out" 2>&1
rc=$?
DEB=$(ls swarmdeck_"$VERSION"_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] && cp "$DEB" "$TMP/" && DEB="$TMP/$(basename "$DEB")"
if [ $rc -ne 0 ] || [ -z "$DEB" ]; then
	not_ok "make deb builds swarmdeck_${VERSION}_ARCH.deb (exit $rc)"
	tail -n 5 "$TMP/deb.out" | sed 's/^/#   /'
	for i in $(seq 2 $DEB_CHECKS); do skip "Debian package check $i" "no package"; done
	exit 0
fi
ok "make deb builds $(basename "$DEB") with dpkg-deb"

# Depends: the package of every library the binary links (its NEEDED entries, as ldd
# resolves them here)
depends=$(dpkg-deb -f "$DEB" Depends)
missing=""
ldd build/deb/swarmdeck > "$TMP/ldd.txt"
for soname in $(objdump -p build/deb/swarmdeck | awk '$1 == "NEEDED" {print $2}'); do
	lib=$(awk -v so="$soname" '$1 == so && $3 ~ /^\// {print $3}' "$TMP/ldd.txt")
	[ -n "$lib" ] || { missing="$missing $soname(not found)"; continue; }
	real=$(readlink -f "$lib")
	pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null)
	pkg=${pkg%%:*}
	[ -n "$pkg" ] || { missing="$missing $lib(no package)"; continue; }
	echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$pkg" || missing="$missing $pkg"
done
if [ -n "$depends" ] && [ -z "$missing" ]; then
	ok "Depends ($depends) names the package of every library the binary links directly (missing:${missing:- none})"
else
	not_ok "Depends ($depends) names the package of every library the binary links directly (missing:${missing:- none})"
fi

# apt must have nothing to install but swarmdeck, or removing it would not restore the machine
apt-get -s install "$DEB" > "$TMP/apt-sim.txt" 2>&1
others=$(grep '^Inst ' "$TMP/apt-sim.txt" | awk '$2 != "swarmdeck" {print $2}' | tr '\n' ' ')
if [ -n "$others" ] || ! grep -q '^Inst swarmdeck ' "$TMP/apt-sim.txt"; then
	for i in $(seq 3 $DEB_CHECKS); do
		skip "Debian package check $i" "apt-get would install more than swarmdeck (${others:-?}): left alone"
	done
	exit 0
fi
# what the package will own, and which of those paths exist before it comes
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$' > "$TMP/owned.txt"
while read -r p; do [ -e "$p" ] && echo "$p"; done < "$TMP/owned.txt" > "$TMP/before.txt"
at_exit "dpkg-query -W swarmdeck >/dev/null 2>&1 && apt-get remove -y -o DPkg::Lock::Timeout=120 swarmdeck"
at_exit "rm -f /usr/share/swarmdeck/themes/sdtest-site.yaml"

DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=120 "$DEB" \
	> "$TMP/apt-install.txt" 2>&1
rc=$?
status=$(dpkg-query -W -f '${Status} ${Version}' swarmdeck 2>/dev/null)
if [ $rc -eq 0 ] && [ "$status" = "install ok installed $VERSION" ]; then
	ok "apt-get install ./$(basename "$DEB") installs it ($status)"
else
	not_ok "apt-get install ./$(basename "$DEB") installs it ($status)"
fi
[ $rc -eq 0 ] || tail -n 5 "$TMP/apt-install.txt" | sed 's/^/#   /'

out=$(env -i PATH=/usr/bin:/bin HOME="$HOME" sh -c 'command -v swarmdeck && swarmdeck --version' 2>&1)
if [ "$(echo "$out" | head -n 1)" = /usr/bin/swarmdeck ] &&
	[ "$(echo "$out" | sed -n 2p)" = "swarmdeck $VERSION" ] && echo "$out" | grep -Eq '^libpq +[0-9]'; then
	ok "swarmdeck --version runs from /usr/bin: $(echo "$out" | head -n 2 | tr '\n' ' ')"
else
	not_ok "swarmdeck --version runs from /usr/bin: $(echo "$out" | head -n 2 | tr '\n' ' ')"
fi

page=$(man -w swarmdeck 2>/dev/null)
printf 'ok: {fg: cyan}\n' > /usr/share/swarmdeck/themes/sdtest-site.yaml
/usr/bin/swarmdeck --theme sdtest-site --check-config > "$TMP/site.txt" 2>&1
rc=$?
rm -f /usr/share/swarmdeck/themes/sdtest-site.yaml
if [ "$page" = /usr/share/man/man1/swarmdeck.1.gz ] && [ $rc -eq 0 ] &&
	grep -q "^theme /usr/share/swarmdeck/themes/sdtest-site.yaml: ok" "$TMP/site.txt" &&
	[ -f /usr/share/bash-completion/completions/swarmdeck ]; then
	ok "man finds $page; a theme put in /usr/share/swarmdeck/themes is found by name (exit $rc)"
else
	not_ok "man finds $page; a theme put in /usr/share/swarmdeck/themes is found by name (exit $rc)"
fi

DEBIAN_FRONTEND=noninteractive apt-get remove -y -o DPkg::Lock::Timeout=120 swarmdeck \
	> "$TMP/apt-remove.txt" 2>&1
rc=$?
status=$(dpkg-query -W -f '${db:Status-Abbrev}' swarmdeck 2>/dev/null)
if [ $rc -eq 0 ] && { [ -z "$status" ] || [ "${status%% *}" = un ]; }; then
	ok "apt-get remove swarmdeck removes it (exit $rc, status '${status:-unknown}')"
else
	not_ok "apt-get remove swarmdeck removes it (exit $rc, status '${status:-unknown}')"
fi

left=""
while read -r p; do
	[ -e "$p" ] || continue
	grep -qx "$p" "$TMP/before.txt" || left="$left $p"
done < "$TMP/owned.txt"
for p in /var/lib/dpkg/info/swarmdeck.*; do [ -e "$p" ] && left="$left $p"; done
check "apt-get remove leaves nothing behind of the $(wc -l < "$TMP/owned.txt") paths it had (left:${left:- none})" \
	[ -z "$left" ]
