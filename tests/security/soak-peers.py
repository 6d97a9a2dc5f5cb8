#!/usr/bin/env python3
# The hostile side of tests/security/agent-soak.sh, for SECONDS seconds:
#   engine SOCKET SECONDS     a fake Docker engine on SOCKET: each connection
#                             gets a 200 and a flood of image-tag events, a
#                             malformed line now and then, and is closed
#                             after a while (the daemon reconnects)
#   clients SOCKET SECONDS    control-socket clients that misbehave: garbage,
#                             oversized and unterminated lines, trickles,
#                             hang-ups mid-reply, readers that never read,
#                             bursts of connections; and a good client whose
#                             replies are counted (printed at the end)
# Only what cannot exist here is faked (the engine: Docker Desktop's is in
# another distro); the daemon, its sockets and the kernel are real.
import os, random, socket, sys, threading, time

def engine(path, seconds):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(8)
    srv.settimeout(1)
    end = time.time() + seconds
    ev = b'{"Type":"image","Action":"tag","Actor":{"ID":"sha256:%x","Attributes":{"name":"x:%d"}},"time":1}\n'
    conns = 0
    while time.time() < end:
        try:
            c, _ = srv.accept()
        except socket.timeout:
            continue
        conns += 1
        try:
            c.recv(4096)
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
            stop = time.time() + random.uniform(5, 20)
            i = 0
            while time.time() < min(stop, end):
                burst = b"".join(ev % (i + j, i + j) for j in range(50))
                if random.random() < 0.02:
                    burst += b'{"Type":"image","Action":\n'  # malformed: the daemon drops us
                c.sendall(burst)
                i += 50
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            c.close()
    print("engine: %d connections" % conns, flush=True)

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s

BAD = [b"not json\n", b"[]\n", b'{"request":"nope"}\n', b'{"request":"status","x":1}\n',
       b"\x00\xff\xfe\n", b"{" * 3000 + b"\n", b"x" * 5000, b'{"request":"history","limit":-1}\n',
       b'{"request":"reclaim-now"}\n', b'{"request":"reload"}\n']

def hostile(path, end, stats):
    while time.time() < end:
        kind = random.randrange(6)
        try:
            s = connect(path)
            if kind == 0:    # garbage, read what comes back
                s.sendall(random.choice(BAD))
                s.recv(65536)
            elif kind == 1:  # trickle then vanish
                for b in b'{"request":"sta':
                    s.send(bytes([b]))
                    time.sleep(0.2)
            elif kind == 2:  # ask and hang up before the reply
                s.sendall(b'{"request":"history"}\n')
            elif kind == 3:  # many requests, never read
                s.sendall(b'{"request":"status"}\n' * 150)
                time.sleep(random.uniform(0, 3))
            elif kind == 4:  # slow reader
                s.sendall(b'{"request":"status"}\n')
                for _ in range(10):
                    s.recv(1)
                    time.sleep(0.1)
            else:            # unterminated line, then shut down the write side
                s.sendall(b'{"request":"status"}')
                s.shutdown(socket.SHUT_WR)
                s.recv(65536)
            s.close()
            stats["hostile"] += 1
        except OSError:
            stats["refused"] += 1
            time.sleep(0.05)

def good(path, end, stats):
    while time.time() < end:
        try:
            s = connect(path)
            s.sendall(b'{"request":"status"}\n')
            buf = b""
            while not buf.endswith(b"\n"):
                d = s.recv(65536)
                if not d:
                    break
                buf += d
            s.close()
            stats["good" if b'"ok":true' in buf else "good_failed"] += 1
        except OSError:
            stats["good_failed"] += 1
        time.sleep(0.5)

def clients(path, seconds):
    end = time.time() + seconds
    stats = {"hostile": 0, "refused": 0, "good": 0, "good_failed": 0}
    ts = [threading.Thread(target=hostile, args=(path, end, stats)) for _ in range(6)]
    ts.append(threading.Thread(target=good, args=(path, end, stats)))
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("clients: " + " ".join("%s=%d" % kv for kv in sorted(stats.items())), flush=True)

if __name__ == "__main__":
    {"engine": engine, "clients": clients}[sys.argv[1]](sys.argv[2], float(sys.argv[3]))
