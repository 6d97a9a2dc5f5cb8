#!/bin/sh
# Acceptance: a real Debian root made by debootstrap is clean before
# `apt-get install docker.io` and conflicting after it, with apt remedies
# naming docker.io, containerd and runc.  The mirror is the host's own (from
# its apt sources), the roots are cached under $WSLDOCK_TEST_CACHE.
set -u

. "${top_srcdir:?run through make check}/tests/lib/common.sh"
. "$top_srcdir/tests/lib/debian-root.sh"

need_root "debootstrap and chroot"
need jq jq
AGENT=${WSLDOCK_AGENT:?}
CACHE=$WSLDOCK_TEST_CACHE

CLEAN=$(debian_root minbase) || exit $?
DOCKER=${CLEAN%-minbase}-docker.io

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
	echo "$out" | jq_e --arg p "$p" \
		'.findings[] | select(.kind == "package" and .name == $p and (.remedy | test("^sudo apt remove ")) and (.remedy | contains($p)))' \
		>/dev/null || { echo "$out"; fail "no package finding with an apt remedy for $p"; }
done
echo "ok: clean root exits 0, docker.io root exits 1 naming docker.io, containerd, runc"
