#!/bin/sh
# The Windows bridge under wine64: cross-builds it (windows-bridge/win/cross-build,
# its own build directory), runs the Windows test program, the core's
# appliers through ReplaceFileW, then the whole wsldock-bridge.exe listening
# on tcp:127.0.0.1 with its dashboard on 127.0.0.1: the bridge helper's
# protocol client (tests/bridge/client.py), then the real Linux agent daemon
# (`wsldock-agent run --dry-run --bridge tcp:...`) in /api/v1/distros within
# 5 s and its change requests applied, /metrics (promtool), `status` from a
# second process, the page in headless Chromium.  Windows itself cannot run here: wine stands in for it, in a
# private WINEPREFIX under /tmp that this script stops (wineserver -k) and
# removes; Hyper-V sockets do not exist under wine (the bridge must say so
# in one line and keep serving TCP).
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/windows/lib.sh"
# What checks the .exe from outside: scripts/install-deps installs them all,
# so a missing one is a broken setup, not a platform without the feature.
for tool in curl:curl jq:jq python3:python3 promtool:prometheus chromium:chromium; do
	command -v "${tool%%:*}" >/dev/null || fail "${tool%%:*} is missing (apt-get install ${tool#*:})"
done

# A cross build, wine and Chromium take both cores and GiBs: never beside
# another machine-wide test.
machine_lock
build=$("$srcdir/windows-bridge/win/cross-build" "$builddir/build-win") ||
	fail "the cross build failed (output above)"
build=$(printf '%s\n' "$build" | tail -1)

