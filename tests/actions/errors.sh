#!/bin/sh
# Failing writes come back as negative errno with the file, and nothing
# hangs or leaves the tree: a read-only knob (EROFS, a fake tree under
# --root bound read-only in a private mount namespace), a FIFO in a knob's
# place (refused at once as not a regular file, nothing written to it, no
# deadline needed), a FIFO in place of a file a lever reads (memory.stat),
# a knob that is a symlink out of the tree (refused, ELOOP; the file it
# points to keeps its content).  (max_duration ending a walk or a step is
# tested with a controlled clock in test-actions: against the real one it
# races the machine's speed.)
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
need unshare
tree=$tmp/root
fixture_copy debian12-hybrid "$tree"
mkdir -p "$tree/proc/sys/vm"
echo 0 >"$tree/proc/sys/vm/drop_caches"
echo 0 >"$tree/proc/sys/vm/compact_memory"

# Read-only: the bind mount is private to this namespace.
if unshare -m sh -c "mount --make-rprivate / && mount --bind '$tree/proc/sys/vm' '$tree/proc/sys/vm' &&
	mount -o remount,bind,ro '$tree/proc/sys/vm' &&
	'$ACTION_RUN' --root '$tree' --lever drop_caches --dir '$tree' >'$tmp/ro'; echo \$? >'$tmp/ro.rc';
	'$ACTION_RUN' --root '$tree' --lever compact >'$tmp/roc'; echo \$? >'$tmp/roc.rc'"; then
	check_eq "read-only drop_caches: exit" "$(cat "$tmp/ro.rc")" 1
	check_eq "read-only drop_caches: error" "$(jget "$tmp/ro" .errno)" EROFS
	check_eq "read-only drop_caches: where" "$(jget "$tmp/ro" .error_where)" "$tree/proc/sys/vm/drop_caches"
	check_eq "read-only compact: error" "$(jget "$tmp/roc" .errno)" EROFS
	check_eq "read-only compact: where" "$(jget "$tmp/roc" .error_where)" "$tree/proc/sys/vm/compact_memory"
else
	fail "could not set up the read-only bind mount"
fi
check_eq "the fake knob kept its value" "$(cat "$tree/proc/sys/vm/drop_caches")" 0

# A FIFO where the knob should be, with a reader waiting: it is refused
# before it is opened for writing, so the reader gets nothing, and without
# any deadline the lever ends at once.
rm "$tree/proc/sys/vm/drop_caches"
mkfifo "$tree/proc/sys/vm/drop_caches"
cat "$tree/proc/sys/vm/drop_caches" >"$tmp/fifo.read" &
reader=$!
start=$(date +%s%N)
timeout 10 "$ACTION_RUN" --root "$tree" --lever drop_caches --dir "$tree" >"$tmp/fifo" 2>"$tmp/fifo.err"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
# Opening the FIFO for writing ourselves ends the reader (EOF).
timeout 5 sh -c ": >'$tree/proc/sys/vm/drop_caches'" || kill "$reader"
wait "$reader"
check_eq "FIFO knob: exit" "$rc" 1
check_eq "FIFO knob: error (not a regular file)" "$(jget "$tmp/fifo" .errno)" EMEDIUMTYPE
check_eq "FIFO knob: where" "$(jget "$tmp/fifo" .error_where)" "$tree/proc/sys/vm/drop_caches"
check_eq "FIFO knob: nothing written to it" "$(cat "$tmp/fifo.read")" ""
check_le "FIFO knob: ended within 2 s (ms)" "$took" 2000

# A FIFO where a lever reads memory.stat (nobody writes it): not waited
# on; the cgroup is unreachable, named.
cg=$tree/sys/fs/cgroup/memory/docker
mkdir -p "$cg"
mkfifo "$cg/memory.stat"
timeout 10 "$ACTION_RUN" --root "$tree" --lever force_empty --cgroup v1=docker >"$tmp/fifo-stat" \
	2>"$tmp/fifo-stat.err"
rc=$?
check_eq "FIFO memory.stat: exit (not a timeout)" "$rc" 1
check_eq "FIFO memory.stat: unreachable" "$(jget "$tmp/fifo-stat" .unreachable)" 1
check_eq "FIFO memory.stat: error" "$(jget "$tmp/fifo-stat" .errno)" EMEDIUMTYPE
check_eq "FIFO memory.stat: where" "$(jget "$tmp/fifo-stat" .error_where)" \
	/sys/fs/cgroup/memory/docker/memory.stat

# A knob that is a symlink out of the tree: never written through.
rm "$cg/memory.stat"
printf 'cache 4096\ntotal_cache 4096\n' >"$cg/memory.stat"
echo 60 >"$cg/memory.swappiness"
echo untouched >"$tmp/outside-knob"
ln -s "$tmp/outside-knob" "$cg/memory.force_empty"
run_lever "$tmp/link" --root "$tree" --lever force_empty --cgroup v1=docker
check_eq "symlinked knob: exit" "$rc" 1
check_eq "symlinked knob: error" "$(jget "$tmp/link" .errno)" ELOOP
check_eq "symlinked knob: where" "$(jget "$tmp/link" .error_where)" \
	/sys/fs/cgroup/memory/docker/memory.force_empty
check_eq "symlinked knob: the file outside kept its content" "$(cat "$tmp/outside-knob")" untouched
check_eq "symlinked knob: swappiness restored" "$(cat "$cg/memory.swappiness")" 60

# Usage errors of the request itself.
run_lever "$tmp/nolever" --lever no-such-lever
check_eq "unknown lever name" "$rc" 2
finish
