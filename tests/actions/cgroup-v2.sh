#!/bin/sh
# Lever a's paths that a cgroup2 hierarchy without the memory controller
# (this machine: hybrid, /sys/fs/cgroup/unified) shows for real: a frozen
# cgroup is left alone (reached by path and by its id through a cgroup2
# file handle), a cgroup without memory.stat or that does not exist is
# unreachable with the reason, a stale id likewise.  memory.reclaim
# itself is proved in the QEMU guest (tests/vm) and in test-actions.
. "$top_srcdir/tests/live/lib.sh"
. "$top_srcdir/tests/actions/lib.sh"
require_root "real cgroups, drop_caches"
need jq
U=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$U" ] || skip "no cgroup2 mount"
[ -e "$U/cgroup.controllers" ] || skip "no cgroup2 at $U"
name=wsldock-test-v2-$$
G=$U/$name
pid=
cleanup() {
	[ -f "$G/cgroup.freeze" ] && echo 0 >"$G/cgroup.freeze"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rmdir "$G" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$G" || { fail "mkdir $G"; finish; }
[ -f "$G/cgroup.freeze" ] || skip "cgroup2 freezer missing (kernel < 5.2)"
sh -c "echo \$\$ > $G/cgroup.procs && exec sleep 300" &
pid=$!
sleep 0.2
id=$(stat -c %i "$G")

if [ -f "$G/memory.stat" ]; then
	note="memory controller enabled here"
else
	# Not frozen, no memory controller: reachable but unmeasurable.
	run_lever "$tmp/nomem" --lever memory.reclaim --cgroup "v2=$name"
	check_eq "no memory controller: exit" "$rc" 1
	check_eq "no memory controller: error" "$(jget "$tmp/nomem" .errno)" ENOENT
	case $(jget "$tmp/nomem" .error_where) in
	*"$name/memory.stat") pass "error_where names memory.stat" ;;
	*) fail "error_where: $(jget "$tmp/nomem" .error_where)" ;;
	esac
	check_eq "no memory controller: nothing written" "$(jget "$tmp/nomem" .steps)" 0
fi

echo 1 >"$G/cgroup.freeze"
i=0
while ! grep -q '^frozen 1' "$G/cgroup.events" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q '^frozen 1' "$G/cgroup.events" || fail "cgroup did not freeze"

run_lever "$tmp/frozen" --lever memory.reclaim --cgroup "v2=$name"
check_eq "frozen by path: exit" "$rc" 0
check_eq "frozen by path: skipped" "$(jget "$tmp/frozen" .skipped_frozen)" 1
check_eq "frozen by path: nothing written" "$(jget "$tmp/frozen" .steps)" 0

# Not visible by path (another distro's view): reached by id.
run_lever "$tmp/byid" --lever memory.reclaim --cgroup "v2=not/visible/$name,id=$id"
check_eq "frozen by id: exit" "$rc" 0
check_eq "frozen by id: reached and skipped" "$(jget "$tmp/byid" .skipped_frozen)" 1
check_eq "frozen by id: not unreachable" "$(jget "$tmp/byid" .unreachable)" 0
run_lever "$tmp/idonly" --lever memory.reclaim --cgroup "id=$id"
check_eq "id only: reached and skipped" "$(jget "$tmp/idonly" .skipped_frozen)" 1

run_lever "$tmp/stale" --lever memory.reclaim --cgroup "id=1099511627776"
check_eq "stale id: exit" "$rc" 1
check_eq "stale id: unreachable" "$(jget "$tmp/stale" .unreachable)" 1
case $(jget "$tmp/stale" .errno) in
ESTALE|ENOENT) pass "stale id: $(jget "$tmp/stale" .errno)" ;;
*) fail "stale id error: $(jget "$tmp/stale" .errno)" ;;
esac
run_lever "$tmp/gone" --lever memory.reclaim --cgroup "v2=wsldock-no-such-$$"
check_eq "missing cgroup: error" "$(jget "$tmp/gone" .errno)" ENOENT
check_eq "missing cgroup: unreachable" "$(jget "$tmp/gone" .unreachable)" 1

# A frozen cgroup and a missing one: the frozen one counts, no error.
run_lever "$tmp/mix" --lever memory.reclaim --cgroup "v2=wsldock-no-such-$$" --cgroup "v2=$name"
check_eq "mixed: exit" "$rc" 0
check_eq "mixed: unreachable counted" "$(jget "$tmp/mix" .unreachable)" 1
check_eq "mixed: frozen counted" "$(jget "$tmp/mix" .skipped_frozen)" 1
[ -n "${note:-}" ] && echo "note: $note"
finish
