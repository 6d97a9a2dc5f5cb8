#!/bin/sh
# Inside a tests/vm guest booted cgroup v2 only, PSI off, order 5: every
# figure of `wsldock-agent report --json` is known or null with a reason
# (WSL2 detection aside: this is not WSL), psi is null with a reason, the
# memory controller is found on cgroup v2, and the figures agree with what
# the kernel says (/proc/meminfo, the page_reporting parameter).
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
[ -x "${WSLDOCK_AGENT:-}" ] || fail "WSLDOCK_AGENT is not set"

out=$(mktemp)
"$WSLDOCK_AGENT" report --json >"$out" 2>"$out.err"
rc=$?
cat "$out.err"
# 1 = a source was missing or malformed: the rest is still reported, and
# the check below says which figure is null and why.
[ "$rc" -le 1 ] || fail "report exited $rc"
"$WSLDOCK_AGENT" report >"$out.txt" || [ $? -le 1 ] || fail "report (table) failed"
cat "$out.txt"

python3 - "$out" <<'PY' || fail "report figures check failed"
import json, sys
doc = json.load(open(sys.argv[1]))
unavail = doc["unavailable"]
errors = []

def check(name, cond, what):
    print(("ok   " if cond else "FAIL ") + f"{name}: {what}")
    if not cond:
        errors.append(name)

def has_reason(dotted):
    parts = dotted.split(".")
    return any(".".join(parts[:i]) in unavail and unavail[".".join(parts[:i])]
               for i in range(1, len(parts) + 1))

def walk(prefix, v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from walk(f"{prefix}.{k}", x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from walk(f"{prefix}.{i}", x)
    else:
        yield prefix, v

# Every figure (WSL detection and the conflicts document aside).
nulls = []
for section in ("cgroup", "memory", "page_reporting", "buddyinfo", "psi", "vmstat"):
    for name, v in walk(section, doc[section]):
        if v is None:
            nulls.append(name)
no_reason = [n for n in nulls if not has_reason(n)]
check("null figures", not no_reason,
      f"{len(nulls)} null, all with a reason" if not no_reason else f"no reason for {no_reason}")
for n in nulls:
    print(f"     {n}: {unavail.get(n) or next(unavail[k] for k in unavail if n.startswith(k))}")

check("psi", doc["psi"] is None and bool(unavail.get("psi")), f"null, reason {unavail.get('psi')!r}")
cg = doc["cgroup"]
check("cgroup.mode", cg["mode"] == "v2", cg["mode"])
check("cgroup.memory_controller", cg["memory_controller"] == "v2", cg["memory_controller"])
check("cgroup.unified_path", cg["unified_path"] == "/sys/fs/cgroup", str(cg["unified_path"]))

meminfo = {l.split(":")[0]: int(l.split()[1]) * 1024 for l in open("/proc/meminfo")}
mem = doc["memory"]
check("memory.total_bytes", mem["total_bytes"] == meminfo["MemTotal"],
      f"{mem['total_bytes']} (MemTotal {meminfo['MemTotal']})")
check("memory figures known", all(v is not None for v in mem.values()), str(mem))

order = int(open("/sys/module/page_reporting/parameters/page_reporting_order").read())
pr = doc["page_reporting"]
check("page_reporting_order", pr["page_reporting_order"] == order == 5, f"{pr['page_reporting_order']} (sysfs {order})")
check("block_bytes", pr["block_bytes"] == 4096 << 5, str(pr["block_bytes"]))
check("reportable_free_bytes", pr["reportable_free_bytes"] is not None and
      0 < pr["reportable_free_bytes"] <= mem["free_bytes"],
      f"{pr['reportable_free_bytes']} of free {mem['free_bytes']}")
check("buddyinfo", len(doc["buddyinfo"]) > 0, f"{len(doc['buddyinfo'])} zones")
check("sources.pressure_memory", doc["sources"]["pressure_memory"]["state"] == "absent",
      str(doc["sources"]["pressure_memory"]))
sys.exit(1 if errors else 0)
PY
echo "report-wsl-like: pass"