export WINEPREFIX
WINEPREFIX=$(mktemp -d /tmp/wsldock-wine.XXXXXX)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
bridge_pid= client_pid= dd_pid= wslhost_pid= agent_pid= wslrelay_pid= vmmem_pid= idle_pid=
cleanup() {
	[ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null
	[ -n "$vmmem_pid" ] && kill "$vmmem_pid" 2>/dev/null
	[ -n "$wslrelay_pid" ] && kill "$wslrelay_pid" 2>/dev/null
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	[ -n "$wslhost_pid" ] && kill "$wslhost_pid" 2>/dev/null
	[ -n "$dd_pid" ] && kill "$dd_pid" 2>/dev/null
	[ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null
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
# (wine's reg.exe failed once here under heavy load, with no message and
# 1 in 50 runs not reproducible; a second try tells that from a real failure.)
reg() {
	"$WINE" reg.exe add "$@" /f >"$WINEPREFIX/reg.out" 2>&1 ||
		"$WINE" reg.exe add "$@" /f >>"$WINEPREFIX/reg.out" 2>&1 ||
		{ cat "$WINEPREFIX/reg.out"; fail "wine reg add $*"; }
}
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
# A plain runner's output ends in "N passed, N failed".
runner() {
	name=$1
	shift
	out=$("$WINE" "$build/tests/windows/$name.exe" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | tr -d '\r' | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	[ -n "$last" ] || fail "$name printed no 'N passed, N failed' line (exit $rc)"
	case $last in
	*" 0 failed") ;;
	*) fail "$name: $last" ;;
	esac
	[ "$rc" -eq 0 ] || fail "$name exited $rc"
	case $last in 0\ passed*) fail "$name ran no checks" ;; esac
}
runner test-win 'C:\wsldock-test' 'Zoë'
# The hvsock lifecycle (start before WSL, WSL start, wsl --shutdown, a
# restart, Windows Sandbox / Hyper-V VMs, another user's VM, WSAEACCES,
# POLLHUP) and ReplaceFileW's failures, scripted through win_seams.
mkdir -p "$WINEPREFIX/drive_c/wsldock-test/lc"
runner test-lifecycle 'C:\wsldock-test\lc'

# ---- learning the WSL VM id (test-lifecycle.exe vmid prints the candidates) ----
# The scene WSL and other VMs would make, with real processes and keys: a
# Windows Sandbox and a Hyper-V VM in the HCS volatile store with a `vmmem`
# worker (no candidate, and wsl.exe - a stand-in that logs every call - is
# never run); WSL's own compute system; a wslrelay.exe for another VM
# started before the wslhost.exe of ours (wine's cmd.exe under those names,
# kept alive on fifos): both are candidates, wslhost.exe's first.
vmid() { "$WINE" "$build/tests/windows/test-lifecycle.exe" vmid 2>&1 | tr -d '\r'; }
G1=b5d4e3f2-1a2b-4c3d-9e8f-00112233aabb
G2=0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9
G3=99999999-8888-7777-6666-555555555555
t="$WINEPREFIX/drive_c/wsldock-test"
export FAKE_WSL_LOG='C:\wsldock-test\wsl-calls.log'
cp "$build/tests/windows/fake-wsl.exe" "$WINEPREFIX/drive_c/windows/system32/wsl.exe"
got=$(vmid)
[ "$got" = "vm-id: none" ] || fail "with no WSL at all the VM id is '$got'"
HCS='HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\HostComputeService\VolatileStore\ComputeSystem'
reg "$HCS\\11111111-0000-0000-0000-00000000000a" /v Owner /t REG_SZ /d Madrid
reg "$HCS\\22222222-0000-0000-0000-00000000000b" /v Owner /t REG_SZ /d VMMS
start_fake() {  # start_fake NAME FD ARGS...
	name=$1 fd=$2
	shift 2
	cp "$WINEPREFIX/drive_c/windows/system32/cmd.exe" "$t/$name"
	mkfifo "$WINEPREFIX/$name.in"
	"$WINE" "$t/$name" /k "$@" <"$WINEPREFIX/$name.in" >/dev/null 2>&1 &
	eval "exec $fd>\"\$WINEPREFIX/\$name.in\""
}
start_fake vmmem 5  # (the real worker has no .exe)
vmmem_pid=$!
sleep 2
got=$(vmid)
[ "$got" = "vm-id: none" ] || fail "a Windows Sandbox / Hyper-V VM and vmmem were taken for WSL's VM: '$got'"
[ ! -s "$t/wsl-calls.log" ] || fail "wsl.exe was run: $(cat "$t/wsl-calls.log")"
reg "$HCS\\$G3" /v Owner /t REG_SZ /d WSL
got=$(vmid)
[ "$got" = "vm-id: $G3 from HCS store" ] || fail "from the HCS store: '$got'"
start_fake wslrelay.exe 6 --mode 1 --vm-id "{$G2}"
wslrelay_pid=$!
sleep 2
start_fake wslhost.exe 7 --vm-id "{$(echo $G1 | tr a-f A-F)}" --handle 1234
wslhost_pid=$!
i=0
until got=$(vmid); [ "$(printf '%s\n' "$got" | head -1)" = "vm-id: $G1 from wslhost.exe" ]; do
	i=$((i + 1))
	[ $i -lt 10 ] || fail "from wslhost.exe's command line, first: '$got'"
	sleep 1
done
printf '%s\n' "$got" | grep -qx "vm-id: $G2 from wslrelay.exe" || fail "wslrelay.exe's VM is no candidate: '$got'"
printf '%s\n' "$got" | grep -qx "vm-id: $G3 from HCS store" || fail "the HCS store's WSL VM is no candidate: '$got'"
[ ! -s "$t/wsl-calls.log" ] || fail "wsl.exe was run: $(cat "$t/wsl-calls.log")"
exec 5>&- 6>&- 7>&-
kill "$vmmem_pid" "$wslrelay_pid" "$wslhost_pid" 2>/dev/null
wait "$vmmem_pid" "$wslrelay_pid" "$wslhost_pid" 2>/dev/null
vmmem_pid= wslrelay_pid= wslhost_pid=
reg_del() { "$WINE" reg.exe delete "$1" /f >/dev/null 2>&1; }
reg_del "$HCS\\$G3"
echo "PASS: VM ids only from this user's wslhost.exe / wslrelay.exe and WSL's compute systems; wsl.exe never run"

# ---- the whole bridge ----
exe="$build/windows-bridge/wsldock-bridge.exe"
if [ ! -f "$exe" ]; then
	# Until the bridge core is merged there is no wsldock-bridge.exe to run;
	# this is a failure, not a skip: the platform exists, the program must.
	fail "$exe was not built (the bridge core's windows-bridge/local.mk is not merged)"
fi
"$WINE" "$exe" --help >"$WINEPREFIX/help.out" 2>&1 || fail "wine64 wsldock-bridge.exe --help did not exit 0"
grep -q -- '--listen' "$WINEPREFIX/help.out" || fail "--help printed nothing to a redirected stdout"
# Issue 20.9: a GUI-subsystem program (no console window at logon).
sub=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); o=struct.unpack_from("<I",d,0x3c)[0]; print(struct.unpack_from("<H",d,o+0x5c)[0])' "$exe")
[ "$sub" = 2 ] || fail "wsldock-bridge.exe's PE subsystem is $sub, not 2 (IMAGE_SUBSYSTEM_WINDOWS_GUI)"

