#!/bin/sh
# The change appliers on copies of real-shaped files: Docker Desktop's
# settings-store.json (PascalCase, unknown keys) and settings.json
# (camelCase), .wslconfig with comments (LF and CRLF); by hand and through
# the protocol.  Run twice = no second change; backups beside the file;
# no BOM; broken files refused and left alone; --dry-run writes nothing.
. "$top_srcdir/tests/bridge/lib.sh"
require jq
require python3

backups() { find "$(dirname "$1")" -maxdepth 1 -name "$(basename "$1").wsldock-backup-*" | wc -l; }
# same_except KEY A B: the two JSON files agree on every key but KEY, in order.
same_except() {
	[ "$(jq -c "del(.$1)" "$2")" = "$(jq -c "del(.$1)" "$3")" ] &&
		[ "$(jq -c 'keys_unsorted' "$2")" = "$(jq -c 'keys_unsorted' "$3")" ]
}

# --- settings-store.json, PascalCase --------------------------------------
F=$tmp/settings-store.json
cp "$BFIX/settings-store.json" "$F"
"$BRIDGE" integration enable Ubuntu --docker-settings "$F" >"$tmp/out1" 2>&1; rc1=$?
"$BRIDGE" integration enable Ubuntu --docker-settings "$F" >"$tmp/out2" 2>&1; rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && pass "enable twice: exit 0 both times" || fail "enable exits $rc1 $rc2"
grep -qF 'IntegratedWslDistros: ["Debian"] -> ["Debian","Ubuntu"]' "$tmp/out1" && pass "the log line says exactly what changed" || fail "log line: $(cat "$tmp/out1")"
grep -q 'nothing to write' "$tmp/out2" && pass "the second run changes nothing" || fail "second run: $(cat "$tmp/out2")"
[ "$(jq '[.IntegratedWslDistros[] | select(. == "Ubuntu")] | length' "$F")" = 1 ] && pass "Ubuntu listed once" || fail "Ubuntu count"
same_except IntegratedWslDistros "$BFIX/settings-store.json" "$F" && pass "every other key and value kept, in order" || fail "other keys changed"
[ "$(jq -c '.XFutureKeyNobodyKnows' "$F")" = '{"Nested":[1,2.5,null,"é ✓"],"Flag":true}' ] && pass "unknown nested values kept byte-exact in meaning" || fail "unknown key: $(jq -c .XFutureKeyNobodyKnows "$F")"
[ "$(head -c 3 "$F" | od -An -tx1 | tr -d ' ')" != efbbbf ] && pass "no BOM" || fail "a BOM was written"
[ "$(backups "$F")" = 1 ] && pass "one backup beside the file" || fail "$(backups "$F") backups"
cmp -s "$BFIX/settings-store.json" "$(find "$tmp" -name 'settings-store.json.wsldock-backup-*' | head -1)" && pass "the backup is the original" || fail "backup differs"
grep -q '^  "IntegratedWslDistros": \[$' "$F" && pass "Desktop's two-space layout kept" || fail "layout: $(head -8 "$F")"

"$BRIDGE" integration disable ubuntu --docker-settings "$F" >"$tmp/out3" 2>&1
[ "$(jq -c '.IntegratedWslDistros' "$F")" = '["Debian"]' ] && pass "disable (any case) removes it" || fail "disable: $(jq -c .IntegratedWslDistros "$F")"
grep -q 'EnableIntegrationWithDefaultWslDistro is true' "$tmp/out3" && pass "disable notes the default-distro switch" || fail "no default-distro note"

# --dry-run: says what would change, writes nothing, no backup.
cp "$F" "$tmp/before"; nb=$(backups "$F")
"$BRIDGE" integration enable Alpine --docker-settings "$F" --dry-run >"$tmp/out4" 2>&1
cmp -s "$F" "$tmp/before" && [ "$(backups "$F")" = "$nb" ] && grep -q '^would change' "$tmp/out4" && pass "--dry-run writes nothing" || fail "--dry-run: $(cat "$tmp/out4")"

# --- settings.json, camelCase ---------------------------------------------
C=$tmp/settings.json
cp "$BFIX/settings.json" "$C"
"$BRIDGE" integration enable Ubuntu-22.04 --docker-settings "$C" >"$tmp/c1" 2>&1
[ "$(jq -c .integratedWslDistros "$C")" = '["Ubuntu-22.04"]' ] && ! jq -e 'has("IntegratedWslDistros")' "$C" >/dev/null &&
	pass "camelCase file keeps camelCase" || fail "camelCase: $(cat "$C")"
