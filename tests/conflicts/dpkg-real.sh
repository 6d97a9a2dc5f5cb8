#!/bin/sh
# dpkg databases written by dpkg itself: small .deb packages built by
# dpkg-deb under conflicting names, in installed, unpacked, config-files and
# purged states, plus a pending updates/ journal entry.  Every state the
# agent reports is cross-checked with dpkg-query on the same admindir.
# Then --fix: refused without --yes off a terminal, and with --yes it runs
# the real dpkg --root on the temporary root, never on this system.
. "${top_srcdir:?}/tests/conflicts/lib.sh"

command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed (apt-get install dpkg-dev)"
[ "$(id -u)" -eq 0 ] || FORCE=--force-not-root
FORCE=${FORCE:-}

R=$TMP/root
mkdir -p "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/info" "$R/etc"
: >"$R/var/lib/dpkg/status"
printf 'ID=debian\n' >"$R/etc/os-release"

mkdeb() { # name [conffile]
	d=$TMP/build/$1
	mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$1"
	printf 'Package: %s\nVersion: 1.0-1\nArchitecture: all\nMaintainer: test <test@invalid>\nDescription: wsldock test package\n' \
		"$1" >"$d/DEBIAN/control"
	echo "$1" >"$d/usr/share/doc/$1/README"
	if [ "$1" = docker.io ]; then
		mkdir -p "$d/usr/bin"; printf '#!/bin/sh\n' >"$d/usr/bin/docker"; chmod 755 "$d/usr/bin/docker"
	fi
	if [ $# -gt 1 ]; then
		mkdir -p "$d/etc"; echo x >"$d/etc/$1.conf"; echo "/etc/$1.conf" >"$d/DEBIAN/conffiles"
	fi
	dpkg-deb --root-owner-group -b "$d" "$TMP/$1.deb" >/dev/null || fail "dpkg-deb -b $1"
}
dp() { dpkg $FORCE --root="$R" "$@" >>"$TMP/dpkg.log" 2>&1 || { cat "$TMP/dpkg.log"; fail "dpkg $*"; }; }

for p in docker.io containerd docker-compose docker-ce-cli hello; do mkdeb "$p"; done
mkdeb runc conffile
dp -i "$TMP/docker.io.deb" "$TMP/hello.deb"
dp --unpack "$TMP/containerd.deb"
dp -i "$TMP/runc.deb"; dp -r runc                       # config-files
dp -i "$TMP/docker-compose.deb"; dp -P docker-compose   # purged: gone

# A pending journal entry: dpkg installs docker-ce-cli, its stanza goes to
# updates/0001 and status is put back as it was before, which is what a
# dpkg interrupted before folding its journal leaves behind.
cp "$R/var/lib/dpkg/status" "$TMP/status.before"
dp -i "$TMP/docker-ce-cli.deb"
awk -v RS= '/^Package: docker-ce-cli\n/ { print; exit }' "$R/var/lib/dpkg/status" >"$R/var/lib/dpkg/updates/0001"
cp "$TMP/status.before" "$R/var/lib/dpkg/status"
grep -q docker-ce-cli "$R/var/lib/dpkg/status" && fail "setup: docker-ce-cli still in status"

state() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Status}' "$1" 2>/dev/null; }
[ "$(state docker.io)" = installed ] || fail "setup: dpkg-query says docker.io is $(state docker.io)"
[ "$(state containerd)" = unpacked ] || fail "setup: containerd is $(state containerd)"
[ "$(state runc)" = config-files ] || fail "setup: runc is $(state runc)"
[ "$(state docker-ce-cli)" = installed ] || fail "setup: dpkg-query does not see the pending docker-ce-cli"

sum_before=$(cat "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/updates/0001" | md5sum)
check "$R"
check_rc 1 "installed docker packages"
pkg() { printf '.findings[] | select(.kind == "package" and .name == "%s" and .severity == "%s" and (.evidence.value | startswith("%s")))' "$1" "$2" "$3"; }
expect "$(pkg docker.io conflict installed)" "docker.io installed: no conflict finding"
expect "$(pkg containerd conflict unpacked)" "containerd unpacked: no conflict finding"
expect "$(pkg runc info config-files)" "runc config-files: not reported as leftover configuration"
expect "$(pkg docker-ce-cli conflict installed)" "docker-ce-cli from updates/: not reported"
expect_not '.findings[] | select(.name == "docker-compose" or .name == "hello")' "purged or unrelated package reported"
expect '.findings[] | select(.name == "docker.io") | select((.remedy | startswith("sudo apt remove "))
	and (.remedy | split(" ") | .[3:] | sort) == ["containerd", "docker-ce-cli", "docker.io"])' \
	"remedy is not the one apt command naming the three installed packages"
