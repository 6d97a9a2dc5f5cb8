#!/bin/sh
# The real agent daemon (`wsldock-agent run --dry-run` on a captured WSL 2
# tree) and a real bridge:
# over a unix socket and over TCP loopback the distro's status is in
# /api/v1/distros within 5 s and /metrics passes promtool; `report` shows
# the connection (daemon.bridge of the daemon's status, asked on its one
# control socket); `integration` and `wslconfig` change requests go over
# that socket through the daemon to the bridge and edit fixture copies; after a bridge restart
# the agent reconnects and re-sends its status; and a bridge reading a
# low-memory meminfo file (the one thing faked: the host's memory) turns on
# the policy's host-pressure state, and off again.  --dry-run: this machine
# is shared, the daemon decides and logs but writes nothing.
. "$top_srcdir/tests/bridge/lib.sh"
require curl
require jq
require promtool
require socat
# Real agent daemons (the BPF tracker as root): a machine-wide test.
machine_lock
AGENT=${WSLDOCK_AGENT:?}

port=$(free_port)
tport=$(free_port)
HTTP=http://127.0.0.1:$port
F=$tmp/settings-store.json; W=$tmp/wslconfig; M=$tmp/meminfo
cp "$BFIX/settings-store.json" "$F"; cp "$BFIX/wslconfig" "$W"
printf 'MemTotal:       33554432 kB\nMemFree:        16777216 kB\nMemAvailable:   20971520 kB\n' >"$M"
BARGS="--listen unix:$tmp/b.sock --listen tcp:127.0.0.1:$tport --http 127.0.0.1:$port --docker-settings $F --wslconfig $W --meminfo $M --host-interval 200 --allow-changes E2E-Unix=integration --allow-changes E2E-Tcp=wslconfig"
# shellcheck disable=SC2086
start_bridge $BARGS