same_except integratedWslDistros "$BFIX/settings.json" "$C" && pass "camelCase: other keys kept" || fail "camelCase: other keys"
jq -n '{"autoStart": true, "wslEngineEnabled": true}' >"$tmp/nokey.json"
"$BRIDGE" integration enable Ubuntu --docker-settings "$tmp/nokey.json" >/dev/null 2>&1
[ "$(jq -c 'keys_unsorted' "$tmp/nokey.json")" = '["autoStart","wslEngineEnabled","integratedWslDistros"]' ] && pass "a missing key is added in the file's casing" || fail "missing key: $(cat "$tmp/nokey.json")"

# --- refusals: the file is left exactly as it was ---------------------------
refused() {  # NAME CONTENT-FILE EXPECTED-TEXT
	cp "$2" "$tmp/r.json"
	"$BRIDGE" integration enable Ubuntu --docker-settings "$tmp/r.json" >"$tmp/r.out" 2>&1; rc=$?
	if [ "$rc" = 1 ] && cmp -s "$2" "$tmp/r.json" && grep -q "$3" "$tmp/r.out" && [ "$(backups "$tmp/r.json")" = 0 ]; then
		pass "refused: $1 ($(head -1 "$tmp/r.out" | cut -c1-90)...)"
	else fail "$1: exit $rc: $(cat "$tmp/r.out")"; fi
}
: >"$tmp/empty"; refused "empty file" "$tmp/empty" "empty"
head -c 150 "$BFIX/settings-store.json" >"$tmp/trunc"; refused "truncated file" "$tmp/trunc" "not valid JSON: line"
printf '{"IntegratedWslDistros": "Ubuntu"}' >"$tmp/notlist"; refused "a non-list value" "$tmp/notlist" "is not a list"
printf '{"a": 1, "a": 2}' >"$tmp/dup"; refused "duplicate keys" "$tmp/dup" "duplicate"
"$BRIDGE" integration enable 'bad/name' --docker-settings "$F" >"$tmp/bn" 2>&1 && fail "bad distro name accepted" || pass "a distro name outside WSL's rule is refused"

# A BOM (Desktop cannot start with one) is removed even when nothing else changes.
printf '\357\273\277{"IntegratedWslDistros":["Ubuntu"]}' >"$tmp/bom.json"
"$BRIDGE" integration enable Ubuntu --docker-settings "$tmp/bom.json" >"$tmp/bom.out" 2>&1
[ "$(head -c 1 "$tmp/bom.json")" = "{" ] && grep -q 'byte-order mark removed' "$tmp/bom.out" && pass "a BOM is removed and said so" || fail "BOM: $(cat "$tmp/bom.out")"

# Docker Desktop running (its backend process, by name, as on a Linux host):
# the edit is made and the restart it needs is named.
mkdir "$tmp/dd"; cp "$(command -v sleep)" "$tmp/dd/com.docker.backend"
"$tmp/dd/com.docker.backend" 30 &
dd=$!
sleep 0.2
"$BRIDGE" integration enable Kali --docker-settings "$F" >"$tmp/dd.out" 2>&1
kill "$dd"; wait "$dd" 2>/dev/null
grep -q 'applies after `docker desktop restart`' "$tmp/dd.out" && grep -q 'docker desktop restart` to apply' "$tmp/dd.out" && pass "Desktop running: says the restart applies it" || fail "Desktop running: $(cat "$tmp/dd.out")"
"$BRIDGE" integration disable Kali --docker-settings "$F" >"$tmp/dd2.out" 2>&1
grep -q 'docker desktop restart' "$tmp/dd2.out" && fail "restart asked for with Desktop stopped" || pass "Desktop stopped: no restart asked"

# --- .wslconfig -----------------------------------------------------------
W=$tmp/wslconfig
cp "$BFIX/wslconfig" "$W"
"$BRIDGE" wslconfig set experimental.autoMemoryReclaim=gradual --wslconfig "$W" >"$tmp/w1" 2>&1; rc1=$?
"$BRIDGE" wslconfig set experimental.autoMemoryReclaim=gradual --wslconfig "$W" >"$tmp/w2" 2>&1; rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && grep -q 'nothing to write' "$tmp/w2" && pass "wslconfig set twice: one change" || fail "wslconfig: $rc1 $rc2 $(cat "$tmp/w1" "$tmp/w2")"
diff "$BFIX/wslconfig" "$W" >"$tmp/wdiff"
if [ "$(grep -c '^[<>]' "$tmp/wdiff")" = 2 ] && grep -qx '> AutoMemoryReclaim = gradual   # changed by hand in 2025' "$tmp/wdiff"; then
	pass "only the value changed: comments, casing, inline comment and other keys kept"
else fail "wslconfig diff:"; cat "$tmp/wdiff" >&2; fi
grep -q 'Experimental\] AutoMemoryReclaim: dropCache -> gradual' "$tmp/w1" && grep -q 'wsl --shutdown' "$tmp/w1" && pass "says what changed and that wsl --shutdown applies it" || fail "w1: $(cat "$tmp/w1")"
[ "$(backups "$W")" = 1 ] && pass ".wslconfig backup" || fail "$(backups "$W") .wslconfig backups"

