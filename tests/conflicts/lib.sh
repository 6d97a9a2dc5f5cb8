# shellcheck shell=sh
# Shared helpers for the conflicts script tests (sourced, not run).
set -u
. "${top_srcdir:?run through make check}/tests/lib/common.sh"

AGENT=${WSLDOCK_AGENT:?WSLDOCK_AGENT must name the agent binary}
need jq jq

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wsldock-conflicts.XXXXXX") || fail "mktemp"
trap 'rm -rf "$TMP"' EXIT

# The agent must judge the root alone: nothing from the runner's
# environment (DOCKER_HOST, a docker context in $HOME, PATH dirs) leaks in.
agent() {
	env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_CONFIG HOME=/nonexistent \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$AGENT" "$@"
}

# conflicts --json --root DIR -> $OUT, exit status -> $RC
check() {
	OUT=$(agent conflicts --json --root "$1" 2>"$TMP/stderr"); RC=$?
}

# has 'jq filter' -> succeeds when the filter selects something in $OUT
has() { printf '%s\n' "$OUT" | jq_e "$1" >/dev/null 2>&1; }

# check_rc WANT DESCRIPTION: the exit status of the last `check`.
check_rc() {
	[ "$RC" -eq "$1" ] || { printf '%s\n' "$OUT"; cat "$TMP/stderr"; fail "$2: exit $RC, expected $1"; }
}

expect() {
	has "$1" || { printf '%s\n' "$OUT"; cat "$TMP/stderr"; fail "$2"; }
}

expect_not() {
	! has "$1" || { printf '%s\n' "$OUT"; fail "$2"; }
}
