#!/bin/sh
# Acceptance: a real Debian root made by debootstrap is clean before
# `apt-get install docker.io` and conflicting after it, with apt remedies
# naming docker.io, containerd and runc.  The mirror is the host's own (from
# its apt sources), the roots are cached under $WSLDOCK_TEST_CACHE.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "debootstrap and chroot need root"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install debootstrap)"
command -v jq >/dev/null || skip "jq is not installed (apt-get install jq)"
AGENT=${WSLDOCK_AGENT:?}
CACHE=${WSLDOCK_TEST_CACHE:-/var/tmp/wsldock-test-cache}

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

set -- $(host_mirror)
MIRROR=${1:-}
SUITE=${2:-}
[ -n "$MIRROR" ] && [ -n "$SUITE" ] || skip "no deb mirror in the host's apt sources"

CLEAN=$CACHE/debian-$SUITE-minbase
DOCKER=$CACHE/debian-$SUITE-docker.io
mkdir -p "$CACHE" || fail "cannot create $CACHE"

if [ ! -e "$CLEAN/.wsldock-complete" ]; then
	rm -rf "$CLEAN"
	start=$(date +%s)
	echo "debootstrap --variant=minbase $SUITE from $MIRROR (cached in $CLEAN)"
	if ! debootstrap --variant=minbase "$SUITE" "$CLEAN" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
		tail -5 "$CACHE/debootstrap.log"
		rm -rf "$CLEAN"
		skip "debootstrap failed (no network to $MIRROR?); log in $CACHE/debootstrap.log"
	fi
	touch "$CLEAN/.wsldock-complete"
	echo "debootstrap took $(( $(date +%s) - start )) s"
fi

if [ ! -e "$DOCKER/.wsldock-complete" ]; then
	rm -rf "$DOCKER"
	start=$(date +%s)
	cp -a "$CLEAN" "$DOCKER" || fail "cannot copy $CLEAN"
	rm -f "$DOCKER/.wsldock-complete"
	cp /etc/resolv.conf "$DOCKER/etc/resolv.conf" 2>/dev/null || :
	# Maintainer scripts must not start daemons in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$DOCKER/usr/sbin/policy-rc.d"
	chmod 755 "$DOCKER/usr/sbin/policy-rc.d"
	if ! chroot "$DOCKER" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get -q update &&
		DEBIAN_FRONTEND=noninteractive apt-get -qy install --no-install-recommends docker.io' \
		>"$CACHE/apt-docker.log" 2>&1; then
		tail -5 "$CACHE/apt-docker.log"
		rm -rf "$DOCKER"
		skip "apt-get install docker.io failed in the chroot (network?); log in $CACHE/apt-docker.log"
	fi
	rm -f "$DOCKER/usr/sbin/policy-rc.d"
	touch "$DOCKER/.wsldock-complete"
	echo "apt-get install docker.io took $(( $(date +%s) - start )) s"
fi

# The agent must see only the root: no environment leaking from the runner.
run() { env -u DOCKER_HOST -u DOCKER_CONTEXT HOME=/nonexistent "$AGENT" conflicts --json --root "$1"; }

out=$(run "$CLEAN"); rc=$?
[ "$rc" -eq 0 ] || { echo "$out"; fail "clean root: exit $rc, expected 0"; }

out=$(run "$DOCKER"); rc=$?
[ "$rc" -eq 1 ] || { echo "$out"; fail "docker.io root: exit $rc, expected 1"; }
for p in docker.io containerd runc; do
	echo "$out" | jq -e --arg p "$p" \
		'.findings[] | select(.kind == "package" and .name == $p and (.remedy | test("^sudo apt remove ")) and (.remedy | contains($p)))' \
		>/dev/null || { echo "$out"; fail "no package finding with an apt remedy for $p"; }
done
echo "ok: clean root exits 0, docker.io root exits 1 naming docker.io, containerd, runc"