expect '.findings[] | select(.name == "runc") | select(.remedy == "sudo apt purge runc")' "runc: no purge remedy"
expect '.findings[] | select(.name == "docker.io") | select(.evidence.file | test("^/var/lib/dpkg/status:[0-9]+$"))' \
	"evidence does not name the status file and line"
expect '.findings[] | select(.name == "docker-ce-cli") | select(.evidence.file == "/var/lib/dpkg/updates/0001:1")' \
	"evidence does not name the updates/ entry"
ok "installed, unpacked, config-files, purged and pending states match dpkg-query"

# Binaries: the one docker.io installed goes with it (dpkg's file list),
# a hand copy next to it needs its own remedy.
mkdir -p "$R/usr/local/bin"
printf '#!/bin/sh\n' >"$R/usr/local/bin/dockerd"; chmod 755 "$R/usr/local/bin/dockerd"
check "$R"
expect '.findings[] | select(.kind == "binary" and .evidence.file == "/usr/bin/docker"
	and (.message | contains("installed by docker.io")) and (.remedy | startswith("sudo apt remove ")))' \
	"/usr/bin/docker not attributed to docker.io"
expect '.findings[] | select(.kind == "binary" and .evidence.file == "/usr/local/bin/dockerd"
	and (.message | contains("copied by hand")) and .remedy == "sudo rm /usr/local/bin/dockerd")' \
	"hand-copied dockerd not told apart"
rm "$R/usr/local/bin/dockerd"
ok "binaries: owned by docker.io (dpkg file list) vs copied by hand"

# Without --fix nothing changes; --fix off a terminal without --yes refuses.
[ "$(cat "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/updates/0001" | md5sum)" = "$sum_before" ] \
	|| fail "the check changed the database"
agent conflicts --root "$R" --fix </dev/null >"$TMP/fix.out" 2>&1; rc=$?
[ "$rc" -eq 2 ] || { cat "$TMP/fix.out"; fail "--fix without --yes off a terminal: exit $rc, expected 2"; }
[ "$(cat "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/updates/0001" | md5sum)" = "$sum_before" ] \
	|| fail "--fix without --yes changed the database"
plan=$(grep -F "dpkg --root=$R --remove" "$TMP/fix.out")
for p in docker.io containerd docker-ce-cli; do
	case " $plan " in *" $p "*) ;; *) cat "$TMP/fix.out"; fail "plan does not remove $p";; esac
done
ok "--fix without --yes shows the plan and changes nothing"

# On a terminal it asks; "n" changes nothing (script(1) provides the pty).
if command -v script >/dev/null; then
	echo n | env -u DOCKER_HOST HOME=/nonexistent script -qec "'$AGENT' conflicts --root '$R' --fix" /dev/null \
		>"$TMP/ask.out" 2>&1; rc=$?
	grep -q "Run these commands? \[y/N\]" "$TMP/ask.out" || { cat "$TMP/ask.out"; fail "--fix on a terminal did not ask"; }
	[ "$rc" -eq 1 ] || { cat "$TMP/ask.out"; fail "--fix declined: exit $rc, expected 1"; }
	[ "$(cat "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/updates/0001" | md5sum)" = "$sum_before" ] \
		|| fail "declined --fix changed the database"
	ok "--fix on a terminal asks, and a no changes nothing"
fi

[ -z "$FORCE" ] || skip "dpkg --root needs root to remove packages: the --fix run is skipped"
agent conflicts --root "$R" --fix --yes </dev/null >"$TMP/fix.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/fix.out"; fail "--fix --yes: exit $rc, expected 0"; }
for p in docker.io containerd docker-ce-cli; do
	s=$(state $p)
	[ -z "$s" ] || [ "$s" = not-installed ] || [ "$s" = config-files ] || fail "--fix left $p $s"
done
[ "$(state hello)" = installed ] || fail "--fix removed an unrelated package"
check "$R"
check_rc 0 "after --fix"
ok "--fix --yes removed the conflicting packages with dpkg --root and nothing else"
