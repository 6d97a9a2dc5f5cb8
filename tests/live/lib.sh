# shellcheck shell=sh
# Shared helpers for script tests (sourced).  A test exits 0 pass, 1 fail,
# 77 skip; a skip always says why.
: "${WSLDOCK_AGENT:?run through make check, or set WSLDOCK_AGENT}"
: "${FIXTURES:=$top_srcdir/tests/fixtures}"

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
pass() {
	echo "ok: $*"
}
skip() {
	echo "SKIP: $*"
	exit 77
}
finish() {
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed" >&2
		exit 1
	fi
	exit 0
}
need() {
	command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed"
}
# expect_rc WANT DESCRIPTION -- CMD...: runs CMD, compares its exit status.
expect_rc() {
	want=$1 desc=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then pass "$desc (exit $got)"; else
		fail "$desc: exit $got, wanted $want"; sed 's/^/  | /' "$tmp/err" >&2; fi
}
tmp=$(mktemp -d /tmp/wsldock-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# fixture_copy NAME DEST: copies a fixture tree and makes the symlinks listed
# in NAME.symlinks (links into /mnt/wsl that `make dist` cannot carry).
fixture_copy() {
	mkdir -p "$2"
	cp -R "$FIXTURES/$1/." "$2/"
	chmod -R u+w "$2"
	if [ -f "$FIXTURES/$1.symlinks" ]; then
		grep -v '^#' "$FIXTURES/$1.symlinks" | while read -r link target; do
			mkdir -p "$2/$(dirname "$link")"
			ln -sf "$target" "$2/$link"
		done
	fi
}
