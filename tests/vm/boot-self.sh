#!/bin/sh
# tests/vm/boot itself: the guest gets the kernel, order, PSI and cgroup
# setup asked for, sees the shared tree at its host path, its exit status
# comes back, marks reach rss.csv, RssAnon is sampled (and the guest sees
# rss.csv grow while it runs); and the time limit
# stops QEMU (by its pid) and says so.
. "${top_srcdir:-.}/tests/vm/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (the guest image is built with debootstrap)"
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is missing: scripts/install-deps installs qemu-system-x86"
BOOT="$top_srcdir/tests/vm/boot"
out="$top_builddir/tests/vm/boot-self.out"

"$BOOT" --kernel 6.1 --order 5 --psi on --mem 1G --smp 1 --out "$out" --env WSLDOCK_SELF=yes -- sh -c '
	set -e
	uname -r | grep -q "^6\.1\." || { echo "not 6.1"; exit 10; }
	[ "$(cat /sys/module/page_reporting/parameters/page_reporting_order)" = 5 ] || { echo "order"; exit 11; }
	[ -e /proc/pressure/memory ] || { echo "psi not on"; exit 12; }
	grep -q " /sys/fs/cgroup cgroup2 " /proc/mounts || { echo "no cgroup2"; exit 13; }
	! grep -q " cgroup " /proc/mounts || { echo "a cgroup v1 mount"; exit 14; }
	grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || { echo "memory not delegated"; exit 15; }
	[ -x "$WSLDOCK_AGENT" ] && [ -f "$top_srcdir/tests/vm/boot" ] || { echo "tree not shared"; exit 16; }
	[ "$WSLDOCK_SELF" = yes ] || { echo "--env lost"; exit 17; }
	[ -d /sys/kernel/tracing/events/filemap ] || { echo "no tracefs"; exit 18; }
	echo self-mark >>"$WSLDOCK_VM_MARKS"
	sleep 2
	# The host appends rss.csv while the guest runs; the guest can read it.
	[ "$(wc -l <"$WSLDOCK_VM_OUT/rss.csv")" -ge 3 ] || { echo "rss.csv not visible live"; exit 19; }
	exit 3'
rc=$?
[ "$rc" -eq 3 ] || fail "expected the guest's exit status 3, got $rc (see $out/guest.log)"
grep -q ',self-mark$' "$out/rss.csv" || fail "the guest's mark is not in $out/rss.csv"
rows=$(awk -F, 'NR > 1 && $2 > 0' "$out/rss.csv" | wc -l)
[ "$rows" -ge 10 ] || fail "only $rows RssAnon samples in $out/rss.csv"
echo "status, settings, mark and $rows RSS samples: ok"

"$BOOT" --kernel 6.12 --mem 1G --smp 1 --timeout 8 --out "$out.timeout" -- sleep 600
rc=$?
[ "$rc" -eq 125 ] || fail "a run past its time limit exited $rc, not 125"
# The run's own clock (waiting for another guest's lock is not counted).
elapsed=$(awk '$1 == "elapsed" { print int($2) }' "$out.timeout/run.info")
[ -n "$elapsed" ] && [ "$elapsed" -lt 20 ] || fail "the time limit of 8 s took ${elapsed:-?} s"
qpid=$(awk '$1 == "qemu" && $2 == "pid" { print $3 }' "$out.timeout/run.info")
[ -n "$qpid" ] || fail "no qemu pid in $out.timeout/run.info"
if kill -0 "$qpid" 2>/dev/null && grep -q wsldock-vm "/proc/$qpid/cmdline" 2>/dev/null; then
	fail "qemu (pid $qpid) still runs after the time limit"
fi
echo "time limit: qemu $qpid stopped, exit 125: ok"
