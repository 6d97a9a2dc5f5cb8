# shellcheck shell=sh
# Helpers for the lever tests (sourced after tests/live/lib.sh).  They run
# the levers through the action-run driver and read its JSON with jq.
: "${top_builddir:?run through make check}"
ACTION_RUN=$top_builddir/tests/actions/action-run
[ -x "$ACTION_RUN" ] || { echo "FAIL: $ACTION_RUN is not built" >&2; exit 1; }

# Every lever test acts on this machine's real caches and cgroups:
# require_root (tests/lib/common.sh), so no other machine-wide test runs
# beside it.
# run_lever OUT ARGS...: runs the driver, its JSON in OUT, exit status in $rc.
run_lever() {
	out=$1
	shift
	"$ACTION_RUN" "$@" >"$out" 2>"$out.err"
	rc=$?
}
# jget FILE FILTER: one value from a result.
jget() {
	jq -r "$2" "$1"
}
# resident FILE: bytes of FILE in the page cache, measured by the fadvise
# lever in dry-run (cachestat, or mincore on older kernels).
resident() {
	"$ACTION_RUN" --lever fadvise --dry-run --file "$1" | jq -r '.targets_cache_before_bytes'
}
# fill FILE MIB: writes MIB MiB of data and syncs it, so it is clean cache.
fill() {
	dd if=/dev/urandom of="$1" bs=1M count="$2" status=none conv=fsync
}
mib() {
	echo $(($1 * 1024 * 1024))
}
# vm_memory_reclaim KERNEL GUARD ROOT_GUARD: lever a for real in a tests/vm
# guest (guest-memory-reclaim.sh checks the cgroup side and expects GUARD,
# ROOT_GUARD for the root cgroup), then
# the host's view: the VM's RssAnon must fall by >= 0.5 GiB of the 1 GiB
# reclaimed within 30 s (free page reporting).  Results stay in
# $top_builddir/tests/actions/vm-KERNEL.out.
vm_memory_reclaim() {
	require_root "real cgroups, drop_caches"
	command -v qemu-system-x86_64 >/dev/null ||
		skip "qemu-system-x86_64 is missing: scripts/install-deps installs qemu-system-x86"
	out=$top_builddir/tests/actions/vm-$1.out
	rm -rf "$out"
	"$top_srcdir/tests/vm/boot" --kernel "$1" --scratch 3G --out "$out" \
		--timeout "${WSLDOCK_VM_TIMEOUT:-400}" -- \
		sh "$top_srcdir/tests/actions/guest-memory-reclaim.sh" "$2" "$3"
	rc=$?
	case $rc in
	0) pass "$1: the guest's checks" ;;
	77) skip "no guest can run here (see above)" ;;
	125) fail "$1: the guest did not finish (see $out/console.log)"; finish ;;
	*) fail "$1: guest exit $rc (log $out/guest.log)"; finish ;;
	esac
	"$top_srcdir/tests/vm/rss-fall" "$out/rss.csv" reclaim >"$tmp/fall" || { fail "rss-fall"; finish; }
	echo "$1: host RssAnon after memory.reclaim: $(cat "$tmp/fall")"
	fall_mib=$(jq -r '.fall_gib * 1024 | floor' "$tmp/fall")
	check_ge "$1: the host got the memory back (MiB)" "$fall_mib" 512
	finish
}
