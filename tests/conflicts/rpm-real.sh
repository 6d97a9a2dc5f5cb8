#!/bin/sh
# rpm databases written by rpm itself (Debian's rpm, sqlite backend) with
# packages built by rpmbuild: names found per family (Fedora, RHEL, SLES)
# with dnf/zypper remedies, cross-checked with rpm -qa; the database is
# opened without creating or changing any file; pending WAL frames are
# read; Berkeley DB / NDB databases go through `rpm -qa --dbpath` or give a
# "cannot read" finding.
. "${top_srcdir:?}/tests/conflicts/lib.sh"

command -v rpmbuild >/dev/null || skip "rpmbuild is not installed (apt-get install rpm)"
require python3

R=$TMP/root
mkdir -p "$R/etc"
for p in docker-ce moby-engine podman podman-docker runc hello; do
	cat >"$TMP/$p.spec" <<SPEC
Name: $p
Version: 1.0
Release: 1
Summary: wsldock test package
License: MIT
BuildArch: noarch
%description
wsldock test package
%files
SPEC
	rpmbuild -bb --define "_topdir $TMP/rpmbuild" "$TMP/$p.spec" >"$TMP/rpmbuild.log" 2>&1 \
		|| { cat "$TMP/rpmbuild.log"; fail "rpmbuild $p"; }
