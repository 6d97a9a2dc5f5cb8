#!/bin/sh
# A change request on the daemon's control socket when the bridge does not
# answer as it should: the real agent daemon (`run --dry-run` on a captured
# WSL 2 tree) and, as its bridge, a stand-in that speaks just enough of
# wsldock-protocol(7) (hello, change-result) to misbehave on cue - a real
# wsldock-bridge always answers at once, so it cannot show these paths:
# - no answer: the verb hears the daemon's timeout (10 s), exit 2;
# - clients that hang up while they wait are forgotten: 20 of them (more
#   than the 16 change requests the bridge client keeps in flight) leave
#   no slot taken, and the bridge's late answers to them are dropped;
# - an answer: `applied` printed, exit 0;
# - the bridge connection closes while a request waits: a clear error, exit 2.
# The daemon stays up throughout and answers status.
. "$top_srcdir/tests/bridge/lib.sh"
require jq
require socat
# Real agent daemons (the BPF tracker as root): a machine-wide test.
machine_lock
AGENT=${WSLDOCK_AGENT:?}
S=$tmp/agent.sock

# The stand-in holds the enrolment key the agent reads (protocol 2's hello).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/bridge.key"; echo >>"$tmp/bridge.key"
chmod 600 "$tmp/bridge.key"
export WSLDOCK_BRIDGE_KEY=$tmp/bridge.key
cat >"$tmp/fake.py" <<'PY'
import hashlib, hmac, json, os, socket, sys, time
d = sys.argv[1]
key = bytes.fromhex(open(d + "/bridge.key").read().strip())
def mac(role, bn, an, distro, vm):
    return hmac.new(key, ("wsldock-protocol-2 %s\n%s\n%s\n%s\n%s\n" % (role, bn, an, distro, vm or "")).encode(),
                    hashlib.sha256).hexdigest()
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(d + "/fake.sock"); srv.listen(4)
def flag(name):
    p = os.path.join(d, name)
    if os.path.exists(p):
        os.unlink(p)
        return True
    return False
while True:
    c, _ = srv.accept()
    bn = os.urandom(32).hex()
    c.sendall(json.dumps({"type": "challenge", "protocol_min": 2, "protocol_max": 2, "nonce": bn}).encode() + b"\n")
    buf = b""
    while b"\n" not in buf:
        buf += c.recv(65536)
    line, buf = buf.split(b"\n", 1)
    h = json.loads(line)
    if h.get("proof") != mac("agent", bn, h["agent_nonce"], h["distro"], h.get("vm_id")):
        c.close()
        continue
    c.sendall(json.dumps({"type": "hello", "protocol_min": 2, "protocol_max": 2, "bridge_version": "stand-in",
                          "capabilities": ["change-requests"],
                          "proof": mac("bridge", bn, h["agent_nonce"], h["distro"], h.get("vm_id"))}).encode()
              + b"\n")
    c.settimeout(0.1)
    ids = []
    while True:
        try:
            chunk = c.recv(65536)
            if not chunk:
                break
            buf += chunk
        except socket.timeout:
            pass
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            m = json.loads(line)
            if m.get("type") == "change":
                ids.append(m["id"])
                with open(d + "/changes.log", "a") as f:
                    f.write(json.dumps(m) + "\n")
        if flag("do-close"):
            break
        if flag("do-answer") or (ids and os.path.exists(d + "/auto")):
            for i in ids:
                c.sendall(json.dumps({"type": "change-result", "id": i, "result": "applied",
                                      "changed": True, "message": "stand-in applied it"}).encode() + b"\n")
            ids = []
    c.close()
PY
python3 "$tmp/fake.py" "$tmp" >"$tmp/fake.log" 2>&1 &
fake=$!
for _ in $(seq 50); do [ -S "$tmp/fake.sock" ] && break; sleep 0.1; done
WSLDOCK_LOCK_DIR=$tmp "$AGENT" run --foreground --dry-run --bridge "unix:$tmp/fake.sock" \
	--root "$top_srcdir/tests/fixtures/wsl2-6.6" --control-socket "$S" >"$tmp/agent.log" 2>&1 &
