#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A test agent speaking wsldock-protocol(7) to a real wsldock-bridge, and
the scenarios the tests/bridge/*.sh scripts run with it.  Fakes only what
cannot exist here: the agent (until agent/bridge/ drives these tests too)
and, for host pressure, the host's memory (a meminfo file the bridge reads).
Each scenario exits 0 (pass) or 1 (fail, printing why)."""
import hashlib
import hmac
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request

MAX = 65536


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def connect(endpoint, timeout=5.0):
    if endpoint.startswith("unix:"):
        # A full backlog answers EAGAIN on a unix socket: retry, as an
        # agent's back-off would.
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(endpoint[5:])
                break
            except BlockingIOError:
                s.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
    elif endpoint.startswith("tcp:"):
        host, port = endpoint[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=timeout)
    else:
        fail("this test client never speaks " + endpoint)  # no vsock here, ever
    return s


def enrolled_key(distro, create=True):
    """The distro's enrolment key in the bridge's key directory
    ($WSLDOCK_TEST_KEYS, the bridge's --state-dir/bridge-keys), made there
    as `wsldock-bridge enroll` stores it when the test has not enrolled the
    distro yet (tests/security/bridge-enroll.sh runs the real verb)."""
    d = os.environ.get("WSLDOCK_TEST_KEYS")
    if not d:
        fail("WSLDOCK_TEST_KEYS (the bridge's key directory) is not set")
    path = os.path.join(d, distro.lower() + ".key")
    try:
        with open(path) as f:
            hexkey, name = f.read().split()[:2]
        return bytes.fromhex(hexkey)
    except FileNotFoundError:
        if not create:
            return None
    key = os.urandom(32)
    os.makedirs(d, mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, ("%s %s\n" % (key.hex(), distro)).encode())
    os.close(fd)
    os.rename(tmp, path)
    return key


def auth_input(agent, bridge_nonce, agent_nonce, distro, vm_id):
    """wsldock-protocol(7), AUTHENTICATION: the bytes each proof MACs."""
    return ("wsldock-protocol-2 %s\n%s\n%s\n%s\n%s\n" % ("agent" if agent else "bridge", bridge_nonce,
                                                       agent_nonce, distro, vm_id or "")).encode()


def proof(key, agent, bridge_nonce, agent_nonce, distro, vm_id):
    return hmac.new(key, auth_input(agent, bridge_nonce, agent_nonce, distro, vm_id), hashlib.sha256).hexdigest()


class Agent:
    def __init__(self, endpoint, distro="Ubuntu", role="leader", vmin=2, vmax=2, hello=True, key=None,
                 vm_id=None):
        self.sock = connect(endpoint)
        self.buf = b""
        self.distro = distro
        self.key = None
        # The bridge speaks first: a challenge with its nonce.
        self.challenge = self.recv_type("challenge")
        if hello:
            self.hello(distro, role, vmin, vmax, key, vm_id)

    def hello(self, distro, role="leader", vmin=2, vmax=2, key=None, vm_id=None):
        """A hello proving key (the distro's enrolled key when None)."""
        self.key = key if key is not None else enrolled_key(distro)
        self.hello_distro, self.vm_id = distro, vm_id
        self.agent_nonce = os.urandom(32).hex()
        self.send({"type": "hello", "protocol_min": vmin, "protocol_max": vmax,
                   "agent_version": "test-client", "distro": distro, "vm_id": vm_id,
                   "role": role, "capabilities": ["status", "events"],
                   "agent_nonce": self.agent_nonce,
                   "proof": proof(self.key, True, self.challenge["nonce"], self.agent_nonce, distro, vm_id),
                   "some_future_field": {"ignored": True}})

    def send(self, msg):
        self.sock.sendall((json.dumps(msg) + "\n").encode())

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=5.0):
        """The next message, or None when the bridge closed."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("no message from the bridge within %.1f s" % timeout)
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        if len(line) + 1 > MAX:
            fail("the bridge sent a message over 64 KiB")
        m = json.loads(line)
        if m.get("type") == "hello" and self.key is not None:
            # The bridge proves the key too: an impostor cannot.
            want = proof(self.key, False, self.challenge["nonce"], self.agent_nonce, self.hello_distro,
                         self.vm_id)
            if m.get("proof") != want:
                fail("the bridge's hello does not prove the key: %r" % m)
        return m

    def recv_type(self, typ, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            m = self.recv(max(0.1, deadline - time.monotonic()))
            if m is None:
                fail("the bridge closed while waiting for a %s" % typ)
            if m.get("type") == typ:
                return m

    def close(self):
        self.sock.close()


def http_get(url, timeout=5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def distros(http):
    return json.loads(http_get(http + "/api/v1/distros")[2])


def find(doc, name):
    for d in doc["distros"]:
        if d["name"].lower() == name.lower():
            return d
    return None


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    fail("%s: not within %.1f s" % (what, timeout))


def real_report():
    """The real agent's report --json document, as `run` sends it."""
    agent = os.environ.get("WSLDOCK_AGENT")
    if agent and os.access(agent, os.X_OK):
        out = subprocess.run([agent, "report", "--json"], capture_output=True, text=True)
        if out.stdout.strip():
            return json.loads(out.stdout)
    fail("WSLDOCK_AGENT (%s) gives no report --json" % agent)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    fail("no VmRSS for pid %d" % pid)


# ---- scenarios -----------------------------------------------------------

def sc_status(endpoint, http, distro):
    """hello -> bridge hello (+ host memory); a real report shows up in the
    API and the metrics within 2 s; unknown fields are ignored."""
    a = Agent(endpoint, distro)
    h = a.recv_type("hello")
    if h.get("protocol_min") != 2 or h.get("protocol_max") != 2 or "bridge_version" not in h:
        fail("bridge hello: %r" % h)
    hm = a.recv_type("host-memory")
    if not hm["total_bytes"] or "low" not in hm:
        fail("host-memory: %r" % hm)
    rep = real_report()
    rep["memory"]["page_cache_bytes"] = 123456789
    t0 = time.monotonic()
    a.send({"type": "status", "report": rep, "unknown_top_level": 1})
    d = wait_for(lambda: (lambda x: x if x and x["page_cache_bytes"] == 123456789 else None)(
        find(distros(http), distro)), 2.0, "status in /api/v1/distros")
    if d["connection"] != "connected" or d["role"] != "leader" or not d["last_seen"]:
        fail("distro entry: %r" % {k: d[k] for k in ("connection", "role", "last_seen")})
    m = wait_for(lambda: (lambda t: t if ('wsldock_page_cache_bytes{distro="%s"} 123456789' % distro) in t
                          else None)(http_get(http + "/metrics")[2].decode()), 2.0 - (time.monotonic() - t0),
                 "status in /metrics")
    if ('wsldock_agent_up{distro="%s"} 1' % distro) not in m:
        fail("agent_up is not 1")
    a.send({"type": "event", "event": "reclaim", "lever": "memory.reclaim", "returned_bytes": 4096,
            "episode": 1, "reason": "episode-end"})
    a.send({"type": "event", "event": "episode-started", "episode": 2})
    wait_for(lambda: ('wsldock_returned_bytes_total{distro="%s"} 4096' % distro) in
             http_get(http + "/metrics")[2].decode(), 2.0, "reclaim event in /metrics")
    a.close()
    wait_for(lambda: find(distros(http), distro)["connection"] == "disconnected", 2.0,
             "disconnect seen")
    print("status: in the API and /metrics after %.3f s" % (time.monotonic() - t0))


def sc_errors(endpoint, http):
    """Unknown types answered with an error; hello first; no common version
    closes; a message over 64 KiB is answered and skipped."""
    a = Agent(endpoint, hello=False)
    a.send({"type": "status", "report": {}})
    e = a.recv_type("error")
    if e["code"] != "hello-first":
        fail("before hello: %r" % e)
    a.hello("Errs", "follower", 1, 7)
    if a.recv_type("hello")["protocol_max"] != 2:
        fail("negotiated version")
    a.send({"type": "teleport", "where": "mars"})
    e = a.recv_type("error")
    if e["code"] != "unknown-type" or e.get("ref") != "teleport":
        fail("unknown type: %r" % e)
    a.send_raw(b"{\"type\":\"status\",\"pad\":\"" + b"x" * (MAX + 100) + b"\"}\n")
    e = a.recv_type("error")
    if e["code"] != "too-long":
        fail("oversized: %r" % e)
    a.send_raw(b"not json\n")
    if a.recv_type("error")["code"] != "malformed":
        fail("malformed")
    a.send({"type": "event", "event": "reclaim", "lever": "fadvise", "returned_bytes": -5})
    if a.recv_type("error")["code"] != "malformed":
        fail("negative bytes accepted")
    # The connection still works after all that.
    a.send({"type": "teleport"})
    if a.recv_type("error")["code"] != "unknown-type":
        fail("connection broken after errors")
    a.close()
    b = Agent(endpoint, "Future", vmin=3, vmax=4)
    e = b.recv_type("error")
    if e["code"] != "unsupported-version":
        fail("version: %r" % e)
    if b.recv(3.0) is not None:
        fail("the bridge kept a connection with no common version")
    print("errors: hello-first, unknown-type, too-long, malformed, unsupported-version")


def sc_change(endpoint, expect, action, key=None, value=None):
    a = Agent(endpoint, os.environ.get("DISTRO", "Ubuntu"))
    a.recv_type("hello")
    if action in ("enable", "disable"):
        a.send({"type": "change", "id": 41, "change": "integration", "action": action})
    else:
        a.send({"type": "change", "id": 41, "change": "wslconfig", "key": key, "value": value})
    r = a.recv_type("change-result")
    a.close()
    if r["id"] != 41:
        fail("change-result id %r" % r["id"])
    print(json.dumps(r))
    if expect != "any" and r["result"] != expect:
        fail("expected %s, got %s: %s" % (expect, r["result"], r["message"]))


def sc_abuse(endpoint, http, pid):
    """1,000 malformed, oversized and byte-at-a-time messages and 100 abrupt
    disconnects; the bridge stays up with bounded memory."""
    def round_():
        rnd = random.Random(11)
        for i in range(1000):
            kind = i % 5
            a = Agent(endpoint, "Abuse%d" % (i % 7)) if kind != 4 else Agent(endpoint, hello=False)
            if kind == 0:
                a.send_raw(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400))) + b"\n")
            elif kind == 1:
                a.send_raw(b"{\"type\":\"status\",\"report\":\"" + b"y" * (MAX + rnd.randrange(1, 5000)) + b"\"}\n")
            elif kind == 2:
                msg = b"{\"type\":\"event\",\"event\":\"episode-started\"}\n{\"type\":\"nope\"}\n"
                for j in range(len(msg)):
                    a.send_raw(msg[j:j + 1])
            elif kind == 3:
                a.send_raw(b"{\"type\":\"status\",\"report\":{\"memory\":{\"page_cache_bytes\":\"lots\"}}}\n"
                           b"{\"type\":\"hello\"}\n[]\n{}\n\"str\"\n")
            else:
                a.send_raw(b"{\"type\": \"status\", \"report\": {\"x\": [" + b"[" * 5000 + b"\n")
            if i % 10 == 0:
                # Abrupt: RST instead of FIN where the socket allows it.
                try:
                    a.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
            a.close()
        # Half-written messages left hanging on 100 sockets, then dropped.
        socks = [Agent(endpoint, "Hang%d" % k) for k in range(100)]
        for k, a in enumerate(socks):
            a.send_raw(b"{\"type\":\"status\",\"report\":{\"memory\":" + b"1" * (k * 500))
        for a in socks:
            a.close()

    rss0 = rss_kib(pid)
    round_()
    time.sleep(0.5)
    rss1 = rss_kib(pid)
    round_()
    time.sleep(0.5)
    rss2 = rss_kib(pid)
    if not os.path.exists("/proc/%d" % pid):
        fail("the bridge died")
    # Up: a well-behaved agent is still served.
    sc_status(endpoint, http, "AfterAbuse")
    print("abuse: RSS %d -> %d -> %d KiB" % (rss0, rss1, rss2))
    if rss1 - rss0 > 32 * 1024:
        fail("RSS grew by %d KiB in the first round" % (rss1 - rss0))
    if rss2 - rss1 > 4 * 1024:
        fail("RSS kept growing in the second round (+%d KiB): unbounded" % (rss2 - rss1))


def sc_agent(endpoint, distro, seconds, interval):
    """A long-running agent: reconnects with back-off when the bridge goes
    away, and re-sends its status on every connection."""
    rep = real_report()
    deadline = time.monotonic() + seconds
    delay = 0.1
    connects = 0
    while time.monotonic() < deadline:
        try:
            a = Agent(endpoint, distro)
            a.recv_type("hello")
            connects += 1
            delay = 0.1
            print("connected (%d)" % connects, flush=True)
            while time.monotonic() < deadline:
                rep["memory"]["page_cache_bytes"] = 1000 + connects
                a.send({"type": "status", "report": rep})
                time.sleep(interval)
        except (OSError, SystemExit):
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)


def sc_feed(endpoint, distro, n, hold):
    """An agent through a build: page cache climbs, then the agent returns
    it in reclaim steps; one conflict with its remedy.  Stays connected
    for hold seconds so the page shows it live."""
    rep = real_report()
    rep.setdefault("conflicts", {})["findings"] = [{
        "id": "package-dpkg-docker.io", "severity": "conflict", "kind": "package", "name": "docker.io",
        "message": "docker.io (dpkg) is installed beside Docker Desktop's integration",
        "evidence": [], "remedy": "sudo apt-get remove docker.io"}]
    a = Agent(endpoint, distro)
    a.recv_type("hello")
    gib = 1 << 30
    for i in range(n):
        up = min(i, n // 2)
        down = max(0, i - n // 2)
        cache = int(0.5 * gib + up * 0.3 * gib - down * 0.25 * gib)
        rep["memory"]["page_cache_bytes"] = max(cache, 0)
        rep["daemon"] = {"episode_attributed_bytes": int(up * 0.25 * gib) if down == 0 else 0,
                         "episode_active": down == 0}
        if down:
            a.send({"type": "event", "event": "reclaim", "lever": "memory.reclaim",
                    "returned_bytes": int(0.25 * gib), "reason": "episode-end"})
        a.send({"type": "status", "report": rep})
        time.sleep(0.05)
    time.sleep(hold)
    a.close()


def main():
    sc = sys.argv[1]
    args = sys.argv[2:]
    if sc == "status":
        sc_status(args[0], args[1], args[2] if len(args) > 2 else "Ubuntu")
    elif sc == "errors":
        sc_errors(args[0], args[1])
    elif sc == "change":
        sc_change(args[0], args[1], *(args[2:]))
    elif sc == "abuse":
        sc_abuse(args[0], args[1], int(args[2]))
    elif sc == "feed":
        sc_feed(args[0], args[1], int(args[2]), float(args[3]))
    elif sc == "agent":
        sc_agent(args[0], args[1], float(args[2]), float(args[3]))
    else:
        fail("unknown scenario " + sc)


if __name__ == "__main__":
    main()
