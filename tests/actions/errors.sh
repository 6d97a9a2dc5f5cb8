#!/bin/sh
# Failing writes come back as negative errno with the file, and nothing
# hangs: a read-only knob (EROFS, a fake tree under --root bound read-only
# in a private mount namespace), a knob that blocks (a FIFO: the write's
# timer ends it, ETIME), and max_duration ending a long walk.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
need_root
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
	check_eq "read-only drop_caches: error" "$(jget "$tmp/ro" .error_name)" EROFS
	check_eq "read-only drop_caches: where" "$(jget "$tmp/ro" .error_where)" "$tree/proc/sys/vm/drop_caches"
	check_eq "read-only compact: error" "$(jget "$tmp/roc" .error_name)" EROFS
	check_eq "read-only compact: where" "$(jget "$tmp/roc" .error_where)" "$tree/proc/sys/vm/compact_memory"
else
	fail "could not set up the read-only bind mount"
fi
check_eq "the fake knob kept its value" "$(cat "$tree/proc/sys/vm/drop_caches")" 0

# A knob that blocks on open: bounded by max_duration.
rm "$tree/proc/sys/vm/drop_caches"
mkfifo "$tree/proc/sys/vm/drop_caches"
start=$(date +%s%N)
run_lever "$tmp/fifo" --root "$tree" --lever drop_caches --dir "$tree" --max-duration-ms 300
took=$((($(date +%s%N) - start) / 1000000))
check_eq "blocking knob: exit" "$rc" 1
check_eq "blocking knob: error" "$(jget "$tmp/fifo" .error_name)" ETIME
check_le "blocking knob: ended within 2 s (ms)" "$took" 2000

# max_duration ends a walk of a large tree (dry-run: nothing advised).
run_lever "$tmp/walk" --lever fadvise --dry-run --dir /usr --max-duration-ms 20
check_eq "long walk: error" "$(jget "$tmp/walk" .error_name)" ETIME
all=$(find /usr -xdev -type f | wc -l)
walked=$(jget "$tmp/walk" .files_walked)
check_ge "long walk: some files visited" "$walked" 1
if [ "$walked" -lt "$all" ]; then pass "long walk: stopped early ($walked of $all)"
else fail "long walk visited all $all files within 20 ms"; fi

# Usage errors of the request itself.
run_lever "$tmp/nolever" --lever no-such-lever
check_eq "unknown lever name" "$rc" 2
finish
