# shellcheck shell=sh
# Helpers for the lever tests (sourced after tests/live/lib.sh).  They run
# the levers through the action-run driver and read its JSON with jq.
: "${top_builddir:?run through make check}"
ACTION_RUN=$top_builddir/tests/actions/action-run
[ -x "$ACTION_RUN" ] || { echo "FAIL: $ACTION_RUN is not built" >&2; exit 1; }

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (real cgroups, drop_caches)"
}
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
	"$ACTION_RUN" --lever fadvise --dry-run --file "$1" | jq -r '.before.targets_cache'
}
# fill FILE MIB: writes MIB MiB of data and syncs it, so it is clean cache.
fill() {
	dd if=/dev/urandom of="$1" bs=1M count="$2" status=none conv=fsync
}
mib() {
	echo $(($1 * 1024 * 1024))
}
# check_ge DESC GOT WANT / check_le DESC GOT WANT
check_ge() {
	if [ "$2" -ge "$3" ]; then pass "$1 ($2 >= $3)"; else fail "$1: $2 < $3"; fi
}
check_le() {
	if [ "$2" -le "$3" ]; then pass "$1 ($2 <= $3)"; else fail "$1: $2 > $3"; fi
}
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: got '$2', wanted '$3'"; fi
}
