#!/usr/bin/env python3
"""A client speaking wsldock-protocol(7) to a bridge, for tests/windows/wine.sh.

Usage: agent-client.py HOST PORT HTTP_PORT DISTRO TIMEOUT METRICS_OUT [REPORT_JSON [HOLD]]

Connects (waiting up to 60 s for wine to start the bridge), sends an agent hello and one status (REPORT_JSON: a `wsldock-agent report
--json` document, read from that file), then polls
GET /api/v1/distros until DISTRO is listed as connected, within TIMEOUT
seconds, and saves /metrics to METRICS_OUT while still connected; then stays
connected HOLD seconds (default 0) so the caller can look at the bridge.  Exit 0
when seen, 1 otherwise, with one line saying what went wrong.
"""
import json
import os
import socket
import sys
import time
import urllib.request


def main():
    host, port, http_port, distro, timeout, metrics_out = sys.argv[1:7]
    report = {}
    hold = float(sys.argv[8]) if len(sys.argv) > 8 else 0
    if len(sys.argv) > 7:
        with open(sys.argv[7]) as f:
            report = json.load(f)
    # wine itself takes seconds to start: the TIMEOUT counts from the hello.
    deadline = time.monotonic() + 60
    s = None
    while s is None:
        try:
            s = socket.create_connection((host, int(port)), timeout=1)
        except OSError as e:
            if time.monotonic() > deadline:
                print(f"agent-client: cannot connect to {host}:{port}: {e}")
                return 1
            time.sleep(0.1)
    start = time.monotonic()
    hello = {"type": "hello", "protocol_min": 1, "protocol_max": 1,
             "agent_version": "agent-client", "distro": distro, "vm_id": None,
             "role": "leader", "capabilities": ["status"]}
    s.sendall((json.dumps(hello) + "\n").encode())
    s.settimeout(float(timeout))
    buf = b""
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            print("agent-client: the bridge closed the connection before its hello")
            return 1
        buf += chunk
    answer = json.loads(buf.split(b"\n", 1)[0])
    if answer.get("type") != "hello":
        print(f"agent-client: the bridge answered {answer!r}, not a hello")
        return 1
    s.sendall((json.dumps({"type": "status", "report": report}) + "\n").encode())
    url = f"http://127.0.0.1:{http_port}"
    while True:
        try:
            with urllib.request.urlopen(url + "/api/v1/distros", timeout=1) as r:
                doc = json.load(r)
            for d in doc.get("distros", []):
                if d.get("name") == distro and d.get("connection") == "connected":
                    print(f"agent-client: {distro} listed after "
                          f"{time.monotonic() - start:.2f} s", flush=True)
                    with urllib.request.urlopen(url + "/metrics", timeout=2) as m, \
                            open(metrics_out + ".tmp", "wb") as out:
                        out.write(m.read())
                    os.rename(metrics_out + ".tmp", metrics_out)
                    time.sleep(hold)
                    s.close()
                    return 0
        except OSError:
            pass
        if time.monotonic() > start + float(timeout):
            print(f"agent-client: {distro} not in /api/v1/distros within {timeout} s")
            return 1
        time.sleep(0.1)


sys.exit(main())
