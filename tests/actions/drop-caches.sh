#!/bin/sh
# Lever d, real: drop_caches after syncfs, with the hot set read back at
# idle I/O priority within its budget.  Two real drops only: every other
# test on this machine loses its cache too.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
need strace
[ -w /proc/sys/vm/drop_caches ] || skip "/proc/sys/vm/drop_caches is not writable here"
d=$(mktemp -d /var/tmp/wsldock-drop.XXXXXX)
trap 'rm -rf "$d" "$tmp"' EXIT
drops() { awk '$1 == "drop_pagecache" { print $2 }' /proc/vmstat; }

fill "$d/hot" 64
fill "$d/victim" 64
# Dirty data in the episode's file system: syncfs must write it back so
# the drop can take it.
dd if=/dev/urandom of="$d/dirty" bs=1M count=16 status=none
cat "$d/hot" "$d/victim" >/dev/null

n0=$(drops)
run_lever "$tmp/r" --lever drop_caches --file "$d/dirty" --hot "$d/hot" --restore-hot-set \
	--restore-budget "$(mib 128)"
check_eq "exit" "$rc" 0
check_eq "error" "$(jget "$tmp/r" .errno)" null
check_eq "one drop" "$(($(drops) - n0))" 1
check_le "victim dropped" "$(resident "$d/victim")" "$(mib 1)"
check_le "dirty file written back and dropped" "$(resident "$d/dirty")" "$(mib 1)"
check_ge "hot set read back" "$(jget "$tmp/r" .restored_bytes)" "$(mib 64)"
check_ge "hot set resident again" "$(resident "$d/hot")" "$(mib 63)"
check_ge "hot_cache before" "$(jget "$tmp/r" .hot_cache_before_bytes)" "$(mib 63)"
check_ge "hot_cache after" "$(jget "$tmp/r" .hot_cache_after_bytes)" "$(mib 63)"
check_ge "page cache dropped (bytes_returned)" "$(jget "$tmp/r" .returned_bytes)" "$(mib 64)"

# A budget smaller than the hot set bounds the read-back; it runs at idle
# I/O priority (ioprio_set IOPRIO_CLASS_IDLE on the thread).
cat "$d/hot" >/dev/null
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=ioprio_set -o "$tmp/strace" "$ACTION_RUN" --lever drop_caches --hot "$d/hot" \
	--restore-hot-set --restore-budget "$(mib 16)" --dir "$d" >"$tmp/b" 2>&1
check_eq "budget run exit" "$?" 0
check_le "restored within the budget" "$(jget "$tmp/b" .restored_bytes)" "$(mib 16)"
check_ge "restored up to the budget" "$(jget "$tmp/b" .restored_bytes)" "$(mib 16)"
check_le "hot set only partly resident" "$(resident "$d/hot")" "$(mib 24)"
if grep -q 'IOPRIO_CLASS_IDLE' "$tmp/strace"; then pass "read back at idle I/O priority"
else fail "no ioprio_set IOPRIO_CLASS_IDLE: $(cat "$tmp/strace")"; fi
check_eq "two drops in all" "$(($(drops) - n0))" 2
finish
