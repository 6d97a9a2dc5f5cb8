# Sourced by tests that need a real Debian root made by debootstrap.  The
# mirror is the host's own (from its apt sources); roots are cached under
# $WSLDOCK_TEST_CACHE (default /var/tmp/wsldock-test-cache), one per suite,
# variant and package list.  Needs tests/lib/common.sh (skip, fail).

WSLDOCK_TEST_CACHE=${WSLDOCK_TEST_CACHE:-/var/tmp/wsldock-test-cache}

# First "deb" entry of the host's apt sources that is not a security or
# updates suite: URI and suite, from deb822 .sources or one-line format.
host_mirror() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk '
			/^[Tt]ypes:/ { deb = ($0 ~ /[ \t]deb([ \t]|$)/) }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { suite = $2 }
			/^[ \t]*$/ { if (deb && uri != "" && suite !~ /-(security|updates)$/) { print uri, suite; exit }
				     deb = 0; uri = ""; suite = "" }
			END { if (deb && uri != "" && suite !~ /-(security|updates)$/) print uri, suite }
		' "$f" | head -1
	done | head -1
	if [ -r /etc/apt/sources.list ]; then
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			 if ($(i+1) !~ /-(security|updates)$/) { print $i, $(i+1); exit } }' /etc/apt/sources.list
	fi
}

# debian_root NAME [PACKAGE,...]: prints the path of a cached minbase root
# with the packages included, making it first if needed.  Sets MIRROR and
# SUITE.  Skips when no mirror is configured or debootstrap cannot reach it
# (the reason on stderr: callers take stdout, `dir=$(debian_root ..) || exit $?`).
debian_root() {
	command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)" >&2
	set -- "$1" "${2:-}" $(host_mirror)
	MIRROR=${3:-} SUITE=${4:-}
	[ -n "$MIRROR" ] && [ -n "$SUITE" ] || skip "no deb mirror in the host's apt sources" >&2
	# The package list is part of the name: a root made for another list
	# (an older test, another branch) is never taken, nor removed.
	dr_dir=$WSLDOCK_TEST_CACHE/debian-$SUITE-$1${2:+-$(printf %s "$2" | cksum | cut -d' ' -f1)}
	if [ ! -e "$dr_dir/.wsldock-complete" ]; then
		rm -rf "$dr_dir"
		mkdir -p "$WSLDOCK_TEST_CACHE" || fail "cannot create $WSLDOCK_TEST_CACHE"
		dr_start=$(date +%s)
		echo "debootstrap --variant=minbase ${2:+--include=$2 }$SUITE from $MIRROR (cached in $dr_dir)" >&2
		if ! debootstrap --variant=minbase ${2:+--include="$2"} "$SUITE" "$dr_dir" "$MIRROR" \
			>"$WSLDOCK_TEST_CACHE/debootstrap-$1.log" 2>&1; then
			tail -5 "$WSLDOCK_TEST_CACHE/debootstrap-$1.log" >&2
			rm -rf "$dr_dir"
			skip "debootstrap failed (no network to $MIRROR?); log in $WSLDOCK_TEST_CACHE/debootstrap-$1.log" >&2
		fi
		touch "$dr_dir/.wsldock-complete"
		echo "debootstrap took $(( $(date +%s) - dr_start )) s" >&2
	fi
	echo "$dr_dir"
}