done
rpm --root "$R" --dbpath /var/lib/rpm --define '_db_backend sqlite' -i --nodeps \
	"$TMP"/rpmbuild/RPMS/noarch/*.rpm >"$TMP/rpm.log" 2>&1 || { cat "$TMP/rpm.log"; fail "rpm -i"; }
[ -f "$R/var/lib/rpm/rpmdb.sqlite" ] || fail "setup: rpm did not write rpmdb.sqlite"
[ "$(rpm -qa --root "$R" --dbpath /var/lib/rpm --qf '%{NAME}\n' 2>/dev/null | sort | tr '\n' ' ')" = \
	"docker-ce hello moby-engine podman podman-docker runc " ] || fail "setup: rpm -qa disagrees"

names() { printf '.findings[] | select(.kind == "package" and .severity == "conflict") | .name'; }
remedy_is() { # prefix name...
	pre=$1; shift
	expect "[.findings[] | select(.kind == \"package\") | .remedy] | unique | length == 1" "one remedy expected"
	got=$(printf '%s\n' "$OUT" | jq -r '[.findings[] | select(.kind == "package")][0].remedy')
	want="$pre $*"
	[ "$(echo "$got" | tr ' ' '\n' | sort | tr '\n' ' ')" = "$(echo "$want" | tr ' ' '\n' | sort | tr '\n' ' ')" ] \
		|| fail "remedy '$got', expected '$want'"
}

# No stray -shm/-wal: the agent must not create them (nor touch the file).
rm -f "$R/var/lib/rpm/rpmdb.sqlite-shm" "$R/var/lib/rpm/rpmdb.sqlite-wal"
before=$(ls -la --time-style=full-iso "$R/var/lib/rpm")

printf 'ID=fedora\n' >"$R/etc/os-release"
check "$R"
check_rc 1 "fedora"
[ "$(printf '%s\n' "$OUT" | jq -r "$(names)" | sort | tr '\n' ' ')" = "docker-ce moby-engine " ] \
	|| { printf '%s\n' "$OUT"; fail "fedora: wrong conflicting names"; }
remedy_is "sudo dnf remove" docker-ce moby-engine
ok "fedora: docker-ce and moby-engine, dnf remedy"

printf 'NAME="Red Hat"\nID="rhel"\n' >"$R/etc/os-release"
check "$R"
# podman is not in Docker Desktop's way; podman-docker (a docker command) is.
[ "$(printf '%s\n' "$OUT" | jq -r "$(names)" | sort | tr '\n' ' ')" = "docker-ce podman-docker runc " ] \
	|| { printf '%s\n' "$OUT"; fail "rhel: wrong conflicting names"; }
ok "rhel: docker-ce, podman-docker and runc, podman kept"

printf 'ID="opensuse-leap"\nID_LIKE="suse opensuse"\n' >"$R/etc/os-release"
check "$R"
remedy_is "sudo zypper remove" docker-ce runc
ok "sles family: zypper remedy, podman not flagged"

[ "$(ls -la --time-style=full-iso "$R/var/lib/rpm")" = "$before" ] \
	|| { ls -la "$R/var/lib/rpm"; fail "reading the database created or changed files in it"; }
ok "no -shm/-wal created, rpmdb.sqlite untouched"

# /usr/lib/sysimage/rpm (Fedora 36+) is found too.
mkdir -p "$R/usr/lib/sysimage"
mv "$R/var/lib/rpm" "$R/usr/lib/sysimage/rpm"
check "$R"
expect '.databases[] | select(.format == "rpm" and (.path | endswith("/usr/lib/sysimage/rpm/rpmdb.sqlite")))' \
	"rpmdb under /usr/lib/sysimage/rpm not found"

# Links in the tree resolve inside it: /var/lib/rpm as an absolute link
# (as Fedora has it) names the tree's directory, not the host's; a tree
# whose rpm directory links to a database outside it has none.
mv "$R/usr/lib/sysimage/rpm" "$R/usr/lib/sysimage/rpm-real"
ln -s /usr/lib/sysimage/rpm-real "$R/var/lib/rpm"
check "$R"
expect '.databases[] | select(.format == "rpm" and (.path | endswith("/usr/lib/sysimage/rpm-real/rpmdb.sqlite")))' \
	"rpmdb through the tree's absolute link /var/lib/rpm not found"
ok "absolute link in the tree followed inside it"
rm "$R/var/lib/rpm"
mv "$R/usr/lib/sysimage/rpm-real" "$R/usr/lib/sysimage/rpm"
X=$TMP/linkroot
mkdir -p "$X/usr/lib/sysimage" "$X/etc"
printf 'ID=fedora\n' >"$X/etc/os-release"
ln -s "$R/usr/lib/sysimage/rpm" "$X/usr/lib/sysimage/rpm"
check "$X"
expect_not '.databases[] | select(.format == "rpm")' "a database outside the tree was read through a link"
expect_not '.findings[] | select(.name == "docker-ce")' "a package outside the tree was reported"
ok "a link to a database outside the tree is not followed"

# Pending WAL frames (a writer still open) must be read: a copy of the
# database and its WAL taken while python holds the connection.
W=$TMP/walroot
mkdir -p "$W/var/lib/rpm" "$W/etc"
printf 'ID=fedora\n' >"$W/etc/os-release"
python3 - "$R/usr/lib/sysimage/rpm/rpmdb.sqlite" "$W/var/lib/rpm" <<'PY' || fail "setup: WAL copy"
import shutil, sqlite3, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copy(src, dst + "/rpmdb.sqlite")
c = sqlite3.connect(dst + "/rpmdb.sqlite")
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA wal_autocheckpoint=0")
c.execute("INSERT INTO Name(key, hnum, idx) VALUES ('docker-ce-cli', 1, 0)")
c.commit()
shutil.copytree(dst, dst + ".snap")
c.close()
shutil.rmtree(dst)
shutil.move(dst + ".snap", dst)
PY
[ -s "$W/var/lib/rpm/rpmdb.sqlite-wal" ] || fail "setup: no WAL frames"
check "$W"
expect '.findings[] | select(.name == "docker-ce-cli" and .severity == "conflict")' "row in the WAL not read"
ok "pending WAL frames read"

# Berkeley DB / NDB: Debian's rpm is built without either backend, so a
# real one cannot be made here.  Junk must give a "cannot read" finding;
# without rpm in PATH, say so; a stand-in rpm (the only fake in these
# tests) shows the `rpm -qa --dbpath` output is used.
B=$TMP/bdbroot
mkdir -p "$B/var/lib/rpm" "$B/etc" "$TMP/fakebin" "$TMP/nobin"
printf 'ID=centos\n' >"$B/etc/os-release"
head -c 8192 /dev/urandom >"$B/var/lib/rpm/Packages"
check "$B"
check_rc 1 "unreadable BDB"
expect '.findings[] | select(.id == "pkgdb-unreadable-rpm" and (.evidence.value | test("rpm -qa --dbpath failed")))' \
	"junk BDB: no cannot-read finding"
OUT=$(env -u DOCKER_HOST HOME=/nonexistent PATH="$TMP/nobin" "$AGENT" conflicts --json --root "$B" 2>/dev/null); RC=$?
check_rc 1 "BDB without rpm"
expect '.findings[] | select(.id == "pkgdb-unreadable-rpm" and (.evidence.value | test("rpm is not installed")))' \
	"BDB without rpm: no cannot-read finding"
printf '#!/bin/sh\n[ "$1 $2 $3" = "-qa --dbpath %s" ] || exit 1\necho docker\necho bash\n' \
	"$B/var/lib/rpm" >"$TMP/fakebin/rpm"
chmod +x "$TMP/fakebin/rpm"
OUT=$(env -u DOCKER_HOST HOME=/nonexistent PATH="$TMP/fakebin" "$AGENT" conflicts --json --root "$B" 2>/dev/null); RC=$?
check_rc 1 "BDB through rpm"
expect '.findings[] | select(.kind == "package" and .name == "docker" and .remedy == "sudo dnf remove docker")' \
	"names from rpm -qa --dbpath not used"
ok "BDB/NDB: rpm -qa --dbpath fallback and cannot-read findings"
