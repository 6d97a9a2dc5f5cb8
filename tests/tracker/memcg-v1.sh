#!/bin/sh
# Hybrid hosts (this machine, older WSL): the memory controller is on
# cgroup v1 and processes sit in the cgroup v2 root, where the v2 id says
# nothing.  A process in the v2 root and a fresh v1 memory cgroup writes
# and reads 64 MiB; top must attribute it to that v1 cgroup (hierarchy
# "v1-memory", its path in the memory hierarchy) and say in a note why.
# Skips where the memory controller is not on v1 (a v2-only kernel).
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"

CG2=$(cgroup2_mount)
MEMCG=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/self/mounts)
[ -n "$CG2" ] && [ -n "$MEMCG" ] || skip "not a hybrid host (memory controller on cgroup v1 and a cgroup2 mount)"
tracker_work "$MEMCG" v1
mkdir "$WORK/data"

start_top "$WORK/out" --duration 4 || tracker_failed "$WORK/out.err"
# The writer moves itself to the v2 root, then into the v1 memory cgroup.
sh -c 'echo $$ >"$1/cgroup.procs" && echo $$ >"$2/cgroup.procs" && shift 2 && exec "$@"' \
	mover "$CG2" "$CG" sh -c ". '$top_srcdir/tests/tracker/lib.sh'; write_and_read '$WORK/data' 16 4" ||
	fail "the writer failed"
wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out.err")"
AGENT_PID=

python3 - "$WORK/out.json" "/${CG#"$MEMCG"/}" <<'PY' || fail "the v1 memory cgroup was not attributed"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["cgroups"] if r["path"] == sys.argv[2] and r.get("hierarchy") == "v1-memory"]
added = sum(r["added_bytes"] for r in rows)
print(f"{sys.argv[2]} (v1-memory): added {added >> 20} MiB of 64 MiB; note: {doc.get('note')}")
ok = added >= 64 * 2**20 * 0.95 and "cgroup v1" in (doc.get("note") or "")
sys.exit(0 if ok else 1)
PY
echo "memcg-v1: pass"
