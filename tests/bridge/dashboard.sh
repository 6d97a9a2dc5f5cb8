#!/bin/sh
# The dashboard as its users see it: /metrics accepted by `promtool check
# metrics` (Debian's prometheus), /api/v1/distros as JSON, and / loaded by
# headless Chromium: the DOM holds a chart per distro with the data sent and
# the conflict's remedy, and the screenshot shows both series drawn
# (pixels of the two series' colours, beyond what the legend holds).
# The advice on autoMemoryReclaim: in the API and on the page (the command,
# no button) for a .wslconfig with dropCache, none for the recommended value.
. "$top_srcdir/tests/bridge/lib.sh"
require curl
require jq
require promtool
require chromium

port=$(free_port)
HTTP=http://127.0.0.1:$port
printf '[wsl2]\nmemory=8GB\n\n[experimental]\nautoMemoryReclaim=dropCache\n' >"$tmp/wslconfig"
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port" --wslconfig "$tmp/wslconfig"

# Empty bridge: the metrics already check.
if curl -s "$HTTP/metrics" | promtool check metrics >"$tmp/prom0" 2>&1; then pass "promtool accepts /metrics with no agent"
else fail "promtool (no agent):"; sed 's/^/  | /' "$tmp/prom0" >&2; fi

$CLIENT feed "unix:$tmp/b.sock" Ubuntu-24.04 24 30 >"$tmp/feed.log" 2>&1 &
feed=$!
$CLIENT feed "unix:$tmp/b.sock" Debian 10 30 >"$tmp/feed2.log" 2>&1 &
feed2=$!
for _ in $(seq 100); do
	n=$(curl -s "$HTTP/api/v1/distros" | jq '[.distros[] | .history | length] | add // 0')
	[ "$n" -ge 34 ] && break
	sleep 0.1
done
[ "$n" -ge 34 ] && pass "34 statuses in the chart history" || fail "history holds $n samples"

curl -s -D "$tmp/headers" "$HTTP/metrics" >"$tmp/metrics"
if promtool check metrics <"$tmp/metrics" >"$tmp/prom" 2>&1; then pass "promtool accepts /metrics with agents"
else fail "promtool:"; sed 's/^/  | /' "$tmp/prom" >&2; fi
for m in 'wsldock_agent_up{distro="Ubuntu-24.04"} 1' 'wsldock_conflicts{distro="Ubuntu-24.04"} 1' \
	'wsldock_reclaim_actions_total{distro="Ubuntu-24.04",lever="memory.reclaim"} 11' \
	'wsldock_returned_bytes_total{distro="Ubuntu-24.04"} 2952790016' \
	'wsldock_host_memory_total_bytes' 'wsldock_page_cache_bytes{distro="Debian"}'; do
	grep -qF "$m" "$tmp/metrics" && pass "metrics: $m" || fail "metrics lack: $m"
done
grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/headers" && pass "metrics content type" || fail "metrics content type"

# The shipped Grafana dashboard queries only metrics the bridge serves.
missing=
for m in $(jq -r '.panels[].targets[].expr' "$top_srcdir/windows-bridge/grafana/wsldock-bridge.json" | grep -o 'wsldock_[a-z_]*' | sort -u); do
	grep -q "^$m[ {]" "$tmp/metrics" || missing="$missing $m"
done
[ -z "$missing" ] && pass "every metric the Grafana dashboard queries is served" || fail "Grafana queries unserved metrics:$missing"

curl -s "$HTTP/api/v1/distros" >"$tmp/api.json"
if jq -e '.distros | length == 2' "$tmp/api.json" >/dev/null &&
	jq -e '.distros[] | select(.name=="Ubuntu-24.04") | .conflicts[0].remedy == "sudo apt-get remove docker.io" and .reclaim.returned_bytes > 0 and (.status.memory | type) == "object"' "$tmp/api.json" >/dev/null
then pass "/api/v1/distros: distros, conflicts with remedies, reclaim, last status"
else fail "/api/v1/distros:"; head -c 600 "$tmp/api.json" >&2; fi