agents=
# Each agent is enrolled the real way: `wsldock-bridge enroll NAME` runs
# tests/bridge/fake-wsl (Windows' wsl.exe cannot exist here), which runs
# `wsldock-agent enroll` into $tmp/keys/NAME.key.
export FAKE_WSL_KEYS=$tmp/keys
start_agent() {  # NAME ENDPOINT
	mkdir -p "$tmp/$1"
	WSLDOCK_WSL_EXE=$top_srcdir/tests/bridge/fake-wsl "$BRIDGE" enroll --state-dir "$tmp/state" "$1" \
		>>"$tmp/enroll.log" 2>&1 || { fail "enroll $1: $(cat "$tmp/enroll.log")"; return; }
	# The agents read a captured WSL 2 tree (--root): other tests build
	# and cache on this machine at the same time, and a live agent would
	# pick their cache as host-pressure targets and run levers inside its
	# event loop (the bridge client and control socket wait meanwhile) for
	# longer than this test waits.  The channel, the bridge and the
	# policy are the real ones; the tree has cgroup v2, so host pressure
	# takes its documented step: memory.reclaim on the root cgroup.
	WSLDOCK_BRIDGE_KEY=$tmp/keys/$1.key WSL_DISTRO_NAME=$1 WSLDOCK_LOCK_DIR=$tmp/$1 "$AGENT" run --foreground --dry-run --bridge "$2" \
		--root "$top_srcdir/tests/fixtures/wsl2-6.6" --set action_timeout=1s \
		--control-socket "$tmp/$1/agent.sock" >"$tmp/$1.log" 2>&1 &
	agents="$agents $!"
}
stop_agents() {
	for a in $agents; do kill "$a" 2>/dev/null; wait "$a" 2>/dev/null; done
	agents=
}
trap 'stop_agents; [ -n "${KEEP:-}" ] && cp "$tmp"/*.log "$KEEP"/; cleanup' EXIT
# in_api NAME SECONDS: the distro is connected with a status within SECONDS.
in_api() {
	end=$(( $(date +%s%N) + $2 * 1000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		if curl -s "$HTTP/api/v1/distros" | jq_e --arg n "$1" '.distros[] | select(.name==$n and .connection=="connected" and (.status.memory.page_cache_bytes | type) == "number" and .status.daemon.state != null)' >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

t0=$(date +%s%N)
start_agent E2E-Unix "unix:$tmp/b.sock"
start_agent E2E-Tcp "tcp:127.0.0.1:$tport"
if in_api E2E-Unix 5; then pass "unix socket: status in /api/v1/distros after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else fail "unix: not in the API within 5 s"; tail -20 "$tmp/E2E-Unix.log" >&2; fi
if in_api E2E-Tcp 5; then pass "TCP loopback: status in /api/v1/distros"
else fail "tcp: not in the API within 5 s"; tail -20 "$tmp/E2E-Tcp.log" >&2; fi
curl -s "$HTTP/metrics" >"$tmp/metrics"
if promtool check metrics <"$tmp/metrics" >"$tmp/prom" 2>&1 && grep -q 'wsldock_agent_up{distro="E2E-Unix"} 1' "$tmp/metrics"; then
	pass "/metrics passes promtool with the agents in it"
else fail "metrics:"; cat "$tmp/prom" >&2; fi

# report shows the connection: daemon.bridge of the daemon's status.
WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Unix/agent.sock "$AGENT" report --json >"$tmp/report.json" 2>/dev/null
jq -e '.daemon.running and .daemon.bridge.state == "connected" and (.daemon.bridge.endpoint | startswith("unix:")) and .daemon.bridge.protocol == 2 and (has("bridge") | not)' "$tmp/report.json" >/dev/null &&
	pass "report --json: daemon.bridge connected" || fail "report bridge: $(jq -c .daemon.bridge "$tmp/report.json")"
WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Unix/agent.sock "$AGENT" report 2>/dev/null | grep -q '^Bridge: connected (unix:' &&
	pass "report: 'Bridge: connected'" || fail "report text has no bridge line"
# The same state straight from the socket.
printf '{"request":"status"}\n' | socat -t 5 - "UNIX-CONNECT:$tmp/E2E-Tcp/agent.sock" |
	jq -e '.ok and .daemon.bridge.state == "connected" and (.daemon.bridge.endpoint | startswith("tcp:"))' >/dev/null &&
	pass "status on agent.sock: daemon.bridge connected over TCP" || fail "status has no daemon.bridge for E2E-Tcp"

# Change requests through the daemon.
WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Unix/agent.sock "$AGENT" integration enable >"$tmp/i1" 2>&1; rc=$?
[ "$rc" = 0 ] && jq -e '.IntegratedWslDistros | index("E2E-Unix")' "$F" >/dev/null && grep -q '^applied:' "$tmp/i1" &&
	pass "integration enable: applied by the bridge" || fail "integration enable: exit $rc $(cat "$tmp/i1")"
WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Tcp/agent.sock "$AGENT" wslconfig set experimental.autoMemoryReclaim=gradual >"$tmp/w1" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q 'AutoMemoryReclaim = gradual' "$W" && grep -q 'run `wsl --shutdown` on the host' "$tmp/w1" &&
	pass "wslconfig set over TCP: needs-restart, file edited" || fail "wslconfig: exit $rc $(cat "$tmp/w1")"
WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Tcp/agent.sock "$AGENT" wslconfig set wsl2.kernel=/x >"$tmp/w2" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'refused: .*not a key wsldock changes' "$tmp/w2" && pass "a refused change: exit 1 with the reason" || fail "refused: exit $rc $(cat "$tmp/w2")"

# Host pressure: the host's memory falls under the threshold, and recovers.
printf 'MemTotal:       33554432 kB\nMemFree:          65536 kB\nMemAvailable:     131072 kB\n' >"$M.new" && mv "$M.new" "$M"
ok=0
for _ in $(seq 100); do grep -q 'host-low state=host-low' "$tmp/E2E-Unix.log" && { ok=1; break; }; sleep 0.1; done
# The decision under host pressure is logged (what it picks depends on the
# levers this kernel offers: memory.reclaim needs cgroup v2's memory controller).
for _ in $(seq 200); do grep -q 'decision .*state=host-low' "$tmp/E2E-Unix.log" && break; sleep 0.1; done
[ "$ok" = 1 ] && grep -q 'bridge host_low=1' "$tmp/E2E-Unix.log" &&
	grep -q 'decision .*state=host-low lever=memory.reclaim reason=host-low-root' "$tmp/E2E-Unix.log" &&
	pass "host low: the policy enters host-pressure and decides ($(grep -o 'decision .*state=host-low lever=[^ ]* reason=[^ ]*' "$tmp/E2E-Unix.log" | head -1))" || { fail "no host-low state"; tail -20 "$tmp/E2E-Unix.log" >&2; }
for _ in $(seq 10); do
	WSLDOCK_CONTROL_SOCKET=$tmp/E2E-Unix/agent.sock "$AGENT" report --json 2>/dev/null >"$tmp/report-low.json"
	jq -e '.daemon.bridge.state == "connected"' "$tmp/report-low.json" >/dev/null && break
done
jq -e '.daemon.bridge.host_memory.low == true' "$tmp/report-low.json" >/dev/null && pass "report shows the host is low" ||
	fail "report host low: $(jq -c .daemon.bridge "$tmp/report-low.json")"
printf 'MemTotal:       33554432 kB\nMemFree:        16777216 kB\nMemAvailable:   20971520 kB\n' >"$M.new" && mv "$M.new" "$M"
ok=0
for _ in $(seq 300); do grep -q 'host-ok state=' "$tmp/E2E-Unix.log" && { ok=1; break; }; sleep 0.1; done
[ "$ok" = 1 ] && pass "host recovered: host-pressure ends" || fail "host-pressure did not end"

# Bridge restart: the agents reconnect (back-off with jitter) and re-send.
kill -KILL "$bridge_pid"; wait "$bridge_pid" 2>/dev/null; bridge_pid=
sleep 1
# shellcheck disable=SC2086
start_bridge $BARGS
t0=$(date +%s%N)
if in_api E2E-Unix 20 && in_api E2E-Tcp 20; then pass "after a restart both agents reconnected and re-sent their status in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else fail "no reconnect after restart"; tail -5 "$tmp/E2E-Unix.log" >&2; fi
grep -q 'bridge state=disconnected' "$tmp/E2E-Unix.log" && pass "the agent logged the disconnect" || fail "no disconnect log"

stop_agents
if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp"/E2E-*.log; then
	fail "an agent's sanitizer reported:"; grep -E -A12 'Sanitizer|runtime error:' "$tmp"/E2E-*.log | head -40 >&2
else pass "the agents stopped cleanly"; fi
finish
