#!/bin/sh
# wsldock-protocol(7) against a real bridge, over a unix socket and over TCP
# on 127.0.0.1: hellos and version negotiation, a real `report --json` in
# /api/v1/distros and /metrics within 2 s, events, error replies, and a
# bridge restart the agent reconnects to (re-sending its status).
. "$top_srcdir/tests/bridge/lib.sh"
require curl
require python3

port=$(free_port)
tport=$(free_port)
HTTP=http://127.0.0.1:$port
start_bridge --listen "unix:$tmp/b.sock" --listen "tcp:127.0.0.1:$tport" --http "127.0.0.1:$port"

if $CLIENT status "unix:$tmp/b.sock" "$HTTP" Ubuntu; then pass "status over a unix socket"; else fail "status over unix"; fi
if $CLIENT status "tcp:127.0.0.1:$tport" "$HTTP" Debian-12; then pass "status over TCP loopback"; else fail "status over TCP"; fi
if $CLIENT errors "unix:$tmp/b.sock" "$HTTP"; then pass "error replies"; else fail "error replies"; fi

# Both distros listed, disconnected now, last status kept.
n=$(curl -s "$HTTP/api/v1/distros" | jq '[.distros[] | select(.name=="Ubuntu" or .name=="Debian-12") | select(.connection=="disconnected" and .page_cache_bytes==123456789)] | length')
[ "$n" = 2 ] && pass "both distros kept after disconnect" || fail "distros after disconnect: $n"

# Restart: a stale socket file is replaced, the agent reconnects and re-sends.
$CLIENT agent "unix:$tmp/b.sock" Restarted 12 0.3 >"$tmp/agent.log" 2>&1 &
agent=$!
sleep 1.5
kill -KILL "$bridge_pid"; wait "$bridge_pid" 2>/dev/null; bridge_pid=
# A SIGKILL leaves no chance to unlink: the file must be there for the
# restart below to prove it replaces a stale one.
if [ -S "$tmp/b.sock" ]; then pass "a SIGKILLed bridge leaves its socket file"
else fail "no socket file after SIGKILL: the stale-socket case below is not tested"; fi
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port"
ok=0
for _ in $(seq 100); do
	if curl -s "$HTTP/api/v1/distros" | jq_e '.distros[] | select(.name=="Restarted" and .connection=="connected" and .page_cache_bytes > 1000)' >/dev/null; then ok=1; break; fi
	sleep 0.1
done
[ "$ok" = 1 ] && pass "the agent reconnected after a restart and re-sent its status" || { fail "no reconnect"; cat "$tmp/agent.log"; }
kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null

# A second bridge on a live socket is refused, saying so.
if "$BRIDGE" --listen "unix:$tmp/b.sock" >"$tmp/second.log" 2>&1; then fail "a second bridge took a live socket"
elif grep -q 'another process listens there' "$tmp/second.log"; then pass "a live socket is not stolen"
else fail "second bridge: $(cat "$tmp/second.log")"; fi

# SIGTERM stops it cleanly and removes the socket file.
kill -TERM "$bridge_pid"; wait "$bridge_pid"; rc=$?; bridge_pid=
[ "$rc" = 0 ] && [ ! -e "$tmp/b.sock" ] && pass "SIGTERM: exit 0, socket removed" || fail "SIGTERM: exit $rc, socket $(ls "$tmp")"

# Refusals at start: a non-loopback --http without --http-any.
if "$BRIDGE" --listen "unix:$tmp/c.sock" --http 0.0.0.0:1 >"$tmp/any.log" 2>&1; then fail "0.0.0.0 accepted"
elif grep -q 'not a loopback address' "$tmp/any.log"; then pass "--http 0.0.0.0 refused without --http-any"
else fail "non-loopback: $(cat "$tmp/any.log")"; fi
finish
