#!/bin/sh
# report on fixture trees: the acceptance cases of the foundation issue,
# exit statuses, and one-line errors naming the file.
. "$top_srcdir/tests/live/lib.sh"
need jq

agent=$WSLDOCK_AGENT

expect_rc 0 "--help" -- "$agent" --help
grep -q "report" "$tmp/out" || fail "--help does not list report"
expect_rc 0 "--version" -- "$agent" --version
grep -qE '^wsldock-agent [0-9]+\.[0-9]+' "$tmp/out" || fail "--version prints no version"
expect_rc 2 "no verb" -- "$agent"
expect_rc 2 "unknown verb" -- "$agent" frobnicate
grep -q "unknown verb 'frobnicate'" "$tmp/err" || fail "unknown verb not named"
expect_rc 2 "unknown option" -- "$agent" report --frob
grep -q "^wsldock-agent report: unrecognized option '--frob'" "$tmp/err" ||
	fail "getopt error not prefixed with the program and verb: $(cat "$tmp/err")"
expect_rc 2 "hex --duration" -- "$agent" top --once --duration 0x10
expect_rc 2 "exponent --duration" -- "$agent" top --once --duration 1e1
expect_rc 2 "report > /dev/full" -- sh -c "'$agent' report >/dev/full"
grep -q "cannot write the report: No space left on device" "$tmp/err" || fail "/dev/full not reported"
expect_rc 2 "report --json > /dev/full" -- sh -c "'$agent' report --json >/dev/full"
expect_rc 2 "conflicts > /dev/full" -- sh -c "'$agent' conflicts --root '$FIXTURES/wsl2-6.6' >/dev/full"
expect_rc 0 "report --help" -- "$agent" report --help
grep -q -- "--root DIR" "$tmp/out" || fail "report --help does not document --root"

# WSL2 6.x tree: WSL2, PSI unavailable with a reason, order 5.
fixture_copy wsl2-6.6 "$tmp/wsl2"
expect_rc 0 "WSL2 6.x tree" -- "$agent" report --json --root "$tmp/wsl2"
jq -e '.schema_version == 1 and .wsl == "wsl2" and .psi == null
	and (.unavailable.psi | test("pressure/memory"))
	and .page_reporting.page_reporting_order == 5
	and (.memory.page_cache_bytes | type) == "number"
	and (.page_reporting.reportable_free_bytes | type) == "number"
	and .cgroup.mode == "v2" and .environment.docker_desktop_integration' \
	"$tmp/out" >/dev/null && pass "WSL2 6.x JSON" || fail "WSL2 6.x JSON: $(cat "$tmp/out")"

expect_rc 0 "WSL1 tree" -- "$agent" report --json --root "$FIXTURES/wsl1"
jq -e '.wsl == "wsl1" and .page_reporting.page_reporting_order == null
	and .page_reporting.reportable_free_bytes == null
	and (.unavailable["page_reporting.reportable_free_bytes"] | length > 0)' \
	"$tmp/out" >/dev/null && pass "WSL1 JSON" || fail "WSL1 JSON"

expect_rc 0 "plain Linux tree" -- "$agent" report --json --root "$FIXTURES/plain-linux"
jq -e '.wsl == "none" and .psi.some.avg10 == 1.25 and .page_reporting.page_reporting_order == null' \
	"$tmp/out" >/dev/null && pass "plain Linux JSON" || fail "plain Linux JSON"

# Human report: aligned rows with units, and the explanation lines.
expect_rc 0 "human report" -- "$agent" report --root "$FIXTURES/wsl2-5.15"
grep -qE '^  Page cache +5\.0 GiB +file data kept in RAM' "$tmp/out" || fail "page cache row"
grep -qE '^  Reportable free +[0-9.]+ MiB' "$tmp/out" || fail "reportable row"
grep -q 'order 9 = 2.0 MiB blocks' "$tmp/out" || fail "reporting order title"
grep -q '^Windows can take back 564.0 MiB now; dropping clean page cache would free 4.9 GiB more' \
	"$tmp/out" || fail "summary line"

