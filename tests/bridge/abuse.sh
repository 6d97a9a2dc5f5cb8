#!/bin/sh
# Hostile peers: 1,000 malformed, oversized and byte-at-a-time messages and
# 100 abrupt disconnects (twice), then a well-behaved agent.  The bridge
# stays up, keeps serving, and its RSS stops growing after the first round.
. "$top_srcdir/tests/bridge/lib.sh"
require python3
require curl

port=$(free_port)
HTTP=http://127.0.0.1:$port
# Under ASan freed memory sits in a quarantine: keep it small so RSS still
# says whether the bridge holds on to what peers sent.
if bridge_sanitized; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
	export ASAN_OPTIONS
fi
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port"
if $CLIENT abuse "unix:$tmp/b.sock" "$HTTP" "$bridge_pid"; then pass "the bridge survives abuse with bounded memory"
else fail "abuse"; tail -20 "$tmp/bridge.log" >&2; fi
bridge_alive && pass "still running" || fail "the bridge is gone"
errs=$(curl -s "$HTTP/metrics" | awk '/^wsldock_bridge_protocol_errors_total/ { print $2 }')
[ "${errs:-0}" -ge 1000 ] && pass "$errs protocol errors counted" || fail "protocol errors counted: $errs"
finish
