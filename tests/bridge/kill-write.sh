#!/bin/sh
# SIGKILL in the middle of a write, 200 times at random moments: the
# settings file is never truncated, empty or unparseable - it holds either
# the old or the new content - and every backup left is whole.  The file is
# padded (an unknown key of 1 MiB, kept like any other) so one write takes
# long enough for the kills to land inside it.
. "$top_srcdir/tests/bridge/lib.sh"
require jq
require python3

F=$tmp/settings-store.json
python3 - "$BFIX/settings-store.json" "$F" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["ZPadding"] = ["%08d-some-text-docker-desktop-might-keep" % i for i in range(24000)]
open(sys.argv[2], "w").write(json.dumps(d, indent=2) + "\n")
PY
rest=$(jq -c 'del(.IntegratedWslDistros)' "$F" | md5sum)

# How long one write takes here (median of five), to spread the kills over it.
dur=$(python3 - "$BRIDGE" "$F" <<'PY'
import subprocess, sys, time
ts = []
for i in range(5):
    t = time.monotonic()
    subprocess.run([sys.argv[1], "integration", "enable" if i % 2 == 0 else "disable", "Ubuntu",
                    "--docker-settings", sys.argv[2]], capture_output=True)
    ts.append(time.monotonic() - t)
print(sorted(ts)[2])
PY
)
echo "one write takes ${dur}s"

python3 - "$BRIDGE" "$F" "$dur" "$rest" <<'PY'
import glob, hashlib, json, os, random, signal, subprocess, sys, time
bridge, path, dur, rest = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
rnd = random.Random(2026)
killed_running = 0
bad = 0
for i in range(200):
    p = subprocess.Popen([bridge, "integration", "enable" if i % 2 == 0 else "disable", "Ubuntu",
                          "--docker-settings", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rnd.uniform(0, dur * 0.9))
    if p.poll() is None:
        killed_running += 1
    p.send_signal(signal.SIGKILL)
    p.wait()
    data = open(path, "rb").read()
    try:
        d = json.loads(data)
    except ValueError as e:
        print("FAIL: after kill %d the file does not parse (%d bytes): %s" % (i, len(data), e))
        bad += 1
        break
    lst = d.get("IntegratedWslDistros")
    if lst not in (["Debian"], ["Debian", "Ubuntu"]):
        print("FAIL: after kill %d IntegratedWslDistros is %r" % (i, lst)); bad += 1
    del d["IntegratedWslDistros"]
    h = hashlib.md5((json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n").encode()).hexdigest()
    if h + "  -" != rest:
        print("FAIL: after kill %d other keys changed" % i); bad += 1
    # Backups are whole too; drop them as we go (each is a 1 MiB copy).
    for b in glob.glob(path + ".wsldock-backup-*"):
        if not b.count(".wsldock-tmp-"):
            try:
                json.loads(open(b, "rb").read())
            except ValueError:
                print("FAIL: backup %s is not whole" % b); bad += 1
        os.unlink(b)
temps = glob.glob(os.path.join(os.path.dirname(path), ".*wsldock-tmp-*")) + glob.glob(path + "*.wsldock-tmp-*")
print("200 kills, %d while the bridge was running; %d temp files left by killed writers" % (killed_running, len(temps)))
if killed_running < 50:
    print("FAIL: only %d kills landed while the bridge ran: the test did not exercise writes" % killed_running); bad += 1
sys.exit(1 if bad else 0)
PY
[ $? = 0 ] && pass "200 SIGKILLs: never a truncated, empty or broken file" || fail "SIGKILL during writes broke the file"
finish
