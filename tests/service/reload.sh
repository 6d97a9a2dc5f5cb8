#!/bin/sh
# The configuration of the running daemon (issue 10's acceptance): a file
# whose line 2 is [reclaim] and line 3 `floor = banana` stops `run --config`
# with one line naming the file, line 3 and the key; a daemon started with a
# good file keeps it when SIGHUP (or `reload` on the control socket) meets
# the bad one, and takes a good change; --set stays on top throughout.
. "${top_srcdir:?}/tests/service/lib.sh"
require_root "the daemon loads the BPF tracker"
need socat
need jq

F="$WORK/F.conf"
printf '# bad\n[reclaim]\nfloor = banana\n' >"$F"
"$AGENT" run --foreground --dry-run --config "$F" >"$WORK/bad.out" 2>"$WORK/bad.log"
rc=$?
[ "$rc" -eq 2 ] || fail "run --config with floor = banana exited $rc, expected 2"
[ "$(wc -l <"$WORK/bad.log")" -eq 1 ] || fail "expected one line on stderr, got: $(cat "$WORK/bad.log")"
grep -q "^wsldock-agent: $F:3: floor: " "$WORK/bad.log" || fail "the error does not name $F, line 3 and floor: $(cat "$WORK/bad.log")"
[ ! -e "$WSLDOCK_CONTROL_SOCKET" ] || fail "a refused start left a control socket"
bad_line=$(cat "$WORK/bad.log")

# floor of the running daemon, and where it came from, from its status.
floor() { ask '{"request":"status"}' | jq -r '.daemon.config.sections.reclaim.floor | "\(.value) \(.origin)"'; }
key() { ask '{"request":"status"}' | jq -r ".daemon.config.sections.reclaim.$1 | \"\\(.value) \\(.origin)\""; }

G="$WORK/G.conf"
printf '# good\n[reclaim]\nfloor = 300M\n' >"$G"
start_daemon "$WORK/daemon.log" --config "$G" --set quiet_period=5s
wait_control "$WORK/daemon.log"
[ "$(floor)" = "300M $G:3" ] || fail "at start floor is '$(floor)', expected '300M $G:3'"
[ "$(key quiet_period)" = "5s --set" ] || fail "quiet_period is '$(key quiet_period)', expected '5s --set'"

# SIGHUP with the bad file: still running, still 300M, the reason logged.
cp "$F" "$G"
kill -HUP "$DAEMON"
wait_for "reload result=failed trigger=SIGHUP" "$WORK/daemon.log" 5 || fail "no failed reload logged"
alive "$DAEMON" || fail "the daemon died on a bad reload"
grep "reload result=failed" "$WORK/daemon.log" | grep -q "$G:3: floor: 'banana'" ||
	fail "the failed reload does not name $G:3 and floor"
[ "$(floor)" = "300M $G:3" ] || fail "after a bad SIGHUP floor is '$(floor)', expected the running 300M"
[ "$(key quiet_period)" = "5s --set" ] || fail "after a bad SIGHUP quiet_period is '$(key quiet_period)'"

# The same over the control socket: an error reply with the problem.
reply=$(ask '{"request":"reload"}')
echo "$reply" | jq_e '.ok == false and .code == "EINVAL" and (.errors | length == 1) and
	(.errors[0] | test("G.conf:3: floor"))' >/dev/null || fail "reload reply for the bad file: $reply"
[ "$(floor)" = "300M $G:3" ] || fail "after a bad reload request floor is '$(floor)'"

# A good change is taken, by SIGHUP and by the control socket.
printf '# good\n[reclaim]\n\nfloor = 400M\n' >"$G"
kill -HUP "$DAEMON"
wait_for "reload result=ok trigger=SIGHUP" "$WORK/daemon.log" 5 || fail "no successful reload logged"
[ "$(floor)" = "400M $G:4" ] || fail "after a good SIGHUP floor is '$(floor)', expected '400M $G:4'"
[ "$(key quiet_period)" = "5s --set" ] || fail "a reload lost --set quiet_period=5s: '$(key quiet_period)'"
grep -q 'config mode=auto floor=400M' "$WORK/daemon.log" || fail "the new configuration was not logged"
mkdir "$G.d" && printf '[reclaim]\nfloor = 512M\n' >"$G.d/10-local.conf"
reply=$(ask '{"request":"reload"}')
echo "$reply" | jq_e '.ok and .config.dropins == 1' >/dev/null || fail "reload reply: $reply"
[ "$(floor)" = "512M $G.d/10-local.conf:2" ] || fail "the drop-in was not taken: '$(floor)'"
stop_daemon "$DAEMON" || fail "run exited $? after SIGTERM"
echo "ok: '$bad_line'; a bad SIGHUP and reload keep floor, good ones change it, --set stays"
