#!/bin/sh
# Enrolment end to end on Linux: `wsldock-bridge enroll` runs (a stand-in
# for Windows' wsl.exe, tests/bridge/fake-wsl, which cannot exist here, and
# which runs) the real `wsldock-agent enroll`; both ends hold the same key,
# the agent's 0600, the bridge's in a 0700 directory.  A failing wsl.exe
# stores nothing; unsafe directories and bad input are refused; the key a
# re-enrolment replaced no longer opens the door.
. "$top_srcdir/tests/bridge/lib.sh"
require jq
AGENT=${WSLDOCK_AGENT:?}
export WSLDOCK_WSL_EXE=$top_srcdir/tests/bridge/fake-wsl FAKE_WSL_KEYS=$tmp/keys
ATTACK="python3 $top_srcdir/tests/security/bridge_attacks.py"
mode() { stat -c %a "$1"; }

"$BRIDGE" enroll --state-dir "$tmp/state" Ubuntu >"$tmp/e1" 2>&1; rc=$?
a=$(cat "$tmp/keys/Ubuntu.key" 2>/dev/null)
b=$(cut -d' ' -f1 "$tmp/state/bridge-keys/ubuntu.key" 2>/dev/null)
if [ "$rc" = 0 ] && [ ${#a} = 64 ] && [ "$a" = "$b" ] && [ "$(mode "$tmp/keys/Ubuntu.key")" = 600 ] &&
	[ "$(mode "$tmp/state/bridge-keys")" = 700 ] && grep -q ' Ubuntu$' "$tmp/state/bridge-keys/ubuntu.key"; then
	pass "enroll: the same 32-byte key in the distro (0600) and the bridge (0700 directory)"
else fail "enroll: exit $rc $(cat "$tmp/e1"), agent '$a' bridge '$b'"; fi

FAKE_WSL_FAIL=1 "$BRIDGE" enroll --state-dir "$tmp/state" Debian >"$tmp/e2" 2>&1; rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/state/bridge-keys/debian.key" ] && grep -q 'wsldock-agent enroll.* failed' "$tmp/e2" &&
	pass "a failing wsl.exe: exit 2, nothing stored" || fail "failing wsl: exit $rc $(cat "$tmp/e2")"
"$BRIDGE" enroll --state-dir "$tmp/state" '../etc' >"$tmp/e3" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'not a WSL distro name' "$tmp/e3" && pass "a bad distro name is refused" || fail "bad name: $rc $(cat "$tmp/e3")"
mkdir -p "$tmp/open" && chmod 755 "$tmp/open" && mkdir -m 755 "$tmp/open/bridge-keys"
"$BRIDGE" enroll --state-dir "$tmp/open" Ubuntu >"$tmp/e4" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'refusing to keep keys there' "$tmp/e4" && pass "a key directory others may enter is refused" ||
	fail "0755 key directory: exit $rc $(cat "$tmp/e4")"

# The agent's verb on its own.
echo nothex | WSLDOCK_BRIDGE_KEY=$tmp/k2/bridge.key "$AGENT" enroll >"$tmp/a1" 2>&1; rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/k2/bridge.key" ] && grep -q 'no key' "$tmp/a1" && pass "agent enroll: no key on stdin, exit 2" ||
	fail "agent enroll bad input: $rc $(cat "$tmp/a1")"
mkdir -m 777 "$tmp/k3"
printf '%064d\n' 0 | WSLDOCK_BRIDGE_KEY=$tmp/k3/bridge.key "$AGENT" enroll >"$tmp/a2" 2>&1; rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/k3/bridge.key" ] && grep -q 'refusing' "$tmp/a2" &&
	pass "agent enroll: a directory others may write is refused" || fail "agent enroll 0777 dir: $rc $(cat "$tmp/a2")"

# Re-enrolling replaces the key: the old one no longer authenticates.
start_bridge --listen "unix:$tmp/b.sock"
old=$(cat "$tmp/keys/Ubuntu.key")
"$BRIDGE" enroll --state-dir "$tmp/state" Ubuntu >/dev/null 2>&1 || fail "re-enrol failed"
new=$(cut -d' ' -f1 "$tmp/state/bridge-keys/ubuntu.key")
python3 - "$tmp/b.sock" "$old" "$new" <<'PY' && pass "after a re-enrolment the old key is refused, the new one accepted" || fail "re-enrolment"
import os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "security"))
import bridge_attacks as b
for key, want in ((sys.argv[2], "error"), (sys.argv[3], "hello")):
    p = b.Peer("unix:" + sys.argv[1])
    p.hello("Ubuntu", bytes.fromhex(key))
    got = [m.get("type") for m in p.drain(1.5) if isinstance(m, dict)]
    if want not in got or (want == "error" and "hello" in got):
        b.fail("key %s...: got %s" % (key[:8], got))
PY
finish
