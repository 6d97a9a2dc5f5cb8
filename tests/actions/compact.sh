#!/bin/sh
# Lever e, real: /proc/sys/vm/compact_memory and the per-node knob; the
# kernel's compaction counters prove it ran.  A node that does not exist
# is an error naming its file, with nothing written.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
[ -w /proc/sys/vm/compact_memory ] || skip "no /proc/sys/vm/compact_memory (kernel without CONFIG_COMPACTION)"
scanned() { awk '$1 == "compact_migrate_scanned" || $1 == "compact_free_scanned" { s += $2 } END { print s + 0 }' /proc/vmstat; }

s0=$(scanned)
run_lever "$tmp/all" --lever compact
check_eq "compact_memory exit" "$rc" 0
check_eq "compact_memory: one write" "$(jget "$tmp/all" .steps)" 1
s1=$(scanned)
check_ge "the kernel compacted (pages scanned)" "$((s1 - s0))" 1
check_eq "targets the stranded free memory" "$(jget "$tmp/all" .targeted_bytes)" \
	"$(jget "$tmp/all" .stranded_free_before_bytes)"

if [ -w /sys/devices/system/node/node0/compact ]; then
	run_lever "$tmp/n0" --lever compact --node 0
	check_eq "node0 exit" "$rc" 0
	check_eq "node0: one write" "$(jget "$tmp/n0" .steps)" 1
	check_ge "node0 compacted" "$(($(scanned) - s1))" 1
else
	echo "note: no per-node compact knob (CONFIG_NUMA off): node test not run"
fi
run_lever "$tmp/bad" --lever compact --node 4095
check_eq "missing node exit" "$rc" 1
check_eq "missing node error" "$(jget "$tmp/bad" .errno)" ENOENT
check_eq "missing node where" "$(jget "$tmp/bad" .error_where)" /sys/devices/system/node/node4095/compact
check_eq "missing node: nothing written" "$(jget "$tmp/bad" .steps)" 0
finish