SET="wsldock-bridge wslconfig set experimental.autoMemoryReclaim="
if jq -e --arg set "$SET" --arg f "$tmp/wslconfig" '.advice | length == 1 and (.[0] | .key == "experimental.autoMemoryReclaim"
	and .current == "dropCache" and .default == false and .recommended != "dropCache" and (.why | length) > 0
	and .command == $set + .recommended + " --wslconfig " + $f)' "$tmp/api.json" >/dev/null
then pass "/api/v1/distros advises against autoMemoryReclaim=dropCache, with the command"
else fail "/api/v1/distros advice:"; jq -c .advice "$tmp/api.json" >&2; fi
recommended=$(jq -r '.advice[0].recommended' "$tmp/api.json")

curl -s -D "$tmp/ph" "$HTTP/" >"$tmp/page.html"
# (The SVG namespace URI names, it loads nothing.)
if sed 's|http://www.w3.org/2000/svg||g' "$tmp/page.html" | grep -Eiq '<script[^>]+src=|<link[^>]+href=|https?://|@import'; then fail "the page loads something from elsewhere"
else pass "the page is self-contained"; fi
grep -qi "^content-security-policy: default-src 'none'" "$tmp/ph" && pass "CSP forbids other origins" || fail "no CSP"

# Headless Chromium: a profile of its own, no sandbox (root), no GPU.
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$tmp/profile" --window-size=1200,1100 --virtual-time-budget=4000 "$@" 2>>"$tmp/chromium.log"
}
chrome --dump-dom "$HTTP/" >"$tmp/dom.html"
points=$(sed 's/data-distro="Ubuntu-24.04"/\nUBUNTU/' "$tmp/dom.html" | sed -n '/^UBUNTU/,$p' |
	grep -o '<polyline[^>]*class="series-1"' | head -1 | grep -o 'points="[^"]*"' | tr ' ' '\n' | grep -c ,)
[ "${points:-0}" -ge 20 ] && pass "chart of Ubuntu-24.04 has $points points" || { fail "chart points: ${points:-none}"; tail -5 "$tmp/chromium.log" >&2; }
grep -q 'data-distro="Debian"' "$tmp/dom.html" && pass "one chart per distro" || fail "no Debian section"
grep -q 'sudo apt-get remove docker.io' "$tmp/dom.html" && pass "the conflict's remedy is shown" || fail "no remedy on the page"
grep -qF "<code>$SET$recommended --wslconfig $tmp/wslconfig</code>" "$tmp/dom.html" &&
	! grep -qi '<button' "$tmp/dom.html" && pass "the page shows the advised command, and no button" ||
	fail "the page does not show the advised command alone"

chrome --screenshot="$tmp/shot.png" "$HTTP/" >/dev/null
shot=$top_builddir/tests/bridge/dashboard-screenshot.png
mkdir -p "$(dirname "$shot")" && cp "$tmp/shot.png" "$shot" 2>/dev/null
# The legend's swatches hold ~150 pixels of each colour; two drawn series
# across the charts hold thousands.
if python3 "$top_srcdir/tests/bridge/pngcheck.py" "$tmp/shot.png" 2f6db5:1500 2e9e4f:1500; then
	pass "the screenshot shows both series drawn ($shot)"
else fail "the screenshot shows no chart with data ($shot)"; fi

kill "$feed" "$feed2" 2>/dev/null
wait "$feed" "$feed2" 2>/dev/null

# The recommended value (WSL compares without regard to case): no advice.
stop_bridge
printf '[experimental]\nAutoMemoryReclaim = %s\n' "$recommended" | tr '[:lower:]' '[:upper:]' >"$tmp/wslconfig"
start_bridge --listen "unix:$tmp/b.sock" --http "127.0.0.1:$port" --wslconfig "$tmp/wslconfig"
curl -s "$HTTP/api/v1/distros" | jq_e '.advice == []' >/dev/null &&
	pass "no advice once autoMemoryReclaim=$recommended" ||
	fail "advice for autoMemoryReclaim=$recommended: $(curl -s "$HTTP/api/v1/distros" | jq -c .advice)"
finish