# A truncated meminfo: exit 1, a message naming the file, the rest printed.
fixture_copy wsl2-6.6 "$tmp/root"
head -c 40 "$FIXTURES/wsl2-6.6/proc/meminfo" >"$tmp/root/proc/meminfo"
expect_rc 1 "truncated meminfo" -- "$agent" report --json --root "$tmp/root"
grep -q "$tmp/root/proc/meminfo:2: " "$tmp/err" || fail "error does not name meminfo and its line"
jq -e '.memory.page_cache_bytes == null and (.unavailable["memory.page_cache_bytes"] | test("Cached"))
	and .page_reporting.page_reporting_order == 5' "$tmp/out" >/dev/null \
	&& pass "truncated meminfo JSON" || fail "truncated meminfo JSON"
expect_rc 1 "truncated meminfo, human" -- "$agent" report --root "$tmp/root"
grep -qE '^  Page cache +unknown' "$tmp/out" || fail "page cache not shown unknown"

# Binary junk everywhere: no crash, valid JSON, every file named.
for f in meminfo vmstat buddyinfo; do
	head -c 3000 /dev/urandom >"$tmp/root/proc/$f"
done
expect_rc 1 "junk files" -- "$agent" report --json --root "$tmp/root"
jq -e . "$tmp/out" >/dev/null || fail "junk: output is not JSON"
for f in meminfo vmstat buddyinfo; do
	grep -q "proc/$f" "$tmp/err" || fail "junk: $f not named in errors"
done

expect_rc 2 "nonexistent --root" -- "$agent" report --root "$tmp/nothing-here"
grep -q -- "--root $tmp/nothing-here: No such file or directory" "$tmp/err" || fail "bad --root not named"
mkdir "$tmp/empty"
expect_rc 1 "empty root" -- "$agent" report --root "$tmp/empty"
grep -q "$tmp/empty/proc/meminfo: missing" "$tmp/err" || fail "missing file not named"

# An unreadable page_reporting parameter (as nobody: root reads anything).
fixture_copy wsl2-6.6 "$tmp/pr"
echo 123 >"$tmp/pr/sys/module/page_reporting/parameters/reported_kib"
chmod -R a+rX "$tmp"
chmod 000 "$tmp/pr/sys/module/page_reporting/parameters/reported_kib"
if [ "$(id -u)" -eq 0 ]; then as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"; else as_nobody=; fi
# shellcheck disable=SC2086
expect_rc 1 "unreadable reported_kib" -- $as_nobody "$agent" report --root "$tmp/pr"
grep -q "reported_kib: cannot read: Permission denied" "$tmp/err" ||
	fail "unreadable parameter not named: $(cat "$tmp/err")"

# A FIFO where a file should be: refused at once, named, never a hang.
fixture_copy wsl2-6.6 "$tmp/fifo"
rm "$tmp/fifo/proc/meminfo"
mkfifo "$tmp/fifo/proc/meminfo"
expect_rc 1 "FIFO at proc/meminfo" -- timeout 10 "$agent" report --root "$tmp/fifo"
grep -q "$tmp/fifo/proc/meminfo: not a regular file" "$tmp/err" || fail "FIFO not named: $(cat "$tmp/err")"

# Links in a tree resolve inside it: neither "../.." nor an absolute
# target reaches this system's files.
fixture_copy wsl2-6.6 "$tmp/esc"
mkdir "$tmp/outside"
printf 'MemTotal: 12345 kB\nMemFree: 1 kB\n' >"$tmp/outside/meminfo"
rm "$tmp/esc/proc/meminfo" "$tmp/esc/proc/buddyinfo"
ln -s "../../../../../../../../../../$tmp/outside/meminfo" "$tmp/esc/proc/meminfo"
ln -s "$tmp/outside/meminfo" "$tmp/esc/proc/buddyinfo"
expect_rc 1 "links out of the root" -- "$agent" report --json --root "$tmp/esc"
jq -e '.memory.total_bytes != 12641280' "$tmp/out" >/dev/null && pass "meminfo link stays in the root" ||
	fail "a link in the tree read $tmp/outside/meminfo"
grep -q "$tmp/esc/proc/meminfo" "$tmp/err" || fail "the dangling meminfo link is not named"
finish