agent=$!
trap 'kill "$agent" "$fake" 2>/dev/null; wait "$agent" "$fake" 2>/dev/null; [ -n "${KEEP:-}" ] && cp "$tmp"/*.log "$KEEP"/; cleanup' EXIT
ask() { printf '%s\n' "$1" | socat -t 20 - "UNIX-CONNECT:$S"; }
ok=0
for _ in $(seq 100); do
	ask '{"request":"status"}' 2>/dev/null | jq_e '.daemon.bridge.state == "connected"' >/dev/null 2>&1 && { ok=1; break; }
	sleep 0.1
done
[ "$ok" = 1 ] || { fail "the daemon did not connect to the stand-in"; tail -20 "$tmp/agent.log" >&2; finish; }
export WSLDOCK_CONTROL_SOCKET=$S

# No answer: the daemon's timeout, heard by the verb.
t0=$(date +%s%N)
"$AGENT" integration enable >"$tmp/i1" 2>&1; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 2 ] && grep -q 'integration: the bridge did not answer within 10 s' "$tmp/i1" && [ "$ms" -ge 9000 ] && [ "$ms" -lt 14000 ] &&
	pass "no answer: ETIMEDOUT after $ms ms, exit 2" || fail "no answer: exit $rc after $ms ms: $(cat "$tmp/i1")"

# 20 clients that hang up while they wait, then the bridge answers them all.
python3 - "$S" <<'PY' || fail "hang-up clients"
import socket, sys, time
for i in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(b'{"request":"change","change":"wslconfig","key":"wsl2.memory","value":"%dGB"}\n' % (i + 1))
    time.sleep(0.05)
    s.close()
PY
for _ in $(seq 50); do [ "$(wc -l <"$tmp/changes.log")" -ge 21 ] && break; sleep 0.1; done
[ "$(wc -l <"$tmp/changes.log")" -eq 21 ] && pass "21 change requests reached the bridge" ||
	fail "the bridge saw $(wc -l <"$tmp/changes.log") change requests, not 21"
: >"$tmp/do-answer"
sleep 0.5
kill -0 "$agent" 2>/dev/null && ask '{"request":"status"}' | jq_e '.ok' >/dev/null &&
	pass "late answers to forgotten clients: the daemon is up and answers" || fail "the daemon died or went silent"

# An answer: printed, exit 0 (no slot is left taken by the clients that left).
: >"$tmp/auto"
"$AGENT" wslconfig set wsl2.memory=8GB >"$tmp/w1" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q '^applied: stand-in applied it' "$tmp/w1" &&
	tail -1 "$tmp/changes.log" | jq_e '.change == "wslconfig" and .key == "wsl2.memory" and .value == "8GB"' >/dev/null &&
	pass "answered: applied, exit 0" || fail "answered: exit $rc $(cat "$tmp/w1")"
rm -f "$tmp/auto"

# The connection closes while a request waits.
n=$(wc -l <"$tmp/changes.log")
"$AGENT" integration disable >"$tmp/i2" 2>&1 &
verb=$!
for _ in $(seq 50); do [ "$(wc -l <"$tmp/changes.log")" -gt "$n" ] && break; sleep 0.1; done
: >"$tmp/do-close"
t0=$(date +%s%N)
wait "$verb"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" = 2 ] && grep -q 'integration: the bridge connection closed before it answered' "$tmp/i2" && [ "$ms" -lt 5000 ] &&
	pass "connection closed while waiting: ECONNRESET in $ms ms, exit 2" || fail "closed: exit $rc after $ms ms: $(cat "$tmp/i2")"

kill -0 "$agent" 2>/dev/null && pass "the daemon stayed up" || fail "the daemon died"
kill "$agent"; wait "$agent"; rc=$?
[ "$rc" = 0 ] || fail "run exited $rc after SIGTERM"
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/agent.log"; then
	fail "the agent's sanitizer reported:"; grep -E -A12 'Sanitizer|runtime error:' "$tmp/agent.log" | head -40 >&2
fi
finish
