#!/bin/sh
# Acceptance (issue 7): two daemons started together on one leader lock:
# exactly one is the leader and only it reclaims a build-like workload's
# page cache (1 GiB written in a docker/<64 hex> cgroup, removed at the end);
# after kill -9 of the leader the other takes over within a few seconds and
# reclaims the next workload.
set -u
. "${top_srcdir:-.}/tests/reclaim/lib.sh"
reclaim_require
WORK=$(scratch_dir reclaim)
A= B=
cleanup() {
	for p in $A $B; do kill "$p" 2>/dev/null; done
	for p in $A $B; do wait "$p" 2>/dev/null; done
	[ -n "${CG_DIRS:-}" ] && docker_cgroup_remove
	rm -rf "$WORK"
	:
}
trap cleanup EXIT INT TERM
mkdir -p "$WORK/lock" "$WORK/data"

"$WSLDOCK_AGENT" run --foreground --lock-dir "$WORK/lock" 2>"$WORK/a.log" &
A=$!
"$WSLDOCK_AGENT" run --foreground --lock-dir "$WORK/lock" 2>"$WORK/b.log" &
B=$!
wait_for ' start ' "$WORK/a.log" 30 && wait_for ' start ' "$WORK/b.log" 30 ||
	fail "the daemons did not start: $(tail -3 "$WORK/a.log" "$WORK/b.log")"
grep ' start ' "$WORK/a.log" "$WORK/b.log"
leaders=$(grep -l ' start role=leader' "$WORK/a.log" "$WORK/b.log" | wc -l)
[ "$leaders" -eq 1 ] || fail "$leaders leaders, want exactly 1"
if grep -q ' start role=leader' "$WORK/a.log"; then
	LEAD=$A LLOG=$WORK/a.log FOL=$B FLOG=$WORK/b.log
else
	LEAD=$B LLOG=$WORK/b.log FOL=$A FLOG=$WORK/a.log
fi

# workload NAME: 1 GiB of files written and read back in docker/<id>.
workload() {
	docker_cgroup_create || fail "cannot create the docker/<id> cgroups"
	run_in_cgroups sh -c 'i=0; while [ $i -lt 64 ]; do head -c 16M /dev/urandom >"$0/$1$i" || exit 1; i=$((i+1)); done; cat "$0/$1"* >/dev/null' \
		"$WORK/data" "$1" || fail "the workload failed"
	docker_cgroup_remove || fail "cannot remove the workload's cgroups"
}

workload w1
wait_for ' action .*lever=' "$LLOG" 30 || fail "the leader did not reclaim: $(tail -5 "$LLOG")"
sleep 2
grep ' action ' "$LLOG" | tail -3
! grep -q ' action ' "$FLOG" || fail "the follower reclaimed too: $(grep ' action ' "$FLOG" | tail -2)"

kill -9 "$LEAD"
wait "$LEAD" 2>/dev/null
[ "$LEAD" = "$A" ] && A= || B=
t=$(date +%s)
wait_for ' role role=leader' "$FLOG" 5 || fail "the follower did not take over within 5 s: $(tail -3 "$FLOG")"
echo "the follower took over after $(( $(date +%s) - t )) s"
rm -f "$WORK/data"/w1*
workload w2
wait_for ' action .*lever=' "$FLOG" 30 || fail "the new leader did not reclaim: $(tail -5 "$FLOG")"
grep ' action ' "$FLOG" | tail -3
echo "leader election: one reclaims, the other takes over after kill -9"
