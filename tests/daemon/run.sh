#!/bin/sh
# `wsldock-agent run`: usage errors, SIGTERM ends it at once with status 0,
# and leader election between two daemons on one lock (kill -9 the leader,
# the other takes over).  mode=off: they track and elect but never reclaim.
# The reclaim itself is tested by tests/reclaim/ (bench/reclaim's
# workloads).
set -u
AGENT=${WSLDOCK_AGENT:?}
. "${top_srcdir:?run through make check}/tests/lib/common.sh"
need_root "the BPF tracker"
# Its `run` daemons would be foreign agents in the reclaim tests' rounds.
machine_lock
WORK=$(mktemp -d)
A=''
B=''
cleanup() {
	for p in $A $B; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Usage errors: one line naming what is wrong, exit status 2.
"$AGENT" run --set nosuch=1 2>"$WORK/err" && fail "run --set nosuch=1 succeeded"
[ $? -eq 2 ] || fail "run --set nosuch=1: status not 2"
grep -q "unknown key 'nosuch'" "$WORK/err" || fail "no error naming the key: $(cat "$WORK/err")"
"$AGENT" run --set floor=lots 2>"$WORK/err"; [ $? -eq 2 ] || fail "run --set floor=lots: status not 2"
grep -q "floor: 'lots'" "$WORK/err" || fail "no error naming the value: $(cat "$WORK/err")"
"$AGENT" run --json 2>/dev/null; [ $? -eq 2 ] || fail "run --json: status not 2"
"$AGENT" run --help | grep -q -- '--dry-run' || fail "run --help does not list --dry-run"

# SIGTERM: clean exit, at once.
"$AGENT" run --foreground --dry-run 2>"$WORK/d.log" &
A=$!
wait_for ' start role=dry-run ' "$WORK/d.log" 30 || fail "dry run did not start: $(tail -3 "$WORK/d.log")"
grep -q ' tracker bpf=none' "$WORK/d.log" && fail "the tracker did not load: $(grep tracker "$WORK/d.log")"
kill -TERM "$A"
i=0
while kill -0 "$A" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 40 ] || fail "still running 2 s after SIGTERM"
	sleep 0.05
done
wait "$A"
rc=$?
A=
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
grep -q ' stop signal=TERM' "$WORK/d.log" || fail "no stop line: $(tail -2 "$WORK/d.log")"

# Two daemons, one lock: one leader; kill -9 it and the other leads.
mkdir "$WORK/lock"
"$AGENT" run --foreground --set mode=off --lock-dir "$WORK/lock" 2>"$WORK/a.log" &
A=$!
"$AGENT" run --foreground --set mode=off --lock-dir "$WORK/lock" 2>"$WORK/b.log" &
B=$!
wait_for ' start ' "$WORK/a.log" 30 || fail "the first daemon did not start"
wait_for ' start ' "$WORK/b.log" 30 || fail "the second daemon did not start"
n=$(grep -l ' start role=leader ' "$WORK/a.log" "$WORK/b.log" | wc -l)
[ "$n" -eq 1 ] || fail "$n leaders at start, want 1"
if grep -q ' start role=leader ' "$WORK/a.log"; then
	LEAD=$A FLOG=$WORK/b.log
else
	LEAD=$B FLOG=$WORK/a.log
fi
grep -q ' start role=follower ' "$FLOG" || fail "the other is not a follower: $(grep start "$FLOG")"
sleep 2
grep -q ' role role=leader' "$FLOG" && fail "the follower took the lock while the leader lives"
kill -9 "$LEAD"
wait "$LEAD" 2>/dev/null
[ "$LEAD" = "$A" ] && A= || B=
wait_for ' role role=leader' "$FLOG" 3 || fail "the follower did not lead within 3 s of kill -9"
echo "run: usage errors, SIGTERM, one leader, take-over after kill -9"