# Issue 20.2/20.3: started before WSL, with no listener but hvsock (and no
# Hyper-V sockets at all under wine), the bridge stays up, serves its
# dashboard, runs no wsl.exe and burns no CPU; its CPU time is read from
# /proc at the end of this script, after 60 s or more.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
R=$(port)
WSLDOCK_LOG=stderr "$WINE" "$exe" --listen hvsock:9478 --http "127.0.0.1:$R" >"$WINEPREFIX/idle.out" 2>&1 &
idle_pid=$!
idle_t0=$(date +%s)

# The core's appliers through the Windows layer (ReplaceFileW, a UTF-8 argv
# from the manifest's code page, UTF-16 paths) on copies of the fixtures in
# a directory whose name is not ASCII.
z="$WINEPREFIX/drive_c/Zoë"
mkdir -p "$z"
cp "$srcdir/tests/bridge/fixtures/settings-store.json" "$z/settings-store.json"
cp "$srcdir/tests/bridge/fixtures/wslconfig" "$z/.wslconfig"
# (distcheck's source tree is read-only, and a read-only file is one
# ReplaceFileW rightly refuses to replace.)
chmod u+w "$z/settings-store.json" "$z/.wslconfig"
for i in 1 2; do
	"$WINE" "$exe" integration enable Ubuntu --docker-settings 'C:\Zoë\settings-store.json' \
		>"$WINEPREFIX/apply.out" 2>&1 || { cat "$WINEPREFIX/apply.out"; fail "integration enable (run $i) failed"; }
done
python3 - "$z/settings-store.json" "$srcdir/tests/bridge/fixtures/settings-store.json" <<'PY' ||
import json, sys
raw = open(sys.argv[1], "rb").read()
assert not raw.startswith(b"\xef\xbb\xbf"), "a BOM"
new, old = json.loads(raw), json.load(open(sys.argv[2]))
assert new["IntegratedWslDistros"].count("Ubuntu") == 1, new["IntegratedWslDistros"]
assert list(new) == list(old), "key order or keys changed"
for k in old:
    if k != "IntegratedWslDistros":
        assert new[k] == old[k], k
PY
	fail "integration enable under wine broke settings-store.json"
ls "$z"/settings-store.json.wsldock-backup-* >/dev/null 2>&1 || fail "no backup beside settings-store.json"
"$WINE" "$exe" wslconfig set experimental.autoMemoryReclaim=gradual --wslconfig 'C:\Zoë\.wslconfig' \
	>"$WINEPREFIX/apply.out" 2>&1 || { cat "$WINEPREFIX/apply.out"; fail "wslconfig set failed"; }
grep -q '^AutoMemoryReclaim = gradual   # changed by hand in 2025' "$z/.wslconfig" ||
	fail "wslconfig set under wine did not keep the key's casing and comment"
[ "$(grep -c '^#' "$z/.wslconfig")" = "$(grep -c '^#' "$srcdir/tests/bridge/fixtures/wslconfig")" ] ||
	fail "wslconfig set under wine lost comments"
ls "$z"/.wslconfig.wsldock-backup-* >/dev/null 2>&1 || fail "no backup beside .wslconfig"
ls "$z" | grep -q '\.tmp$' && fail "a temporary file was left beside the files"
echo "PASS: the appliers edit files under C:\Zoë through ReplaceFileW"

