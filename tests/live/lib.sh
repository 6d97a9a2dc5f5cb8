# shellcheck shell=sh
# Helpers for the live report tests and the lever tests (sourced; the
# generic ones are in tests/lib/common.sh).
: "${WSLDOCK_AGENT:?run through make check, or set WSLDOCK_AGENT}"
: "${top_srcdir:?run through make check}"
: "${FIXTURES:=$top_srcdir/tests/fixtures}"

. "$top_srcdir/tests/lib/common.sh"
# Every check runs; finish gives the verdict.
defer_failures
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
