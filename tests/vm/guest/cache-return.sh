#!/bin/sh
# Inside a tests/vm guest: how much page cache the host gets back, and how
# fast, after each lever.  Phases, each marked for the host's rss.csv:
#   none     CACHE_MIB written by cgroup A (fsync), then 25 s without action
#   drop     sync; drop_caches=1; compact_memory=1 (the global last resort)
#   reclaim  CACHE_MIB written by cgroup B, memory.reclaim on B only
#   reclaim+compact  the same with cgroup C, then compact_memory=1
# Between a write and its mark the guest waits SETTLE s so the host's RSS
# has taken the writes in.  Guest-side figures (cgroup file bytes, MemFree)
# go to the log; tests/vm/measure-return reads the host-side ones.
set -u
. "$top_srcdir/tests/vm/guest-lib.sh"
CACHE_MIB=${CACHE_MIB:-1536} SETTLE=${SETTLE:-8} HOLD=${HOLD:-30}
MNT=/mnt/xfs
vm_xfs "$MNT"

memfree() { awk '/^MemFree:/ { printf "%.2f GiB", $2 / 2^20 }' /proc/meminfo; }
cgfile() { awk '$1 == "file" { printf "%.2f GiB", $2 / 2^30 }' "$1/memory.stat"; }
write_in() { # cgroup name
	mkdir -p "/sys/fs/cgroup/$1"
	sh -c 'echo $$ >"$0/cgroup.procs" && exec dd if=/dev/zero of="$1" bs=1M count="$2" conv=fsync status=none' \
		"/sys/fs/cgroup/$1" "$MNT/$1.dat" "$CACHE_MIB" || fail "writing in $1 failed"
	echo "$1: wrote $CACHE_MIB MiB; cgroup file $(cgfile "/sys/fs/cgroup/$1"), MemFree $(memfree)"
	sleep "$SETTLE"
}
phase() { # mark, then the lever's command
	vm_mark "$1"
	shift
	"$@"
	sleep "$HOLD"
}

write_in a
phase none true
echo "none: MemFree $(memfree) after $HOLD s"
phase drop sh -c 'sync; echo 1 >/proc/sys/vm/drop_caches; echo 1 >/proc/sys/vm/compact_memory'
echo "drop: cgroup a file $(cgfile /sys/fs/cgroup/a), MemFree $(memfree) after $HOLD s"
write_in b
phase reclaim sh -c "echo ${CACHE_MIB}M >/sys/fs/cgroup/b/memory.reclaim || :"
echo "reclaim: cgroup b file $(cgfile /sys/fs/cgroup/b), MemFree $(memfree) after $HOLD s"
write_in c
phase reclaim+compact sh -c "echo ${CACHE_MIB}M >/sys/fs/cgroup/c/memory.reclaim || :; echo 1 >/proc/sys/vm/compact_memory"
echo "reclaim+compact: cgroup c file $(cgfile /sys/fs/cgroup/c), MemFree $(memfree) after $HOLD s"
vm_mark end
