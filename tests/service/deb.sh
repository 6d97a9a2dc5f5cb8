#!/bin/sh
# The Debian package: `dpkg-buildpackage -us -uc -b` builds from the release
# tarball (TARBALL, or `make dist` in $top_builddir), the .deb installs into
# a throwaway debootstrap root with systemd, and there the agent runs, the
# wsldock group exists, the units are enabled and systemd-analyze verifies
# them.  The root is made with the package's dependencies (dpkg -i does
# not fetch them).  The package's own `make check` is skipped (nocheck):
# the suite runs the tests already.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/common.sh"
. "$here/../lib/debian-root.sh"

[ "$(id -u)" -eq 0 ] || skip "installing into a chroot needs root"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper)"
command -v dh >/dev/null || skip "debhelper is not installed (apt-get install debhelper)"

W=$(mktemp -d /var/tmp/wsldock-deb.XXXXXX) || fail "mktemp"
trap 'rm -rf "$W"' EXIT
tarball=${1:-}
if [ -z "$tarball" ]; then
	make -s -C "${top_builddir:?}" dist >/dev/null || fail "make dist"
	tarball=$(ls -t "$top_builddir"/wsldock-*.tar.gz | head -1)
fi
tar -xzf "$tarball" -C "$W" || fail "cannot unpack $tarball"
src=$(ls -d "$W"/wsldock-*/)
[ -d "$src/debian" ] || fail "the tarball has no debian/ directory"

start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1 ||
	{ tail -30 "$W/build.log"; fail "dpkg-buildpackage -us -uc -b"; }
deb=$(ls "$W"/wsldock-agent_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no wsldock-agent_*.deb built"
echo "built ${deb##*/} in $(( $(date +%s) - start )) s"
if command -v lintian >/dev/null; then
	tags=$(lintian --suppress-tags running-with-root-privileges "$deb" 2>&1 | grep -E '^[EW]: ') && {
		echo "$tags"; fail "lintian reports errors or warnings"; }
fi

# The root gets what the package depends on (first of each alternative), so
# the list cannot fall behind the libraries the agent links.
deps=$( (dpkg-deb -f "$deb" Depends; echo ", systemd, procps") | tr ',' '\n' |
	sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$' | sort -u | paste -sd, -)
base=$(debian_root systemd "$deps") || exit $?
R=$W/root
cp -a "$base" "$R" || fail "cannot copy $base"
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
cp "$deb" "$R/tmp/"
chroot "$R" dpkg -i "/tmp/${deb##*/}" >"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "dpkg -i in the root"; }

v=$(chroot "$R" wsldock-agent --version) || fail "wsldock-agent --version in the root"
case $v in "wsldock-agent "*) ;; *) fail "--version printed '$v'";; esac
chroot "$R" getent group wsldock >/dev/null || fail "the package did not create group wsldock"
# The shipped configuration is a conffile and loads as the defaults.
chroot "$R" dpkg-query -W -f='${Conffiles}' wsldock-agent | grep -q '^ /etc/wsldock/agent.conf ' ||
	fail "/etc/wsldock/agent.conf is not a conffile"
chroot "$R" wsldock-agent config >"$W/config.txt" 2>&1 || { cat "$W/config.txt"; fail "the shipped agent.conf does not load"; }
grep -q '^floor *= 256M *# default$' "$W/config.txt" || { cat "$W/config.txt"; fail "config in the root does not show the defaults"; }
[ -L "$R/etc/systemd/system/multi-user.target.wants/wsldock-agent.service" ] || fail "wsldock-agent.service not enabled"
[ -L "$R/etc/systemd/system/sockets.target.wants/wsldock-agent.socket" ] || fail "wsldock-agent.socket not enabled"
unitdir=$(chroot "$R" pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
out=$(systemd-analyze verify --man=no --root="$R" "$unitdir/wsldock-agent.service" "$unitdir/wsldock-agent.socket" 2>&1) ||
	{ echo "$out"; fail "systemd-analyze verify in the root"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
chroot "$R" dpkg -r wsldock-agent >>"$W/install.log" 2>&1 || { cat "$W/install.log"; fail "dpkg -r"; }
echo "ok: $v installed into a debootstrap root (${base##*/}); group, enabled units and systemd-analyze verify"
