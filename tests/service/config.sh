#!/bin/sh
# The configuration file from the command line: the shipped template (every
# key commented out) uncommented reads back as the defaults, each value
# attributed to its line; a bad value is one line naming file, line and key
# and exit 1 (the daemon's start and SIGHUP paths are tested with the
# daemon).
set -u
. "${top_srcdir:?run through make check}/tests/lib/common.sh"
AGENT=${WSLDOCK_AGENT:?}
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT

"$AGENT" config --template >"$T/template" || fail "config --template"
grep -q '^\[reclaim\]$' "$T/template" || fail "template has no [reclaim] section"
if grep -v '^#' "$T/template" | grep -q '='; then fail "template sets a key that is not commented out"; fi
"$AGENT" config --config "$T/template" --json >"$T/commented.json" || fail "the commented template does not load"
sed 's/^#\([a-z_0-9]* = \)/\1/' "$T/template" >"$T/all.conf"
"$AGENT" config --config "$T/all.conf" --json >"$T/all.json" || fail "the uncommented template does not load"
# Same values, and every one now comes from a line of all.conf.
jq -e --slurpfile d "$T/commented.json" '
	[.sections.reclaim | to_entries[] | .value.value] == [$d[0].sections.reclaim | to_entries[] | .value.value]
	and ([.sections.reclaim[] | .origin | test("all.conf:[0-9]+$")] | all)
	and ([$d[0].sections.reclaim[] | .origin == "default"] | all)' "$T/all.json" >/dev/null ||
	fail "uncommented template: values or origins differ from the defaults"

printf '# local settings\n[reclaim]\nfloor = banana\n' >"$T/F"
"$AGENT" config --config "$T/F" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ] || fail "floor = banana: exit $rc, expected 1"
[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err"; fail "expected exactly one line on stderr"; }
grep -q "^wsldock-agent: $T/F:3: floor: 'banana' is not bytes" "$T/err" || { cat "$T/err"; fail "error does not name F:3 and floor"; }
echo "ok: template round-trips to the defaults; '$(cat "$T/err")'"
