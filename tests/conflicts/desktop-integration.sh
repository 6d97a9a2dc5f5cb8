#!/bin/sh
# Acceptance: a root whose /usr/bin/docker is Docker Desktop's link into
# /mnt/wsl/docker-desktop/ and whose package database holds nothing that
# conflicts exits 0 and reports Desktop integration present.
. "${top_srcdir:?}/tests/conflicts/lib.sh"

R=$TMP/root
mkdir -p "$R/usr/bin" "$R/var/lib/dpkg/updates" "$R/etc" "$R/mnt/wsl/docker-desktop/cli-tools/usr/bin"
printf 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n' >"$R/etc/os-release"
printf 'Package: bash\nStatus: install ok installed\nVersion: 5.2\n\nPackage: docker-compose\nStatus: deinstall ok not-installed\n\nPackage: git\nStatus: install ok installed\nVersion: 2.43\n' \
	>"$R/var/lib/dpkg/status"
ln -s /mnt/wsl/docker-desktop/cli-tools/usr/bin/docker "$R/usr/bin/docker"
ln -s /mnt/wsl/docker-desktop/cli-tools/usr/bin/docker-compose "$R/usr/bin/docker-compose"

check "$R"
check_rc 0 "Desktop integration, no conflicting packages"
expect '.desktop_integration == true' "desktop_integration is not true"
expect '.findings[] | select(.id == "desktop-integration" and .severity == "info"
	and .evidence.value == "/usr/bin/docker -> /mnt/wsl/docker-desktop/cli-tools/usr/bin/docker")' \
	"no Desktop integration finding with the link as evidence"
expect_not '.findings[] | select(.severity != "info")' "something flagged"
ok "Desktop's link: exit 0, integration present"

agent conflicts --root "$R" >"$TMP/text" 2>&1 || fail "text output: exit $?"
grep -q "Docker Desktop integration is present" "$TMP/text" || { cat "$TMP/text"; fail "text output does not say so"; }
ok "text output says integration is present"

# The same findings appear in `report` (its exit status is about /proc and
# /sys, absent from this tree, so only the document is checked).
OUT=$(agent report --json --root "$R" 2>/dev/null)
expect '.conflicts.desktop_integration == true and .conflicts.conflicts == 0' "report --json has no conflicts member"
agent report --root "$R" 2>/dev/null | grep -q "Docker Desktop integration is present" || fail "report text lacks the conflicts section"
ok "report shows the conflicts findings"
