#!/bin/sh
# Issue 19, part 6: every capability the unit keeps (CapabilityBoundingSet
# of systemd/wsldock-agent.service.in) is needed, and nothing else is: the
# daemon, given the unit's set and its control socket by socket activation
# as systemd would, loads the BPF tracker, answers status and can write the
# knobs its levers write; without CAP_BPF or CAP_PERFMON the tracker does
# not load; without CAP_DAC_READ_SEARCH open_by_handle_at (the fadvise
# lever's reach to a file known by inode) fails.  As root (the unit's
# user): a root without capabilities still writes drop_caches and
# compact_memory, root's files, so CAP_SYS_ADMIN is not needed for them.
. "${top_srcdir:?}/tests/security/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (the unit runs the agent as root)"
require setpriv util-linux
require systemd-socket-activate systemd
need jq
defer_failures
unit=$top_srcdir/systemd/wsldock-agent.service.in
set_=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
check_eq "the unit's capabilities" "$set_" "CAP_BPF CAP_PERFMON CAP_DAC_READ_SEARCH"
# setpriv's form: -all,+bpf,+perfmon,... ; without(CAP): the set less CAP.
caps() {
	out=-all
	for c in $set_; do
		[ "$c" = "${1:-}" ] && continue
		out="$out,+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"
	done
	echo "$out"
}
with() { b=$1; shift; setpriv --bounding-set="$b" -- "$@"; }

# 1. The daemon with exactly the unit's set, its socket passed.
WSLDOCK_CONTROL_GROUP=users with "$(caps)" systemd-socket-activate -l "$WSLDOCK_CONTROL_SOCKET" \
	"$AGENT" run --foreground --set mode=off --docker-socket none --lock-dir "$WORK/lock" \
	2>"$WORK/unit.log" &
D=$!
PIDS="$PIDS $D"
# systemd-socket-activate starts the daemon at the first connection.
sleep 1
st=$(ask '{"request":"status"}')
wait_for ' start role=' "$WORK/unit.log" 30 || fail "the daemon did not start: $(tail -3 "$WORK/unit.log")"
grep -E ' (tracker|start) ' "$WORK/unit.log"
case $st in *'"ok":true'*) pass "the unit's set answers status" ;; *) fail "the unit's set does not answer status: $st" ;; esac
grep -Eq 'tracker bpf=(fentry|tp_btf|tracepoint)' "$WORK/unit.log" &&
	pass "the unit's set loads the tracker (no CAP_SYS_ADMIN)" ||
	fail "the unit's set does not load the tracker"
grep -q ' start role=leader' "$WORK/unit.log" && pass "the unit's set takes the leader lock" ||
	fail "the unit's set does not take the leader lock"
# systemd-socket-activate forks the daemon: stop it by its own pid.
for p in $(cat "/proc/$D/task/$D/children" 2>/dev/null) $D; do kill "$p" 2>/dev/null; done
wait "$D" 2>/dev/null

# 2. Each capability, dropped alone.
for c in CAP_BPF CAP_PERFMON; do
	if with "$(caps $c)" "$AGENT" top --once --duration 1 >/dev/null 2>"$WORK/top.err"; then
		fail "without $c the tracker still loads"
	else
		pass "without $c the tracker does not load: $(head -1 "$WORK/top.err")"
	fi
done
ACTION_RUN=$top_builddir/tests/actions/action-run
[ -x "$ACTION_RUN" ] || fail "$ACTION_RUN is not built"
f=$(mktemp /var/tmp/wsldock-caps.XXXXXX)
head -c 1000000 /dev/urandom >"$f"
cat "$f" >/dev/null
id="$(stat -c '%Hd:%Ld:%i' "$f"):$(lsattr -v "$f" 2>/dev/null | awk '{ print $1 }')"
rm_f() { rm -f "$f"; }
with "$(caps)" "$ACTION_RUN" --lever fadvise --dry-run --handle-id "$id" >"$WORK/h.json" 2>&1
check_eq "open_by_handle_at with the unit's set: unreachable" "$(jq -r .unreachable "$WORK/h.json")" 0
with "$(caps CAP_DAC_READ_SEARCH)" "$ACTION_RUN" --lever fadvise --dry-run --handle-id "$id" \
	>"$WORK/h2.json" 2>&1
check_eq "open_by_handle_at without CAP_DAC_READ_SEARCH" "$(jq -r .errno "$WORK/h2.json")" EPERM
rm_f

# 3. The knobs, by a root with no capability at all (opened for writing,
# nothing written).
for k in drop_caches compact_memory; do
	with -all sh -c ": >/proc/sys/vm/$k" 2>/dev/null && pass "root without capabilities may write $k" ||
		fail "root without capabilities cannot write /proc/sys/vm/$k"
done
finish
