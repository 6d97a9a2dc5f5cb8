#!/bin/sh
# report --json on this machine against /proc and sysfs read at the same
# moment.  Bounds are loose because the page cache moves between the reads.
. "$top_srcdir/tests/live/lib.sh"
need jq
[ -r /proc/meminfo ] || skip "no /proc/meminfo"

"$WSLDOCK_AGENT" report --json >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -le 1 ] || fail "report exited $rc"
jq -e . "$tmp/out" >/dev/null || { fail "not JSON"; finish; }
cached=$(awk '/^Cached:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
total=$(awk '/^MemTotal:/ { printf "%.0f\n", $2 * 1024 }' /proc/meminfo)
got=$(jq '.memory.page_cache_bytes' "$tmp/out")
within=$(awk -v a="$got" -v b="$cached" 'BEGIN { d = a - b; if (d < 0) d = -d; print (d <= 0.10 * b + 8388608) ? 1 : 0 }')
[ "$within" = 1 ] && pass "page_cache_bytes $got ~ Cached $cached" \
	|| fail "page_cache_bytes $got vs Cached $cached"
[ "$(jq '.memory.total_bytes' "$tmp/out")" = "$total" ] && pass "total_bytes = MemTotal" \
	|| fail "total_bytes differs from MemTotal $total"

order_file=/sys/module/page_reporting/parameters/page_reporting_order
if [ -r "$order_file" ]; then
	want=$(cat "$order_file")
	[ "$(jq '.page_reporting.page_reporting_order' "$tmp/out")" = "$want" ] \
		&& pass "page_reporting_order $want" || fail "page_reporting_order differs from $want"
	jq -e --argjson t "$total" '.page_reporting.reportable_free_bytes <= $t
		and .page_reporting.stranded_free_bytes <= $t' "$tmp/out" >/dev/null \
		&& pass "reportable/stranded within MemTotal" || fail "reportable/stranded out of range"
else
	jq -e '.page_reporting.page_reporting_order == null' "$tmp/out" >/dev/null \
		&& pass "no page reporting here: null" || fail "page_reporting_order should be null"
fi

case $(cat /proc/sys/kernel/osrelease) in
*Microsoft*) want=wsl1 ;;
*microsoft-standard*|*WSL2*) want=wsl2 ;;
*) want=none ;;
esac
[ "$(jq -r '.wsl' "$tmp/out")" = "$want" ] && pass "wsl = $want" || fail "wsl is not $want"

if [ -r /proc/pressure/memory ]; then
	jq -e '.psi.some.avg10 >= 0' "$tmp/out" >/dev/null && pass "psi read" || fail "psi missing"
else
	jq -e '.psi == null and (.unavailable.psi | length > 0)' "$tmp/out" >/dev/null \
		&& pass "psi null with reason" || fail "psi should be null with a reason"
fi
finish
