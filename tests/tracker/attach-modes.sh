#!/bin/sh
# Each attach mode, forced with --bpf-mode, loads and attaches the real
# programs and attributes >= 95 % of the pages a process in a fresh child
# cgroup writes (then reads) to that cgroup, names at least one of its files
# by device and inode, and charges their removal back to it.  A mode the
# kernel lacks (kernel_lacks, judged without the tracker) is reported and
# passed over; any other mode that fails fails the test.
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"

CG2=$(cgroup2_mount)
[ -n "$CG2" ] || skip "no cgroup2 mount in /proc/self/mounts"
MIB=64
FILES=4
WORK=$(scratch_dir tracker)
CG=
AGENT_PID=
cleanup() {
	[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null
	rm -rf "$WORK"
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	:
}
trap cleanup EXIT INT TERM

passed=0
for mode in fentry tp_btf tracepoint; do
	lacks=$(kernel_lacks "$mode")
	if [ -n "$lacks" ]; then
		echo "mode $mode: the kernel lacks it: $lacks"
		continue
	fi
	CG="$CG2/wsldock-test-$$-$mode"
	mkdir "$CG" || fail "cannot create $CG"
	mkdir -p "$WORK/$mode"
	start_top "$WORK/out-$mode" --duration 5 --bpf-mode "$mode" ||
		fail "mode $mode: the kernel has what it needs, yet it did not attach: $(tail -1 "$WORK/out-$mode.err")"
	run_in_cgroup "$CG" sh -c ". '$top_srcdir/tests/tracker/lib.sh'; write_and_read '$WORK/$mode' $MIB $FILES" ||
		fail "mode $mode: the writer failed"
	ls -i "$WORK/$mode" >"$WORK/inodes-$mode"
	stat -c %d "$WORK/$mode/f0" >"$WORK/dev-$mode"
	rm -f "$WORK/$mode"/f*
	wait "$AGENT_PID" || fail "mode $mode: top exited with $?: $(cat "$WORK/out-$mode.err")"
	AGENT_PID=
	python3 - "$WORK/out-$mode.json" "/${CG#"$CG2"/}" $((MIB * FILES)) "$mode" \
		"$(cat "$WORK/dev-$mode")" "$WORK/inodes-$mode" <<'PY' || fail "mode $mode: attribution check failed"
import json, sys
doc = json.load(open(sys.argv[1]))
path, mib, mode, dev = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
inos = {int(l.split()[0]) for l in open(sys.argv[6]) if l.strip()}
want = mib << 20
assert doc["bpf"]["mode"] == mode, doc["bpf"]
rows = [r for r in doc["cgroups"] if r["path"] == path]
added = sum(r["added_bytes"] for r in rows)
removed = sum(r["removed_bytes"] for r in rows)
dirtied = sum(r["dirtied_bytes"] for r in rows)
print(f"mode {mode}: {path}: added {added >> 20} MiB, removed {removed >> 20} MiB, "
      f"dirtied {dirtied >> 20} MiB of {mib} MiB written")
ok = True
if added < want * 0.95:
    print(f"  added {added} < 95 % of {want}"); ok = False
if removed < want * 0.95:
    print(f"  removed {removed} < 95 % of {want}"); ok = False
# The classic tracepoint carries no folio size: one page per dirtying.
if mode != "tracepoint" and dirtied < want * 0.95:
    print(f"  dirtied {dirtied} < 95 % of {want}"); ok = False
# One page per event is a lower bound, but never zero and never more
# than was written (large folios make it ~0.5 % on 6.18's ext4).
if mode == "tracepoint" and not 0 < dirtied <= want * 1.05:
    print(f"  dirtied {dirtied} outside (0, {want} + 5 %]"); ok = False
files = [f for f in doc["files"] if f["dev"] == dev and f["ino"] in inos]
if not files:
    print(f"  none of the files written ({dev}, {sorted(inos)}) in files[]"); ok = False
elif any(f["class"] != "other" for f in files):
    print(f"  files misclassified: {files}"); ok = False
sys.exit(0 if ok else 1)
PY
	rmdir "$CG" || fail "cannot remove $CG"
	CG=
	passed=$((passed + 1))
done
[ "$passed" -gt 0 ] || bpf_skip "the kernel lacks every attach mode (see above)"
echo "$passed attach mode(s) attribute correctly"
