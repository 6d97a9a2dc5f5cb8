#!/bin/sh
# The control socket with real clients: socat asks for status and history
# (JSON back); peer credentials decide: a client outside the socket's group
# cannot even connect (mode 0660), a member (primary or supplementary group)
# gets status and history but not reclaim-now, reload or change (a JSON
# error; `integration` as a member exits 2 saying so); root's change to a
# daemon without a bridge is told so at once;
# `report` and `reclaim` go through the daemon while it runs and say so, and
# work alone once it stopped.  The socket's group is one that exists here
# ("users", via $WSLDOCK_CONTROL_GROUP) so no system group is created.
. "${top_srcdir:?}/tests/service/lib.sh"
require_root "the daemon loads the BPF tracker"
need socat
need jq
need setpriv
getent group users >/dev/null || skip "no group 'users' to give the socket"
getent passwd nobody >/dev/null || skip "no user nobody"
export WSLDOCK_CONTROL_GROUP=users
S=$WSLDOCK_CONTROL_SOCKET
as_member() { setpriv --reuid=nobody --regid=users --clear-groups "$@"; }
as_supplementary() { setpriv --reuid=nobody --regid=nogroup --groups=users "$@"; }
as_other() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

start_daemon "$WORK/daemon.log"
wait_control "$WORK/daemon.log"
# Without systemd here, run says so and where the alternative is.
if [ ! -d /run/systemd/system ]; then
	grep -q '^wsldock-agent run: systemd is not running here (no /run/systemd/system).*/etc/wsl.conf' \
		"$WORK/daemon.log" || fail "no message that systemd is not running"
fi
[ "$(stat -c '%a %G' "$S")" = "660 users" ] || fail "socket is $(stat -c '%a %U:%G' "$S"), expected 660 root:users"

reply=$(ask '{"request":"status"}')
echo "$reply" | jq_e '.ok and .request == "status" and .daemon.running and .daemon.role == "dry-run"
	and .daemon.pid == '"$DAEMON"' and .daemon.tracker != "none" and .daemon.mode == "auto"
	and (.daemon.uptime_s | type == "number") and .daemon.episode.id == 0
	and .report.schema_version == 1 and (.report.memory | type == "object")' >/dev/null ||
	fail "status reply: $(echo "$reply" | cut -c1-400)"
# Two requests on one connection, answered in order.
printf '{"request":"history","limit":5}\n{"request":"status"}\n' |
	socat -t 10 - "UNIX-CONNECT:$S" >"$WORK/two.txt"
[ "$(wc -l <"$WORK/two.txt")" -eq 2 ] || fail "two requests got $(wc -l <"$WORK/two.txt") reply lines"
jq -s -e '.[0].request == "history" and .[1].request == "status"' "$WORK/two.txt" >/dev/null ||
	fail "replies out of order"

# Not in the group: the socket's mode refuses the connection.
if as_other socat -t 5 - "UNIX-CONNECT:$S" </dev/null >"$WORK/other.out" 2>"$WORK/other.err"; then
	fail "a client outside group users connected to a 0660 socket"
fi
grep -q 'Permission denied' "$WORK/other.err" || fail "outside client: $(cat "$WORK/other.err")"
# A member may read, not act: the daemon checks SO_PEERCRED / SO_PEERGROUPS.
for who in as_member as_supplementary; do
	reply=$(echo '{"request":"status"}' | $who socat -t 10 - "UNIX-CONNECT:$S")
	echo "$reply" | jq_e '.ok' >/dev/null || fail "$who: status refused: $reply"
	for req in '{"request":"reclaim-now","dry_run":true}' '{"request":"reload"}' \
		'{"request":"change","change":"integration","action":"enable"}' \
		'{"request":"change","change":"wslconfig","key":"wsl2.memory","value":"4GB"}'; do
		reply=$(echo "$req" | $who socat -t 10 - "UNIX-CONNECT:$S")
		echo "$reply" | jq_e '.ok == false and .code == "EPERM" and (.error | test("root only"))' \
			>/dev/null || fail "$who: $req answered $reply"
	done
done
# The verb says it too, and fails (exit 2), before anything reaches a bridge.
as_member "$AGENT" integration enable >"$WORK/int-member.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q 'integration: change is for root only (uid [0-9]* asked)' "$WORK/int-member.out" ||
	fail "integration enable as a member: exit $rc, $(cat "$WORK/int-member.out")"