P=$(port) Q=$(port)
HTTP=http://127.0.0.1:$Q
# The files change requests from the agent will edit.
t="$WINEPREFIX/drive_c/wsldock-test"
cp "$srcdir/tests/bridge/fixtures/settings-store.json" "$t/agent-settings.json"
cp "$srcdir/tests/bridge/fixtures/wslconfig" "$t/agent.wslconfig"
chmod u+w "$t/agent-settings.json" "$t/agent.wslconfig"
# Protocol 2: agents prove a key enrolled for their distro (the bridge's
# --state-dir, bridge-keys/); the protocol client makes the keys there as
# `wsldock-bridge enroll` stores them, and changes are allowed per distro.
export WSLDOCK_TEST_KEYS="$t/state/bridge-keys"
WSLDOCK_LOG=stderr "$WINE" "$exe" --listen "tcp:127.0.0.1:$P" --listen hvsock:9478 \
	--http "127.0.0.1:$Q" --docker-settings 'C:\wsldock-test\agent-settings.json' \
	--wslconfig 'C:\wsldock-test\agent.wslconfig' --state-dir 'C:\wsldock-test\state' \
	--allow-changes Ubuntu=integration --allow-changes Ubuntu=wslconfig \
	>"$WINEPREFIX/bridge.out" 2>&1 &
bridge_pid=$!
# wine takes seconds to start a process; the protocol checks start once it listens.
i=0
until grep -q "listening on tcp:127.0.0.1:$P" "$WINEPREFIX/bridge.out" 2>/dev/null; do
	kill -0 "$bridge_pid" 2>/dev/null || { cat "$WINEPREFIX/bridge.out"; fail "wsldock-bridge.exe exited"; }
	i=$((i + 1))
	[ $i -lt 600 ] || { cat "$WINEPREFIX/bridge.out"; fail "wsldock-bridge.exe did not listen within 60 s"; }
	sleep 0.1
done
grep -c 'AF_HYPERV is not supported here' "$WINEPREFIX/bridge.out" | grep -qx 1 ||
	{ cat "$WINEPREFIX/bridge.out"; fail "the bridge did not say, in one line, that AF_HYPERV is missing"; }

# The bridge helper's protocol client (tests/bridge/client.py) with the real
# agent's report: hello, host memory (GlobalMemoryStatusEx here), the status
# in /api/v1/distros and /metrics within 2 s, events, the disconnect.
python3 "$srcdir/tests/bridge/client.py" status "tcp:127.0.0.1:$P" "$HTTP" Ubuntu ||
	{ cat "$WINEPREFIX/bridge.out"; fail "the protocol client's status scenario failed against the .exe"; }

# The real Linux agent daemon (dry-run: this machine is shared; it decides
# and logs but writes nothing) as the Lxss key's "Ubuntu" (the WSL 2
# default), over TCP: its status in /api/v1/distros within 5 s.
[ -x "${WSLDOCK_AGENT:-}" ] || fail "WSLDOCK_AGENT is not the built agent (run through make check)"
mkdir -p "$WINEPREFIX/agent"
PYTHONPATH="$srcdir/tests/bridge" python3 -c 'import client; print(client.enrolled_key("Ubuntu").hex())' \
	>"$WINEPREFIX/agent/bridge.key" || fail "cannot read Ubuntu's enrolment key"
chmod 600 "$WINEPREFIX/agent/bridge.key"
export WSLDOCK_BRIDGE_KEY="$WINEPREFIX/agent/bridge.key"
t0=$(date +%s%N)
WSL_DISTRO_NAME=Ubuntu WSLDOCK_LOCK_DIR="$WINEPREFIX/agent" "$WSLDOCK_AGENT" run --foreground --dry-run \
	--bridge "tcp:127.0.0.1:$P" --control-socket "$WINEPREFIX/agent/agent.sock" >"$WINEPREFIX/agent.log" 2>&1 &
