#!/bin/sh
# Issue 19, attack 4c: a member of the control group locked root out of
# the control socket: 16 connections trickling a byte every 6 s held every
# slot (the idle timer was reset by each byte) and root's `status` got
# EBUSY.  Now a user other than root holds at most 4 slots, one slot is
# always root's, and only a whole request restarts a client's 10 s.
. "${top_srcdir:?}/tests/security/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (root's status is the point)"
require setpriv util-linux
require socat
[ -x "$NOBODY_PY" ] || fail "$NOBODY_PY is missing"
defer_failures
# A group the attacker is a member of, as in tests/service/control.sh.
export WSLDOCK_CONTROL_GROUP=users
[ -d "${FIXTURES:?}/wsl2-6.6" ] || fail "no fixture tree $FIXTURES/wsl2-6.6"
start_daemon "$WORK/daemon.log" --root "$FIXTURES/wsl2-6.6"
wait_control "$WORK/daemon.log"

cat >"$WORK/trickle.py" <<'PY'
# N connections that each send one byte of a request every 6 s, for T s.
import socket, sys, time
path, n, t = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns, refused = [], 0
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    conns.append(s)
print("trickle: %d connections" % len(conns), flush=True)
end = time.time() + t
req = b'{"request":"status"}'
i = 0
while time.time() < end:
    for s in conns:
        try:
            s.send(req[i % len(req):i % len(req) + 1])
        except OSError:
            pass
    i += 1
    time.sleep(6)
PY
chmod 644 "$WORK/trickle.py"
setpriv --reuid=nobody --regid=users --clear-groups "$NOBODY_PY" "$WORK/trickle.py" \
	"$WSLDOCK_CONTROL_SOCKET" 16 40 >"$WORK/trickle.out" 2>&1 &
T=$!
PIDS="$PIDS $T"
sleep 2
# status as root while the trickle runs, at 2 s and then past one idle
# period (the trickling clients must be gone or never have got most slots).
for at in 2 14 26; do
	r=$(ask '{"request":"status"}' 2>&1 | head -c 300)
	case $r in
	*'"ok":true'*) pass "root's status answered with 16 trickling connections of nobody (t=$at s)" ;;
	*) fail "root's status with 16 trickling connections of nobody (t=$at s): ${r:-no reply}" ;;
	esac
	sleep 12
done
kill "$T" 2>/dev/null
wait "$T" 2>/dev/null
ask '{"request":"status"}' | grep -o '"busy":[0-9]*,"busy_uid":[0-9]*,"dropped_idle":[0-9]*'
finish
