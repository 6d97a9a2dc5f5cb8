#!/bin/sh
# The files map does not keep what a build left once its cache is gone:
# the tracker deletes a file's entry when none of the cache it saw arrive
# is left and nothing moved for a whole history (ledger_forgettable), so
# the map, the ledger and the agent's memory shrink back after a build.  A
# file written and read, then evicted (POSIX_FADV_DONTNEED), must leave
# the map of a running `top` within 40 s; a file still cached must stay.
# (The map is found by its size among the map fds of top's process.)
set -u
. "${top_srcdir:-.}/tests/tracker/lib.sh"
tracker_require
need_tracefs "$@"
command -v bpftool >/dev/null || fail "bpftool is missing (scripts/install-deps)"

CG2=$(cgroup2_mount)
[ -n "$CG2" ] || skip "no cgroup2 mount in /proc/self/mounts"
# Other tests' file reads must not fill the map meanwhile (its LRU would
# evict the entries this test watches).
machine_lock
tracker_work "$CG2" forget

files_map() {
	for f in /proc/"$AGENT_PID"/fdinfo/*; do
		awk '/^map_type:/ { t = $2 } /^max_entries:/ { m = $2 } /^map_id:/ { id = $2 }
		     END { if (t == 9 && m == 16384) print id }' "$f" 2>/dev/null
	done | head -1
}
# has_entry INODE: 0 when the files map holds that inode.
has_entry() {
	bpftool map dump id "$MAP" -j 2>/dev/null | python3 -c '
import json, sys
ino = int(sys.argv[1])
sys.exit(0 if any((e.get("formatted") or e)["key"]["ino"] == ino for e in json.load(sys.stdin)) else 1)
' "$1"
}

# One round; 2 when the map evicted entries meanwhile (another process
# filled it), so that a vanished entry proves nothing.
round() {
	start_top "$WORK/out" --duration 90 || tracker_failed "$WORK/out.err"
	MAP=$(files_map)
	[ -n "$MAP" ] || fail "cannot find the files map of top (pid $AGENT_PID)"
	rm -f "$WORK/gone" "$WORK/kept"
	run_in_cgroup "$CG" sh -c "dd if=/dev/zero of='$WORK/gone' bs=1M count=16 conv=fsync status=none &&
		dd if=/dev/zero of='$WORK/kept' bs=1M count=16 conv=fsync status=none &&
		cat '$WORK/gone' '$WORK/kept' >/dev/null" || fail "the writer failed"
	GONE=$(stat -c %i "$WORK/gone") KEPT=$(stat -c %i "$WORK/kept")
	i=0
	until has_entry "$GONE" && has_entry "$KEPT"; do
		i=$((i + 1))
		[ "$i" -lt 20 ] || fail "the files map never held the two files (map $MAP)"
		sleep 0.5
	done
	python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$WORK/gone" || fail "fadvise failed"
	i=0
	while has_entry "$GONE" && [ "$i" -lt 80 ]; do
		i=$((i + 1))
		sleep 0.5
	done
	kept=0
	has_entry "$KEPT" || kept=1
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" || fail "top exited with $?: $(tail -3 "$WORK/out.err")"
	AGENT_PID=
	evicted=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["overflow"]["files_evicted"])' \
		"$WORK/out.json") || fail "top printed no overflow figures"
	if [ "$evicted" -gt 0 ]; then
		echo "round disturbed: the map evicted $evicted files meanwhile"
		return 2
	fi
	[ "$i" -lt 80 ] || fail "the evicted file's entry is still in the map after 40 s"
	[ "$kept" -eq 0 ] || fail "the file still cached was forgotten too"
	echo "the evicted file left the map after about $((i / 2)) s; the cached one stayed"
}

n=0
while :; do
	n=$((n + 1))
	round && break
	[ "$n" -lt 3 ] || fail "every round was disturbed: cannot judge"
done
echo "forget: pass"