agent_pid=$!
until curl -fs "$HTTP/api/v1/distros" | jq_e '.distros[] | select(.name == "Ubuntu" and
	.connection == "connected" and (.status.memory.page_cache_bytes | type) == "number" and
	.status.daemon.state != null)' >/dev/null 2>&1; do
	[ $(( $(date +%s%N) - t0 )) -lt 5000000000 ] ||
		{ tail -20 "$WINEPREFIX/agent.log"; cat "$WINEPREFIX/bridge.out"; fail "the agent's distro is not in /api/v1/distros within 5 s"; }
	sleep 0.1
done
echo "PASS: the Linux agent's status in the .exe's /api/v1/distros after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# The agent sees the bridge and the host memory it sent (GlobalMemoryStatusEx).
export WSLDOCK_CONTROL_SOCKET="$WINEPREFIX/agent/agent.sock"
"$WSLDOCK_AGENT" report --json >"$WINEPREFIX/report2.json" 2>/dev/null
jq -e '.daemon.bridge.state == "connected" and (.daemon.bridge.endpoint | startswith("tcp:"))' "$WINEPREFIX/report2.json" >/dev/null ||
	fail "the agent's report does not show the bridge connected: $(jq -c .daemon.bridge "$WINEPREFIX/report2.json")"
# Change requests from the agent, applied by the .exe through ReplaceFileW.
"$WSLDOCK_AGENT" integration enable >"$WINEPREFIX/i1" 2>&1 ||
	{ cat "$WINEPREFIX/i1"; fail "integration enable through the agent failed"; }
grep -q '^applied:' "$WINEPREFIX/i1" && jq -e '.IntegratedWslDistros | index("Ubuntu")' "$t/agent-settings.json" >/dev/null ||
	{ cat "$WINEPREFIX/i1"; fail "integration enable through the agent did not edit the settings"; }
"$WSLDOCK_AGENT" wslconfig set experimental.autoMemoryReclaim=gradual \
	>"$WINEPREFIX/w1" 2>&1 || { cat "$WINEPREFIX/w1"; fail "wslconfig set through the agent failed"; }
grep -q 'AutoMemoryReclaim = gradual' "$t/agent.wslconfig" && grep -q 'wsl --shutdown' "$WINEPREFIX/w1" ||
	{ cat "$WINEPREFIX/w1"; fail "wslconfig set through the agent did not edit .wslconfig or say what applies it"; }
echo "PASS: the agent's change requests edited the files through the .exe"

# A client that stays connected with a build's page cache, its reclaim and
# a conflict, for the page.
python3 "$srcdir/tests/bridge/client.py" feed "tcp:127.0.0.1:$P" Feed 24 60 >"$WINEPREFIX/feed.out" 2>&1 &
client_pid=$!
i=0
until curl -fs "$HTTP/api/v1/distros" | jq_e '.distros[] | select(.name == "Feed" and
	.connection == "connected" and (.history | length) >= 24)' >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$WINEPREFIX/feed.out"; fail "the feeding client's history did not reach the API in 10 s"; }
	sleep 0.1
done
curl -fsS "$HTTP/metrics" >"$WINEPREFIX/metrics" || fail "GET /metrics failed"
grep -q '^wsldock_agent_up{distro="Ubuntu"} 1' "$WINEPREFIX/metrics" || fail "/metrics does not say Ubuntu is up"
grep -q '^wsldock_host_memory_total_bytes' "$WINEPREFIX/metrics" ||
	fail "/metrics has no host memory (GlobalMemoryStatusEx)"
promtool check metrics <"$WINEPREFIX/metrics" || fail "promtool check metrics rejects /metrics"

# `status` from a second process, as a user would run it beside the bridge.
printf '{"WslEngineEnabled":true,"IntegratedWslDistros":["Ubuntu"],"EnableIntegrationWithDefaultWslDistro":false,"Other":1}' \
	>"$t/settings-store.json"
