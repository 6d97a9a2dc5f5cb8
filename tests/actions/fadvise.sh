#!/bin/sh
# Lever c on real files: eviction by path and by handle (open_by_handle_at
# with the inode and generation on a mount of the same ext4/xfs), a hot
# file left alone, dirty pages written back first, and the directory walk
# (only files changed since since_ns, one device, bounded).
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
d=$(mktemp -d /var/tmp/wsldock-fadv.XXXXXX)
trap 'rm -rf "$d" "$tmp"' EXIT
case $(stat -f -c %T "$d") in
ext2/ext3|xfs) ;;
*) skip "$d is on $(stat -f -c %T "$d"): handles are tested on ext4 or xfs" ;;
esac

# By path and by handle, a hot file beside them.
fill "$d/by-path" 64
fill "$d/by-handle" 64
fill "$d/hot" 32
cat "$d/by-path" "$d/by-handle" "$d/hot" >/dev/null
check_ge "by-path file cached" "$(resident "$d/by-path")" "$(mib 60)"
run_lever "$tmp/r" --lever fadvise --file "$d/by-path" --handle "$d/by-handle" --file "$d/hot" \
	--hot "$d/hot"
check_eq "exit" "$rc" 0
check_eq "error" "$(jget "$tmp/r" .errno)" null
check_eq "files advised" "$(jget "$tmp/r" .steps)" 2
check_eq "hot file skipped" "$(jget "$tmp/r" .skipped_hot)" 1
check_eq "nothing unreachable" "$(jget "$tmp/r" .unreachable)" 0
check_ge "bytes targeted" "$(jget "$tmp/r" .targeted_bytes)" "$(mib 120)"
check_le "by-path file evicted" "$(resident "$d/by-path")" 0
check_le "by-handle file evicted" "$(resident "$d/by-handle")" 0
check_ge "hot file still cached" "$(resident "$d/hot")" "$(mib 30)"
check_ge "hot cache measured after" "$(jget "$tmp/r" .hot_cache_after_bytes)" "$(mib 30)"
check_ge "bytes_returned" "$(jget "$tmp/r" .returned_bytes)" "$(mib 120)"

# By identity alone (dev, ino, generation as the tracker records them):
# reached while the inode lives, ESTALE with a wrong generation or once it
# is deleted.
fill "$d/ident" 4
cat "$d/ident" >/dev/null
dev=$(stat -c '%Hd:%Ld' "$d/ident")
ino=$(stat -c %i "$d/ident")
gen=$(lsattr -v "$d/ident" | awk '{ print $1 }')
run_lever "$tmp/id" --lever fadvise --handle-id "$dev:$ino:$gen"
check_eq "by identity: advised" "$(jget "$tmp/id" .steps)" 1
check_le "by identity: evicted" "$(resident "$d/ident")" 0
run_lever "$tmp/wronggen" --lever fadvise --dry-run --handle-id "$dev:$ino:$((gen + 1))"
check_eq "wrong generation: unreachable" "$(jget "$tmp/wronggen" .unreachable)" 1
check_eq "wrong generation: error" "$(jget "$tmp/wronggen" .errno)" ESTALE
rm "$d/ident"
sync
run_lever "$tmp/stale" --lever fadvise --handle-id "$dev:$ino:$gen"
check_eq "deleted inode: unreachable" "$(jget "$tmp/stale" .unreachable)" 1
check_eq "deleted inode: exit" "$rc" 1

# Dirty pages: written, not synced; DONTNEED alone would keep them.
dd if=/dev/urandom of="$d/dirty" bs=1M count=32 status=none
check_ge "dirty file cached" "$(resident "$d/dirty")" "$(mib 30)"
run_lever "$tmp/dirty" --lever fadvise --file "$d/dirty"
check_eq "dirty exit" "$rc" 0
check_le "dirty file evicted after writeback" "$(resident "$d/dirty")" 0

# The walk: an old file (before since_ns), new files below, a file on
# another file system (a tmpfs mounted below, in a private mount
# namespace) that the walk must not cross into.
mkdir -p "$d/tree/a/b" "$d/tree/other"
fill "$d/tree/old" 16
touch -d '2020-01-01' "$d/tree/old"
sleep 1.1
since=$(($(date +%s) * 1000000000))
sleep 0.1
fill "$d/tree/a/new1" 16
fill "$d/tree/a/b/new2" 16
fill "$d/tree/a/hot2" 8
# Extracted with an old mtime (like tar): ctime is new, so it counts.
fill "$d/tree/a/b/tarred" 8
touch -d '2019-06-01' "$d/tree/a/b/tarred"
cat "$d/tree/old" "$d/tree/a/new1" "$d/tree/a/b/new2" "$d/tree/a/hot2" "$d/tree/a/b/tarred" >/dev/null
if unshare -m sh -c "mount -t tmpfs none '$d/tree/other' && dd if=/dev/zero of='$d/tree/other/t' bs=1M count=8 status=none &&
	'$ACTION_RUN' --lever fadvise --dir '$d/tree' --since-ns $since --hot '$d/tree/a/hot2' >'$tmp/walk' &&
	'$ACTION_RUN' --lever fadvise --dry-run --file '$d/tree/other/t' | jq -r .targets_cache_before_bytes >'$tmp/tmpfs'"; then
	pass "walk ran"
else
	fail "walk: $(cat "$tmp/walk" 2>/dev/null)"
fi
check_eq "walk error" "$(jget "$tmp/walk" .errno)" null
check_eq "walk visited the regular files on the device" "$(jget "$tmp/walk" .files_walked)" 5
check_eq "walk advised the changed ones" "$(jget "$tmp/walk" .steps)" 3
check_eq "walk skipped the hot one" "$(jget "$tmp/walk" .skipped_hot)" 1
check_le "new1 evicted" "$(resident "$d/tree/a/new1")" 0
check_le "new2 evicted" "$(resident "$d/tree/a/b/new2")" 0
check_le "tarred (old mtime, new ctime) evicted" "$(resident "$d/tree/a/b/tarred")" 0
check_ge "old file kept" "$(resident "$d/tree/old")" "$(mib 15)"
check_ge "hot file in the tree kept" "$(resident "$d/tree/a/hot2")" "$(mib 7)"
check_ge "tmpfs file below not touched" "$(cat "$tmp/tmpfs")" "$(mib 8)"

# Bounded: at most max_walk_files files visited.
cat "$d/tree/a/new1" "$d/tree/a/b/new2" >/dev/null
run_lever "$tmp/bound" --lever fadvise --dir "$d/tree" --max-walk-files 2
check_eq "walk bound" "$(jget "$tmp/bound" .files_walked)" 2

# bytes_wanted stops the lever once that much came back.
cat "$d/by-path" "$d/by-handle" >/dev/null
run_lever "$tmp/want" --lever fadvise --file "$d/by-path" --file "$d/by-handle" \
	--bytes-wanted "$(mib 10)"
check_eq "bytes_wanted: one file was enough" "$(jget "$tmp/want" .steps)" 1
check_ge "the other file stays" "$(resident "$d/by-handle")" "$(mib 60)"
finish
