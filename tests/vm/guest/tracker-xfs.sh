#!/bin/sh
# Inside a tests/vm guest: the tracker's acceptance with large folios.
# A process in a fresh cgroup writes 4 x 64 MiB on XFS (fsync), the page
# cache is dropped, and it reads them back (readahead: large folios on
# both 6.1 and 6.12).  `wsldock-agent top --once --json`, running
# throughout, must attribute to that cgroup the 512 MiB that entered the
# page cache, within 10 %.  A hist trigger on the same tracepoint counts
# the folios inserted, to show that large folios were really made (else
# the test could not tell a right count from a wrong one).
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
. "$top_srcdir/tests/tracker/lib.sh"
tracker_require

MNT=/mnt/xfs
FILE_MIB=64 NFILES=4
vm_xfs "$MNT"
mkdir "$MNT/data" || fail "cannot create $MNT/data"
dev=$(kernel_dev "$MNT/data") || fail "cannot stat $MNT/data"
CG=/sys/fs/cgroup/wsldock-xfs
mkdir "$CG" || fail "cannot create $CG"
WORK=$(mktemp -d)
AGENT_PID=
trap '[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null' EXIT

vm_count_folios_start
start_top "$WORK/out" --duration 900 ||
	fail "the BPF tracker did not start: $(tail -3 "$WORK/out.err")"
cat "$WORK/out.err"
run_in_cgroup "$CG" sh -c '
	i=0
	while [ $i -lt '"$NFILES"' ]; do
		dd if=/dev/zero of='"$MNT"'/data/f$i bs=1M count='"$FILE_MIB"' conv=fsync status=none || exit 1
		i=$((i + 1))
	done' || fail "the writer failed"
written_folios=$(vm_count_folios "$dev")
sync
echo 1 >/proc/sys/vm/drop_caches
run_in_cgroup "$CG" sh -c "cat $MNT/data/f* >/dev/null" || fail "the reader failed"
all_folios=$(vm_count_folios "$dev")
kill -INT "$AGENT_PID"
wait "$AGENT_PID" || fail "top exited with $?: $(cat "$WORK/out.err")"
AGENT_PID=

pages=$((FILE_MIB * NFILES * 256))
read_folios=$((all_folios - written_folios))
echo "kernel $(uname -r): $pages pages written in $written_folios folios, read back in $read_folios folios"
[ "$read_folios" -gt 0 ] || fail "no page-cache insertions counted on device $dev"
[ "$((read_folios * 2))" -lt "$pages" ] ||
	fail "XFS made no large folios on read ($read_folios folios for $pages pages): this test cannot tell"

python3 - "$WORK/out.json" "/${CG#/sys/fs/cgroup/}" "$((2 * FILE_MIB * NFILES))" <<'PY' || fail "large-folio attribution check failed"
import json, sys
doc = json.load(open(sys.argv[1]))
path, expect_mib = sys.argv[2], int(sys.argv[3])
rows = [r for r in doc["cgroups"] if r["path"] == path]
added = sum(r["added_bytes"] for r in rows)
mib = added / 2**20
print(f"{path}: added_bytes {added} ({mib:.1f} MiB of {expect_mib} MiB), mode {doc['bpf']['mode']}")
if not rows:
    print("cgroup not in top's rows:", [r["path"] for r in doc["cgroups"]])
sys.exit(0 if abs(mib - expect_mib) <= 0.10 * expect_mib else 1)
PY
echo "tracker-xfs: pass"
