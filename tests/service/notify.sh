#!/bin/sh
# sd_notify as systemd sees it, from a NOTIFY_SOCKET this test owns (a
# datagram socket read by a python3 listener that stamps each message):
# READY=1 once the tracker is attached, STATUS= naming the role, mode,
# tracker mode and state, WATCHDOG=1 at about half of WATCHDOG_USEC from
# the event loop, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 at exit.
. "${top_srcdir:?}/tests/service/lib.sh"
require_root "the daemon loads the BPF tracker"
require python3

python3 - "$WORK/notify.sock" >"$WORK/notify.txt" 2>"$WORK/listener.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
t0 = time.monotonic()
s.settimeout(30)
while True:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        break
    for line in msg.split("\n"):
        print("%.3f %s" % (time.monotonic() - t0, line), flush=True)
    if "STOPPING=1" in msg:
        break
PY
LISTENER=$!
PIDS="$PIDS $LISTENER"
i=0
while [ ! -S "$WORK/notify.sock" ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "the listener did not bind"; sleep 0.1
done

# 2 s: pings are due every 1 s (sd-event sends them between 1/2 and 3/4).
printf '[reclaim]\n' >"$WORK/agent.conf"
NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=2000000 start_daemon "$WORK/daemon.log" --config "$WORK/agent.conf"
wait_for "READY=1" "$WORK/notify.txt" 15 || fail "no READY=1"
# READY comes after the tracker: its line is already in the log.
grep -q ' tracker bpf=' "$WORK/daemon.log" || fail "READY=1 before the tracker was attached"
grep -q 'systemd is not running here' "$WORK/daemon.log" &&
	fail "under a NOTIFY_SOCKET the daemon claims systemd is absent"
grep -q ' tracker bpf=none' "$WORK/daemon.log" && fail "the tracker did not load (as root it must)"
status=$(grep 'STATUS=' "$WORK/notify.txt" | head -1)
echo "$status" | grep -q 'STATUS=dry-run, mode auto, tracker [a-z_]*, idle, episode 0, returned 0.0 MiB since start, last action: none' ||
	fail "unexpected STATUS line: $status"
echo "$status" | grep -q 'tracker none' && fail "STATUS says no tracker: $status"
sleep 5
n=$(grep -c 'WATCHDOG=1' "$WORK/notify.txt")
[ "$n" -ge 4 ] || fail "$n WATCHDOG=1 pings in 5 s with WATCHDOG_USEC=2s (want >= 4)"
# No gap longer than the watchdog interval itself between pings.
awk '/WATCHDOG=1/ { if (last != "" && $1 - last > 2.0) { print "gap", $1 - last; bad = 1 } last = $1 }
	END { exit bad }' "$WORK/notify.txt" || fail "a gap between WATCHDOG=1 pings exceeded WATCHDOG_USEC"

# A reload that changes the mode changes the STATUS line.
printf '[reclaim]\nmode = off\n' >"$WORK/agent.conf"
kill -HUP "$DAEMON"
wait_for "RELOADING=1" "$WORK/notify.txt" 5 || fail "no RELOADING=1 after SIGHUP"
wait_for "STATUS=dry-run, mode off," "$WORK/notify.txt" 5 || fail "STATUS did not follow the new mode"
[ "$(grep -c 'READY=1' "$WORK/notify.txt")" -ge 2 ] || fail "no READY=1 after the reload"
grep 'RELOADING=1' -A1 "$WORK/notify.txt" | grep -q 'MONOTONIC_USEC=[0-9]' || fail "RELOADING=1 without MONOTONIC_USEC"

stop_daemon "$DAEMON" || fail "run exited $? after SIGTERM"
wait "$LISTENER"
grep -q 'STOPPING=1' "$WORK/notify.txt" || fail "no STOPPING=1"
echo "ok: READY after the tracker, STATUS follows a reload to mode off, '$(echo "$status" | cut -d' ' -f2-)', $n watchdog pings in 5 s, RELOADING/READY on SIGHUP, STOPPING"
