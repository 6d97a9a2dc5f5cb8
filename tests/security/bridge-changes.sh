#!/bin/sh
# Issue 19's attacks through change requests, by an enrolled agent (the
# worst case: its distro's root is hostile): a change the Windows user did
# not allow for that distro is refused with the reason and writes nothing;
# 300 toggles in a burst apply at most STATE_CHANGE_BURST (6) and leave at
# most 5 backups (810b661: 303); a repeated change writes nothing; a
# symlinked .wslconfig stays a symlink and its target gets the value; Docker
# Desktop's numbers nobody asked to change keep their text (1.10, 1e2).
# Real bridge on a unix socket; WSLDOCK_BRIDGE=an older build shows the
# attacks succeed there.
. "$top_srcdir/tests/bridge/lib.sh"
require jq
ATTACK="python3 $top_srcdir/tests/security/bridge_attacks.py"
ALLOW=
"$BRIDGE" --help | grep -q -- --allow-changes &&
	ALLOW="--allow-changes Ubuntu=integration,wslconfig.wsl2.swap"
S=$tmp/settings-store.json
mkdir -p "$tmp/dotfiles"
printf '{\n  "AutoStart": false,\n  "Ratio": 1e2,\n  "Version": 1.10,\n  "IntegratedWslDistros": [\n    "Debian"\n  ],\n  "WslEngineEnabled": true\n}\n' >"$S"
printf '[wsl2]\nmemory = 12GB\nswap = 0\n' >"$tmp/dotfiles/wslconfig"
ln -s "$tmp/dotfiles/wslconfig" "$tmp/wslconfig"
W=$tmp/wslconfig
backups() { find "$tmp" -maxdepth 1 -name "$(basename "$1").wsldock-backup*" | wc -l; }
# shellcheck disable=SC2086
start_bridge --listen "unix:$tmp/b.sock" --docker-settings "$S" --wslconfig "$W" $ALLOW

cp "$tmp/dotfiles/wslconfig" "$tmp/w.before"
$ATTACK change "unix:$tmp/b.sock" Ubuntu wslconfig wsl2.memory 1MB >"$tmp/c1"
$ATTACK change "unix:$tmp/b.sock" Debian enable >"$tmp/c2"
if jq -e '.result == "refused" and (.message | test("may not change wslconfig.wsl2.memory"))' "$tmp/c1" >/dev/null &&
	jq -e '.result == "refused" and (.message | test("Debian may not change integration"))' "$tmp/c2" >/dev/null &&
	cmp -s "$tmp/dotfiles/wslconfig" "$tmp/w.before"; then
	pass "changes not allowed for the distro are refused with the reason, nothing written"
else fail "a change not allowed for the distro: $(cat "$tmp/c1" "$tmp/c2")"; fi

$ATTACK change "unix:$tmp/b.sock" Ubuntu wslconfig wsl2.swap 2GB >"$tmp/c3"
if jq -e '.result == "needs-restart"' "$tmp/c3" >/dev/null && [ -L "$W" ] &&
	grep -q '^swap = 2GB$' "$tmp/dotfiles/wslconfig" && grep -q '^memory = 12GB$' "$tmp/dotfiles/wslconfig"; then
	pass "a symlinked .wslconfig stays a symlink; its target gets the value"
else fail "symlinked .wslconfig: link $( [ -L "$W" ] && echo kept || echo replaced), target: $(tr '\n' ' ' <"$tmp/dotfiles/wslconfig"), result $(cat "$tmp/c3")"; fi

$ATTACK change "unix:$tmp/b.sock" Ubuntu enable >"$tmp/c4"
if jq -e '.result == "applied" and .changed' "$tmp/c4" >/dev/null &&
	grep -q '"Version": 1.10,$' "$S" && grep -q '"Ratio": 1e2,$' "$S" && jq -e '.IntegratedWslDistros == ["Debian","Ubuntu"]' "$S" >/dev/null; then
	pass "an integration change keeps 1.10 and 1e2 as written"
else fail "numbers nobody asked to change were rewritten: $(grep -E 'Version|Ratio' "$S" | tr -d '\n')"; fi
n=$(backups "$S")
$ATTACK change "unix:$tmp/b.sock" Ubuntu enable >"$tmp/c5"
jq -e '.result == "applied" and (.changed | not)' "$tmp/c5" >/dev/null && [ "$(backups "$S")" = "$n" ] &&
	pass "a repeated change is a no-op: no write, no backup" || fail "repeat: $(cat "$tmp/c5"), backups $n -> $(backups "$S")"

stop_bridge
# shellcheck disable=SC2086
start_bridge --listen "unix:$tmp/b.sock" --docker-settings "$S" --wslconfig "$W" $ALLOW
$ATTACK toggle "unix:$tmp/b.sock" Ubuntu 300 >"$tmp/t1"; cat "$tmp/t1"
changed=$(sed -n 's/.*"applied\/changed": \([0-9]*\).*/\1/p' "$tmp/t1")
nb=$(backups "$S")
echo "toggle: $nb backup files of the settings"
if [ "${changed:-0}" -le 6 ] && [ "$nb" -le 5 ] && grep -q '"refused": ' "$tmp/t1"; then
	pass "300 toggles: ${changed:-0} applied, the rest refused (rate), $nb backups kept"
else fail "300 toggles: ${changed:-0} changes applied and $nb backups (want <= 6 and <= 5)"; fi
finish
