#!/bin/sh
# A sample holds every page counted so far: the programs batch up to 63
# pages per CPU and kind, and tracker_sample flushes those batches first.
# A process in a fresh cgroup writes (fsync), reads and deletes a 40 KiB
# file (10 pages, under one batch), then SIGTERM makes `top --once`
# sample at once; the
# cgroup must show all 10 pages added, dirtied and removed.  Another
# process's event on that CPU also flushes a batch, so on a busy machine a
# missing flush shows only some of the time: the check runs ROUNDS times.
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"

CG2=$(cgroup2_mount)
[ -n "$CG2" ] || skip "no cgroup2 mount in /proc/self/mounts"
ROUNDS=5
tracker_work "$CG2" pending
n=0
while [ "$n" -lt "$ROUNDS" ]; do
	n=$((n + 1))
	start_top "$WORK/out-$n" --duration 60 || tracker_failed "$WORK/out-$n.err"
	run_in_cgroup "$CG" sh -c "dd if=/dev/zero of='$WORK/small' bs=4k count=10 conv=fsync status=none &&
		cat '$WORK/small' >/dev/null && rm '$WORK/small'" || fail "the writer failed"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out-$n.err")"
	AGENT_PID=
	python3 - "$WORK/out-$n.json" "/${CG#"$CG2"/}" "$n" <<'PY' || fail "round $n: pending pages were not in the sample"
import json, sys
doc = json.load(open(sys.argv[1]))
rows = [r for r in doc["cgroups"] if r["path"] == sys.argv[2]]
got = {k: sum(r[k + "_bytes"] for r in rows) for k in ("added", "dirtied", "removed")}
if not rows: print([(r["path"], r["added_bytes"]) for r in doc["cgroups"]][:15])
print(f"round {sys.argv[3]}: {sys.argv[2]} ({doc['bpf']['mode']}): {got} of 40960 bytes each")
want = {"added": 40960, "removed": 40960}
# The classic tracepoint counts one page per dirtying (no folio size).
want["dirtied"] = 4096 if doc["bpf"]["mode"] == "tracepoint" else 40960
sys.exit(0 if all(got[k] >= v for k, v in want.items()) else 1)
PY
done
echo "pending: pass"
