#!/bin/sh
# Enrolment in the Windows build, under wine64 (Windows cannot run here;
# wsl.exe cannot exist under wine, so tests/windows/fake-wsl-enroll.exe
# stands in for it and keeps what it is given):
# - `wsldock-bridge.exe enroll Ubuntu` runs `wsl.exe -d Ubuntu -u root
#   wsldock-agent enroll` (CreateProcessW) with a BCryptGenRandom key on its
#   standard input and stores the same key in its key directory;
# - a wsl.exe that fails: exit 2, nothing stored;
# - the .exe on tcp:127.0.0.1 authenticates an agent holding that key and
#   proves it back (BCrypt's HMAC-SHA256 against Python's), and refuses a
#   hello with another key.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/windows/lib.sh"
# Light (three short .exe runs, no browser, nothing timed): no machine-wide
# lock, but the build directory is shared with wine.sh, so its cross build
# is serialised on a lock of its own.
mkdir -p "$builddir/build-win"
build=$(flock "$builddir/build-win/.cross-build.lock" nice -n 10 "$srcdir/windows-bridge/win/cross-build" "$builddir/build-win") ||
	fail "the cross build failed (output above)"
build=$(printf '%s\n' "$build" | tail -1)
exe=$build/windows-bridge/wsldock-bridge.exe
fake=$build/tests/windows/fake-wsl-enroll.exe
[ -f "$exe" ] && [ -f "$fake" ] || fail "the cross build made no $exe or $fake"

export WINEPREFIX
WINEPREFIX=$(mktemp -d /tmp/wsldock-wine-enroll.XXXXXX)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
bridge_pid=
cleanup() {
	[ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null
	"$WINESERVER" -k 2>/dev/null
	"$WINESERVER" -w 2>/dev/null
	rm -rf "$WINEPREFIX"
}
trap cleanup EXIT INT TERM
"$WINE" wineboot.exe --init >/dev/null 2>&1 || fail "wineboot could not create $WINEPREFIX"
C=$WINEPREFIX/drive_c/wsldock-enroll
mkdir -p "$C"
cp "$fake" "$C/wsl.exe"
export WSLDOCK_WSL_EXE='C:\wsldock-enroll\wsl.exe' FAKE_WSL_OUT='C:\wsldock-enroll\got.txt'

out=$("$WINE" "$exe" enroll --state-dir 'C:\wsldock-enroll\state' Ubuntu 2>&1); rc=$?
got=$(tr -d '\r\n' <"$C/got.txt" 2>/dev/null)
stored=$(tr -d '\r\n' <"$C/state/bridge-keys/ubuntu.key" 2>/dev/null)
key=${stored%% *}
case $got in "Ubuntu $key") same=1 ;; *) same=0 ;; esac
if [ "$rc" = 0 ] && [ ${#key} = 64 ] && [ "$same" = 1 ] && [ "${stored#* }" = Ubuntu ]; then
	echo "PASS: enroll: wsl.exe -d Ubuntu -u root wsldock-agent enroll got the key the bridge stored"
else fail "enroll under wine: exit $rc ($out); wsl.exe got '$got'; stored '$stored'"; fi

out=$(FAKE_WSL_RC=1 "$WINE" "$exe" enroll --state-dir 'C:\wsldock-enroll\state' Debian 2>&1); rc=$?
[ "$rc" = 2 ] && [ ! -e "$C/state/bridge-keys/debian.key" ] && printf '%s' "$out" | grep -q 'failed (exit status 1)' &&
	echo "PASS: a failing wsl.exe: exit 2, nothing stored" || fail "failing wsl.exe: exit $rc ($out)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WINE" "$exe" --listen "tcp:127.0.0.1:$port" --state-dir 'C:\wsldock-enroll\state' >"$WINEPREFIX/bridge.log" 2>&1 &
bridge_pid=$!
for _ in $(seq 100); do grep -q 'listening on tcp' "$WINEPREFIX/bridge.log" && break; sleep 0.2; done
WSLDOCK_TEST_KEYS=$C/state/bridge-keys top_srcdir=$srcdir python3 - "tcp:127.0.0.1:$port" "$key" <<'PY' ||
import os, sys
sys.path.insert(0, os.path.join(os.environ["top_srcdir"], "tests", "security"))
import bridge_attacks as b
p = b.legit(sys.argv[1], "Ubuntu")   # checks the bridge's proof (client.proof, Python's HMAC)
p.send({"type": "status", "report": {"memory": {"page_cache_bytes": 1}}})
p.close()
q = b.Peer(sys.argv[1])
q.hello("Ubuntu", os.urandom(32))
got = [m.get("code") for m in q.drain(3) if isinstance(m, dict) and m.get("type") == "error"]
if "not-authenticated" not in got:
    b.fail("a hello with another key was not refused: %r" % got)
print("PASS: the .exe authenticates the enrolled key (BCrypt HMAC = Python's) and refuses another")
PY
	{ sed 's/^/  | /' "$WINEPREFIX/bridge.log"; fail "authentication through the Windows build"; }
kill "$bridge_pid"; wait "$bridge_pid" 2>/dev/null; bridge_pid=
echo "PASS: enrolment in the Windows build"
