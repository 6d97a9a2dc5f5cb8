# Sourced by the tests of the daemon as a service (tests/service/*.sh):
# each runs real `wsldock-agent run` processes with a private leader lock
# and control socket under $WORK, so daemons of other tests running at the
# same time (and on this machine, other sessions') never meet them.
set -u
. "${top_srcdir:?run through make check}/tests/lib/common.sh"
# A failure shows the daemons' logs.
on_fail() { dump_logs; }
AGENT=${WSLDOCK_AGENT:?WSLDOCK_AGENT is not set (run through make check)}
[ -x "$AGENT" ] || fail "$AGENT is not executable"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wsldock-service.XXXXXX") || { echo "FAIL: mktemp"; exit 1; }
# Other users' clients (nobody) must reach the socket inside.
chmod 755 "$WORK"
export WSLDOCK_LOCK_DIR="$WORK/lock"
export WSLDOCK_CONTROL_SOCKET="$WORK/agent.sock"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
dump_logs() {
	for f in "$WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "--- $f (last 15 lines)"
		tail -15 "$f" | cut -c1-300
	done
}

# The daemons load the BPF tracker and see every other test's cache and
# cgroups: require_root (root and the machine lock, tests/lib/common.sh).

# start_daemon LOG ARGS...: `run --foreground --dry-run ARGS` in the
# background; sets DAEMON to its pid.
start_daemon() {
	log=$1
	shift
	"$AGENT" run --foreground --dry-run "$@" 2>"$log" &
	DAEMON=$!
	PIDS="$PIDS $DAEMON"
}

# The daemon's control socket is up when it has logged it.
wait_control() {
	wait_for "control socket=" "$1" 15 || fail "the daemon did not open its control socket"
	wait_for " start role=" "$1" 15 || fail "the daemon did not start"
}

# ask JSON [SOCKET]: one request with socat, the reply line on stdout.
ask() {
	echo "$1" | socat -t 10 - "UNIX-CONNECT:${2:-$WSLDOCK_CONTROL_SOCKET}"
}

alive() { kill -0 "$1" 2>/dev/null; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

stop_daemon() {
	kill -TERM "$1"
	wait "$1"
	rc=$?
	PIDS=$(echo "$PIDS" | sed "s/ $1\b//")
	return "$rc"
}
