#!/bin/sh
# `make install DESTDIR=D` puts the units where systemd.pc says, and
# systemd-analyze accepts them.  verify --root needs the targets the units
# name and the commands they run inside D, so those are copied from the
# host: what is checked is our units, not that scaffolding.
set -u
. "${top_srcdir:?run through make check}/tests/lib/common.sh"

command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (apt-get install systemd)"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd) || skip "systemd.pc not found (apt-get install systemd-dev or libsystemd-dev)"
sysusersdir=$(pkg-config --variable=sysusersdir systemd)
D=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$D"' EXIT

make -s -C "${top_builddir:?}" install DESTDIR="$D" >"$D.log" 2>&1 || { cat "$D.log"; rm -f "$D.log"; fail "make install DESTDIR failed"; }
rm -f "$D.log"
# distcheck configures its own unit directory under the prefix; otherwise it is systemd.pc's.
want=$(sed -n 's/^systemdsystemunitdir = //p' "$top_builddir/Makefile")
case $want in /*) ;; *) fail "systemdsystemunitdir in Makefile is '$want'";; esac
[ -f "$D$want/wsldock-agent.service" ] || fail "wsldock-agent.service not in $D$want"
[ -f "$D$want/wsldock-agent.socket" ] || fail "wsldock-agent.socket not in $D$want"
if ! grep -q -- '--with-systemdsystemunitdir' "$top_builddir/config.log"; then
	[ "$want" = "$unitdir" ] || fail "units went to $want, systemd.pc says $unitdir"
	[ -f "$D$sysusersdir/wsldock.conf" ] || fail "sysusers entry not in $D$sysusersdir"
fi
grep -q '^g wsldock ' "$D"$(sed -n 's/^sysusersdir = //p' "$top_builddir/Makefile")/wsldock.conf \
	|| fail "sysusers entry does not create group wsldock"

bindir=$(sed -n 's/^bindir = //p' "$top_builddir/Makefile")
exec_start=$(sed -n 's/^ExecStart=//p' "$D$want/wsldock-agent.service")
case $exec_start in "$bindir"/wsldock-agent\ run*) ;;
	*) [ -x "$D${exec_start%% *}" ] || fail "ExecStart=$exec_start does not name the installed agent";;
esac

mkdir -p "$D/lib/systemd/system" "$D/bin"
for t in /lib/systemd/system/*.target; do
	[ -e "$D/lib/systemd/system/${t##*/}" ] || cp "$t" "$D/lib/systemd/system/"
done
cp /bin/kill "$D/bin/kill"
if [ "$want" != /lib/systemd/system ]; then
	cp "$D$want/wsldock-agent.service" "$D$want/wsldock-agent.socket" "$D/lib/systemd/system/"
fi
out=$(systemd-analyze verify --man=no --root="$D" /lib/systemd/system/wsldock-agent.service \
	/lib/systemd/system/wsldock-agent.socket 2>&1) || { echo "$out"; fail "systemd-analyze verify"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
score=$(systemd-analyze security --offline=yes --root="$D" /lib/systemd/system/wsldock-agent.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for wsldock-agent.service: \([0-9.]*\).*/\1/p')
echo "ok: units in $want verify; systemd-analyze security exposure ${score:-unknown}"
