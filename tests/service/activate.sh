#!/bin/sh
# Socket activation as the shipped units do it: systemd-socket-activate
# (Debian's systemd package) listens, and starts the daemon only when the
# first client connects; the daemon takes the listening socket from
# sd_listen_fds instead of making its own, answers that first client, never
# creates a socket at its own path, and leaves the passed one in place at
# exit (the socket unit removes it: RemoveOnStop=).  The unit's ListenStream=
# is the daemon's default path; here a private path stands for it, since
# /run/wsldock may be in use by a daemon of another test.
. "${top_srcdir:?}/tests/service/lib.sh"
require_root "the daemon loads the BPF tracker"
need socat
need jq
need systemd-socket-activate

unit=${top_srcdir}/systemd/wsldock-agent.socket
listen=$(sed -n 's/^ListenStream=//p' "$unit")
"$AGENT" run --help | grep -q "default $listen," || fail "the unit listens on $listen, run's default differs"

A="$WORK/activated.sock"
# Where the daemon would make its own socket if it ignored the passed one.
export WSLDOCK_CONTROL_SOCKET="$WORK/own.sock"
systemd-socket-activate -l "$A" "$AGENT" run --foreground --dry-run 2>"$WORK/daemon.log" &
ACT=$!
PIDS="$PIDS $ACT"
wait_for "Listening on $A" "$WORK/daemon.log" 5 || fail "systemd-socket-activate did not listen"
[ -S "$A" ] || fail "no socket at $A"
grep -q ' start role=' "$WORK/daemon.log" && fail "the daemon started before a client connected"
# The first client's connection waits in the backlog while the daemon starts.
reply=$(ask '{"request":"status"}' "$A")
echo "$reply" | jq_e --arg a "$A" '.ok and .daemon.control.activated and .daemon.control.path == $a' \
	>/dev/null || fail "status over the activated socket: $(echo "$reply" | cut -c1-300)"
grep -q "control socket=$A activated=1" "$WORK/daemon.log" || fail "the daemon did not log the passed socket"
[ ! -e "$WORK/own.sock" ] || fail "the daemon made its own socket although one was passed"
# `report` finds the daemon at the path given ($WSLDOCK_CONTROL_SOCKET).
WSLDOCK_CONTROL_SOCKET="$A" "$AGENT" report | grep -q '^daemon: running (pid [0-9]*, dry-run)' ||
	fail "report does not see the activated daemon"
kill -TERM "$ACT"
wait "$ACT"
rc=$?
PIDS=""
[ "$rc" -eq 0 ] || fail "the activated daemon exited $rc after SIGTERM"
grep -q ' stop signal=TERM' "$WORK/daemon.log" || fail "no clean stop logged"
[ -S "$A" ] || fail "the daemon removed the socket systemd passed it"
echo "ok: started on the first connection, answered on the passed socket ($listen semantics), left it in place"
