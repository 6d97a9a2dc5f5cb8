#!/bin/sh
# Issue 19's attacks on the agent-bridge channel, by a peer without the
# distro's enrolment key (any process of any distro reaches the port):
# a rogue hello asking for changes gets no change and leaves no state; a
# hello as 'ubuntu' cannot replace the real 'Ubuntu's figures; 256 idle
# connections do not keep an enrolled agent out and are closed in seconds;
# an agent_version with a newline cannot forge a bridge log line.  Real
# bridge on a unix socket and 127.0.0.1 (never vsock); WSLDOCK_BRIDGE=an
# older build shows the attacks succeed there.
. "$top_srcdir/tests/bridge/lib.sh"
require curl
ATTACK="python3 $top_srcdir/tests/security/bridge_attacks.py"
port=$(free_port)
HTTP=http://127.0.0.1:$port
S=$tmp/settings-store.json W=$tmp/wslconfig
cp "$BFIX/settings-store.json" "$S"; cp "$BFIX/wslconfig" "$W"
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port" --docker-settings "$S" --wslconfig "$W"

if $ATTACK rogue "unix:$tmp/b.sock" "$HTTP" "$S" "$W"; then pass "a rogue hello gets no change and no state"
else fail "a rogue hello changed the host or left state"; fi

stop_bridge; rm -rf "$tmp/state"
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port"
if $ATTACK spoof "unix:$tmp/b.sock" "$HTTP"; then pass "a hello as 'ubuntu' cannot speak for 'Ubuntu'"
else fail "the spoofed name replaced the real distro's figures"; fi

stop_bridge
start_bridge --listen "tcp:127.0.0.1:$(free_port)" --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port"
if $ATTACK idle "unix:$tmp/b.sock" 256 8; then pass "256 idle unauthenticated connections: the agent gets in, they are closed"
else fail "idle unauthenticated connections locked the agent out or stayed"; fi

# A log line cannot be forged through a value the agent sends.
$ATTACK legit "unix:$tmp/b.sock" Forger "$(printf '1.0\nwsldock-bridge: connection 999: Evil')" ||
	fail "the log test's agent was refused"
sleep 0.3
if grep -q '^wsldock-bridge: connection 999: Evil' "$tmp/bridge.log"; then
	fail "an agent_version with a newline forged a bridge log line:"; grep -B1 'connection 999' "$tmp/bridge.log" >&2
elif grep -q 'Forger (agent 1.0\\x0awsldock-bridge: connection 999' "$tmp/bridge.log"; then
	pass "control characters in agent_version are escaped in the log"
else fail "the agent's hello is not in the log:"; tail -5 "$tmp/bridge.log" >&2; fi
finish