printf '# mine\r\n[wsl2]\r\nmemory=8GB\r\n[experimental]\r\nautoMemoryReclaim=gradual\r\n' >"$t/.wslconfig"
"$WINE" "$exe" status --http "127.0.0.1:$Q" --docker-settings 'C:\wsldock-test\settings-store.json' \
	--wslconfig 'C:\wsldock-test\.wslconfig' >"$WINEPREFIX/status.out" 2>&1 || fail "status exited non-zero"
tr -d '\r' <"$WINEPREFIX/status.out" >"$WINEPREFIX/status.txt"
cat "$WINEPREFIX/status.txt"
# (State from the stand-in wsl.exe's UTF-16LE `wsl -l -v`.)
grep -Eq '^  \*Ubuntu +WSL 2 +Running +bridge: reporting +Docker integration: on$' "$WINEPREFIX/status.txt" ||
	fail "status: no '*Ubuntu WSL 2 Running ... reporting ... integration on' line"
grep -Eq '^   Debian +WSL 1 +Stopped +bridge: not seen +Docker integration: off$' "$WINEPREFIX/status.txt" ||
	fail "status: no 'Debian WSL 1 Stopped ... not seen ... off' line"
grep -q 'memory=8GB swap=(default)  \[experimental\] autoMemoryReclaim=gradual' "$WINEPREFIX/status.txt" ||
	fail "status: the .wslconfig memory settings are wrong"
grep -q '^Docker Desktop: version unknown, not running' "$WINEPREFIX/status.txt" ||
	fail "status: Docker Desktop's state is wrong"

# Docker Desktop installed (its uninstall entry) and running (a process of
# that image name: wine's cmd.exe under the name, kept alive on a pipe).
reg 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\Docker Desktop' \
	/v DisplayVersion /t REG_SZ /d 4.38.0
cp "$WINEPREFIX/drive_c/windows/system32/cmd.exe" "$t/Docker Desktop.exe"
mkfifo "$WINEPREFIX/dd.in"
"$WINE" "$t/Docker Desktop.exe" /k <"$WINEPREFIX/dd.in" >/dev/null 2>&1 &
dd_pid=$!
exec 8>"$WINEPREFIX/dd.in"
i=0
until "$WINE" "$exe" status --http "127.0.0.1:$Q" --docker-settings 'C:\wsldock-test\settings-store.json' \
	2>&1 | tr -d '\r' | grep -q '^Docker Desktop: 4.38.0, running$'; do
	i=$((i + 1))
	[ $i -lt 10 ] || fail "status does not show Docker Desktop 4.38.0 running"
	sleep 1
done
"$WINE" "$exe" integration enable Debian --docker-settings 'C:\wsldock-test\settings-store.json' \
	>"$WINEPREFIX/apply.out" 2>&1
tr -d '\r' <"$WINEPREFIX/apply.out" | grep -q 'applies after `docker desktop restart`' ||
	{ cat "$WINEPREFIX/apply.out"; fail "an edit while Docker Desktop runs does not say it needs a restart"; }
exec 8>&-
kill "$dd_pid" 2>/dev/null
wait "$dd_pid" 2>/dev/null
dd_pid=

# The page, as a browser loads it from the .exe.
timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$WINEPREFIX/chromium" --virtual-time-budget=3000 --dump-dom \
	"http://127.0.0.1:$Q/" >"$WINEPREFIX/dom.html" 2>"$WINEPREFIX/chromium.log"
grep -q 'data-distro="Ubuntu"' "$WINEPREFIX/dom.html" ||
	{ tail -5 "$WINEPREFIX/chromium.log"; fail "headless Chromium shows no Ubuntu section on the page"; }
grep -q 'data-distro="Feed"' "$WINEPREFIX/dom.html" &&
	grep -q 'sudo apt-get remove docker.io' "$WINEPREFIX/dom.html" ||
	fail "the page does not show the agent's conflict and its remedy"
kill "$client_pid" "$agent_pid" 2>/dev/null
wait "$client_pid" "$agent_pid" 2>/dev/null
client_pid= agent_pid=
kill "$bridge_pid" 2>/dev/null
wait "$bridge_pid" 2>/dev/null
bridge_pid=

