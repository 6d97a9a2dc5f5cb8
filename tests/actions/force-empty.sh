#!/bin/sh
# Lever b on a real cgroup v1 memory hierarchy: a child cgroup fills the
# page cache, is removed (its pages stay charged to the offline cgroup and
# count in the parent), and force_empty on the parent returns them.  Also
# dry-run (nothing changes) and the refusals (root cgroup, missing cgroup).
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
M=/sys/fs/cgroup/memory
grep -q " $M cgroup [^ ]*memory" /proc/self/mounts ||
	skip "no cgroup v1 memory hierarchy at $M (cgroup v2 only: force_empty does not exist)"
name=wsldock-test-fe-$$
P=$M/$name
data=$(mktemp -d /var/tmp/wsldock-fe.XXXXXX)
cleanup() {
	rmdir "$P/child" "$P" 2>/dev/null
	rm -rf "$data" "$tmp"
}
trap cleanup EXIT
mkdir -p "$P/child" || fail "mkdir $P/child"

# A process in the child writes 256 MiB (clean, synced), then exits.
sh -c "echo \$\$ > $P/child/cgroup.procs && exec dd if=/dev/urandom of=$data/layer bs=1M count=256 status=none conv=fsync" ||
	fail "filling the cache from $P/child"
rmdir "$P/child" || fail "rmdir $P/child"
charged=$(awk '$1 == "total_cache" { print $2 }' "$P/memory.stat")
check_ge "parent counts the removed child's cache" "$charged" "$(mib 200)"

run_lever "$tmp/dry" --lever force_empty --dry-run --cgroup "v1=$name"
check_eq "dry-run exit" "$rc" 0
check_ge "dry-run targets the parent's cache" "$(jget "$tmp/dry" .targeted_bytes)" "$(mib 200)"
check_eq "dry-run makes no step" "$(jget "$tmp/dry" .steps)" 0
still=$(awk '$1 == "total_cache" { print $2 }' "$P/memory.stat")
check_ge "dry-run leaves the cache charged" "$still" "$(mib 200)"

run_lever "$tmp/real" --lever force_empty --cgroup "v1=$name"
check_eq "force_empty exit" "$rc" 0
check_eq "force_empty error" "$(jget "$tmp/real" .errno)" null
check_ge "targets' cache before" "$(jget "$tmp/real" .targets_cache_before_bytes)" "$(mib 200)"
check_le "targets' cache after" "$(jget "$tmp/real" .targets_cache_after_bytes)" "$(mib 16)"
after=$(awk '$1 == "total_cache" { print $2 }' "$P/memory.stat")
check_le "memory.stat total_cache after" "$after" "$(mib 16)"
check_ge "bytes_returned" "$(jget "$tmp/real" .returned_bytes)" "$(mib 200)"
# MemFree is global and other tests run beside this one: most, not all.
gain=$(jq -r '.mem_free_after_bytes - .mem_free_before_bytes' "$tmp/real")
check_ge "MemFree gain" "$gain" "$(mib 128)"
check_le "the layer file left the page cache" "$(resident "$data/layer")" "$(mib 16)"
guard=$(jget "$tmp/real" .anon_guard)
if [ "$(awk '/^SwapTotal:/ { print $2 }' /proc/meminfo)" -eq 0 ]; then
	check_eq "anon guard without swap" "$guard" no-swap
else
	check_eq "anon guard with swap" "$guard" memory.swappiness=0
fi

run_lever "$tmp/root" --lever force_empty --cgroup v1=/
check_eq "root cgroup refused" "$(jget "$tmp/root" .errno)" EINVAL
check_eq "root cgroup: no step" "$(jget "$tmp/root" .steps)" 0

run_lever "$tmp/gone" --lever force_empty --cgroup "v1=wsldock-no-such-cgroup-$$"
check_eq "missing cgroup exit" "$rc" 1
check_eq "missing cgroup error" "$(jget "$tmp/gone" .errno)" ENOENT
check_eq "missing cgroup counted" "$(jget "$tmp/gone" .unreachable)" 1
case $(jget "$tmp/gone" .error_where) in
*wsldock-no-such-cgroup-$$*) pass "error_where names the cgroup" ;;
*) fail "error_where: $(jget "$tmp/gone" .error_where)" ;;
esac
finish
