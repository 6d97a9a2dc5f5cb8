#!/bin/sh
# Malformed databases: truncated stanzas, binary junk, megabyte lines,
# missing fields, oversized files, junk sqlite, broken desc files and
# config files.  Each must give a finding or a diagnostic naming the file
# (and line), exit 1, and never crash.
. "${top_srcdir:?}/tests/conflicts/lib.sh"

R=$TMP/root
D=$R/var/lib/dpkg
mkdir -p "$D/updates" "$R/etc"
printf 'ID=debian\n' >"$R/etc/os-release"

run() { # label
	check "$R"
	[ "$RC" -le 2 ] || { cat "$TMP/stderr"; fail "$1: exit $RC (crash?)"; }
	check_rc 1 "$1"
}
diag() { # regex label
	grep -Eq "$1" "$TMP/stderr" || { cat "$TMP/stderr"; fail "$2: no diagnostic matching $1"; }
}

# Truncated stanza (file cut in the middle of a Status line) after a good one.
printf 'Package: docker.io\nStatus: install ok installed\nVersion: 1\n\nPackage: runc\nStatus: install ok inst' >"$D/status"
run "truncated"
expect '.findings[] | select(.name == "docker.io" and .severity == "conflict")' "truncated: good stanza lost"
expect '.findings[] | select(.id == "pkgdb-malformed-dpkg" and .evidence.value == "1 record skipped")' "truncated: not counted"
diag "status:6: Status is not" "truncated"
ok "truncated stanza: counted, diagnosed at its line, the rest read"

# Missing fields.
printf 'Package: docker.io\nVersion: 1\n\nStatus: install ok installed\n\nPackage: containerd\nStatus: install ok installed\n' >"$D/status"
run "missing fields"
diag "status:1: stanza for docker.io has no Status field" "no Status"
diag "status:4: stanza has no Package field" "no Package"
expect '.findings[] | select(.id == "pkgdb-malformed-dpkg" and .evidence.value == "2 records skipped")' "missing: not counted"
expect '.findings[] | select(.name == "containerd")' "missing fields: good stanza lost"
ok "missing Package/Status fields"

# Megabyte lines: a 2 MiB Description and a 1 MiB package name.
{
	printf 'Package: docker.io\nStatus: install ok installed\nDescription: '
	head -c 2097152 /dev/zero | tr '\0' x
	printf '\n\nPackage: '
	head -c 1048576 /dev/zero | tr '\0' y
	printf '\nStatus: install ok installed\n'
} >"$D/status"
run "megabyte lines"
expect '.findings[] | select(.name == "docker.io")' "megabyte line: docker.io lost"
diag "status:5: Package name is empty or longer than 127 bytes" "long name"
ok "megabyte lines"

# Binary junk (with NUL bytes) in status and in an updates/ entry.
{ head -c 65536 /dev/urandom; printf '\0'; } >"$D/status"
run "binary status"
expect '.findings[] | select(.id == "pkgdb-unreadable-dpkg" and (.evidence.value | test("binary data")))' "junk status"
printf 'Package: docker.io\nStatus: install ok installed\n' >"$D/status"
{ head -c 512 /dev/urandom; printf '\0'; } >"$D/updates/0007"
run "binary updates entry"
diag "updates/0007: contains binary data" "junk updates/ entry"
expect '.findings[] | select(.id == "pkgdb-malformed-dpkg")' "junk updates/ entry not counted"
rm -f "$D/updates/0007"
ok "binary junk"

# Larger than any package database: refused, not slurped.
truncate -s 65M "$D/status"
run "oversized"
expect '.findings[] | select(.id == "pkgdb-unreadable-dpkg" and (.evidence.value | test("64 MiB")))' "oversized status"
rm -rf "$D"
ok "oversized status"

# apk: lines that are not X:value, a stanza without P:.
mkdir -p "$R/lib/apk/db"
printf 'P:docker\nV:1\ngarbage line\n\nV:2\n\nP:docker-cli\n' >"$R/lib/apk/db/installed"
run "apk"
diag "installed:3: line is not" "apk junk line"
diag "installed:5: stanza has no P:" "apk no name"
expect '.findings[] | select(.name == "docker-cli")' "apk good stanza lost"
rm -rf "$R/lib/apk"
ok "apk malformed stanzas"

# pacman: a desc without %NAME%, an entry without desc, a value outside a section.
L=$R/var/lib/pacman/local
mkdir -p "$L/a-1" "$L/b-1" "$L/c-1" "$L/docker-1"
printf '%%VERSION%%\n1\n' >"$L/a-1/desc"
printf 'stray\n' >"$L/c-1/desc"
printf '%%NAME%%\ndocker\n' >"$L/docker-1/desc"
run "pacman"
diag "a-1/desc: no %NAME% section" "pacman no name"
diag "b-1/desc: missing" "pacman no desc"
diag "c-1/desc:1: value outside" "pacman stray"
expect '.findings[] | select(.id == "pkgdb-malformed-pacman" and .evidence.value == "3 records skipped")' "pacman not counted"
rm -rf "$R/var/lib/pacman"
ok "pacman malformed entries"

# rpm: a file named rpmdb.sqlite that is not a database.
mkdir -p "$R/var/lib/rpm"
head -c 4096 /dev/urandom >"$R/var/lib/rpm/rpmdb.sqlite"
run "junk sqlite"
expect '.findings[] | select(.id == "pkgdb-unreadable-rpm")' "junk sqlite"
rm -rf "$R/var/lib/rpm"
ok "junk rpmdb.sqlite"

# A broken ~/.docker/config.json is diagnosed with its line.
mkdir -p "$R/home/u/.docker"
printf '{\n "currentContext": "x",\n oops\n}\n' >"$R/home/u/.docker/config.json"
OUT=$(env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_CONFIG HOME=/home/u "$AGENT" conflicts --json --root "$R" 2>"$TMP/stderr"); RC=$?
[ "$RC" -le 2 ] || fail "config.json: crash"
diag "config.json:3: not JSON" "broken config.json"
ok "broken docker config.json"

# Control characters in what a file says (os-release's ID, a package's
# version): the text output escapes them, so a file steers no terminal.
# On 88ca800 `conflicts` printed them raw.
E=$TMP/esc
mkdir -p "$E/etc" "$E/var/lib/dpkg"
printf 'ID="deb\033]0;owned\007ian"\n' >"$E/etc/os-release"
printf 'Package: docker.io\nStatus: install ok installed\nVersion: 1\033[2J\n' >"$E/var/lib/dpkg/status"
agent conflicts --root "$E" >"$TMP/text" 2>"$TMP/stderr"
RC=$?
[ "$RC" -eq 1 ] || { cat "$TMP/text" "$TMP/stderr"; fail "escapes: exit $RC, expected 1 (a conflict)"; }
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$TMP/text"; then
	od -c "$TMP/text" | head -20
	fail "escapes: a control character reached the text output"
fi
grep -qF 'Distribution: deb\x1b]0;owned\x07ian' "$TMP/text" || { cat "$TMP/text"; fail "escapes: os-release's ID not shown escaped"; }
grep -qF 'installed 1\x1b[2J' "$TMP/text" || { cat "$TMP/text"; fail "escapes: the version not shown escaped"; }
ok "control characters in os-release and dpkg's status are escaped in the text output"