# The log file of a bridge started at logon: %LOCALAPPDATA%\wsldock, one
# older log over 1 MiB rotated to .1 first.
# (wine sets %LOCALAPPDATA% itself, from the prefix's user profile.)
lad=$("$WINE" cmd.exe /c 'echo %LOCALAPPDATA%' 2>/dev/null | tr -d '\r')
logdir=$("$WINE" winepath.exe -u "$lad" 2>/dev/null | tr -d '\r')/wsldock
case $logdir in "$WINEPREFIX"/*) ;; *) fail "cannot find %LOCALAPPDATA% in $WINEPREFIX ($lad)" ;; esac
mkdir -p "$logdir"
head -c 1100000 /dev/zero | tr '\0' o >"$logdir/wsldock-bridge.log"
P2=$(port)
WSLDOCK_LOG=file "$WINE" "$exe" --listen "tcp:127.0.0.1:$P2" \
	>"$WINEPREFIX/bridge2.out" 2>&1 &
bridge_pid=$!
i=0
until grep -q "listening on tcp:127.0.0.1:$P2" "$logdir/wsldock-bridge.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 600 ] || { cat "$WINEPREFIX/bridge2.out"; ls -la "$logdir"; fail "no log in %LOCALAPPDATA%\\wsldock within 60 s"; }
	sleep 0.1
done
[ "$(wc -c <"$logdir/wsldock-bridge.log.1")" -eq 1100000 ] || fail "the old log was not rotated to .1"
[ "$(wc -c <"$logdir/wsldock-bridge.log")" -lt 4096 ] || fail "the new log is not a fresh file"
grep -q listening "$WINEPREFIX/bridge2.out" && fail "WSLDOCK_LOG=file still logged to stderr"
kill "$bridge_pid" 2>/dev/null
wait "$bridge_pid" 2>/dev/null
bridge_pid=
echo "PASS: the log goes to %LOCALAPPDATA%\\wsldock\\wsldock-bridge.log, rotated"

# The bridge started before WSL (above): still up after 60 s, its dashboard
# answering, no wsl.exe run, and its CPU time (utime + stime of the wine
# process, /proc/PID/stat) small.
while [ $(( $(date +%s) - idle_t0 )) -lt 60 ]; do sleep 1; done
kill -0 "$idle_pid" 2>/dev/null || { cat "$WINEPREFIX/idle.out"; fail "the bridge with no WSL VM exited"; }
curl -fs "http://127.0.0.1:$R/api/v1/distros" >"$WINEPREFIX/idle.json" || fail "the bridge with no WSL VM serves no dashboard"
jq -e '.transport.state == "unsupported" and (.transport.detail | contains("AF_HYPERV"))' "$WINEPREFIX/idle.json" >/dev/null ||
	fail "the dashboard does not say why agents cannot reach the bridge: $(jq -c .transport "$WINEPREFIX/idle.json")"
ticks=$(awk '{print $14 + $15}' "/proc/$idle_pid/stat")
secs=$(( $(date +%s) - idle_t0 ))
hz=$(getconf CLK_TCK)
echo "no WSL VM: $ticks ticks of CPU ($hz per s) in $secs s"
[ "$ticks" -lt $((hz * 2)) ] || fail "the bridge with no WSL VM used $ticks/$hz s of CPU in $secs s"
grep -c 'AF_HYPERV is not supported here' "$WINEPREFIX/idle.out" | grep -qx 1 ||
	{ cat "$WINEPREFIX/idle.out"; fail "the bridge did not say, once, that AF_HYPERV is missing"; }
# (`status` lists distros with `wsl -l -v`, which starts no VM; nothing
# else may have run.)
! tr -d '\r' <"$t/wsl-calls.log" | grep -vqx -- '-l -v' || fail "wsl.exe was run: $(cat "$t/wsl-calls.log")"
kill "$idle_pid" 2>/dev/null
wait "$idle_pid" 2>/dev/null
idle_pid=
echo "PASS: started before WSL, the bridge stays up 60 s with no VM, no wsl.exe, little CPU"
echo "PASS: wsldock-bridge.exe under wine: the distro in /api/v1/distros, /metrics (promtool), status, the page"
exit 0
