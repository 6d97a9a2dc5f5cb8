# shellcheck shell=sh
# Helpers for the wsldock-bridge script tests (sourced): a scratch dir, a
# real bridge started on a unix socket and/or 127.0.0.1 and stopped by its
# pid, the protocol test client.  Exit 0 pass, 1 fail, 77 skip.
: "${top_srcdir:?run through make check, or set top_srcdir and top_builddir}"
: "${top_builddir:?}"
BRIDGE=${WSLDOCK_BRIDGE:-$top_builddir/windows-bridge/wsldock-bridge}
CLIENT="python3 $top_srcdir/tests/bridge/client.py"
BFIX=$top_srcdir/tests/bridge/fixtures
export WSLDOCK_AGENT

. "$top_srcdir/tests/lib/common.sh"
require python3   # the protocol test client
# Every check runs; finish stops the bridge, scans its log, gives the verdict.
defer_failures
before_finish() {
	stop_bridge
	# A sanitized build (distcheck) reports leaks and UB when it exits.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/bridge.log" 2>/dev/null; then
		fail "the bridge's sanitizer reported:"
		grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/bridge.log" | head -40 >&2
	fi
}
tmp=$(mktemp -d /tmp/wsldock-bridge-test.XXXXXX)
bridge_pid=
cleanup() {
	if [ -n "$bridge_pid" ]; then kill "$bridge_pid" 2>/dev/null; wait "$bridge_pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_bridge ARGS...: starts the bridge in the background (log in
# $tmp/bridge.log), waits until its dashboard or socket answers.
# Sets bridge_pid.  Needs HTTP=http://127.0.0.1:PORT when --http is given.
# Keys live in $tmp/state/bridge-keys (client.py enrols there).  A
# protocol-1 bridge (WSLDOCK_BRIDGE=an older build, to show an attack the
# tests/security scripts reproduce) has no --state-dir.
export WSLDOCK_TEST_KEYS="$tmp/state/bridge-keys"
STATE_ARGS=
"$BRIDGE" --help 2>/dev/null | grep -q -- --state-dir && STATE_ARGS="--state-dir $tmp/state"
start_bridge() {
	# shellcheck disable=SC2086
	"$BRIDGE" "$@" $STATE_ARGS >>"$tmp/bridge.log" 2>&1 &
	bridge_pid=$!
	for _ in $(seq 100); do
		if grep -q 'listening on' "$tmp/bridge.log" 2>/dev/null; then
			if [ -z "${HTTP:-}" ] || curl -sf -o /dev/null "$HTTP/metrics"; then
				return 0
			fi
		fi
		kill -0 "$bridge_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: the bridge did not start:" >&2
	sed 's/^/  | /' "$tmp/bridge.log" >&2
	exit 1
}

stop_bridge() {
	[ -n "$bridge_pid" ] || return 0
	kill "$bridge_pid" 2>/dev/null
	wait "$bridge_pid" 2>/dev/null
	bridge_pid=
}
# Whether the bridge is built with AddressSanitizer (its RSS then holds the
# allocator's quarantine and shadow, not what the bridge keeps).
bridge_sanitized() {
	grep -q __asan_init "$BRIDGE" 2>/dev/null
}

# bridge_alive: the pid still runs (not a zombie).
bridge_alive() {
	[ -n "$bridge_pid" ] && kill -0 "$bridge_pid" 2>/dev/null &&
		! grep -q '^State:.*Z' "/proc/$bridge_pid/status" 2>/dev/null
}