R=$tmp/wslconfig-crlf
cp "$BFIX/wslconfig-crlf" "$R"
"$BRIDGE" wslconfig set experimental.autoMemoryReclaim=GRADUAL --wslconfig "$R" >"$tmp/r1" 2>&1
"$BRIDGE" wslconfig set wsl2.processors=4 --wslconfig "$R" >>"$tmp/r1" 2>&1
"$BRIDGE" wslconfig set wsl2.memory=8GB --wslconfig "$R" >>"$tmp/r1" 2>&1
python3 - "$BFIX/wslconfig-crlf" "$R" <<'PY' && pass "CRLF file: keys added in their sections with CRLF, the value replaced, the rest byte for byte" || fail "CRLF: $(cat "$tmp/r1")"
import sys
a = open(sys.argv[1], "rb").read().split(b"\r\n")
b = open(sys.argv[2], "rb").read().split(b"\r\n")
want = list(a)
want[2] = b"memory=8GB   # the VM may grow to this"
want.insert(want.index(b"sparseVhd=true") + 2, b"autoMemoryReclaim=gradual")
want.insert(want.index(b'kernelCommandLine = "sysctl.vm.swappiness=10"') + 1, b"processors=4")
if b != want:
    print(b, want)
    sys.exit(1)
PY
expect_refused() {  # ARG TEXT
	cp "$W" "$tmp/wb"
	"$BRIDGE" wslconfig set "$1" --wslconfig "$W" >"$tmp/wr" 2>&1; rc=$?
	[ "$rc" = 1 ] && cmp -s "$W" "$tmp/wb" && grep -q "$2" "$tmp/wr" && pass "refused: $1" || fail "$1: exit $rc $(cat "$tmp/wr")"
}
expect_refused wsl2.kernel=/tmp/evil "not a key wsldock changes"
expect_refused experimental.autoMemoryReclaim=sometimes "is not disabled, gradual or dropCache"
expect_refused wsl2.memory=lots "is not a size"
"$BRIDGE" wslconfig set wsl2.swap=0 --wslconfig "$tmp/new.wslconfig" >/dev/null 2>&1
[ "$(cat "$tmp/new.wslconfig")" = "$(printf '[wsl2]\nswap=0')" ] && pass "a missing .wslconfig is created" || fail "new file: $(cat "$tmp/new.wslconfig")"

# --- through the protocol: an agent asks, the bridge applies -----------------
P=$tmp/p-settings-store.json; PW=$tmp/p-wslconfig
cp "$BFIX/settings-store.json" "$P"; cp "$BFIX/wslconfig" "$PW"
start_bridge --listen "unix:$tmp/b.sock" --docker-settings "$P" --wslconfig "$PW" --allow-changes Ubuntu=integration,wslconfig
DISTRO=Ubuntu $CLIENT change "unix:$tmp/b.sock" applied enable >"$tmp/p1" && jq -e '.IntegratedWslDistros | index("Ubuntu")' "$P" >/dev/null &&
	pass "change request: integration applied" || fail "protocol enable: $(cat "$tmp/p1")"
DISTRO=Ubuntu $CLIENT change "unix:$tmp/b.sock" applied enable >"$tmp/p2" && jq -e '.changed == false' "$tmp/p2" >/dev/null &&
	pass "change request again: applied, changed false" || fail "protocol enable again: $(cat "$tmp/p2")"
$CLIENT change "unix:$tmp/b.sock" needs-restart wslconfig experimental.autoMemoryReclaim gradual >"$tmp/p3" &&
	jq -e '.restart == "wsl --shutdown"' "$tmp/p3" >/dev/null && grep -q 'AutoMemoryReclaim = gradual' "$PW" &&
	pass "change request: .wslconfig needs-restart (wsl --shutdown)" || fail "protocol wslconfig: $(cat "$tmp/p3")"
$CLIENT change "unix:$tmp/b.sock" refused wslconfig wsl2.kernel /tmp/x >"$tmp/p4" && pass "change request outside the allowlist refused" || fail "allowlist via protocol: $(cat "$tmp/p4")"
grep -q 'change 41 from Ubuntu: applied:' "$tmp/bridge.log" && pass "the bridge logs each change" || fail "no change log line"
stop_bridge
cp "$P" "$tmp/pb"
start_bridge --listen "unix:$tmp/b2.sock" --docker-settings "$P" --dry-run --allow-changes Debian2=integration
DISTRO=Debian2 $CLIENT change "unix:$tmp/b2.sock" refused enable >"$tmp/p5" && cmp -s "$P" "$tmp/pb" && grep -q 'dry-run' "$tmp/p5" &&
	pass "a --dry-run bridge refuses, saying what would change, writes nothing" || fail "dry-run bridge: $(cat "$tmp/p5")"
stop_bridge
finish
