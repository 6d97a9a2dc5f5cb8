#!/bin/sh
# The Windows bridge under wine64: cross-builds it (windows-bridge/win/cross-build,
# its own build directory), runs the Windows test program, then the whole
# wsldock-bridge.exe listening on tcp:127.0.0.1 with its dashboard on
# 127.0.0.1, a client speaking the protocol, /api/v1/distros and /metrics
# (promtool).  Windows itself cannot run here: wine stands in for it, in a
# private WINEPREFIX under /tmp that this script stops (wineserver -k) and
# removes; Hyper-V sockets do not exist under wine (the bridge must say so
# in one line and keep serving TCP).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$(pwd)}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v x86_64-w64-mingw32-gcc >/dev/null ||
	skip "no mingw-w64 cross compiler (apt-get install gcc-mingw-w64-x86-64)"
WINE=
for w in wine64 /usr/lib/wine/wine64 /usr/lib/x86_64-linux-gnu/wine/wine64; do
	if command -v "$w" >/dev/null 2>&1; then WINE=$(command -v "$w"); break; fi
done
[ -n "$WINE" ] || skip "no wine64 (apt-get install wine64)"
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)

build=$("$srcdir/windows-bridge/win/cross-build" "$builddir/build-win" | tail -1) ||
	fail "the cross build failed (output above)"

export WINEPREFIX
WINEPREFIX=$(mktemp -d /tmp/wsldock-wine.XXXXXX)
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

# The Lxss key the test program reads: two distros, a subkey that is no
# GUID and one without DistributionName (both skipped).
L='HKCU\Software\Microsoft\Windows\CurrentVersion\Lxss'
reg() { "$WINE" reg.exe add "$@" /f >/dev/null 2>&1 || fail "wine reg add $*"; }
reg "$L" /v DefaultDistribution /t REG_SZ /d '{11111111-2222-3333-4444-555555555555}'
reg "$L\\{11111111-2222-3333-4444-555555555555}" /v DistributionName /t REG_SZ /d Ubuntu
reg "$L\\{11111111-2222-3333-4444-555555555555}" /v Flags /t REG_DWORD /d 15
reg "$L\\{11111111-2222-3333-4444-555555555555}" /v BasePath /t REG_SZ \
	/d 'C:\Users\me\AppData\Local\Packages\Ubuntu\LocalState'
reg "$L\\{66666666-7777-8888-9999-000000000000}" /v DistributionName /t REG_SZ /d Debian
reg "$L\\{66666666-7777-8888-9999-000000000000}" /v Flags /t REG_DWORD /d 7
reg "$L\\NotAGuid" /v DistributionName /t REG_SZ /d Bogus
reg "$L\\{aaaaaaaa-0000-0000-0000-000000000000}" /v Flags /t REG_DWORD /d 15

mkdir -p "$WINEPREFIX/drive_c/wsldock-test"
out=$("$WINE" "$build/tests/windows/test-win.exe" 'C:\wsldock-test' 2>&1)
rc=$?
printf '%s\n' "$out"
last=$(printf '%s\n' "$out" | tr -d '\r' | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
[ -n "$last" ] || fail "the Windows test program printed no 'N passed, N failed' line (exit $rc)"
case $last in
*" 0 failed") ;;
*) fail "Windows test program: $last" ;;
esac
[ "$rc" -eq 0 ] || fail "the Windows test program exited $rc"
case $last in 0\ passed*) fail "the Windows test program ran no checks" ;; esac

# ---- the whole bridge ----
exe="$build/windows-bridge/wsldock-bridge.exe"
if [ ! -f "$exe" ]; then
	# Until the bridge core is merged there is no wsldock-bridge.exe to run;
	# this is a failure, not a skip: the platform exists, the program must.
	fail "$exe was not built (the bridge core's windows-bridge/local.mk is not merged)"
fi
"$WINE" "$exe" --help >"$WINEPREFIX/help.out" 2>&1 || fail "wine64 wsldock-bridge.exe --help did not exit 0"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port) Q=$(port)
# The status the client sends is the real agent's report of this machine.
report=$WINEPREFIX/report.json
if [ -x "${WSLDOCK_AGENT:-}" ]; then
	"$WSLDOCK_AGENT" report --json >"$report" 2>/dev/null || fail "wsldock-agent report --json failed"
else
	fail "WSLDOCK_AGENT is not set to the built agent (run through make check)"
fi
WSLDOCK_LOG=stderr "$WINE" "$exe" --listen "tcp:127.0.0.1:$P" --listen hvsock:9478 \
	--http "127.0.0.1:$Q" >"$WINEPREFIX/bridge.out" 2>&1 &
bridge_pid=$!
python3 "$srcdir/tests/windows/agent-client.py" 127.0.0.1 "$P" "$Q" wine-distro 5 \
	"$WINEPREFIX/metrics" "$report" ||
	{ cat "$WINEPREFIX/bridge.out"; fail "the distro did not show in /api/v1/distros within 5 s"; }
grep -c 'AF_HYPERV is not supported here' "$WINEPREFIX/bridge.out" | grep -qx 1 ||
	{ cat "$WINEPREFIX/bridge.out"; fail "the bridge did not say, in one line, that AF_HYPERV is missing"; }
grep -q 'wine-distro' "$WINEPREFIX/metrics" || fail "/metrics does not name the distro"
if command -v promtool >/dev/null; then
	promtool check metrics <"$WINEPREFIX/metrics" || fail "promtool check metrics rejects /metrics"
else
	fail "promtool is missing (apt-get install prometheus)"
fi
echo "PASS: wsldock-bridge.exe under wine served the distro, /metrics passes promtool"
exit 0
