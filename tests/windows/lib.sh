# Sourced by the wine tests: the tree, tests/lib/common.sh, and the tools
# they need (a skip names the package when one is missing).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$(pwd)}
. "$srcdir/tests/lib/common.sh"
command -v x86_64-w64-mingw32-gcc >/dev/null ||
	skip "no mingw-w64 cross compiler (apt-get install gcc-mingw-w64-x86-64)"
WINE=
for w in wine64 /usr/lib/wine/wine64 /usr/lib/x86_64-linux-gnu/wine/wine64; do
	if command -v "$w" >/dev/null 2>&1; then WINE=$(command -v "$w"); break; fi
done
[ -n "$WINE" ] || skip "no wine64 (apt-get install wine64)"
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
