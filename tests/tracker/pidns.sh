#!/bin/sh
# Processes outside the agent's pid namespace (under WSL: other distros',
# Docker Desktop's) have no pid there: top must show their name without a
# pid (JSON tgid null), never the initial namespace's number, which in the
# agent's namespace names some other process or none.  The agent runs in
# a new pid namespace (unshare -p), the writer outside it.  Then the other
# way round: a writer in a pid namespace nested below the agent's has a
# pid in the agent's namespace, and top shows it.
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"
command -v unshare >/dev/null || fail "unshare is missing (util-linux)"

CG2=$(cgroup2_mount)
[ -n "$CG2" ] || skip "no cgroup2 mount in /proc/self/mounts"
tracker_work "$CG2" pidns

check() { # JSON WANT(null|number) WHAT
	python3 - "$1" "/${CG#"$CG2"/}" "$2" <<'PY' || fail "$3"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["cgroups"] if r["path"] == sys.argv[2]]
procs = [p for r in rows for p in r["top_processes"] if p["comm"] == "dd"]
print(f"{sys.argv[2]}: dd rows {procs}")
if not procs:
    sys.exit(1)
want_null = sys.argv[3] == "null"
sys.exit(0 if all((p["tgid"] is None) == want_null for p in procs) else 1)
PY
}

AGENT_WRAP="unshare -p -f --mount-proc"
start_top "$WORK/out-foreign" --duration 3 || tracker_failed "$WORK/out-foreign.err"
AGENT_WRAP=
run_in_cgroup "$CG" dd if=/dev/zero of="$WORK/f" bs=1M count=8 conv=fsync status=none ||
	fail "the writer failed"
wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out-foreign.err")"
AGENT_PID=
check "$WORK/out-foreign.json" null "a process outside the agent's pid namespace was shown with a pid"
rm -f "$WORK/f"

start_top "$WORK/out-nested" --duration 3 || tracker_failed "$WORK/out-nested.err"
run_in_cgroup "$CG" unshare -p -f dd if=/dev/zero of="$WORK/f" bs=1M count=8 conv=fsync status=none ||
	fail "the nested writer failed"
wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out-nested.err")"
AGENT_PID=
check "$WORK/out-nested.json" number "a process in a nested pid namespace lost its pid"
echo "pidns: pass"
