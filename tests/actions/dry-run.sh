#!/bin/sh
# Every lever in dry-run measures and counts its targets and writes
# nothing: no file opened for writing, no fadvise, no sync, no drop (the
# drop_pagecache counter of /proc/vmstat), residency and memory.stat
# unchanged.  strace records every such system call of the driver.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
need strace
d=$(mktemp -d /var/tmp/wsldock-dry.XXXXXX)
M=/sys/fs/cgroup/memory
cg=wsldock-test-dry-$$
cleanup() {
	rmdir "$M/$cg/child" "$M/$cg" 2>/dev/null
	rm -rf "$d" "$tmp"
}
trap cleanup EXIT
drops() { awk '$1 == "drop_pagecache" { print $2 }' /proc/vmstat; }

fill "$d/f" 32
fill "$d/hot" 8
cat "$d/f" "$d/hot" >/dev/null
v1=
if grep -q " $M cgroup [^ ]*memory" /proc/self/mounts; then
	mkdir -p "$M/$cg/child"
	sh -c "echo \$\$ > $M/$cg/child/cgroup.procs && exec dd if=/dev/urandom of=$d/g bs=1M count=16 status=none conv=fsync"
	rmdir "$M/$cg/child"
	v1="--cgroup v1=$cg"
fi
stat_before=$( [ -n "$v1" ] && awk '$1 == "total_cache" { print $2 }' "$M/$cg/memory.stat")
n0=$(drops)
r0=$(resident "$d/f")
for lever in memory.reclaim force_empty fadvise drop_caches compact; do
	# LeakSanitizer cannot run under ptrace (sanitized builds): off here.
	# shellcheck disable=SC2086
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -o "$tmp/trace" \
		-e trace=openat,open,write,pwrite64,writev,fadvise64,sync_file_range,syncfs,sync,fsync,fdatasync,ioprio_set \
		"$ACTION_RUN" --dry-run --lever "$lever" --file "$d/f" --dir "$d" --hot "$d/hot" \
		--restore-hot-set --restore-budget "$(mib 8)" --cgroup "v2=wsldock-none,id=1" $v1 \
		>"$tmp/out" 2>"$tmp/err"
	check_eq "$lever dry-run: dry_run reported" "$(jget "$tmp/out" .dry_run)" true
	check_eq "$lever dry-run: no step" "$(jget "$tmp/out" .steps)" 0
	check_eq "$lever dry-run: nothing returned" "$(jget "$tmp/out" .returned_bytes)" 0
	bad=$(grep -E 'O_WRONLY|O_RDWR|fadvise64|sync_file_range|syncfs|sync\(|fsync|fdatasync|ioprio_set' "$tmp/trace" |
		grep -v ' = -1 ' || :)
	# The JSON goes to stdout (fd 1), diagnostics to stderr; any other
	# write is a fault.
	other=$(grep -E '^[0-9]+ +(write|pwrite64|writev)\(' "$tmp/trace" | grep -vE '(write|writev)\([12],' || :)
	if [ -z "$bad$other" ]; then pass "$lever dry-run: no write, advice or sync"
	else fail "$lever dry-run wrote: $bad $other"; fi
done
check_ge "fadvise dry-run counts the file" "$("$ACTION_RUN" --dry-run --lever fadvise --file "$d/f" |
	jq -r .targeted_bytes)" "$(mib 32)"
check_eq "drop_pagecache counter unchanged" "$(drops)" "$n0"
check_eq "file residency unchanged" "$(resident "$d/f")" "$r0"
if [ -n "$v1" ]; then
	check_ge "the v1 cgroup holds cache" "$stat_before" "$(mib 15)"
	check_eq "memory.stat unchanged" "$(awk '$1 == "total_cache" { print $2 }' "$M/$cg/memory.stat")" "$stat_before"
fi
finish
