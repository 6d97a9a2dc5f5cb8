#!/bin/sh
# pacman: a package installed by the real pacman into a root (the package
# itself is a hand-made .PKGINFO + tree, as makepkg refuses to run as root),
# found with a pacman remedy, then removed by --fix with pacman --root.
# apk: no apk in Debian, so a fixture in the documented format
# (/lib/apk/db/installed).  snap: /snap/docker and a revision file.
. "${top_srcdir:?}/tests/conflicts/lib.sh"
FIXTURES=$top_srcdir/tests/conflicts/fixtures

# --- apk -------------------------------------------------------------------
A=$TMP/alpine
mkdir -p "$A/lib/apk/db" "$A/etc"
cp "$FIXTURES/apk-installed" "$A/lib/apk/db/installed"
printf 'ID=alpine\n' >"$A/etc/os-release"
check "$A"
check_rc 1 "alpine"
[ "$(printf '%s\n' "$OUT" | jq -r '.findings[] | select(.kind == "package") | .name' | sort | tr '\n' ' ')" = \
	"docker docker-cli docker-engine " ] || { printf '%s\n' "$OUT"; fail "apk: wrong names"; }
expect '.findings[] | select(.name == "docker-cli" and .evidence.file == "/lib/apk/db/installed:16"
	and .evidence.value == "installed 25.0.5-r0" and (.remedy | startswith("sudo apk del ")))' "apk: evidence or remedy"
ok "apk fixture: docker, docker-cli, docker-engine with apk del"

# --- snap ------------------------------------------------------------------
S=$TMP/snap
mkdir -p "$S/snap/docker/2904" "$S/var/lib/snapd/snaps"
: >"$S/var/lib/snapd/snaps/docker_2904.snap"
check "$S"
check_rc 1 "snap"
expect '.findings[] | select(.kind == "package" and .name == "docker" and .remedy == "sudo snap remove docker"
	and .evidence.value == "installed 2904")' "snap docker not reported"
ok "snap docker with snap remove"

# A tree whose snap directories link to another tree's: not followed out.
L=$TMP/snaplink
mkdir -p "$L/var/lib/snapd" "$L/etc"
ln -s "$S/var/lib/snapd/snaps" "$L/var/lib/snapd/snaps"
ln -s "$S/snap" "$L/snap"
check "$L"
expect_not '.findings[] | select(.kind == "package" and .name == "docker")' \
	"snap docker of a tree outside read through a link"
ok "snap: links out of the tree are not followed"

# --- pacman ----------------------------------------------------------------
command -v pacman >/dev/null || skip "pacman is not installed (apt-get install pacman-package-manager)"
P=$TMP/arch
mkdir -p "$P/var/lib/pacman" "$P/etc"
printf 'ID=arch\n' >"$P/etc/os-release"
printf '[options]\nSigLevel = Never\nArchitecture = auto\n' >"$TMP/pacman.conf"
for p in docker hello; do
	d=$TMP/pkg-$p
	mkdir -p "$d/usr/share/doc/$p"
	printf 'pkgname = %s\npkgbase = %s\npkgver = 1:24.0.7-1\npkgdesc = wsldock test\nurl = https://invalid\nbuilddate = 1700000000\npackager = test\nsize = 10\narch = any\nlicense = MIT\n' \
		"$p" "$p" >"$d/.PKGINFO"
	echo "$p" >"$d/usr/share/doc/$p/README"
	[ "$p" != docker ] || { mkdir -p "$d/usr/bin"; printf '#!/bin/sh\n' >"$d/usr/bin/docker"; chmod 755 "$d/usr/bin/docker"; }
	(cd "$d" && tar -czf "$TMP/$p-24.0.7-1-any.pkg.tar.gz" .PKGINFO usr) || fail "tar $p"
done
pacman --config "$TMP/pacman.conf" --root "$P" --dbpath "$P/var/lib/pacman" -U --noconfirm \
	"$TMP/docker-24.0.7-1-any.pkg.tar.gz" "$TMP/hello-24.0.7-1-any.pkg.tar.gz" >"$TMP/pacman.log" 2>&1 \
	|| { cat "$TMP/pacman.log"; skip "pacman cannot install into a root here"; }
check "$P"
check_rc 1 "arch"
expect '.findings[] | select(.kind == "package" and .name == "docker" and .remedy == "sudo pacman -Rns docker"
	and .evidence.value == "installed 1:24.0.7-1")' "pacman docker not reported"
expect_not '.findings[] | select(.name == "hello")' "unrelated pacman package reported"
expect '.findings[] | select(.kind == "binary" and .evidence.file == "/usr/bin/docker"
	and (.message | contains("installed by docker")) and .remedy == "sudo pacman -Rns docker")' \
	"/usr/bin/docker not attributed to the pacman package (local/*/files)"
ok "pacman: docker found with pacman -Rns, its binary attributed to it"

[ "$(id -u)" -eq 0 ] || skip "pacman --root needs root: the --fix run is skipped"
agent conflicts --root "$P" --fix --yes </dev/null >"$TMP/fix.out" 2>&1; rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/fix.out"; fail "pacman --fix --yes: exit $rc"; }
pacman --root "$P" --dbpath "$P/var/lib/pacman" -Q docker >/dev/null 2>&1 && fail "--fix left docker installed"
pacman --root "$P" --dbpath "$P/var/lib/pacman" -Q hello >/dev/null 2>&1 || fail "--fix removed hello"
ok "pacman: --fix --yes removed docker with pacman --root"