grep -q 'change uid=' "$WORK/daemon.log" && fail "a refused change reached the daemon's relay"
# Root may ask, but this daemon has no bridge (not WSL 2, no --bridge): a
# clear error at once, and status says why.
reply=$(ask '{"request":"change","change":"integration","action":"enable"}')
echo "$reply" | jq_e '.ok == false and .request == "change" and .code == "ENOTCONN"
	and (.error | test("no bridge is configured"))' >/dev/null || fail "change without a bridge: $reply"
"$AGENT" wslconfig set wsl2.memory=4GB >"$WORK/wsl-root.out" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q 'wslconfig: no bridge is configured' "$WORK/wsl-root.out" ||
	fail "wslconfig set without a bridge: exit $rc, $(cat "$WORK/wsl-root.out")"
ask '{"request":"status"}' | jq_e '.daemon.bridge.state == "off" and (.daemon.bridge.detail | test("no --bridge"))' \
	>/dev/null || fail "status has no daemon.bridge off: $(ask '{"request":"status"}' | jq -c .daemon.bridge)"
out=$(as_member "$AGENT" report) || true
echo "$out" | grep -q "^daemon: running (pid $DAEMON, dry-run)" || fail "report as a member: $(echo "$out" | tail -5)"

# reclaim through the daemon (dry-run, as the daemon runs --dry-run).  Exit
# 1 is fair: a lever may fail on what this machine holds now (another
# test's Docker cgroups); 2 is not.
"$AGENT" reclaim --dry-run >"$WORK/reclaim.txt" 2>&1
rc=$?
[ "$rc" -le 1 ] || fail "reclaim via the daemon exited $rc: $(cat "$WORK/reclaim.txt")"
head -1 "$WORK/reclaim.txt" | grep -q "^daemon: running (pid $DAEMON, dry-run)" || fail "reclaim: $(cat "$WORK/reclaim.txt")"
grep -q 'reclaim-now uid=0 dry_run=true' "$WORK/daemon.log" || fail "the daemon did not log the reclaim-now"
"$AGENT" reclaim --dry-run --json >"$WORK/reclaim.json"
rc=$?
[ "$rc" -le 1 ] || fail "reclaim --json via the daemon exited $rc"
jq -e '.daemon.running and .daemon.pid == '"$DAEMON"' and .dry_run and (.actions | type == "array")
	and (.returned_bytes | type == "number")' "$WORK/reclaim.json" >/dev/null ||
	fail "reclaim --json via the daemon: $(cat "$WORK/reclaim.json")"
nact=$(jq '.actions | length' "$WORK/reclaim.json")
# report --json holds the daemon's state and the history with those actions.
"$AGENT" report --json >"$WORK/report.json"
[ $? -le 1 ] || fail "report --json failed"
jq -e '.daemon.running and .daemon.pid == '"$DAEMON"' and .daemon.role == "dry-run"
	and (.daemon.history | type == "array") and (.daemon.episode | has("id"))
	and (.daemon.returned_since_start_bytes | type == "number") and (.memory | type == "object")' \
	"$WORK/report.json" >/dev/null || fail "report --json: $(jq -c .daemon "$WORK/report.json" | cut -c1-400)"
if [ "$nact" -gt 0 ]; then
	jq -e '[.daemon.history[] | select(.trigger == "reclaim-now" and .dry_run)] | length >= 1' \
		"$WORK/report.json" >/dev/null || fail "the reclaim-now actions are not in the history"
fi
ask '{"request":"history"}' | jq_e '.ok and (.actions | length) >= '"$nact" >/dev/null ||
	fail "history lacks the reclaim-now actions"

stop_daemon "$DAEMON" || fail "run exited $? after SIGTERM"
[ ! -e "$S" ] || fail "the daemon left its socket behind"
out=$("$AGENT" report) || true
echo "$out" | grep -q '^daemon: not running (figures from this process alone)' || fail "report alone: $(echo "$out" | tail -3)"
"$AGENT" report --json | jq_e '.daemon.running == false' >/dev/null || fail "report --json alone: no daemon.running false"
"$AGENT" reclaim --dry-run >"$WORK/alone.txt"
rc=$?
[ "$rc" -le 1 ] || fail "reclaim alone exited $rc"
head -1 "$WORK/alone.txt" | grep -q '^daemon: not running (figures from this process alone)' || fail "reclaim alone: $(head -3 "$WORK/alone.txt")"
echo "ok: status/history over socat; outsiders cannot connect, members read but cannot act; report and reclaim via the daemon ($nact actions), then alone"
